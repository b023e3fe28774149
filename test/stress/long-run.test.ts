/**
 * Long run: `ossync sync --watch` (mirror, permanent deletes) runs as a child process, as a
 * user runs it, while a seeded script keeps creating, editing (rewrites and appends),
 * renaming and deleting files and folders in the watched folder. Meanwhile the app's RSS
 * and open file descriptors are sampled from /proc/<pid>. Afterwards every change arrived
 * (the prefix equals the folder: keys, sizes, CRC64 by an independent oracle), the file
 * descriptors are back at the baseline, and the process stops cleanly on SIGINT.
 *
 * Short variant (npm test): a burst of changes for a few seconds, then settle. Long variant
 * (OSSYNC_STRESS_LONG=1): changes for 10 minutes; RSS and descriptors must stay flat (the
 * criteria are at RSS_FLAT and FDS_FLAT). Replay with LONG_RUN_SEED=<the seed in the name>.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv } from '../helpers/cli-env.js';
import { KiB, MiB, oracleCrc64, randomBytesFor, waitUntil } from '../helpers/engine.js';
import { REPO_ROOT } from '../helpers/local-oss-process.js';
import { startLocalOss, type LocalOss } from '../helpers/osslocal.js';
import { Churn, describeFds, sampleProcess } from './helpers/long-run-churn.js';

const LONG = process.env['OSSYNC_STRESS_LONG'] === '1';
const SEED = Number(process.env['LONG_RUN_SEED'] ?? 0x10a6);
const BUCKET = 'long-run';
const PREFIX = 'lr/';
/** How long the script changes the folder, and how often. */
const CHURN_MS = LONG ? 10 * 60_000 : 5_000;
const STEP_MS = LONG ? 300 : 30;
/** Files in the folder at the start, and about as many as the script keeps. */
const START_FILES = LONG ? 700 : 60;
const TARGET_FILES = LONG ? 1000 : 250;
const SAMPLE_MS = LONG ? 1000 : 200;
/**
 * Long: the median RSS of the last minute of changes at most 25 % above the median of the
 * second minute (the first minute warms up: JIT, caches, SQLite's page cache). A leak of a
 * few hundred bytes per change (6,000 changes) stays below it; a leak per request or per
 * watcher event (tens of thousands) does not.
 */
const RSS_FLAT = 1.25;
/** Long: the median descriptor count of the last minute at most this many above the second minute's. */
const FDS_FLAT = 8;
/**
 * After settling, the descriptors at most this many above the baseline taken when the first
 * pass was over (pooled keep-alive sockets and SQLite's WAL files come and go).
 */
const FDS_SETTLED = 6;
/** Short: RSS after settling at most this factor of the baseline (a runaway, not a trend). */
const RSS_SHORT_MAX = 2;

const CLI = path.join(REPO_ROOT, 'main', 'cli', 'main.ts');
let oss: LocalOss;
let scratch: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'long-run-'));
  oss = await startLocalOss({ buckets: [BUCKET] });
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await oss?.close();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

interface Sample {
  at: number;
  rss: number;
  fds: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The objects under PREFIX: path -> size. */
async function listed(): Promise<Map<string, number>> {
  const client = oss.client({ bucket: BUCKET });
  const found = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await client.listV2(
      { prefix: PREFIX, 'max-keys': '1000', ...(token ? { 'continuation-token': token } : {}) },
      {},
    );
    for (const object of page.objects ?? []) {
      const rel = object.name.slice(PREFIX.length);
      if (!rel.startsWith('.ossync-')) found.set(rel, object.size);
    }
    token = page.nextContinuationToken ?? undefined;
  } while (token);
  return sorted(found);
}

function sorted<T>(map: Map<string, T>): Map<string, T> {
  return new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

describe(`long run of ossync sync --watch (seed ${SEED}${LONG ? ', long' : ''})`, () => {
  it(
    'every change arrives; RSS and file descriptors stay flat',
    async () => {
      const root = path.join(scratch, 'folder');
      const dataDir = path.join(scratch, 'data');
      mkdirSync(root, { recursive: true });
      for (let i = 0; i < START_FILES; i++) {
        const dir = `start${i % 10}/${i % 3}`;
        mkdirSync(path.join(root, dir), { recursive: true });
        writeFileSync(
          path.join(root, dir, `s${i}.bin`),
          randomBytesFor(`${SEED}-start-${i}`, (i % 24) * KiB),
        );
      }
      // Files the CRC64 pool hashes in its worker threads (from 256 KiB), four at once: its
      // two workers start before the baseline is taken, as they would for any such file
      // later (each holds a few descriptors of its own for as long as the app runs).
      for (let i = 0; i < 4; i++)
        writeFileSync(
          path.join(root, `start-big${i}.bin`),
          randomBytesFor(`${SEED}-big-${i}`, 300 * KiB + i),
        );
      const churn = new Churn(root, SEED, TARGET_FILES);
      const folderSizes = (): Map<string, number> =>
        sorted(
          new Map(
            churn.files().map((rel) => [rel, readFileSync(path.join(root, rel)).length] as const),
          ),
        );

      const env = cliEnv({
        XDG_DATA_HOME: path.join(scratch, 'xdg-data'),
        XDG_CONFIG_HOME: path.join(scratch, 'xdg-config'),
      });
      const app = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          CLI,
          'sync',
          root,
          `oss://${BUCKET}/${PREFIX}`,
          '--watch',
          '--mode',
          'mirror',
          '--delete-mode',
          'permanent',
          '--endpoint',
          `http://localhost:${oss.server.port}`,
          '--data-dir',
          dataDir,
        ],
        { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = app;
      let stdout = '';
      let stderr = '';
      app.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      app.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => app.once('close', resolve));
      const pid = app.pid as number;
      const output = (): string => `\nstdout (end): ${stdout.slice(-3000)}\nstderr: ${stderr}`;

      // The first pass is over: the start files are in the bucket.
      await waitUntil(() => /^pair \d+: idle$/m.test(stdout), `the first idle${output()}`, 60_000);
      await waitUntil(
        async () => JSON.stringify([...(await listed())]) === JSON.stringify([...folderSizes()]),
        'the start files uploaded',
        60_000,
        200,
      );
      const baseKinds = describeFds(pid);
      const baseline: Sample[] = [];
      for (let i = 0; i < 5; i++) {
        baseline.push({ at: 0, ...sampleProcess(pid) });
        await sleep(200);
      }

      // Changes, sampled meanwhile.
      const samples: Sample[] = [];
      const started = performance.now();
      const sampler = setInterval(() => {
        samples.push({ at: performance.now() - started, ...sampleProcess(pid) });
      }, SAMPLE_MS);
      let steps = 0;
      try {
        while (performance.now() - started < CHURN_MS) {
          churn.step();
          steps++;
          await sleep(STEP_MS);
        }
      } finally {
        clearInterval(sampler);
      }
      const churnMs = performance.now() - started;

      // Settle: the bucket catches up with the folder, by sizes first, then by content.
      const settleStarted = performance.now();
      const want = folderSizes();
      let have = new Map<string, number>();
      const deadline = performance.now() + (LONG ? 300_000 : 30_000);
      for (;;) {
        have = await listed();
        if (JSON.stringify([...have]) === JSON.stringify([...want])) break;
        if (performance.now() > deadline) {
          const missing = [...want].filter(([p, size]) => have.get(p) !== size);
          const extra = [...have.keys()].filter((p) => !want.has(p));
          const report = path.join(tmpdir(), `long-run-seed-${SEED}-${process.pid}`);
          mkdirSync(report, { recursive: true });
          writeFileSync(path.join(report, 'stdout.txt'), stdout);
          writeFileSync(path.join(report, 'stderr.txt'), stderr);
          writeFileSync(path.join(report, 'changes.txt'), churn.log.join('\n'));
          throw new Error(
            `the bucket did not catch up with the folder: ${missing.length} missing or different ${JSON.stringify(missing.slice(0, 20))}, ` +
              `${extra.length} extra ${JSON.stringify(extra.slice(0, 20))}; the app's output and the changes are in ${report}`,
          );
        }
        await sleep(250);
      }
      const settleMs = performance.now() - settleStarted;
      const client = oss.client({ bucket: BUCKET });
      for (const rel of want.keys()) {
        const local = readFileSync(path.join(root, rel));
        const object = await client.get(PREFIX + rel);
        expect(oracleCrc64(object.content as Buffer), rel).toBe(oracleCrc64(local));
      }
      // Descriptors back at the baseline once the last jobs' bookkeeping and pooled
      // sockets wound down (a leak never gets there); then RSS and descriptors settled.
      const settleFdsStarted = performance.now();
      await waitUntil(
        () => sampleProcess(pid).fds <= median(baseline.map((s) => s.fds)) + FDS_SETTLED,
        'the descriptors back at the baseline',
        LONG ? 60_000 : 10_000,
        100,
      ).catch((error: Error) => {
        throw new Error(
          `${error.message}: at the baseline ${JSON.stringify(baseKinds)}, now ${JSON.stringify(describeFds(pid))}`,
        );
      });
      const fdsBackMs = performance.now() - settleFdsStarted;
      const settled: Sample[] = [];
      for (let i = 0; i < 5; i++) {
        settled.push({ at: 0, ...sampleProcess(pid) });
        await sleep(200);
      }
      const settledKinds = describeFds(pid);
      app.kill('SIGINT');
      const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout')]);

      const baseFds = median(baseline.map((s) => s.fds));
      const baseRss = median(baseline.map((s) => s.rss));
      const settledFds = median(settled.map((s) => s.fds));
      const settledRss = median(settled.map((s) => s.rss));
      const minute = (from: number, to: number): Sample[] =>
        samples.filter((s) => s.at >= from && s.at < to);
      const second = minute(60_000, 120_000);
      const last = minute(churnMs - 60_000, churnMs);
      const perMinute = Array.from(
        { length: Math.max(1, Math.floor(churnMs / 60_000)) },
        (_, m) => {
          const slice = minute(m * 60_000, (m + 1) * 60_000);
          return `${mib(median(slice.map((s) => s.rss)))}/${median(slice.map((s) => s.fds))}`;
        },
      );
      console.log(
        `long run seed ${SEED}: ${steps} changes in ${Math.round(churnMs / 1000)} s ${JSON.stringify(churn.counts)}; ` +
          `${want.size} files at the end; the bucket caught up ${Math.round(settleMs)} ms after the last change; ` +
          `baseline RSS ${mib(baseRss)} MiB, ${baseFds} fds; during changes RSS ${mib(Math.min(...samples.map((s) => s.rss)))}-${mib(Math.max(...samples.map((s) => s.rss)))} MiB, ` +
          `fds ${Math.min(...samples.map((s) => s.fds))}-${Math.max(...samples.map((s) => s.fds))}; ` +
          `per minute (median RSS MiB/fds) ${perMinute.join(' ')}; settled RSS ${mib(settledRss)} MiB, ${settledFds} fds (back ${Math.round(fdsBackMs)} ms after the bucket caught up); ` +
          `descriptors at the baseline ${JSON.stringify(baseKinds)}, settled ${JSON.stringify(settledKinds)}`,
      );

      expect(code, `exit after SIGINT${output()}`).toBe(0);
      expect(settledFds, 'descriptors after settling').toBeLessThanOrEqual(baseFds + FDS_SETTLED);
      if (LONG) {
        const secondRss = median(second.map((s) => s.rss));
        const lastRss = median(last.map((s) => s.rss));
        expect(
          lastRss,
          `RSS last minute vs second: ${mib(lastRss)} / ${mib(secondRss)} MiB`,
        ).toBeLessThanOrEqual(secondRss * RSS_FLAT);
        expect(median(last.map((s) => s.fds))).toBeLessThanOrEqual(
          median(second.map((s) => s.fds)) + FDS_FLAT,
        );
      } else {
        expect(settledRss, 'RSS after settling').toBeLessThanOrEqual(baseRss * RSS_SHORT_MAX);
      }
    },
    LONG ? 20 * 60_000 : 60_000,
  );
});
