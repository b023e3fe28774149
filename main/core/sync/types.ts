/**
 * The vocabulary of folder sync, shared by the scanner, the planner, the journal and the
 * pair runner. A `path` here is always a pair-relative key: POSIX separators, Unicode NFC,
 * no leading slash; the object key is the pair's prefix + path. Paths are ordered by their
 * UTF-8 bytes (compareKeys in keys.ts), the order of SQLite's BINARY collation and of OSS
 * listings, so the local walk, the journal and the remote listing can be merged in one pass.
 */

export const SYNC_MODES = ['backup', 'mirror'] as const;
/** backup: upload new and changed files, never delete remotely; mirror: deletions too. */
export type SyncMode = (typeof SYNC_MODES)[number];

export const DELETE_MODES = ['trash', 'permanent'] as const;
/** How mirror deletes: move under the pair's trash prefix, or delete outright. */
export type DeleteMode = (typeof DELETE_MODES)[number];

export const PAIR_STATES = [
  'idle',
  'scanning',
  'syncing',
  'paused',
  'offline',
  'error',
  'waiting-for-confirmation',
] as const;
export type PairState = (typeof PAIR_STATES)[number];

export interface DeleteGuard {
  /** A pass may delete at most this fraction of the pair's synced files without asking. */
  maxFraction: number;
  /** ... and at most this many. */
  maxCount: number;
}

export const DEFAULT_DELETE_GUARD: DeleteGuard = { maxFraction: 0.5, maxCount: 1000 };

/** A folder pair as stored. */
export interface PairConfig {
  id: number;
  /** Absolute path of the local folder (as the user gave it, resolved). */
  localRoot: string;
  bucket: string;
  /** '' (the whole bucket) or ends with '/'. */
  prefix: string;
  mode: SyncMode;
  deleteMode: DeleteMode;
  /** Extra ignore patterns (gitignore syntax) on top of the built-in ones and .ossyncignore. */
  ignore: string[];
  /** Upload the targets of symlinked files (never follows symlinked folders). */
  followSymlinks: boolean;
  /** Trashed objects older than this are purged. */
  trashRetentionDays: number;
  deleteGuard: DeleteGuard;
  paused: boolean;
  createdAt: number;
}

export type NewPair = Pick<PairConfig, 'localRoot' | 'bucket' | 'prefix'> &
  Partial<
    Pick<
      PairConfig,
      'mode' | 'deleteMode' | 'ignore' | 'followSymlinks' | 'trashRetentionDays' | 'deleteGuard'
    >
  >;

/** What the scan saw of one local file. */
export interface LocalEntry {
  path: string;
  /** Relative path on disk with the OS separator (the name as stored, maybe NFD). */
  fsPath: string;
  size: number;
  mtimeNs: bigint;
  ino: bigint;
  /** CRC64 of the content, when it was computed for this pass (decimal uint64). */
  crc64?: string;
}

/** What the listing (or a HEAD) saw of one remote object. */
export interface RemoteEntry {
  path: string;
  size: number;
  /** As OSS sends it, without quotes. */
  etag: string;
  lastModified: number;
  /** Known from a HEAD, not from a listing. */
  crc64?: string;
}

/** What was last synced for a path: both sides as they were when they were equal. */
export interface JournalEntry {
  path: string;
  size: number;
  mtimeNs: bigint;
  ino: bigint;
  /** CRC64 of the content (local and remote were verified equal). */
  crc64: string;
  remoteEtag: string;
  remoteCrc64: string;
  syncedAt: number;
}

/** Something about one path the user should see (the pair's errors and reports). */
export const SYNC_ISSUE_CODES = [
  // could not read, stat or list (retried on the next pass)
  'unreadable',
  // the name cannot become an OSS key (too long, invalid) or two names map to one key
  'invalid-name',
  // a symlink, FIFO, socket or device that is not synced
  'skipped-special',
  // the transfer for this path failed (see the job)
  'transfer-failed',
  // the remote object was changed or removed by someone else since the last sync
  'remote-changed',
  'remote-removed',
  // an object under the prefix that this pair never synced (left alone)
  'remote-only',
] as const;
export type SyncIssueCode = (typeof SYNC_ISSUE_CODES)[number];

export interface SyncIssue {
  path: string;
  code: SyncIssueCode;
  message: string;
}

/** A conflict: the remote changed since the last sync and the local side won. */
export interface ConflictRecord {
  path: string;
  /** Where the remote version was kept (a key under the pair's conflicts prefix), if kept. */
  keptAs: string | null;
  /** What happened: 'remote-kept' (the local delete was not carried out), 'local-won'. */
  resolution: 'remote-kept' | 'local-won';
  remoteEtag: string | null;
  at: number;
}

export interface PairCounters {
  filesPending: number;
  bytesPending: number;
  lastSyncedAt: number | null;
  /** Paths with an open issue. */
  errors: number;
  conflicts: number;
  /** Deletions waiting for confirmation (state waiting-for-confirmation). */
  deletesAwaiting: number;
}

export interface PairStatus {
  pair: PairConfig;
  state: PairState;
  /** Why the state is what it is (the error, or 'watcher failed: scanning every 60 s'). */
  detail: string | null;
  watching: 'events' | 'polling' | 'periodic-scan' | 'off';
  counters: PairCounters;
}
