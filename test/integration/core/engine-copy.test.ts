/**
 * Server-side copies and moves of objects over CopyObject's limit, end to end: a real
 * runtime (SQLite queue, ali-oss adapter) against the local OSS server, which implements
 * UploadPartCopy. The limit is lowered to 1 MiB (`maxCopyBytes`) and the copy part size to
 * 256 KiB so that "over 1 GB" takes a few MiB; the server's own CopyObject limit stays 1 GiB.
 * Objects are checked against an independent ali-oss client and the crc64-ecma182.js oracle;
 * leaked uploads with ListMultipartUploads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type OSS from 'ali-oss';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/core/db/database.js';
import { JobStore } from '../../../main/core/db/job-store.js';
import type { Job, NewJob } from '../../../main/core/db/job-types.js';
import { NodeLocalFs } from '../../../main/core/fs/local-fs.js';
import { Crc64Pool } from '../../../main/core/hash/crc64-pool.js';
import { OssRemoteStore } from '../../../main/core/remote/oss-remote-store.js';
import type { RemoteStore } from '../../../main/core/remote/remote-store.js';
import { TransferEngine } from '../../../main/core/transfer/engine.js';
import type { TransferRuntime } from '../../../main/core/runtime.js';
import type { EngineOptions } from '../../../main/core/transfer/engine.js';
import { RetryPolicy } from '../../../main/core/transfer/retry-policy.js';
import type { RequestRecord } from '../../../main/osslocal/index.js';
import {
  KiB,
  MiB,
  accountFor,
  maxOverlap,
  oracleCrc64,
  randomBytesFor,
  recordRequests,
  startEngine,
  waitUntil,
} from '../../helpers/engine.js';
import { startLocalOss, type LocalOss } from '../../helpers/osslocal.js';

const BUCKET = 'engine-copy-bkt';
const LIMIT = MiB;
const PART = 256 * KiB;
const OPTIONS: EngineOptions = {
  maxCopyBytes: LIMIT,
  copyPartSize: PART,
  maxPartsPerFile: 3,
  retry: new RetryPolicy({ initialDelayMs: 20, maxDelayMs: 100 }),
};
/** Just over the limit: 5 parts of 256 KiB and a last one of 7 bytes. */
const BIG = LIMIT + PART + 7;

let oss: LocalOss;
let client: OSS;
let sandbox: string;
let runtimes: TransferRuntime[] = [];
let n = 0;

beforeAll(async () => {
  sandbox = mkdtempSync(path.join(tmpdir(), 'engine-copy-'));
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

function runtimeAt(dataDir: string, options: EngineOptions = OPTIONS): TransferRuntime {
  const runtime = startEngine({ oss, dataDir, engineOptions: options });
  runtimes.push(runtime);
  return runtime;
}

/** A fresh runtime (own database) and a fresh key prefix. */
function setup(options?: EngineOptions): {
  runtime: TransferRuntime;
  prefix: string;
  dataDir: string;
} {
  const i = ++n;
  const dataDir = path.join(sandbox, `data-${i}`);
  return { runtime: runtimeAt(dataDir, options), prefix: `t${i}/`, dataDir };
}

async function run(runtime: TransferRuntime, job: NewJob): Promise<Job> {
  const batch = `b${++n}`;
  const [id] = runtime.engine.add([{ ...job, batch }]);
  await runtime.engine.waitForBatch(batch);
  return runtime.store.get(id as number) as Job;
}

async function head(
  key: string,
): Promise<{ etag: string; crc64: string; size: number } | undefined> {
  try {
    const result = await client.head(key);
    const headers = result.res.headers as Record<string, string>;
    return {
      etag: (headers['etag'] ?? '').replace(/"/g, ''),
      crc64: headers['x-oss-hash-crc64ecma'] ?? '',
      size: Number(headers['content-length']),
    };
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  }
}

async function bytesOf(key: string): Promise<Buffer> {
  return (await client.get(key)).content as Buffer;
}

async function putObject(key: string, data: Buffer): Promise<string> {
  await client.put(key, data);
  return (await head(key))?.etag as string;
}

/** Every unfinished multipart upload under `prefix`, from the independent client. */
async function uploadsUnder(prefix: string): Promise<{ name: string; uploadId: string }[]> {
  const result = (await client.listUploads({ prefix, 'max-uploads': 1000 })) as unknown as {
    uploads: { name: string; uploadId: string }[] | null;
  };
  return result.uploads ?? [];
}

const ops = (requests: readonly RequestRecord[]): string[] =>
  requests.map((r) => `${r.op} ${r.key ?? ''}`);

describe('copies over the CopyObject limit', () => {
  it('copies in parts (a few at once), byte for byte, leaving the source and no upload', async () => {
    const { runtime, prefix } = setup();
    const data = randomBytesFor('copy', BIG);
    const source = `${prefix}big.bin`;
    const target = `${prefix}copy/big.bin`;
    const etag = await putObject(source, data);
    // 100 ms per part copy, so parts in flight at once overlap measurably.
    oss.server.faults.setRules([{ op: 'UploadPartCopy', fault: { kind: 'latency', ms: 100 } }]);
    const recorder = recordRequests(oss);
    const job = await run(runtime, {
      kind: 'copy',
      bucket: BUCKET,
      key: target,
      sourceKey: source,
      expectEtag: etag,
    });
    recorder.stop();
    expect([job.state, job.error]).toEqual(['done', null]);
    const names = ops(recorder.requests);
    expect(names.slice(0, 2)).toEqual([
      `HeadObject ${source}`,
      `InitiateMultipartUpload ${target}`,
    ]);
    expect(names.filter((op) => op.startsWith('UploadPartCopy'))).toHaveLength(6);
    expect(names.at(-1)).toBe(`CompleteMultipartUpload ${target}`);
    expect(names.some((op) => /^(CopyObject|PutObject|UploadPart |DeleteObject)/.test(op))).toBe(
      false,
    );
    const partCopies = recorder.requests.filter((r) => r.op === 'UploadPartCopy');
    expect(partCopies.every((r) => r.status === 200)).toBe(true);
    expect(maxOverlap(partCopies).requests).toBe(3);

    const copied = await head(target);
    expect(copied?.size).toBe(BIG);
    expect(copied?.etag).toMatch(/-6$/);
    expect(copied?.crc64).toBe(oracleCrc64(data));
    expect((await bytesOf(target)).equals(data)).toBe(true);
    expect([job.resultEtag, job.resultCrc64]).toEqual([copied?.etag, oracleCrc64(data)]);
    expect(job.uploadId).toBeNull();
    expect((await head(source))?.etag).toBe(etag);
    expect(await uploadsUnder(prefix)).toEqual([]);
  });

  it('an object exactly at the limit still goes in one CopyObject', async () => {
    const { runtime, prefix } = setup();
    const data = randomBytesFor('at-limit', LIMIT);
    const source = `${prefix}limit.bin`;
    const etag = await putObject(source, data);
    const recorder = recordRequests(oss);
    const job = await run(runtime, {
      kind: 'copy',
      bucket: BUCKET,
      key: `${prefix}limit-copy.bin`,
      sourceKey: source,
      size: LIMIT,
      expectEtag: etag,
    });
    recorder.stop();
    expect([job.state, job.error]).toEqual(['done', null]);
    expect(ops(recorder.requests)).toEqual([`CopyObject ${prefix}limit-copy.bin`]);
    expect((await head(`${prefix}limit-copy.bin`))?.crc64).toBe(oracleCrc64(data));
  });

  it('moves: the source is deleted only after Complete, and the move is recorded first', async () => {
    const { runtime, prefix } = setup();
    const data = randomBytesFor('move', BIG);
    const source = `${prefix}dir/big.bin`;
    const trash = `${prefix}.ossync-trash/dir/big.bin`;
    const etag = await putObject(source, data);
    const recorder = recordRequests(oss);
    const job = await run(runtime, {
      kind: 'copy',
      bucket: BUCKET,
      key: trash,
      sourceKey: source,
      size: BIG,
      expectEtag: etag,
      deleteSource: true,
    });
    recorder.stop();
    expect([job.state, job.error]).toEqual(['done', null]);
    const names = ops(recorder.requests);
    expect(names.slice(-2)).toEqual([`CompleteMultipartUpload ${trash}`, `DeleteObject ${source}`]);
    expect(names.filter((op) => op.startsWith('DeleteObject'))).toHaveLength(1);
    expect(await head(source)).toBeUndefined();
    expect((await bytesOf(trash)).equals(data)).toBe(true);
    expect(job.resultCrc64).toBe(oracleCrc64(data));
    expect(await uploadsUnder(prefix)).toEqual([]);
  });

  it('a retried move whose copy in parts landed and whose source is gone is done, not copied again', async () => {
    const { runtime, prefix } = setup();
    const data = randomBytesFor('moved-earlier', BIG);
    const source = `${prefix}m.bin`;
    const trash = `${prefix}.ossync-trash/m.bin`;
    const etag = await putObject(source, data);
    // The DeleteObject lands, but its answer is lost: the attempt fails and is retried.
    oss.server.faults.setRules([
      { op: 'DeleteObject', times: 1, fault: { kind: 'drop-response' } },
    ]);
    const recorder = recordRequests(oss);
    const job = await run(runtime, {
      kind: 'copy',
      bucket: BUCKET,
      key: trash,
      sourceKey: source,
      size: BIG,
      expectEtag: etag,
      deleteSource: true,
    });
    recorder.stop();
    expect([job.state, job.error]).toEqual(['done', null]);
    expect(job.attempts).toBe(2);
    const names = ops(recorder.requests);
    expect(names.filter((op) => op.startsWith('CompleteMultipartUpload'))).toHaveLength(1);
    // The retry: its HEAD finds no source, its HEAD of the target finds the recorded copy.
    expect(names.slice(-2)).toEqual([`HeadObject ${source}`, `HeadObject ${trash}`]);
    expect((await bytesOf(trash)).equals(data)).toBe(true);
    expect(await uploadsUnder(prefix)).toEqual([]);
  });

  it('a source changed between planning and copy fails with precondition-failed, before any upload', async () => {
    const { runtime, prefix } = setup();
    const source = `${prefix}changed.bin`;
    const planned = await putObject(source, randomBytesFor('planned', BIG));
    const now = randomBytesFor('changed', BIG);
    await putObject(source, now);
    const recorder = recordRequests(oss);
    const job = await run(runtime, {
      kind: 'copy',
      bucket: BUCKET,
      key: `${prefix}.ossync-trash/changed.bin`,
      sourceKey: source,
      size: BIG,
      expectEtag: planned,
      deleteSource: true,
    });
    recorder.stop();
    expect(job.state).toBe('failed');
    expect(job.attempts).toBe(1);
    expect(job.error?.code).toBe('precondition-failed');
    expect(job.error?.message).toBe(
      `oss://${BUCKET}/${source} no longer has ETag ${planned}: it was changed or replaced since its copy to ${prefix}.ossync-trash/changed.bin was planned, so nothing was copied.`,
    );
    expect(ops(recorder.requests)).toEqual([`HeadObject ${source}`]);
    expect((await bytesOf(source)).equals(now)).toBe(true);
    expect(await head(`${prefix}.ossync-trash/changed.bin`)).toBeUndefined();
    expect(await uploadsUnder(prefix)).toEqual([]);
  });

  it('a source changed during the copy fails its next part with precondition-failed; the upload is aborted', async () => {
    // One part at a time, each held 150 ms: the source is replaced once the first part landed.
    const { runtime, prefix } = setup({ ...OPTIONS, maxPartsPerFile: 1 });
    const source = `${prefix}moving.bin`;
    const target = `${prefix}moving-copy.bin`;
    const first = randomBytesFor('first', BIG);
    const second = randomBytesFor('second', BIG);
    const firstEtag = await putObject(source, first);
    oss.server.faults.setRules([{ op: 'UploadPartCopy', fault: { kind: 'latency', ms: 150 } }]);
    let replaced: Promise<unknown> | undefined;
    const onRequest = (record: RequestRecord): void => {
      if (record.op === 'UploadPartCopy' && replaced === undefined)
        replaced = client.put(source, second);
    };
    oss.server.on('request', onRequest);
    const recorder = recordRequests(oss);
    // No planned ETag: the copy takes the one its HEAD saw as the condition of every part.
    const job = await run(runtime, {
      kind: 'copy',
      bucket: BUCKET,
      key: target,
      sourceKey: source,
    });
    recorder.stop();
    oss.server.off('request', onRequest);
    await replaced;
    expect(job.state).toBe('failed');
    expect(job.attempts).toBe(1);
    expect(job.error?.code).toBe('precondition-failed');
    expect(job.error?.message).toContain(`no longer has ETag ${firstEtag}`);
    const partCopies = recorder.requests.filter((r) => r.op === 'UploadPartCopy');
    expect(partCopies[0]?.status).toBe(200);
    expect(partCopies.at(-1)?.status).toBe(412);
    expect(ops(recorder.requests).at(-1)).toBe(`AbortMultipartUpload ${target}`);
    expect(job.uploadId).toBeNull();
    expect(await head(target)).toBeUndefined();
    expect(await uploadsUnder(prefix)).toEqual([]);
    expect((await bytesOf(source)).equals(second)).toBe(true);
  });

  it('an attempt stopped after Initiate leaves a recorded upload, which the next run aborts before copying again', async () => {
    const { runtime, prefix, dataDir } = setup();
    const data = randomBytesFor('restart', BIG);
    const source = `${prefix}r.bin`;
    const target = `${prefix}r-copy.bin`;
    const etag = await putObject(source, data);
    oss.server.faults.setRules([{ op: 'UploadPartCopy', fault: { kind: 'latency', ms: 2000 } }]);
    const [id] = runtime.engine.add([
      {
        kind: 'copy',
        bucket: BUCKET,
        key: target,
        sourceKey: source,
        expectEtag: etag,
        batch: 'r',
      },
    ]);
    const stale = await waitUntil(
      () => runtime.store.get(id as number)?.uploadId ?? undefined,
      'the recorded upload id',
    );
    // The process goes away mid-copy (a shutdown: the job is queued again, its upload kept).
    await runtime.close();
    runtimes = runtimes.filter((r) => r !== runtime);
    expect((await uploadsUnder(prefix)).map((u) => u.uploadId)).toEqual([stale]);

    oss.server.faults.setRules([]);
    const recorder = recordRequests(oss);
    const again = runtimeAt(dataDir);
    await again.engine.waitForBatch('r');
    recorder.stop();
    const job = again.store.get(id as number) as Job;
    expect([job.state, job.error]).toEqual(['done', null]);
    const aborts = recorder.requests.filter((r) => r.op === 'AbortMultipartUpload');
    expect(aborts.map((r) => [r.key, r.status])).toEqual([[target, 204]]);
    expect(ops(recorder.requests)[0]).toBe(`AbortMultipartUpload ${target}`);
    expect((await bytesOf(target)).equals(data)).toBe(true);
    expect(job.resultCrc64).toBe(oracleCrc64(data));
    expect(await uploadsUnder(prefix)).toEqual([]);
  });

  it('an Initiate whose answer was lost is aborted by the retry (it was never recorded)', async () => {
    const { runtime, prefix } = setup();
    const data = randomBytesFor('lost-initiate', BIG);
    const source = `${prefix}l.bin`;
    const target = `${prefix}l-copy.bin`;
    const etag = await putObject(source, data);
    oss.server.faults.setRules([
      { op: 'InitiateMultipartUpload', times: 1, fault: { kind: 'drop-response' } },
    ]);
    const recorder = recordRequests(oss);
    const job = await run(runtime, {
      kind: 'copy',
      bucket: BUCKET,
      key: target,
      sourceKey: source,
      size: BIG,
      expectEtag: etag,
    });
    recorder.stop();
    expect([job.state, job.error]).toEqual(['done', null]);
    expect(job.attempts).toBe(2);
    const initiates = recorder.requests.filter((r) => r.op === 'InitiateMultipartUpload');
    expect(initiates).toHaveLength(2);
    expect(recorder.requests.filter((r) => r.op === 'AbortMultipartUpload')).toHaveLength(1);
    expect((await bytesOf(target)).equals(data)).toBe(true);
    expect(await uploadsUnder(prefix)).toEqual([]);
  });

  it('a cancelled copy in parts aborts its upload', async () => {
    const { runtime, prefix } = setup();
    const source = `${prefix}c.bin`;
    const target = `${prefix}c-copy.bin`;
    const etag = await putObject(source, randomBytesFor('cancel', BIG));
    oss.server.faults.setRules([{ op: 'UploadPartCopy', fault: { kind: 'latency', ms: 1000 } }]);
    const [id] = runtime.engine.add([
      { kind: 'copy', bucket: BUCKET, key: target, sourceKey: source, expectEtag: etag },
    ]);
    await waitUntil(
      () => runtime.store.get(id as number)?.uploadId ?? undefined,
      'the recorded upload id',
    );
    expect(await uploadsUnder(prefix)).toHaveLength(1);
    await runtime.engine.cancel(id as number);
    const job = runtime.store.get(id as number) as Job;
    expect(job.state).toBe('cancelled');
    expect(job.uploadId).toBeNull();
    expect(await uploadsUnder(prefix)).toEqual([]);
    expect(await head(target)).toBeUndefined();
  });

  it("a completed copy whose CRC64 differs from the source's fails, and the source of a move stays", async () => {
    // The real store, except that Complete reports another CRC64 (as a copy gone wrong would).
    const i = ++n;
    const prefix = `t${i}/`;
    const db = openDatabase(path.join(sandbox, `crc-${i}.db`));
    const real = new OssRemoteStore(accountFor(oss));
    const remote: RemoteStore = Object.assign(Object.create(real) as OssRemoteStore, {
      completeMultipartUpload: async (
        ...args: Parameters<RemoteStore['completeMultipartUpload']>
      ) => {
        const result = await real.completeMultipartUpload(...args);
        return { ...result, crc64: '12345' };
      },
    });
    const crc = new Crc64Pool();
    const store = new JobStore(db);
    const engine = new TransferEngine(
      { store, remote, fs: new NodeLocalFs(), crc },
      { ...OPTIONS, retry: new RetryPolicy({ maxAttempts: 1 }) },
    );
    try {
      engine.start();
      const data = randomBytesFor('crc', BIG);
      const source = `${prefix}s.bin`;
      const etag = await putObject(source, data);
      const [id] = engine.add([
        {
          kind: 'copy',
          bucket: BUCKET,
          key: `${prefix}d.bin`,
          sourceKey: source,
          size: BIG,
          expectEtag: etag,
          deleteSource: true,
          batch: 'crc',
        },
      ]);
      await engine.waitForBatch('crc');
      const job = store.get(id as number) as Job;
      expect(job.state).toBe('failed');
      expect(job.error?.code).toBe('checksum-mismatch');
      expect(job.error?.message).toBe(
        `The copy of oss://${BUCKET}/${source} to ${prefix}d.bin in 6 parts has CRC64 12345, not the source's ${oracleCrc64(data)}: the copy is wrong and the source was kept; it will be copied again.`,
      );
      expect((await head(source))?.etag).toBe(etag);
      expect(job.resultEtag).toBeNull();
      expect(await uploadsUnder(prefix)).toEqual([]);
    } finally {
      await engine.stop();
      await crc.close();
      real.close();
      db.close();
    }
  });

  it('a move over the limit whose source is gone (and that never copied) fails with no-such-key', async () => {
    const { runtime, prefix } = setup();
    const recorder = recordRequests(oss);
    const job = await run(runtime, {
      kind: 'copy',
      bucket: BUCKET,
      key: `${prefix}.ossync-trash/huge.iso`,
      sourceKey: `${prefix}huge.iso`,
      size: 2 * 1024 ** 3,
      expectEtag: 'ABC',
      deleteSource: true,
    });
    recorder.stop();
    expect(job.state).toBe('failed');
    expect(job.attempts).toBe(1);
    expect(job.error?.code).toBe('no-such-key');
    expect(job.error?.message).toBe(
      `oss://${BUCKET}/${prefix}huge.iso does not exist (NoSuchKey), so it cannot be copied to ${prefix}.ossync-trash/huge.iso: it was deleted or renamed.`,
    );
    expect(ops(recorder.requests)).toEqual([`HeadObject ${prefix}huge.iso`]);
  });
});
