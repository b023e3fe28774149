/**
 * The transfer engine end to end: a real runtime (SQLite state, ali-oss adapter, CRC64 pool,
 * real files) against the local OSS server. Every object is checked with an independent
 * ali-oss client and the crc64-ecma182.js oracle; every download is compared byte for byte.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type OSS from 'ali-oss';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job, NewJob } from '../../../main/core/db/job-types.js';
import { CoreError } from '../../../main/core/errors.js';
import { localPathForKey } from '../../../main/core/fs/local-paths.js';
import type { TransferRuntime } from '../../../main/core/runtime.js';
import type { EngineOptions } from '../../../main/core/transfer/engine.js';
import type { ProgressSnapshot } from '../../../main/core/transfer/progress.js';
import { RetryPolicy } from '../../../main/core/transfer/retry-policy.js';
import {
  KiB,
  MiB,
  expectObjectMatches,
  maxOverlap,
  randomBytesFor,
  recordRequests,
  sameBytes,
  snapshotTree,
  startEngine,
  tempFilesUnder,
  waitForJobState,
  waitUntil,
  writeRandomFile,
  oracleCrc64,
} from '../../helpers/engine.js';
import { startLocalOss, type LocalOss } from '../../helpers/osslocal.js';

const BUCKET = 'eng-bkt';
/** Small thresholds keep most cases fast: 1 MiB files go multipart in 256 KiB parts. */
const SMALL: EngineOptions = { multipartThreshold: MiB, partSize: 256 * KiB };
/** Retries come fast, so a retried job does not hold the test up. */
const fastRetry = (): RetryPolicy => new RetryPolicy({ initialDelayMs: 20, maxDelayMs: 100 });

let oss: LocalOss;
let client: OSS;
let sandbox: string;
let runtimes: TransferRuntime[] = [];
let dirs = 0;

beforeAll(async () => {
  sandbox = mkdtempSync(path.join(tmpdir(), 'engine-transfers-'));
  oss = await startLocalOss({ buckets: [BUCKET] });
  client = oss.client({ bucket: BUCKET });
});

afterEach(async () => {
  oss.server.faults.setRules([]);
  for (const runtime of runtimes) await runtime.close();
  runtimes = [];
});

afterAll(async () => {
  await oss?.close();
  if (sandbox) rmSync(sandbox, { recursive: true, force: true });
});

/** A fresh folder in the sandbox. */
function freshDir(name: string): string {
  const dir = path.join(sandbox, `${name}-${++dirs}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A started runtime on `dataDir` (a fresh one unless given), closed after the test. */
function open(engineOptions: EngineOptions = {}, dataDir = freshDir('data')): TransferRuntime {
  const runtime = startEngine({ oss, dataDir, engineOptions });
  runtimes.push(runtime);
  return runtime;
}

async function close(runtime: TransferRuntime): Promise<void> {
  runtimes = runtimes.filter((r) => r !== runtime);
  await runtime.close();
}

async function runBatch(runtime: TransferRuntime, jobs: NewJob[], batch: string): Promise<Job[]> {
  runtime.engine.add(jobs.map((job) => ({ ...job, batch })));
  const counts = await runtime.engine.waitForBatch(batch);
  const all = runtime.store.list({ batch }, 0, 100_000);
  const notDone = all.filter((job) => job.state !== 'done');
  expect(notDone.map((job) => [job.key, job.state, job.error])).toEqual([]);
  expect(counts.done).toBe(jobs.length);
  return all;
}

async function uploadsUnder(prefix: string): Promise<{ name: string; uploadId: string }[]> {
  const result = await client.listUploads({ prefix, 'max-uploads': 1000 });
  return (result.uploads ?? []).map((upload) => ({
    name: upload.name,
    uploadId: upload.uploadId,
  }));
}

async function objectBytes(key: string): Promise<Buffer> {
  return (await client.get(key)).content as Buffer;
}

/** Uploads `files` (key -> local path), checks each object, downloads them all back and compares. */
async function roundTrip(
  runtime: TransferRuntime,
  prefix: string,
  files: Map<string, string>,
  name: string,
  download = true,
): Promise<Map<string, number | undefined>> {
  await runBatch(
    runtime,
    [...files].map(([key, localPath]) => ({ kind: 'upload', bucket: BUCKET, key, localPath })),
    `${name}-up`,
  );
  const parts = new Map<string, number | undefined>();
  for (const [key, localPath] of files) {
    const head = await expectObjectMatches(client, BUCKET, key, localPath);
    // Metadata: nothing the engine was not asked to set.
    expect(Object.keys(head.headers).filter((h) => h.startsWith('x-oss-meta-'))).toEqual([]);
    expect(head.headers['last-modified']).toBeTruthy();
    parts.set(key, head.partCount);
  }
  if (!download) return parts;
  const dest = freshDir(`${name}-down`);
  await runBatch(
    runtime,
    [...files.keys()].map((key) => ({
      kind: 'download',
      bucket: BUCKET,
      key,
      localPath: localPathForKey(dest, key, { stripPrefix: prefix }),
    })),
    `${name}-down`,
  );
  for (const [key, localPath] of files) {
    const downloaded = localPathForKey(dest, key, { stripPrefix: prefix });
    expect(sameBytes(downloaded, localPath), `download of ${key}`).toBe(true);
  }
  expect(tempFilesUnder(dest)).toEqual([]);
  expect(snapshotTree(dest).filter((entry) => !entry.endsWith('/')).length).toBe(files.size);
  return parts;
}

/** A tiny seeded PRNG (mulberry32) for sizes and names. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------

describe('uploads and downloads', () => {
  it('round-trips 0 B, 1 B, the threshold, threshold + 1 and 300 mixed files', async () => {
    const src = freshDir('sizes-src');
    const files = new Map<string, string>();
    const add = async (rel: string, size: number, seed: number | string): Promise<void> => {
      const localPath = path.join(src, rel);
      await writeRandomFile(localPath, size, seed);
      files.set(`sizes/${rel}`, localPath);
    };
    await add('zero.bin', 0, 'zero');
    await add('one.bin', 1, 'one');
    await add('threshold.bin', MiB, 'threshold');
    await add('threshold-plus-one.bin', MiB + 1, 'threshold+1');
    const random = prng(7);
    for (let i = 0; i < 300; i++) {
      const roll = random();
      const size =
        roll < 0.05
          ? MiB + Math.floor(random() * 600 * KiB) // multipart
          : roll < 0.1
            ? Math.floor(random() * 2) // 0 or 1 byte
            : Math.floor(random() * 48 * KiB);
      const rel = i % 10 === 0 ? `mixed/深/ünï ${i}.txt` : `mixed/d${i % 7}/f-${i}.bin`;
      await add(rel, size, `mixed-${i}`);
    }
    const runtime = open({ ...SMALL, maxFiles: 8, maxParts: 8 });
    const parts = await roundTrip(runtime, 'sizes/', files, 'sizes');
    expect(parts.get('sizes/zero.bin')).toBeUndefined();
    expect(parts.get('sizes/one.bin')).toBeUndefined();
    expect(parts.get('sizes/threshold.bin')).toBe(4); // at the threshold: multipart
    expect(parts.get('sizes/threshold-plus-one.bin')).toBe(5);
  });

  it('round-trips around the default threshold and part size (8 MiB)', async () => {
    const src = freshDir('defaults-src');
    const files = new Map<string, string>();
    for (const [name, size] of [
      ['below.bin', 8 * MiB - 1],
      ['at.bin', 8 * MiB],
      ['above.bin', 8 * MiB + 1],
    ] as const) {
      const localPath = path.join(src, name);
      await writeRandomFile(localPath, size, name);
      files.set(`defaults/${name}`, localPath);
    }
    const runtime = open();
    expect(runtime.engine.getLimits()).toMatchObject({ maxFiles: 4, maxParts: 8 });
    const parts = await roundTrip(runtime, 'defaults/', files, 'defaults');
    expect(parts.get('defaults/below.bin')).toBeUndefined();
    expect(parts.get('defaults/at.bin')).toBe(1);
    expect(parts.get('defaults/above.bin')).toBe(2);
  });

  // About 1 GB through the server, CPU-bound on a 2-core machine (the server's MD5 and CRC64,
  // the engine's CRC64, the oracle's): 15-25 s alone. The download side is left out here:
  // it does not depend on the part size, the other cases cover it, and it would add ~10 s.
  it('raises the part size of a file that would need more than 10,000 parts', async () => {
    const src = freshDir('huge-src');
    const localPath = path.join(src, 'huge.bin');
    // Just over 10,000 x 100 KiB: the smallest file for which the preferred size is too small.
    const size = 10_000 * 100 * KiB + 1;
    writeFileSync(localPath, '');
    truncateSync(localPath, size); // sparse
    const fd = openSync(localPath, 'r+');
    for (const offset of [0, 100 * KiB - 3, MiB - 5, 512 * MiB + 12_345, size - 4096]) {
      const bytes = randomBytesFor(`huge-${offset}`, 4096);
      writeSync(fd, bytes, 0, Math.min(bytes.length, size - offset), offset);
    }
    closeSync(fd);
    const key = 'huge/huge.bin';
    const runtime = open({ multipartThreshold: MiB, partSize: 100 * KiB });
    const parts = await roundTrip(runtime, 'huge/', new Map([[key, localPath]]), 'huge', false);
    const count = parts.get(key) as number;
    expect(count).toBeLessThanOrEqual(10_000);
    // Raised to a whole MiB: ceil(size / 1 MiB) parts.
    expect(count).toBe(Math.ceil(size / MiB));
    const [job] = runtime.store.list({ batch: 'huge-up' });
    expect(job?.partSize).toBe(MiB);
    await client.delete(key);
    rmSync(localPath);
  }, 180_000);
});

// ---------------------------------------------------------------------------------------

/** Upload jobs for `count` files of `size` bytes under `prefix`. */
async function makeFiles(prefix: string, count: number, size: number): Promise<NewJob[]> {
  const src = freshDir(prefix.replace(/\W/g, ''));
  const jobs: NewJob[] = [];
  for (let i = 0; i < count; i++) {
    const localPath = path.join(src, `f${i}.bin`);
    await writeRandomFile(localPath, size, `${prefix}${i}`);
    jobs.push({ kind: 'upload', bucket: BUCKET, key: `${prefix}f${i}.bin`, localPath });
  }
  return jobs;
}

/** The most parts of one file in flight at once. */
function maxPerKey(spans: ReturnType<typeof recordRequests>['requests']): number {
  const byKey = new Map<string, typeof spans>();
  for (const span of spans) byKey.set(span.key ?? '', [...(byKey.get(span.key ?? '') ?? []), span]);
  return Math.max(0, ...[...byKey.values()].map((list) => maxOverlap(list).requests));
}

describe('concurrency limits', () => {
  it('never has more than maxParts parts nor maxFiles files in flight', async () => {
    oss.server.faults.setRules([{ op: 'UploadPart', fault: { kind: 'latency', ms: 60 } }]);
    const runtime = open({ ...SMALL, maxFiles: 2, maxPartsPerFile: 2, maxParts: 3 });
    let running = 0;
    runtime.engine.on('job', () => {
      running = Math.max(running, runtime.store.counts().running);
    });
    const recorder = recordRequests(oss);
    await runBatch(runtime, await makeFiles('conc/', 5, MiB + 256 * KiB), 'conc');
    recorder.stop();
    const parts = recorder.requests.filter((r) => r.op === 'UploadPart');
    expect(parts.length).toBe(25);
    const overlap = maxOverlap(parts);
    expect(overlap.requests).toBeLessThanOrEqual(3);
    expect(overlap.requests).toBeGreaterThanOrEqual(2); // the limit was actually reached for
    expect(overlap.keys).toBeLessThanOrEqual(2);
    expect(maxPerKey(parts)).toBeLessThanOrEqual(2);
    expect(running).toBeLessThanOrEqual(2);
  });

  it('follows setLimits while transfers run', async () => {
    oss.server.faults.setRules([{ op: 'UploadPart', fault: { kind: 'latency', ms: 50 } }]);
    const runtime = open({ ...SMALL, maxFiles: 1, maxPartsPerFile: 4, maxParts: 1 });
    const recorder = recordRequests(oss);
    const parts = (): typeof recorder.requests =>
      recorder.requests.filter((r) => r.op === 'UploadPart');
    runtime.engine.add(
      (await makeFiles('limits/', 3, 4 * MiB)).map((job) => ({ ...job, batch: 'limits' })),
    );
    // Phase 1: one part at a time.
    await waitUntil(() => parts().length >= 3, 'three parts');
    const raisedAt = performance.now();
    runtime.engine.setLimits({ maxParts: 3, maxFiles: 2 });
    expect(runtime.engine.getLimits()).toMatchObject({ maxParts: 3, maxFiles: 2 });
    // Phase 2: up to three parts of up to two files.
    await waitUntil(() => parts().length >= 10, 'ten parts');
    const loweredAt = performance.now();
    // Phase 3: one part per file, also for the files under way; maxParts no longer the bound.
    runtime.engine.setLimits({ maxParts: 8, maxPartsPerFile: 1 });
    const counts = await runtime.engine.waitForBatch('limits');
    recorder.stop();
    expect(counts.done).toBe(3);
    const all = parts();
    expect(all.length).toBe(48);

    expect(maxOverlap(all.filter((r) => r.endMs <= raisedAt)).requests).toBe(1);
    const phase2 = all.filter((r) => r.endMs <= loweredAt);
    expect(maxOverlap(phase2).requests).toBeLessThanOrEqual(3);
    expect(maxOverlap(phase2).keys).toBeLessThanOrEqual(2);
    const raised = phase2.filter((r) => r.startMs > raisedAt);
    expect(maxOverlap(raised).requests).toBeGreaterThanOrEqual(2);

    // Up to 4 parts of a file (the old per-file limit) were launched before the change and
    // may reach the server after it, overlapping; the engine starts the next part of that
    // file only once they all ended, so they come first. Every later part runs alone.
    const later: typeof all = [];
    for (const key of new Set(all.map((r) => r.key))) {
      const ofKey = all.filter((r) => r.key === key);
      const after = ofKey
        .filter((r) => r.startMs > loweredAt)
        .sort((a, b) => a.startMs - b.startMs);
      for (const span of after.slice(4)) {
        const overlapping = ofKey.filter(
          (other) => other !== span && other.startMs < span.endMs && span.startMs < other.endMs,
        );
        expect(overlapping, `part of ${key} at ${span.startMs}`).toEqual([]);
        later.push(span);
      }
    }
    expect(later.length).toBeGreaterThanOrEqual(8);
    expect(maxOverlap(later).requests).toBeLessThanOrEqual(2);
  });
});

describe('bandwidth limit', () => {
  it('holds an upload to the limit', async () => {
    const [job] = await makeFiles('bw/slow-', 1, 2 * MiB);
    const runtime = open({ uploadBytesPerSecond: MiB });
    const started = performance.now();
    await runBatch(runtime, [job!], 'bw-slow');
    const elapsed = performance.now() - started;
    // 2 s at 1 MiB/s, less the 100 ms burst an idle limiter lets through.
    expect(elapsed).toBeGreaterThanOrEqual(1600);
    expect(elapsed).toBeLessThan(10_000);
    await expectObjectMatches(client, BUCKET, job!.key, job!.localPath!);
  });

  it('speeds up when the limit is lifted mid-transfer', async () => {
    const [job] = await makeFiles('bw/lifted-', 1, 4 * MiB);
    const runtime = open({ uploadBytesPerSecond: 256 * KiB });
    const started = performance.now();
    runtime.engine.add([{ ...job!, batch: 'bw-lifted' }]);
    await new Promise((resolve) => setTimeout(resolve, 700));
    // About 0.2 MiB in 0.7 s: throttled.
    expect(runtime.engine.progress().totalBytesDone).toBeLessThan(MiB);
    runtime.engine.setLimits({ uploadBytesPerSecond: undefined });
    expect((await runtime.engine.waitForBatch('bw-lifted')).done).toBe(1);
    // 16 s at the old rate; well under a second at full speed (more on a loaded machine).
    expect(performance.now() - started).toBeLessThan(6000);
    await expectObjectMatches(client, BUCKET, job!.key, job!.localPath!);
  });
});

describe('progress events', () => {
  it('are coalesced, reach the total and show a speed', async () => {
    const size = 3 * MiB;
    const [job] = await makeFiles('progress/', 1, size);
    const runtime = open({ ...SMALL, uploadBytesPerSecond: 2 * MiB });
    const events: { at: number; snapshot: ProgressSnapshot }[] = [];
    runtime.engine.on('progress', (snapshot) => events.push({ at: performance.now(), snapshot }));
    const started = performance.now();
    await runBatch(runtime, [job!], 'progress');
    await waitUntil(
      () => events.some((e) => e.snapshot.jobs.length === 0 && e.snapshot.totalBytesDone === size),
      'the final progress event',
    );
    const elapsed = performance.now() - started;
    // A few per second (default interval 250 ms), never bursts.
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 3);
    for (let i = 1; i < events.length; i++)
      expect(events[i]!.at - events[i - 1]!.at).toBeGreaterThanOrEqual(200);
    const during = events.filter((e) => e.snapshot.jobs.length === 1);
    expect(during.length).toBeGreaterThanOrEqual(2);
    expect(during.every((e) => e.snapshot.jobs[0]!.bytesTotal === size)).toBe(true);
    expect(during.some((e) => e.snapshot.uploadBytesPerSecond > 0)).toBe(true);
    expect(during.some((e) => e.snapshot.jobs[0]!.bytesPerSecond > 0)).toBe(true);
    const done = events.map((e) => e.snapshot.totalBytesDone);
    expect(done).toEqual([...done].sort((a, b) => a - b)); // never runs backwards
    const last = events.at(-1)!.snapshot;
    expect(last.totalBytesDone).toBe(size);
    expect(last.totalBytesTotal).toBe(size);
  });
});

describe('pause, resume, cancel, retry', () => {
  it('pauses one job keeping its parts, and resumes it without sending them again', async () => {
    const [job] = await makeFiles('pause/one-', 1, 4 * MiB);
    const runtime = open({ ...SMALL, maxPartsPerFile: 2, uploadBytesPerSecond: MiB });
    const [id] = runtime.engine.add([job!]) as [number];
    await waitUntil(() => runtime.store.parts(id).length >= 4, 'four parts');
    runtime.engine.pause(id);
    const paused = await waitForJobState(runtime.engine, runtime, id, ['paused']);
    const kept = runtime.store.parts(id).length;
    expect(kept).toBeGreaterThanOrEqual(4);
    expect(paused.uploadId).not.toBeNull();
    expect((await uploadsUnder('pause/one-')).map((u) => u.uploadId)).toEqual([paused.uploadId]);
    // Nothing moves while paused.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(runtime.store.get(id)?.state).toBe('paused');

    const recorder = recordRequests(oss);
    runtime.engine.setLimits({ uploadBytesPerSecond: undefined });
    runtime.engine.resume(id);
    const done = await waitForJobState(runtime.engine, runtime, id, ['done', 'failed']);
    recorder.stop();
    expect(done.state).toBe('done');
    const sent = recorder.requests.filter((r) => r.op === 'UploadPart' && r.status === 200);
    expect(sent.length).toBeLessThanOrEqual(16 - kept);
    expect(recorder.requests.filter((r) => r.op === 'InitiateMultipartUpload')).toEqual([]);
    await expectObjectMatches(client, BUCKET, job!.key, job!.localPath!);
    expect(await uploadsUnder('pause/one-')).toEqual([]);
  });

  it('pauses and resumes everything', async () => {
    const jobs = await makeFiles('pause/all-', 3, 2 * MiB);
    const runtime = open({
      ...SMALL,
      maxFiles: 2,
      maxPartsPerFile: 2,
      uploadBytesPerSecond: 2 * MiB,
    });
    const ids = runtime.engine.add(jobs.map((job) => ({ ...job, batch: 'pause-all' })));
    await waitUntil(
      () => ids.filter((id) => runtime.store.parts(id).length >= 2).length >= 2,
      'parts of two files',
    );
    runtime.engine.pauseAll();
    expect(runtime.engine.isPaused).toBe(true);
    for (const id of ids) await waitForJobState(runtime.engine, runtime, id, ['paused']);
    const kept = ids.reduce((n, id) => n + runtime.store.parts(id).length, 0);
    expect(kept).toBeGreaterThanOrEqual(4);
    const pausedAt = performance.now();
    const recorder = recordRequests(oss);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(recorder.requests.filter((r) => r.startMs > pausedAt + 20)).toEqual([]);
    expect(runtime.store.counts('pause-all').paused).toBe(3);

    runtime.engine.setLimits({ uploadBytesPerSecond: undefined });
    runtime.engine.resumeAll();
    expect(runtime.engine.isPaused).toBe(false);
    expect((await runtime.engine.waitForBatch('pause-all')).done).toBe(3);
    recorder.stop();
    const sent = recorder.requests.filter((r) => r.op === 'UploadPart' && r.status === 200);
    expect(sent.length).toBeLessThanOrEqual(3 * 8 - kept);
    for (const job of jobs) await expectObjectMatches(client, BUCKET, job.key, job.localPath!);
  });

  it('cancels a running or paused multipart upload and aborts it on the server', async () => {
    const jobs = await makeFiles('cancel/', 2, 4 * MiB);
    const runtime = open({ ...SMALL, maxPartsPerFile: 2, uploadBytesPerSecond: 2 * MiB });
    const [running, paused] = runtime.engine.add(jobs) as [number, number];
    await waitUntil(
      () => runtime.store.parts(running).length >= 2 && runtime.store.parts(paused).length >= 2,
      'parts of both',
    );
    runtime.engine.pause(paused);
    await waitForJobState(runtime.engine, runtime, paused, ['paused']);
    expect((await uploadsUnder('cancel/')).length).toBe(2);

    await runtime.engine.cancel(running);
    expect(runtime.store.get(running)?.state).toBe('cancelled');
    expect((await uploadsUnder('cancel/')).map((u) => u.name)).toEqual([jobs[1]!.key]);
    await runtime.engine.cancel(paused);
    expect(runtime.store.get(paused)?.state).toBe('cancelled');
    expect(await uploadsUnder('cancel/')).toEqual([]);
    for (const job of jobs) {
      await expect(client.head(job.key)).rejects.toMatchObject({ status: 404 });
    }
    // A cancelled job stays cancelled.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(runtime.store.counts().cancelled).toBe(2);
  });

  it('cancels a running download and removes its temp file', async () => {
    const key = 'cancel/download.bin';
    await client.put(key, randomBytesFor(key, 6 * MiB));
    const dest = freshDir('cancel-down');
    const target = path.join(dest, 'sub', 'download.bin');
    const runtime = open({ downloadBytesPerSecond: 4 * MiB });
    const [id] = runtime.engine.add([{ kind: 'download', bucket: BUCKET, key, localPath: target }]);
    // Past the first 4 MiB batch, so the temp file holds bytes.
    await waitUntil(() => runtime.engine.progress().totalBytesDone > 4.5 * MiB, '4.5 MiB');
    expect(tempFilesUnder(dest).length).toBe(1);
    await runtime.engine.cancel(id!);
    const job = runtime.store.get(id!);
    expect(job?.state).toBe('cancelled');
    expect(job?.tempPath).toBeNull();
    expect(snapshotTree(dest)).toEqual(['sub/']);
  });

  it('retries a failed job on request, resuming a multipart upload', async () => {
    const [small] = await makeFiles('retry/small-', 1, 100 * KiB);
    const [large] = await makeFiles('retry/large-', 1, 2 * MiB);
    oss.server.faults.setRules([
      {
        op: 'PutObject',
        key: small!.key,
        times: 1,
        fault: { kind: 'error', status: 403, code: 'AccessDenied' },
      },
      {
        op: 'UploadPart',
        key: large!.key,
        after: 3,
        times: 1,
        fault: { kind: 'error', status: 403, code: 'AccessDenied' },
      },
    ]);
    const runtime = open({ ...SMALL, maxPartsPerFile: 1 });
    const [smallId, largeId] = runtime.engine.add([small!, large!]) as [number, number];
    for (const id of [smallId, largeId]) {
      const failed = await waitForJobState(runtime.engine, runtime, id, ['failed', 'done']);
      expect(failed.state).toBe('failed');
      expect(failed.error?.code).toBe('access-denied');
      expect(failed.error?.requestId).toMatch(/^[0-9A-F]{24}$/);
    }
    expect(runtime.store.parts(largeId).length).toBe(3);

    const recorder = recordRequests(oss);
    expect(runtime.engine.retryJob(smallId)).toBe(true);
    expect(runtime.engine.retryJob(largeId)).toBe(true);
    for (const id of [smallId, largeId]) {
      const done = await waitForJobState(runtime.engine, runtime, id, ['failed', 'done']);
      expect(done.state).toBe('done');
      expect(done.attempts).toBe(1);
      expect(done.error).toBeNull();
    }
    recorder.stop();
    // The three parts that landed before the failure were not sent again.
    expect(recorder.requests.filter((r) => r.op === 'UploadPart').length).toBe(5);
    await expectObjectMatches(client, BUCKET, small!.key, small!.localPath!);
    await expectObjectMatches(client, BUCKET, large!.key, large!.localPath!);
    expect(runtime.engine.retryJob(smallId)).toBe(false); // done: nothing to retry
  });

  it('aborts orphan multipart uploads under the prefix and keeps the ones jobs own', async () => {
    const [job] = await makeFiles('managed/owned-', 1, 4 * MiB);
    const runtime = open({ ...SMALL, maxPartsPerFile: 1, uploadBytesPerSecond: MiB });
    const [id] = runtime.engine.add([job!]) as [number];
    await waitUntil(() => runtime.store.parts(id).length >= 1, 'a part');
    runtime.engine.pause(id);
    const owned = (await waitForJobState(runtime.engine, runtime, id, ['paused'])).uploadId;
    expect(owned).not.toBeNull();

    const orphans = [
      (await client.initMultipartUpload('managed/orphan.bin')).uploadId,
      (await client.initMultipartUpload('managed/deep/er/orphan.bin')).uploadId,
      (await client.initMultipartUpload(job!.key)).uploadId, // same key, not the job's
    ];
    const outside = (await client.initMultipartUpload('unmanaged/keep.bin')).uploadId;
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Within the default grace period (a day) nothing is touched.
    expect(await runtime.engine.abortOrphanUploads(BUCKET, 'managed/')).toBe(0);
    expect((await uploadsUnder('managed/')).length).toBe(4);
    expect(await runtime.engine.abortOrphanUploads(BUCKET, 'managed/', 0)).toBe(orphans.length);
    expect((await uploadsUnder('managed/')).map((u) => u.uploadId)).toEqual([owned]);
    expect((await uploadsUnder('unmanaged/')).map((u) => u.uploadId)).toEqual([outside]);

    // The job still finishes with the upload it kept.
    const recorder = recordRequests(oss);
    runtime.engine.setLimits({ uploadBytesPerSecond: undefined });
    runtime.engine.resume(id);
    expect((await waitForJobState(runtime.engine, runtime, id, ['done', 'failed'])).state).toBe(
      'done',
    );
    recorder.stop();
    expect(recorder.requests.filter((r) => r.op === 'InitiateMultipartUpload')).toEqual([]);
    await expectObjectMatches(client, BUCKET, job!.key, job!.localPath!);
    await client.abortMultipartUpload('unmanaged/keep.bin', outside);
  });
});

// ---------------------------------------------------------------------------------------
// Hostile keys

const requireCjs = createRequire(import.meta.url);
/** ali-oss's own request builder (headers, date, signature), for keys its urllib would mangle. */
const { createRequest } = requireCjs('ali-oss/lib/common/utils/createRequest.js') as {
  createRequest: (
    this: OSS,
    params: Record<string, unknown>,
  ) => { url: string; params: { headers: Record<string, string | number | undefined> } };
};

/**
 * PUT with a request signed by ali-oss but sent as is: its urllib resolves `.` and `..`
 * segments before sending (`a/../b` would go out as `/b`).
 */
async function rawPut(key: string, body: Buffer): Promise<void> {
  const built = createRequest.call(client, {
    method: 'PUT',
    bucket: BUCKET,
    object: key,
    headers: {},
    content: body,
  });
  const headers: Record<string, string> = { host: `localhost:${oss.server.port}` };
  for (const [name, value] of Object.entries(built.params.headers))
    if (value !== undefined) headers[name] = String(value);
  const requestPath = `/${BUCKET}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: oss.server.port, method: 'PUT', path: requestPath, headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  expect(status, `raw PUT of ${JSON.stringify(key)}`).toBe(200);
}

/**
 * Keys relative to a folder pair's prefix that must never become a local path, each put on
 * the server under that prefix. `raw`: ali-oss would normalise the key before sending it.
 */
const HOSTILE: { rel: string; raw?: true }[] = [
  { rel: '../x', raw: true },
  { rel: 'a/../../b', raw: true },
  { rel: '../../escape-probe', raw: true },
  { rel: '..', raw: true },
  { rel: '.', raw: true },
  { rel: './a', raw: true },
  { rel: 'a/./b', raw: true },
  { rel: '/abs' }, // the key is `PREFIX//abs`
  { rel: '//server/share' },
  { rel: 'C:x' },
  { rel: 'c:/windows/x' },
  { rel: '\\\\server\\share' },
  { rel: 'a\\b' },
  { rel: '..\\..\\evil' },
  { rel: 'nul\u0000byte' },
  { rel: 'new\nline' },
  { rel: 'tab\there' },
  { rel: 'del\u007f' },
  { rel: 'a//b' },
  { rel: 'con.txt' },
  { rel: 'AUX' },
  { rel: 'dir/LPT1.log' },
  { rel: 'name. ' },
  { rel: 'trailing.' },
  { rel: 'x/' },
  { rel: 'a'.repeat(256) },
  { rel: `dir/${'é'.repeat(128)}` }, // 256 bytes of UTF-8
  { rel: '' }, // the prefix's own folder marker
];
/** Keys that look odd but are plain, portable names: they are downloaded. */
const SAFE = ['ok.txt', 'sub/ok 2.bin', '世界/文件.txt', '..hidden', '.dotfile', 'a..b', 'x/y.txt'];

describe('hostile keys on download', () => {
  it('localPathForKey refuses each one with invalid-key naming the key', () => {
    const root = path.join(sandbox, 'never-written');
    const keys = [...HOSTILE.map((h) => h.rel).filter((rel) => rel !== ''), '/abs', '\\\\s\\x'];
    expect(keys.length).toBeGreaterThanOrEqual(15);
    for (const key of keys) {
      let thrown: unknown;
      try {
        localPathForKey(root, key);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(key)).toBeInstanceOf(CoreError);
      const error = thrown as CoreError;
      expect(error.code).toBe('invalid-key');
      expect(error.subject).toBe(key);
      expect(error.message).toContain(JSON.stringify(key).slice(0, 100));
    }
    for (const key of SAFE) expect(localPathForKey(root, key)).toBe(path.join(root, key));
    expect(existsSync(root)).toBe(false);
  });

  it('a whole-prefix download writes nothing outside the destination', async () => {
    const prefix = 'hostile/';
    const body = (key: string): Buffer => Buffer.from(`content of ${JSON.stringify(key)}`);
    for (const { rel, raw } of HOSTILE) {
      const key = `${prefix}${rel}`;
      if (raw) await rawPut(key, body(key));
      else await client.put(key, body(key));
    }
    for (const rel of SAFE) await client.put(`${prefix}${rel}`, body(`${prefix}${rel}`));

    // The destination sits deep in a tree of its own, so an escape would land where we look.
    const top = freshDir('hostile');
    const dest = path.join(top, 'l1', 'l2', 'dest');
    mkdirSync(dest, { recursive: true });
    writeFileSync(path.join(top, 'l1', 'sibling.txt'), 'untouched');
    const before = snapshotTree(top);

    const runtime = open();
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await runtime.remote.listPage(BUCKET, { prefix, token, maxKeys: 10 });
      keys.push(...page.objects.map((object) => object.key));
      token = page.nextToken;
    } while (token !== undefined);
    expect(keys.length).toBe(HOSTILE.length + SAFE.length);

    const refused: string[] = [];
    const jobs: NewJob[] = [];
    for (const key of keys) {
      try {
        const localPath = localPathForKey(dest, key, { stripPrefix: prefix });
        jobs.push({ kind: 'download', bucket: BUCKET, key, localPath });
      } catch (error) {
        expect(error).toBeInstanceOf(CoreError);
        expect((error as CoreError).code).toBe('invalid-key');
        expect((error as CoreError).subject).toBe(key);
        refused.push(key);
      }
    }
    expect(refused.sort()).toEqual(HOSTILE.map((h) => `${prefix}${h.rel}`).sort());
    await runBatch(runtime, jobs, 'hostile');

    const after = snapshotTree(top);
    const inDest = (entry: string): boolean =>
      entry.startsWith('l1/l2/dest/') && entry !== 'l1/l2/dest/';
    expect(after.filter((entry) => !inDest(entry))).toEqual(before);
    const files = after.filter((entry) => inDest(entry) && !entry.endsWith('/'));
    expect(files.sort()).toEqual(SAFE.map((rel) => `l1/l2/dest/${rel}`).sort());
    for (const rel of SAFE)
      expect(readFileSync(path.join(dest, rel))).toEqual(body(`${prefix}${rel}`));
    // Nothing landed beside the sandbox either.
    expect(existsSync(path.join(sandbox, 'x'))).toBe(false);
    expect(existsSync(path.join(sandbox, 'b'))).toBe(false);
    expect(existsSync(path.join(sandbox, 'escape-probe'))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------

describe('a file that changes while it is uploaded', () => {
  it('grows between parts: the upload starts over and the object is the final file', async () => {
    const [job] = await makeFiles('changed/grow-', 1, 2 * MiB);
    // Later parts take a moment, so the change lands while the upload is under way.
    oss.server.faults.setRules([
      { op: 'UploadPart', key: job!.key, after: 1, fault: { kind: 'latency', ms: 40 } },
    ]);
    let appended = false;
    const onRequest = (record: { op: string; key: string | undefined; status: number }): void => {
      if (!appended && record.op === 'UploadPart' && record.key === job!.key) {
        appended = true;
        appendFileSync(job!.localPath!, randomBytesFor('appended', 70 * KiB));
      }
    };
    oss.server.on('request', onRequest);
    const runtime = open({ ...SMALL, maxPartsPerFile: 2, retry: fastRetry() });
    const errors: string[] = [];
    runtime.engine.on('job', (j) => {
      if (j.error) errors.push(j.error.code);
    });
    try {
      await runBatch(runtime, [job!], 'changed-grow');
    } finally {
      oss.server.off('request', onRequest);
    }
    expect(appended).toBe(true);
    expect(errors).toContain('file-changed');
    const head = await expectObjectMatches(client, BUCKET, job!.key, job!.localPath!);
    expect(head.size).toBe(2 * MiB + 70 * KiB);
    expect(await uploadsUnder('changed/')).toEqual([]); // the stale upload was aborted
  });

  it('is rewritten in place (same size) during a single PUT: sent again', async () => {
    const [job] = await makeFiles('changed/rewrite-', 1, 200 * KiB);
    oss.server.faults.setRules([
      { op: 'PutObject', key: job!.key, times: 1, fault: { kind: 'latency', ms: 300 } },
    ]);
    const runtime = open({ ...SMALL, retry: fastRetry() });
    const [id] = runtime.engine.add([job!]) as [number];
    // Once bytes went out, the bytes read are the old ones: change the file under the PUT.
    await waitUntil(
      () => runtime.engine.progress().jobs.some((j) => j.jobId === id && j.bytesDone > 0),
      'bytes on the wire',
    );
    const fd = openSync(job!.localPath!, 'r+');
    writeSync(fd, randomBytesFor('rewritten', 4096), 0, 4096, 1000);
    closeSync(fd);
    const done = await waitForJobState(runtime.engine, runtime, id, ['done', 'failed']);
    expect(done.state).toBe('done');
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    const head = await expectObjectMatches(client, BUCKET, job!.key, job!.localPath!);
    expect(head.size).toBe(200 * KiB);
    expect(oracleCrc64(await objectBytes(job!.key))).toBe(head.crc64);
  });
});

// ---------------------------------------------------------------------------------------

describe('download resume', () => {
  /** Starts a slow download of `key` and stops the runtime once 4.5 MiB arrived. */
  async function interrupted(
    key: string,
  ): Promise<{ dataDir: string; target: string; id: number }> {
    const dataDir = freshDir('resume-data');
    const target = path.join(freshDir('resume-dest'), 'file.bin');
    const runtime = open({ downloadBytesPerSecond: 4 * MiB }, dataDir);
    const [id] = runtime.engine.add([
      { kind: 'download', bucket: BUCKET, key, localPath: target },
    ]) as [number];
    await waitUntil(() => runtime.engine.progress().totalBytesDone >= 4.5 * MiB, '4.5 MiB');
    await close(runtime);
    return { dataDir, target, id };
  }

  it('resumes with a Range request after a stop', async () => {
    const key = 'resume/same.bin';
    const data = randomBytesFor('resume-same', 6 * MiB);
    await client.put(key, data);
    const { dataDir, target, id } = await interrupted(key);
    expect(existsSync(target)).toBe(false);
    const temps = tempFilesUnder(path.dirname(target));
    expect(temps.length).toBe(1);
    const partial = statSync(path.join(path.dirname(target), temps[0]!)).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(6 * MiB);

    const recorder = recordRequests(oss);
    const runtime = open({}, dataDir);
    const done = await waitForJobState(runtime.engine, runtime, id, ['done', 'failed']);
    recorder.stop();
    expect(done.state).toBe('done');
    const gets = recorder.requests.filter((r) => r.op === 'GetObject' && r.key === key);
    expect(gets.map((r) => r.status)).toEqual([206]);
    expect(readFileSync(target).equals(data)).toBe(true);
    expect(tempFilesUnder(path.dirname(target))).toEqual([]);
  });

  it('starts over when the object changed meanwhile', async () => {
    const key = 'resume/changed.bin';
    await client.put(key, randomBytesFor('resume-old', 6 * MiB));
    const { dataDir, target, id } = await interrupted(key);
    expect(tempFilesUnder(path.dirname(target)).length).toBe(1);
    const data = randomBytesFor('resume-new', 5 * MiB + 7);
    await client.put(key, data);

    const recorder = recordRequests(oss);
    const runtime = open({}, dataDir);
    const done = await waitForJobState(runtime.engine, runtime, id, ['done', 'failed']);
    recorder.stop();
    expect(done.state).toBe('done');
    const gets = recorder.requests.filter((r) => r.op === 'GetObject' && r.key === key);
    expect(gets.map((r) => r.status)).toEqual([200]);
    expect(readFileSync(target).equals(data)).toBe(true);
    expect(tempFilesUnder(path.dirname(target))).toEqual([]);
  });
});

describe('afterwards', () => {
  it('left no download temp file anywhere', () => {
    expect(tempFilesUnder(sandbox)).toEqual([]);
  });
});
