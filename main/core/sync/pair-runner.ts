import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { lstat } from 'node:fs/promises';
import nodePath from 'node:path';
import type { JobStore } from '../db/job-store.js';
import type { Job } from '../db/job-types.js';
import type { SyncStore } from '../db/sync-store.js';
import { fromDatabaseError, isCoreError } from '../errors.js';
import type { Crc64Pool } from '../hash/crc64-pool.js';
import type { RemoteStore } from '../remote/remote-store.js';
import type { TransferEngine } from '../transfer/engine.js';
import { DirtyPaths } from './dirty-paths.js';
import { keepPendingDeletes, queuePendingDeletes } from './deletes.js';
import { holdingDeletes, pairStatus } from './pair-status.js';
import { PairWatch } from './pair-watch.js';
import { runPass, type PassDeps } from './pass.js';
import { WHOLE_PAIR, type Scope } from './scope.js';
import { purgeTrash } from './special-keys.js';
import { StabilityGate } from './stability.js';
import type { PairConfig, PairStatus } from './types.js';
import type { WatchBackendName, WatchModules } from './watcher.js';

export { pairStatus } from './pair-status.js';

export interface RunnerDeps {
  sync: SyncStore;
  jobs: JobStore;
  engine: TransferEngine;
  remote: RemoteStore;
  crc: Crc64Pool;
  now?: () => number;
}

export interface RunnerOptions {
  /** Watch the folder for changes (otherwise: passes only when asked, and periodic ones). */
  watch: boolean;
  backend?: WatchBackendName | 'auto';
  /** The watcher's backend modules (a test injects a failing one); default: the real ones. */
  watchModules?: WatchModules;
  /** A full pass (listing the bucket too) this often; 0: never. */
  rescanMs?: number;
  /** The full pass interval when the watcher failed. */
  fallbackRescanMs?: number;
  /** A file is uploaded once unchanged for this long. */
  stabilityMs?: number;
  /** How often the trash is purged, at most. */
  purgeEveryMs?: number;
  /** After the watcher failed, try again this long after (doubling up to 8 times as long). */
  rewatchMs?: number;
}

const DEFAULTS = {
  rescanMs: 10 * 60_000,
  fallbackRescanMs: 60_000,
  stabilityMs: 1000,
  purgeEveryMs: 6 * 3_600_000,
  rewatchMs: 5 * 60_000,
};
const DAY = 86_400_000;
const STATUS_EVERY_MS = 250;
const MAX_RETRY_MS = 5 * 60_000;
/** More files of one folder due at once than this: the folder is rescanned instead. */
const COLLAPSE_DUE = 32;

interface PendingPass {
  roots: Set<string>;
  listRemote: boolean;
}

/**
 * One folder pair's loop: passes run one at a time (watch events, the periodic rescan and
 * deferred files only ask for one), the engine works through their jobs meanwhile, and the
 * state the UI shows is derived from what is going on, never stored separately.
 */
export class PairRunner extends EventEmitter<{ status: [PairStatus] }> {
  private readonly now: () => number;
  private readonly options: Required<Omit<RunnerOptions, 'backend' | 'watchModules'>> &
    RunnerOptions;
  private readonly stability: StabilityGate;
  private pending: PendingPass | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  private lastError: string | null = null;
  private failures = 0;
  private watch: PairWatch | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private deferTimer: NodeJS.Timeout | undefined;
  private readonly deferred = new Map<string, number>();
  /** Paths skipped because a job of theirs was unfinished: looked at again when it ends. */
  private readonly busy = new Set<string>();
  /** Looks under way at whether an ended job's file is still there (recheckIfGone). */
  private rechecks = 0;
  private lastPurge = 0;
  private statusTimer: NodeJS.Timeout | undefined;
  private readonly settledWaiters = new Set<() => void>();
  private readonly onJob = (job: Job): void => this.jobChanged(job);

  constructor(
    private readonly deps: RunnerDeps,
    readonly pairId: number,
    options: RunnerOptions,
  ) {
    super();
    this.now = deps.now ?? Date.now;
    this.options = { ...DEFAULTS, ...options };
    this.stability = new StabilityGate({ windowMs: this.options.stabilityMs, now: this.now });
  }

  get pair(): PairConfig {
    const pair = this.deps.sync.getPair(this.pairId);
    if (pair === undefined) throw new Error(`pair ${this.pairId} was removed`);
    return pair;
  }

  /** Starts watching (if asked) and the first full pass, which catches what changed while closed. */
  async start(): Promise<void> {
    this.deps.engine.on('job', this.onJob);
    // Deletions a crash left planned but not queued: queue them, or keep asking.
    if (this.deps.sync.countPendingDeletes(this.pairId) > 0 && !this.holdingDeletes())
      this.enqueueDeletes();
    if (this.options.watch) await this.startWatching(this.pair);
    this.scheduleRescan();
    this.requestPass(WHOLE_PAIR, true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.deps.engine.off('job', this.onJob);
    for (const timer of [this.rescanTimer, this.retryTimer, this.deferTimer, this.statusTimer])
      clearTimeout(timer);
    this.wakeSettled();
    await this.watch?.close();
    await this.running?.catch(() => {});
  }

  /** Asks for a pass over `scope`; passes asked for while one runs are merged into the next. */
  requestPass(scope: Scope, listRemote: boolean): void {
    if (this.stopped) return;
    this.pending ??= { roots: new Set(), listRemote: false };
    for (const root of scope) this.pending.roots.add(root);
    this.pending.listRemote ||= listRemote;
    this.kick();
  }

  pause(): void {
    this.deps.sync.setPaused(this.pairId, true);
    this.emitStatus();
  }

  resume(): void {
    this.deps.sync.setPaused(this.pairId, false);
    this.requestPass(WHOLE_PAIR, true);
  }

  /** The user said yes to the held deletions. */
  confirmDeletes(): number {
    const count = this.deps.sync.countPendingDeletes(this.pairId);
    queuePendingDeletes(this.deps.sync, this.deps.engine, this.pair, this.now(), true);
    this.kick();
    return count;
  }

  /** The user said no to the held deletions: the objects stay (deletes.ts). */
  rejectDeletes(): number {
    const count = keepPendingDeletes(this.deps.sync, this.pairId);
    this.kick();
    return count;
  }

  status(): PairStatus {
    return pairStatus(this.deps, this.pair, {
      running: this.running !== undefined,
      error: this.lastError,
      watchDetail: this.watch?.detail ?? null,
      watching: this.watch?.mode ?? 'off',
    });
  }

  /**
   * Resolves once nothing is left to do: no pass running or asked for, no file waiting to
   * become stable, no unfinished job of the pair, no look under way at an ended job's file
   * (it may ask for a pass); or once the runner was stopped. (A one-shot `ossync sync` waits
   * for this.)
   */
  async settled(): Promise<PairStatus> {
    for (;;) {
      const status = this.status();
      // A stopped runner does nothing more: waiting longer would wait forever.
      if (this.stopped || this.isSettled(status)) return status;
      await new Promise<void>((resolve) => this.settledWaiters.add(resolve));
    }
  }

  private isSettled(status: PairStatus): boolean {
    // A look at an ended job's file may still ask for a pass: not settled until it is done.
    if (this.running !== undefined || this.rechecks > 0) return false;
    // Stuck until someone acts: settled as far as waiting goes.
    if (['paused', 'waiting-for-confirmation', 'error'].includes(status.state)) return true;
    return (
      this.pending === undefined &&
      this.deferred.size === 0 &&
      this.busy.size === 0 &&
      status.counters.filesPending === 0
    );
  }

  private holdingDeletes(): boolean {
    return holdingDeletes(this.deps.sync, this.deps.jobs, this.pair, this.now());
  }

  private kick(): void {
    this.emitStatus();
    if (this.running !== undefined || this.stopped || this.pending === undefined) return;
    if (this.pair.paused || this.holdingDeletes()) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      this.emitStatus();
      this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (this.pending !== undefined && !this.stopped && !this.pair.paused) {
      const request = this.pending;
      this.pending = undefined;
      this.emitStatus();
      try {
        await this.pass([...request.roots], request.listRemote);
        this.lastError = null;
        this.failures = 0;
      } catch (error) {
        if (this.stopped) return;
        this.lastError = isCoreError(error)
          ? error.message
          : `Sync pass failed: ${(error as Error).message}`;
        this.retryLater(request);
        return;
      }
    }
  }

  private async pass(roots: string[], listRemote: boolean): Promise<void> {
    const { deps } = this;
    const pair = this.pair;
    const batch = `sync-${pair.id}-${new Date(this.now()).toISOString()}-${randomBytes(3).toString('hex')}`;
    const passDeps: PassDeps = { ...deps, stability: this.stability, now: this.now };
    const result = await runPass(passDeps, {
      pair,
      scope: roots,
      listRemote,
      batch,
      signal: this.abort.signal,
    });
    for (const { path, at } of result.deferred) this.deferred.set(path, at);
    // A busy path's job may have ended while the pass went on (its event found nothing in
    // `busy` then): look at such a path again now, or it would wait for a job that is over.
    const over: string[] = [];
    for (const path of result.busy) {
      if (deps.jobs.hasUnfinishedJob(pair.id, path)) this.busy.add(path);
      else over.push(path);
    }
    if (over.length > 0) this.requestPass(over, false);
    this.scheduleDeferred();
    if (deps.sync.countPendingDeletes(pair.id) > 0 && !this.holdingDeletes()) this.enqueueDeletes();
    if (listRemote && roots.includes('')) {
      deps.sync.setLastSynced(pair.id, this.now());
      await this.purgeIfDue(pair);
    }
  }

  private enqueueDeletes(): void {
    queuePendingDeletes(this.deps.sync, this.deps.engine, this.pair, this.now(), false);
  }

  private async purgeIfDue(pair: PairConfig): Promise<void> {
    if (this.now() - this.lastPurge < this.options.purgeEveryMs) return;
    this.lastPurge = this.now();
    await purgeTrash(
      this.deps.remote,
      pair.bucket,
      pair.prefix,
      this.now() - pair.trashRetentionDays * DAY,
      this.abort.signal,
    );
  }

  private retryLater(request: PendingPass): void {
    this.failures++;
    const delay = Math.min(MAX_RETRY_MS, 1000 * 2 ** Math.min(this.failures, 10));
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.requestPass([...request.roots], request.listRemote);
    }, delay);
    this.retryTimer.unref();
  }

  private scheduleDeferred(): void {
    clearTimeout(this.deferTimer);
    if (this.deferred.size === 0) return;
    const next = Math.min(...this.deferred.values());
    this.deferTimer = setTimeout(
      () => {
        const due = [...this.deferred].filter(([, at]) => at <= this.now()).map(([p]) => p);
        for (const path of due) this.deferred.delete(path);
        if (due.length > 0) this.requestPass(collapse(due), false);
        this.scheduleDeferred();
      },
      Math.max(0, next - this.now()),
    );
  }

  private scheduleRescan(): void {
    clearInterval(this.rescanTimer);
    const every =
      this.watch?.mode === 'periodic-scan' ? this.options.fallbackRescanMs : this.options.rescanMs;
    if (every <= 0) return;
    this.rescanTimer = setInterval(() => this.requestPass(WHOLE_PAIR, true), every);
    this.rescanTimer.unref();
  }

  private async startWatching(pair: PairConfig): Promise<void> {
    this.watch = new PairWatch({
      root: pair.localRoot,
      patterns: pair.ignore,
      backend: this.options.backend ?? 'auto',
      ...(this.options.watchModules ? { modules: this.options.watchModules } : {}),
      fallbackRescanMs: this.options.fallbackRescanMs,
      rewatchMs: this.options.rewatchMs,
      onDirty: (scope) => this.requestPass(scope, false),
      // Failed: frequent full passes; watching again: what changed meanwhile, then events.
      onModeChange: () => {
        if (this.stopped) return;
        this.scheduleRescan();
        this.requestPass(WHOLE_PAIR, true);
      },
    });
    await this.watch.start();
  }

  private jobChanged(job: Job): void {
    if (job.pair?.pairId !== this.pairId) return;
    const path = job.pair.path;
    if (job.state === 'failed' && job.error) {
      try {
        this.deps.sync.setIssue(this.pairId, {
          path,
          code: 'transfer-failed',
          message: job.error.message,
        });
      } catch (error) {
        // This runs inside the engine's job event: a throw would break the engine's
        // bookkeeping. The failed job itself stays listed with its error.
        if (fromDatabaseError(error) === undefined) throw error;
      }
    }
    if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled') {
      // A move keeps its old path busy too (hasUnfinishedJob says so): free both.
      const again = [path, job.pair.sourcePath].filter(
        (p): p is string => p !== undefined && this.busy.delete(p),
      );
      if (again.length > 0) this.requestPass(again, false);
      // A move frees its source above: its target may still need a look.
      if (job.state === 'done' && job.pair.journal === 'put' && !again.includes(path)) {
        this.rechecks++;
        void this.recheckIfGone(path).finally(() => {
          this.rechecks--;
          this.emitStatus();
        });
      }
    }
    this.emitStatus();
  }

  /**
   * A job planned before its file went away (queued, then the file deleted or renamed while
   * the app was down) lands an object no pass saw coming: the pass that ran meanwhile found
   * the path on no side, so it never marked it busy. If the file is gone now, look again, or
   * the object would stay until the next full pass.
   */
  private async recheckIfGone(p: string): Promise<void> {
    try {
      await lstat(nodePath.join(this.pair.localRoot, p));
    } catch (error) {
      if (!this.stopped && (error as NodeJS.ErrnoException).code === 'ENOENT')
        this.requestPass([p], false);
    }
  }

  private emitStatus(): void {
    // Whoever waits for settled() looks at once (the status event is coalesced for the UI;
    // a one-shot sync should not wait for it).
    this.wakeSettled();
    if (this.statusTimer !== undefined || this.stopped) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      if (this.stopped) return;
      this.emit('status', this.status());
    }, STATUS_EVERY_MS);
  }

  private wakeSettled(): void {
    if (this.settledWaiters.size === 0) return;
    const waiters = [...this.settledWaiters];
    this.settledWaiters.clear();
    for (const wake of waiters) wake();
  }
}

/**
 * Paths due again, as few scopes as DirtyPaths makes of watcher events: a burst of new files
 * in one folder comes due together, and one scan (and listing) of their folder costs far less
 * than a scope root (and a HEAD) per file.
 */
function collapse(paths: readonly string[]): string[] {
  const dirty = new DirtyPaths({ collapseThreshold: COLLAPSE_DUE });
  dirty.add(paths);
  const scopes = dirty.flush();
  dirty.close();
  // Never the whole pair: a scan of the whole tree for a few dozen files at its top costs
  // more than looking at each of them (a whole-pair pass lists nothing either).
  return scopes.includes('') ? [...paths] : scopes;
}
