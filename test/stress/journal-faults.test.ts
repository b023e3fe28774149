/**
 * Journal fault sweep (Nextcloud's method): over a sync of a small tree in mirror mode (first
 * sync; then an edit, a rename, a delete, an object changed remotely by someone else, and a
 * download on the same engine; synced again: see helpers/journal-faults-world.ts), the N-th
 * write to the state database fails,
 * for every N from 1 to the number of writes the fault-free run makes. A write is a prepared
 * INSERT/UPDATE/DELETE/REPLACE run, an exec of writing SQL, a pragma that changes the file, or
 * the commit of a transaction that wrote, made by openDatabase (pragmas, migrations),
 * SyncStore or JobStore. The write fails with SqliteError SQLITE_IOERR or SQLITE_FULL
 * (alternately), in two modes:
 *   once: the write fails and the app carries on (a failed start is started again);
 *   die:  the app "dies" at the write: from it on nothing is written, everything is stopped,
 *         and the app starts again on the same data folder without faults.
 * The script's syncs run a failed pass again at once (the runner does so by itself a few
 * seconds later) and a user's command that failed with an error is given again; nothing
 * more. When the script ends, the run must have converged to the fault-free run's state: the same
 * bucket (keys, sizes, CRC64; trash and conflict copies by path under their time folder),
 * the same local files byte for byte (CRC64), the same journal, agreeing with both sides;
 * integrity_check ok; every job done; no pending deletion, multipart upload or temp file.
 *
 * Short variant (npm test): every N over the small tree (3 files in 2 folders and the
 * download), mode once. Long variant (OSSYNC_STRESS_LONG=1): also mode die, and both modes
 * over the full tree (a 3-part multipart file, a remote change to an unchanged file, a deeper
 * folder). JOURNAL_FAULTS_ONLY=N or =A-B replays part of a sweep.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalOss, type LocalOss } from '../helpers/osslocal.js';
import { WriteFaults, type FaultMode } from './helpers/journal-faults-db.js';
import { readFinalState, type FinalState } from './helpers/journal-faults-state.js';
import {
  SCRATCH,
  AppHandle,
  createScriptWorld,
  removeWorld,
  runScript,
  type TreeSize,
} from './helpers/journal-faults-world.js';

const LONG = process.env['OSSYNC_STRESS_LONG'] === '1';
/** Runs at once. */
const CONCURRENT_RUNS = 4;
/** Replays part of a sweep: JOURNAL_FAULTS_ONLY=37 or =30-40 (the coverage check is skipped). */
const ONLY = /^(\d+)(?:-(\d+))?$/.exec(process.env['JOURNAL_FAULTS_ONLY'] ?? '');

let oss: LocalOss;
let ossRoot: string;
let bucketSeq = 0;

beforeAll(async () => {
  ossRoot = mkdtempSync(path.join(SCRATCH, 'ossync-jfaults-oss-'));
  oss = await startLocalOss({ root: ossRoot });
});

afterAll(async () => {
  await oss?.close();
  if (ossRoot !== undefined) rmSync(ossRoot, { recursive: true, force: true });
});

interface RunResult {
  /** Writes the script made (all of them in a fault-free run). */
  writes: number;
  labels: string[];
  fired: { n: number; label: string } | undefined;
  starts: number;
  state: FinalState;
  problems: string[];
}

function converged(state: FinalState, problems: string[], reference: FinalState): boolean {
  return problems.length === 0 && JSON.stringify(state) === JSON.stringify(reference);
}

async function runOnce(
  size: TreeSize,
  failAt: number | undefined,
  mode: FaultMode,
): Promise<RunResult> {
  const bucket = `jf-${process.pid}-${++bucketSeq}`;
  // A client of its own: runs go on at the same time, each in its bucket.
  const client = oss.client({ bucket });
  const world = await createScriptWorld(oss, client, bucket, size);
  const faults = new WriteFaults(
    failAt,
    mode,
    failAt !== undefined && failAt % 2 === 0 ? 'SQLITE_FULL' : 'SQLITE_IOERR',
  );
  const app = new AppHandle(oss, world, faults);
  let writes = 0;
  const errors: string[] = [];
  try {
    try {
      await runScript(app, client, world);
      writes = faults.count;
    } catch (error) {
      errors.push(`the run failed: ${(error as Error).stack ?? String(error)}`);
    }
    try {
      await app.stop();
    } catch (error) {
      errors.push(`stopping the app failed: ${(error as Error).stack ?? String(error)}`);
    }
    const read = await readFinalState(world, client);
    return {
      writes,
      labels: faults.labels.slice(0, writes),
      fired: faults.fired,
      starts: app.run.starts,
      state: read.state,
      problems: [...errors, ...read.problems],
    };
  } finally {
    // The bucket stays (a few KiB; the server's folder goes at the end): removing it cost a
    // tenth of a run.
    removeWorld(world);
  }
}

function describeFailure(n: number, result: RunResult, reference: RunResult): string {
  const diff: string[] = [];
  for (const part of ['bucket', 'local', 'journal', 'conflicts'] as const) {
    const want = [...reference.state[part]];
    const got = [...result.state[part]];
    // As multisets: a second conflict copy of the same version is a difference too.
    for (const line of want) {
      const i = got.indexOf(line);
      if (i >= 0) got.splice(i, 1);
      else diff.push(`${part} lacks ${line}`);
    }
    for (const line of got) diff.push(`${part} has extra ${line}`);
  }
  const label = result.fired?.label ?? `never reached; reference: ${reference.labels[n - 1]}`;
  return `write ${n} (${label}): ${[...result.problems, ...diff].join('; ')}`;
}

async function sweep(size: TreeSize, mode: FaultMode): Promise<void> {
  const started = Date.now();
  const reference = await runOnce(size, undefined, mode);
  expect(reference.problems).toEqual([]);
  // The fault-free run did the whole script: every file, the rename, the delete, the conflict
  // copy and the download are in its final state.
  expect(reference.state.local).toHaveLength(size === 'full' ? 6 : 3);
  expect(reference.state.bucket.some((l) => l.startsWith('pair/.ossync-trash/*/docs/c.txt'))).toBe(
    true,
  );
  expect(reference.state.conflicts).toEqual(
    size === 'full'
      ? [
          'a.txt local-won pair/.ossync-conflicts/*/a.txt',
          'e.txt local-won pair/.ossync-conflicts/*/e.txt',
        ]
      : ['a.txt local-won pair/.ossync-conflicts/*/a.txt'],
  );
  expect(reference.state.bucket.some((l) => l.startsWith('pair/.ossync-conflicts/*/a.txt'))).toBe(
    true,
  );
  const total = reference.writes;
  expect(total).toBeGreaterThan(20);

  const failures: string[] = [];
  const reached = new Set<number>();
  let restarts = 0;
  const first = ONLY ? Number(ONLY[1]) : 1;
  const last = ONLY ? Math.min(total, Number(ONLY[2] ?? ONLY[1])) : total;
  const slowest: { n: number; ms: number }[] = [];
  let next = first;
  // Runs are independent (a bucket, folders and a database each), and most of a run is
  // waiting on I/O: a few at once.
  const worker = async (): Promise<void> => {
    for (let n = next++; n <= last; n = next++) {
      const t0 = performance.now();
      let result = await runOnce(size, n, mode);
      // The last few writes can come in a slightly different number (a pass that a job's end
      // asks for comes before or after another): a run that ended before its write N is run
      // again, so every N is failed once.
      for (let again = 0; again < 3 && result.fired === undefined; again++)
        result = await runOnce(size, n, mode);
      slowest.push({ n, ms: Math.round(performance.now() - t0) });
      if (result.fired?.n === n) reached.add(n);
      restarts += result.starts - 1;
      if (!converged(result.state, result.problems, reference.state))
        failures.push(describeFailure(n, result, reference));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_RUNS }, worker));
  slowest.sort((a, b) => b.ms - a.ms);
  console.info(
    `journal fault sweep (${size} tree, mode ${mode}): writes ${first}-${last} of ${total} swept, ${last - first + 2} runs, ` +
      `${restarts} restarts, ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      `(slowest runs: ${slowest
        .slice(0, 5)
        .map((s) => `write ${s.n} ${s.ms} ms`)
        .join(', ')})`,
  );
  failures.sort((a, b) => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]));
  expect(failures).toEqual([]);
  if (ONLY) return;
  // Every write of the fault-free run was failed once: the sweep covered all of them.
  expect([...Array(total).keys()].filter((i) => !reached.has(i + 1)).map((i) => i + 1)).toEqual([]);
}

describe('journal fault sweep: the N-th database write fails, for every N', () => {
  it('small tree, each write fails once and the app carries on', { timeout: 300_000 }, () =>
    sweep('small', 'once'),
  );

  // The die mode's sharpest case, in the short variant too: a process killed between creating
  // a download's temp file and recording it left the file behind for good.
  it('the app dies when it records a download temp file: the restart removes the file', async () => {
    const reference = await runOnce('small', undefined, 'die');
    const n = reference.labels.findIndex((l) => l.startsWith('UPDATE jobs SET temp_path')) + 1;
    expect(n).toBeGreaterThan(0);
    const result = await runOnce('small', n, 'die');
    expect(result.fired?.n).toBe(n);
    expect(result.problems).toEqual([]);
    expect(result.state).toEqual(reference.state);
  });

  it.runIf(LONG)(
    'small tree, the app dies at each write and starts again',
    { timeout: 600_000 },
    () => sweep('small', 'die'),
  );

  it.runIf(LONG)(
    'full tree (multipart, deeper folders), each write fails once',
    { timeout: 1_200_000 },
    () => sweep('full', 'once'),
  );

  it.runIf(LONG)(
    'full tree, the app dies at each write and starts again',
    { timeout: 1_200_000 },
    () => sweep('full', 'die'),
  );
});
