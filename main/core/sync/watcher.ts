import { readFileSync, type BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  loadChokidar,
  startChokidarWatcher,
  type ChokidarModule,
} from './watchers/chokidar-watcher.js';
import { loadParcel, startParcelWatcher, type ParcelModule } from './watchers/parcel-watcher.js';

/**
 * Watches a pair's folder and reports which paths changed. Events are hints, never actions:
 * the caller marks the paths dirty and rescans them (docs/design.md). One small interface
 * over two backends: @parcel/watcher (native, fast, little memory: the default on local
 * disks) and chokidar (the fallback when the native module cannot load, and the polling
 * backend for network shares, where the OS sends no events).
 *
 * Whatever the backend, paths come out pair-relative, POSIX, NFC; errors come out as a
 * WatchError with a stable code; nothing thrown by a backend after the start reaches the
 * process. A failed watcher has stopped: the caller falls back to periodic scanning and may
 * try to start a new one later.
 */

export type WatchBackendName = 'parcel' | 'chokidar' | 'chokidar-polling';

export const WATCH_ERROR_CODES = [
  // the inotify watch limit (ENOSPC) or open files (EMFILE, ENFILE): a system setting to raise
  'limit',
  // the folder was removed, replaced, renamed or unmounted
  'root-gone',
  // anything else
  'failed',
] as const;
export type WatchErrorCode = (typeof WATCH_ERROR_CODES)[number];

export class WatchError extends Error {
  readonly code: WatchErrorCode;
  /** The backend that failed, when one was running or starting. */
  readonly backend: WatchBackendName | undefined;

  constructor(
    code: WatchErrorCode,
    message: string,
    details: { backend?: WatchBackendName; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'WatchError';
    this.code = code;
    this.backend = details.backend;
  }
}

export interface FolderWatcher {
  /** Stops the watcher; no callback runs after it was called. Idempotent. */
  close(): Promise<void>;
}

/** The backend modules, injectable so a test can make one fail; default: the real ones. */
export interface WatchModules {
  parcel?: () => Promise<ParcelModule>;
  chokidar?: () => Promise<ChokidarModule>;
}

export interface StartWatcherOptions {
  /** The pair's folder. */
  root: string;
  /** 'auto' (default): parcel, or chokidar when parcel cannot load or subscribe. */
  backend?: WatchBackendName | 'auto';
  /**
   * A cheap pre-filter of pair-relative paths (the scan applies the real rules). chokidar
   * does not even walk an ignored folder; with parcel each reported path is asked.
   */
  ignore?: (relPath: string) => boolean;
  /**
   * Changed paths (created, modified, deleted, renamed from or to), batched. '' means
   * events may have been missed (rare): rescan the whole folder.
   */
  onPaths: (relPaths: string[]) => void;
  /** Called at most once, after the watcher has stopped. */
  onError: (error: WatchError) => void;
  /** chokidar-polling: poll interval; default 2,000 ms (a network share is slow to stat). */
  pollIntervalMs?: number;
  /** How often to check that the folder is still there; default 5,000 ms. */
  rootCheckMs?: number;
  modules?: WatchModules;
}

export interface StartedWatcher {
  watcher: FolderWatcher;
  backend: WatchBackendName;
  /** Why 'auto' did not get parcel, when it fell back to chokidar. */
  fallbackReason?: string;
}

/** What a backend reports to. Its methods never throw. */
export interface WatchSink {
  /** Absolute paths as the backend gave them (the root itself included). */
  paths(absolutePaths: readonly string[]): void;
  /** Events may have been missed: the whole tree must be rescanned. */
  lost(): void;
  error(error: unknown): void;
}

export interface BackendWatcher {
  close(): Promise<void>;
}

/**
 * Starts watching; resolves once the backend is ready (events from then on are reported),
 * rejects with a WatchError ('limit', 'root-gone' or 'failed').
 */
export async function startWatcher(options: StartWatcherOptions): Promise<StartedWatcher> {
  for (const name of ['pollIntervalMs', 'rootCheckMs'] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      throw new RangeError(`${name} must be a positive number of ms, got ${value}`);
  }
  const root = path.resolve(options.root);
  const requested = options.backend ?? 'auto';
  const loadParcelModule = options.modules?.parcel ?? loadParcel;
  if (requested !== 'auto')
    return { watcher: await start(requested, root, options), backend: requested };

  let fallbackReason: string;
  try {
    const module = await loadParcelModule();
    return { watcher: await start('parcel', root, options, module), backend: 'parcel' };
  } catch (error) {
    // chokidar hits the same limits and the same missing folder: only other failures fall back.
    if (error instanceof WatchError && error.code !== 'failed') throw error;
    fallbackReason =
      error instanceof WatchError
        ? error.message
        : `@parcel/watcher could not be loaded: ${describe(error)}`;
  }
  return { watcher: await start('chokidar', root, options), backend: 'chokidar', fallbackReason };
}

async function start(
  backend: WatchBackendName,
  root: string,
  options: StartWatcherOptions,
  loadedParcel?: ParcelModule,
): Promise<FolderWatcher> {
  let rootStats: BigIntStats;
  try {
    rootStats = await stat(root, { bigint: true });
  } catch (error) {
    throw rootGone(root, backend, error);
  }
  if (!rootStats.isDirectory())
    throw new WatchError('failed', `${root} is not a folder; choose a folder to sync.`, {
      backend,
    });

  const session = new WatchSession(root, rootStats, backend, options);
  const abort = new AbortController();
  const starting = (async (): Promise<BackendWatcher> => {
    if (backend === 'parcel') {
      let module = loadedParcel;
      if (module === undefined) {
        try {
          module = await (options.modules?.parcel ?? loadParcel)();
        } catch (error) {
          throw new WatchError(
            'failed',
            `@parcel/watcher could not be loaded: ${describe(error)}. Use the chokidar backend.`,
            { backend, cause: error },
          );
        }
      }
      return startParcelWatcher({
        root,
        sink: session.sink,
        module,
        ignore: session.ignoreAbsolute,
        signal: abort.signal,
      });
    }
    const module = await (options.modules?.chokidar ?? loadChokidar)();
    return startChokidarWatcher({
      root,
      sink: session.sink,
      module,
      pollIntervalMs: backend === 'chokidar-polling' ? (options.pollIntervalMs ?? 2000) : undefined,
      ignore: session.ignoreAbsolute,
      signal: abort.signal,
    });
  })();
  try {
    const handle = await Promise.race([starting, session.startFailure]);
    session.run(handle);
    return session;
  } catch (error) {
    abort.abort(error);
    session.abandon();
    // The backend may still finish starting (parcel cannot be interrupted): close it then.
    void starting.then((handle) => handle.close()).catch(() => undefined);
    throw error instanceof WatchError ? error : await classify(error, root, rootStats, backend);
  }
}

type SessionState = 'starting' | 'running' | 'stopped';

class WatchSession implements FolderWatcher {
  readonly #root: string;
  /** root + separator: the prefix of every path below it. */
  readonly #prefix: string;
  readonly #rootStats: BigIntStats;
  readonly #backend: WatchBackendName;
  readonly #options: StartWatcherOptions;
  #state: SessionState = 'starting';
  #handle: BackendWatcher | undefined;
  #closing: Promise<void> | undefined;
  #pending = new Set<string>();
  #delivery: NodeJS.Immediate | undefined;
  #rootTimer: NodeJS.Timeout | undefined;
  #checkingRoot = false;
  #failStart: (error: unknown) => void = () => undefined;
  /** Rejects on the first error a backend reports while it is starting. */
  readonly startFailure: Promise<never>;

  constructor(
    root: string,
    rootStats: BigIntStats,
    backend: WatchBackendName,
    options: StartWatcherOptions,
  ) {
    this.#root = root;
    this.#prefix = root.endsWith(path.sep) ? root : root + path.sep;
    this.#rootStats = rootStats;
    this.#backend = backend;
    this.#options = options;
    this.startFailure = new Promise<never>((_resolve, reject) => {
      this.#failStart = reject;
    });
    this.startFailure.catch(() => undefined); // observed by the race in start()
  }

  readonly sink: WatchSink = {
    paths: (absolutePaths) => {
      try {
        this.#collect(absolutePaths);
      } catch (error) {
        process.emitWarning(
          `watcher: could not handle events of ${this.#root}: ${describe(error)}`,
        );
      }
    },
    lost: () => {
      if (this.#state === 'stopped') return;
      this.#pending.add('');
      this.#scheduleDelivery();
    },
    error: (error) => {
      if (this.#state === 'starting') this.#failStart(error);
      else if (this.#state === 'running') void this.#failWith(error);
    },
  };

  /** For the backends, which can skip ignored folders (chokidar does not even walk them). */
  get ignoreAbsolute(): ((absolutePath: string) => boolean) | undefined {
    if (this.#options.ignore === undefined) return undefined;
    return (absolutePath) => {
      const rel = this.#relative(absolutePath);
      return rel !== undefined && rel !== '' && this.#ignored(rel);
    };
  }

  #ignored(rel: string): boolean {
    try {
      return this.#options.ignore?.(rel) === true;
    } catch (error) {
      // A broken filter must not cost events: when in doubt, report (the scan decides).
      process.emitWarning(`watcher: the ignore filter threw on ${rel}: ${describe(error)}`);
      return false;
    }
  }

  run(handle: BackendWatcher): void {
    this.#handle = handle;
    this.#state = 'running';
    const every = this.#options.rootCheckMs ?? 5000;
    // A cheap stat catches an unmount or a replaced folder that sends no event; unref'd so
    // it alone does not keep a process alive.
    this.#rootTimer = setInterval(() => void this.#checkRoot(), every);
    this.#rootTimer.unref();
  }

  abandon(): void {
    this.#state = 'stopped';
    this.#pending.clear();
  }

  close(): Promise<void> {
    this.#state = 'stopped';
    return this.#shutdown();
  }

  #shutdown(): Promise<void> {
    if (this.#rootTimer !== undefined) clearInterval(this.#rootTimer);
    if (this.#delivery !== undefined) clearImmediate(this.#delivery);
    this.#rootTimer = undefined;
    this.#delivery = undefined;
    this.#pending.clear();
    this.#closing ??= (this.#handle?.close() ?? Promise.resolve()).catch((error: unknown) => {
      // Nothing to do about a failed unsubscribe but say so.
      process.emitWarning(`watcher: closing ${this.#root} failed: ${describe(error)}`);
    });
    return this.#closing;
  }

  #collect(absolutePaths: readonly string[]): void {
    if (this.#state === 'stopped') return;
    let rootTouched = false;
    for (const absolutePath of absolutePaths) {
      const rel = this.#relative(absolutePath);
      if (rel === undefined) continue;
      if (rel === '') {
        rootTouched = true; // removed, moved, or its attributes changed: check which
        continue;
      }
      if (this.#ignored(rel)) continue;
      this.#pending.add(rel);
    }
    if (rootTouched) void this.#checkRoot();
    if (this.#pending.size > 0) this.#scheduleDelivery();
  }

  /** One delivery per turn of the event loop: chokidar reports paths one at a time. */
  #scheduleDelivery(): void {
    this.#delivery ??= setImmediate(() => this.#deliver());
  }

  #deliver(): void {
    this.#delivery = undefined;
    if (this.#state === 'stopped' || this.#pending.size === 0) return;
    const paths = [...this.#pending];
    this.#pending.clear();
    try {
      this.#options.onPaths(paths);
    } catch (error) {
      process.emitWarning(`watcher: onPaths threw: ${describe(error)}`);
    }
  }

  /** Pair-relative POSIX NFC path, '' for the root, undefined outside it. */
  #relative(absolutePath: string): string | undefined {
    let rel: string;
    if (absolutePath.startsWith(this.#prefix)) rel = absolutePath.slice(this.#prefix.length);
    else if (absolutePath === this.#root) return '';
    else {
      rel = path.relative(this.#root, absolutePath);
      if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return undefined;
    }
    if (path.sep !== '/') rel = rel.split(path.sep).join('/');
    return rel.normalize('NFC');
  }

  async #checkRoot(): Promise<void> {
    if (this.#state !== 'running' || this.#checkingRoot) return;
    this.#checkingRoot = true;
    try {
      const gone = await rootChanged(this.#root, this.#rootStats);
      if (gone !== undefined) await this.#fail(rootGone(this.#root, this.#backend, gone));
    } finally {
      this.#checkingRoot = false;
    }
  }

  async #failWith(error: unknown): Promise<void> {
    await this.#fail(await classify(error, this.#root, this.#rootStats, this.#backend));
  }

  async #fail(error: WatchError): Promise<void> {
    if (this.#state !== 'running') return;
    // Hand over what was seen before the failure: they are real changes.
    if (this.#delivery !== undefined) {
      clearImmediate(this.#delivery);
      this.#deliver();
    }
    this.#state = 'stopped';
    await this.#shutdown();
    try {
      this.#options.onError(error);
    } catch (escaped) {
      process.emitWarning(`watcher: onError threw: ${describe(escaped)}`);
    }
  }
}

/** undefined while the folder is still the one being watched, else why not. */
async function rootChanged(root: string, watched: BigIntStats): Promise<unknown> {
  try {
    const now = await stat(root, { bigint: true });
    if (!now.isDirectory()) return new Error(`${root} is no longer a folder`);
    if (now.dev !== watched.dev || now.ino !== watched.ino)
      return new Error(`${root} was replaced by another folder (or a drive was mounted there)`);
    return undefined;
  } catch (error) {
    return error;
  }
}

function rootGone(root: string, backend: WatchBackendName, cause: unknown): WatchError {
  return new WatchError(
    'root-gone',
    `The folder ${root} is gone (removed, renamed, replaced or unmounted: ${describe(cause)}). ` +
      'Watching stopped; reconnect the drive or choose the folder again.',
    { backend, cause },
  );
}

async function classify(
  error: unknown,
  root: string,
  rootStats: BigIntStats,
  backend: WatchBackendName,
): Promise<WatchError> {
  if (error instanceof WatchError) return error;
  // A vanished folder makes backends fail in many ways; name the cause, not the symptom.
  const gone = await rootChanged(root, rootStats);
  if (gone !== undefined) return rootGone(root, backend, gone);
  const code = errnoCode(error);
  const details = { backend, cause: error };
  if (code === 'ENOSPC') {
    const how =
      process.platform === 'linux'
        ? `the system limit of inotify watches was reached` +
          `${procValue('max_user_watches', ' (fs.inotify.max_user_watches = %s, one per folder, shared by all programs of this user)')}. ` +
          'Raise it, e.g. `sudo sysctl fs.inotify.max_user_watches=524288` (and in /etc/sysctl.d/ to keep it), or sync fewer folders'
        : 'the system limit of file watches was reached. Raise it, or sync fewer folders';
    return new WatchError(
      'limit',
      `Cannot watch ${root}: ${how}. Until then this folder is scanned periodically.`,
      details,
    );
  }
  if (code === 'EMFILE' || code === 'ENFILE')
    return new WatchError(
      'limit',
      `Cannot watch ${root}: too many open files. Raise the open-files limit (ulimit -n)` +
        `${procValue('max_user_instances', ' or fs.inotify.max_user_instances (now %s)')}. ` +
        'Until then this folder is scanned periodically.',
      details,
    );
  return new WatchError(
    'failed',
    `Watching ${root} failed (${backend}): ${describe(error)}. The folder is scanned periodically instead.`,
    details,
  );
}

/** The errno name of a Node error, or the one a native message spells out (strerror). */
function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const message = describe(error);
  if (/no space left on device|limit for number of file watchers/i.test(message)) return 'ENOSPC';
  if (/too many open files in system/i.test(message)) return 'ENFILE';
  if (/too many open files/i.test(message)) return 'EMFILE';
  return undefined;
}

/** A Linux inotify setting spliced into `template` ('' where there is none). */
function procValue(name: string, template: string): string {
  if (process.platform !== 'linux') return '';
  try {
    return template.replace('%s', readFileSync(`/proc/sys/fs/inotify/${name}`, 'utf8').trim());
  } catch {
    return '';
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
