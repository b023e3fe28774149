import { EventEmitter } from 'node:events';
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PairPatch } from '../db/sync-store.js';
import { CoreError } from '../errors.js';
import { normalizePrefix } from './keys.js';
import { keepPendingDeletes, queuePendingDeletes } from './deletes.js';
import { PairRunner, pairStatus, type RunnerDeps, type RunnerOptions } from './pair-runner.js';
import {
  DELETE_MODES,
  SYNC_MODES,
  type NewPair,
  type PairConfig,
  type PairStatus,
} from './types.js';

const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

function within(inner: string, outer: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The real path of `dir`, or of its nearest existing folder with the rest appended. */
function realOrResolved(dir: string): string {
  const resolved = path.resolve(dir);
  try {
    return realpathSync(resolved);
  } catch {
    const parent = path.dirname(resolved);
    return parent === resolved
      ? resolved
      : path.join(realOrResolved(parent), path.basename(resolved));
  }
}

function invalid(message: string): CoreError {
  return new CoreError('invalid-argument', message);
}

/**
 * The folder pairs of one account and their runners: what the CLI and the service layer
 * drive. Adding a pair checks everything that would make two syncs fight or a sync write
 * where it must not.
 */
export class SyncManager extends EventEmitter<{ status: [PairStatus] }> {
  private readonly runners = new Map<number, PairRunner>();

  constructor(
    private readonly deps: RunnerDeps & { dataDir: string },
    private readonly options: RunnerOptions,
  ) {
    super();
  }

  /** Validates and stores a pair (it does not start it). */
  addPair(input: NewPair): PairConfig {
    const root = this.checkRoot(input.localRoot);
    const prefix = normalizePrefix(input.prefix);
    if (!BUCKET_NAME.test(input.bucket))
      throw invalid(
        `"${input.bucket}" is not a bucket name: 3 to 63 lower-case letters, digits and hyphens.`,
      );
    if (input.mode !== undefined && !SYNC_MODES.includes(input.mode))
      throw invalid(`Unknown mode "${input.mode}": use ${SYNC_MODES.join(' or ')}.`);
    if (input.deleteMode !== undefined && !DELETE_MODES.includes(input.deleteMode))
      throw invalid(`Unknown delete mode "${input.deleteMode}": use ${DELETE_MODES.join(' or ')}.`);
    for (const other of this.listPairs()) {
      if (within(root, other.localRoot) || within(other.localRoot, root))
        throw invalid(
          root === other.localRoot
            ? `${root} is already synced (pair ${other.id}).`
            : `${root} overlaps the folder of pair ${other.id} (${other.localRoot}): a folder can belong to one pair only.`,
        );
      if (
        other.bucket === input.bucket &&
        (other.prefix.startsWith(prefix) || prefix.startsWith(other.prefix))
      )
        throw invalid(
          `oss://${input.bucket}/${prefix} overlaps oss://${other.bucket}/${other.prefix} of pair ${other.id}: two pairs would overwrite each other.`,
        );
    }
    return this.deps.sync.addPair({ ...input, localRoot: root, prefix });
  }

  private checkRoot(given: string): string {
    if (!path.isAbsolute(given)) throw invalid(`${given}: give the folder as an absolute path.`);
    let root: string;
    try {
      root = realpathSync(given);
      if (!statSync(root).isDirectory()) throw invalid(`${given} is not a folder.`);
    } catch (error) {
      if (error instanceof CoreError) throw error;
      throw invalid(`${given} cannot be read (${(error as NodeJS.ErrnoException).code}).`);
    }
    // Both sides resolved: a data folder reached through a symbolic link is still inside.
    const dataDir = realOrResolved(this.deps.dataDir);
    if (within(dataDir, root))
      throw invalid(
        `${root} contains OSSync's data folder (${dataDir}); syncing it would upload the sync state itself. Pick another folder or move the data folder (--data-dir).`,
      );
    if (within(root, dataDir)) throw invalid(`${root} is inside OSSync's data folder.`);
    return root;
  }

  /** Every pair (the store pages them). */
  listPairs(): PairConfig[] {
    const pairs: PairConfig[] = [];
    for (;;) {
      const page = this.deps.sync.listPairs(pairs.at(-1)?.id ?? 0, 100);
      if (page.length === 0) return pairs;
      pairs.push(...page);
    }
  }

  statuses(): PairStatus[] {
    const stopped = { running: false, error: null, watchDetail: null, watching: 'off' } as const;
    return this.listPairs().map(
      (pair) => this.runners.get(pair.id)?.status() ?? pairStatus(this.deps, pair, stopped),
    );
  }

  runner(id: number): PairRunner | undefined {
    return this.runners.get(id);
  }

  /** Starts the runners of the given pairs (default: all). */
  async start(ids?: readonly number[]): Promise<void> {
    for (const pair of this.listPairs()) {
      if (ids !== undefined && !ids.includes(pair.id)) continue;
      if (this.runners.has(pair.id)) continue;
      const runner = new PairRunner(this.deps, pair.id, this.options);
      runner.on('status', (status) => this.emit('status', status));
      this.runners.set(pair.id, runner);
      await runner.start();
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.runners.values()].map((runner) => runner.stop()));
    this.runners.clear();
  }

  /**
   * Changes a pair's settings. A running pair restarts: its watcher filters events by the
   * ignore patterns and the symlink rule it started with, and the new rules apply to a fresh
   * full pass at once. Invalid settings throw (SyncStore's checks) and change nothing.
   */
  async updatePair(id: number, patch: PairPatch): Promise<PairConfig> {
    this.get(id);
    const updated = this.deps.sync.updatePair(id, patch);
    if (updated === undefined) throw new CoreError('not-found', `There is no folder pair ${id}.`);
    const runner = this.runners.get(id);
    if (runner !== undefined) {
      await runner.stop();
      this.runners.delete(id);
      await this.start([id]);
    }
    return updated;
  }

  /** Stops the pair and forgets it; its files and objects stay where they are. */
  async removePair(id: number): Promise<void> {
    this.get(id);
    await this.runners.get(id)?.stop();
    this.runners.delete(id);
    for (let ids = this.deps.jobs.unfinishedJobsOfPair(id); ids.length > 0;) {
      for (const jobId of ids) await this.deps.engine.cancel(jobId);
      ids = this.deps.jobs.unfinishedJobsOfPair(id);
    }
    this.deps.sync.removePair(id);
  }

  pause(id: number): void {
    this.get(id);
    const runner = this.runners.get(id);
    if (runner) runner.pause();
    else this.deps.sync.setPaused(id, true);
  }

  resume(id: number): void {
    this.get(id);
    const runner = this.runners.get(id);
    if (runner) runner.resume();
    else this.deps.sync.setPaused(id, false);
  }

  /** Carries out the deletions the guard held back. Returns how many were queued. */
  confirmDeletes(id: number): number {
    const pair = this.get(id);
    const runner = this.runners.get(id);
    return runner
      ? runner.confirmDeletes()
      : queuePendingDeletes(this.deps.sync, this.deps.engine, pair, Date.now(), true);
  }

  /** Keeps the objects the guard held back from deletion (deletes.ts). */
  rejectDeletes(id: number): number {
    this.get(id);
    const runner = this.runners.get(id);
    return runner ? runner.rejectDeletes() : keepPendingDeletes(this.deps.sync, id);
  }

  get(id: number): PairConfig {
    const pair = this.deps.sync.getPair(id);
    if (pair === undefined) throw new CoreError('not-found', `There is no folder pair ${id}.`);
    return pair;
  }
}
