import { EventEmitter } from 'node:events';
import type { JobStore } from '../db/job-store.js';
import type { Job, JobState, NewJob } from '../db/job-types.js';
import { CoreError, fromDatabaseError, isCoreError } from '../errors.js';
import type { LocalFs } from '../fs/local-fs.js';
import type { Crc64Pool } from '../hash/crc64-pool.js';
import type { RemoteStore } from '../remote/remote-store.js';
import { BandwidthLimiter } from './bandwidth.js';
import type { TransferContext, TransferSettings } from './context.js';
import { runDownload } from './download.js';
import {
  OfflineMonitor,
  type Connectivity,
  type OfflineMonitorOptions,
} from './offline-monitor.js';
import { ProgressTracker, type ProgressSnapshot } from './progress.js';
import { RetryPolicy } from './retry-policy.js';
import { Semaphore } from './semaphore.js';
import {
  DEFAULT_COPY_PART_SIZE,
  MAX_COPY_BYTES,
  abandonCopyUpload,
  runCopy,
  runDelete,
} from './server-side.js';
import { abandonUpload, landedEarlier, runUpload, type TransferResult } from './upload.js';

export interface EngineLimits {
  /** Files transferring at once. */
  maxFiles: number;
  /** Parts of one file in flight. */
  maxPartsPerFile: number;
  /** Parts in flight across all files. */
  maxParts: number;
  /** Bytes per second, undefined for unlimited. */
  uploadBytesPerSecond: number | undefined;
  downloadBytesPerSecond: number | undefined;
}

export interface EngineOptions
  extends Partial<EngineLimits>, Partial<Omit<TransferSettings, 'maxPartsPerFile'>> {
  retry?: RetryPolicy;
  /** Consecutive unreachable failures (across jobs) before going offline. */
  offlineThreshold?: number;
  /** While offline, how often the endpoint is probed (defaults: OfflineMonitor's). */
  offlineProbe?: Pick<OfflineMonitorOptions, 'probeInitialMs' | 'probeMaxMs' | 'random'>;
  progressIntervalMs?: number;
  now?: () => number;
}

export interface EngineEvents {
  /** A job changed state (started, finished, failed, waiting, paused, cancelled). */
  job: [Job];
  progress: [ProgressSnapshot];
  connectivity: [Connectivity];
}

/** Defaults for a home connection: a few files at once, a few parts each. */
export const DEFAULT_LIMITS: EngineLimits = {
  maxFiles: 4,
  maxPartsPerFile: 4,
  maxParts: 8,
  uploadBytesPerSecond: undefined,
  downloadBytesPerSecond: undefined,
};

const ACTIVE: readonly JobState[] = ['queued', 'running', 'waiting-retry', 'paused'];
/** After the state database refused a write, the scheduler tries again this long after. */
const DATABASE_RETRY_MS = 1000;

interface Running {
  job: Job;
  abort: AbortController;
  /** Why the engine stopped it, if it did (otherwise a failure is a failure). */
  stop?: 'pause' | 'cancel' | 'shutdown';
  settled: Promise<void>;
}

/**
 * The transfer engine: runs the jobs of the SQLite queue with bounded concurrency,
 * retries with persisted backoff, goes offline when the endpoint is unreachable and comes
 * back by itself. It holds only the running jobs in memory.
 */
export class TransferEngine extends EventEmitter<EngineEvents> {
  private readonly ctx: TransferContext;
  private readonly store: JobStore;
  private readonly retry: RetryPolicy;
  private readonly offline: OfflineMonitor;
  private readonly now: () => number;
  private readonly running = new Map<number, Running>();
  private limits: EngineLimits;
  private started = false;
  private stopped = false;
  private paused = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private waitingOnline = false;
  private lastBucket: string | undefined;
  private readonly batchWaiters = new Map<string, Set<() => void>>();
  /**
   * Jobs whose end could not be recorded (the state database refused the write): their rows
   * still say running. The scheduler queues them again once the database takes writes.
   */
  private readonly unrecorded = new Set<number>();

  constructor(
    deps: { store: JobStore; remote: RemoteStore; fs: LocalFs; crc: Crc64Pool },
    options: EngineOptions = {},
  ) {
    super();
    this.store = deps.store;
    this.now = options.now ?? Date.now;
    this.limits = {
      maxFiles: options.maxFiles ?? DEFAULT_LIMITS.maxFiles,
      maxPartsPerFile: options.maxPartsPerFile ?? DEFAULT_LIMITS.maxPartsPerFile,
      maxParts: options.maxParts ?? DEFAULT_LIMITS.maxParts,
      uploadBytesPerSecond: options.uploadBytesPerSecond,
      downloadBytesPerSecond: options.downloadBytesPerSecond,
    };
    this.retry = options.retry ?? new RetryPolicy();
    this.ctx = {
      store: deps.store,
      remote: deps.remote,
      fs: deps.fs,
      crc: deps.crc,
      upload: new BandwidthLimiter({ bytesPerSecond: this.limits.uploadBytesPerSecond }),
      download: new BandwidthLimiter({ bytesPerSecond: this.limits.downloadBytesPerSecond }),
      progress: new ProgressTracker({
        emit: (snapshot) => this.emit('progress', snapshot),
        ...(options.progressIntervalMs === undefined
          ? {}
          : { intervalMs: options.progressIntervalMs }),
      }),
      partSlots: new Semaphore(this.limits.maxParts),
      settings: {
        multipartThreshold: options.multipartThreshold ?? 8 * 1024 * 1024,
        partSize: options.partSize ?? 8 * 1024 * 1024,
        maxPartsPerFile: this.limits.maxPartsPerFile,
        maxCopyBytes: options.maxCopyBytes ?? MAX_COPY_BYTES,
        copyPartSize: options.copyPartSize ?? DEFAULT_COPY_PART_SIZE,
      },
    };
    this.offline = new OfflineMonitor({
      probe: (signal) => this.probe(signal),
      ...(options.offlineThreshold === undefined ? {} : { threshold: options.offlineThreshold }),
      ...options.offlineProbe,
    });
    this.offline.onChange((state) => {
      this.emit('connectivity', state);
      if (state === 'online') this.pump();
    });
  }

  /** Queues jobs left running by a crash again, then starts working through the queue. */
  start(): void {
    if (this.started) return;
    this.store.recoverInterrupted();
    this.started = true;
    this.pump();
  }

  /** Adds jobs (one transaction) and wakes the scheduler. */
  add(jobs: readonly NewJob[]): number[] {
    const ids = this.store.add(jobs);
    this.pump();
    return ids;
  }

  get connectivity(): Connectivity {
    return this.offline.state;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  getLimits(): EngineLimits {
    return { ...this.limits };
  }

  /** Changes limits while transfers run. */
  setLimits(limits: Partial<EngineLimits>): void {
    this.limits = { ...this.limits, ...limits };
    this.ctx.partSlots.setLimit(this.limits.maxParts);
    this.ctx.settings.maxPartsPerFile = this.limits.maxPartsPerFile;
    this.ctx.upload.setRate(this.limits.uploadBytesPerSecond);
    this.ctx.download.setRate(this.limits.downloadBytesPerSecond);
    this.pump();
  }

  /** Global pause: running transfers stop (their finished parts are kept), nothing new starts. */
  pauseAll(): void {
    this.paused = true;
    this.store.pauseAllWaiting();
    for (const run of this.running.values()) this.stopRun(run, 'pause');
  }

  resumeAll(): void {
    this.paused = false;
    this.store.resumeAllPaused();
    this.pump();
  }

  pause(id: number): void {
    const run = this.running.get(id);
    if (run) this.stopRun(run, 'pause');
    else if (['queued', 'waiting-retry'].includes(this.store.get(id)?.state ?? ''))
      this.setState(id, 'paused');
  }

  resume(id: number): void {
    if (this.store.get(id)?.state === 'paused') this.retryJob(id);
  }

  /** Queues a failed, cancelled, waiting or paused job again now, with a fresh attempt count. */
  retryJob(id: number): boolean {
    const retried = this.store.retry(id);
    if (retried) {
      this.emitJob(id);
      this.pump();
    }
    return retried;
  }

  /** Cancels a job; a multipart upload it began is aborted on the server. */
  async cancel(id: number): Promise<void> {
    const run = this.running.get(id);
    if (run) {
      this.stopRun(run, 'cancel');
      await run.settled;
      return;
    }
    const job = this.store.get(id);
    if (!job || ['done', 'cancelled'].includes(job.state)) return;
    this.setState(id, 'cancelled');
    await this.cleanUpCancelled(job);
  }

  /** Resolves when no job of the batch is queued, running, waiting or paused, or the engine stopped. */
  async waitForBatch(batch: string): Promise<Record<JobState, number>> {
    for (;;) {
      const counts = this.store.counts(batch);
      if (this.stopped || ACTIVE.every((state) => counts[state] === 0)) return counts;
      await new Promise<void>((resolve) => {
        const set = this.batchWaiters.get(batch) ?? new Set();
        set.add(resolve);
        this.batchWaiters.set(batch, set);
      });
    }
  }

  /**
   * Aborts multipart uploads under `prefix` that no job owns and that began more than
   * `graceMs` ago: left by a crash before they were recorded, or by another tool.
   */
  async abortOrphanUploads(
    bucket: string,
    prefix: string,
    graceMs = 24 * 3600 * 1000,
  ): Promise<number> {
    const owned = new Set(this.store.ownedUploads().map((upload) => upload.uploadId));
    const uploads = await this.ctx.remote.listMultipartUploads(bucket, prefix);
    let aborted = 0;
    for (const upload of uploads) {
      if (owned.has(upload.uploadId) || upload.initiated.getTime() > this.now() - graceMs) continue;
      try {
        await this.ctx.remote.abortMultipartUpload(bucket, upload.key, upload.uploadId);
        aborted++;
      } catch (error) {
        if (!isCoreError(error) || error.code !== 'no-such-upload') throw error;
      }
    }
    return aborted;
  }

  progress(): ProgressSnapshot {
    return this.ctx.progress.snapshot();
  }

  /** Stops running transfers (they are queued again, parts kept) and waits for them. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.wakeTimer);
    const runs = [...this.running.values()];
    for (const run of runs) this.stopRun(run, 'shutdown');
    await Promise.all(runs.map((run) => run.settled));
    this.offline.close();
    this.ctx.progress.close();
    for (const set of this.batchWaiters.values()) for (const wake of set) wake();
  }

  // ---- scheduling

  private pump(): void {
    if (!this.started || this.stopped || this.paused) return;
    if (this.offline.state === 'offline') {
      if (!this.waitingOnline) {
        this.waitingOnline = true;
        void this.offline.whenOnline().then(
          () => {
            this.waitingOnline = false;
            this.pump();
          },
          // Rejected only by close(): the engine is stopping, there is nothing to pump.
          () => {
            this.waitingOnline = false;
          },
        );
      }
      return;
    }
    const free = this.limits.maxFiles - this.running.size;
    let claimed: Job[];
    try {
      this.requeueUnrecorded();
      claimed = free > 0 ? this.store.claim(free) : [];
    } catch (error) {
      // The state database refused the write (disk full, I/O error): nothing was claimed
      // (the transaction rolled back). Try again shortly instead of waiting for the next add.
      if (fromDatabaseError(error) === undefined) throw error;
      clearTimeout(this.wakeTimer);
      this.wakeTimer = setTimeout(() => this.pump(), DATABASE_RETRY_MS);
      this.wakeTimer.unref?.();
      return;
    }
    for (const job of claimed) this.launch(job);
    if (claimed.length < free) this.scheduleWake();
  }

  private requeueUnrecorded(): void {
    for (const id of this.unrecorded) {
      this.store.requeue(id, 'queued');
      this.unrecorded.delete(id);
      this.emitJob(id);
    }
  }

  /** Wakes the scheduler when the earliest waiting job becomes due. */
  private scheduleWake(): void {
    clearTimeout(this.wakeTimer);
    const due = this.store.nextDueAt();
    if (due === undefined) return;
    // Timers past 2^31 ms overflow; a minute-long nap is re-armed anyway.
    const delay = Math.min(Math.max(0, due - this.now()), 60_000);
    this.wakeTimer = setTimeout(() => this.pump(), delay);
    this.wakeTimer.unref?.();
  }

  private launch(job: Job): void {
    const abort = new AbortController();
    const run: Running = { job, abort, settled: Promise.resolve() };
    run.settled = this.execute(run);
    this.running.set(job.id, run);
    this.lastBucket = job.bucket;
    this.emit('job', job);
  }

  private async execute(run: Running): Promise<void> {
    const { job } = run;
    try {
      const result = await this.perform(job, run.abort.signal);
      this.store.finish(job.id, result);
      this.offline.recordSuccess();
    } catch (error) {
      try {
        // A failed finish() lands here too: its transaction rolled back, so the job is still
        // running and is tried again like any failure ('database' is retryable).
        await this.settleFailure(run, error);
      } catch (recordError) {
        if (fromDatabaseError(recordError) === undefined) throw recordError;
        this.unrecorded.add(job.id);
      }
    } finally {
      this.running.delete(job.id);
      this.ctx.progress.finish(job.id);
      this.emitJob(job.id);
      this.pump();
    }
  }

  private perform(job: Job, signal: AbortSignal): Promise<TransferResult> {
    switch (job.kind) {
      case 'upload':
        return runUpload(this.ctx, job, signal);
      case 'download':
        return runDownload(this.ctx, job, signal);
      case 'delete':
        return runDelete(this.ctx, job, signal);
      case 'copy':
        return runCopy(this.ctx, job, signal);
    }
  }

  private async settleFailure(run: Running, error: unknown): Promise<void> {
    const { job } = run;
    switch (run.stop) {
      case 'pause':
        this.store.requeue(job.id, 'paused');
        return;
      case 'shutdown':
        this.store.requeue(job.id, 'queued');
        return;
      case 'cancel':
        this.store.setState(job.id, 'cancelled');
        await this.cleanUpCancelled(this.store.get(job.id) ?? job);
        return;
      case undefined:
        break;
    }
    const failure = toCoreError(error);
    if (job.pair !== null && job.kind === 'upload' && failure.code === 'local-not-found') {
      // A folder pair's file moved or deleted: if what the job sent had landed (a crash came
      // between OSS's commit and the job's end), the job is done, so the pair's journal knows
      // the object and its next pass deletes or moves it like any synced file's. Otherwise the
      // job is superseded, not failed (the pair looks at the path again when it ends), and the
      // multipart upload it began is aborted like any cancelled job's: as a failed job it kept
      // that upload on the server for good, since the orphan sweep leaves uploads jobs own.
      const current = this.store.get(job.id) ?? job;
      const landed = await landedEarlier(this.ctx, current).catch(() => undefined);
      if (landed !== undefined) {
        this.store.finish(job.id, landed);
        return;
      }
      this.store.setState(job.id, 'cancelled');
      await this.cleanUpCancelled(current);
      return;
    }
    this.offline.recordFailure(failure);
    if (failure.unreachable && this.offline.state === 'offline') {
      // The endpoint is gone, not this job: do not burn its attempts while offline.
      this.store.requeue(job.id, 'queued');
      return;
    }
    // A big upload on a flaky link fails many attempts while it advances part by part: an
    // attempt that landed parts starts the count afresh, so maxAttempts bounds the attempts
    // in a row that got nowhere, not the size of the file.
    let attempts = job.attempts;
    if ((this.store.get(job.id)?.bytesDone ?? 0) > job.bytesDone) {
      this.store.restartAttempts(job.id);
      attempts = 1;
    }
    const decision = this.retry.decide(failure, attempts);
    const recorded = {
      code: failure.code,
      message: failure.message,
      ...(failure.requestId === undefined ? {} : { requestId: failure.requestId }),
    };
    if (decision.retry) this.store.retryAt(job.id, this.now() + decision.delayMs, recorded);
    else this.store.fail(job.id, recorded);
  }

  private stopRun(run: Running, reason: 'pause' | 'cancel' | 'shutdown'): void {
    // A cancel wins over a pause or shutdown already under way.
    run.stop = reason === 'cancel' ? 'cancel' : (run.stop ?? reason);
    run.abort.abort();
  }

  private async cleanUpCancelled(job: Job): Promise<void> {
    try {
      if (job.kind === 'upload' && job.uploadId) await abandonUpload(this.ctx, job);
      if (job.kind === 'copy' && job.uploadId) await abandonCopyUpload(this.ctx, job);
      if (job.kind === 'download' && job.tempPath) {
        await this.ctx.fs.remove(job.tempPath);
        this.store.setDownload(job.id, null);
      }
    } catch {
      // Unreachable endpoint: the orphan sweep at the next start aborts the upload.
    }
  }

  private setState(id: number, state: JobState): void {
    this.store.setState(id, state);
    this.emitJob(id);
  }

  private emitJob(id: number): void {
    const job = this.store.get(id);
    if (!job) return;
    this.emit('job', job);
    // While a job of the batch runs, the batch cannot be done: waking its waiters would only
    // have them count the whole batch again (O(batch) each, O(batch²) over a big batch).
    // The last running job's own emitJob comes after it left `running`, so none is missed.
    if (job.batch !== null && !this.isRunningBatch(job.batch)) {
      const waiters = this.batchWaiters.get(job.batch);
      if (waiters) {
        this.batchWaiters.delete(job.batch);
        for (const wake of waiters) wake();
      }
    }
  }

  private isRunningBatch(batch: string): boolean {
    for (const run of this.running.values()) if (run.job.batch === batch) return true;
    return false;
  }

  private async probe(signal: AbortSignal): Promise<void> {
    // Any answer, even 404 or AccessDenied, proves the endpoint is reachable.
    if (this.lastBucket === undefined) return;
    try {
      await this.ctx.remote.headObject(this.lastBucket, '.ossync-probe', { signal });
    } catch (error) {
      if (isCoreError(error) && error.unreachable) throw error;
    }
  }
}

function toCoreError(error: unknown): CoreError {
  if (isCoreError(error)) return error;
  const database = fromDatabaseError(error);
  if (database !== undefined) return database;
  const message = error instanceof Error ? error.message : String(error);
  return new CoreError('unknown', `Unexpected error: ${message}`, { cause: error });
}
