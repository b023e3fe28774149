import { appendFileSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  startWatcher,
  WatchError,
  type FolderWatcher,
  type StartWatcherOptions,
  type WatchBackendName,
} from '../../../../main/core/sync/watcher.js';
import type { ChokidarModule } from '../../../../main/core/sync/watchers/chokidar-watcher.js';
import {
  loadParcel,
  startParcelWatcher,
  type ParcelModule,
} from '../../../../main/core/sync/watchers/parcel-watcher.js';

// Real folders, real backends. Every wait is for a condition, with a timeout generous enough
// for a loaded 2-core machine; nothing relies on a fixed sleep.

const WAIT_MS = 30_000;
const POLL_MS = 100; // chokidar-polling interval in these tests

async function waitFor(condition: () => boolean, what: () => string, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface Collector {
  watcher: FolderWatcher;
  backend: WatchBackendName;
  fallbackReason: string | undefined;
  seen: Set<string>;
  batches: string[][];
  errors: WatchError[];
  /** Waits until every path was reported, exactly as given. */
  waitForPaths(paths: readonly string[], timeoutMs?: number): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];

async function watch(root: string, options: Partial<StartWatcherOptions> = {}): Promise<Collector> {
  const seen = new Set<string>();
  const batches: string[][] = [];
  const errors: WatchError[] = [];
  const started = await startWatcher({
    root,
    pollIntervalMs: POLL_MS,
    rootCheckMs: 500,
    onPaths: (paths) => {
      batches.push(paths);
      for (const path of paths) seen.add(path);
    },
    onError: (error) => errors.push(error),
    ...options,
  });
  cleanups.push(() => started.watcher.close());
  return {
    ...started,
    fallbackReason: started.fallbackReason,
    seen,
    batches,
    errors,
    waitForPaths: (paths, timeoutMs) =>
      waitFor(
        () => paths.every((path) => seen.has(path)),
        () => {
          const missing = paths.filter((path) => !seen.has(path));
          return `${missing.length} paths (${missing.slice(0, 5).join(', ')}...); seen: ${[...seen].slice(0, 20).join(', ')}`;
        },
        timeoutMs,
      ),
  };
}

/**
 * Writes `path` again and again until it is reported. A folder that just appeared is
 * watched a moment after it is reported (a backend must list it first), so one write could
 * land before that; the contract is that later changes in it are reported, with the right
 * path (the first ones are covered by the folder's own scope).
 */
async function writeUntilReported(
  w: Collector,
  root: string,
  path: string,
  onDisk = path,
): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (let attempt = 0; !w.seen.has(path); attempt += 1) {
    if (Date.now() > deadline)
      throw new Error(`${path} was never reported; seen: ${[...w.seen].join(', ')}`);
    appendFileSync(join(root, onDisk), `${attempt}\n`);
    // A sibling too: chokidar lists a new folder before watching it, so a file made in that
    // moment is picked up only with the folder's next change.
    writeFileSync(join(root, dirname(onDisk), `.nudge-${attempt}`), '');
    const until = Date.now() + 500;
    await waitFor(
      () => w.seen.has(path) || Date.now() > until,
      () => path,
    );
  }
}

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ossync-watch-'));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(root, { recursive: true, force: true });
});

const BACKENDS: WatchBackendName[] = ['parcel', 'chokidar', 'chokidar-polling'];

describe.each(BACKENDS)('startWatcher with the %s backend', (backend) => {
  it('reports a created, modified, renamed and deleted file', async () => {
    const w = await watch(root, { backend });
    expect(w.backend).toBe(backend);

    writeFileSync(join(root, 'a.txt'), 'one');
    await w.waitForPaths(['a.txt']);
    w.seen.clear();
    appendFileSync(join(root, 'a.txt'), ' two');
    await w.waitForPaths(['a.txt']);
    w.seen.clear();
    renameSync(join(root, 'a.txt'), join(root, 'b.txt'));
    await w.waitForPaths(['a.txt', 'b.txt']);
    w.seen.clear();
    unlinkSync(join(root, 'b.txt'));
    await w.waitForPaths(['b.txt']);
    expect(w.errors).toEqual([]);
    expect(w.seen.has('')).toBe(false);
  });

  it('reports created, renamed and deleted folders (their scope covers their content)', async () => {
    mkdirSync(join(root, 'existing'));
    const w = await watch(root, { backend });

    mkdirSync(join(root, 'dir'));
    writeFileSync(join(root, 'dir', 'f.txt'), 'f');
    await w.waitForPaths(['dir']);
    // The file itself may come only through the folder's scope (parcel does not list a
    // folder it starts watching), but once the folder is watched, its files are reported.
    await writeUntilReported(w, root, 'dir/g.txt');
    w.seen.clear();

    renameSync(join(root, 'dir'), join(root, 'existing', 'moved'));
    await w.waitForPaths(['dir', 'existing/moved']);
    w.seen.clear();

    await writeUntilReported(w, root, 'existing/moved/h.txt');
    w.seen.clear();

    rmSync(join(root, 'existing'), { recursive: true });
    await w.waitForPaths(['existing']);
    expect(w.errors).toEqual([]);
  });

  it('reports changes below a renamed folder with the new path', async () => {
    mkdirSync(join(root, 'old', 'sub', 'deeper'), { recursive: true });
    const w = await watch(root, { backend });
    renameSync(join(root, 'old'), join(root, 'new'));
    await w.waitForPaths(['old', 'new']);
    await writeUntilReported(w, root, 'new/sub/deeper/a.txt');
    await writeUntilReported(w, root, 'new/sub/b.txt');
    expect(w.errors).toEqual([]);
  });

  it('reports changes deep inside a folder moved in from outside', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'ossync-outside-'));
    try {
      mkdirSync(join(outside, 'tree', 'sub', 'deeper'), { recursive: true });
      const w = await watch(root, { backend });
      renameSync(join(outside, 'tree'), join(root, 'tree'));
      await w.waitForPaths(['tree']);
      await writeUntilReported(w, root, 'tree/sub/deeper/late.txt');
      expect(w.errors).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('reports an atomic save (write a temp file, rename it over the original)', async () => {
    writeFileSync(join(root, 'doc.txt'), 'version 1');
    const w = await watch(root, { backend });
    writeFileSync(join(root, '.doc.txt.swp'), 'version 2');
    renameSync(join(root, '.doc.txt.swp'), join(root, 'doc.txt'));
    await w.waitForPaths(['doc.txt']);
  });

  it(
    'reports each file of a burst of 2,000 with its relative path',
    { timeout: 180_000 },
    async () => {
      mkdirSync(join(root, 'inbox', 'deep'), { recursive: true });
      const w = await watch(root, { backend });
      const paths = Array.from({ length: 2000 }, (_, i) =>
        i % 2 === 0 ? `inbox/file-${i}.txt` : `inbox/deep/file-${i}.txt`,
      );
      for (const path of paths) writeFileSync(join(root, path), path);
      await w.waitForPaths(paths, 120_000);
      for (const path of w.seen) expect(path.startsWith('inbox/')).toBe(true);
      expect(w.errors).toEqual([]);
    },
  );

  it('reports NFD names in NFC', async () => {
    mkdirSync(join(root, 'Fa\u0308cher'));
    const w = await watch(root, { backend });
    writeFileSync(join(root, 'Fa\u0308cher', 'U\u0308ber.txt'), 'x');
    await w.waitForPaths(['F\u00e4cher/\u00dcber.txt']);
    const nfd = 'cafe\u0301.txt';
    writeFileSync(join(root, nfd), 'x');
    mkdirSync(join(root, 'Re\u0301sume\u0301'));
    await w.waitForPaths(['caf\u00e9.txt', 'R\u00e9sum\u00e9']);
    const nfc = 'R\u00e9sum\u00e9/\u00f1.txt';
    await writeUntilReported(w, root, nfc, nfc.normalize('NFD'));
    for (const path of w.seen) expect(path).toBe(path.normalize('NFC'));
  });

  it('applies the ignore pre-filter to pair-relative paths', async () => {
    mkdirSync(join(root, 'sub'));
    const w = await watch(root, { backend, ignore: (rel) => rel.endsWith('.tmp') });
    writeFileSync(join(root, 'sub', 'skip.tmp'), 'x');
    writeFileSync(join(root, 'sub', 'keep.txt'), 'x');
    await w.waitForPaths(['sub/keep.txt']);
    expect(w.seen.has('sub/skip.tmp')).toBe(false);
  });

  it('close() stops events, and is idempotent', async () => {
    const closed = await watch(root, { backend });
    const witness = await watch(root, { backend });
    writeFileSync(join(root, 'before.txt'), 'x');
    await closed.waitForPaths(['before.txt']);
    await Promise.all([closed.watcher.close(), closed.watcher.close()]);
    await closed.watcher.close();
    const reported = closed.batches.length;

    writeFileSync(join(root, 'after.txt'), 'x');
    mkdirSync(join(root, 'after-dir'));
    await witness.waitForPaths(['after.txt', 'after-dir']);
    // One more round trip through the witness, so anything still queued had its chance.
    writeFileSync(join(root, 'after-2.txt'), 'x');
    await witness.waitForPaths(['after-2.txt']);
    expect(closed.batches.length).toBe(reported);
    expect(closed.errors).toEqual([]);
  });

  it("reports 'root-gone' when the folder is removed, and nothing crashes", async () => {
    mkdirSync(join(root, 'pair', 'sub'), { recursive: true });
    writeFileSync(join(root, 'pair', 'sub', 'f.txt'), 'x');
    const w = await watch(join(root, 'pair'), { backend });
    rmSync(join(root, 'pair'), { recursive: true });
    await waitFor(
      () => w.errors.length > 0,
      () => 'an error',
    );
    expect(w.errors.map((error) => error.code)).toEqual(['root-gone']);
    expect(w.errors[0]!.message).toContain(join(root, 'pair'));
    expect(w.errors[0]!.backend).toBe(backend);
    await w.watcher.close(); // still fine after the failure
  });

  it("reports 'root-gone' when the folder is replaced by another one", async () => {
    mkdirSync(join(root, 'pair'));
    const w = await watch(join(root, 'pair'), { backend, rootCheckMs: 200 });
    renameSync(join(root, 'pair'), join(root, 'old-pair'));
    mkdirSync(join(root, 'pair'));
    await waitFor(
      () => w.errors.length > 0,
      () => 'an error',
    );
    expect(w.errors.map((error) => error.code)).toEqual(['root-gone']);
  });
});

describe('startWatcher', () => {
  it("'auto' uses @parcel/watcher when it loads", async () => {
    const w = await watch(root);
    expect(w.backend).toBe('parcel');
    expect(w.fallbackReason).toBeUndefined();
  });

  it(
    'parcel: keeps correct paths after many folder renames, and drops what it no longer needs',
    {
      timeout: 120_000,
    },
    async () => {
      // The real module, observed: which folders get subscribed, how many stay subscribed.
      const real = await loadParcel();
      const subscribed: string[] = [];
      let live = 0;
      const observed: ParcelModule = {
        subscribe: async (dir, fn, opts) => {
          const subscription = await real.subscribe(dir, fn, opts);
          subscribed.push(dir);
          live += 1;
          return {
            unsubscribe: () => {
              live -= 1;
              return subscription.unsubscribe();
            },
          };
        },
      };
      const count = 80;
      for (let i = 0; i < count; i += 1) mkdirSync(join(root, `a${i}`, 'sub'), { recursive: true });
      const w = await watch(root, {
        backend: 'parcel',
        modules: { parcel: () => Promise.resolve(observed) },
      });
      for (let i = 0; i < count; i += 1) renameSync(join(root, `a${i}`), join(root, `b${i}`));
      await w.waitForPaths(Array.from({ length: count }, (_, i) => `b${i}`));
      for (const i of [0, 31, 64, count - 1]) await writeUntilReported(w, root, `b${i}/sub/x.txt`);
      // The root once, and every renamed folder (it has a subfolder) once.
      expect(subscribed.filter((dir) => dir === root)).toHaveLength(1);
      expect(subscribed.filter((dir) => dir !== root)).toHaveLength(count);
      expect(w.seen.has('')).toBe(false);

      // Deleted folders drop their subscriptions; the root's keeps working.
      for (let i = 0; i < count; i += 1) rmSync(join(root, `b${i}`), { recursive: true });
      await waitFor(
        () => live === 1,
        () => `1 live subscription, not ${live}`,
      );
      writeFileSync(join(root, 'still-watched.txt'), 'x');
      await w.waitForPaths(['still-watched.txt']);
      expect(w.errors).toEqual([]);
      await w.watcher.close();
      expect(live).toBe(0);
    },
  );

  it('parcel: past maxNested folder subscriptions, subscribes anew and asks for a full rescan', async () => {
    const real = await loadParcel();
    let live = 0;
    const observed: ParcelModule = {
      subscribe: async (dir, fn, opts) => {
        const subscription = await real.subscribe(dir, fn, opts);
        live += 1;
        return {
          unsubscribe: () => {
            live -= 1;
            return subscription.unsubscribe();
          },
        };
      },
    };
    for (let i = 0; i < 5; i += 1) mkdirSync(join(root, `a${i}`, 'sub'), { recursive: true });
    const seen = new Set<string>();
    let lost = 0;
    const errors: unknown[] = [];
    const backend = await startParcelWatcher({
      root,
      module: observed,
      maxNested: 3,
      signal: new AbortController().signal,
      sink: {
        paths: (paths) => paths.forEach((path) => seen.add(relative(root, path))),
        lost: () => (lost += 1),
        error: (error) => errors.push(error),
      },
    });
    cleanups.push(() => backend.close());
    for (let i = 0; i < 5; i += 1) renameSync(join(root, `a${i}`), join(root, `b${i}`));
    await waitFor(
      () => lost > 0,
      () => 'a full rescan',
    );
    // Whatever was subscribed when, every renamed folder reports with its new path.
    for (let i = 0; i < 5; i += 1) {
      const file = join(`b${i}`, 'sub', 'x.txt');
      for (let attempt = 0; !seen.has(file); attempt += 1) {
        appendFileSync(join(root, file), `${attempt}\n`);
        const until = Date.now() + 500;
        await waitFor(
          () => seen.has(file) || Date.now() > until,
          () => file,
        );
      }
    }
    expect(errors).toEqual([]);
    await backend.close();
    expect(live).toBe(0);
  });

  it("'auto' falls back to chokidar when the native module cannot load", async () => {
    // A fake only for what cannot happen here for real: the prebuilt binary is installed.
    const w = await watch(root, {
      modules: {
        parcel: () =>
          Promise.reject(new Error('No prebuild or local build of @parcel/watcher found.')),
      },
    });
    expect(w.backend).toBe('chokidar');
    expect(w.fallbackReason).toContain('No prebuild');
    writeFileSync(join(root, 'x.txt'), 'x');
    await w.waitForPaths(['x.txt']);
  });

  it("'auto' falls back to chokidar when subscribing fails for another reason than a limit", async () => {
    const parcel: ParcelModule = {
      subscribe: () => Promise.reject(new Error('Unable to initialize inotify: Invalid argument')),
    };
    const w = await watch(root, { modules: { parcel: () => Promise.resolve(parcel) } });
    expect(w.backend).toBe('chokidar');
    expect(w.fallbackReason).toContain('Invalid argument');
  });

  it("'auto' reports a watch limit instead of falling back (chokidar would hit it too)", async () => {
    let chokidarLoaded = false;
    const parcel: ParcelModule = {
      subscribe: () =>
        Promise.reject(
          new Error(`inotify_add_watch on '${root}/a' failed: No space left on device`),
        ),
    };
    const error = await startWatcher({
      root,
      onPaths: () => undefined,
      onError: () => undefined,
      modules: {
        parcel: () => Promise.resolve(parcel),
        chokidar: () => {
          chokidarLoaded = true;
          return import('chokidar');
        },
      },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WatchError);
    expect((error as WatchError).code).toBe('limit');
    expect((error as WatchError).message).toMatch(/max_user_watches/);
    expect(chokidarLoaded).toBe(false);
  });

  it("an explicit 'parcel' backend that cannot load is an error, not a fallback", async () => {
    const error = await startWatcher({
      root,
      backend: 'parcel',
      onPaths: () => undefined,
      onError: () => undefined,
      modules: { parcel: () => Promise.reject(new Error('cannot open shared object file')) },
    }).catch((caught: unknown) => caught);
    expect((error as WatchError).code).toBe('failed');
    expect((error as WatchError).message).toContain('cannot open shared object file');
  });

  it("rejects with 'root-gone' for a missing folder and 'failed' for a file", async () => {
    const options = { onPaths: () => undefined, onError: () => undefined };
    for (const backend of BACKENDS) {
      const missing = await startWatcher({ ...options, backend, root: join(root, 'nope') }).catch(
        (caught: unknown) => caught,
      );
      expect((missing as WatchError).code).toBe('root-gone');
    }
    writeFileSync(join(root, 'file'), 'x');
    const file = await startWatcher({ ...options, root: join(root, 'file') }).catch(
      (caught: unknown) => caught,
    );
    expect((file as WatchError).code).toBe('failed');
  });

  it('turns an error from the native callback into onError, after the watcher stopped', async () => {
    // The real module cannot be made to fail on demand; this one hands out its callback.
    let callback:
      ((error: Error | null, events: { path: string; type: string }[]) => unknown) | undefined;
    let unsubscribed = 0;
    const parcel = {
      subscribe: (_dir: string, fn: typeof callback) => {
        callback = fn;
        return Promise.resolve({
          unsubscribe: () => {
            unsubscribed += 1;
            return Promise.resolve();
          },
        });
      },
    } as unknown as ParcelModule;
    const w = await watch(root, {
      backend: 'parcel',
      modules: { parcel: () => Promise.resolve(parcel) },
    });
    callback!(null, [{ path: join(root, 'seen.txt'), type: 'create' }]);
    await w.waitForPaths(['seen.txt']);
    callback!(new Error('Error reading from inotify: Too many open files'), []);
    await waitFor(
      () => w.errors.length > 0,
      () => 'an error',
    );
    expect(w.errors[0]!.code).toBe('limit');
    expect(w.errors[0]!.message).toMatch(/open-files limit/);
    expect(unsubscribed).toBe(1);
    // Whatever the module still calls, nothing more comes out and nothing throws.
    callback!(new Error('again'), []);
    callback!(null, [{ path: join(root, 'late.txt'), type: 'create' }]);
    await w.watcher.close();
    expect(w.errors).toHaveLength(1);
    expect(w.seen.has('late.txt')).toBe(false);
    expect(unsubscribed).toBe(1);
  });

  it('survives an onPaths that throws (a warning, not a crash)', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    try {
      let calls = 0;
      await watch(root, {
        backend: 'parcel',
        onPaths: () => {
          calls += 1;
          throw new Error('bug in the caller');
        },
      });
      writeFileSync(join(root, 'a.txt'), 'x');
      await waitFor(
        () => calls > 0 && warnings.length > 0,
        () => 'a warning',
      );
      expect(warnings[0]).toContain('bug in the caller');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('chokidar: a file it missed in a folder is reported once events there settle', async () => {
    // chokidar misses a file when its folder listing races the file's creation (slow
    // listings under load); that race cannot be produced on demand, so its effect is: the
    // file is taken out of what the real chokidar tracks, as if never listed, right when it
    // is reported (long before the folder's events settle), and no event follows.
    const realChokidar = await import('chokidar');
    let fsWatcher: ReturnType<ChokidarModule['watch']> | undefined;
    const chokidar: ChokidarModule = {
      watch: (paths, options) => (fsWatcher = realChokidar.watch(paths, options)),
    };
    mkdirSync(join(root, 'inbox'));
    const reports: string[][] = [];
    const { watcher } = await startWatcher({
      root,
      backend: 'chokidar',
      modules: { chokidar: () => Promise.resolve(chokidar) },
      onPaths: (paths) => {
        reports.push(paths);
        if (reports.length === 1) fsWatcher!._watched.get(join(root, 'inbox'))!.items.clear();
      },
      onError: (error) => {
        throw error;
      },
    });
    cleanups.push(() => watcher.close());
    // Moved in whole: one event only, so chokidar has no reason to list the folder again.
    const outside = await mkdtemp(join(tmpdir(), 'ossync-staged-'));
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    writeFileSync(join(outside, 'staged'), 'x');
    const movedAt = Date.now();
    renameSync(join(outside, 'staged'), join(root, 'inbox', 'missed.txt'));
    await waitFor(
      () => reports.length >= 2,
      () => `the sweep; reports: ${JSON.stringify(reports)}`,
    );
    expect(Date.now() - movedAt).toBeGreaterThanOrEqual(1400); // after the settle time
    expect(reports).toEqual([['inbox/missed.txt'], ['inbox/missed.txt']]);
  });

  it("turns a chokidar 'error' event into onError, and one after close() is harmless", async () => {
    // The real chokidar; only the error is made up (a real ENOSPC needs a lowered sysctl).
    const realChokidar = await import('chokidar');
    let fsWatcher: ReturnType<ChokidarModule['watch']> | undefined;
    const chokidar: ChokidarModule = {
      watch: (paths, options) => (fsWatcher = realChokidar.watch(paths, options)),
    };
    const w = await watch(root, {
      backend: 'chokidar',
      modules: { chokidar: () => Promise.resolve(chokidar) },
    });
    const limit = Object.assign(
      new Error('ENOSPC: System limit for number of file watchers reached'),
      {
        code: 'ENOSPC',
      },
    );
    fsWatcher!.emit('error', limit);
    await waitFor(
      () => w.errors.length > 0,
      () => 'an error',
    );
    expect(w.errors[0]!.code).toBe('limit');
    expect(fsWatcher!.closed).toBe(true);
    expect(() => fsWatcher!.emit('error', new Error('late'))).not.toThrow();
    expect(w.errors).toHaveLength(1);
  });
});
