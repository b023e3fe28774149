import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ChokidarOptions, FSWatcher } from 'chokidar';
import type { BackendWatcher, WatchSink } from '../watcher.js';

/**
 * The chokidar 5 backend: pure JavaScript on fs.watch, or on fs.watchFile polling (the one
 * way to notice changes on network shares, where the OS sends no events). It walks and
 * stats the whole tree before it is ready and keeps it in memory: measured here on 100,000
 * files it takes seconds and hundreds of MB, so it is the fallback and the polling backend,
 * not the default.
 *
 * chokidar learns about new files by listing their folder, and can miss one (its issues
 * #685, #1465): a folder listed before it is watched, a listing slower than its one-second
 * throttle (a loaded machine), whose re-listing is then dropped. It finds such a file with
 * the folder's next change, which may never come. So once events in a folder have settled,
 * the folder is listed here once more and every entry chokidar does not know is reported.
 */

/** The part of chokidar used here. */
export type ChokidarModule = Pick<typeof import('chokidar'), 'watch'>;

export async function loadChokidar(): Promise<ChokidarModule> {
  return import('chokidar');
}

export interface ChokidarWatcherOptions {
  root: string;
  sink: WatchSink;
  module: ChokidarModule;
  /** Poll with fs.watchFile every this many ms instead of using fs.watch. */
  pollIntervalMs: number | undefined;
  /** Absolute path -> skip it (an ignored folder is not even walked). */
  ignore: ((absolutePath: string) => boolean) | undefined;
  /** Aborted when the caller gave up on the start; the watcher is then closed. */
  signal: AbortSignal;
}

/** Quiet time before the sweep: longer than chokidar's readdir throttle (1 s). */
const SETTLE_MS = 1500;
/** ... but a steady trickle of events does not put it off longer than this. */
const SETTLE_MAX_MS = 10_000;
const SWEEP_CONCURRENCY = 4;

export async function startChokidarWatcher(
  options: ChokidarWatcherOptions,
): Promise<BackendWatcher> {
  const { root, signal, pollIntervalMs, ignore } = options;
  const settings: ChokidarOptions = {
    persistent: true,
    ignoreInitial: true, // the scan at start covers what exists; events are for changes
    followSymlinks: false,
    ignorePermissionErrors: true, // an unreadable folder is reported by the scan, per path
    // No rename heuristics or write-finish waiting: events are only hints, and the
    // stability gate decides when a file is complete.
    atomic: false,
    awaitWriteFinish: false,
    usePolling: pollIntervalMs !== undefined,
  };
  if (pollIntervalMs !== undefined) {
    settings.interval = pollIntervalMs;
    settings.binaryInterval = pollIntervalMs;
  }
  if (ignore !== undefined) settings.ignored = (absolutePath: string) => ignore(absolutePath);
  const fsWatcher: FSWatcher = options.module.watch(root, settings);
  const watcher = new ChokidarWatcher(fsWatcher, options);

  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      const reason: unknown = signal.reason;
      const error = reason instanceof Error ? reason : new Error(String(reason));
      const rejectWithReason = (): void => reject(error);
      watcher.close().then(rejectWithReason, rejectWithReason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    fsWatcher.once('ready', () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
  if (pollIntervalMs !== undefined) {
    // Polling compares each stat with a first one taken asynchronously after 'ready' was
    // already emitted: a change before that first stat would pass unseen. The thread pool
    // runs stats in order, so one queued now completes after those first ones.
    await stat(root).catch(() => undefined); // a missing root is the session's to report
  }
  return watcher;
}

class ChokidarWatcher implements BackendWatcher {
  readonly #fsWatcher: FSWatcher;
  readonly #sink: WatchSink;
  readonly #ignore: ((absolutePath: string) => boolean) | undefined;
  /** Folders whose entries changed since the last sweep. */
  #touched = new Set<string>();
  #settleTimer: NodeJS.Timeout | undefined;
  #firstTouch: number | undefined;
  #closing: Promise<void> | undefined;

  constructor(fsWatcher: FSWatcher, options: ChokidarWatcherOptions) {
    this.#fsWatcher = fsWatcher;
    this.#sink = options.sink;
    this.#ignore = options.ignore;
    // An 'error' emitted without a listener would be thrown: listen before anything runs.
    fsWatcher.on('error', (error: unknown) => this.#sink.error(error));
    fsWatcher.on('all', (event, changed) => {
      this.#sink.paths([changed]);
      // A folder's content changes with an entry added or removed, not with a file edited.
      if (event !== 'change') this.#touch(path.dirname(changed));
    });
  }

  close(): Promise<void> {
    return (this.#closing ??= (() => {
      if (this.#settleTimer !== undefined) clearTimeout(this.#settleTimer);
      this.#touched.clear();
      const closed = this.#fsWatcher.close(); // removes every listener, synchronously
      // ... so keep one for an error from an operation still in flight.
      this.#fsWatcher.on('error', () => undefined);
      return closed;
    })());
  }

  #touch(folder: string): void {
    if (this.#closing !== undefined) return;
    this.#touched.add(folder);
    const now = Date.now();
    this.#firstTouch ??= now;
    const delay = Math.min(SETTLE_MS, this.#firstTouch + SETTLE_MAX_MS - now);
    if (this.#settleTimer !== undefined) clearTimeout(this.#settleTimer);
    this.#settleTimer = setTimeout(() => void this.#sweep(), Math.max(0, delay));
    this.#settleTimer.unref();
  }

  /** Lists the touched folders and reports the entries chokidar has not picked up. */
  async #sweep(): Promise<void> {
    this.#settleTimer = undefined;
    this.#firstTouch = undefined;
    const folders = [...this.#touched];
    this.#touched.clear();
    const next = async (): Promise<void> => {
      for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
        if (this.#closing !== undefined) return;
        const missed = await this.#missedIn(folder);
        if (missed.length > 0 && this.#closing === undefined) this.#sink.paths(missed);
      }
    };
    await Promise.all(Array.from({ length: SWEEP_CONCURRENCY }, next));
  }

  async #missedIn(folder: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(folder);
    } catch {
      return []; // gone: its removal was reported
    }
    // chokidar's map of what it tracks per folder: public in its typings, if not in spirit.
    // Should it ever change shape, report the whole folder rather than guess.
    const known: unknown = this.#fsWatcher._watched?.get(folder);
    if (typeof (known as { has?: unknown } | undefined)?.has !== 'function') return [folder];
    const entries = known as { has(name: string): boolean | undefined };
    const missed: string[] = [];
    for (const name of names) {
      if (entries.has(name) === true) continue;
      const absolutePath = path.join(folder, name);
      if (this.#ignore?.(absolutePath) !== true) missed.push(absolutePath);
    }
    return missed;
  }
}
