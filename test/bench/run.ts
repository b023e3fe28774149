/**
 * `npm run bench -- NAME...`: runs those benchmarks (all of them, in order, without a name).
 * Progress goes to stdout; the last line is one JSON object with every figure, keyed by
 * benchmark (or, for one benchmark, `{"bench": NAME, ...figures}`), each with its report
 * `rows` (figure, measured, baseline, ratio, target, verdict, note).
 *
 * Then the performance report: each bench's section (rows, raw figures, when, machine, load
 * before and after) goes into docs/performance.json and docs/performance.md is rendered from
 * that file (test/bench/report.ts). A run of every bench rewrites the report whole; a run of
 * some replaces only their sections. A bench that throws is recorded as failed, with its
 * error, and the next one still runs; the command then exits 1. BENCH_REPORT=0 leaves the
 * report alone; BENCH_TIMEOUT_MINUTES (default 30) fails a bench that runs longer, so the
 * report is still written; `--report` (no bench) reads the stored raw figures into rows again and renders.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCrc64Bench } from './crc64.js';
import { runCrc64PoolBench } from './crc64-pool.js';
import { BENCH_INFOS } from './figures.js';
import { runOssLocalBench } from './osslocal.js';
import {
  mergeReport,
  readReport,
  renderReport,
  rereadRows,
  runBench,
  type Section,
} from './report.js';
import { runScaleBench } from './scale.js';
import { runSyncBench } from './sync.js';
import { runTransferBench, type TransferBenchOptions } from './transfer.js';
import { runUiBench } from './ui.js';

/** A benchmark's figures: numbers, plus whatever describes the setup (settings, ...). */
type Bench = () => Promise<Record<string, unknown>>;

const BENCHES: Record<string, Bench> = {
  osslocal: runOssLocalBench,
  crc64: runCrc64Bench,
  'crc64-pool': runCrc64PoolBench,
  transfer: (): Promise<Record<string, unknown>> =>
    runTransferBench(
      JSON.parse(process.env['BENCH_TRANSFER_OPTIONS'] ?? '{}') as TransferBenchOptions,
    ),
  sync: (): Promise<Record<string, unknown>> => runSyncBench(),
  ui: runUiBench,
  scale: (): Promise<Record<string, unknown>> => runScaleBench(),
};

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOCS = path.join(REPO_ROOT, 'docs');
const REPORT_JSON = path.join(DOCS, 'performance.json');
const REPORT_MD = path.join(DOCS, 'performance.md');

const order = BENCH_INFOS.map((info) => info.name);

// `npm run bench -- --report`: no bench runs; the stored raw figures are read into rows again
// (after a change to test/bench/figures.ts: wording, targets, reasons) and the report rendered.
if (process.argv[2] === '--report') {
  const stored = readReport(REPORT_JSON);
  if (!stored) {
    process.stderr.write(`no report to render: ${REPORT_JSON} is missing or unreadable\n`);
    process.exit(2);
  }
  const report = rereadRows(stored, BENCH_INFOS);
  writeFileSync(REPORT_JSON, await formatJson(report));
  writeFileSync(REPORT_MD, renderReport(report, BENCH_INFOS));
  process.stdout.write(`report: ${path.relative(process.cwd(), REPORT_MD)}\n`);
  process.exit(0);
}

const names = process.argv.slice(2);
const unknown = names.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark ${unknown.join(', ')}; choose from: ${order.join(', ')}\n`,
  );
  process.exit(2);
}
const selected = names.length > 0 ? order.filter((name) => names.includes(name)) : order;

/** A bench still running after BENCH_TIMEOUT_MINUTES (default 30) is recorded as failed. */
const timeoutMinutes = Number(process.env['BENCH_TIMEOUT_MINUTES'] ?? 30);
const timeoutMs =
  (Number.isFinite(timeoutMinutes) && timeoutMinutes > 0 ? timeoutMinutes : 30) * 60_000;
const results: Record<string, Record<string, unknown>> = {};
const sections: Section[] = [];
for (const name of selected) {
  process.stdout.write(`== ${name}\n`);
  const section = await runBench(
    BENCH_INFOS.find((info) => info.name === name)!,
    BENCHES[name] as Bench,
    { env: process.env, repoRoot: REPO_ROOT, timeoutMs },
  );
  if (section.status === 'failed') process.stdout.write(`${name} FAILED: ${section.error}\n`);
  sections.push(section);
  results[name] = section.raw
    ? { ...section.raw, rows: section.rows }
    : { error: section.error ?? 'failed' };
}

if (process.env['BENCH_REPORT'] !== '0') {
  const report = mergeReport(readReport(REPORT_JSON), sections, {
    full: names.length === 0,
    now: new Date(),
  });
  writeFileSync(REPORT_JSON, await formatJson(report));
  writeFileSync(REPORT_MD, renderReport(report, BENCH_INFOS));
  process.stdout.write(`report: ${path.relative(process.cwd(), REPORT_MD)}\n`);
}

const summary = names.length === 1 ? { bench: names[0], ...results[names[0] as string] } : results;
process.stdout.write(`${JSON.stringify(summary)}\n`);
if (sections.some((section) => section.status === 'failed')) {
  // A bench that timed out still holds its servers and children: end them, and leave.
  if (sections.some((section) => section.error?.includes('timed out'))) {
    killDescendants();
    process.exit(1);
  }
  process.exitCode = 1;
}

/** SIGKILLs every process this one started, and theirs (Linux: read from /proc). */
function killDescendants(): void {
  const parents = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return;
  }
  for (const pid of entries) {
    try {
      // The command name (2nd field) may hold spaces and parentheses: read after the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(pid), ppid);
    } catch {
      // Gone meanwhile.
    }
  }
  const ours = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parents)
      if (ours.has(ppid) && !ours.has(pid)) {
        ours.add(pid);
        grew = true;
      }
  }
  ours.delete(process.pid);
  for (const pid of ours) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** JSON as the repository's prettier writes it (`npm run lint` checks docs/*.json). */
async function formatJson(value: unknown): Promise<string> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(REPORT_JSON)) ?? {};
    return await prettier.format(text, { ...config, parser: 'json' });
  } catch {
    return text;
  }
}
