/**
 * Offline and back: the local OSS server (a child process) is stopped in the middle of a run
 * and started again on the same root and port about 3 s later. The engine goes offline by
 * itself (connectivity: offline), starts nothing and burns no job's attempts while offline,
 * finds the endpoint again with its probes (connectivity: online) and finishes every file
 * correctly. Stopping the engine while offline ends cleanly.
 *
 * Reproduce a failure with ENGINE_OFFLINE_SEED=<seed in the test name>.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/core/db/database.js';
import { JobStore } from '../../../main/core/db/job-store.js';
import type { Job, NewJob } from '../../../main/core/db/job-types.js';
import type { RemoteAccount } from '../../../main/core/remote/remote-store.js';
import { createTransferRuntime, type TransferRuntime } from '../../../main/core/runtime.js';
import type { Connectivity } from '../../../main/core/transfer/offline-monitor.js';
import type { EngineOptions } from '../../../main/core/transfer/engine.js';
import { RetryPolicy } from '../../../main/core/transfer/retry-policy.js';
import {
  KiB,
  MiB,
  expectObjectMatches,
  oracleCrc64,
  oracleCrc64OfFile,
  randomBytesFor,
  waitUntil,
  writeRandomFile,
} from '../../helpers/engine.js';
import { startLocalOssProcess, type LocalOssProcess } from '../../helpers/local-oss-process.js';
import {
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  TEST_REGION,
  createClient,
} from '../../helpers/osslocal.js';
import { mulberry32 } from '../../helpers/random.js';

const SEED = Number(process.env['ENGINE_OFFLINE_SEED'] ?? 0x0ff11e);
const BUCKET = 'engine-offline';
const PART = 256 * KiB;
/** When the replacement server is started, after the stop. */
const RESTART_AFTER_MS = 1000;
const LIMITS = { maxFiles: 4, maxPartsPerFile: 4, maxParts: 8 };
const THRESHOLD = 2;

let work: string;
let server: LocalOssProcess | undefined;
const runtimes: TransferRuntime[] = [];

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'engine-offline-'));
});

afterAll(async () => {
  for (const runtime of runtimes) await runtime.close();
  await server?.kill('SIGTERM');
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

function serverArgs(root: string, port: number): string[] {
  return [
    '--root',
    root,
    '--port',
    String(port),
    '--access-key-id',
    TEST_ACCESS_KEY_ID,
    '--access-key-secret',
    TEST_ACCESS_KEY_SECRET,
    '--bucket',
    BUCKET,
  ];
}

function accountFor(port: number): RemoteAccount {
  return {
    endpoint: `http://localhost:${port}`,
    region: TEST_REGION,
    accessKeyId: TEST_ACCESS_KEY_ID,
    accessKeySecret: TEST_ACCESS_KEY_SECRET,
    pathStyle: true,
    authorizationV4: true,
  };
}

function engineOptions(seed: number, extra: EngineOptions = {}): EngineOptions {
  return {
    ...LIMITS,
    partSize: PART,
    multipartThreshold: 2 * PART,
    retry: new RetryPolicy({ initialDelayMs: 10, maxDelayMs: 200, random: mulberry32(seed) }),
    offlineThreshold: THRESHOLD,
    offlineProbe: { probeInitialMs: 200, probeMaxMs: 400, random: mulberry32(seed + 1) },
    ...extra,
  };
}

/** A port nothing listens on (taken from the OS, then released). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function allJobs(runtime: TransferRuntime, batch: string): Job[] {
  const all: Job[] = [];
  for (let page = runtime.store.list({ batch }); page.length > 0;) {
    all.push(...page);
    page = runtime.store.list({ batch }, page.at(-1)?.id);
  }
  return all;
}

describe(`transfer engine offline and back (seed ${SEED})`, () => {
  it('goes offline when the server stops, burns no attempts, and finishes after it returns', async () => {
    const random = mulberry32(SEED);
    const root = path.join(work, 'server');
    server = await startLocalOssProcess(serverArgs(root, 0));
    const port = server.port;
    const srcDir = path.join(work, 'src');
    const downDir = path.join(work, 'down');

    // Objects to download, put there beforehand by an independent client.
    const seeded = createClient(port, { bucket: BUCKET });
    const downloads: { key: string; data: Buffer }[] = [];
    for (let i = 0; i < 8; i++) {
      const data = randomBytesFor(
        `${SEED}-down-${i}`,
        150 * KiB + Math.floor(random() * 150 * KiB),
      );
      downloads.push({ key: `down/d${i}.bin`, data });
      await seeded.put(`down/d${i}.bin`, data);
    }
    const uploads: { key: string; size: number }[] = [];
    for (let i = 0; i < 24; i++)
      uploads.push({
        key: `up/u${String(i).padStart(2, '0')}.bin`,
        size: 32 * KiB + Math.floor(random() * 160 * KiB),
      });
    uploads.push(
      { key: 'up/big0.bin', size: 2 * MiB + 17 },
      { key: 'up/big1.bin', size: 3 * MiB - 3 },
    );
    for (const [i, file] of uploads.entries())
      await writeRandomFile(path.join(srcDir, file.key), file.size, `${SEED}-up-${i}`);
    const totalBytes =
      uploads.reduce((n, f) => n + f.size, 0) + downloads.reduce((n, d) => n + d.data.length, 0);

    // About 3 MiB/s each way: the run would take a few seconds without the outage.
    const runtime = createTransferRuntime({
      dataDir: path.join(work, 'data'),
      account: accountFor(port),
      engine: engineOptions(SEED, {
        uploadBytesPerSecond: 3 * MiB,
        downloadBytesPerSecond: 3 * MiB,
        progressIntervalMs: 50,
      }),
    });
    runtimes.push(runtime);
    const { engine } = runtime;
    const events: { state: Connectivity; at: number }[] = [];
    const launchedOffline: string[] = [];
    let bytesDone = 0;
    engine.on('connectivity', (state) => events.push({ state, at: performance.now() }));
    const retried: string[] = [];
    engine.on('job', (job) => {
      if (job.state === 'running' && engine.connectivity === 'offline')
        launchedOffline.push(job.key);
      if (job.state === 'waiting-retry') retried.push(`${job.key} ${job.error?.code}`);
    });
    engine.on('progress', (snapshot) => (bytesDone = snapshot.totalBytesDone));
    engine.start();
    const jobs: NewJob[] = [
      ...uploads.map((f): NewJob => ({
        kind: 'upload',
        bucket: BUCKET,
        key: f.key,
        localPath: path.join(srcDir, f.key),
        batch: 'run',
      })),
      ...downloads.map((d): NewJob => ({
        kind: 'download',
        bucket: BUCKET,
        key: d.key,
        localPath: path.join(downDir, d.key),
        batch: 'run',
      })),
    ];
    engine.add(jobs);
    const finished = engine.waitForBatch('run');

    // Stop the server once a third of the bytes moved: transfers are in flight.
    await waitUntil(() => bytesDone >= totalBytes / 3, 'a third of the bytes');
    const stoppedAt = performance.now();
    await server.kill('SIGTERM');
    await waitUntil(() => engine.connectivity === 'offline', 'connectivity: offline', 10_000);
    const offlineAfterMs = performance.now() - stoppedAt;
    // The replacement starts after RESTART_AFTER_MS; it listens about 2 s later (tsx).
    await new Promise((resolve) =>
      setTimeout(resolve, RESTART_AFTER_MS - (performance.now() - stoppedAt)),
    );
    // While offline nothing failed, and a job that failed while offline was queued again
    // with its attempt given back.
    const whileOffline = allJobs(runtime, 'run');
    expect(whileOffline.filter((job) => job.state === 'failed')).toEqual([]);
    expect(Math.max(...whileOffline.map((job) => job.attempts))).toBeLessThanOrEqual(2);

    server = await startLocalOssProcess(serverArgs(root, port));
    const restartedAt = performance.now();
    const outageMs = restartedAt - stoppedAt;
    await waitUntil(() => engine.connectivity === 'online', 'connectivity: online', 10_000);
    const onlineAfterMs = performance.now() - restartedAt;
    const counts = await finished;
    console.log(
      `seed ${SEED}: server down ${Math.round(outageMs)} ms; ` +
        `offline ${Math.round(offlineAfterMs)} ms after the stop, online ` +
        `${Math.round(onlineAfterMs)} ms after the restart; events ${events.map((e) => e.state).join(', ')}; ` +
        `counts ${JSON.stringify(counts)}`,
    );

    const done = allJobs(runtime, 'run');
    expect(
      done
        .filter((job) => job.state !== 'done')
        .map((job) => `${job.key} ${job.state} ${JSON.stringify(job.error)}`),
    ).toEqual([]);
    // No attempt is spent while offline: attempts are counted when a job starts, and none
    // started while offline.
    expect(launchedOffline).toEqual([]);
    // Spent: the failures before the monitor saw THRESHOLD in a row (per offline spell),
    // and downloads cut mid-body by the stop (incomplete-body says nothing about the link).
    const offlineSpells = events.filter((e) => e.state === 'offline').length;
    expect(retried.length, retried.join(', ')).toBeLessThanOrEqual(
      (THRESHOLD - 1) * offlineSpells + LIMITS.maxFiles,
    );
    expect(Math.max(...done.map((job) => job.attempts))).toBeLessThanOrEqual(3);
    // Offline, then online; a transfer that completes around the stop proves the endpoint
    // answered and may bring it online for a moment (then it goes offline again).
    expect(offlineSpells).toBeGreaterThanOrEqual(1);
    expect(events.map((e) => e.state)).toEqual(
      Array.from({ length: offlineSpells * 2 }, (_, i) => (i % 2 === 0 ? 'offline' : 'online')),
    );
    // Back within a few probe intervals of the restart.
    expect(onlineAfterMs).toBeLessThan(2000);

    // Every file correct.
    const client = createClient(port, { bucket: BUCKET });
    for (const file of uploads)
      await expectObjectMatches(client, BUCKET, file.key, path.join(srcDir, file.key));
    for (const d of downloads) {
      const local = await readFile(path.join(downDir, d.key));
      expect(local.length, d.key).toBe(d.data.length);
      expect(oracleCrc64(local), d.key).toBe(oracleCrc64(d.data));
    }
    expect(oracleCrc64OfFile(path.join(downDir, downloads[0]!.key))).toBe(
      oracleCrc64(downloads[0]!.data),
    );
    const listed = await client.listUploads({ 'max-uploads': 1000 });
    expect(listed.uploads).toEqual([]);
  });

  it('stops cleanly while offline: jobs stay queued with their attempts', async () => {
    const port = await freePort();
    const srcDir = path.join(work, 'src-stop');
    for (let i = 0; i < 6; i++)
      await writeRandomFile(path.join(srcDir, `f${i}.bin`), 10 * KiB, `${SEED}-stop-${i}`);
    const runtime = createTransferRuntime({
      dataDir: path.join(work, 'data-stop'),
      account: accountFor(port),
      engine: engineOptions(SEED + 2),
    });
    const { engine } = runtime;
    engine.start();
    engine.add(
      Array.from({ length: 6 }, (_, i): NewJob => ({
        kind: 'upload',
        bucket: BUCKET,
        key: `stop/f${i}.bin`,
        localPath: path.join(srcDir, `f${i}.bin`),
        batch: 'stop',
      })),
    );
    await waitUntil(() => engine.connectivity === 'offline', 'connectivity: offline', 10_000);
    // Let a few probes fail, then stop while still offline.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const started = performance.now();
    await runtime.close();
    expect(performance.now() - started).toBeLessThan(2000);
    const db = openDatabase(path.join(work, 'data-stop', 'state.db'));
    const jobs = new JobStore(db).list({ batch: 'stop' });
    db.close();
    expect(jobs).toHaveLength(6);
    expect(jobs.filter((job) => job.state === 'failed' || job.state === 'running')).toEqual([]);
    expect(Math.max(...jobs.map((job) => job.attempts))).toBeLessThanOrEqual(1);
    // Give an unhandled rejection from the stop a chance to surface in this test.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
});
