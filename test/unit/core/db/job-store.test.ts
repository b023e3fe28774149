import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openDatabase, type Db } from '../../../../main/core/db/database.js';
import { JobStore, RUNNABLE_SQL } from '../../../../main/core/db/job-store.js';
import type { NewJob, SourceIdentity } from '../../../../main/core/db/job-types.js';
import { MIGRATIONS } from '../../../../main/core/db/migrations.js';
import { SyncStore } from '../../../../main/core/db/sync-store.js';
import { CoreError } from '../../../../main/core/errors.js';
import type { JournalEntry } from '../../../../main/core/sync/types.js';

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

  it('records the upload of a copy in parts without touching the file identity it carries', () => {
    const source = { size: 5_000_000_000, mtimeNs: 1_700_000_000_000_000_001n, ino: 99n };
    const [id] = store.add([
      { kind: 'copy', bucket: 'bkt', key: 'new', sourceKey: 'old', source },
    ]) as [number];
    store.claim(1);
    store.setCopyUpload(id, { uploadId: 'C1', partSize: 64 });
    expect(store.get(id)).toMatchObject({ uploadId: 'C1', partSize: 64, source });
    expect(store.ownedUploads()).toEqual([
      { jobId: id, bucket: 'bkt', key: 'new', uploadId: 'C1' },
    ]);
    store.setCopyUpload(id, null);
    expect(store.get(id)).toMatchObject({ uploadId: null, partSize: null, source });
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

  describe('jobs of folder pairs', () => {
    let sync: SyncStore;
    let pairId: number;
    const identity: SourceIdentity = {
      size: 3,
      mtimeNs: 1_700_000_000_000_000_001n,
      ino: 2n ** 63n + 5n,
    };

    beforeEach(() => {
      sync = new SyncStore(db, () => now);
      pairId = sync.addPair({
        localRoot: '/data/a',
        bucket: 'bkt',
        prefix: 'p/',
        mode: 'mirror',
      }).id;
    });

    const synced = (p: string): JournalEntry => ({
      path: p,
      size: 3,
      mtimeNs: 1n,
      ino: 1n,
      crc64: '111',
      remoteEtag: 'OLD',
      remoteCrc64: '111',
      syncedAt: 1,
    });
    const uploadOf = (p: string): NewJob => ({
      kind: 'upload',
      bucket: 'bkt',
      key: `p/${p}`,
      localPath: `/data/a/${p}`,
      pair: { pairId, path: p, journal: 'put' },
    });
    const moveOf = (from: string, to: string): NewJob => ({
      kind: 'copy',
      bucket: 'bkt',
      key: `p/${to}`,
      sourceKey: `p/${from}`,
      size: 3,
      source: identity,
      deleteSource: true,
      expectEtag: 'OLD',
      pair: { pairId, path: to, journal: 'put', sourcePath: from },
    });
    const deleteOf = (p: string): NewJob => ({
      kind: 'delete',
      bucket: 'bkt',
      key: `p/${p}`,
      expectEtag: 'OLD',
      pair: { pairId, path: p, journal: 'remove' },
    });

    it('stores the pair link, identity, condition and move flag of a job', () => {
      const [id] = store.add([moveOf('old.txt', 'new.txt')]) as [number];
      expect(store.get(id)).toMatchObject({
        pair: { pairId, path: 'new.txt', journal: 'put', sourcePath: 'old.txt' },
        source: identity,
        remoteEtag: 'OLD',
        deleteSource: true,
      });
      const [plain] = store.add([upload('x')]) as [number];
      expect(store.get(plain)).toMatchObject({ pair: null, deleteSource: false, source: null });
    });

    it("an upload's finish records what it read, the server's CRC64 and ETag, in the journal", () => {
      sync.journalPut(pairId, synced('a.txt'));
      const [id] = store.add([uploadOf('a.txt')]) as [number];
      store.claim(1);
      now += 1000;
      store.finish(id, { etag: 'NEW', crc64: '999', source: identity });
      expect(store.get(id)).toMatchObject({ state: 'done', source: identity });
      expect(sync.journalGet(pairId, 'a.txt')).toEqual({
        path: 'a.txt',
        ...identity,
        crc64: '999',
        remoteEtag: 'NEW',
        remoteCrc64: '999',
        syncedAt: now,
      });
    });

    it('a move records the new path with the identity given at add, and removes the old row', () => {
      sync.journalPut(pairId, synced('old.txt'));
      const [id] = store.add([moveOf('old.txt', 'new.txt')]) as [number];
      store.claim(1);
      store.finish(id, { etag: 'OLD', crc64: '111' });
      expect(sync.journalGet(pairId, 'old.txt')).toBeUndefined();
      expect(sync.journalGet(pairId, 'new.txt')).toMatchObject({
        ...identity,
        crc64: '111',
        remoteEtag: 'OLD',
      });
      expect(sync.journalCount(pairId)).toBe(1);
    });

    it("a delete (or a trash move) removes the path's row", () => {
      sync.journalPutMany(pairId, [synced('gone.txt'), synced('trashed.txt'), synced('kept.txt')]);
      const [del, trash] = store.add([
        deleteOf('gone.txt'),
        {
          kind: 'copy',
          bucket: 'bkt',
          key: 'p/.ossync-trash/trashed.txt',
          sourceKey: 'p/trashed.txt',
          deleteSource: true,
          expectEtag: 'OLD',
          pair: { pairId, path: 'trashed.txt', journal: 'remove' },
        },
      ]) as [number, number];
      store.claim(2);
      store.finish(del, { etag: '', crc64: '' });
      store.finish(trash, { etag: 'OLD', crc64: '111' });
      expect(sync.journalGet(pairId, 'gone.txt')).toBeUndefined();
      expect(sync.journalGet(pairId, 'trashed.txt')).toBeUndefined();
      expect(sync.journalGet(pairId, 'kept.txt')).toBeDefined();
    });

    it('a job that fails, waits, is cancelled or loses a race with a cancel leaves the journal alone', () => {
      sync.journalPutMany(pairId, [synced('a'), synced('b'), synced('c'), synced('d')]);
      const before = sync.journalPage(pairId, { limit: 10 });
      const [a, b, c, d] = store.add([
        uploadOf('a'),
        deleteOf('b'),
        moveOf('c', 'c2'),
        uploadOf('d'),
      ]) as [number, number, number, number];
      store.claim(4);
      store.fail(a, { code: 'access-denied', message: 'no' });
      store.retryAt(b, now + 1000, { code: 'network', message: 'later' });
      store.setState(c, 'cancelled');
      store.finish(c, { etag: 'OLD', crc64: '111' });
      store.requeue(d, 'paused');
      store.finish(d, { etag: 'E', crc64: '1', source: identity });
      expect(sync.journalPage(pairId, { limit: 10 })).toEqual(before);
      expect(store.get(c)?.state).toBe('cancelled');
      expect(store.get(d)?.state).toBe('paused');
    });

    it("a 'put' without an identity or a CRC64 writes no half row: the finish throws and changes nothing", () => {
      sync.journalPut(pairId, synced('a'));
      const [id] = store.add([uploadOf('a')]) as [number];
      store.claim(1);
      expect(() => store.finish(id, { etag: 'E', crc64: '5' })).toThrow(CoreError);
      expect(() => store.finish(id, { etag: 'E', crc64: '', source: identity })).toThrow(
        /finished without the CRC64, so the sync journal cannot record "a"/,
      );
      expect(() => store.finish(id, { crc64: '5', source: identity })).toThrow(/without the ETag/);
      // Rolled back: still running, nothing recorded; it can still finish properly.
      expect(store.get(id)?.state).toBe('running');
      expect(sync.journalGet(pairId, 'a')).toEqual(synced('a'));
      store.finish(id, { etag: 'E', crc64: '5', source: identity });
      expect(sync.journalGet(pairId, 'a')).toMatchObject({ crc64: '5', remoteEtag: 'E' });
    });

    it('refuses pair links that could never record a correct journal row', () => {
      const bad: NewJob[] = [
        { ...moveOf('a', 'b'), source: undefined },
        { ...uploadOf('a'), pair: { pairId, path: 'a', journal: 'remove' } },
        { ...deleteOf('a'), pair: { pairId, path: 'a', journal: 'put' } },
        {
          kind: 'download',
          bucket: 'bkt',
          key: 'p/a',
          localPath: '/x',
          pair: { pairId, path: 'a', journal: 'put' },
        },
        { ...uploadOf('a'), deleteSource: true },
        { ...uploadOf('a'), expectEtag: 'E' },
        { ...uploadOf('a'), pair: { pairId, path: '', journal: 'put' } },
      ];
      bad.forEach((job, i) => expect(() => store.add([job]), `case ${i}`).toThrow(CoreError));
      expect(store.counts().queued).toBe(0);
      // Unknown pairs are refused by the foreign key.
      expect(() =>
        store.add([{ ...uploadOf('a'), pair: { pairId: 999, path: 'a', journal: 'put' } }]),
      ).toThrow(/FOREIGN KEY/);
    });

    it('knows which paths have unfinished jobs (a move busies its old path too) and what is pending', () => {
      const [up, move, del] = store.add([
        { ...uploadOf('big.bin'), size: 1000 },
        moveOf('old', 'new'),
        deleteOf('gone'),
      ]) as [number, number, number];
      expect(store.hasUnfinishedJob(pairId, 'big.bin')).toBe(true);
      expect(store.hasUnfinishedJob(pairId, 'new')).toBe(true);
      expect(store.hasUnfinishedJob(pairId, 'old')).toBe(true);
      expect(store.hasUnfinishedJob(pairId, 'gone')).toBe(true);
      expect(store.hasUnfinishedJob(pairId, 'other')).toBe(false);
      expect(store.hasUnfinishedJob(pairId + 1, 'big.bin')).toBe(false);
      // Copies and deletes move no bytes through this computer.
      expect(store.pairPending(pairId)).toEqual({ files: 3, bytes: 1000 });

      store.claim(3);
      store.addPart(up, { partNumber: 1, size: 400, etag: 'E', crc64: '1' }, 400);
      expect(store.pairPending(pairId)).toEqual({ files: 3, bytes: 600 });
      store.finish(move, { etag: 'OLD', crc64: '111' });
      expect(store.hasUnfinishedJob(pairId, 'new')).toBe(false);
      expect(store.hasUnfinishedJob(pairId, 'old')).toBe(false);
      store.fail(del, { code: 'access-denied', message: 'denied' });
      expect(store.hasUnfinishedJob(pairId, 'gone')).toBe(false);
      expect(store.pairPending(pairId)).toEqual({ files: 1, bytes: 600 });
      expect(store.unfinishedJobsOfPair(pairId)).toEqual([up]);
      expect(store.unfinishedJobsOfPair(pairId + 1)).toEqual([]);
    });

    it("pages a pair's failed jobs by path", () => {
      const ids = store.add(['c', 'a', 'b', 'a'].map((p) => uploadOf(p)));
      store.add([upload('not-a-pair-job')]);
      const claimed = store.claim(10);
      for (const job of claimed)
        store.fail(job.id, { code: 'access-denied', message: `no ${job.key}` });
      const first = store.pairFailedJobs(pairId, undefined, 3);
      expect(first.map((job) => [job.pair?.path, job.id])).toEqual([
        ['a', ids[1]],
        ['a', ids[3]],
        ['b', ids[2]],
      ]);
      const last = first[2]!;
      expect(
        store
          .pairFailedJobs(pairId, { path: last.pair!.path, id: last.id }, 3)
          .map((job) => job.pair?.path),
      ).toEqual(['c']);
      expect(first[0]?.error).toEqual({ code: 'access-denied', message: 'no p/a' });
    });

    it('answers pair queries from its indexes', () => {
      const plan = (sql: string): string =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
          .map((r) => r.detail)
          .join(' | ');
      expect(
        plan(
          `SELECT id FROM jobs WHERE pair_id = 1 AND state IN ('queued', 'running', 'waiting-retry', 'paused') AND rel_path = 'x'`,
        ),
      ).toMatch(/USING (COVERING )?INDEX jobs_by_pair \(pair_id=\? AND state=\? AND rel_path=\?\)/);
      expect(plan(`SELECT id FROM jobs WHERE pair_id = 1 AND source_rel_path = 'x'`)).toMatch(
        /USING (COVERING )?INDEX jobs_by_pair_source/,
      );
    });

    it('survives a migration of a version-1 database with jobs in it', () => {
      db.close();
      const file = path.join(dir, 'v1.db');
      const v1 = new Database(file);
      v1.exec(MIGRATIONS[0] as string);
      v1.pragma('user_version = 1');
      v1.prepare(
        `INSERT INTO jobs (kind, state, bucket, key, next_attempt_at, created_at, updated_at) VALUES ('upload', 'queued', 'b', 'k', 0, 0, 0)`,
      ).run();
      v1.close();
      db = openDatabase(file);
      store = new JobStore(db, () => now);
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(store.list({ state: 'queued' })).toMatchObject([
        { key: 'k', pair: null, deleteSource: false },
      ]);
      expect(db.pragma('foreign_key_check')).toEqual([]);
    });
  });
});
