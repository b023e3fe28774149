/**
 * Numbered migrations of the OSSync state database. Each runs once, in order, in a
 * transaction; `PRAGMA user_version` records how far a database got. Never edit a
 * migration that has shipped: add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the transfer queue and the parts of multipart uploads.
  `
  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('upload', 'download', 'delete', 'copy')),
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'waiting-retry', 'paused', 'done', 'failed', 'cancelled')),
    batch TEXT,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    -- upload: the source file; download: the target file
    local_path TEXT,
    -- copy: the source key in the same bucket
    source_key TEXT,
    size INTEGER,
    bytes_done INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    error_code TEXT,
    error_message TEXT,
    error_request_id TEXT,
    -- resumable state: the multipart upload and the source identity it belongs to
    upload_id TEXT,
    part_size INTEGER,
    file_size INTEGER,
    file_mtime_ns TEXT,
    file_ino TEXT,
    -- resumable state of a download: its temp file and the ETag it was started from
    temp_path TEXT,
    remote_etag TEXT,
    result_etag TEXT,
    result_crc64 TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER
  );
  CREATE INDEX jobs_runnable ON jobs (next_attempt_at, id) WHERE state IN ('queued', 'waiting-retry');
  CREATE INDEX jobs_by_state ON jobs (state, id);
  CREATE INDEX jobs_by_batch ON jobs (batch, id) WHERE batch IS NOT NULL;
  CREATE TABLE parts (
    job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    crc64 TEXT NOT NULL,
    PRIMARY KEY (job_id, part_number)
  ) WITHOUT ROWID;
  CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 2: folder sync: pairs, the journal of what was last synced, per-path reports, and the
  // link from a job to the pair and path whose journal row its success updates.
  `
  CREATE TABLE pairs (
    id INTEGER PRIMARY KEY,
    local_root TEXT NOT NULL UNIQUE,
    bucket TEXT NOT NULL,
    -- '' (the whole bucket) or ends with '/'
    prefix TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('backup', 'mirror')),
    delete_mode TEXT NOT NULL CHECK (delete_mode IN ('trash', 'permanent')),
    ignore_json TEXT NOT NULL DEFAULT '[]',
    follow_symlinks INTEGER NOT NULL DEFAULT 0 CHECK (follow_symlinks IN (0, 1)),
    trash_retention_days INTEGER NOT NULL DEFAULT 30,
    guard_fraction REAL NOT NULL DEFAULT 0.5,
    guard_count INTEGER NOT NULL DEFAULT 1000,
    paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    created_at INTEGER NOT NULL,
    last_synced_at INTEGER
  );
  -- Paths are compared BINARY (UTF-8 bytes), the order of OSS listings and of the scanner.
  CREATE TABLE journal (
    pair_id INTEGER NOT NULL REFERENCES pairs (id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    -- bigints as decimal strings: ns mtimes and 64-bit inodes do not fit a double
    mtime_ns TEXT NOT NULL,
    ino TEXT NOT NULL,
    crc64 TEXT NOT NULL,
    remote_etag TEXT NOT NULL,
    remote_crc64 TEXT NOT NULL,
    synced_at INTEGER NOT NULL,
    PRIMARY KEY (pair_id, path)
  ) WITHOUT ROWID;
  -- rename detection: the same inode, or the same size, under another path
  CREATE INDEX journal_by_ino ON journal (pair_id, ino);
  CREATE INDEX journal_by_size ON journal (pair_id, size);
  CREATE TABLE sync_issues (
    pair_id INTEGER NOT NULL REFERENCES pairs (id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (pair_id, path, code)
  ) WITHOUT ROWID;
  CREATE TABLE sync_conflicts (
    id INTEGER PRIMARY KEY,
    pair_id INTEGER NOT NULL REFERENCES pairs (id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    kept_as TEXT,
    resolution TEXT NOT NULL CHECK (resolution IN ('remote-kept', 'local-won')),
    remote_etag TEXT,
    at INTEGER NOT NULL
  );
  CREATE INDEX sync_conflicts_by_pair ON sync_conflicts (pair_id, id);
  -- deletions a pass planned, held until the delete guard allows them or the user confirms
  CREATE TABLE sync_pending_deletes (
    pair_id INTEGER NOT NULL REFERENCES pairs (id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    etag TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (pair_id, path)
  ) WITHOUT ROWID;
  -- A removed pair leaves its jobs as plain transfers (the caller cancels unfinished ones).
  ALTER TABLE jobs ADD COLUMN pair_id INTEGER REFERENCES pairs (id) ON DELETE SET NULL;
  -- the pair-relative path whose journal row the job's success updates
  ALTER TABLE jobs ADD COLUMN rel_path TEXT;
  ALTER TABLE jobs ADD COLUMN journal_op TEXT CHECK (journal_op IN ('put', 'remove'));
  -- a move: the old path, whose journal row goes when the move is done
  ALTER TABLE jobs ADD COLUMN source_rel_path TEXT;
  -- a copy that deletes its source key once copied (a move)
  ALTER TABLE jobs ADD COLUMN delete_source INTEGER NOT NULL DEFAULT 0;
  -- Serves "unfinished job of pair P for path X", the pair's pending counters, its failed
  -- jobs by path, and the SET NULL of a removed pair (pair_id = ? implies NOT NULL).
  CREATE INDEX jobs_by_pair ON jobs (pair_id, state, rel_path) WHERE pair_id IS NOT NULL;
  -- moves are few: their old paths count as busy too
  CREATE INDEX jobs_by_pair_source ON jobs (pair_id, source_rel_path) WHERE source_rel_path IS NOT NULL;
  `,
  // 3: accounts (no secret: those live in the SecretStore under accountSecretRef refs).
  // Settings use the settings table of migration 1 (name -> JSON value).
  `
  CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('aliyun', 'local')),
    name TEXT NOT NULL,
    endpoint TEXT,
    region TEXT,
    default_bucket TEXT,
    access_key_id TEXT NOT NULL,
    path_style INTEGER NOT NULL DEFAULT 0 CHECK (path_style IN (0, 1)),
    authorization_v4 INTEGER NOT NULL DEFAULT 1 CHECK (authorization_v4 IN (0, 1)),
    has_secret INTEGER NOT NULL DEFAULT 0 CHECK (has_secret IN (0, 1)),
    has_security_token INTEGER NOT NULL DEFAULT 0 CHECK (has_security_token IN (0, 1)),
    security_token_expires_at INTEGER,
    created_at INTEGER NOT NULL
  );
  `,
  // 4: the activity log of the service's state database (what happened, newest first), and
  // what it has taken from each folder pair so far (its conflicts, whether it holds deletes).
  `
  CREATE TABLE activity (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    account_id INTEGER,
    pair_id INTEGER,
    bucket TEXT,
    key TEXT,
    local_path TEXT,
    size INTEGER,
    error_code TEXT,
    error_message TEXT,
    error_request_id TEXT
  );
  CREATE INDEX activity_by_time ON activity (at, id);
  CREATE INDEX activity_by_pair ON activity (account_id, pair_id, at, id);
  CREATE INDEX activity_by_kind ON activity (kind, at, id);
  CREATE TABLE activity_pair_marks (
    account_id INTEGER NOT NULL,
    pair_id INTEGER NOT NULL,
    last_conflict_id INTEGER NOT NULL DEFAULT 0,
    holding_deletes INTEGER NOT NULL DEFAULT 0 CHECK (holding_deletes IN (0, 1)),
    PRIMARY KEY (account_id, pair_id)
  ) WITHOUT ROWID;
  `,
  // 5: ids are never reused. SQLite gives a new row the largest id + 1, so removing the
  // newest account, pair or conflict handed its id to the next one, and whatever was keyed
  // by it (secret refs, account folders, activity marks) could be taken for the new row's.
  // Each removal now records its id in id_floor; inserts take ids above it (db/ids.ts).
  `
  CREATE TABLE id_floor (
    name TEXT PRIMARY KEY,
    last INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TRIGGER accounts_id_floor AFTER DELETE ON accounts BEGIN
    INSERT INTO id_floor (name, last) VALUES ('accounts', OLD.id)
      ON CONFLICT (name) DO UPDATE SET last = max(last, excluded.last);
  END;
  CREATE TRIGGER pairs_id_floor AFTER DELETE ON pairs BEGIN
    INSERT INTO id_floor (name, last) VALUES ('pairs', OLD.id)
      ON CONFLICT (name) DO UPDATE SET last = max(last, excluded.last);
  END;
  CREATE TRIGGER sync_conflicts_id_floor AFTER DELETE ON sync_conflicts BEGIN
    INSERT INTO id_floor (name, last) VALUES ('sync_conflicts', OLD.id)
      ON CONFLICT (name) DO UPDATE SET last = max(last, excluded.last);
  END;
  `,
];
