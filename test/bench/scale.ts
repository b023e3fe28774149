/**
 * `npm run bench -- scale`: memory at 100,000 and 1,000,000 jobs and files.
 *
 * 1. Jobs. A job database is filled with N upload jobs (JobStore.add in batches of 10,000,
 *    from this process), then the engine is started on it in a fresh child process
 *    (test/bench/scale-child.ts, defaults, against the local OSS server) and works through
 *    the queue for `runSeconds` while its RSS is sampled. The engine claims a page of due
 *    jobs at a time, so its RSS should not grow with N. Baseline: the same process with an
 *    empty queue (N = 0), measured the same way in the same run. Every job uploads the same
 *    4 KiB file to its own key.
 * 2. Files. A tree of N files in N/10 folders (test/helpers/tree.ts) is made on /dev/shm
 *    (the creation rate is reported; the 1,000,000-file tree is skipped, and said so, when
 *    that rate says it would take over `treeBudgetSeconds`), `find` walks it (best of 2),
 *    and a fresh child runs the first scan of a new pair over it (scan + merge with the
 *    empty journal + plan, nothing queued: the sync bench's first-scan task), reporting its
 *    peak RSS. Baseline for the RSS: the same child's RSS before the scan.
 *
 * The children run built JS, as the app does (buildChild in test/bench/sync.ts); with
 * BENCH_SYNC_TSX=1 they run under tsx (about 50 MiB more RSS each). The local OSS server is
 * a child with its storage on /dev/shm. About 3 minutes with the defaults.
 *
 * Environment: BENCH_SCALE_OPTIONS='{"jobs":[10000],"files":[10000],"runSeconds":5}'
 * (ScaleBenchOptions) for a quick run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../main/core/db/database.js';
import type { NewJob } from '../../main/core/db/job-types.js';
import { JobStore } from '../../main/core/db/job-store.js';
import { localOssArgs, startLocalOssProcess } from '../helpers/local-oss-process.js';
import { makeTree } from '../helpers/tree.js';
import type { ScanReply } from './sync-child.js';
import type { EngineReply, EngineTask } from './scale-child.js';
import { buildChild, runChild, useBuiltChild } from './sync.js';

const THIS_DIR = path.dirname(fileURLToPath(import.meta.url));
const SCALE_CHILD = path.join(THIS_DIR, 'scale-child.ts');
const REPO_ROOT = path.resolve(THIS_DIR, '../..');
const BUCKET = 'bench';
const FILL_BATCH = 10_000;
const SOURCE_BYTES = 4096;

export interface ScaleBenchOptions {
  /** Queue sizes measured (besides the empty queue, the baseline). */
  jobs?: number[];
  /** Tree sizes scanned (N files in N/10 folders). */
  files?: number[];
  /** How long each started engine runs while its RSS is sampled. */
  runSeconds?: number;
  /** A tree whose creation the measured rate puts over this is skipped. */
  treeBudgetSeconds?: number;
}

export interface EngineFigures {
  jobs: number;
  fillSeconds: number;
  /** The database file and its WAL after the fill, MiB. */
  databaseMiB: number;
  rssOpenMiB: number;
  startSeconds: number;
  peakRssMiB: number;
  endRssMiB: number;
  /** Highest and lowest RSS sample over the run's second half, MiB. */
  secondHalfMaxRssMiB: number;
  secondHalfMinRssMiB: number;
  heapUsedMiB: number;
  /** Jobs done during the run (the engine worked through the queue). */
  doneInRun: number;
  runSeconds: number;
}

export interface TreeFigures {
  files: number;
  folders: number;
  makeSeconds?: number;
  filesPerSecond?: number;
  findSeconds?: number;
  scanSeconds?: number;
  scanRatio?: number;
  walkSeconds?: number;
  peakRssMiB?: number;
  rssBeforeMiB?: number;
  removeSeconds?: number;
  /** Why the tree was not made (too slow to make here), with the rate measured. */
  skipped?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the engine task in a fresh child (built JS when `entry` is given, else tsx). */
function runEngineChild(entry: string | undefined, task: EngineTask): Promise<EngineReply> {
  const child = spawn(
    process.execPath,
    [...(entry === undefined ? ['--import', 'tsx', SCALE_CHILD] : [entry]), JSON.stringify(task)],
    { cwd: REPO_ROOT, stdio: ['ignore', 2, 2, 'ipc'] },
  );
  return new Promise<EngineReply>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        reject(new Error(`engine child: no reply in ${task.runSeconds + 120} s`));
      },
      (task.runSeconds + 120) * 1000,
    );
    child.once('message', (reply) => {
      clearTimeout(timer);
      resolve(reply as EngineReply);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`engine child exited (code ${code}, signal ${signal}) without a reply`));
    });
  });
}

/** Fills `dataDir`'s job database with `count` uploads of `source`; seconds taken. */
function fillJobs(dataDir: string, count: number, source: string): number {
  mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(path.join(dataDir, 'state.db'));
  try {
    const store = new JobStore(db);
    const start = performance.now();
    for (let from = 0; from < count; from += FILL_BATCH) {
      const jobs: NewJob[] = [];
      for (let i = from; i < Math.min(count, from + FILL_BATCH); i++)
        jobs.push({
          kind: 'upload',
          bucket: BUCKET,
          key: `scale/${count}/${String(i).padStart(7, '0')}.bin`,
          localPath: source,
          size: SOURCE_BYTES,
          batch: 'scale',
        });
      store.add(jobs);
    }
    return (performance.now() - start) / 1000;
  } finally {
    db.close();
  }
}

function sizeMiB(...files: string[]): number {
  let bytes = 0;
  for (const file of files) if (existsSync(file)) bytes += statSync(file).size;
  return fmt(bytes / 1024 / 1024);
}

async function timeFind(dir: string): Promise<number> {
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const find = spawn('find', [dir, '-type', 'f', '-printf', '%s %T@ %i\n'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    find.once('error', reject);
    find.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`find: ${code}`))));
  });
  return (performance.now() - start) / 1000;
}

export async function runScaleBench(
  options: ScaleBenchOptions = JSON.parse(
    process.env['BENCH_SCALE_OPTIONS'] ?? '{}',
  ) as ScaleBenchOptions,
): Promise<Record<string, unknown>> {
  const jobCounts = options.jobs ?? [100_000, 1_000_000];
  const fileCounts = options.files ?? [100_000, 1_000_000];
  const runSeconds = options.runSeconds ?? 20;
  const treeBudgetSeconds = options.treeBudgetSeconds ?? 120;
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const benchStart = performance.now();
  const load: Record<string, number[]> = {};
  const noteLoad = (phase: string): void => {
    load[phase] = loadavg().map((n) => fmt(n, 2));
  };

  const shm = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'scale-bench-')));
  const treeBase = realpathSync(mkdtempSync(path.join(shm, 'scale-bench-tree-')));
  const serverRoot = mkdtempSync(path.join(shm, 'scale-bench-oss-'));
  let server: Awaited<ReturnType<typeof startLocalOssProcess>> | undefined;
  let built: Awaited<ReturnType<typeof buildChild>>;
  try {
    built = await buildChild([SCALE_CHILD]);
    useBuiltChild(built?.entry);
    const engineEntry = built && path.join(built.dir, 'test', 'bench', 'scale-child.js');
    noteLoad('start');
    log(`load average ${load['start']?.join(' ')} on ${cpus().length} cores`);

    // ---- jobs
    server = await startLocalOssProcess(localOssArgs(serverRoot, ['--bucket', BUCKET]));
    const source = path.join(base, 'source.bin');
    await writeFile(source, Buffer.alloc(SOURCE_BYTES, 7));
    const engines: EngineFigures[] = [];
    for (const count of [0, ...jobCounts]) {
      const dataDir = path.join(base, `data-${count}`);
      log(`engine with ${count.toLocaleString('en')} jobs queued:`);
      const fillSeconds = fillJobs(dataDir, count, source);
      const databaseMiB = sizeMiB(
        path.join(dataDir, 'state.db'),
        path.join(dataDir, 'state.db-wal'),
      );
      if (count > 0) log(`  queued in ${fmt(fillSeconds, 1)} s (database ${databaseMiB} MiB)`);
      noteLoad(`engine${count}`);
      const reply = await runEngineChild(engineEntry, { dataDir, port: server.port, runSeconds });
      const half = reply.samplesMiB.slice(Math.floor(reply.samplesMiB.length / 2));
      const figures: EngineFigures = {
        jobs: count,
        fillSeconds: fmt(fillSeconds, 2),
        databaseMiB,
        rssOpenMiB: reply.rssOpenMiB,
        startSeconds: fmt(reply.startSeconds, 3),
        peakRssMiB: reply.peakRssMiB,
        endRssMiB: reply.endRssMiB,
        secondHalfMaxRssMiB: Math.max(...half),
        secondHalfMinRssMiB: Math.min(...half),
        heapUsedMiB: reply.memoryMiB['heapUsed'] ?? Number.NaN,
        doneInRun: reply.counts['done'] ?? 0,
        runSeconds: fmt(reply.runSeconds, 1),
      };
      engines.push(figures);
      log(
        `  RSS ${figures.rssOpenMiB} MiB open, peak ${figures.peakRssMiB} MiB started, ` +
          `${figures.endRssMiB} MiB after ${figures.runSeconds} s (second half ` +
          `${figures.secondHalfMinRssMiB} to ${figures.secondHalfMaxRssMiB}); start() ` +
          `${figures.startSeconds} s; ${figures.doneInRun} jobs done; ${JSON.stringify(reply.counts)}`,
      );
      if (count > 0 && figures.doneInRun === 0) throw new Error('the engine uploaded nothing');
      rmSync(dataDir, { recursive: true, force: true });
    }
    await server.kill('SIGTERM');
    server = undefined;

    // ---- files
    const trees: TreeFigures[] = [];
    let filesPerSecond: number | undefined;
    for (const files of fileCounts) {
      const folders = Math.max(1, Math.round(files / 10));
      const figures: TreeFigures = { files, folders };
      trees.push(figures);
      if (filesPerSecond !== undefined && files / filesPerSecond > treeBudgetSeconds) {
        figures.skipped =
          `making ${files.toLocaleString('en')} files at the ${fmt(filesPerSecond, 0).toLocaleString('en')} files/s ` +
          `measured would take ${fmt(files / filesPerSecond, 0)} s, over the ${treeBudgetSeconds} s budget`;
        log(`tree of ${files.toLocaleString('en')} files skipped: ${figures.skipped}`);
        continue;
      }
      const tree = path.join(treeBase, `tree-${files}`);
      log(`making ${files.toLocaleString('en')} files in ${folders} folders under ${tree}...`);
      let start = performance.now();
      makeTree(tree, { files, folders });
      figures.makeSeconds = fmt((performance.now() - start) / 1000, 1);
      filesPerSecond = files / figures.makeSeconds;
      figures.filesPerSecond = fmt(filesPerSecond, 0);
      log(`  ${figures.makeSeconds} s (${figures.filesPerSecond} files/s)`);
      noteLoad(`tree${files}`);
      const finds = [await timeFind(tree), await timeFind(tree)];
      figures.findSeconds = fmt(Math.min(...finds), 3);
      const dataDir = path.join(base, `scan-${files}`);
      mkdirSync(dataDir);
      const scan = await runChild<ScanReply>(
        { kind: 'scan', root: tree, dataDir, bucket: BUCKET, prefix: 'tree/' },
        600_000,
      );
      if (scan.summary.files !== files) throw new Error(`the scan saw ${scan.summary.files} files`);
      figures.scanSeconds = fmt(scan.seconds, 3);
      figures.scanRatio = fmt(scan.seconds / figures.findSeconds, 2);
      figures.walkSeconds = fmt(scan.walkSeconds, 3);
      figures.peakRssMiB = scan.peakRssMiB;
      figures.rssBeforeMiB = scan.baseRssMiB;
      log(
        `  find ${figures.findSeconds} s; first scan ${figures.scanSeconds} s ` +
          `(${figures.scanRatio}x find), peak RSS ${figures.peakRssMiB} MiB ` +
          `(${figures.rssBeforeMiB} MiB before it)`,
      );
      start = performance.now();
      rmSync(tree, { recursive: true, force: true });
      figures.removeSeconds = fmt((performance.now() - start) / 1000, 1);
      rmSync(dataDir, { recursive: true, force: true });
      // Give the machine a moment after freeing the tree's memory.
      await sleep(500);
    }
    noteLoad('end');

    return {
      engines,
      trees,
      loadAverage: load,
      totalSeconds: fmt((performance.now() - benchStart) / 1000),
      settings: {
        jobs: jobCounts,
        files: fileCounts,
        runSeconds,
        treeBudgetSeconds,
        job: `upload of one ${SOURCE_BYTES} B file to its own key; engine defaults`,
        tree: 'test/helpers/tree.ts, 64 B files, N/10 folders (fan-out 10), on /dev/shm',
        find: "find DIR -type f -printf '%s %T@ %i\\n' > /dev/null, best of 2",
        serverStorage: serverRoot.startsWith('/dev/shm') ? 'tmpfs (/dev/shm)' : 'disk',
        children: built
          ? 'built JS (esbuild, not bundled), as the app runs'
          : 'TypeScript under tsx (its loader adds about 50 MiB per process)',
      },
    };
  } finally {
    if (server) await server.kill('SIGTERM').catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
    rmSync(treeBase, { recursive: true, force: true });
    rmSync(serverRoot, { recursive: true, force: true });
    if (built) rmSync(built.dir, { recursive: true, force: true });
    useBuiltChild(undefined);
  }
}

function fmt(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
