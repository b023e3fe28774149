/**
 * Helpers for tests of the transfer engine against the local OSS server: a runtime wired to a
 * LocalOss, deterministic files, and checks of objects and local trees with oracles that are
 * independent of our own code (ali-oss for reads, crc64-ecma182.js for CRC64).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, statSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type OSS from 'ali-oss';
import { expect } from 'vitest';
import type { Job, JobState } from '../../main/core/db/job-types.js';
import type { RemoteAccount } from '../../main/core/remote/remote-store.js';
import { createTransferRuntime, type TransferRuntime } from '../../main/core/runtime.js';
import type { EngineOptions, TransferEngine } from '../../main/core/transfer/engine.js';
import type { RequestRecord } from '../../main/osslocal/index.js';
import {
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  TEST_REGION,
  type LocalOss,
} from './osslocal.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;

const require = createRequire(import.meta.url);
const oracle = require('crc64-ecma182.js') as { crc64(buff: Buffer, prev?: string): string };

/**
 * The account a runtime uses to reach `oss` (path style, V4 signatures); `port` instead of the
 * server's own, for a proxy in front of it.
 */
export function accountFor(oss: LocalOss, port = oss.server.port): RemoteAccount {
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
 * A transfer runtime (state database in `dataDir`) talking to `oss`, its engine started
 * unless `start: false`. Close it with `runtime.close()`.
 */
export function startEngine(options: {
  oss: LocalOss;
  dataDir: string;
  engineOptions?: EngineOptions;
  start?: boolean;
  /** Reach the server through this port (a proxy in front of it). */
  port?: number;
}): TransferRuntime {
  const runtime = createTransferRuntime({
    dataDir: options.dataDir,
    account: accountFor(options.oss, options.port),
    ...(options.engineOptions === undefined ? {} : { engine: options.engineOptions }),
  });
  if (options.start !== false) runtime.engine.start();
  return runtime;
}

/** `size` pseudo-random bytes from `seed` (AES-128-CTR over zeros): same seed, same bytes. */
export function randomBytesFor(seed: number | string, size: number, offset = 0): Buffer {
  const key = createHash('sha256').update(`ossync-test-${seed}`).digest().subarray(0, 16);
  // Counter mode: start at block offset/16 so any slice of the stream can be produced.
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(offset / 16)), 8);
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  const skip = offset % 16;
  const out = cipher.update(Buffer.alloc(size + skip));
  return out.subarray(skip);
}

/** Writes `size` deterministic bytes from `seed` to `filePath` (its folders created). */
export async function writeRandomFile(
  filePath: string,
  size: number,
  seed: number | string,
): Promise<void> {
  await mkdir(path.dirname(filePath), { recursive: true });
  const fd = openSync(filePath, 'w');
  try {
    for (let offset = 0; offset < size; offset += 4 * MiB) {
      const chunk = randomBytesFor(seed, Math.min(4 * MiB, size - offset), offset);
      writeSync(fd, chunk, 0, chunk.length, offset);
    }
  } finally {
    closeSync(fd);
  }
}

/** CRC64-ECMA182 of a file with the independent oracle, chained over 1 MiB chunks. */
export function oracleCrc64OfFile(filePath: string): string {
  const fd = openSync(filePath, 'r');
  const buffer = Buffer.allocUnsafe(MiB);
  let crc = '0';
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, MiB, null);
      if (read === 0) return crc;
      crc = oracle.crc64(buffer.subarray(0, read), crc);
    }
  } finally {
    closeSync(fd);
  }
}

/** CRC64-ECMA182 of bytes in memory with the independent oracle. */
export function oracleCrc64(data: Buffer): string {
  let crc = '0';
  for (let offset = 0; offset < data.length; offset += MiB)
    crc = oracle.crc64(data.subarray(offset, offset + MiB), crc);
  return crc;
}

/** MD5 of a file, upper-case hex (the ETag of a simple object). */
export function md5OfFile(filePath: string): string {
  const fd = openSync(filePath, 'r');
  const buffer = Buffer.allocUnsafe(MiB);
  const md5 = createHash('md5');
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, MiB, null);
      if (read === 0) return md5.digest('hex').toUpperCase();
      md5.update(buffer.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
}

export interface ObjectHead {
  size: number;
  crc64: string;
  /** Without quotes. */
  etag: string;
  /** For a multipart object (`HEX-N`), N; undefined for a simple one. */
  partCount: number | undefined;
  headers: Record<string, string | undefined>;
}

/**
 * Asserts, with an independent ali-oss client (`client` must be bound to `bucket`), that the
 * object has the local file's size and CRC64 (crc64-ecma182.js), and an ETag of the right form:
 * the file's MD5 for a simple object, `HEX-N` for a multipart one. Returns what HEAD said.
 */
export async function expectObjectMatches(
  client: OSS,
  bucket: string,
  key: string,
  localFile: string,
): Promise<ObjectHead> {
  const head = await client.head(key);
  const headers = head.res.headers as Record<string, string | undefined>;
  const size = Number(headers['content-length']);
  const crc64 = headers['x-oss-hash-crc64ecma'] ?? '';
  const etag = (headers['etag'] ?? '').replace(/"/g, '');
  const what = `${bucket}/${key}`;
  expect(size, `size of ${what}`).toBe(statSync(localFile).size);
  expect(crc64, `CRC64 of ${what}`).toBe(oracleCrc64OfFile(localFile));
  const multipart = /^[0-9A-F]{32}-(\d+)$/.exec(etag);
  if (multipart === null) expect(etag, `ETag of ${what}`).toBe(md5OfFile(localFile));
  return {
    size,
    crc64,
    etag,
    partCount: multipart === null ? undefined : Number(multipart[1]),
    headers,
  };
}

/** Every entry under `dir` as `/`-separated relative paths (folders end in `/`), sorted. */
export function snapshotTree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory())
      out.push(`${rel}/`, ...snapshotTree(path.join(dir, entry.name), `${rel}/`));
    else out.push(rel);
  }
  return out.sort();
}

/** Download temp files (`.NAME.ossync-XXXXXXXXXXXX.part`) anywhere under `dir`. */
export function tempFilesUnder(dir: string): string[] {
  return snapshotTree(dir).filter((entry) => /(^|\/)\.[^/]*\.ossync-[^/]*\.part$/.test(entry));
}

/** Whether two files hold the same bytes (compared in 1 MiB chunks). */
export function sameBytes(a: string, b: string): boolean {
  if (statSync(a).size !== statSync(b).size) return false;
  const fa = openSync(a, 'r');
  const fb = openSync(b, 'r');
  const ba = Buffer.allocUnsafe(MiB);
  const bb = Buffer.allocUnsafe(MiB);
  try {
    for (;;) {
      const ra = readSync(fa, ba, 0, MiB, null);
      const rb = readSync(fb, bb, 0, MiB, null);
      if (ra !== rb) return false;
      if (ra === 0) return true;
      if (!ba.subarray(0, ra).equals(bb.subarray(0, rb))) return false;
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

/** Polls `check` until it returns a truthy value (which it resolves to), or fails after `timeoutMs`. */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 10,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves with the job once it reaches one of `states` (checked on every job event). */
export function waitForJobState(
  engine: TransferEngine,
  runtime: Pick<TransferRuntime, 'store'>,
  id: number,
  states: readonly JobState[],
  timeoutMs = 20_000,
): Promise<Job> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const job = runtime.store.get(id);
      if (job && states.includes(job.state)) {
        cleanup();
        resolve(job);
        return true;
      }
      return false;
    };
    const onJob = (job: Job): void => {
      if (job.id === id) check();
    };
    const timer = setTimeout(() => {
      cleanup();
      const job = runtime.store.get(id);
      reject(
        new Error(
          `job ${id} did not reach ${states.join('/')} in ${timeoutMs} ms (state ${job?.state}, error ${JSON.stringify(job?.error)})`,
        ),
      );
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      engine.off('job', onJob);
    };
    engine.on('job', onJob);
    check();
  });
}

/** A finished request at the server, with its start and end on the test's clock (ms). */
export interface TimedRequest extends RequestRecord {
  startMs: number;
  endMs: number;
}

/**
 * Records every request the server finishes (until `stop()`), with its time span: the server
 * measures each request from its arrival to its end, so overlapping spans were in flight at
 * the server at the same time.
 */
export function recordRequests(oss: LocalOss): { requests: TimedRequest[]; stop(): void } {
  const requests: TimedRequest[] = [];
  const listener = (record: RequestRecord): void => {
    const endMs = performance.now();
    requests.push({ ...record, startMs: endMs - record.durationMs, endMs });
  };
  oss.server.on('request', listener);
  return { requests, stop: () => oss.server.off('request', listener) };
}

/** The most spans that overlap at one instant, and the most distinct keys among them. */
export function maxOverlap(spans: readonly TimedRequest[]): { requests: number; keys: number } {
  const events = spans.flatMap((span) => [
    { at: span.startMs, delta: 1, span },
    { at: span.endMs, delta: -1, span },
  ]);
  // At the same instant an end comes before a start: touching spans do not overlap.
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  const open = new Map<TimedRequest, string>();
  let requests = 0;
  let keys = 0;
  for (const event of events) {
    if (event.delta > 0) open.set(event.span, event.span.key ?? '');
    else open.delete(event.span);
    requests = Math.max(requests, open.size);
    keys = Math.max(keys, new Set(open.values()).size);
  }
  return { requests, keys };
}
