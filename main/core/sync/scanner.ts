/**
 * The local side of a sync pass: a streaming walk of the pair's folder, in a worker thread,
 * that yields what is on disk in key order (compareKeys), so the caller can merge it with the
 * journal and the remote listing in one pass. It never reads file contents.
 *
 * Memory stays O(depth x fan-out): the worker holds only the listings of the folders it is in
 * and one batch; it sends a batch only against a credit, and the consumer grants one for each
 * batch it takes, so a consumer that stalls stops the walk instead of buffering the tree.
 */
import { existsSync } from 'node:fs';
import nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CoreError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { normalizePrefix } from './keys.js';
import { ABORTED, CREDITS } from './scan-batch.js';
import type { ScanBatchMessage, ScanWorkerData, ScanWorkerMessage } from './scan-batch.js';
import type { ScanRequest } from './scan-worker.js';
import type { LocalEntry, SyncIssue } from './types.js';

export interface ScanOptions {
  /** Absolute path of the pair's folder. It must exist: a missing root fails the scan. */
  root: string;
  /** The pair's key prefix (checked and normalised with normalizePrefix). */
  prefix: string;
  /** The pair's ignore patterns (gitignore syntax), on top of the defaults and .ossyncignore. */
  patterns: readonly string[];
  /** Upload what symlinked files point to (symlinked folders are never followed). */
  followSymlinks: boolean;
  /**
   * Scan only these pair-relative paths (files or folders; a folder means its subtree; a
   * missing path yields nothing), for rescans after watcher events. Default: everything.
   */
  scope?: readonly string[];
  /** See IgnoreMatcherOptions.ignoreCase. */
  ignoreCase?: boolean;
  /** Items per batch; default 1,000. */
  batchSize?: number;
}

/**
 * What the scan saw, in key order:
 * - `file`: a regular file (or, with followSymlinks, a symlink to one, with its target's stats);
 * - `issue`: something the user should see (an invalid name, a skipped symlink or special file,
 *   an unreadable path);
 * - `unknown`: `path` could not be read, so what the journal has there is not to be treated as
 *   deleted: the key `path` (subtree false; sorted where `path` sorts), or every key under
 *   `path/` (subtree true; sorted where `path/` sorts, like a folder). A scope path that
 *   exists but cannot be read gives both.
 * Items sort by those keys (an issue sits where what it is about sorts), so one pass merges
 * them with the journal.
 */
export type ScanItem =
  | { type: 'file'; entry: LocalEntry }
  | { type: 'issue'; issue: SyncIssue }
  | { type: 'unknown'; path: string; subtree: boolean };

export interface ScanSummary {
  /** Files yielded, and their total size. */
  files: number;
  bytes: number;
  /** Folders listed (the root included). */
  folders: number;
  issues: number;
  unknown: number;
  /** Files and folders skipped by ignore rules (what is inside an ignored folder not counted). */
  ignored: number;
}

export interface LocalScan extends AsyncGenerator<ScanItem[], ScanSummary, undefined> {
  /** Counts so far (as far as the worker has sent), final once the generator is done. */
  readonly summary: Readonly<ScanSummary>;
}

const DEFAULT_BATCH = 1000;
/** Batches the worker may send ahead of the consumer. */
export const SCAN_CREDITS = 2;

/**
 * Starts the worker from the compiled `.js` beside this file when there is one (dist/), else
 * from the `.ts` source through tsx's loader (tsx and vitest do not pass their transform on).
 */
function startWorker(): Worker {
  const js = new URL('./scan-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  const ts = new URL('./scan-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/**
 * One finished worker is kept for a while (unref'd): watch-triggered rescans come every few
 * seconds, and a thread start costs 30-40 ms from built JS (several hundred under tsx).
 */
const IDLE_MS = 15_000;
let idle: { worker: Worker; timer: NodeJS.Timeout; onExit: () => void } | undefined;

/** An idle worker runs nothing, but an 'error' without a listener would throw here. */
const ignoreIdleError = (): void => {};

function takeWorker(): Worker {
  if (!idle) return startWorker();
  const { worker, timer, onExit } = idle;
  idle = undefined;
  clearTimeout(timer);
  worker.off('exit', onExit);
  worker.off('error', ignoreIdleError);
  return worker;
}

function keepWorker(worker: Worker): void {
  worker.unref();
  if (idle) {
    void worker.terminate();
    return;
  }
  const onExit = (): void => {
    if (idle?.worker === worker) {
      clearTimeout(idle.timer);
      idle = undefined;
    }
  };
  const timer = setTimeout(() => {
    if (idle?.worker !== worker) return;
    idle = undefined;
    void worker.terminate();
  }, IDLE_MS);
  timer.unref();
  worker.on('exit', onExit);
  worker.on('error', ignoreIdleError);
  idle = { worker, timer, onExit };
}

/**
 * Starts a scan worker ahead of the first scan (when the sync engine starts, say), so that
 * scan does not wait for the thread and its modules to load. The worker is kept like one that
 * finished a scan: idle, unref'd, and ended after a while without work.
 */
export function prepareScanWorker(): void {
  if (!idle) keepWorker(startWorker());
}

const ERROR_KINDS: Record<string, ErrorCode> = {
  ENOENT: 'local-not-found',
  ENOTDIR: 'local-not-found',
  EACCES: 'local-permission',
  EPERM: 'local-permission',
};

function rootError(
  root: string,
  code: string | undefined,
  message: string,
  final: boolean,
): CoreError {
  const kind = (code && ERROR_KINDS[code]) || 'local-io';
  if (final) return new CoreError(kind, message, { subject: root });
  const why =
    kind === 'local-not-found'
      ? 'it does not exist or is not a folder (is the disk connected?)'
      : kind === 'local-permission'
        ? 'permission denied'
        : message;
  return new CoreError(
    kind,
    `Could not scan the folder ${JSON.stringify(root)}: ${why}. Nothing was synced from it in this pass.`,
    { subject: root },
  );
}

/** Turns a packed batch back into items, in order. */
function unpack(message: ScanBatchMessage): ScanItem[] {
  const { count, sizes, mtimes, inos, extras, fsPaths } = message;
  const paths = count === 0 ? [] : message.paths.split('\n');
  const items: ScanItem[] = [];
  const sep = nodePath.sep;
  let extra = 0;
  let nextFs = fsPaths.length > 0 ? (fsPaths[0] as number) : -1;
  let fsAt = 0;
  for (let i = 0; i < count; i++) {
    while (extra < extras.length && extras[extra]!.at === i) items.push(extras[extra++]!.item);
    const path = paths[i]!;
    let fsPath = sep === '/' ? path : path.replaceAll('/', sep);
    if (i === nextFs) {
      fsPath = fsPaths[fsAt + 1] as string;
      fsAt += 2;
      nextFs = fsAt < fsPaths.length ? (fsPaths[fsAt] as number) : -1;
    }
    items.push({
      type: 'file',
      entry: { path, fsPath, size: sizes[i]!, mtimeNs: mtimes[i]!, ino: inos[i]! },
    });
  }
  while (extra < extras.length) items.push(extras[extra++]!.item);
  return items;
}

/**
 * Scans the pair's folder; see ScanItem for what comes out. Errors of the walk itself (a
 * missing or unreadable root, a crashed worker) reject the generator; aborting `signal`
 * terminates the worker and rejects with the signal's reason. Returning early (break out of
 * for-await) terminates the worker too.
 */
export function scanLocal(options: ScanOptions, signal?: AbortSignal): LocalScan {
  const summary: ScanSummary = {
    files: 0,
    bytes: 0,
    folders: 0,
    issues: 0,
    unknown: 0,
    ignored: 0,
  };
  const generator = run(options, summary, signal);
  return Object.assign(generator, { summary });
}

async function* run(
  options: ScanOptions,
  summary: ScanSummary,
  signal: AbortSignal | undefined,
): AsyncGenerator<ScanItem[], ScanSummary, undefined> {
  signal?.throwIfAborted();
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const control = new SharedArrayBuffer(8);
  const flags = new Int32Array(control);
  flags[CREDITS] = SCAN_CREDITS;
  const data: ScanWorkerData = {
    root: nodePath.resolve(options.root),
    prefix: normalizePrefix(options.prefix),
    patterns: [...options.patterns],
    followSymlinks: options.followSymlinks,
    scope: options.scope === undefined ? undefined : [...options.scope],
    ignoreCase: options.ignoreCase,
    batchSize,
    control,
  };
  const worker = takeWorker();
  worker.unref();

  const queue: ScanWorkerMessage[] = [];
  let failure: unknown;
  let failed = false;
  let finished = false;
  /** The worker said it is done (or failed): its exit is expected. */
  let ended = false;
  let wake: (() => void) | undefined;
  const fail = (error: unknown): void => {
    if (!failed) {
      failed = true;
      failure = error;
    }
    wake?.();
  };
  const onMessage = (message: ScanWorkerMessage): void => {
    queue.push(message);
    if (message.type !== 'failed') Object.assign(summary, message.summary);
    if (message.type !== 'batch') ended = true;
    wake?.();
  };
  // Messages are delivered before 'exit', so an exit with no 'done' is a crash.
  const onExit = (code: number): void => {
    if (!finished && !ended)
      fail(
        new CoreError(
          'unknown',
          `The folder scan stopped unexpectedly (worker exit code ${code}).`,
        ),
      );
  };
  worker.on('message', onMessage);
  worker.on('error', fail);
  worker.on('exit', onExit);
  const request: ScanRequest = { type: 'scan', data };
  worker.postMessage(request);
  const stop = (): void => {
    Atomics.store(flags, ABORTED, 1);
    Atomics.notify(flags, CREDITS);
    void worker.terminate();
  };
  const onAbort = (): void => {
    fail(signal?.reason);
    stop();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  try {
    for (;;) {
      if (queue.length === 0 && !failed) {
        // Waiting for the worker keeps the process alive; a consumer that holds a batch and
        // walks away does not (the worker is unref'd while the consumer has the batch).
        worker.ref();
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        worker.unref();
        continue;
      }
      if (failed) throw failure;
      const message = queue.shift()!;
      if (message.type === 'failed') {
        finished = true; // the worker finished its walk and can be reused
        throw rootError(options.root, message.code, message.message, message.final);
      }
      if (message.type === 'done') {
        finished = true;
        return summary;
      }
      const items = unpack(message);
      // The credit for the next batch: granted as this one is handed over.
      Atomics.add(flags, CREDITS, 1);
      Atomics.notify(flags, CREDITS);
      yield items;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    const reusable = finished && !failed;
    finished = true; // an exit from here on is ours
    worker.off('message', onMessage);
    worker.off('error', fail);
    worker.off('exit', onExit);
    if (reusable) keepWorker(worker);
    else stop();
  }
}
