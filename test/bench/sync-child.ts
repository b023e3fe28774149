/**
 * The child processes of `npm run bench -- sync` (test/bench/sync.ts): each measured phase
 * runs in a fresh process of its own, so its time and its peak RSS (VmHWM) are its own.
 * sync.ts runs it built to JS (`node .../sync-child.js '<task JSON>'`, as the app runs), or
 * under tsx (`node --import tsx test/bench/sync-child.ts '<task JSON>'`), with an IPC
 * channel; one-shot tasks send one result and exit, `sync` serves commands until `exit`.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../main/core/db/database.js';
import { SyncStore } from '../../main/core/db/sync-store.js';
import type { RemoteStore } from '../../main/core/remote/remote-store.js';
import { createTransferRuntime, type TransferRuntime } from '../../main/core/runtime.js';
import { mergeSides, type LocalItem } from '../../main/core/sync/merge.js';
import { remoteFromBase, runPass } from '../../main/core/sync/pass.js';
import { plan, type PlanActionKind } from '../../main/core/sync/planner.js';
import { scanLocal, type ScanItem, type ScanSummary } from '../../main/core/sync/scanner.js';
import { StabilityGate } from '../../main/core/sync/stability.js';
import { SyncManager } from '../../main/core/sync/sync-manager.js';
import type { JournalEntry, PairConfig } from '../../main/core/sync/types.js';
import { startWatcher, type WatchBackendName } from '../../main/core/sync/watcher.js';
import { TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, TEST_REGION } from '../helpers/osslocal.js';

// ---- what the parent sends and gets back --------------------------------------------------

export type ChildTask =
  /** Scan + merge with the (empty) journal + plan, no job queued; then the bare walk. */
  | { kind: 'scan'; root: string; dataDir: string; bucket: string; prefix: string }
  /** The whole first pass of a new pair (listing the empty bucket), jobs queued, engine stopped. */
  | {
      kind: 'first-pass';
      root: string;
      dataDir: string;
      port: number;
      bucket: string;
      prefix: string;
    }
  /** Fills the journal as if every file had been synced (what the scan saw, fake CRCs/ETags). */
  | { kind: 'fill'; root: string; dataDir: string; bucket: string; prefix: string }
  /** A pass over the unchanged tree with the filled journal, without listing the bucket. */
  | { kind: 'rescan'; dataDir: string; port: number }
  /** One watcher backend over the tree: ready time, RSS, a short idle sample. */
  | { kind: 'watcher'; root: string; backend: WatchBackendName; idleSeconds: number }
  /**
   * A pair in watch mode, engine running, defaults otherwise. `listingFromJournal`: listings
   * of the pair's prefix are answered from the journal (a bucket holding what the journal
   * says), so a tree whose journal was filled starts without re-uploading everything.
   */
  | {
      kind: 'sync';
      root: string;
      dataDir: string;
      port: number;
      bucket: string;
      prefix: string;
      listingFromJournal: boolean;
    };

export type SyncCommand =
  { op: 'idle'; seconds: number } | { op: 'jobs'; paths: string[] } | { op: 'exit' };

export interface Memory {
  /** Peak RSS of the process so far (VmHWM), MiB. */
  peakRssMiB: number;
  /** RSS now, MiB. */
  rssMiB: number;
}

export interface ScanReply extends Memory {
  /** Scan + merge + plan, seconds. */
  seconds: number;
  secondRunSeconds: number;
  /** The bare walk (scanLocal consumed, nothing else), seconds. */
  walkSeconds: number;
  /** The first scan of the process (an empty folder): starting the scan worker thread. */
  workerStartSeconds: number;
  /** RSS before the timed scan (node, tsx, modules, the worker), MiB. */
  baseRssMiB: number;
  /** How many paths the planner gave each action. */
  actions: Partial<Record<PlanActionKind, number>>;
  summary: ScanSummary;
}

export interface PassReply extends Memory {
  seconds: number;
  workerStartSeconds: number;
  baseRssMiB: number;
  result: Record<string, number>;
  /** Jobs of the pair in the database afterwards (unfinished). */
  jobsQueued: number;
  /** Calls made on the CRC64 pool and on the remote store during the pass, by method. */
  crcCalls: Record<string, number>;
  remoteCalls: Record<string, number>;
  /** The CRC64 pool's stats after the pass (liveWorkers 0: no hash worker ever started). */
  crcPool: Record<string, number>;
  secondRunSeconds?: number;
}

export interface FillReply {
  seconds: number;
  entries: number;
  pairId: number;
}

export interface WatcherReply extends Memory {
  readySeconds: number;
  /** RSS before the watcher started (node and the watcher layer, no backend yet), MiB. */
  rssBeforeMiB: number;
  backend: WatchBackendName;
  idleCpuFraction: number;
  idleSeconds: number;
}

export interface SyncReady extends Memory {
  /** From manager.start() to the pair settled (the start pass and its uploads). */
  startSeconds: number;
  state: string;
  watching: string;
  pairId: number;
  filesPending: number;
  errors: number;
}

export interface IdleReply extends Memory {
  seconds: number;
  cpuSeconds: number;
  /** Status events the pair emitted during the window (0: nothing happened). */
  statusEvents: number;
}

export interface JobsReply {
  /** Per path: when its upload job was created and finished (Date.now() ms). */
  jobs: Record<string, { createdAt: number; finishedAt: number | null; state: string }[]>;
  /** Every job the pair ever had (uploads of the tree's own files would show here). */
  pairJobs: number;
}

// ---- helpers ---------------------------------------------------------------------------------

function procStatusKiB(field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync('/proc/self/status', 'utf8'),
  );
  return match ? Number(match[1]) : Number.NaN;
}

function memory(): Memory {
  return {
    peakRssMiB: round(procStatusKiB('VmHWM') / 1024),
    rssMiB: round(procStatusKiB('VmRSS') / 1024),
  };
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

const seconds = (start: number): number => (performance.now() - start) / 1000;

function send(message: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('no IPC channel'));
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

function account(port: number): Parameters<typeof createTransferRuntime>[0]['account'] {
  return {
    endpoint: `http://localhost:${port}`,
    region: TEST_REGION,
    accessKeyId: TEST_ACCESS_KEY_ID,
    accessKeySecret: TEST_ACCESS_KEY_SECRET,
    pathStyle: true,
    authorizationV4: true,
  };
}

/**
 * Starts the scan worker thread with a scan of an empty folder, timed (about 0.1 s from
 * built JS here, several hundred ms under tsx): the app pays that once, when it starts
 * (prepareScanWorker), not per scan. The worker is then kept idle and reused by the next scan.
 */
async function warmScanWorker(): Promise<number> {
  const empty = mkdtempSync(path.join(tmpdir(), 'sync-bench-empty-'));
  try {
    const start = performance.now();
    for await (const _batch of scanLocal({
      root: empty,
      prefix: '',
      patterns: [],
      followSymlinks: false,
    }));
    return seconds(start);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
}

/** Counts the calls made on an object's methods (a Proxy; the methods run on the target). */
function counting<T extends object>(target: T): { proxy: T; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        calls[property] = (calls[property] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
  return { proxy, calls };
}

function onlyPair(sync: SyncStore): PairConfig {
  const pair = sync.listPairs()[0];
  if (pair === undefined) throw new Error('no pair in the database');
  return pair;
}

async function* journalPages(sync: SyncStore, pairId: number): AsyncGenerator<JournalEntry[]> {
  let after: string | undefined;
  for (;;) {
    const page = sync.journalPage(pairId, {
      ...(after === undefined ? {} : { after }),
      limit: 1000,
    });
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!.path;
  }
}

/** The scan's files (issues dropped, unknowns kept), as the pass hands them to the merge. */
async function* localItems(scan: AsyncIterable<ScanItem[]>): AsyncGenerator<LocalItem[]> {
  for await (const batch of scan)
    yield batch.filter(
      (item): item is Exclude<ScanItem, { type: 'issue' }> => item.type !== 'issue',
    );
}

// ---- tasks -----------------------------------------------------------------------------------

async function scanTask(task: Extract<ChildTask, { kind: 'scan' }>): Promise<ScanReply> {
  const db = openDatabase(path.join(task.dataDir, 'state.db'));
  const sync = new SyncStore(db);
  const pair = sync.addPair({ localRoot: task.root, bucket: task.bucket, prefix: task.prefix });
  const workerStartSeconds = await warmScanWorker();
  const baseRssMiB = memory().rssMiB;

  /** What runPass does before it queues anything: scan, merge with the journal, plan. */
  const scanMergePlan = async (): Promise<{
    actions: Partial<Record<PlanActionKind, number>>;
    summary: ScanSummary;
  }> => {
    const actions: Partial<Record<PlanActionKind, number>> = {};
    const scan = scanLocal({
      root: pair.localRoot,
      prefix: pair.prefix,
      patterns: pair.ignore,
      followSymlinks: pair.followSymlinks,
    });
    for await (const triple of mergeSides(
      localItems(scan),
      undefined,
      journalPages(sync, pair.id),
    )) {
      const action = plan(
        { local: triple.local, remote: remoteFromBase(triple.base), base: triple.base },
        { mode: pair.mode },
      );
      actions[action.kind] = (actions[action.kind] ?? 0) + 1;
    }
    return { actions, summary: { ...scan.summary } };
  };

  let start = performance.now();
  const { actions, summary } = await scanMergePlan();
  const scanSeconds = seconds(start);
  const after = memory();
  start = performance.now();
  await scanMergePlan();
  const secondRunSeconds = seconds(start);
  start = performance.now();
  for await (const _batch of scanLocal({
    root: pair.localRoot,
    prefix: pair.prefix,
    patterns: pair.ignore,
    followSymlinks: false,
  }));
  const walkSeconds = seconds(start);
  db.close();
  return {
    seconds: scanSeconds,
    secondRunSeconds,
    walkSeconds,
    workerStartSeconds,
    baseRssMiB,
    ...after,
    actions,
    summary,
  };
}

async function passTask(
  runtime: TransferRuntime,
  pair: PairConfig,
  listRemote: boolean,
  runs: number,
): Promise<PassReply> {
  const crc = counting(runtime.crc);
  const remote = counting<RemoteStore>(runtime.remote);
  const workerStartSeconds = await warmScanWorker();
  const baseRssMiB = memory().rssMiB;
  const deps = {
    sync: runtime.sync,
    jobs: runtime.store,
    engine: runtime.engine,
    remote: remote.proxy,
    crc: crc.proxy,
    stability: new StabilityGate(),
    now: Date.now,
  };
  const request = { pair, scope: [''], listRemote, batch: 'bench-first-pass' };
  let start = performance.now();
  const result = await runPass(deps, request);
  const passSeconds = seconds(start);
  const after = memory();
  let secondRunSeconds: number | undefined;
  if (runs > 1) {
    start = performance.now();
    await runPass(deps, request);
    secondRunSeconds = seconds(start);
  }
  const { deferred, busy, ...counts } = result;
  return {
    seconds: passSeconds,
    workerStartSeconds,
    baseRssMiB,
    ...after,
    result: { ...counts, deferred: deferred.length, busy: busy.length },
    jobsQueued: runtime.store.pairPending(pair.id).files,
    crcCalls: crc.calls,
    remoteCalls: remote.calls,
    crcPool: { ...runtime.crc.stats() },
    ...(secondRunSeconds === undefined ? {} : { secondRunSeconds }),
  };
}

async function fillTask(task: Extract<ChildTask, { kind: 'fill' }>): Promise<FillReply> {
  const db = openDatabase(path.join(task.dataDir, 'state.db'));
  const sync = new SyncStore(db);
  const pair = sync.addPair({ localRoot: task.root, bucket: task.bucket, prefix: task.prefix });
  const start = performance.now();
  let entries = 0;
  const now = Date.now();
  for await (const batch of scanLocal({
    root: pair.localRoot,
    prefix: pair.prefix,
    patterns: pair.ignore,
    followSymlinks: false,
  })) {
    const rows: JournalEntry[] = [];
    for (const item of batch) {
      if (item.type !== 'file') continue;
      const { path: p, size, mtimeNs, ino } = item.entry;
      // Fake but consistent: one made-up content hash per path, the same on both sides.
      const md5 = createHash('md5').update(p).digest();
      const crc64 = md5.readBigUInt64BE(0).toString();
      rows.push({
        path: p,
        size,
        mtimeNs,
        ino,
        crc64,
        remoteEtag: md5.toString('hex').toUpperCase(),
        remoteCrc64: crc64,
        syncedAt: now,
      });
    }
    sync.journalPutMany(pair.id, rows);
    entries += rows.length;
  }
  const reply = { seconds: seconds(start), entries, pairId: pair.id };
  db.close();
  return reply;
}

async function watcherTask(task: Extract<ChildTask, { kind: 'watcher' }>): Promise<WatcherReply> {
  let failure: Error | undefined;
  const rssBeforeMiB = memory().rssMiB;
  const start = performance.now();
  const { watcher, backend } = await startWatcher({
    root: task.root,
    backend: task.backend,
    onPaths: () => undefined,
    onError: (error) => (failure = error),
  });
  const readySeconds = seconds(start);
  const ready = memory();
  const cpu = process.cpuUsage();
  const idleStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, task.idleSeconds * 1000));
  const used = process.cpuUsage(cpu);
  const idleSeconds = seconds(idleStart);
  await watcher.close();
  if (failure) throw failure;
  return {
    readySeconds,
    rssBeforeMiB,
    backend,
    ...ready,
    idleSeconds,
    idleCpuFraction: (used.user + used.system) / 1e6 / idleSeconds,
  };
}

/**
 * Listings under the pair's prefix (the whole pair, or a folder of a scoped pass) answered from
 * the journal: a bucket that holds what the journal says. The real bucket holds nothing under
 * the prefix but the files this bench adds, which the journal records once uploaded (in the
 * transaction that finishes their job), and a pass does not touch a path while its job runs.
 */
function listingFromJournal(remote: RemoteStore, sync: SyncStore, pair: PairConfig): RemoteStore {
  const listPage: RemoteStore['listPage'] = async (bucket, query, options) => {
    const prefix = query.prefix ?? '';
    if (bucket !== pair.bucket || !prefix.startsWith(pair.prefix) || query.delimiter !== undefined)
      return remote.listPage(bucket, query, options);
    const under = prefix.slice(pair.prefix.length);
    const limit = query.maxKeys ?? 1000;
    // Keys starting with `under`: from it (exclusive: a key equal to it is a folder marker)
    // up to the next string of its length ('a/b/' -> 'a/b0').
    const before =
      under === ''
        ? undefined
        : under.slice(0, -1) + String.fromCharCode(under.charCodeAt(under.length - 1) + 1);
    const after = query.token ?? (under === '' ? undefined : under);
    const rows = sync.journalPage(pair.id, {
      ...(after === undefined ? {} : { after }),
      ...(before === undefined ? {} : { before }),
      limit,
    });
    return {
      objects: rows.map((row) => ({
        key: pair.prefix + row.path,
        size: row.size,
        etag: row.remoteEtag,
        lastModified: new Date(row.syncedAt),
      })),
      prefixes: [],
      nextToken: rows.length === limit ? rows[rows.length - 1]!.path : undefined,
    };
  };
  return new Proxy(remote, {
    get(object, property) {
      if (property === 'listPage') return listPage;
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as () => unknown).bind(object) : value;
    },
  });
}

async function syncTask(task: Extract<ChildTask, { kind: 'sync' }>): Promise<void> {
  const runtime = createTransferRuntime({ dataDir: task.dataDir, account: account(task.port) });
  runtime.engine.start();
  // The fill child's pair when there is one (its journal says the tree is synced).
  const pair =
    runtime.sync.listPairs()[0] ??
    runtime.sync.addPair({ localRoot: task.root, bucket: task.bucket, prefix: task.prefix });
  const deps = {
    sync: runtime.sync,
    jobs: runtime.store,
    engine: runtime.engine,
    remote: task.listingFromJournal
      ? listingFromJournal(runtime.remote, runtime.sync, pair)
      : runtime.remote,
    crc: runtime.crc,
    dataDir: task.dataDir,
  };
  // The pair's loop sees the (maybe wrapped) remote store; the engine uploads to the real one.
  // Runner options: watch mode, every other setting (stability window, rescans) its default.
  const watching = new SyncManager(deps, { watch: true });
  let statusEvents = 0;
  watching.on('status', () => statusEvents++);
  const start = performance.now();
  await watching.start();
  const runner = watching.runner(pair.id);
  if (runner === undefined) throw new Error('the pair did not start');
  const status = await runner.settled();
  await send({
    startSeconds: seconds(start),
    state: status.state,
    watching: status.watching,
    pairId: pair.id,
    filesPending: status.counters.filesPending,
    errors: status.counters.errors,
    ...memory(),
  } satisfies SyncReady);

  const jobIds = runtime.db.prepare<[number, string], { id: number }>(
    'SELECT id FROM jobs WHERE pair_id = ? AND rel_path = ? ORDER BY id',
  );
  const countJobs = runtime.db.prepare<[number], { n: number }>(
    'SELECT COUNT(*) AS n FROM jobs WHERE pair_id = ?',
  );
  const handle = async (command: SyncCommand): Promise<void> => {
    switch (command.op) {
      case 'idle': {
        const before = statusEvents;
        const cpu = process.cpuUsage();
        const idleStart = performance.now();
        await new Promise((resolve) => setTimeout(resolve, command.seconds * 1000));
        const used = process.cpuUsage(cpu);
        return send({
          seconds: seconds(idleStart),
          cpuSeconds: (used.user + used.system) / 1e6,
          statusEvents: statusEvents - before,
          ...memory(),
        } satisfies IdleReply);
      }
      case 'jobs': {
        const jobs: JobsReply['jobs'] = {};
        for (const p of command.paths) {
          jobs[p] = jobIds
            .all(pair.id, p)
            .map(({ id }) => runtime.store.get(id))
            .filter((job) => job !== undefined)
            .map((job) => ({
              createdAt: job.createdAt,
              finishedAt: job.finishedAt,
              state: job.state,
            }));
        }
        const pairJobs = countJobs.get(pair.id)?.n ?? 0;
        return send({ jobs, pairJobs } satisfies JobsReply);
      }
      case 'exit':
        await watching.stop();
        await runtime.close();
        await send({ closed: true });
        process.exit(0);
    }
  };
  process.on('message', (command: SyncCommand) => {
    handle(command).catch(fail);
  });
}

function fail(error: unknown): never {
  process.stderr.write(`sync-child: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
}

/** Runs the task; 'serving' when the process stays to take commands. */
async function main(task: ChildTask): Promise<'done' | 'serving'> {
  switch (task.kind) {
    case 'scan':
      await send(await scanTask(task));
      return 'done';
    case 'first-pass': {
      const runtime = createTransferRuntime({ dataDir: task.dataDir, account: account(task.port) });
      const pair = runtime.sync.addPair({
        localRoot: task.root,
        bucket: task.bucket,
        prefix: task.prefix,
      });
      const reply = await passTask(runtime, pair, true, 1);
      await runtime.close();
      await send(reply);
      return 'done';
    }
    case 'fill':
      await send(await fillTask(task));
      return 'done';
    case 'rescan': {
      const runtime = createTransferRuntime({ dataDir: task.dataDir, account: account(task.port) });
      const reply = await passTask(runtime, onlyPair(runtime.sync), false, 2);
      await runtime.close();
      await send(reply);
      return 'done';
    }
    case 'watcher':
      await send(await watcherTask(task));
      return 'done';
    case 'sync':
      // The IPC channel keeps the process up; it exits on the `exit` command.
      await syncTask(task);
      return 'serving';
  }
}

main(JSON.parse(process.argv[2] ?? '{}') as ChildTask).then((how) => {
  if (how === 'done') process.exit(0);
}, fail);
