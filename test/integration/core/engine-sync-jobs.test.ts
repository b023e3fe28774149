/**
 * Jobs of folder pairs end to end: a real runtime (SQLite state, ali-oss adapter, CRC64
 * pool, real files) against the local OSS server. The journal row a job writes when it
 * finishes is checked against what an independent ali-oss client and the crc64-ecma182.js
 * oracle say about the object, and against the file's own stat.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type OSS from 'ali-oss';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job, NewJob } from '../../../main/core/db/job-types.js';
import { SyncStore } from '../../../main/core/db/sync-store.js';
import type { TransferRuntime } from '../../../main/core/runtime.js';
import type { JournalEntry, PairConfig } from '../../../main/core/sync/types.js';
import type { EngineOptions } from '../../../main/core/transfer/engine.js';
import { RetryPolicy } from '../../../main/core/transfer/retry-policy.js';
import {
  KiB,
  MiB,
  expectObjectMatches,
  oracleCrc64,
  randomBytesFor,
  recordRequests,
  startEngine,
  writeRandomFile,
} from '../../helpers/engine.js';
import { startLocalOss, type LocalOss } from '../../helpers/osslocal.js';

const BUCKET = 'sync-jobs-bkt';
/** 1 MiB files go multipart in 256 KiB parts; retries come fast. */
const OPTIONS: EngineOptions = {
  multipartThreshold: MiB,
  partSize: 256 * KiB,
  retry: new RetryPolicy({ initialDelayMs: 20, maxDelayMs: 100 }),
};

let oss: LocalOss;
let client: OSS;
let sandbox: string;
let runtimes: TransferRuntime[] = [];
let dirs = 0;

beforeAll(async () => {
  sandbox = mkdtempSync(path.join(tmpdir(), 'engine-sync-jobs-'));
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

interface Setup {
  runtime: TransferRuntime;
  sync: SyncStore;
  pair: PairConfig;
  root: string;
}

/** A started runtime with one mirror pair of a fresh folder under a fresh prefix. */
function setup(): Setup {
  const n = ++dirs;
  const root = path.join(sandbox, `folder-${n}`);
  mkdirSync(root, { recursive: true });
  const runtime = startEngine({
    oss,
    dataDir: path.join(sandbox, `data-${n}`),
    engineOptions: OPTIONS,
  });
  runtimes.push(runtime);
  const sync = new SyncStore(runtime.db);
  const pair = sync.addPair({ localRoot: root, bucket: BUCKET, prefix: `p${n}/`, mode: 'mirror' });
  return { runtime, sync, pair, root };
}

/** Runs the jobs as one batch and returns them as they ended. */
async function run(runtime: TransferRuntime, jobs: NewJob[]): Promise<Job[]> {
  const batch = `b${++dirs}`;
  const ids = runtime.engine.add(jobs.map((job) => ({ ...job, batch })));
  await runtime.engine.waitForBatch(batch);
  return ids.map((id) => runtime.store.get(id) as Job);
}

async function head(key: string): Promise<{ etag: string; crc64: string } | undefined> {
  try {
    const result = await client.head(key);
    const headers = result.res.headers as Record<string, string>;
    return {
      etag: (headers['etag'] ?? '').replace(/"/g, ''),
      crc64: headers['x-oss-hash-crc64ecma'] ?? '',
    };
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  }
}

/** Puts `data` at `key` with the independent client; returns its ETag. */
async function putObject(key: string, data: Buffer): Promise<string> {
  await client.put(key, data);
  return (await head(key))?.etag as string;
}

function identityOf(file: string): { size: number; mtimeNs: bigint; ino: bigint } {
  const stat = statSync(file, { bigint: true });
  return { size: Number(stat.size), mtimeNs: stat.mtimeNs, ino: stat.ino };
}

const synced = (p: string, etag: string, crc64: string): JournalEntry => ({
  path: p,
  size: 1,
  mtimeNs: 1n,
  ino: 1n,
  crc64,
  remoteEtag: etag,
  remoteCrc64: crc64,
  syncedAt: 1,
});

describe('jobs of folder pairs', () => {
  it('an upload (single PUT and multipart) records the file it read and the CRC64 and ETag the server reports', async () => {
    const { runtime, sync, pair, root } = setup();
    const files = { 'small.txt': 10 * KiB, 'dir/big.bin': MiB + 123 };
    for (const [rel, size] of Object.entries(files))
      await writeRandomFile(path.join(root, rel), size, rel);
    // An older row for the path is replaced, not duplicated.
    sync.journalPut(pair.id, synced('small.txt', 'OLD', '1'));
    const jobs = await run(
      runtime,
      Object.keys(files).map((rel) => ({
        kind: 'upload',
        bucket: BUCKET,
        key: pair.prefix + rel,
        localPath: path.join(root, rel),
        pair: { pairId: pair.id, path: rel, journal: 'put' },
      })),
    );
    expect(jobs.map((job) => [job.key, job.state, job.error])).toEqual(
      Object.keys(files).map((rel) => [pair.prefix + rel, 'done', null]),
    );
    for (const rel of Object.keys(files)) {
      const local = path.join(root, rel);
      const object = await expectObjectMatches(client, BUCKET, pair.prefix + rel, local);
      expect(sync.journalGet(pair.id, rel)).toEqual({
        path: rel,
        ...identityOf(local),
        crc64: object.crc64,
        remoteEtag: object.etag,
        remoteCrc64: object.crc64,
        syncedAt: expect.any(Number) as number,
      });
    }
    expect(sync.journalCount(pair.id)).toBe(2);
    expect(runtime.store.hasUnfinishedJob(pair.id, 'small.txt')).toBe(false);
    expect(runtime.store.pairPending(pair.id)).toEqual({ files: 0, bytes: 0 });
  });

  it('a move copies only while the source keeps its ETag, deletes the source, and moves the journal row', async () => {
    const { runtime, sync, pair, root } = setup();
    const data = randomBytesFor('move', 40 * KiB);
    const etag = await putObject(`${pair.prefix}old/name.txt`, data);
    // The new name is taken by something else: the move replaces it (the condition is on
    // the source, not the target).
    await putObject(`${pair.prefix}new/name.txt`, Buffer.from('in the way'));
    sync.journalPut(pair.id, synced('old/name.txt', etag, oracleCrc64(data)));
    const local = path.join(root, 'new/name.txt');
    await writeRandomFile(local, 40 * KiB, 'move');
    const recorder = recordRequests(oss);
    const [job] = await run(runtime, [
      {
        kind: 'copy',
        bucket: BUCKET,
        key: `${pair.prefix}new/name.txt`,
        sourceKey: `${pair.prefix}old/name.txt`,
        size: data.length,
        expectEtag: etag,
        deleteSource: true,
        source: identityOf(local),
        pair: { pairId: pair.id, path: 'new/name.txt', journal: 'put', sourcePath: 'old/name.txt' },
      },
    ]);
    recorder.stop();
    expect([job?.state, job?.error]).toEqual(['done', null]);
    expect(recorder.requests.map((r) => `${r.op} ${r.key} ${r.status}`)).toEqual([
      `CopyObject ${pair.prefix}new/name.txt 200`,
      `DeleteObject ${pair.prefix}old/name.txt 204`,
    ]);
    expect(await head(`${pair.prefix}old/name.txt`)).toBeUndefined();
    const object = await expectObjectMatches(client, BUCKET, `${pair.prefix}new/name.txt`, local);
    expect(object.etag).toBe(etag);
    expect(sync.journalGet(pair.id, 'old/name.txt')).toBeUndefined();
    expect(sync.journalGet(pair.id, 'new/name.txt')).toMatchObject({
      ...identityOf(local),
      crc64: object.crc64,
      remoteEtag: object.etag,
      remoteCrc64: object.crc64,
    });
  });

  it('a source that changed since it was planned fails the move with a clear error and deletes nothing', async () => {
    const { runtime, sync, pair } = setup();
    const key = `${pair.prefix}doc.txt`;
    const planned = await putObject(key, Buffer.from('version 1'));
    sync.journalPut(pair.id, synced('doc.txt', planned, '1'));
    // Someone else replaced it after the pass listed it.
    const current = await putObject(key, Buffer.from('version 2, not ours'));
    expect(current).not.toBe(planned);
    const recorder = recordRequests(oss);
    const [job] = await run(runtime, [
      {
        kind: 'copy',
        bucket: BUCKET,
        key: `${pair.prefix}.trash/doc.txt`,
        sourceKey: key,
        size: 9,
        expectEtag: planned,
        deleteSource: true,
        pair: { pairId: pair.id, path: 'doc.txt', journal: 'remove' },
      },
    ]);
    recorder.stop();
    expect(job?.state).toBe('failed');
    expect(job?.attempts).toBe(1);
    expect(job?.error?.code).toBe('precondition-failed');
    expect(job?.error?.message).toBe(
      `oss://${BUCKET}/${key} no longer has ETag ${planned}: it was changed or replaced since its copy to ${pair.prefix}.trash/doc.txt was planned, so nothing was copied.`,
    );
    expect(job?.error?.requestId).toMatch(/^[0-9A-F]{24}$/);
    expect(recorder.requests.map((r) => `${r.op} ${r.status} ${r.code}`)).toEqual([
      'CopyObject 412 PreconditionFailed',
    ]);
    expect((await head(key))?.etag).toBe(current);
    expect(await head(`${pair.prefix}.trash/doc.txt`)).toBeUndefined();
    expect(sync.journalGet(pair.id, 'doc.txt')?.remoteEtag).toBe(planned);
  });

  it('a retried move whose delete landed (its answer lost) finishes, from a HEAD of the target', async () => {
    const { runtime, sync, pair, root } = setup();
    const data = randomBytesFor('retried', 5 * KiB);
    const from = `${pair.prefix}a.txt`;
    const to = `${pair.prefix}b.txt`;
    const etag = await putObject(from, data);
    sync.journalPut(pair.id, synced('a.txt', etag, oracleCrc64(data)));
    const local = path.join(root, 'b.txt');
    await writeRandomFile(local, 5 * KiB, 'retried');
    oss.server.faults.setRules([
      {
        id: 'lost-delete',
        op: 'DeleteObject',
        key: from,
        times: 1,
        fault: { kind: 'drop-response' },
      },
    ]);
    const recorder = recordRequests(oss);
    const [job] = await run(runtime, [
      {
        kind: 'copy',
        bucket: BUCKET,
        key: to,
        sourceKey: from,
        size: data.length,
        expectEtag: etag,
        deleteSource: true,
        source: identityOf(local),
        pair: { pairId: pair.id, path: 'b.txt', journal: 'put', sourcePath: 'a.txt' },
      },
    ]);
    recorder.stop();
    expect([job?.state, job?.attempts, job?.error]).toEqual(['done', 2, null]);
    expect(recorder.requests.map((r) => `${r.op} ${r.key} ${r.status} ${r.code ?? ''}`)).toEqual([
      `CopyObject ${to} 200 `,
      // the server deleted it, then dropped the connection instead of answering
      `DeleteObject ${from} 0 DroppedResponse`,
      `CopyObject ${to} 404 NoSuchKey`,
      `HeadObject ${to} 200 `,
    ]);
    expect(await head(from)).toBeUndefined();
    const object = await expectObjectMatches(client, BUCKET, to, local);
    expect(job?.resultEtag).toBe(object.etag);
    expect(job?.resultCrc64).toBe(object.crc64);
    expect(sync.journalGet(pair.id, 'a.txt')).toBeUndefined();
    expect(sync.journalGet(pair.id, 'b.txt')).toMatchObject({
      ...identityOf(local),
      crc64: object.crc64,
      remoteEtag: object.etag,
    });
  });

  it('a move whose source vanished and whose target is not its copy fails (nothing to move)', async () => {
    const { runtime, sync, pair } = setup();
    await putObject(`${pair.prefix}target.txt`, Buffer.from('unrelated'));
    sync.journalPut(pair.id, synced('gone.txt', 'ABC', '1'));
    const [job] = await run(runtime, [
      {
        kind: 'copy',
        bucket: BUCKET,
        key: `${pair.prefix}target.txt`,
        sourceKey: `${pair.prefix}gone.txt`,
        expectEtag: 'ABC',
        deleteSource: true,
        source: { size: 1, mtimeNs: 1n, ino: 1n },
        pair: { pairId: pair.id, path: 'target.txt', journal: 'put', sourcePath: 'gone.txt' },
      },
    ]);
    expect(job?.state).toBe('failed');
    expect(job?.error?.code).toBe('no-such-key');
    expect(job?.error?.message).toMatch(
      new RegExp(`^oss://${BUCKET}/${pair.prefix}gone\\.txt does not exist \\(NoSuchKey\\)`),
    );
    expect(sync.journalGet(pair.id, 'gone.txt')).toBeDefined();
    expect(sync.journalGet(pair.id, 'target.txt')).toBeUndefined();
  });

  it('a delete removes the journal row, but not an object someone changed since', async () => {
    const { runtime, sync, pair } = setup();
    const plannedA = await putObject(`${pair.prefix}a`, Buffer.from('a'));
    const plannedB = await putObject(`${pair.prefix}b`, Buffer.from('b'));
    sync.journalPutMany(pair.id, [synced('a', plannedA, '1'), synced('b', plannedB, '2')]);
    const changedB = await putObject(`${pair.prefix}b`, Buffer.from('b, edited remotely'));
    const [a, b] = await run(
      runtime,
      ['a', 'b'].map((p, i) => ({
        kind: 'delete',
        bucket: BUCKET,
        key: pair.prefix + p,
        expectEtag: i === 0 ? plannedA : plannedB,
        pair: { pairId: pair.id, path: p, journal: 'remove' },
      })),
    );
    expect([a?.state, a?.error]).toEqual(['done', null]);
    expect(await head(`${pair.prefix}a`)).toBeUndefined();
    expect(sync.journalGet(pair.id, 'a')).toBeUndefined();
    expect(b?.state).toBe('failed');
    expect(b?.error?.code).toBe('precondition-failed');
    expect(b?.error?.message).toMatch(
      /changed since its deletion was planned.*so it was not deleted/,
    );
    expect((await head(`${pair.prefix}b`))?.etag).toBe(changedB);
    expect(sync.journalGet(pair.id, 'b')?.remoteEtag).toBe(plannedB);
  });

  it('a trash move of unknown size learns it from a HEAD, then moves and forgets the path', async () => {
    const { runtime, sync, pair } = setup();
    const data = randomBytesFor('trash', 3 * KiB);
    const key = `${pair.prefix}old.txt`;
    const trash = `${pair.prefix}.ossync-trash/old.txt`;
    const etag = await putObject(key, data);
    sync.journalPut(pair.id, synced('old.txt', etag, oracleCrc64(data)));
    const recorder = recordRequests(oss);
    const [job] = await run(runtime, [
      {
        kind: 'copy',
        bucket: BUCKET,
        key: trash,
        sourceKey: key,
        expectEtag: etag,
        deleteSource: true,
        pair: { pairId: pair.id, path: 'old.txt', journal: 'remove' },
      },
    ]);
    recorder.stop();
    expect([job?.state, job?.error]).toEqual(['done', null]);
    expect(recorder.requests.map((r) => `${r.op} ${r.key}`)).toEqual([
      `HeadObject ${key}`,
      `CopyObject ${trash}`,
      `DeleteObject ${key}`,
    ]);
    expect(await head(key)).toBeUndefined();
    expect(await head(trash)).toEqual({ etag, crc64: oracleCrc64(data) });
    expect(sync.journalGet(pair.id, 'old.txt')).toBeUndefined();
    expect(sync.journalCount(pair.id)).toBe(0);
  });
});
