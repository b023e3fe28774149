import {
  closeSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  ftruncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../../main/core/db/database.js';
import { SyncStore } from '../../../../main/core/db/sync-store.js';
import { findRename } from '../../../../main/core/sync/renames.js';
import type { LocalEntry, PairConfig } from '../../../../main/core/sync/types.js';

describe('findRename', () => {
  let dir: string;
  let db: Db;
  let sync: SyncStore;
  let pair: PairConfig;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'renames-'));
    db = openDatabase(path.join(dir, 'state.db'));
    sync = new SyncStore(db);
    pair = sync.addPair({ localRoot: dir, bucket: 'bkt', prefix: 'p/', mode: 'mirror' });
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A sparse file of `size` bytes: its identity without writing its bytes. */
  function sparse(rel: string, size: number): void {
    const fd = openSync(path.join(dir, rel), 'w');
    ftruncateSync(fd, size);
    closeSync(fd);
  }

  function localEntry(rel: string): LocalEntry {
    const stat = statSync(path.join(dir, rel), { bigint: true });
    return {
      path: rel,
      fsPath: rel,
      size: Number(stat.size),
      mtimeNs: stat.mtimeNs,
      ino: stat.ino,
    };
  }

  it('finds the rename of a file over 1 GB by inode, size and mtime (a move in parts follows)', async () => {
    const size = 3 * 1024 ** 3 + 5;
    sparse('old.iso', size);
    const before = localEntry('old.iso');
    sync.journalPut(pair.id, {
      path: 'old.iso',
      size,
      mtimeNs: before.mtimeNs,
      ino: before.ino,
      crc64: '1',
      remoteEtag: 'E-300',
      remoteCrc64: '1',
      syncedAt: 1,
    });
    renameSync(path.join(dir, 'old.iso'), path.join(dir, 'new.iso'));
    const hash = (): Promise<string | undefined> => {
      throw new Error('an inode match needs no hash');
    };
    const found = await findRename(sync, pair, localEntry('new.iso'), new Set(), hash);
    expect(found?.path).toBe('old.iso');
    // A source already taken in this pass is not offered twice.
    expect(
      await findRename(sync, pair, localEntry('new.iso'), new Set(['old.iso']), hash),
    ).toBeUndefined();
  });
});
