import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  mkdirSync,
  renameSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SyncMode } from '../../../../main/core/sync/types.js';
import { oracleCrc64, randomBytesFor, KiB, waitUntil } from '../../../helpers/engine.js';
import { startLocalOss, type LocalOss } from '../../../helpers/osslocal.js';
import { startSyncWorld, type SyncWorld } from '../../../helpers/sync.js';

// Nextcloud's FakeFolder scenarios, made real: a real folder, a real state database and the
// local OSS server. After every step the bucket (read back with an independent ali-oss
// client, CRC64 by an independent implementation) must hold exactly what the model says.

let oss: LocalOss;
let world: SyncWorld | undefined;
let pairs = 0;

beforeAll(async () => {
  oss = await startLocalOss();
});
afterAll(async () => {
  await oss.close();
});
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A world on the shared server, under a prefix of its own. */
async function start(options: Parameters<typeof startSyncWorld>[0] = {}): Promise<SyncWorld> {
  pairs++;
  world = await startSyncWorld({
    ...options,
    oss,
    pair: { prefix: `s${pairs}/`, ...options.pair },
  });
  return world;
}

/** Files every world starts with, so a delete or two stays far below the delete guard. */
const BASE: Record<string, string> = {
  'base/1.txt': 'base one',
  'base/2.txt': 'base two',
  'base/3.txt': 'base three',
  'base/4.txt': 'base four',
};

/**
 * What the bucket must hold after a sync: the folder in mirror; in backup, everything ever
 * synced with the last content the folder had (nothing is deleted).
 */
class Model {
  expected = new Map<string, string>();
  constructor(
    private readonly w: SyncWorld,
    private readonly mode: SyncMode,
  ) {}

  async check(what: string): Promise<void> {
    const folder = this.w.folder();
    this.expected = this.mode === 'mirror' ? folder : new Map([...this.expected, ...folder]);
    const bucket = await this.w.bucket();
    expect(sorted(bucket), `bucket after ${what}`).toEqual(sorted(this.expected));
  }
}

function sorted(map: Map<string, string>): [string, string][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Sets a file's mtime `secondsAgo` in the past (stable at once, distinct from the last sync). */
function age(file: string, secondsAgo: number): void {
  const at = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(file, at, at);
}

function ops(w: SyncWorld): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of w.writes()) counts[r.op] = (counts[r.op] ?? 0) + 1;
  return counts;
}

describe.each(['backup', 'mirror'] as const)('scenarios (%s)', (mode) => {
  it('create, modify, same-size change, append, truncate, delete', async () => {
    const w = await start({ pair: { mode }, files: BASE });
    const m = new Model(w, mode);
    await w.sync();
    await m.check('the first sync');

    w.write('a.txt', 'alpha');
    w.write('dir/b.txt', 'bravo');
    w.write('dir/sub/c.bin', randomBytesFor('c', 300 * KiB));
    await w.sync();
    await m.check('create');

    w.write('a.txt', 'alpha, longer now');
    await w.sync();
    await m.check('modify');

    // Same size, new content, new mtime: the size alone cannot tell.
    w.write('dir/b.txt', 'BRAVO');
    age(path.join(w.root, 'dir/b.txt'), 30);
    await w.sync();
    await m.check('a same-size change');
    expect(m.expected.get('dir/b.txt')).toBe(oracleCrc64(Buffer.from('BRAVO')));

    appendFileSync(path.join(w.root, 'dir/sub/c.bin'), randomBytesFor('c2', 10 * KiB));
    await w.sync();
    await m.check('append');

    truncateSync(path.join(w.root, 'a.txt'), 0);
    await w.sync();
    await m.check('truncate to 0');
    expect(m.expected.get('a.txt')).toBe(oracleCrc64(Buffer.alloc(0)));

    rmSync(path.join(w.root, 'dir/b.txt'));
    await w.sync();
    await m.check('delete');
    const all = await w.bucket({ all: true });
    const trashed = [...all.keys()].filter((k) => /^\.ossync-trash\/[^/]+\/dir\/b\.txt$/.test(k));
    expect(trashed, 'the deleted file in the trash').toHaveLength(mode === 'mirror' ? 1 : 0);
    if (mode === 'mirror')
      expect(all.get(trashed[0] as string)).toBe(oracleCrc64(Buffer.from('BRAVO')));
  });

  it('renames a file and a folder of many files with server-side copies', async () => {
    const files: Record<string, string | Buffer> = { ...BASE, 'one.txt': 'the one' };
    for (let i = 0; i < 40; i++) files[`photos/p${i}.jpg`] = randomBytesFor(`p${i}`, 2 * KiB + i);
    files['photos/big.raw'] = randomBytesFor('big', 200 * KiB);
    const w = await start({ pair: { mode }, files });
    const m = new Model(w, mode);
    await w.sync();
    await m.check('the first sync');

    w.clearRequests();
    renameSync(path.join(w.root, 'one.txt'), path.join(w.root, 'uno.txt'));
    await w.sync();
    await m.check('a file rename');
    expect(ops(w)).toEqual(
      mode === 'mirror' ? { CopyObject: 1, DeleteObject: 1 } : { CopyObject: 1 },
    );

    w.clearRequests();
    renameSync(path.join(w.root, 'photos'), path.join(w.root, 'pictures'));
    await w.sync();
    await m.check('a folder rename');
    expect(ops(w)).toEqual(
      mode === 'mirror' ? { CopyObject: 41, DeleteObject: 41 } : { CopyObject: 41 },
    );
    const copies = w.jobs().filter((job) => job.kind === 'copy' && job.key.includes('pictures/'));
    expect(copies).toHaveLength(41);
    expect(copies.every((job) => job.state === 'done')).toBe(true);
  });

  it('replaces a file by a folder and back', async () => {
    const w = await start({ pair: { mode }, files: { ...BASE, thing: 'a file' } });
    const m = new Model(w, mode);
    await w.sync();
    await m.check('the first sync');

    rmSync(path.join(w.root, 'thing'));
    w.write('thing/inside.txt', 'now a folder');
    await w.sync();
    await m.check('file -> folder');

    rmSync(path.join(w.root, 'thing'), { recursive: true });
    w.write('thing', 'a file again');
    await w.sync();
    await m.check('folder -> file');
  });

  it('renames a file to another case only', async () => {
    const w = await start({ pair: { mode }, files: { ...BASE, 'Report.TXT': 'quarterly' } });
    const m = new Model(w, mode);
    await w.sync();
    await m.check('the first sync');
    renameSync(path.join(w.root, 'Report.TXT'), path.join(w.root, 'report.txt'));
    await w.sync();
    await m.check('a case-only rename');
    expect(m.expected.has('report.txt')).toBe(true);
    expect(m.expected.has('Report.TXT')).toBe(mode === 'backup');
  });

  it('stores an NFD name under its NFC key', async () => {
    const nfd = 'Cafe\u0301 cre\u0300me.txt';
    const nfc = nfd.normalize('NFC');
    expect(nfc).not.toBe(nfd);
    const w = await start({ pair: { mode }, files: BASE });
    writeFileSync(path.join(w.root, nfd), 'au lait');
    mkdirSync(path.join(w.root, 'Re\u0301sume\u0301'));
    writeFileSync(path.join(w.root, 'Re\u0301sume\u0301', 'cv.txt'), 'cv');
    const m = new Model(w, mode);
    await w.sync();
    await m.check('an NFD name');
    const keys = [...(await w.bucket()).keys()];
    expect(keys).toContain(nfc);
    expect(keys).toContain('R\u00e9sum\u00e9/cv.txt');
    expect(keys.some((k) => k !== k.normalize('NFC'))).toBe(false);
    // Converged: the NFD name on disk and the NFC key are the same file.
    w.clearRequests();
    await w.sync();
    expect(w.writes()).toEqual([]);

    writeFileSync(path.join(w.root, nfd), 'au lait, sans sucre');
    await w.sync();
    await m.check('a change of the NFD-named file');
  });
});

describe.each(['backup', 'mirror'] as const)('remote changes by someone else (%s)', (mode) => {
  it('local wins over a remote change, and the remote version is kept as a conflict', async () => {
    const w = await start({ pair: { mode }, files: { ...BASE, 'doc.txt': 'version 1' } });
    const m = new Model(w, mode);
    await w.sync();
    await m.check('the first sync');

    await w.client.put(`${w.pair.prefix}doc.txt`, Buffer.from('their version 2, remote'));
    w.write('doc.txt', 'my version 2, local');
    await w.sync();
    await m.check('a conflict');
    const conflicts = w.runtime.sync.conflictsPage(w.pair.id);
    expect(conflicts).toHaveLength(1);
    const [conflict] = conflicts;
    expect(conflict).toMatchObject({ path: 'doc.txt', resolution: 'local-won' });
    expect(conflict?.keptAs).toMatch(
      new RegExp(`^${w.pair.prefix}\\.ossync-conflicts/[0-9TZ.]+/doc\\.txt$`),
    );
    const all = await w.bucket({ all: true });
    const kept = (conflict?.keptAs as string).slice(w.pair.prefix.length);
    expect(all.get(kept)).toBe(oracleCrc64(Buffer.from('their version 2, remote')));
    // Settled: the next pass sees no conflict again.
    w.clearRequests();
    await w.sync();
    expect(w.writes()).toEqual([]);
    expect(w.runtime.sync.countConflicts(w.pair.id)).toBe(1);
  });

  it('uploads again an object someone removed, and reports it', async () => {
    const w = await start({ pair: { mode }, files: { ...BASE, 'keep.txt': 'keep me' } });
    const m = new Model(w, mode);
    await w.sync();
    await w.client.delete(`${w.pair.prefix}keep.txt`);
    await w.sync();
    await m.check('a remote removal');
    const issues = w.runtime.sync.issuesPage(w.pair.id);
    expect(issues).toMatchObject([{ path: 'keep.txt', code: 'remote-removed' }]);
  });
});

describe('scenarios', () => {
  it('does not delete an object someone changed after it was deleted locally (mirror)', async () => {
    const w = await start({ pair: { mode: 'mirror' }, files: { ...BASE, 'shared.txt': 'v1' } });
    await w.sync();
    await w.client.put(`${w.pair.prefix}shared.txt`, Buffer.from('v2 from a colleague'));
    rmSync(path.join(w.root, 'shared.txt'));
    await w.sync();
    const bucket = await w.bucket();
    expect(bucket.get('shared.txt')).toBe(oracleCrc64(Buffer.from('v2 from a colleague')));
    expect(w.runtime.sync.conflictsPage(w.pair.id)).toMatchObject([
      { path: 'shared.txt', resolution: 'remote-kept', keptAs: null },
    ]);
    expect(w.runtime.sync.issuesPage(w.pair.id)).toMatchObject([
      { path: 'shared.txt', code: 'remote-changed' },
    ]);
    // From then on it is someone else's object: left alone, reported, never deleted.
    await w.sync();
    expect((await w.bucket()).has('shared.txt')).toBe(true);
    expect(w.runtime.sync.issuesPage(w.pair.id)).toMatchObject([
      { path: 'shared.txt', code: 'remote-only' },
    ]);
  });

  it('never deletes an object the pair never synced, and reports it (mirror)', async () => {
    const w = await start({ pair: { mode: 'mirror' }, files: BASE });
    await w.client.put(`${w.pair.prefix}foreign/one.txt`, Buffer.from('not ours'));
    await w.sync();
    rmSync(path.join(w.root, 'base/1.txt'));
    await w.sync();
    const bucket = await w.bucket();
    expect(bucket.get('foreign/one.txt')).toBe(oracleCrc64(Buffer.from('not ours')));
    expect(bucket.has('base/1.txt')).toBe(false);
    expect(w.runtime.sync.issuesPage(w.pair.id)).toMatchObject([
      { path: 'foreign/one.txt', code: 'remote-only' },
    ]);
  });

  it('backup never deletes remotely', async () => {
    const w = await start({ pair: { mode: 'backup' }, files: BASE });
    await w.sync();
    const before = await w.bucket();
    rmSync(path.join(w.root, 'base'), { recursive: true });
    w.clearRequests();
    const status = await w.sync();
    expect(status.state).toBe('idle');
    expect(w.writes()).toEqual([]);
    expect(await w.bucket({ all: true })).toEqual(before);
  });

  it("mirror moves deletions to the trash, and 'permanent' deletes outright", async () => {
    const files = { ...BASE, 'a/gone.txt': 'gone', 'b.txt': 'b' };
    const trash = await start({ pair: { mode: 'mirror' }, files });
    await trash.sync();
    rmSync(path.join(trash.root, 'a'), { recursive: true });
    rmSync(path.join(trash.root, 'b.txt'));
    await trash.sync();
    const kept = [...(await trash.bucket({ all: true }))].filter(([k]) =>
      k.startsWith('.ossync-trash/'),
    );
    expect(
      kept.map(([k]) => k.replace(/^\.ossync-trash\/\d{8}T\d{6}\.\d{3}Z\//, '')).sort(),
    ).toEqual(['a/gone.txt', 'b.txt']);
    expect(new Set(kept.map(([, crc]) => crc))).toEqual(
      new Set([oracleCrc64(Buffer.from('gone')), oracleCrc64(Buffer.from('b'))]),
    );
    await trash.close();
    world = undefined;

    const permanent = await start({ pair: { mode: 'mirror', deleteMode: 'permanent' }, files });
    await permanent.sync();
    permanent.clearRequests();
    rmSync(path.join(permanent.root, 'a'), { recursive: true });
    rmSync(path.join(permanent.root, 'b.txt'));
    await permanent.sync();
    expect(await permanent.bucket({ all: true })).toEqual(permanent.folder());
    expect(ops(permanent)).toEqual({ DeleteObject: 2 });
  });

  it('never uploads nor deletes ignored files', async () => {
    const w = await start({
      pair: { mode: 'mirror', ignore: ['build/', '*.bak'] },
      files: {
        ...BASE,
        'keep.txt': 'keep',
        'draft.tmp': 'built-in *.tmp',
        '.DS_Store': 'built-in',
        'build/out.o': 'pair pattern (folder)',
        'notes.bak': 'pair pattern',
        '.ossyncignore': 'secret*\n',
        'secret.txt': 'from .ossyncignore',
        'sub/.ossyncignore': '*.log\n',
        'sub/run.log': 'from a nested .ossyncignore',
        'sub/run.txt': 'synced',
      },
    });
    // Objects at ignored paths: not ours to delete, not worth reporting.
    for (const rel of ['remote.tmp', 'build/remote.o', 'secret-remote.txt', 'sub/remote.log'])
      await w.client.put(`${w.pair.prefix}${rel}`, Buffer.from(`remote ${rel}`));
    await w.sync();
    const synced = [
      'base/1.txt',
      'base/2.txt',
      'base/3.txt',
      'base/4.txt',
      'keep.txt',
      'sub/run.txt',
    ];
    const remoteIgnored = ['build/remote.o', 'remote.tmp', 'secret-remote.txt', 'sub/remote.log'];
    expect([...(await w.bucket({ all: true })).keys()].sort()).toEqual(
      [...synced, ...remoteIgnored].sort(),
    );
    expect(w.runtime.sync.issuesPage(w.pair.id)).toEqual([]);

    // A synced file that becomes ignored and is then deleted stays in the bucket.
    writeFileSync(path.join(w.root, '.ossyncignore'), 'secret*\nkeep.txt\n');
    rmSync(path.join(w.root, 'keep.txt'));
    for (const rel of ['draft.tmp', 'build/out.o', 'notes.bak', 'secret.txt', 'sub/run.log'])
      rmSync(path.join(w.root, rel));
    w.clearRequests();
    await w.sync();
    expect(w.writes()).toEqual([]);
    expect([...(await w.bucket({ all: true })).keys()].sort()).toEqual(
      [...synced, ...remoteIgnored].sort(),
    );
  });

  it('does not delete the objects of an unreadable folder (mirror)', async (ctx) => {
    if (process.getuid?.() === 0)
      ctx.skip('running as root: permissions do not apply, so chmod 000 cannot make it unreadable');
    const w = await start({
      pair: { mode: 'mirror' },
      files: { ...BASE, 'locked/a.txt': 'a', 'locked/deep/b.txt': 'b' },
    });
    await w.sync();
    const before = await w.bucket();
    const locked = path.join(w.root, 'locked');
    chmodSync(locked, 0o000);
    try {
      w.clearRequests();
      await w.sync();
      expect(w.writes()).toEqual([]);
      expect(await w.bucket()).toEqual(before);
      expect(w.runtime.sync.issuesPage(w.pair.id)).toMatchObject([
        { path: 'locked', code: 'unreadable' },
      ]);
    } finally {
      chmodSync(locked, 0o755);
    }
    rmSync(path.join(locked, 'a.txt'));
    await w.sync();
    expect(await w.bucket()).toEqual(w.folder());
  });

  it('puts the pair in error and deletes nothing when its folder is gone (mirror)', async () => {
    const w = await start({ pair: { mode: 'mirror' }, files: { ...BASE, 'x.txt': 'x' } });
    await w.sync();
    const before = await w.bucket();
    const away = `${w.root}-away`;
    renameSync(w.root, away);
    try {
      w.clearRequests();
      const status = await w.sync();
      expect(status.state).toBe('error');
      expect(status.detail).toContain(w.root);
      expect(w.writes()).toEqual([]);
      expect(await w.bucket({ all: true })).toEqual(before);
      expect(w.runtime.sync.countPendingDeletes(w.pair.id)).toBe(0);
    } finally {
      renameSync(away, w.root);
    }
    rmSync(path.join(w.root, 'x.txt'));
    const status = await w.sync();
    expect(status.state).toBe('idle');
    expect(await w.bucket()).toEqual(w.folder());
  });

  it('a second sync after convergence queues no job, and a touch uploads nothing', async () => {
    const files: Record<string, string | Buffer> = {
      ...BASE,
      empty: '',
      'big.bin': randomBytesFor('big', 1100 * KiB),
    };
    files['caf\u0065\u0301/n\u0303.txt'] = 'nfd';
    for (let i = 0; i < 30; i++) files[`many/${i}.txt`] = `file ${i}`;
    const w = await start({ pair: { mode: 'mirror' }, files });
    await w.sync();
    expect(await w.bucket()).toEqual(w.folder());
    const jobs = w.jobs().length;
    w.clearRequests();
    await w.sync();
    expect(w.jobs()).toHaveLength(jobs);
    expect(w.writes()).toEqual([]);

    // Touched (new mtime, same content): hashed, found unchanged, not uploaded.
    for (const rel of ['big.bin', 'base/1.txt', 'many/7.txt']) age(path.join(w.root, rel), 90);
    await w.sync();
    expect(w.jobs()).toHaveLength(jobs);
    expect(w.writes()).toEqual([]);
    await w.sync();
    expect(w.jobs()).toHaveLength(jobs);
    expect(w.writes()).toEqual([]);
  });

  it('files created and changed while a sync runs end up in the bucket', async () => {
    const w = await start({ pair: { mode: 'mirror' }, files: BASE });
    await w.sync();
    for (let i = 0; i < 100; i++) w.write(`first/${i}.txt`, `first ${i}`);
    w.write('moving.bin', randomBytesFor('m1', 4 * 1024 * KiB));
    const jobsBefore = w.jobs().length;
    w.runner.requestPass([''], true);
    await waitUntil(() => w.jobs().length > jobsBefore, 'the pass to queue jobs', 30_000, 2);
    // The pass is running and uploading: change what it is working on.
    for (let i = 0; i < 100; i++) w.write(`second/${i}.txt`, `second ${i}`);
    for (let i = 0; i < 100; i += 10) w.write(`first/${i}.txt`, `first ${i}, changed`);
    w.write('moving.bin', randomBytesFor('m2', 3 * 1024 * KiB));
    rmSync(path.join(w.root, 'first/1.txt'));
    await w.runner.settled();
    await w.sync();
    expect(await w.bucket()).toEqual(w.folder());
  });
});

describe('runner', () => {
  it('settles when the job of a path it skipped as busy ends during the pass', async () => {
    const w = await start({ pair: { mode: 'mirror' }, files: BASE });
    await w.sync();
    w.write('a.bin', randomBytesFor('a', 16 * 1024 * KiB));
    w.runner.requestPass(['a.bin'], false);
    await waitUntil(
      () => w.jobs().some((job) => job.key.endsWith('a.bin') && job.state === 'running'),
      'the upload of a.bin to run',
      30_000,
      2,
    );
    // a.bin has an unfinished job (busy); the pass then spends a while on the z files (each
    // its own scope root: a HEAD each), long enough for a.bin's upload to end before it does.
    const others: string[] = [];
    for (let i = 0; i < 300; i++) {
      w.write(`z/${i}.txt`, `z ${i}`);
      others.push(`z/${i}.txt`);
    }
    w.runner.requestPass(['a.bin', ...others], false);
    const settled = await Promise.race([
      w.runner.settled().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 30_000)),
    ]);
    expect(settled, 'the runner settled').toBe(true);
    expect(await w.bucket()).toEqual(w.folder());
  });

  it('a paused pair syncs nothing until resumed (mirror)', async () => {
    const w = await start({ pair: { mode: 'mirror' }, files: BASE });
    await w.sync();
    w.manager.pause(w.pair.id);
    w.write('later.txt', 'later');
    rmSync(path.join(w.root, 'base/1.txt'));
    w.clearRequests();
    let status = await w.sync();
    expect(status.state).toBe('paused');
    expect(w.writes()).toEqual([]);
    w.manager.resume(w.pair.id);
    status = await w.runner.settled();
    expect(status.state).toBe('idle');
    expect(await w.bucket()).toEqual(w.folder());
  });

  it('a scoped pass that lists the remote looks at its scope only (mirror)', async () => {
    const w = await start({ pair: { mode: 'mirror' }, files: { ...BASE, 'sub/x.txt': 'x' } });
    await w.sync();
    w.write('sub/y.txt', 'y');
    w.clearRequests();
    w.runner.requestPass(['sub'], true);
    await w.runner.settled();
    expect(w.runtime.sync.issuesPage(w.pair.id)).toEqual([]);
    expect(ops(w)).toEqual({ PutObject: 1 });
    expect(await w.bucket()).toEqual(w.folder());
  });
});

describe('more renames and re-creations', () => {
  it('a file copied to a new name and then deleted is copied server-side (mirror)', async () => {
    const content = randomBytesFor('copied', 100 * KiB);
    const w = await start({ pair: { mode: 'mirror' }, files: { ...BASE, 'big.bin': content } });
    await w.sync();
    w.clearRequests();
    mkdirSync(path.join(w.root, 'moved'));
    copyFileSync(path.join(w.root, 'big.bin'), path.join(w.root, 'moved/big.bin'));
    rmSync(path.join(w.root, 'big.bin'));
    await w.sync();
    expect(ops(w)).toEqual({ CopyObject: 1, DeleteObject: 1 });
    expect(await w.bucket()).toEqual(w.folder());
  });

  it('a copy of an NFD-named file is not taken for its rename (mirror)', async () => {
    const content = randomBytesFor('nfd-copy', 100 * KiB);
    const nfd = 'Cafe\u0301.bin';
    const w = await start({ pair: { mode: 'mirror' }, files: { ...BASE, [nfd]: content } });
    await w.sync();
    // Same content, new inode: a rename candidate by size and CRC64, but the original is
    // still there (under its NFD name, which is not its key).
    copyFileSync(path.join(w.root, nfd), path.join(w.root, 'copy.bin'));
    await w.sync();
    expect(await w.bucket()).toEqual(w.folder());
    expect((await w.bucket()).has('Caf\u00e9.bin')).toBe(true);
  });

  it.each([
    ['a.txt', 'b.txt'], // the old path sorts first
    ['b.txt', 'a.txt'], // the new path sorts first
  ])('renames %s to %s whose object someone changed meanwhile (mirror)', async (from, to) => {
    const w = await start({ pair: { mode: 'mirror' }, files: { ...BASE, [from]: 'mine' } });
    await w.sync();
    await w.client.put(`${w.pair.prefix}${from}`, Buffer.from('theirs, changed remotely'));
    renameSync(path.join(w.root, from), path.join(w.root, to));
    const status = await w.sync();
    expect(status.state).toBe('idle');
    const bucket = await w.bucket();
    // Uploaded under the new name; their version left where it was (never moved or deleted).
    expect(bucket.get(to)).toBe(oracleCrc64(Buffer.from('mine')));
    expect(bucket.get(from)).toBe(oracleCrc64(Buffer.from('theirs, changed remotely')));
    expect(w.runtime.sync.issuesPage(w.pair.id).map((i) => [i.path, i.code])).toEqual([
      [from, 'remote-changed'],
    ]);
  });

  it('renames a folder of more files than a pass flushes at once, either way round (mirror)', async () => {
    const files: Record<string, string> = { ...BASE };
    for (let i = 0; i < 520; i++) files[`m/${String(i).padStart(3, '0')}.txt`] = `m ${i}`;
    const w = await start({ pair: { mode: 'mirror' }, files });
    await w.sync();
    for (const [from, to] of [
      ['m', 'z-m'], // the new paths sort after the old ones
      ['z-m', 'a-m'], // and before
    ] as const) {
      w.clearRequests();
      renameSync(path.join(w.root, from), path.join(w.root, to));
      const status = await w.sync();
      expect(status.state, `${from} -> ${to}`).toBe('idle');
      expect(ops(w), `${from} -> ${to}`).toEqual({ CopyObject: 520, DeleteObject: 520 });
      expect(await w.bucket({ all: true })).toEqual(w.folder());
    }
  });

  // Found here as a planner bug (since fixed in planner.ts): in backup a local delete made the
  // planner forget the journal row although the object stays; the file created again then
  // met an object with no base, so the pair's own old version went to .ossync-conflicts/
  // with a 'local-won' conflict, as if someone else had written it.
  it('a file deleted and created again in backup is no conflict', async () => {
    const w = await start({ pair: { mode: 'backup' }, files: { ...BASE, 'log.txt': 'week 1' } });
    await w.sync();
    rmSync(path.join(w.root, 'log.txt'));
    await w.sync();
    w.write('log.txt', 'week 2, a new file under the old name');
    await w.sync();
    expect((await w.bucket()).get('log.txt')).toBe(
      oracleCrc64(Buffer.from('week 2, a new file under the old name')),
    );
    // Nobody but this pair ever wrote log.txt: nothing to keep aside, nothing to report.
    expect(w.runtime.sync.conflictsPage(w.pair.id)).toEqual([]);
    expect(
      [...(await w.bucket({ all: true })).keys()].filter((k) => k.startsWith('.ossync-')),
    ).toEqual([]);
  });
});
