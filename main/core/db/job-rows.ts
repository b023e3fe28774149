import type { Job, JobKind, JobState, JournalOp } from './job-types.js';

/** A row of the jobs table as better-sqlite3 returns it. */
export interface JobRow {
  id: number;
  kind: JobKind;
  state: JobState;
  batch: string | null;
  bucket: string;
  key: string;
  local_path: string | null;
  source_key: string | null;
  size: number | null;
  bytes_done: number;
  attempts: number;
  next_attempt_at: number;
  error_code: string | null;
  error_message: string | null;
  error_request_id: string | null;
  upload_id: string | null;
  part_size: number | null;
  file_size: number | null;
  file_mtime_ns: string | null;
  file_ino: string | null;
  temp_path: string | null;
  remote_etag: string | null;
  result_etag: string | null;
  result_crc64: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  pair_id: number | null;
  rel_path: string | null;
  journal_op: JournalOp | null;
  source_rel_path: string | null;
  delete_source: number;
}

export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    batch: row.batch,
    bucket: row.bucket,
    key: row.key,
    localPath: row.local_path,
    sourceKey: row.source_key,
    size: row.size,
    bytesDone: row.bytes_done,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    error:
      row.error_code === null
        ? null
        : {
            code: row.error_code,
            message: row.error_message ?? '',
            ...(row.error_request_id === null ? {} : { requestId: row.error_request_id }),
          },
    uploadId: row.upload_id,
    partSize: row.part_size,
    source:
      row.file_size === null || row.file_mtime_ns === null || row.file_ino === null
        ? null
        : { size: row.file_size, mtimeNs: BigInt(row.file_mtime_ns), ino: BigInt(row.file_ino) },
    tempPath: row.temp_path,
    remoteEtag: row.remote_etag,
    resultEtag: row.result_etag,
    resultCrc64: row.result_crc64,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    pair:
      row.pair_id === null || row.rel_path === null || row.journal_op === null
        ? null
        : {
            pairId: row.pair_id,
            path: row.rel_path,
            journal: row.journal_op,
            ...(row.source_rel_path === null ? {} : { sourcePath: row.source_rel_path }),
          },
    deleteSource: row.delete_source === 1,
  };
}
