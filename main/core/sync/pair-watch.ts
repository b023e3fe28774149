import { DirtyPaths } from './dirty-paths.js';
import { createIgnoreMatcher } from './ignore-rules.js';
import type { PairStatus } from './types.js';
import {
  startWatcher,
  type FolderWatcher,
  type WatchBackendName,
  type WatchModules,
} from './watcher.js';

export interface PairWatchOptions {
  root: string;
  /** The pair's ignore patterns (the watcher's cheap pre-filter; the scan decides). */
  patterns: readonly string[];
  backend: WatchBackendName | 'auto';
  modules?: WatchModules;
  /** The periodic full pass interval while not watching (said in the detail). */
  fallbackRescanMs: number;
  /** After a failure, try to watch again this long after (doubling up to 8 times as long). */
  rewatchMs: number;
  /** Dirty scopes, batched. */
  onDirty: (scope: string[]) => void;
  /** Watching stopped or started again: the runner adjusts its periodic passes and rescans. */
  onModeChange: () => void;
}

/**
 * A pair's watching: the watcher, the batching of its events into dirty scopes, and what
 * happens when it fails. A failed watcher is not fatal: the pair is scanned periodically
 * instead, says so in its status, and watching is tried again later (the limit may have been
 * raised, the drive plugged in again).
 */
export class PairWatch {
  mode: PairStatus['watching'] = 'off';
  /** Why the pair is not watched by events, when it is not. */
  detail: string | null = null;
  private watcher: FolderWatcher | undefined;
  private readonly dirty: DirtyPaths;
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Which start the running watcher came from (a stale watcher's error is not news). */
  private generation = 0;

  constructor(private readonly options: PairWatchOptions) {
    this.dirty = new DirtyPaths({ onFlush: options.onDirty });
  }

  /** Starts watching; true if it could (otherwise the mode is 'periodic-scan'). */
  async start(): Promise<boolean> {
    const { options } = this;
    const ignore = createIgnoreMatcher({ root: options.root, patterns: options.patterns });
    const generation = ++this.generation;
    try {
      const { watcher, backend } = await startWatcher({
        root: options.root,
        backend: options.backend,
        ...(options.modules ? { modules: options.modules } : {}),
        ignore: (path) => ignore.ignores(path, false),
        onPaths: (paths) => this.dirty.add(paths),
        onError: (error) => {
          if (generation === this.generation) this.failed(error.message);
        },
      });
      if (this.closed) {
        await watcher.close();
        return false;
      }
      this.watcher = watcher;
      this.mode = backend === 'chokidar-polling' ? 'polling' : 'events';
      this.detail = null;
      this.failures = 0;
      return true;
    } catch (error) {
      this.failed((error as Error).message);
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.dirty.close();
    await this.watcher?.close();
  }

  private failed(message: string): void {
    if (this.closed) return;
    const watcher = this.watcher;
    this.watcher = undefined;
    void watcher?.close().catch(() => {});
    this.mode = 'periodic-scan';
    this.detail = `Watching failed (${message}); scanning every ${describeInterval(this.options.fallbackRescanMs)} instead.`;
    this.failures++;
    clearTimeout(this.retryTimer);
    const delay = this.options.rewatchMs * 2 ** Math.min(this.failures - 1, 3);
    this.retryTimer = setTimeout(() => void this.retry(), delay);
    this.retryTimer.unref();
    this.options.onModeChange();
  }

  private async retry(): Promise<void> {
    this.retryTimer = undefined;
    if (this.closed || this.watcher !== undefined) return;
    if (await this.start()) this.options.onModeChange();
  }
}

/** '400 ms', '30 s', '5 min': an interval as the status shows it. */
function describeInterval(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
