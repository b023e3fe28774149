import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountStore } from '../../../../main/core/db/account-store.js';
import { openDatabase, type Db } from '../../../../main/core/db/database.js';
import { SyncStore } from '../../../../main/core/db/sync-store.js';

/** Migration 5: removing the newest row no longer hands its id to the next one. */
describe('ids are never reused', () => {
  let dir: string;
  let db: Db;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ids-'));
    db = openDatabase(path.join(dir, 'state.db'));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accounts', () => {
    const accounts = new AccountStore(db);
    const account = (name: string) =>
      accounts.add({
        kind: 'aliyun',
        name,
        endpoint: null,
        region: 'oss-cn-hangzhou',
        defaultBucket: null,
        accessKeyId: 'LTAIexample',
        pathStyle: false,
        authorizationV4: true,
        hasSecret: false,
        hasSecurityToken: false,
        securityTokenExpiresAt: null,
        createdAt: 1,
      });
    const a = account('a');
    const b = account('b');
    expect(b.id).toBe(a.id + 1);
    accounts.remove(b.id);
    const c = account('c');
    expect(c.id).toBe(b.id + 1);
    accounts.remove(c.id);
    accounts.remove(a.id);
    // Empty table: still above everything ever removed, and the database survives a reopen.
    db.close();
    db = openDatabase(path.join(dir, 'state.db'));
    expect(new AccountStore(db).list()).toEqual([]);
    const d = new AccountStore(db).add({ ...c, name: 'd' });
    expect(d.id).toBe(c.id + 1);
  });

  it('pairs and conflicts', () => {
    const sync = new SyncStore(db, () => 1);
    const first = sync.addPair({ localRoot: '/data/a', bucket: 'bkt', prefix: 'a/' });
    const second = sync.addPair({ localRoot: '/data/b', bucket: 'bkt', prefix: 'b/' });
    const conflict = (pairId: number) =>
      sync.addConflict(pairId, {
        path: 'x.txt',
        keptAs: null,
        resolution: 'local-won',
        remoteEtag: null,
        at: 1,
      });
    const c1 = conflict(second.id);
    sync.removePair(second.id);
    const third = sync.addPair({ localRoot: '/data/c', bucket: 'bkt', prefix: 'c/' });
    expect(third.id).toBe(second.id + 1);
    // The removed pair's conflicts went with it; their ids are not handed out again.
    expect(conflict(third.id)).toBe(c1 + 1);
    expect(first.id).toBeLessThan(second.id);
  });
});
