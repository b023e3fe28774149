import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BENCH_INFOS } from '../../bench/figures.js';
import {
  anchor,
  benchOptions,
  mergeReport,
  parseTarget,
  readReport,
  renderReport,
  rereadRows,
  row,
  runBench,
  type Machine,
  type ReportFile,
  type RowSpec,
  type Section,
} from '../../bench/report.js';

const MACHINE: Machine = {
  cpuModel: 'Test CPU @ 2.0GHz',
  cores: 2,
  memoryGiB: 23.4,
  node: 'v20.20.2',
  os: 'Linux 6.1 (linux)',
};

function section(bench: string, overrides: Partial<Section> = {}): Section {
  return {
    bench,
    status: 'ok',
    startedAt: '2026-11-22T11:40:00.000Z',
    finishedAt: '2026-11-22T11:40:20.000Z',
    seconds: 20,
    machine: MACHINE,
    load: { before: [1.04, 1, 1.3], after: [1.5, 1.1, 1.3] },
    options: {},
    quick: false,
    rows: [],
    raw: {},
    ...overrides,
  };
}

const info = (name: string): (typeof BENCH_INFOS)[number] => {
  const found = BENCH_INFOS.find((i) => i.name === name);
  if (!found) throw new Error(`no bench ${name}`);
  return found;
};

// Raw figures as the benches return them (values from docs/transfer.md, docs/sync.md).
const TRANSFER_RAW = {
  uploadMiBs: 185.1,
  rawPutMiBs: 245.3,
  uploadRatioRaw: 0.755,
  aliOssMultipartMiBs: 162.1,
  uploadRatioAliOss: 1.142,
  downloadMiBs: 185.3,
  rawGetMiBs: 264.5,
  downloadRatioRaw: 0.701,
  smallFilesPerSecond: 633.4,
  bareAliOssPutsPerSecond: 973.5,
  smallFilesRatio: 0.651,
  enginePeakRssMiB: 331,
  engineIdleRssMiB: 115,
  rawGetThenFsyncMiBs: 185.7,
  engineCpuMsPerSmallFile: 1.19,
  bareAliOssCpuMsPerPut: 0.755,
};

describe('row', () => {
  it('derives the ratio from the baseline and judges a target on it', () => {
    const r = row({
      figure: 'upload',
      measured: 180,
      unit: 'MiB/s',
      baseline: { label: 'raw', value: 200 },
      target: { on: 'ratio', op: '>=', value: 0.9 },
      whyMissed: 'slow',
    });
    expect(r.ratio).toBe(0.9);
    expect(r.verdict).toBe('met');
    expect(r.note).toBeUndefined();
    expect(r.baseline).toEqual({ label: 'raw', value: 200, unit: 'MiB/s' });
  });

  it('gives the reason for a miss, and the note otherwise', () => {
    const spec: RowSpec = {
      figure: 'latency',
      measured: 2500,
      unit: 'ms',
      target: { on: 'measured', op: '<', value: 2000 },
      note: 'context',
      whyMissed: 'the window',
    };
    const missed = row(spec);
    expect(missed.verdict).toBe('missed');
    expect(missed.note).toBe('the window');
    const met = row({ ...spec, measured: 1500 });
    expect(met.verdict).toBe('met');
    expect(met.note).toBe('context');
    const noTarget = row({ figure: 'x', measured: 1, unit: '', note: 'context' });
    expect(noTarget.verdict).toBe('no target');
    expect(noTarget.note).toBe('context');
  });

  it('calls a figure the run could not take not measured, neither met nor missed', () => {
    const r = row({
      figure: 'scan of 1,000,000',
      measured: Number.NaN,
      unit: 'MiB',
      target: { on: 'measured', op: '<=', value: 200 },
    });
    expect(r.measured).toBeNull();
    expect(r.verdict).toBe('not measured');
    expect(r.note).toBe('not measured in this run');
    const ratioOnly = row({
      figure: 'f',
      measured: 2,
      unit: '',
      baseline: { label: 'b', value: undefined },
      target: { on: 'ratio', op: '<=', value: 3 },
    });
    expect(ratioOnly.verdict).toBe('not measured');
  });

  it('keeps a ratio the bench gave, and none when told so', () => {
    expect(
      row({ figure: 'f', measured: 1, unit: '', baseline: { label: 'b', value: 4 }, ratio: 0.3 })
        .ratio,
    ).toBe(0.3);
    expect(
      row({ figure: 'f', measured: 1, unit: '', baseline: { label: 'b', value: 4 }, ratio: null })
        .ratio,
    ).toBeNull();
  });
});

describe('parseTarget', () => {
  it('reads the targets as test/bench/sync.ts states them', () => {
    expect(parseTarget('<= 3', 'ratio')).toEqual({ on: 'ratio', op: '<=', value: 3 });
    expect(parseTarget('< 2000')).toEqual({ on: 'measured', op: '<', value: 2000 });
    expect(parseTarget('0')).toEqual({ on: 'measured', op: '=', value: 0 });
    expect(parseTarget('fast')).toBeUndefined();
  });
});

describe('the stored report', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('a run of some benches keeps the other sections; a full run replaces them all', () => {
    const previous = mergeReport(undefined, [section('crc64'), section('sync')], {
      full: true,
      now: new Date('2026-11-21T00:00:00Z'),
    });
    const fresh = section('crc64', { startedAt: '2026-11-22T12:00:00.000Z' });
    const partial = mergeReport(previous, [fresh], {
      full: false,
      now: new Date('2026-11-22T12:01:00Z'),
    });
    expect(Object.keys(partial.sections).sort()).toEqual(['crc64', 'sync']);
    expect(partial.sections['crc64']).toBe(fresh);
    expect(partial.sections['sync']).toBe(previous.sections['sync']);
    expect(partial.updatedAt).toBe('2026-11-22T12:01:00.000Z');
    const full = mergeReport(previous, [fresh], { full: true, now: new Date() });
    expect(Object.keys(full.sections)).toEqual(['crc64']);
  });

  it('reads back what was written and ignores a file it cannot read', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'report-test-'));
    const file = path.join(dir, 'performance.json');
    expect(readReport(file)).toBeUndefined();
    const report = mergeReport(undefined, [section('crc64')], { full: true, now: new Date() });
    writeFileSync(file, JSON.stringify(report));
    expect(readReport(file)).toEqual(report);
    writeFileSync(file, '{"version": 2, "sections": {}}');
    expect(readReport(file)).toBeUndefined();
    writeFileSync(file, 'not json');
    expect(readReport(file)).toBeUndefined();
  });

  it('marks a run quick when an option that changes the figures is set', () => {
    const sync = info('sync');
    expect(benchOptions(sync, {})).toEqual({ options: {}, quick: false });
    expect(benchOptions(sync, { BENCH_SYNC_OPTIONS: '{"files":3000}', OTHER: 'x' })).toEqual({
      options: { BENCH_SYNC_OPTIONS: '{"files":3000}' },
      quick: true,
    });
    expect(benchOptions(info('crc64'), { BENCH_SYNC_OPTIONS: '{}' }).quick).toBe(false);
  });
});

describe('rows of each bench', () => {
  it('every bench refuses figures that are not its own (a renamed figure is an error, not an empty section)', () => {
    for (const bench of BENCH_INFOS)
      expect(() => bench.rows({ unrelated: 1 }), bench.name).toThrow();
  });

  it('transfer: the ratios against their targets, with the reasons for the misses', () => {
    const rows = info('transfer').rows(TRANSFER_RAW);
    const byFigure = Object.fromEntries(rows.map((r) => [r.figure, r]));
    const upload = byFigure['1 GiB upload vs raw single-stream PUT']!;
    expect(upload).toMatchObject({ measured: 185.1, ratio: 0.755, verdict: 'missed' });
    expect(upload.baseline?.value).toBe(245.3);
    expect(upload.note).toMatch(/hash/);
    expect(byFigure['1 GiB upload vs ali-oss multipartUpload']!.verdict).toBe('missed');
    const small = byFigure['10,000 files of 4 KiB, end to end through the job database']!;
    expect(small.verdict).toBe('missed');
    expect(small.note).toContain('1.19 ms against 0.755 ms');
    const quick = info('transfer').rows({
      ...TRANSFER_RAW,
      settings: { bigFileBytes: 64 * 1024 * 1024, smallFiles: 500, smallFileBytes: 4096 },
    });
    expect(quick[0]!.figure).toBe('64 MiB upload vs raw single-stream PUT');
    expect(quick[4]!.figure).toBe('500 files of 4 KiB, end to end through the job database');
    const met = info('transfer').rows({ ...TRANSFER_RAW, uploadRatioRaw: 0.95 });
    expect(met.find((r) => r.figure === upload.figure)!.verdict).toBe('met');
  });

  it('sync: takes the targets the bench states, and a watcher that was given up', () => {
    const rows = info('sync').rows({
      findSeconds: 0.47,
      firstScanSeconds: 0.83,
      firstPassSeconds: 3.1,
      rescanSeconds: 1.54,
      firstScan: { rssBeforeMiB: 90 },
      firstPass: { rssBeforeMiB: 95 },
      latencySmallTree: { p50Ms: 1016 },
      latencyBigTree: { p50Ms: 1024 },
      targets: {
        firstScanRatio: { value: 1.77, target: '<= 3', met: true },
        firstPassRatio: { value: 6.6, target: '<= 3', met: false },
        rescanFilesRead: { value: 0, target: '0', met: true },
        latencyP95MsSmallTree: { value: 1029, target: '< 2000', met: true },
        idleCpuPercent: { value: 0.17, target: '< 1', met: true },
      },
      watchers: {
        parcel: { readySeconds: 0.76, peakRssMiB: 115, rssBeforeMiB: 80, idleCpuPercent: 0.03 },
        'chokidar-polling': { ready: false, gaveUpAfterSeconds: 60, rssMiB: 861 },
      },
    });
    const byFigure = Object.fromEntries(rows.map((r) => [r.figure, r]));
    const scan =
      byFigure['first scan of 100,000 files (walk, merge with the empty journal, plan)']!;
    expect(scan).toMatchObject({ measured: 0.83, ratio: 1.77, verdict: 'met' });
    expect(scan.baseline).toMatchObject({ value: 0.47 });
    const pass = byFigure['first pass, 100,000 upload jobs queued in SQLite']!;
    expect(pass.verdict).toBe('missed');
    expect(pass.note).toMatch(/inserts one upload job per file/);
    expect(byFigure['rescan: files read']!.verdict).toBe('met');
    expect(byFigure['idle CPU of the watching process, 100,000-file tree']!.verdict).toBe('met');
    expect(byFigure['watcher parcel: peak RSS']!.baseline?.value).toBe(80);
    expect(byFigure['watcher chokidar-polling: ready']!.note).toMatch(/not ready after 60 s/);
  });

  it('ui: the targets the bench states, met and missed, with the blank page beside the frames', () => {
    const raw = {
      firstRows: { ms: 630, baselineMs: 49, ratio: 12.9, targetMs: 500, result: 'missed' },
      scrollToLast: { ms: 12_100, baselineMs: 5600, ratio: 2.16, targetMs: null },
      heap: { mb: 26.5, baselineMB: 4.2, ratio: 6.31, targetMB: 200 },
      queuedList: {
        firstRowsMs: 148,
        baselineMs: 14,
        ratio: 10.57,
        targetMs: 500,
        endToLastMs: 51_000,
        endBaselineMs: 6300,
        endRatio: 8.1,
        heapMB: 38,
        heapTargetMB: 200,
      },
      framesDuringProgress: {
        longFramePercent: 0.33,
        baselineLongFramePercent: 0,
        blankPageLongFramePercent: 0.9,
        targetLongFramePercent: 5,
      },
    };
    const rows = info('ui').rows(raw);
    expect(rows.map((r) => r.verdict)).toEqual([
      'missed',
      'no target',
      'met',
      'met',
      'no target',
      'met',
      'met',
    ]);
    expect(rows[0]).toMatchObject({ measured: 630, ratio: 12.9, target: { op: '<', value: 500 } });
    expect(rows[0]!.note).toMatch(/load/);
    expect(rows[6]!.note).toContain('0.9%');
  });

  it('osslocal and crc64-pool: the listing target, and the pool against inline hashing', () => {
    const osslocal = info('osslocal').rows({
      putMiBs: 210,
      baselinePutMiBs: 1488,
      putRatio: 0.14,
      getMiBs: 379,
      baselineGetMiBs: 676,
      getRatio: 0.56,
      smallPutsPerSecond: 935,
      baselineSmallPutsPerSecond: 7860,
      smallPutRatio: 0.12,
      listPageMs: 120,
      baselineListPageMs: 0.42,
      listPageRatio: 285,
    });
    expect(osslocal.map((r) => r.verdict)).toEqual([
      'no target',
      'no target',
      'no target',
      'missed',
    ]);
    expect(osslocal[3]!.note).toMatch(/8 to 16 ms/);
    const pool = info('crc64-pool').rows({
      workers: 2,
      poolMiBs: 800,
      inlineMiBs: 900,
      poolMaxDelayMs: 2.1,
      inlineMaxDelayMs: 30,
    });
    expect(pool[0]).toMatchObject({
      figure: 'CRC64 of 8 MiB parts, 4 in flight, pool of 2 workers',
      ratio: 0.889,
    });
    expect(pool[1]).toMatchObject({ measured: 2.1, baseline: { value: 30 }, ratio: 0.07 });
  });

  it('scale: flat memory meets its target, a skipped tree is a miss that says why', () => {
    const raw = {
      engines: [
        { jobs: 0, peakRssMiB: 85, doneInRun: 0, runSeconds: 20 },
        { jobs: 100_000, peakRssMiB: 160, doneInRun: 8000, runSeconds: 20 },
        { jobs: 1_000_000, peakRssMiB: 157, doneInRun: 8000, runSeconds: 20 },
      ],
      trees: [
        {
          files: 100_000,
          findSeconds: 0.7,
          scanSeconds: 2.4,
          scanRatio: 3.4,
          peakRssMiB: 118,
          rssBeforeMiB: 92,
          filesPerSecond: 28_000,
        },
        { files: 1_000_000, skipped: 'making 1,000,000 files at 500 files/s would take 2000 s' },
      ],
    };
    const rows = info('scale').rows(raw);
    const flat = rows.find((r) => r.figure === 'engine peak RSS, 1,000,000 jobs against 100,000')!;
    expect(flat).toMatchObject({ verdict: 'met', baseline: { value: 160 } });
    const grown = info('scale').rows({
      ...raw,
      engines: [raw.engines[0], raw.engines[1], { ...raw.engines[2], peakRssMiB: 400 }],
    });
    expect(grown.find((r) => r.figure === flat.figure)!.verdict).toBe('missed');
    const skipped = rows.find((r) => r.figure === 'first scan of 1,000,000 files: peak RSS')!;
    expect(skipped).toMatchObject({ measured: null, verdict: 'not measured' });
    expect(skipped.note).toContain('500 files/s');
    const text = renderReport(
      {
        version: 1,
        updatedAt: '2026-11-22T12:00:00.000Z',
        sections: { scale: section('scale', { rows }) },
      },
      BENCH_INFOS,
    );
    expect(text).toContain(
      '**Not measured in this run:**\n\n- first scan of 1,000,000 files: peak RSS: making 1,000,000 files at 500 files/s',
    );
    expect(text).toContain('1 could not be measured');
    expect(
      rows.find((r) => r.figure === 'first scan of 100,000 files (walk, merge, plan)')!.verdict,
    ).toBe('missed');
  });
});

describe('renderReport', () => {
  const transfer = section('transfer', {
    rows: info('transfer').rows(TRANSFER_RAW),
    raw: TRANSFER_RAW,
  });
  const crc64 = section('crc64', {
    rows: info('crc64').rows({
      crc64MiBs: 900,
      crc64Ecma182MiBs: 450,
      md5MiBs: 600,
      ratioToEcma182: 2,
    }),
  });
  const failedUi = section('ui', {
    status: 'failed',
    raw: null,
    error: 'Error: chromium not found\n    at launch',
  });
  const quickSync = section('sync', {
    quick: true,
    options: { BENCH_SYNC_OPTIONS: '{"files":3000}' },
    rows: [
      row({
        figure: 'rescan: files read',
        measured: 2,
        unit: 'files',
        target: { on: 'measured', op: '=', value: 0 },
        whyMissed: 'read again',
      }),
    ],
  });
  const report: ReportFile = {
    version: 1,
    updatedAt: '2026-11-22T12:00:00.000Z',
    sections: { transfer, crc64, ui: failedUi, sync: quickSync },
  };
  const text = renderReport(report, BENCH_INFOS);

  it('lists every figure in the summary, with its baseline, ratio, target and verdict', () => {
    const summary = text.slice(text.indexOf('## Summary'), text.indexOf('## Machine'));
    expect(summary).toContain(
      '| [transfer](#transfer-engine-transfer) | 1 GiB upload vs raw single-stream PUT | 185.1 MiB/s | raw PUT (node:http, presigned): 245.3 MiB/s | 0.755 | ratio ≥ 0.9 | **missed** |',
    );
    expect(summary).toContain(
      '| CRC64-ECMA, one core (shared/crc64.ts) | 900 MiB/s | crc64-ecma182.js: 450 MiB/s | 2 |  | no target |',
    );
    for (const name of ['osslocal', 'crc64-pool', 'scale'])
      expect(summary).toMatch(
        new RegExp(`\\[${name}\\]\\(#[^)]+\\) \\| not measured in this report yet`),
      );
    expect(summary).toContain('**failed** (see its section)');
    expect(summary).toContain('**missed** (quick run)');
  });

  it('counts only the figures of full runs, and names what is missing', () => {
    expect(text).toContain(
      'figures met their target, 4 missed, 4 have none, 0 could not be measured',
    );
    expect(text).toContain('1 more come from quick runs and are not counted');
    expect(text).toContain('Failed: ui.');
    expect(text).toContain('Not measured in this report yet: osslocal, crc64-pool, scale.');
  });

  it('gives each section its time, load, misses with reasons, and how to reproduce it', () => {
    const start = text.indexOf('## Transfer engine (transfer)');
    const body = text.slice(start, text.indexOf('\n## ', start + 1));
    expect(body).toContain(
      'Measured 2026-11-22 11:40 UTC, 20 s, on 2 cores; load average (1 / 5 / 15 min) 1.04 / 1 / 1.3 before, 1.5 / 1.1 / 1.3 after.',
    );
    expect(body).toContain('**Baseline.**');
    expect(body).toMatch(
      /\*\*Missed:\*\*\n\n- 1 GiB upload vs raw single-stream PUT: the engine reads each part/,
    );
    expect(body).toContain('`npm run bench -- transfer`');
    expect(body).toContain('`BENCH_ENGINE_NODE_OPTIONS`');
  });

  it('shows a failed bench with its error, a quick run as such, an unmeasured bench as such', () => {
    expect(text).toMatch(
      /## UI \(ui\)\n\n\*\*Failed\*\* 2026-11-22 11:40 UTC[^\n]*\n\nThe bench failed:\n\n```\nError: chromium not found\n {4}at launch\n```/,
    );
    expect(text).toContain(
      '**Quick run**, not the bench\'s real figures: `BENCH_SYNC_OPTIONS={"files":3000}`',
    );
    expect(text).toContain('**Missed (in this quick run):**');
    expect(text).toMatch(
      /## Memory at scale \(scale\)\n\n\*\*Not measured in this report yet\.\*\* Run `npm run bench -- scale`/,
    );
  });

  it('describes the machine once when every section shares it, and each when they differ', () => {
    expect(text).toContain('| Test CPU @ 2.0GHz | 2 | 23.4 GiB | v20.20.2 | Linux 6.1 (linux) |');
    expect(text).toContain('Every section was measured on this machine');
    const mixed = renderReport(
      {
        ...report,
        sections: { ...report.sections, crc64: { ...crc64, machine: { ...MACHINE, cores: 8 } } },
      },
      BENCH_INFOS,
    );
    expect(mixed).toContain('For crc64:');
    expect(mixed).toContain('For transfer, sync, ui:');
  });

  it('links each summary row to a heading that exists', () => {
    const headings = new Set([...text.matchAll(/^## (.+)$/gm)].map((m) => anchor(m[1]!)));
    const links = [...text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(headings, link).toContain(link);
  });
});

describe('runBench', () => {
  const crc64 = info('crc64');
  const clock = (): (() => Date) => {
    let t = Date.parse('2026-11-22T12:00:00Z');
    return () => new Date((t += 1500));
  };

  it("reads a bench's figures into rows, with the time, machine, load and options", async () => {
    const section = await runBench(
      crc64,
      () =>
        Promise.resolve({ crc64MiBs: 900, crc64Ecma182MiBs: 450, md5MiBs: 600, ratioToEcma182: 2 }),
      { env: { BENCH_SYNC_OPTIONS: '{}' }, repoRoot: '/repo', now: clock() },
    );
    expect(section).toMatchObject({
      bench: 'crc64',
      status: 'ok',
      startedAt: '2026-11-22T12:00:01.500Z',
      seconds: 1.5,
      options: {},
      quick: false,
      raw: { crc64MiBs: 900 },
    });
    expect(section.rows.map((r) => r.measured)).toEqual([900, 600]);
    expect(section.machine.cores).toBeGreaterThan(0);
    expect(section.load.before).toHaveLength(3);
    expect(section.error).toBeUndefined();
  });

  it('turns a bench that throws into a failed section with its error, and never throws itself', async () => {
    const error = new Error('chromium not found');
    error.stack = 'Error: chromium not found\n    at launch (/repo/test/bench/ui.ts:10:5)';
    const section = await runBench(info('ui'), () => Promise.reject(error), {
      env: { OSSYNC_BENCH_UI_PROFILE: '1' },
      repoRoot: '/repo',
    });
    expect(section).toMatchObject({
      bench: 'ui',
      status: 'failed',
      raw: null,
      rows: [],
      quick: true,
      error: 'Error: chromium not found\n    at launch (test/bench/ui.ts:10:5)',
    });
  });

  it('fails a bench that runs past the timeout, so the run goes on', async () => {
    const section = await runBench(crc64, () => new Promise(() => undefined), {
      env: {},
      repoRoot: '/repo',
      timeoutMs: 30,
    });
    expect(section).toMatchObject({ status: 'failed', raw: null });
    expect(section.error).toMatch(/^Error: timed out: still running after 0\.001 min/);
  });

  it('keeps figures it cannot read into rows, and says why', async () => {
    const section = await runBench(crc64, () => Promise.resolve({ renamed: 1 }), {
      env: {},
      repoRoot: '/repo',
    });
    expect(section.status).toBe('ok');
    expect(section.raw).toEqual({ renamed: 1 });
    expect(section.rows).toEqual([]);
    expect(section.error).toMatch(/^reading the figures: none of crc64MiBs/);
    const text = renderReport(
      { version: 1, updatedAt: section.finishedAt, sections: { crc64: section } },
      BENCH_INFOS,
    );
    expect(text).toContain('The figures could not all be read into rows: reading the figures');
    expect(text).toContain(
      '| [crc64](#crc64-crc64) | figures not read into rows (see its section) |',
    );
  });
});

describe('rereadRows', () => {
  it('reads the stored raw figures again, and keeps what it cannot read', () => {
    const stale = section('transfer', {
      raw: TRANSFER_RAW,
      rows: [row({ figure: 'old wording', measured: 1, unit: '' })],
    });
    const failed = section('ui', { status: 'failed', raw: null, error: 'boom' });
    const odd = section('crc64', {
      raw: { renamed: 1 },
      rows: [row({ figure: 'kept', measured: 2, unit: '' })],
    });
    const report: ReportFile = {
      version: 1,
      updatedAt: '2026-11-22T12:00:00.000Z',
      sections: { transfer: stale, ui: failed, crc64: odd },
    };
    const reread = rereadRows(report, BENCH_INFOS);
    expect(reread.sections['transfer']!.rows).toEqual(info('transfer').rows(TRANSFER_RAW));
    expect(reread.sections['ui']).toEqual(failed);
    expect(reread.sections['crc64']!.rows.map((r) => r.figure)).toEqual(['kept']);
    expect(reread.updatedAt).toBe(report.updatedAt);
  });
});
