/**
 * What each bench is, for the performance report (test/bench/report.ts), and how its raw
 * figures (the object its run function returns) read as rows: figure, measured, baseline
 * of the same run, ratio, target, and why a miss. The targets are the issues' (quoted in
 * docs/osslocal.md, docs/transfer.md, docs/sync.md, docs/ui.md); where a bench states its
 * own (sync, ui), the row takes it from the raw figures, so there is one source.
 */
import { parseTarget, row, type BenchInfo, type Row, type Target } from './report.js';

type Raw = Record<string, unknown>;

/** A number at `path` in the raw figures (undefined if absent or not a number). */
export function num(raw: unknown, ...path: (string | number)[]): number | undefined {
  let at: unknown = raw;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return typeof at === 'number' ? at : undefined;
}

function obj(raw: unknown, ...path: string[]): Raw | undefined {
  let at: unknown = raw;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Raw)[key];
  }
  return typeof at === 'object' && at !== null ? (at as Raw) : undefined;
}

/** Throws when none of `keys` is a number in `raw`: the bench returned something else. */
function expectFigures(raw: Raw, keys: string[]): void {
  if (!keys.some((key) => typeof raw[key] === 'number'))
    throw new Error(`none of ${keys.join(', ')} in the raw figures`);
}

/** A count as the report writes it (1,000,000), or `fallback`'s when the raw figures lack it. */
const count = (value: number | undefined, fallback: number): string =>
  (value ?? fallback).toLocaleString('en-US');

const below = (value: number, op: Target['op'] = '<'): Target => ({ on: 'measured', op, value });
const ratioAtLeast = (value: number): Target => ({ on: 'ratio', op: '>=', value });

const CPU_SHARED =
  'client, engine and local server share the same cores, so the ratio measures CPU competition as much as the wire';

// ---- osslocal --------------------------------------------------------------------------------

function osslocalRows(raw: Raw): Row[] {
  expectFigures(raw, ['putMiBs', 'listPageMs']);
  return [
    row({
      figure: 'single-stream PUT, 256 MiB',
      measured: num(raw, 'putMiBs'),
      unit: 'MiB/s',
      baseline: { label: 'minimal node:http (discards)', value: num(raw, 'baselinePutMiBs') },
      ratio: num(raw, 'putRatio'),
      note: 'the server hashes every byte twice (MD5, CRC64), writes and fsyncs; the baseline discards',
    }),
    row({
      figure: 'single-stream GET, 256 MiB',
      measured: num(raw, 'getMiBs'),
      unit: 'MiB/s',
      baseline: { label: 'minimal node:http (from memory)', value: num(raw, 'baselineGetMiBs') },
      ratio: num(raw, 'getRatio'),
    }),
    row({
      figure: '4 KiB PUTs, 16 in flight',
      measured: num(raw, 'smallPutsPerSecond'),
      unit: 'PUTs/s',
      baseline: {
        label: 'minimal node:http (discards)',
        value: num(raw, 'baselineSmallPutsPerSecond'),
      },
      ratio: num(raw, 'smallPutRatio'),
      note: 'each PUT pays an fsync and a SQLite commit',
    }),
    row({
      figure: 'one 1,000-key list page, bucket of 1,000,000 objects',
      measured: num(raw, 'listPageMs'),
      unit: 'ms',
      baseline: { label: 'pre-rendered XML', value: num(raw, 'baselineListPageMs') },
      ratio: num(raw, 'listPageRatio'),
      target: below(100),
      whyMissed:
        'a page should take 8 to 16 ms here; over 100 ms points at the load or a lost index',
    }),
  ];
}

// ---- crc64, crc64-pool -------------------------------------------------------------------

function crc64Rows(raw: Raw): Row[] {
  expectFigures(raw, ['crc64MiBs']);
  return [
    row({
      figure: 'CRC64-ECMA, one core (shared/crc64.ts)',
      measured: num(raw, 'crc64MiBs'),
      unit: 'MiB/s',
      baseline: { label: 'crc64-ecma182.js', value: num(raw, 'crc64Ecma182MiBs') },
      ratio: num(raw, 'ratioToEcma182'),
    }),
    row({
      figure: 'MD5 (node:crypto), for scale',
      measured: num(raw, 'md5MiBs'),
      unit: 'MiB/s',
    }),
  ];
}

function crc64PoolRows(raw: Raw): Row[] {
  expectFigures(raw, ['poolMiBs']);
  return [
    row({
      figure: `CRC64 of 8 MiB parts, 4 in flight, pool of ${num(raw, 'workers') ?? '?'} workers`,
      measured: num(raw, 'poolMiBs'),
      unit: 'MiB/s',
      baseline: { label: 'inline on the main thread', value: num(raw, 'inlineMiBs') },
    }),
    row({
      figure: 'longest event-loop stall while hashing',
      measured: num(raw, 'poolMaxDelayMs'),
      unit: 'ms',
      baseline: { label: 'inline on the main thread', value: num(raw, 'inlineMaxDelayMs') },
      note: 'the pool exists so hashing never blocks the event loop (issue 2); no number was set',
    }),
  ];
}

// ---- transfer --------------------------------------------------------------------------------

function transferRows(raw: Raw): Row[] {
  expectFigures(raw, ['uploadMiBs', 'smallFilesPerSecond']);
  const bigBytes = num(raw, 'settings', 'bigFileBytes') ?? 1024 ** 3;
  const big = bigBytes >= 1024 ** 3 ? `${bigBytes / 1024 ** 3} GiB` : `${bigBytes / 1024 ** 2} MiB`;
  const small = `${count(num(raw, 'settings', 'smallFiles'), 10_000)} files of ${(num(raw, 'settings', 'smallFileBytes') ?? 4096) / 1024} KiB`;
  return [
    row({
      figure: `${big} upload vs raw single-stream PUT`,
      measured: num(raw, 'uploadMiBs'),
      unit: 'MiB/s',
      baseline: { label: 'raw PUT (node:http, presigned)', value: num(raw, 'rawPutMiBs') },
      ratio: num(raw, 'uploadRatioRaw'),
      target: ratioAtLeast(0.9),
      whyMissed: `the engine reads each part into a new buffer, copies it to the hash workers and hashes every byte; ${CPU_SHARED} (docs/transfer.md, Performance)`,
    }),
    row({
      figure: `${big} upload vs ali-oss multipartUpload`,
      measured: num(raw, 'uploadMiBs'),
      unit: 'MiB/s',
      baseline: {
        label: 'ali-oss multipartUpload, defaults',
        value: num(raw, 'aliOssMultipartMiBs'),
      },
      ratio: num(raw, 'uploadRatioAliOss'),
      target: ratioAtLeast(1.5),
      whyMissed: `1.5x ali-oss is about what a bare stream reaches on this machine: the target needs the engine to cost no more CPU than a raw PUT; ${CPU_SHARED}`,
    }),
    row({
      figure: `${big} download vs raw single-stream GET`,
      measured: num(raw, 'downloadMiBs'),
      unit: 'MiB/s',
      baseline: { label: 'raw GET to disk, no fsync', value: num(raw, 'rawGetMiBs') },
      ratio: num(raw, 'downloadRatioRaw'),
      target: ratioAtLeast(0.9),
      whyMissed:
        'the engine fsyncs the file before renaming it (the durability guarantee); the raw GET does not: compare with "raw GET + fsync"',
    }),
    row({
      figure: `${big} download vs raw GET + fsync`,
      measured: num(raw, 'downloadMiBs'),
      unit: 'MiB/s',
      baseline: { label: 'raw GET, then fsync', value: num(raw, 'rawGetThenFsyncMiBs') },
    }),
    row({
      figure: `${small}, end to end through the job database`,
      measured: num(raw, 'smallFilesPerSecond'),
      unit: 'files/s',
      baseline: {
        label: 'bare ali-oss put loop, same concurrency',
        value: num(raw, 'bareAliOssPutsPerSecond'),
      },
      ratio: num(raw, 'smallFilesRatio'),
      target: ratioAtLeast(0.8),
      whyMissed: `the engine spends more CPU per file than a bare put (SQLite claim and finish transactions, two lstats, events: ${num(raw, 'engineCpuMsPerSmallFile') ?? '?'} ms against ${num(raw, 'bareAliOssCpuMsPerPut') ?? '?'} ms); ${CPU_SHARED}`,
    }),
    row({
      figure: 'engine peak RSS during the transfers',
      measured: num(raw, 'enginePeakRssMiB'),
      unit: 'MiB',
      baseline: { label: 'the same engine process idle', value: num(raw, 'engineIdleRssMiB') },
      note: 'the engine child runs under tsx (its loader is part of both figures)',
    }),
  ];
}

// ---- sync ------------------------------------------------------------------------------------

const SYNC_WHY: Record<string, string> = {
  firstScanRatio:
    'the walk is bound by lstat and readdir in one worker; a parallel walk in key order is the next lever (docs/sync.md)',
  firstScanPeakRssMiB: 'the scan streams; a peak over the target means something holds the tree',
  firstPassRatio:
    'the first pass also inserts one upload job per file (about 15 µs each, five indexes on jobs); the 3x target is for the scan, read here for the whole pass',
  firstPassPeakRssMiB: 'queuing the jobs should not hold the tree in memory',
  rescanRatio: 'the rescan reads the journal page by page beside the walk',
  rescanFilesRead: 'a file unchanged in size, mtime and inode must never be read again',
  latencyP95MsSmallTree:
    'the 1 s stability window is most of the latency by design; more points at the load',
  latencyP95MsBigTree:
    'the 1 s stability window is most of the latency by design; more points at the load',
  idleCpuPercent: 'a watching process should sleep when nothing changes',
};

const SYNC_FIGURES: {
  key: string;
  figure: string;
  unit: string;
  on: Target['on'];
  baseline?: (raw: Raw) => { label: string; value: number | undefined };
  measured?: (raw: Raw) => number | undefined;
}[] = [
  {
    key: 'firstScanRatio',
    figure: 'first scan of {files} files (walk, merge with the empty journal, plan)',
    unit: 's',
    on: 'ratio',
    measured: (raw) => num(raw, 'firstScanSeconds'),
    baseline: (raw) => ({ label: "find -printf '%s %T@ %i'", value: num(raw, 'findSeconds') }),
  },
  {
    key: 'firstScanPeakRssMiB',
    figure: 'first scan: peak RSS',
    unit: 'MiB',
    on: 'measured',
    baseline: (raw) => ({
      label: 'the process before the scan',
      value: num(raw, 'firstScan', 'rssBeforeMiB'),
    }),
  },
  {
    key: 'firstPassRatio',
    figure: 'first pass, {files} upload jobs queued in SQLite',
    unit: 's',
    on: 'ratio',
    measured: (raw) => num(raw, 'firstPassSeconds'),
    baseline: (raw) => ({ label: "find -printf '%s %T@ %i'", value: num(raw, 'findSeconds') }),
  },
  {
    key: 'firstPassPeakRssMiB',
    figure: 'first pass: peak RSS',
    unit: 'MiB',
    on: 'measured',
    baseline: (raw) => ({
      label: 'the process before the pass',
      value: num(raw, 'firstPass', 'rssBeforeMiB'),
    }),
  },
  {
    key: 'rescanRatio',
    figure: 'rescan of the unchanged tree with the journal',
    unit: 's',
    on: 'ratio',
    measured: (raw) => num(raw, 'rescanSeconds'),
    baseline: (raw) => ({ label: "find -printf '%s %T@ %i'", value: num(raw, 'findSeconds') }),
  },
  { key: 'rescanFilesRead', figure: 'rescan: files read', unit: 'files', on: 'measured' },
  {
    key: 'latencyP95MsSmallTree',
    figure: 'change to cloud, 4 KiB file to verified object, p95, small tree',
    unit: 'ms',
    on: 'measured',
    baseline: (raw) => ({ label: 'p50', value: num(raw, 'latencySmallTree', 'p50Ms') }),
  },
  {
    key: 'latencyP95MsBigTree',
    figure: 'change to cloud, p95, {files}-file tree watched',
    unit: 'ms',
    on: 'measured',
    baseline: (raw) => ({ label: 'p50', value: num(raw, 'latencyBigTree', 'p50Ms') }),
  },
  {
    key: 'idleCpuPercent',
    figure: 'idle CPU of the watching process, {files}-file tree',
    unit: '%',
    on: 'measured',
  },
];

function syncRows(raw: Raw): Row[] {
  expectFigures(raw, ['findSeconds', 'firstScanSeconds']);
  const files = count(num(raw, 'settings', 'files'), 100_000);
  const targets = obj(raw, 'targets') ?? {};
  const rows: Row[] = SYNC_FIGURES.map((figure) => {
    const stated = obj(targets, figure.key);
    const targetText = typeof stated?.['target'] === 'string' ? stated['target'] : undefined;
    const target = targetText === undefined ? undefined : parseTarget(targetText, figure.on);
    const baseline = figure.baseline?.(raw);
    const measured = figure.measured ? figure.measured(raw) : num(stated, 'value');
    return row({
      figure: figure.figure.replace('{files}', files),
      measured,
      unit: figure.unit,
      ...(baseline ? { baseline } : {}),
      ...(figure.on === 'ratio' ? { ratio: num(stated, 'value') ?? null } : { ratio: null }),
      ...(target ? { target } : {}),
      ...(SYNC_WHY[figure.key] ? { whyMissed: SYNC_WHY[figure.key] } : {}),
    });
  });
  const watchers = obj(raw, 'watchers') ?? {};
  const find = num(raw, 'findSeconds');
  for (const [backend, figures] of Object.entries(watchers)) {
    const given = figures as Raw;
    if (given['ready'] === false) {
      rows.push(
        row({
          figure: `watcher ${backend}: ready`,
          measured: null,
          unit: 's',
          note: `not ready after ${num(given, 'gaveUpAfterSeconds') ?? '?'} s (RSS then ${num(given, 'rssMiB') ?? '?'} MiB): given up`,
        }),
      );
      continue;
    }
    rows.push(
      row({
        figure: `watcher ${backend}: ready on the ${files}-file tree`,
        measured: num(given, 'readySeconds'),
        unit: 's',
        baseline: { label: 'find', value: find },
      }),
      row({
        figure: `watcher ${backend}: peak RSS`,
        measured: num(given, 'peakRssMiB'),
        unit: 'MiB',
        baseline: { label: 'the process before the watcher', value: num(given, 'rssBeforeMiB') },
      }),
      row({
        figure: `watcher ${backend}: idle CPU`,
        measured: num(given, 'idleCpuPercent'),
        unit: '%',
        ratio: null,
      }),
    );
  }
  return rows;
}

// ---- ui --------------------------------------------------------------------------------------

const UI_LOAD = 'the figures move by 2x or more with the load on these 2 cores (docs/ui.md)';

function uiRows(raw: Raw): Row[] {
  const first = obj(raw, 'firstRows');
  if (!first) throw new Error('no firstRows in the raw figures');
  const scroll = obj(raw, 'scrollToLast');
  const heap = obj(raw, 'heap');
  const queued = obj(raw, 'queuedList');
  const frames = obj(raw, 'framesDuringProgress');
  const msTarget = (value: number | undefined): { target?: Target } =>
    value === undefined ? {} : { target: below(value) };
  return [
    row({
      figure: 'Browser: open a prefix of 100,000 objects to the first rows painted (median of 7)',
      measured: num(first, 'ms'),
      unit: 'ms',
      baseline: {
        label: 'the objects.list first page called by the page',
        value: num(first, 'baselineMs'),
      },
      ratio: num(first, 'ratio'),
      ...msTarget(num(first, 'targetMs')),
      whyMissed: UI_LOAD,
    }),
    row({
      figure: 'Browser: End, again and again, to the last of 100,000 keys',
      measured: num(scroll, 'ms'),
      unit: 'ms',
      baseline: { label: 'all 100 pages called by the page', value: num(scroll, 'baselineMs') },
      ratio: num(scroll, 'ratio'),
    }),
    row({
      figure: 'Browser: JS heap after scrolling all 100,000',
      measured: num(heap, 'mb'),
      unit: 'MB',
      baseline: { label: 'the idle app just loaded', value: num(heap, 'baselineMB') },
      ratio: num(heap, 'ratio'),
      ...msTarget(num(heap, 'targetMB')),
      whyMissed: 'the list keeps every loaded page',
    }),
    row({
      figure: 'Transfers, 100,000 queued jobs: the Queued tab to the first rows painted',
      measured: num(queued, 'firstRowsMs'),
      unit: 'ms',
      baseline: {
        label: 'the transfers.list first page called by the page',
        value: num(queued, 'baselineMs'),
      },
      ratio: num(queued, 'ratio'),
      ...msTarget(num(queued, 'targetMs')),
      whyMissed: UI_LOAD,
    }),
    row({
      figure: 'Transfers, 100,000 queued jobs: End once, to the last row painted',
      measured: num(queued, 'endToLastMs'),
      unit: 'ms',
      baseline: { label: 'all pages called by the page', value: num(queued, 'endBaselineMs') },
      ratio: num(queued, 'endRatio'),
      note: 'keyset cursors load every page before the last one; each new page re-flattens the loaded rows (docs/ui.md)',
    }),
    row({
      figure: 'Transfers, 100,000 queued jobs: JS heap',
      measured: num(queued, 'heapMB'),
      unit: 'MB',
      ...msTarget(num(queued, 'heapTargetMB')),
      whyMissed: 'the list keeps every loaded page',
    }),
    row({
      figure: 'frames over 50 ms in Transfers while 200 uploads report progress',
      measured: num(frames, 'longFramePercent'),
      unit: '%',
      baseline: { label: 'the same view idle', value: num(frames, 'baselineLongFramePercent') },
      ratio: null,
      ...msTarget(num(frames, 'targetLongFramePercent')),
      note: `a blank page recording at the same time had ${num(frames, 'blankPageLongFramePercent') ?? '?'}% (the load's share)`,
      whyMissed: `${UI_LOAD}; a blank page recording at the same time had ${num(frames, 'blankPageLongFramePercent') ?? '?'}% long frames`,
    }),
  ];
}

// ---- scale -----------------------------------------------------------------------------------

/** A flat figure grows by at most this factor when the count grows tenfold. */
const FLAT = 1.2;

function scaleRows(raw: Raw): Row[] {
  const engines = raw['engines'];
  const trees = raw['trees'];
  if (!Array.isArray(engines) || !Array.isArray(trees)) throw new Error('no engines or trees');
  const rows: Row[] = [];
  const idle = (engines as Raw[]).find((e) => e['jobs'] === 0);
  const working = (engines as Raw[]).filter((e) => num(e, 'jobs')! > 0);
  for (const [k, engine] of working.entries()) {
    const jobs = num(engine, 'jobs') ?? 0;
    const label = jobs.toLocaleString('en-US');
    const previous = working[k - 1];
    rows.push(
      row({
        figure: `engine peak RSS, ${label} jobs queued, started and uploading`,
        measured: num(engine, 'peakRssMiB'),
        unit: 'MiB',
        baseline: {
          label: 'the same process started with an empty queue',
          value: num(idle, 'peakRssMiB'),
        },
        note: `${count(num(engine, 'doneInRun'), Number.NaN)} jobs done in ${num(engine, 'runSeconds') ?? '?'} s; the difference to the idle process is the work (sockets, buffers, four uploads), not the queue`,
      }),
    );
    if (previous) {
      const before = previous['jobs'] as number;
      rows.push(
        row({
          figure: `engine peak RSS, ${label} jobs against ${before.toLocaleString('en-US')}`,
          measured: num(engine, 'peakRssMiB'),
          unit: 'MiB',
          baseline: {
            label: `${before.toLocaleString('en-US')} jobs queued`,
            value: num(previous, 'peakRssMiB'),
          },
          target: { on: 'ratio', op: '<=', value: FLAT },
          whyMissed:
            'the engine claims a page of due jobs at a time; growth with the queue means something reads or keeps every job',
        }),
      );
    }
  }
  const scanned = (trees as Raw[]).filter((t) => t['skipped'] === undefined);
  for (const tree of trees as Raw[]) {
    const files = num(tree, 'files') ?? 0;
    const label = files.toLocaleString('en-US');
    if (typeof tree['skipped'] === 'string') {
      rows.push(
        row({
          figure: `first scan of ${label} files: peak RSS`,
          measured: null,
          unit: 'MiB',
          target: below(200, '<='),
          note: String(tree['skipped']),
        }),
      );
      continue;
    }
    const previous = scanned[scanned.indexOf(tree) - 1];
    rows.push(
      row({
        figure: `first scan of ${label} files (walk, merge, plan)`,
        measured: num(tree, 'scanSeconds'),
        unit: 's',
        baseline: { label: "find -printf '%s %T@ %i'", value: num(tree, 'findSeconds') },
        ratio: num(tree, 'scanRatio'),
        target: { on: 'ratio', op: '<=', value: 3 },
        whyMissed:
          'the walk is bound by lstat and readdir in one worker (docs/sync.md); at small trees the fixed cost of the pass weighs more',
      }),
      row({
        figure: `first scan of ${label} files: peak RSS`,
        measured: num(tree, 'peakRssMiB'),
        unit: 'MiB',
        baseline: previous
          ? {
              label: `${(num(previous, 'files') ?? 0).toLocaleString('en-US')} files`,
              value: num(previous, 'peakRssMiB'),
            }
          : { label: 'the process before the scan', value: num(tree, 'rssBeforeMiB') },
        target: below(200, '<='),
        note: `tree made at ${count(num(tree, 'filesPerSecond'), Number.NaN)} files/s on /dev/shm, removed in ${num(tree, 'removeSeconds') ?? '?'} s`,
        whyMissed:
          'the scan streams (no tree in memory); over 200 MiB means something holds every path',
      }),
    );
  }
  return rows;
}

// ---- the benches, in the order `npm run bench` runs them --------------------------------------

const SYNC_TSX: BenchInfo['env'][number] = {
  name: 'BENCH_SYNC_TSX',
  effect: 'children run under tsx instead of built JS (about 50 MiB more RSS each)',
  changesFigures: true,
};

export const BENCH_INFOS: readonly BenchInfo[] = [
  {
    name: 'osslocal',
    title: 'Local OSS server (osslocal)',
    measures:
      'the local OSS server (`ossync local-oss`, a child process): single-stream PUT and GET of 256 MiB, 4,000 PUTs of 4 KiB with 16 in flight, and one 1,000-key ListObjectsV2 page in a bucket of 1,000,000 objects (seeded straight into its metadata).',
    baseline:
      'a minimal `node:http` server in another child process (test/bench/baseline-server.ts) that discards PUT bodies and serves GETs and a pre-rendered list page from memory, driven by the same raw HTTP client in the same run.',
    env: [],
    duration: '2 minutes',
    docs: '[docs/osslocal.md](osslocal.md#performance)',
    rows: osslocalRows,
  },
  {
    name: 'crc64',
    title: 'CRC64 (crc64)',
    measures:
      'CRC64-ECMA throughput on one core of `shared/crc64.ts`, 256 MiB in 1 MiB calls, best of 4 rounds, after an ArrayBuffer detach (the usual state of an app process).',
    baseline:
      '`crc64-ecma182.js` on the same data, the variants taking turns in each round; MD5 from `node:crypto` for scale.',
    env: [],
    duration: '30 seconds',
    docs: 'test/bench/crc64.ts',
    rows: crc64Rows,
  },
  {
    name: 'crc64-pool',
    title: 'CRC64 worker pool (crc64-pool)',
    measures:
      '512 MiB in 8 MiB parts, 4 in flight, hashed through `Crc64Pool` as the transfer engine does, with the longest event-loop stall (a 1 ms timer).',
    baseline: 'the same parts hashed inline on the main thread, in turns with the pool, best of 3.',
    env: [],
    duration: '30 seconds',
    docs: 'test/bench/crc64-pool.ts',
    rows: crc64PoolRows,
  },
  {
    name: 'transfer',
    title: 'Transfer engine (transfer)',
    measures:
      "the transfer engine (a child process driven over IPC, default limits) against the local OSS server: one 1 GiB file up and down, 10,000 files of 4 KiB up end to end through the job database, the engine's peak RSS. 2 rounds in alternating order, the best kept.",
    baseline:
      "from the bench process against the same server in the same run: a raw single-stream HTTP PUT / GET of the same file (presigned URLs, `node:http`, streamed from and to disk), ali-oss `multipartUpload` with its defaults, and a bare loop of ali-oss `put` at the engine's file concurrency with no persistence.",
    env: [
      {
        name: 'BENCH_TRANSFER_OPTIONS',
        effect:
          'smaller files, fewer rounds, other engine options (JSON, TransferBenchOptions), e.g. \'{"bigMiB":64,"smallCount":500,"rounds":1}\'',
        changesFigures: true,
      },
      {
        name: 'BENCH_ENGINE_NODE_OPTIONS',
        effect:
          "extra node options of the engine child (e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof')",
        changesFigures: true,
      },
    ],
    duration: '3 minutes (estimated from its rates), and several GiB free in the temp folder',
    docs: '[docs/transfer.md](transfer.md#performance)',
    rows: transferRows,
  },
  {
    name: 'sync',
    title: 'Folder sync (sync)',
    measures:
      'folder sync on a generated tree of 100,000 files in 10,000 folders: the first scan and first pass of a new pair, the rescan with a filled journal (files read, requests), each watcher backend (ready time, RSS, idle CPU), 60 s of idle CPU of a watching pair, and change-to-cloud latency of 4 KiB files on a small and on the big tree (50 each). Each phase in a fresh child process running built JS.',
    baseline:
      "`find DIR -type f -printf '%s %T@ %i\\n'` on the same tree in the same run, best of 3 (scan, pass, rescan, watcher ready); the process's own RSS before each phase (memory); the p50 beside the p95 (latency: no other tool's latency was measured).",
    env: [
      {
        name: 'BENCH_SYNC_OPTIONS',
        effect: 'smaller tree, fewer files timed, shorter idle window (JSON, SyncBenchOptions)',
        changesFigures: true,
      },
      SYNC_TSX,
      {
        name: 'BENCH_SYNC_NODE_OPTIONS',
        effect: 'extra node options of each child (profiling)',
        changesFigures: true,
      },
    ],
    duration: '5 minutes',
    docs: '[docs/sync.md](sync.md#performance)',
    rows: syncRows,
  },
  {
    name: 'ui',
    title: 'UI (ui)',
    measures:
      'the UI in headless Chromium against `ossync serve` and the local OSS server: a prefix of 100,000 objects opened to the first rows painted, End to the last key, the JS heap after scrolling everything, long frames in Transfers while 200 uploads report progress, and the Transfers list with 100,000 queued jobs.',
    baseline:
      "the same contract calls made by the page itself over its own WebSocket (first page; all pages one after another), the idle app's heap, the same view idle (frames), each in the same run.",
    env: [
      {
        name: 'OSSYNC_BENCH_UI_PROFILE',
        effect: 'saves CPU profiles; the profiler slows the page',
        changesFigures: true,
      },
    ],
    duration: '8 minutes',
    docs: '[docs/ui.md](ui.md#performance)',
    rows: uiRows,
  },
  {
    name: 'scale',
    title: 'Memory at scale (scale)',
    measures:
      'memory at 100,000 and 1,000,000: the engine process (fresh child, built JS, defaults) started on a job database holding that many queued uploads and left to work through it for 20 s, its RSS sampled; and the first scan of a new pair (scan, merge, plan) over a tree of that many files on /dev/shm, its peak RSS and time.',
    baseline:
      "the same engine process started with an empty queue, and with ten times fewer jobs; the scan's RSS before it starts and at the smaller tree; `find` on the same tree, best of 2. The engine's RSS counts as flat when ten times the jobs raise it by at most 1.2x; the scan keeps the sync targets (at most 3x `find`, peak RSS at most 200 MiB) at every size.",
    env: [
      {
        name: 'BENCH_SCALE_OPTIONS',
        effect: 'other job and file counts, a shorter run (JSON, ScaleBenchOptions)',
        changesFigures: true,
      },
      SYNC_TSX,
    ],
    duration: '4 minutes, and about 5 GiB free in /dev/shm',
    docs: 'test/bench/scale.ts',
    rows: scaleRows,
  },
];
