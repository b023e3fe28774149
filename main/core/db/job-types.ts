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
  remoteEtag: string | null;
  resultEtag: string | null;
  resultCrc64: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface NewJob {
  kind: JobKind;
  bucket: string;
  key: string;
  batch?: string;
  localPath?: string;
  sourceKey?: string;
  size?: number;
}

export interface StoredPart {
  partNumber: number;
  size: number;
  etag: string;
  crc64: string;
}
