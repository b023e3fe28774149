export const JOB_KINDS = ['upload', 'download', 'delete', 'copy'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATES = [
  'queued',
  'running',
  'waiting-retry',
  'paused',
  'done',
  'failed',
  'cancelled',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States a job never leaves by itself. */
export const FINISHED_STATES: readonly JobState[] = ['done', 'failed', 'cancelled'];

export interface JobError {
  code: string;
  message: string;
  requestId?: string;
}

/** What identifies one version of a local file: if any of it changed, the content may have. */
export interface SourceIdentity {
  size: number;
  mtimeNs: bigint;
  ino: bigint;
}

/** What a finished job does to its pair's journal: record the path as synced, or forget it. */
export type JournalOp = 'put' | 'remove';

/** A job that syncs one path of a folder pair: its success updates the pair's journal. */
export interface JobPair {
  pairId: number;
  /** The pair-relative path the job syncs (the journal row it writes or removes). */
  path: string;
  journal: JournalOp;
  /** A move: the old path, whose journal row is removed when the move is done. */
  sourcePath?: string;
}

export interface Job {
  id: number;
  kind: JobKind;
  state: JobState;
  /** Jobs added together (one CLI command, one drop): waited on and reported together. */
  batch: string | null;
  bucket: string;
  key: string;
  localPath: string | null;
  sourceKey: string | null;
  size: number | null;
  bytesDone: number;
  attempts: number;
  nextAttemptAt: number;
  error: JobError | null;
  uploadId: string | null;
  partSize: number | null;
  source: SourceIdentity | null;
  tempPath: string | null;
  /**
   * download: the ETag its temp file was started from; copy and delete: the ETag the object
   * must still have (NewJob.expectEtag).
   */
  remoteEtag: string | null;
  /**
   * done: what the job produced; a copy also records it between its copy and its delete, and
   * a folder pair's upload records the ETag of its PUT before sending it (setPutIntent).
   */
  resultEtag: string | null;
  resultCrc64: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  pair: JobPair | null;
  /** A copy that deletes its source key once copied: a move. */
  deleteSource: boolean;
}

export interface NewJob {
  kind: JobKind;
  bucket: string;
  key: string;
  batch?: string;
  localPath?: string;
  sourceKey?: string;
  size?: number;
  pair?: JobPair;
  /**
   * The local file's identity, for a job whose journal row needs one but that reads no file
   * (a copy standing for a renamed file). An upload records what it actually read instead.
   */
  source?: SourceIdentity;
  /** copy only: delete the source key once copied (a move). */
  deleteSource?: boolean;
  /**
   * copy: copy only if the source object still has this ETag (x-oss-copy-source-if-match);
   * delete: delete only if the object still has it (checked by a HEAD just before).
   */
  expectEtag?: string;
}

export interface StoredPart {
  partNumber: number;
  size: number;
  etag: string;
  crc64: string;
}
