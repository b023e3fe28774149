import type { Db } from './database.js';
import { toJob, type JobRow } from './job-rows.js';
import {
  JOB_STATES,
  type Job,
  type JobError,
  type JobState,
  type NewJob,
  type SourceIdentity,
  type StoredPart,
} from './job-types.js';
import { PairJobs, checkNewJob, type FailedJobsCursor } from './pair-jobs.js';

/**
 * Due jobs, oldest first. INDEXED BY: without statistics the planner prefers jobs_by_state
 * and sorts every queued row on each claim; the partial index serves filter and order.
 */
export const RUNNABLE_SQL = `SELECT id FROM jobs INDEXED BY jobs_runnable WHERE state IN ('queued', 'waiting-retry') AND next_attempt_at <= ?
         ORDER BY next_attempt_at, id LIMIT ?`;

/**
 * The transfer queue in SQLite. The engine never holds the queue in memory: it claims
 * runnable jobs a page at a time, so a million queued jobs cost a million rows on disk and
 * nothing in the heap. Every state change is one short transaction on the single writer
 * connection; adding jobs is batched.
 */
export class JobStore {
  private readonly stmts;
  private readonly pairJobs: PairJobs;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.pairJobs = new PairJobs(db);
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO jobs (kind, state, batch, bucket, key, local_path, source_key, size, next_attempt_at, created_at, updated_at,
           file_size, file_mtime_ns, file_ino, remote_etag, delete_source, pair_id, rel_path, journal_op, source_rel_path)
         VALUES (@kind, 'queued', @batch, @bucket, @key, @localPath, @sourceKey, @size, @now, @now, @now,
           @fileSize, @fileMtimeNs, @fileIno, @expectEtag, @deleteSource, @pairId, @relPath, @journalOp, @sourceRelPath)`,
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
      finish: db.prepare<
        [
          string | null,
          string | null,
          number | null,
          string | null,
          string | null,
          number,
          number,
          number,
        ]
      >(
        `UPDATE jobs SET state = 'done', result_etag = ?, result_crc64 = ?, bytes_done = COALESCE(size, bytes_done),
           file_size = COALESCE(?, file_size), file_mtime_ns = COALESCE(?, file_mtime_ns), file_ino = COALESCE(?, file_ino),
           error_code = NULL, error_message = NULL, error_request_id = NULL, upload_id = NULL, temp_path = NULL,
           updated_at = ?, finished_at = ? WHERE id = ? AND state = 'running'`,
      ),
      setCopied: db.prepare<[string, string | null, number, number]>(
        'UPDATE jobs SET result_etag = ?, result_crc64 = ?, updated_at = ? WHERE id = ?',
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
      setPutIntent: db.prepare<[string, number, string, string, number, number]>(
        `UPDATE jobs SET result_etag = ?, result_crc64 = NULL, file_size = ?, file_mtime_ns = ?, file_ino = ?,
           updated_at = ? WHERE id = ?`,
      ),
      setCopyUpload: db.prepare<[string | null, number | null, number, number]>(
        'UPDATE jobs SET upload_id = ?, part_size = ?, updated_at = ? WHERE id = ?',
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
    for (const job of jobs) checkNewJob(job);
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
            fileSize: job.source?.size ?? null,
            fileMtimeNs: job.source?.mtimeNs.toString() ?? null,
            fileIno: job.source?.ino.toString() ?? null,
            expectEtag: job.expectEtag ?? null,
            deleteSource: job.deleteSource === true ? 1 : 0,
            pairId: job.pair?.pairId ?? null,
            relPath: job.pair?.path ?? null,
            journalOp: job.pair?.journal ?? null,
            sourceRelPath: job.pair?.sourcePath ?? null,
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

  /**
   * A running job succeeded. `source` is the local file identity the transfer read (an
   * upload). A job of a folder pair updates the pair's journal in the same transaction, so
   * the journal never says a path is synced unless its job is done, and never misses a done
   * job; a job no longer running (cancelled meanwhile) changes nothing.
   */
  finish(id: number, result: { etag?: string; crc64?: string; source?: SourceIdentity }): void {
    const now = this.now();
    this.db.transaction(() => {
      const finished = this.stmts.finish.run(
        result.etag ?? null,
        result.crc64 ?? null,
        result.source?.size ?? null,
        result.source?.mtimeNs.toString() ?? null,
        result.source?.ino.toString() ?? null,
        now,
        now,
        id,
      ).changes;
      this.stmts.clearParts.run(id);
      if (finished > 0) this.pairJobs.applyJournal(id, now);
    })();
  }

  /**
   * A move copied its object and is about to delete the source: what the copy produced is
   * kept, so a retry that finds the source gone can tell its own copy from someone else's.
   */
  setCopied(id: number, copied: { etag: string; crc64: string | undefined }): void {
    this.stmts.setCopied.run(copied.etag, copied.crc64 ?? null, this.now(), id);
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

  /**
   * Records the multipart upload of a copy in parts (null forgets it). Unlike setUpload it
   * leaves the job's file identity alone: a rename's journal row is written from it.
   */
  setCopyUpload(id: number, upload: { uploadId: string; partSize: number } | null): void {
    this.stmts.setCopyUpload.run(
      upload?.uploadId ?? null,
      upload?.partSize ?? null,
      this.now(),
      id,
    );
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

  /**
   * Records, before a folder pair's upload sends its one PUT, the ETag the object will have
   * and the identity of the file it was read from: if the file is gone by the time the job
   * can be marked done (a crash came between), the object is still known to be this job's.
   */
  setPutIntent(id: number, etag: string, source: SourceIdentity): void {
    this.stmts.setPutIntent.run(
      etag,
      source.size,
      source.mtimeNs.toString(),
      source.ino.toString(),
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

  /**
   * Whether an unfinished job of the pair syncs `path`, or moves it away (its old path); with
   * `endedSince`, also one that ended at or after that time (this store's clock).
   */
  hasUnfinishedJob(pairId: number, path: string, endedSince?: number): boolean {
    return this.pairJobs.hasUnfinishedJob(pairId, path, endedSince);
  }

  /** The pair's unfinished jobs, and the bytes its uploads and downloads still have to move. */
  pairPending(pairId: number): { files: number; bytes: number } {
    return this.pairJobs.pending(pairId);
  }

  /** See PairJobs.recentRemovals. */
  pairRecentRemovals(pairId: number, since: number): { queued: number; done: number } {
    return this.pairJobs.recentRemovals(pairId, since);
  }

  /**
   * Up to `limit` unfinished jobs of the pair (ids, in no order). To cancel them all (before
   * removing the pair), cancel these and ask again until none is left.
   */
  unfinishedJobsOfPair(pairId: number, limit = 1000): number[] {
    return this.pairJobs.unfinished(pairId, limit);
  }

  /** One page of the pair's failed jobs by path, then id (pass the last one's back as `after`). */
  pairFailedJobs(pairId: number, after?: FailedJobsCursor, limit = 100): Job[] {
    return this.pairJobs.failed(pairId, after, limit);
  }
}
