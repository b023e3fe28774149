import type { Db } from './database.js';
import {
  JOB_STATES,
  type Job,
  type JobError,
  type JobKind,
  type JobState,
  type NewJob,
  type SourceIdentity,
  type StoredPart,
} from './job-types.js';

/**
 * Due jobs, oldest first. INDEXED BY: without statistics the planner prefers jobs_by_state
 * and sorts every queued row on each claim; the partial index serves filter and order.
 */
export const RUNNABLE_SQL = `SELECT id FROM jobs INDEXED BY jobs_runnable WHERE state IN ('queued', 'waiting-retry') AND next_attempt_at <= ?
         ORDER BY next_attempt_at, id LIMIT ?`;

interface JobRow {
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
}

/**
 * The transfer queue in SQLite. The engine never holds the queue in memory: it claims
 * runnable jobs a page at a time, so a million queued jobs cost a million rows on disk and
 * nothing in the heap. Every state change is one short transaction on the single writer
 * connection; adding jobs is batched.
 */
export class JobStore {
  private readonly stmts;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO jobs (kind, state, batch, bucket, key, local_path, source_key, size, next_attempt_at, created_at, updated_at)
         VALUES (@kind, 'queued', @batch, @bucket, @key, @localPath, @sourceKey, @size, @now, @now, @now)`,
      ),
      get: db.prepare<[number], JobRow>('SELECT * FROM jobs WHERE id = ?'),
      runnable: db.prepare<[number, number], { id: number }>(RUNNABLE_SQL),
      nextDue: db.prepare<[], { t: number | null }>(
        `SELECT next_attempt_at AS t FROM jobs INDEXED BY jobs_runnable WHERE state IN ('queued', 'waiting-retry')
         ORDER BY next_attempt_at LIMIT 1`,
      ),
      start: db.prepare<[number, number]>(
        `UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = ? WHERE id = ?`,
      ),
      finish: db.prepare<[string | null, string | null, number, number, number]>(
        `UPDATE jobs SET state = 'done', result_etag = ?, result_crc64 = ?, bytes_done = COALESCE(size, bytes_done),
           error_code = NULL, error_message = NULL, error_request_id = NULL, upload_id = NULL, temp_path = NULL,
           updated_at = ?, finished_at = ? WHERE id = ? AND state = 'running'`,
      ),
      setError: db.prepare<
        [JobState, number, string, string, string | null, number, number | null, number]
      >(
        `UPDATE jobs SET state = ?, next_attempt_at = ?, error_code = ?, error_message = ?, error_request_id = ?,
           updated_at = ?, finished_at = ? WHERE id = ? AND state = 'running'`,
      ),
      requeue: db.prepare<[JobState, number, number]>(
        `UPDATE jobs SET state = ?, attempts = MAX(attempts - 1, 0), updated_at = ? WHERE id = ? AND state = 'running'`,
      ),
      restartAttempts: db.prepare<[number, number]>(
        `UPDATE jobs SET attempts = 1, updated_at = ? WHERE id = ? AND state = 'running'`,
      ),
      recover: db.prepare<[number]>(
        `UPDATE jobs SET state = 'queued', updated_at = ? WHERE state = 'running'`,
      ),
      setState: db.prepare<[JobState, number, number]>(
        'UPDATE jobs SET state = ?, updated_at = ? WHERE id = ?',
      ),
      setUpload: db.prepare<
        [string | null, number | null, number | null, string | null, string | null, number, number]
      >(
        `UPDATE jobs SET upload_id = ?, part_size = ?, file_size = ?, file_mtime_ns = ?, file_ino = ?, updated_at = ?
         WHERE id = ?`,
      ),
      setDownload: db.prepare<[string | null, string | null, number | null, number, number]>(
        'UPDATE jobs SET temp_path = ?, remote_etag = ?, size = COALESCE(?, size), updated_at = ? WHERE id = ?',
      ),
      setSize: db.prepare<[number, number, number]>(
        'UPDATE jobs SET size = ?, updated_at = ? WHERE id = ?',
      ),
      setBytesDone: db.prepare<[number, number, number]>(
        'UPDATE jobs SET bytes_done = ?, updated_at = ? WHERE id = ?',
      ),
      addPart: db.prepare<[number, number, number, string, string]>(
        `INSERT INTO parts (job_id, part_number, size, etag, crc64) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (job_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag, crc64 = excluded.crc64`,
      ),
      parts: db.prepare<
        [number],
        { part_number: number; size: number; etag: string; crc64: string }
      >('SELECT part_number, size, etag, crc64 FROM parts WHERE job_id = ? ORDER BY part_number'),
      clearParts: db.prepare<[number]>('DELETE FROM parts WHERE job_id = ?'),
      countByState: db.prepare<[], { state: JobState; n: number }>(
        'SELECT state, COUNT(*) AS n FROM jobs GROUP BY state',
      ),
      countBatch: db.prepare<[string], { state: JobState; n: number }>(
        'SELECT state, COUNT(*) AS n FROM jobs WHERE batch = ? GROUP BY state',
      ),
      listByState: db.prepare<[JobState, number, number], JobRow>(
        'SELECT * FROM jobs WHERE state = ? AND id > ? ORDER BY id LIMIT ?',
      ),
      listBatch: db.prepare<[string, number, number], JobRow>(
        'SELECT * FROM jobs WHERE batch = ? AND id > ? ORDER BY id LIMIT ?',
      ),
      pauseWaiting: db.prepare<[number]>(
        `UPDATE jobs SET state = 'paused', updated_at = ? WHERE state IN ('queued', 'waiting-retry')`,
      ),
      resumePaused: db.prepare<[number, number]>(
        `UPDATE jobs SET state = 'queued', next_attempt_at = ?, updated_at = ? WHERE state = 'paused'`,
      ),
      retry: db.prepare<[number, number, number]>(
        `UPDATE jobs SET state = 'queued', attempts = 0, next_attempt_at = ?, updated_at = ?
         WHERE id = ? AND state IN ('failed', 'cancelled', 'waiting-retry', 'paused')`,
      ),
      clearFinished: db.prepare(`DELETE FROM jobs WHERE state IN ('done', 'cancelled')`),
      uploadsInFlight: db.prepare<
        [],
        { id: number; bucket: string; key: string; upload_id: string }
      >(
        `SELECT id, bucket, key, upload_id FROM jobs WHERE upload_id IS NOT NULL AND state NOT IN ('done', 'cancelled')`,
      ),
    };
  }

  /** Adds jobs in one transaction; returns their ids in order. */
  add(jobs: readonly NewJob[]): number[] {
    const now = this.now();
    return this.db.transaction(() =>
      jobs.map((job) =>
        Number(
          this.stmts.insert.run({
            kind: job.kind,
            batch: job.batch ?? null,
            bucket: job.bucket,
            key: job.key,
            localPath: job.localPath ?? null,
            sourceKey: job.sourceKey ?? null,
            size: job.size ?? null,
            now,
          }).lastInsertRowid,
        ),
      ),
    )();
  }

  get(id: number): Job | undefined {
    const row = this.stmts.get.get(id);
    return row && toJob(row);
  }

  /**
   * Claims up to `limit` jobs that are due (queued, or waiting-retry whose time came):
   * marks them running and counts the attempt, in one transaction.
   */
  claim(limit: number): Job[] {
    if (limit <= 0) return [];
    const now = this.now();
    return this.db.transaction(() => {
      const ids = this.stmts.runnable.all(now, limit).map((row) => row.id);
      return ids.map((id) => {
        this.stmts.start.run(now, id);
        return toJob(this.stmts.get.get(id) as JobRow);
      });
    })();
  }

  /** The earliest time a queued or waiting job becomes due, if any. */
  nextDueAt(): number | undefined {
    return this.stmts.nextDue.get()?.t ?? undefined;
  }

  /** A running job succeeded. */
  finish(id: number, result: { etag?: string; crc64?: string }): void {
    const now = this.now();
    this.db.transaction(() => {
      this.stmts.finish.run(result.etag ?? null, result.crc64 ?? null, now, now, id);
      this.stmts.clearParts.run(id);
    })();
  }

  /** A running job failed for good: it stays visible with its error until retried or removed. */
  fail(id: number, error: JobError): void {
    const now = this.now();
    this.stmts.setError.run(
      'failed',
      now,
      error.code,
      error.message,
      error.requestId ?? null,
      now,
      now,
      id,
    );
  }

  /** A running job failed but will be tried again at `at` (persisted: a restart keeps the schedule). */
  retryAt(id: number, at: number, error: JobError): void {
    this.stmts.setError.run(
      'waiting-retry',
      at,
      error.code,
      error.message,
      error.requestId ?? null,
      this.now(),
      null,
      id,
    );
  }

  /**
   * A running job stopped without its attempt counting (the engine paused, stopped or went
   * offline): back to `queued` (or `paused`), attempt count given back.
   */
  requeue(id: number, state: 'queued' | 'paused' = 'queued'): void {
    this.stmts.requeue.run(state, this.now(), id);
  }

  /**
   * The running attempt failed after it made progress (parts landed): it becomes the first
   * attempt of a new run, so only attempts in a row that got nowhere count toward the limit.
   */
  restartAttempts(id: number): void {
    this.stmts.restartAttempts.run(this.now(), id);
  }

  /** At start: jobs left running by a crash are queued again. Returns how many. */
  recoverInterrupted(): number {
    return this.stmts.recover.run(this.now()).changes;
  }

  setState(id: number, state: JobState): void {
    this.stmts.setState.run(state, this.now(), id);
  }

  /** Pauses every job that is not running; the engine pauses running ones itself. */
  pauseAllWaiting(): number {
    return this.stmts.pauseWaiting.run(this.now()).changes;
  }

  resumeAllPaused(): number {
    const now = this.now();
    return this.stmts.resumePaused.run(now, now).changes;
  }

  /** Failed, cancelled, waiting or paused: queued again now, with a fresh attempt count. */
  retry(id: number): boolean {
    const now = this.now();
    return this.stmts.retry.run(now, now, id).changes > 0;
  }

  /** Records the multipart upload of a job and the source identity it belongs to (null clears). */
  setUpload(
    id: number,
    upload: { uploadId: string; partSize: number; source: SourceIdentity } | null,
  ): void {
    this.db.transaction(() => {
      this.stmts.setUpload.run(
        upload?.uploadId ?? null,
        upload?.partSize ?? null,
        upload?.source.size ?? null,
        upload?.source.mtimeNs.toString() ?? null,
        upload?.source.ino.toString() ?? null,
        this.now(),
        id,
      );
      if (!upload) this.stmts.clearParts.run(id);
    })();
  }

  /** A part landed (verified): kept so a resume never sends it again. */
  addPart(id: number, part: StoredPart, bytesDone: number): void {
    const now = this.now();
    this.db.transaction(() => {
      this.stmts.addPart.run(id, part.partNumber, part.size, part.etag, part.crc64);
      this.stmts.setBytesDone.run(bytesDone, now, id);
    })();
  }

  /** After reconciling with the server: exactly these parts are known to have landed. */
  replaceParts(id: number, parts: readonly StoredPart[]): void {
    const now = this.now();
    const bytesDone = parts.reduce((n, part) => n + part.size, 0);
    this.db.transaction(() => {
      this.stmts.clearParts.run(id);
      for (const part of parts)
        this.stmts.addPart.run(id, part.partNumber, part.size, part.etag, part.crc64);
      this.stmts.setBytesDone.run(bytesDone, now, id);
    })();
  }

  parts(id: number): StoredPart[] {
    return this.stmts.parts.all(id).map((row) => ({
      partNumber: row.part_number,
      size: row.size,
      etag: row.etag,
      crc64: row.crc64,
    }));
  }

  setDownload(
    id: number,
    download: { tempPath: string; remoteEtag: string; size: number } | null,
  ): void {
    this.stmts.setDownload.run(
      download?.tempPath ?? null,
      download?.remoteEtag ?? null,
      download?.size ?? null,
      this.now(),
      id,
    );
  }

  setSize(id: number, size: number): void {
    this.stmts.setSize.run(size, this.now(), id);
  }

  setBytesDone(id: number, bytesDone: number): void {
    this.stmts.setBytesDone.run(bytesDone, this.now(), id);
  }

  counts(batch?: string): Record<JobState, number> {
    const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<
      JobState,
      number
    >;
    const rows =
      batch === undefined ? this.stmts.countByState.all() : this.stmts.countBatch.all(batch);
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  /** One page of jobs in a state (or of a batch), by id. */
  list(filter: { state: JobState } | { batch: string }, afterId = 0, limit = 100): Job[] {
    const rows =
      'state' in filter
        ? this.stmts.listByState.all(filter.state, afterId, limit)
        : this.stmts.listBatch.all(filter.batch, afterId, limit);
    return rows.map(toJob);
  }

  /** Multipart uploads the queue still owns (to tell them from orphans at start). */
  ownedUploads(): { jobId: number; bucket: string; key: string; uploadId: string }[] {
    return this.stmts.uploadsInFlight
      .all()
      .map((row) => ({ jobId: row.id, bucket: row.bucket, key: row.key, uploadId: row.upload_id }));
  }

  clearFinished(): number {
    return this.stmts.clearFinished.run().changes;
  }
}

function toJob(row: JobRow): Job {
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
  };
}
