import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../../main/core/db/database.js';
import { JobStore, RUNNABLE_SQL } from '../../../../main/core/db/job-store.js';

describe('JobStore', () => {
  let dir: string;
  let db: Db;
  let now: number;
  let store: JobStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'job-store-'));
    db = openDatabase(path.join(dir, 'state.db'));
    now = 1_000_000;
    store = new JobStore(db, () => now);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const upload = (key: string, batch?: string) => ({
    kind: 'upload' as const,
    bucket: 'bkt',
    key,
    localPath: `/tmp/${key}`,
    batch,
  });

  it('adds jobs as queued and claims them in order, counting the attempt', () => {
    const ids = store.add([upload('a'), upload('b'), upload('c')]);
    expect(ids).toHaveLength(3);
    const claimed = store.claim(2);
    expect(claimed.map((job) => job.key)).toEqual(['a', 'b']);
    expect(claimed.every((job) => job.state === 'running' && job.attempts === 1)).toBe(true);
    expect(store.claim(5).map((job) => job.key)).toEqual(['c']);
    expect(store.claim(5)).toEqual([]);
    expect(store.counts()).toMatchObject({ running: 3, queued: 0 });
  });

  it('keeps a retry schedule: a waiting job is not claimed before its time', () => {
    const [id] = store.add([upload('a')]) as [number];
    store.claim(1);
    store.retryAt(id, now + 5000, { code: 'server-error', message: 'boom', requestId: 'R1' });
    expect(store.claim(1)).toEqual([]);
    expect(store.nextDueAt()).toBe(now + 5000);
    expect(store.get(id)).toMatchObject({
      state: 'waiting-retry',
      error: { code: 'server-error', message: 'boom', requestId: 'R1' },
    });
    now += 5000;
    const [again] = store.claim(1);
    expect(again).toMatchObject({ id, attempts: 2, state: 'running' });
  });

  it('finishes a job, clearing its parts and resumable state', () => {
    const [id] = store.add([upload('a')]) as [number];
    store.claim(1);
    store.setUpload(id, {
      uploadId: 'U1',
      partSize: 100,
      source: { size: 300, mtimeNs: 123n, ino: 7n },
    });
    store.addPart(id, { partNumber: 1, size: 100, etag: 'E1', crc64: '1' }, 100);
    expect(store.get(id)).toMatchObject({
      uploadId: 'U1',
      partSize: 100,
      bytesDone: 100,
      source: { size: 300, mtimeNs: 123n, ino: 7n },
    });
    expect(store.ownedUploads()).toEqual([{ jobId: id, bucket: 'bkt', key: 'a', uploadId: 'U1' }]);
    store.finish(id, { etag: 'X-3', crc64: '42' });
    expect(store.get(id)).toMatchObject({
      state: 'done',
      uploadId: null,
      resultEtag: 'X-3',
      resultCrc64: '42',
    });
    expect(store.parts(id)).toEqual([]);
    expect(store.ownedUploads()).toEqual([]);
  });

  it('fails a job for good; retry queues it again with a fresh count', () => {
    const [id] = store.add([upload('a')]) as [number];
    store.claim(1);
    store.fail(id, { code: 'access-denied', message: 'no' });
    expect(store.get(id)).toMatchObject({ state: 'failed', attempts: 1 });
    expect(store.claim(1)).toEqual([]);
    expect(store.retry(id)).toBe(true);
    expect(store.get(id)).toMatchObject({ state: 'queued', attempts: 0 });
  });

  it('requeues without spending an attempt, and recovers jobs a crash left running', () => {
    const [a, b] = store.add([upload('a'), upload('b')]) as [number, number];
    store.claim(2);
    store.requeue(a);
    expect(store.get(a)).toMatchObject({ state: 'queued', attempts: 0 });
    expect(store.recoverInterrupted()).toBe(1);
    expect(store.get(b)).toMatchObject({ state: 'queued', attempts: 1 });
  });

  it('pauses and resumes waiting jobs, counts and lists by batch', () => {
    store.add([upload('a', 'B1'), upload('b', 'B1'), upload('c', 'B2')]);
    expect(store.pauseAllWaiting()).toBe(3);
    expect(store.claim(5)).toEqual([]);
    expect(store.resumeAllPaused()).toBe(3);
    expect(store.counts('B1')).toMatchObject({ queued: 2 });
    expect(store.list({ batch: 'B1' }).map((job) => job.key)).toEqual(['a', 'b']);
    const page = store.list({ state: 'queued' }, 0, 2);
    expect(page).toHaveLength(2);
    expect(store.list({ state: 'queued' }, page[1]!.id, 2).map((job) => job.key)).toEqual(['c']);
  });

  it('state changes of a job that is no longer running are ignored (a cancel raced the finish)', () => {
    const [id] = store.add([upload('a')]) as [number];
    store.claim(1);
    store.setState(id, 'cancelled');
    store.finish(id, { etag: 'E' });
    store.retryAt(id, now, { code: 'network', message: 'x' });
    expect(store.get(id)?.state).toBe('cancelled');
  });

  it('survives reopening: jobs, parts and schedule are on disk', () => {
    const [id] = store.add([upload('a')]) as [number];
    store.claim(1);
    store.setUpload(id, {
      uploadId: 'U',
      partSize: 10,
      source: { size: 20, mtimeNs: 5n, ino: 9n },
    });
    store.addPart(id, { partNumber: 2, size: 10, etag: 'E2', crc64: '2' }, 10);
    db.close();
    db = openDatabase(path.join(dir, 'state.db'));
    store = new JobStore(db, () => now);
    expect(store.recoverInterrupted()).toBe(1);
    expect(store.parts(id)).toEqual([{ partNumber: 2, size: 10, etag: 'E2', crc64: '2' }]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('claims a page from 200,000 queued jobs without reading the rest', () => {
    const batch = Array.from({ length: 10_000 }, (_, i) => upload(`k${i}`));
    for (let i = 0; i < 20; i++) store.add(batch);
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${RUNNABLE_SQL}`).all(now, 10) as {
      detail: string;
    }[];
    // The partial index serves both the filter and the order: no sort, no full scan.
    expect(plan.map((row) => row.detail).join(' | ')).toMatch(/USING INDEX jobs_runnable/);
    expect(plan.map((row) => row.detail).join(' | ')).not.toMatch(/TEMP B-TREE/);
    expect(store.claim(10)).toHaveLength(10);
    expect(store.counts()).toMatchObject({ queued: 199_990, running: 10 });
  });
});
