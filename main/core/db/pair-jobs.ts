import { CoreError } from '../errors.js';
import type { Db } from './database.js';
import { toJob, type JobRow } from './job-rows.js';
import type { Job, JournalOp, NewJob } from './job-types.js';
import { JOURNAL_DELETE_SQL, JOURNAL_UPSERT_SQL } from './journal-rows.js';

const UNFINISHED = `('queued', 'running', 'waiting-retry', 'paused')`;
const ENDED = `('done', 'failed', 'cancelled')`;

/** Where a page of a pair's failed jobs ends: pass the last job's path and id back. */
export interface FailedJobsCursor {
  path: string;
  id: number;
}

interface FinishedRow {
  kind: Job['kind'];
  key: string;
  pair_id: number | null;
  rel_path: string | null;
  journal_op: JournalOp | null;
  source_rel_path: string | null;
  file_size: number | null;
  file_mtime_ns: string | null;
  file_ino: string | null;
  result_etag: string | null;
  result_crc64: string | null;
}

/**
 * The jobs of folder pairs: the journal write a finished job makes (inside JobStore.finish's
 * transaction), and the queries the pair runner asks of the queue. Indexed by jobs_by_pair
 * (pair_id, state, rel_path) and jobs_by_pair_source, so none of them scans the queue.
 */
export class PairJobs {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      finished: db.prepare<[number], FinishedRow>(
        `SELECT kind, key, pair_id, rel_path, journal_op, source_rel_path, file_size, file_mtime_ns, file_ino,
           result_etag, result_crc64 FROM jobs WHERE id = ?`,
      ),
      upsert: db.prepare(JOURNAL_UPSERT_SQL),
      remove: db.prepare<[number, string]>(JOURNAL_DELETE_SQL),
      busy: db.prepare<[{ pairId: number; path: string }], { busy: number }>(
        `SELECT EXISTS (SELECT 1 FROM jobs INDEXED BY jobs_by_pair
                          WHERE pair_id = @pairId AND state IN ${UNFINISHED} AND rel_path = @path)
             OR EXISTS (SELECT 1 FROM jobs INDEXED BY jobs_by_pair_source
                          WHERE pair_id = @pairId AND source_rel_path = @path AND state IN ${UNFINISHED}) AS busy`,
      ),
      busySince: db.prepare<[{ pairId: number; path: string; since: number }], { busy: number }>(
        `SELECT EXISTS (SELECT 1 FROM jobs INDEXED BY jobs_by_pair
                          WHERE pair_id = @pairId AND state IN ${UNFINISHED} AND rel_path = @path)
             OR EXISTS (SELECT 1 FROM jobs INDEXED BY jobs_by_pair
                          WHERE pair_id = @pairId AND state IN ${ENDED} AND rel_path = @path AND updated_at >= @since)
             OR EXISTS (SELECT 1 FROM jobs INDEXED BY jobs_by_pair_source
                          WHERE pair_id = @pairId AND source_rel_path = @path
                            AND (state IN ${UNFINISHED} OR updated_at >= @since)) AS busy`,
      ),
      // Bytes still to send or receive: a copy or delete moves none through this computer.
      pending: db.prepare<[number], { files: number; bytes: number }>(
        `SELECT COUNT(*) AS files,
           COALESCE(SUM(CASE WHEN kind IN ('upload', 'download') THEN MAX(COALESCE(size, 0) - bytes_done, 0) ELSE 0 END), 0) AS bytes
         FROM jobs INDEXED BY jobs_by_pair WHERE pair_id = ? AND state IN ${UNFINISHED}`,
      ),
      // Deletions queued without the user's confirmation since a time (the guard's window).
      recentRemovals: db.prepare<[number, number], { queued: number; done: number }>(
        `SELECT COUNT(*) AS queued, COALESCE(SUM(state = 'done'), 0) AS done
         FROM jobs INDEXED BY jobs_by_pair
         WHERE pair_id = ? AND journal_op = 'remove' AND created_at >= ?
           AND state NOT IN ('failed', 'cancelled') AND batch NOT LIKE '%-confirmed-%'`,
      ),
      unfinished: db.prepare<[number, number], { id: number }>(
        `SELECT id FROM jobs INDEXED BY jobs_by_pair WHERE pair_id = ? AND state IN ${UNFINISHED} LIMIT ?`,
      ),
      failed: db.prepare<[number, string, number, number], JobRow>(
        `SELECT * FROM jobs INDEXED BY jobs_by_pair WHERE pair_id = ? AND state = 'failed' AND (rel_path, id) > (?, ?)
         ORDER BY rel_path, id LIMIT ?`,
      ),
    };
  }

  /**
   * Applies the journal op of job `id`, which has just been marked done in the caller's
   * transaction. A 'put' without the local identity or the result's CRC64 and ETag would be
   * a half row that later passes trust: it throws instead (a bug), so the transaction rolls
   * back and the job fails visibly; the next pass compares the path again.
   */
  applyJournal(id: number, now: number): void {
    const row = this.stmts.finished.get(id);
    if (!row || row.pair_id === null || row.rel_path === null || row.journal_op === null) return;
    if (row.journal_op === 'put') {
      const missing = [
        row.file_size === null || row.file_mtime_ns === null || row.file_ino === null
          ? 'the local file identity'
          : undefined,
        row.result_crc64 === null || row.result_crc64 === '' ? 'the CRC64' : undefined,
        row.result_etag === null || row.result_etag === '' ? 'the ETag' : undefined,
      ].filter((what) => what !== undefined);
      if (missing.length > 0) {
        throw new CoreError(
          'unknown',
          `Job ${id} (${row.kind} of ${row.key}) finished without ${missing.join(' and ')}, so the sync journal cannot record "${row.rel_path}" (a bug in OSSync); the next sync pass compares it again.`,
          { subject: row.key },
        );
      }
      this.stmts.upsert.run({
        pairId: row.pair_id,
        path: row.rel_path,
        size: row.file_size,
        mtimeNs: row.file_mtime_ns,
        ino: row.file_ino,
        crc64: row.result_crc64,
        remoteEtag: row.result_etag,
        remoteCrc64: row.result_crc64,
        syncedAt: now,
      });
    } else {
      this.stmts.remove.run(row.pair_id, row.rel_path);
    }
    if (row.source_rel_path !== null && row.source_rel_path !== row.rel_path)
      this.stmts.remove.run(row.pair_id, row.source_rel_path);
  }

  /**
   * Whether a job of the pair that is not finished syncs `path` (or moves it away); with
   * `endedSince`, also one that ended at or after that time.
   */
  hasUnfinishedJob(pairId: number, path: string, endedSince?: number): boolean {
    if (endedSince === undefined) return this.stmts.busy.get({ pairId, path })?.busy === 1;
    return this.stmts.busySince.get({ pairId, path, since: endedSince })?.busy === 1;
  }

  /** Unfinished jobs of the pair, and the bytes they still have to transfer. */
  pending(pairId: number): { files: number; bytes: number } {
    const row = this.stmts.pending.get(pairId);
    return { files: row?.files ?? 0, bytes: row?.bytes ?? 0 };
  }

  /**
   * Deletions of the pair queued since `since` without confirmation (confirmed batches have
   * `-confirmed-` in their name), and how many of them are done (their journal rows gone).
   */
  recentRemovals(pairId: number, since: number): { queued: number; done: number } {
    const row = this.stmts.recentRemovals.get(pairId, since);
    return { queued: row?.queued ?? 0, done: row?.done ?? 0 };
  }

  /** Ids of up to `limit` unfinished jobs of the pair, in no order. */
  unfinished(pairId: number, limit: number): number[] {
    return this.stmts.unfinished.all(pairId, limit).map((row) => row.id);
  }

  /** One page of the pair's failed jobs, by path (then id). */
  failed(pairId: number, after: FailedJobsCursor | undefined, limit: number): Job[] {
    return this.stmts.failed.all(pairId, after?.path ?? '', after?.id ?? 0, limit).map(toJob);
  }
}

/**
 * Refuses a job whose pair link cannot work, when it is added rather than after its
 * transfer: the journal op must fit the kind, and a copy's 'put' needs the local identity.
 */
export function checkNewJob(job: NewJob): void {
  const problem = describeProblem(job);
  if (problem !== undefined) {
    throw new CoreError(
      'invalid-request',
      `Cannot queue the ${job.kind} of ${job.key}: ${problem}.`,
      {
        subject: job.key,
      },
    );
  }
}

function describeProblem(job: NewJob): string | undefined {
  if (job.kind !== 'copy' && job.deleteSource === true)
    return 'deleteSource applies to copies only';
  if (job.kind !== 'copy' && job.kind !== 'delete' && job.expectEtag !== undefined)
    return 'expectEtag applies to copies and deletes only';
  if (job.kind === 'copy' && job.sourceKey === undefined) return 'a copy needs a source key';
  const pair = job.pair;
  if (pair === undefined) return undefined;
  if (pair.path === '') return 'the pair path is empty';
  if (pair.journal === 'put') {
    if (job.kind === 'copy' && job.source === undefined)
      return 'a copy that records a synced file needs the local file identity (source)';
    if (job.kind !== 'upload' && job.kind !== 'copy')
      return `a ${job.kind} cannot record a synced file`;
  } else if (job.kind !== 'delete' && !(job.kind === 'copy' && job.deleteSource === true)) {
    return `a ${job.kind} cannot remove a synced file (only a delete or a move can)`;
  }
  return undefined;
}
