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
];
