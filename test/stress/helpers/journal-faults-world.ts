/**
 * The app of the journal fault sweep, as a script: a mirror pair over a small tree, synced;
 * then an edit, a rename, a delete and a change made remotely by someone else, and a download
 * queued on the same engine; synced again. The app is the real runtime (real SQLite file,
 * ali-oss, the local OSS server) opened through `openDatabase`'s wrap option, so every write
 * it makes can be failed; its engine's file system port fails everything once the process is
 * "dead". `runScript` drives it like a user and a restarting host would: a failed start is
 * started again, a dead process is torn down and started again on the same data folder, and
 * each step is idempotent, so it is simply done again after a restart.
 */
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type OSS from 'ali-oss';
import { createTransferRuntime, type TransferRuntime } from '../../../main/core/runtime.js';
import { SyncManager } from '../../../main/core/sync/sync-manager.js';
import type { PairRunner } from '../../../main/core/sync/pair-runner.js';
import { NodeLocalFs } from '../../../main/core/fs/local-fs.js';
import { TransferEngine } from '../../../main/core/transfer/engine.js';
import { RetryPolicy } from '../../../main/core/transfer/retry-policy.js';
import { KiB, accountFor, randomBytesFor } from '../../helpers/engine.js';
import type { LocalOss } from '../../helpers/osslocal.js';
import { WriteFaults, withWriteFaults } from './journal-faults-db.js';

export const PREFIX = 'pair/';
export const DOWNLOAD_KEY = 'shared/report.bin';
const DOWNLOAD_BATCH = 'journal-faults-get';
/** A stuck run fails after this long rather than hanging the suite. */
const STEP_DEADLINE_MS = 15_000;

/**
 * Where runs keep their files: a tmpfs where there is one. A run's own fsyncs (the database's
 * WAL checkpoints, the server's blobs) cost most of its time on a disk, and a few hundred
 * runs make a lot of them; a tmpfs is as real a file system for everything tested here.
 */
export const SCRATCH = ((): string => {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
})();

/** The tree: `full` adds a multipart file (3 parts) and a deeper folder. */
export type TreeSize = 'small' | 'full';

export interface ScriptWorld {
  base: string;
  root: string;
  dataDir: string;
  downloads: string;
  bucket: string;
  size: TreeSize;
}

/** Folders and objects of one run (a bucket of its own, so runs never see each other). */
export async function createScriptWorld(
  oss: LocalOss,
  client: OSS,
  bucket: string,
  size: TreeSize,
): Promise<ScriptWorld> {
  const base = mkdtempSync(path.join(SCRATCH, 'ossync-jfaults-'));
  const world: ScriptWorld = {
    base,
    root: path.join(base, 'folder'),
    dataDir: path.join(base, 'data'),
    downloads: path.join(base, 'downloads'),
    bucket,
    size,
  };
  mkdirSync(world.root);
  mkdirSync(world.downloads);
  const files: Record<string, Buffer> = {
    'a.txt': Buffer.from('first version of a\n'),
    'docs/b.txt': Buffer.from('b, to be renamed\n'),
    'docs/c.txt': Buffer.from('c, to be deleted\n'),
  };
  if (size === 'full') {
    files['e.txt'] = Buffer.from('e, changed remotely by someone else\n');
    files['docs/deep/d.txt'] = Buffer.from('d stays as it is\n');
    files['media/big.bin'] = randomBytesFor('journal-faults-big', 300 * KiB);
  }
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(world.root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  await client.putBucket(bucket);
  client.useBucket(bucket);
  await client.put(DOWNLOAD_KEY, randomBytesFor('journal-faults-download', 48 * KiB));
  // Never synced by the pair: it must stay, untouched and unjournaled.
  await client.put(`${PREFIX}remote-only.txt`, Buffer.from('someone else put this here\n'));
  void oss;
  return world;
}

/**
 * The changes between the two syncs, made by the user and by someone else, not by the app:
 * a.txt is edited on both sides (the remote version is kept as a conflict, the local one
 * wins), b.txt renamed (a move on the server), c.txt deleted (moved to the trash); in the full
 * tree, e.txt is changed remotely only.
 */
async function changeThings(world: ScriptWorld, client: OSS): Promise<void> {
  writeFileSync(path.join(world.root, 'a.txt'), 'second version of a, longer than the first\n');
  renameSync(path.join(world.root, 'docs/b.txt'), path.join(world.root, 'docs/b-renamed.txt'));
  unlinkSync(path.join(world.root, 'docs/c.txt'));
  await client.put(`${PREFIX}a.txt`, Buffer.from('a as someone else wrote it remotely\n'));
  if (world.size === 'full')
    await client.put(`${PREFIX}e.txt`, Buffer.from('e as someone else wrote it remotely\n'));
}

interface App {
  runtime: TransferRuntime;
  manager: SyncManager;
  /** Opened on the faulty database (the first start, until the fault fired). */
  faulty: boolean;
}

export interface ScriptRun {
  faults: WriteFaults;
  /** Starts of the app (1 without a failed start or a death). */
  starts: number;
}

/**
 * Runs the script on `handle` (its database fails as `handle`'s faults say until the fault
 * fired) and leaves the app running: the caller checks convergence and stops it.
 */
export async function runScript(handle: AppHandle, client: OSS, world: ScriptWorld): Promise<void> {
  await handle.step('start', async () => {});
  // The start's own full pass is the first sync.
  await handle.step('first sync', (app) => sync(app, false));
  await changeThings(world, client);
  // A user action: when it fails with an error, the user does it again.
  await handle.step('queue the download', { again: true }, async (app) => {
    const queued = app.runtime.store.counts(DOWNLOAD_BATCH);
    if (Object.values(queued).every((n) => n === 0))
      app.runtime.engine.add([
        {
          kind: 'download',
          bucket: world.bucket,
          key: DOWNLOAD_KEY,
          localPath: path.join(world.downloads, 'report.bin'),
          batch: DOWNLOAD_BATCH,
        },
      ]);
  });
  await handle.step('second sync', (app) => sync(app, true));
  await handle.step('the download', async (app) => {
    await app.runtime.engine.waitForBatch(DOWNLOAD_BATCH);
  });
}

function runnerOf(app: App): PairRunner {
  const pair = app.manager.listPairs()[0];
  const runner = pair && app.manager.runner(pair.id);
  if (runner === undefined) throw new Error('the pair has no runner');
  return runner;
}

/** One full pass (what the periodic rescan asks for), waited until the pair has nothing to do. */
async function fullPass(app: App): Promise<void> {
  const runner = runnerOf(app);
  await runner.settled();
  runner.requestPass([''], true);
  await runner.settled();
}

/**
 * A sync (`pass`: ask for a full pass; otherwise the start's own), until it went through: a
 * failed pass is tried again at once, as the runner does by itself a few seconds later. (A
 * pair in error counts as settled even with jobs queued: the next pass waits for them.)
 */
async function sync(app: App, pass: boolean): Promise<void> {
  const runner = runnerOf(app);
  if (pass) await fullPass(app);
  else await runner.settled();
  for (let again = 0; again < 3 && runner.status().state === 'error'; again++) await fullPass(app);
}

function deadline<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what}: still not done after ${STEP_DEADLINE_MS} ms (stuck)`)),
        STEP_DEADLINE_MS,
      );
    }),
  ]);
}

/** The running app of a script, started again when it failed to start or "died". */
export class AppHandle {
  private app: App | undefined;
  readonly run: ScriptRun;

  constructor(
    private readonly oss: LocalOss,
    private readonly world: ScriptWorld,
    private readonly faults: WriteFaults,
  ) {
    this.run = { faults, starts: 0 };
  }

  /**
   * Does `action` on the running app (starting it first if needed). A failed start is retried
   * (the host starts the app again); a death tears the app down, starts it again and does the
   * action again. An action that fails in mode 'once' is done again only if `again` (a user's
   * command that failed with an error); otherwise the app carries on by itself.
   */
  async step(
    what: string,
    ...args: [(app: App) => Promise<void>] | [{ again: boolean }, (app: App) => Promise<void>]
  ): Promise<void> {
    const again = args.length === 2 && args[0].again;
    const action = args.length === 2 ? args[1] : args[0];
    for (let attempt = 0; attempt < 4; attempt++) {
      if (this.app === undefined) {
        try {
          this.app = await this.start();
        } catch (error) {
          if (!this.injected(error)) throw error;
          await this.teardownAfterDeath();
          continue;
        }
      }
      const app = this.app;
      const done = action(app).then(
        () => 'done' as const,
        (error: unknown) => {
          if (this.injected(error)) return 'failed' as const;
          throw error;
        },
      );
      const outcome = await deadline(
        `${what} (fault at write ${this.faults.failAt ?? '-'}, ${this.faults.mode})`,
        app.faulty
          ? Promise.race([done, this.faults.whenDead().then(() => 'dead' as const)])
          : done,
      );
      if (outcome === 'dead' || this.usesDeadDatabase(app)) {
        await this.teardownAfterDeath();
        await done.catch(() => {});
        continue;
      }
      if (outcome === 'failed' && again) continue;
      return;
    }
    throw new Error(`${what}: the app could not get past it in 4 starts`);
  }

  /** Whether `error` is the injected fault (or a refusal after it), however it was wrapped. */
  private injected(error: unknown): boolean {
    for (let e = error; e instanceof Error; e = e.cause) {
      if ((e as { code?: unknown }).code === this.faults.code && this.faults.fired !== undefined)
        return true;
    }
    return false;
  }

  private usesDeadDatabase(app: App): boolean {
    return this.faults.dead && app.faulty;
  }

  private async start(): Promise<App> {
    this.run.starts++;
    // Until the fault fired, the database is the faulty one; after it, a start (after a
    // failed start or a death) opens it without faults: the disk is fine again.
    const faulty = this.faults.fired === undefined;
    const settings = {
      // One transfer at a time: the N-th write is the same statement in every run.
      maxFiles: 1,
      maxPartsPerFile: 1,
      maxParts: 1,
      multipartThreshold: 200 * KiB,
      partSize: 100 * KiB,
      retry: new RetryPolicy({ initialDelayMs: 20, maxDelayMs: 200 }),
    };
    const wired = createTransferRuntime({
      dataDir: this.world.dataDir,
      account: accountFor(this.oss),
      engine: settings,
      ...(faulty ? { database: { wrap: (db) => withWriteFaults(db, this.faults) } } : {}),
    });
    // A dead process does nothing more on disk either: the engine's file system port fails
    // every operation from the death on (EIO), so what the app would clean up after a failed
    // write stays as a killed process leaves it.
    const faults = this.faults;
    const fs = new NodeLocalFs({
      faults: (op, p) =>
        faulty && faults.dead
          ? Object.assign(new Error(`EIO: i/o error, ${op} '${p}' (the process is dead)`), {
              code: 'EIO',
            })
          : undefined,
    });
    const engine = new TransferEngine(
      { store: wired.store, remote: wired.remote, fs, crc: wired.crc },
      settings,
    );
    const runtime: TransferRuntime = { ...wired, engine };
    const manager = new SyncManager(
      {
        sync: runtime.sync,
        jobs: runtime.store,
        engine: runtime.engine,
        remote: runtime.remote,
        crc: runtime.crc,
        dataDir: this.world.dataDir,
      },
      { watch: false, rescanMs: 0, stabilityMs: 0 },
    );
    const app = { runtime, manager, faulty };
    try {
      runtime.engine.start();
      if (manager.listPairs().length === 0)
        manager.addPair({
          localRoot: this.world.root,
          bucket: this.world.bucket,
          prefix: PREFIX,
          mode: 'mirror',
        });
      await manager.start();
    } catch (error) {
      await stopApp(app);
      throw error;
    }
    return app;
  }

  private async teardownAfterDeath(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    if (app !== undefined) await stopApp(app);
  }

  /** Stops the app (the caller reads the database afterwards); a shutdown error throws. */
  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    if (app === undefined) return;
    const errors = await stopApp(app);
    if (errors.length > 0) throw errors[0];
  }
}

/**
 * Stops everything of an app, each piece even if another failed (a dead app's database
 * refuses the writes its shutdown makes): what a killed process leaves is what is on disk.
 */
async function stopApp(app: App): Promise<unknown[]> {
  const errors: unknown[] = [];
  const attempt = async (action: () => unknown): Promise<void> => {
    try {
      await action();
    } catch (error) {
      errors.push(error);
    }
  };
  await attempt(() => app.manager.stop());
  await attempt(() => app.runtime.engine.stop());
  await attempt(() => app.runtime.crc.close());
  await attempt(() => app.runtime.remote.close());
  await attempt(() => app.runtime.db.close());
  return errors;
}

export function removeWorld(world: ScriptWorld): void {
  rmSync(world.base, { recursive: true, force: true });
}
