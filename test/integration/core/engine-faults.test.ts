/**
 * The transfer engine under the local OSS server's fault injection, driven through the real
 * ali-oss client: 10% of requests answered 5xx or 429, connections reset mid-body, operations
 * committed and their answer dropped (Complete included: ali-oss issue #1388's double
 * complete), latency spikes. A mixed set of small files and multipart files is uploaded and
 * downloaded once without faults and once with them; with faults every file still ends
 * correct (size and CRC64 by the crc64-ecma182.js oracle), no multipart upload is left on the
 * server, no upload is completed twice, and the number of requests stays within 2.5 times the
 * fault-free run. Permanent errors fail a job at once; retryable ones exhaust maxAttempts.
 *
 * Reproduce a failure with ENGINE_FAULTS_SEED=<seed in the test name>. The fault decisions
 * are seeded per rule, but which request meets which decision follows the order requests
 * arrive in, which concurrency makes vary a little from run to run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type OSS from 'ali-oss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, NewJob } from '../../../main/core/db/job-types.js';
import type { TransferRuntime } from '../../../main/core/runtime.js';
import type { EngineOptions } from '../../../main/core/transfer/engine.js';
import { RetryPolicy } from '../../../main/core/transfer/retry-policy.js';
import type { FaultRule, RequestRecord } from '../../../main/osslocal/index.js';
import {
  KiB,
  MiB,
  expectObjectMatches,
  oracleCrc64,
  oracleCrc64OfFile,
  recordRequests,
  startEngine,
  writeRandomFile,
} from '../../helpers/engine.js';
import { startLocalOss, type LocalOss } from '../../helpers/osslocal.js';
import { mulberry32 } from '../../helpers/random.js';

const SEED = Number(process.env['ENGINE_FAULTS_SEED'] ?? 0xfa_0017);
const CLEAN = 'engine-clean';
const FAULTY = 'engine-faulty';
const PERMANENT = 'engine-permanent';
const PART = 128 * KiB;
/** Requests with faults may be at most this many times the fault-free count. */
const MAX_REQUEST_FACTOR = 2.5;

interface FileSpec {
  key: string;
  size: number;
}

/** 60 small files (one empty) and 4 multipart files of 6 to 17 parts of 128 KiB. */
function fileSet(random: () => number): FileSpec[] {
  const files: FileSpec[] = [];
  for (let i = 0; i < 60; i++) {
    // s00 is empty; s10 is long enough to be cut off mid-body.
    const size = i === 0 ? 0 : i === 10 ? 96 * KiB + 1 : 1 + Math.floor(random() * 200 * KiB);
    files.push({ key: `small/s${String(i).padStart(2, '0')}.bin`, size });
  }
  const big = [MiB + 13, 2 * MiB + 5, 700 * KiB, 1.5 * MiB + 1];
  big.forEach((size, i) => files.push({ key: `big/m${i}.bin`, size }));
  return files;
}

let local: LocalOss;
let work: string;
let srcDir: string;
let files: FileSpec[];
const runtimes: TransferRuntime[] = [];

beforeAll(async () => {
  local = await startLocalOss({ buckets: [CLEAN, FAULTY, PERMANENT] });
  work = mkdtempSync(path.join(tmpdir(), 'engine-faults-'));
  srcDir = path.join(work, 'src');
  files = fileSet(mulberry32(SEED));
  for (const [i, file] of files.entries())
    await writeRandomFile(path.join(srcDir, file.key), file.size, `${SEED}-${i}`);
});

afterAll(async () => {
  for (const runtime of runtimes) await runtime.close();
  await local?.close();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

function engineOptions(seed: number, extra: EngineOptions = {}): EngineOptions {
  return {
    maxFiles: 4,
    maxPartsPerFile: 4,
    maxParts: 8,
    partSize: PART,
    multipartThreshold: 2 * PART,
    retry: new RetryPolicy({ initialDelayMs: 10, maxDelayMs: 200, random: mulberry32(seed) }),
    ...extra,
  };
}

function open(name: string, options: EngineOptions): TransferRuntime {
  const runtime = startEngine({
    oss: local,
    dataDir: path.join(work, name),
    engineOptions: options,
  });
  runtimes.push(runtime);
  return runtime;
}

async function runBatch(
  runtime: TransferRuntime,
  batch: string,
  jobs: readonly NewJob[],
): Promise<Job[]> {
  runtime.engine.add(jobs.map((job) => ({ ...job, batch })));
  await runtime.engine.waitForBatch(batch);
  const all: Job[] = [];
  for (let page = runtime.store.list({ batch }); page.length > 0;) {
    all.push(...page);
    page = runtime.store.list({ batch }, page.at(-1)?.id);
  }
  return all;
}

function describeFailures(jobs: readonly Job[]): string {
  return jobs
    .filter((job) => job.state !== 'done')
    .map(
      (job) =>
        `${job.kind} ${job.key}: ${job.state} after ${job.attempts} ${JSON.stringify(job.error)}`,
    )
    .join('\n');
}

/** Uploads then downloads the file set through a fresh runtime; returns the jobs of both. */
async function roundTrip(
  bucket: string,
  seed: number,
): Promise<{ uploads: Job[]; downloads: Job[]; downDir: string }> {
  const runtime = open(`data-${bucket}`, engineOptions(seed));
  const uploads = await runBatch(
    runtime,
    'up',
    files.map((file) => ({
      kind: 'upload',
      bucket,
      key: file.key,
      localPath: path.join(srcDir, file.key),
    })),
  );
  const downDir = path.join(work, `down-${bucket}`);
  const downloads = await runBatch(
    runtime,
    'down',
    files.map((file) => ({
      kind: 'download',
      bucket,
      key: file.key,
      localPath: path.join(downDir, file.key),
    })),
  );
  return { uploads, downloads, downDir };
}

function client(bucket: string): OSS {
  return local.client({ bucket });
}

/** Every object equals its source file and every downloaded file too (oracle CRC64, size). */
async function expectAllCorrect(bucket: string, downDir: string): Promise<void> {
  const oss = client(bucket);
  for (const file of files) {
    const source = path.join(srcDir, file.key);
    const head = await expectObjectMatches(oss, bucket, file.key, source);
    if (file.size >= 2 * PART) expect(head.partCount, file.key).toBe(Math.ceil(file.size / PART));
    // The bytes themselves, read back through ali-oss, not only the server's own CRC64.
    const body = (await oss.get(file.key)).content as Buffer;
    expect(body.length, file.key).toBe(file.size);
    expect(oracleCrc64(body), file.key).toBe(oracleCrc64OfFile(source));
    const downloaded = await readFile(path.join(downDir, file.key));
    expect(downloaded.length, `downloaded ${file.key}`).toBe(file.size);
    expect(oracleCrc64(downloaded), `downloaded ${file.key}`).toBe(oracleCrc64OfFile(source));
  }
}

async function expectNoMultipartUploads(bucket: string): Promise<void> {
  const result = await client(bucket).listUploads({ 'max-uploads': 1000 });
  expect(
    result.uploads.map((upload) => `${upload.name} ${upload.uploadId}`),
    `multipart uploads left in ${bucket}`,
  ).toEqual([]);
}

function byBucket(records: readonly RequestRecord[], bucket: string): RequestRecord[] {
  return records.filter((record) => record.bucket === bucket);
}

/** Rules that answer with an error: nothing is committed, even when the answer is dropped. */
const ERROR_RULES = ['503', '500', '429'];
/**
 * Keys whose first Complete (or Initiate) is committed and its answer dropped. Several keys,
 * because a random error rule may hit the same request: then nothing was committed.
 */
const FORCED_DROPS = {
  complete: ['big/m0.bin', 'big/m1.bin', 'big/m3.bin'],
  initiate: ['big/m2.bin', 'big/m3.bin'],
};

/** Whether the server performed the operation of this request (its answer may be lost). */
function committed(record: RequestRecord): boolean {
  if (record.status >= 200 && record.status < 300) return true;
  return record.code === 'DroppedResponse' && !record.faults.some((id) => ERROR_RULES.includes(id));
}

/** The faults of the fault run, all limited to `bucket`. */
function faultRules(bucket: string): FaultRule[] {
  const everywhere = { bucket } as const;
  return [
    // 10% of all requests fail with a 5xx or a 429, before anything is committed.
    {
      id: '503',
      ...everywhere,
      probability: 0.04,
      fault: { kind: 'error', status: 503, code: 'ServiceUnavailable' },
    },
    {
      id: '500',
      ...everywhere,
      probability: 0.02,
      fault: { kind: 'error', status: 500, code: 'InternalError' },
    },
    {
      id: '429',
      ...everywhere,
      probability: 0.04,
      fault: { kind: 'error', status: 429, code: 'QpsLimitExceeded' },
    },
    // 3% of bodies are cut off mid-way, uploads and downloads. Uploads are cut at 64 KiB:
    // osslocal reads a body only after opening its temp file, and a tripwire that trips
    // before that (within the ~32 KiB the streams buffer) throws an uncaught 'aborted' error
    // in the server (an osslocal bug, reported); past 32 KiB backpressure orders it.
    {
      id: 'reset-up',
      ...everywhere,
      op: ['PutObject', 'UploadPart'],
      probability: 0.03,
      fault: { kind: 'reset-request', afterBytes: 64 * KiB },
    },
    {
      id: 'reset-part-m3',
      ...everywhere,
      op: 'UploadPart',
      key: 'big/m3.bin',
      after: 2,
      times: 1,
      fault: { kind: 'reset-request', afterBytes: 64 * KiB },
    },
    {
      id: 'reset-put-s10',
      ...everywhere,
      op: 'PutObject',
      key: 'small/s10.bin',
      times: 1,
      fault: { kind: 'reset-request', afterBytes: 64 * KiB },
    },
    {
      id: 'reset-down',
      ...everywhere,
      op: 'GetObject',
      probability: 0.03,
      fault: { kind: 'reset-response', afterBytes: 4 * KiB },
    },
    // Committed, then the answer is lost.
    {
      id: 'drop',
      ...everywhere,
      op: ['PutObject', 'UploadPart'],
      probability: 0.02,
      fault: { kind: 'drop-response' },
    },
    // Committed, then the answer is lost: Completes (#1388's double complete) and Initiates.
    ...FORCED_DROPS.complete.map((key): FaultRule => ({
      id: `drop-complete ${key}`,
      ...everywhere,
      op: 'CompleteMultipartUpload',
      key,
      times: 1,
      fault: { kind: 'drop-response' },
    })),
    ...FORCED_DROPS.initiate.map((key): FaultRule => ({
      id: `drop-initiate ${key}`,
      ...everywhere,
      op: 'InitiateMultipartUpload',
      key,
      times: 1,
      fault: { kind: 'drop-response' },
    })),
    // Latency spikes.
    {
      id: 'latency',
      ...everywhere,
      probability: 0.03,
      fault: { kind: 'latency', ms: 150, jitterMs: 100 },
    },
  ];
}

describe(`transfer engine under injected faults (seed ${SEED})`, () => {
  it('every file ends correct, nothing is left or completed twice, requests stay within 2.5x', async () => {
    const recorder = recordRequests(local);
    try {
      const startedClean = performance.now();
      const clean = await roundTrip(CLEAN, SEED);
      const cleanMs = performance.now() - startedClean;
      expect(describeFailures([...clean.uploads, ...clean.downloads])).toBe('');

      local.server.faults.reseed(SEED);
      local.server.faults.setRules(faultRules(FAULTY));
      const startedFaulty = performance.now();
      const faulty = await roundTrip(FAULTY, SEED);
      const faultyMs = performance.now() - startedFaulty;
      const counters = local.server.faults.counters();
      local.server.faults.setRules([]);
      recorder.stop();

      expect(describeFailures([...faulty.uploads, ...faulty.downloads])).toBe('');
      const cleanRequests = byBucket(recorder.requests, CLEAN);
      const faultyRequests = byBucket(recorder.requests, FAULTY);
      const trace = (key: string): string =>
        faultyRequests
          .filter((r) => r.key === key || (r.key === undefined && r.op === 'ListMultipartUploads'))
          .map((r) => `${r.op} ${r.status}${r.code === undefined ? '' : ` ${r.code}`}`)
          .join('\n');
      const multipartKeys = files.filter((f) => f.size >= 2 * PART).map((f) => f.key);
      const completesOf = (key: string): RequestRecord[] =>
        faultyRequests.filter((r) => r.op === 'CompleteMultipartUpload' && r.key === key);
      const droppedCommits = multipartKeys.filter(
        (key) => completesOf(key).find(committed)?.code === 'DroppedResponse',
      );
      const injected = Object.fromEntries(counters.rules.map((rule) => [rule.id, rule.injected]));
      const factor = faultyRequests.length / cleanRequests.length;
      const maxAttempts = Math.max(
        ...[...faulty.uploads, ...faulty.downloads].map((job) => job.attempts),
      );
      console.log(
        `seed ${SEED}: Completes committed with the answer lost: ${droppedCommits.join(', ')}; ` +
          `${cleanRequests.length} requests fault-free (${Math.round(cleanMs)} ms), ` +
          `${faultyRequests.length} with faults (${Math.round(faultyMs)} ms): factor ${factor.toFixed(2)}; ` +
          `max attempts ${maxAttempts}; injected ${JSON.stringify(injected)}`,
      );
      // The faults did happen (otherwise the run proves nothing).
      expect(counters.totalInjected).toBeGreaterThan(20);
      for (const key of FORCED_DROPS.complete)
        expect(injected[`drop-complete ${key}`], key).toBe(1);
      for (const key of FORCED_DROPS.initiate)
        expect(injected[`drop-initiate ${key}`], key).toBe(1);
      for (const id of ['reset-part-m3', 'reset-put-s10']) expect(injected[id], id).toBe(1);

      await expectAllCorrect(CLEAN, clean.downDir);
      await expectAllCorrect(FAULTY, faulty.downDir);
      await expectNoMultipartUploads(CLEAN);
      await expectNoMultipartUploads(FAULTY);

      // Exactly one Complete committed per multipart key (a 200, or a dropped answer to a
      // Complete that committed), and it is the last Complete sent for the key: the engine
      // never completes twice (a second one would be 404 NoSuchUpload).
      for (const key of multipartKeys) {
        const mine = completesOf(key);
        const commits = mine.filter(committed);
        expect(commits.length, `committed Completes of ${key}:\n${trace(key)}`).toBe(1);
        expect(mine.at(-1), `Complete sent after the commit of ${key}`).toBe(commits[0]);
        expect(mine.filter((r) => r.code === 'NoSuchUpload')).toEqual([]);
      }
      // #1388: at least one upload was completed with its answer lost, and ended done anyway.
      expect(droppedCommits.length).toBeGreaterThan(0);

      // An Initiate whose answer was lost left an upload nobody knew the id of: the engine
      // found it (ListMultipartUploads of the key) and aborted it before starting another.
      let lostInitiates = 0;
      for (const key of FORCED_DROPS.initiate) {
        const mine = faultyRequests.filter((r) => r.key === key);
        const lost = mine.filter(
          (r) => r.op === 'InitiateMultipartUpload' && r.code === 'DroppedResponse',
        );
        expect(lost).toHaveLength(1);
        const orphaned = lost.filter(committed).length;
        lostInitiates += orphaned;
        expect(
          mine.filter((r) => r.op === 'AbortMultipartUpload' && committed(r)).length,
          `aborts of ${key}:\n${trace(key)}`,
        ).toBe(orphaned);
      }
      expect(lostInitiates).toBeGreaterThan(0);

      expect(factor, `requests with faults / fault-free (seed ${SEED})`).toBeLessThanOrEqual(
        MAX_REQUEST_FACTOR,
      );
    } finally {
      recorder.stop();
      local.server.faults.setRules([]);
    }
  });

  it('a permanent error fails its job at once; a key that always fails exhausts maxAttempts', async () => {
    const maxAttempts = 4;
    const runtime = open('data-permanent', {
      ...engineOptions(SEED + 1),
      retry: new RetryPolicy({
        initialDelayMs: 10,
        maxDelayMs: 50,
        maxAttempts,
        random: mulberry32(SEED + 1),
      }),
    });
    local.server.faults.setRules([
      {
        id: 'denied',
        bucket: PERMANENT,
        key: 'small/s05.bin',
        fault: { kind: 'error', status: 403, code: 'AccessDenied' },
      },
      {
        id: 'denied-big',
        bucket: PERMANENT,
        key: 'big/m3.bin',
        op: 'UploadPart',
        fault: { kind: 'error', status: 403, code: 'AccessDenied' },
      },
      {
        id: 'always-503',
        bucket: PERMANENT,
        key: 'small/s07.bin',
        fault: { kind: 'error', status: 503, code: 'ServiceUnavailable' },
      },
    ]);
    const recorder = recordRequests(local);
    try {
      const subset = files.filter(
        (f) => f.key < 'small/s20.bin' || f.key === 'big/m3.bin' || f.key === 'big/m2.bin',
      );
      const jobs = await runBatch(
        runtime,
        'permanent',
        subset.map((file) => ({
          kind: 'upload',
          bucket: PERMANENT,
          key: file.key,
          localPath: path.join(srcDir, file.key),
        })),
      );
      recorder.stop();
      const byKey = new Map(jobs.map((job) => [job.key, job]));

      for (const key of ['small/s05.bin', 'big/m3.bin']) {
        const denied = byKey.get(key);
        expect(denied?.state, key).toBe('failed');
        expect(denied?.attempts, key).toBe(1);
        expect(denied?.error?.code, key).toBe('access-denied');
        expect(denied?.error?.message, key).toMatch(/denied.*AccessDenied/);
        expect(denied?.error?.message, key).toContain(key);
        expect(denied?.error?.requestId, key).toMatch(/^[0-9A-F]{24}$/);
      }
      // Sent once, never again.
      expect(recorder.requests.filter((r) => r.key === 'small/s05.bin')).toHaveLength(1);

      const exhausted = byKey.get('small/s07.bin');
      expect(exhausted?.state).toBe('failed');
      expect(exhausted?.attempts).toBe(maxAttempts);
      expect(exhausted?.error?.code).toBe('server-error');
      expect(exhausted?.error?.message).toMatch(/ServiceUnavailable, HTTP 503/);
      expect(recorder.requests.filter((r) => r.key === 'small/s07.bin')).toHaveLength(maxAttempts);

      local.server.faults.setRules([]);
      const others = jobs.filter(
        (job) => !['small/s05.bin', 'small/s07.bin', 'big/m3.bin'].includes(job.key),
      );
      expect(describeFailures(others)).toBe('');
      const oss = client(PERMANENT);
      for (const job of others)
        await expectObjectMatches(oss, PERMANENT, job.key, path.join(srcDir, job.key));
      for (const key of ['small/s05.bin', 'small/s07.bin', 'big/m3.bin'])
        await expect(oss.head(key), key).rejects.toMatchObject({ status: 404 });
    } finally {
      recorder.stop();
      local.server.faults.setRules([]);
    }
  });
});
