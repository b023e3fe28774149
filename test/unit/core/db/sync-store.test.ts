import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../../main/core/db/database.js';
import { JobStore } from '../../../../main/core/db/job-store.js';
import { SyncStore } from '../../../../main/core/db/sync-store.js';
import { CoreError } from '../../../../main/core/errors.js';
import type { JournalEntry, NewPair } from '../../../../main/core/sync/types.js';

describe('SyncStore', () => {
  let dir: string;
  let db: Db;
  let now: number;
  let store: SyncStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sync-store-'));
    db = openDatabase(path.join(dir, 'state.db'));
    now = 5_000_000;
    store = new SyncStore(db, () => now);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const newPair = (root: string, extra: Partial<NewPair> = {}): NewPair => ({
    localRoot: root,
    bucket: 'bkt',
    prefix: 'photos/',
    ...extra,
  });

  const entry = (p: string, extra: Partial<JournalEntry> = {}): JournalEntry => ({
    path: p,
    size: 10,
    mtimeNs: 1_700_000_000_123_456_789n,
    ino: 18_446_744_073_709_551_000n, // past 2^63: stored as text, not an integer
    crc64: '12345678901234567890',
    remoteEtag: 'ETAG',
    remoteCrc64: '12345678901234567890',
    syncedAt: now,
    ...extra,
  });

  describe('pairs', () => {
    it('adds a pair with defaults, reads it back, pages the list', () => {
      const a = store.addPair(newPair('/data/a'));
      expect(a).toEqual({
        id: a.id,
        localRoot: '/data/a',
        bucket: 'bkt',
        prefix: 'photos/',
        mode: 'backup',
        deleteMode: 'trash',
        ignore: [],
        followSymlinks: false,
        trashRetentionDays: 30,
        deleteGuard: { maxFraction: 0.5, maxCount: 1000 },
        paused: false,
        createdAt: now,
      });
      const b = store.addPair(
        newPair('/data/b', {
          prefix: '',
          mode: 'mirror',
          deleteMode: 'permanent',
          ignore: ['*.log', 'build/'],
          followSymlinks: true,
          trashRetentionDays: 7,
          deleteGuard: { maxFraction: 0.1, maxCount: 5 },
        }),
      );
      expect(store.getPair(b.id)).toEqual(b);
      expect(store.getPair(999)).toBeUndefined();
      expect(store.listPairs()).toEqual([a, b]);
      expect(store.listPairs(0, 1)).toEqual([a]);
      expect(store.listPairs(a.id, 1)).toEqual([b]);
    });

    it('refuses a folder that is already paired, naming the existing pair', () => {
      const a = store.addPair(newPair('/data/a'));
      let error: unknown;
      try {
        store.addPair(newPair('/data/a', { bucket: 'other', prefix: '' }));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(CoreError);
      expect((error as CoreError).message).toBe(
        `The folder /data/a is already synced with oss://bkt/photos/ (pair ${a.id}): remove that pair first, or choose another folder.`,
      );
      expect(store.listPairs()).toHaveLength(1);
    });

    it('refuses settings the sync cannot work with', () => {
      expect(() => store.addPair(newPair('relative/dir'))).toThrow(/absolute path/);
      expect(() => store.addPair(newPair('/d', { prefix: 'no-slash' }))).toThrow(
        /must be empty or end with "\/"/,
      );
      expect(() => store.addPair(newPair('/d', { bucket: '' }))).toThrow(/bucket name is empty/);
      expect(() =>
        store.addPair(newPair('/d', { deleteGuard: { maxFraction: 2, maxCount: 1 } })),
      ).toThrow(/between 0 and 1/);
      expect(() => store.addPair(newPair('/d', { trashRetentionDays: 0 }))).toThrow(/at least 1/);
      expect(store.listPairs()).toEqual([]);
    });

    it('updates settings, pauses, records the last sync', () => {
      const a = store.addPair(newPair('/data/a'));
      const updated = store.updatePair(a.id, {
        mode: 'mirror',
        ignore: ['x'],
        deleteGuard: { maxFraction: 0.25, maxCount: 10 },
      });
      expect(updated).toMatchObject({
        mode: 'mirror',
        ignore: ['x'],
        deleteGuard: { maxFraction: 0.25, maxCount: 10 },
        localRoot: '/data/a',
      });
      expect(store.getPair(a.id)).toEqual(updated);
      expect(() => store.updatePair(a.id, { deleteMode: 'bogus' as never })).toThrow(
        /unknown delete mode/,
      );
      expect(store.updatePair(999, { mode: 'backup' })).toBeUndefined();

      store.setPaused(a.id, true);
      expect(store.getPair(a.id)?.paused).toBe(true);
      store.setPaused(a.id, false);
      expect(store.getPair(a.id)?.paused).toBe(false);

      expect(store.lastSynced(a.id)).toBeNull();
      store.setLastSynced(a.id, 42);
      expect(store.lastSynced(a.id)).toBe(42);
    });

    it('removing a pair removes its journal, issues, conflicts and pending deletes, and unlinks its jobs', () => {
      const a = store.addPair(newPair('/data/a'));
      const b = store.addPair(newPair('/data/b'));
      for (const pair of [a, b]) {
        store.journalPutMany(pair.id, [entry('x'), entry('y')]);
        store.setIssue(pair.id, { path: 'x', code: 'unreadable', message: 'EACCES' });
        store.addConflict(pair.id, {
          path: 'y',
          keptAs: null,
          resolution: 'local-won',
          remoteEtag: 'E',
          at: now,
        });
        store.addPendingDeletes(pair.id, [{ path: 'z', etag: 'E', size: 1 }]);
      }
      const jobs = new JobStore(db, () => now);
      const [jobId] = jobs.add([
        {
          kind: 'upload',
          bucket: 'bkt',
          key: 'photos/x',
          localPath: '/data/a/x',
          pair: { pairId: a.id, path: 'x', journal: 'put' },
        },
      ]) as [number];

      expect(store.removePair(a.id)).toBe(true);
      expect(store.removePair(a.id)).toBe(false);
      expect(store.getPair(a.id)).toBeUndefined();
      expect(store.journalCount(a.id)).toBe(0);
      expect(store.countIssues(a.id)).toBe(0);
      expect(store.countConflicts(a.id)).toBe(0);
      expect(store.countPendingDeletes(a.id)).toBe(0);
      // A job of the removed pair stays as a plain transfer: finishing it writes no journal.
      expect(jobs.get(jobId)?.pair).toBeNull();
      jobs.claim(1);
      jobs.finish(jobId, {
        etag: 'E',
        crc64: '1',
        source: { size: 1, mtimeNs: 1n, ino: 1n },
      });
      expect(jobs.get(jobId)?.state).toBe('done');
      // The other pair is untouched.
      expect(store.journalCount(b.id)).toBe(2);
      expect(store.countIssues(b.id)).toBe(1);
      expect(store.countConflicts(b.id)).toBe(1);
      expect(store.countPendingDeletes(b.id)).toBe(1);
    });
  });

  describe('journal', () => {
    let pairId: number;
    beforeEach(() => {
      pairId = store.addPair(newPair('/data/a')).id;
    });

    it('puts, gets, replaces and removes entries with exact bigints', () => {
      const e = entry('dir/file.txt');
      store.journalPut(pairId, e);
      expect(store.journalGet(pairId, 'dir/file.txt')).toEqual(e);
      const changed = entry('dir/file.txt', { size: 11, crc64: '7', remoteEtag: 'E2' });
      store.journalPut(pairId, changed);
      expect(store.journalGet(pairId, 'dir/file.txt')).toEqual(changed);
      expect(store.journalCount(pairId)).toBe(1);
      store.journalRemove(pairId, 'dir/file.txt');
      expect(store.journalGet(pairId, 'dir/file.txt')).toBeUndefined();
      expect(store.journalCount(pairId)).toBe(0);
    });

    it('pages in UTF-8 byte order between exclusive bounds', () => {
      // Byte order, not JS (UTF-16) order: U+FF5E sorts before U+1F600 in UTF-8 but after
      // it in UTF-16; '/' (0x2F) sorts before '0' and after '-' and ' '.
      const paths = ['a b', 'a-b', 'a/b', 'a0', 'A', 'é', '\uff5e', '\u{1f600}', 'z'];
      store.journalPutMany(
        pairId,
        paths.map((p) => entry(p)),
      );
      const byteOrder = [...paths].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect(byteOrder).not.toEqual([...paths].sort());

      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = store.journalPage(pairId, {
          ...(after === undefined ? {} : { after }),
          limit: 2,
        });
        if (page.length === 0) break;
        seen.push(...page.map((e) => e.path));
        after = page[page.length - 1]?.path;
        // A write between pages is fine (no statement is left iterating).
        store.journalPut(pairId, entry('zz-written-while-paging'));
      }
      // Written after the first page, ahead of the cursor: the paging sees it in its place.
      expect(seen).toEqual(
        [...byteOrder, 'zz-written-while-paging'].sort((x, y) =>
          Buffer.compare(Buffer.from(x), Buffer.from(y)),
        ),
      );

      expect(
        store.journalPage(pairId, { after: 'a b', before: 'a0', limit: 10 }).map((e) => e.path),
      ).toEqual(['a-b', 'a/b']);
      expect(store.journalPage(pairId, { before: 'a-b', limit: 10 }).map((e) => e.path)).toEqual([
        'A',
        'a b',
      ]);
    });

    it('finds candidates for rename detection by inode and by size', () => {
      store.journalPutMany(pairId, [
        entry('a', { ino: 7n, size: 100 }),
        entry('b', { ino: 7n, size: 200 }),
        entry('c', { ino: 8n, size: 100 }),
        entry('d', { ino: 9n, size: 100 }),
      ]);
      const other = store.addPair(newPair('/data/other')).id;
      store.journalPut(other, entry('a', { ino: 7n, size: 100 }));

      expect(
        store
          .journalFindByIno(pairId, 7n)
          .map((e) => e.path)
          .sort(),
      ).toEqual(['a', 'b']);
      expect(store.journalFindByIno(pairId, 10n)).toEqual([]);
      expect(
        store
          .journalFindBySize(pairId, 100, 10)
          .map((e) => e.path)
          .sort(),
      ).toEqual(['a', 'c', 'd']);
      expect(store.journalFindBySize(pairId, 100, 2)).toHaveLength(2);
    });

    it('pages and clears by index ranges, never a scan of the pair', () => {
      const plan = (sql: string): string =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
          .map((row) => row.detail)
          .join('; ');
      expect(
        plan(
          `SELECT * FROM journal WHERE pair_id = 1 AND path > 'a' AND path < 'b' ORDER BY path LIMIT 5`,
        ),
      ).toMatch(/USING PRIMARY KEY \(pair_id=\? AND path>\? AND path<\?\)/);
      expect(
        plan(`DELETE FROM sync_issues WHERE pair_id = 1 AND path >= 'd/' AND path < 'd0'`),
      ).toMatch(/USING PRIMARY KEY \(pair_id=\? AND path>\? AND path<\?\)/);
    });
  });

  describe('issues', () => {
    let pairId: number;
    beforeEach(() => {
      pairId = store.addPair(newPair('/data/a')).id;
    });

    it('upserts one issue per path and code, clears by path or code, counts paths', () => {
      store.setIssue(pairId, { path: 'a', code: 'unreadable', message: 'EACCES' });
      now += 10;
      store.setIssue(pairId, { path: 'a', code: 'unreadable', message: 'EPERM' });
      store.setIssue(pairId, { path: 'a', code: 'transfer-failed', message: 'denied' });
      store.setIssue(pairId, { path: 'b', code: 'invalid-name', message: 'too long' });
      expect(store.issuesPage(pairId)).toEqual([
        { path: 'a', code: 'transfer-failed', message: 'denied', at: now },
        { path: 'a', code: 'unreadable', message: 'EPERM', at: now },
        { path: 'b', code: 'invalid-name', message: 'too long', at: now },
      ]);
      expect(store.countIssues(pairId)).toBe(2);

      const first = store.issuesPage(pairId, undefined, 2);
      expect(store.issuesPage(pairId, first[1], 2).map((i) => i.path)).toEqual(['b']);

      store.clearIssue(pairId, 'a', 'unreadable');
      expect(store.issuesPage(pairId).map((i) => `${i.path}:${i.code}`)).toEqual([
        'a:transfer-failed',
        'b:invalid-name',
      ]);
      store.clearIssue(pairId, 'a');
      expect(store.countIssues(pairId)).toBe(1);
    });

    it('clears a path and everything under it, not its siblings', () => {
      for (const p of ['d', 'd/x', 'd/sub/y', 'd-other', 'd.txt', 'd0', 'dd', 'c/d/x'])
        store.setIssue(pairId, { path: p, code: 'unreadable', message: '' });
      store.clearIssuesUnder(pairId, 'd');
      expect(store.issuesPage(pairId).map((i) => i.path)).toEqual([
        'c/d/x',
        'd-other',
        'd.txt',
        'd0',
        'dd',
      ]);
      store.clearIssuesUnder(pairId, '');
      expect(store.countIssues(pairId)).toBe(0);
    });
  });

  describe('conflicts and pending deletes', () => {
    let pairId: number;
    beforeEach(() => {
      pairId = store.addPair(newPair('/data/a')).id;
    });

    it('records conflicts and pages them oldest first', () => {
      const ids = ['a', 'b', 'c'].map((p, i) =>
        store.addConflict(pairId, {
          path: p,
          keptAs: i === 0 ? null : `photos/.ossync-conflicts/${p}`,
          resolution: i === 0 ? 'remote-kept' : 'local-won',
          remoteEtag: i === 0 ? null : `E${i}`,
          at: now + i,
        }),
      );
      expect(store.countConflicts(pairId)).toBe(3);
      const page = store.conflictsPage(pairId, 0, 2);
      expect(page).toEqual([
        {
          id: ids[0],
          path: 'a',
          keptAs: null,
          resolution: 'remote-kept',
          remoteEtag: null,
          at: now,
        },
        {
          id: ids[1],
          path: 'b',
          keptAs: 'photos/.ossync-conflicts/b',
          resolution: 'local-won',
          remoteEtag: 'E1',
          at: now + 1,
        },
      ]);
      expect(store.conflictsPage(pairId, page[1]?.id, 2).map((c) => c.path)).toEqual(['c']);
    });

    it('holds planned deletes: adds many in one go, pages, removes, forgets, clears', () => {
      const many = Array.from({ length: 1200 }, (_, i) => ({
        path: `f${String(i).padStart(4, '0')}`,
        etag: `E${i}`,
        size: i,
      }));
      store.addPendingDeletes(pairId, many);
      store.addPendingDeletes(pairId, [{ path: 'f0000', etag: 'NEW', size: 9 }]);
      expect(store.countPendingDeletes(pairId)).toBe(1200);
      const first = store.pendingDeletesPage(pairId, undefined, 2);
      expect(first).toEqual([
        { path: 'f0000', etag: 'NEW', size: 9 },
        { path: 'f0001', etag: 'E1', size: 1 },
      ]);
      expect(store.pendingDeletesPage(pairId, 'f0001', 1)).toEqual([
        { path: 'f0002', etag: 'E2', size: 2 },
      ]);

      store.removePendingDelete(pairId, 'f0000');
      store.removePendingDeletes(pairId, ['f0001', 'f0002']);
      expect(store.countPendingDeletes(pairId)).toBe(1197);

      store.journalPutMany(pairId, [entry('f0003'), entry('f0004'), entry('keep')]);
      store.forgetPendingDeletes(pairId, ['f0003', 'f0004']);
      expect(store.countPendingDeletes(pairId)).toBe(1195);
      expect(store.journalGet(pairId, 'f0003')).toBeUndefined();
      expect(store.journalGet(pairId, 'keep')).toBeDefined();

      expect(store.clearPendingDeletes(pairId)).toBe(1195);
      expect(store.countPendingDeletes(pairId)).toBe(0);
    });
  });
});
