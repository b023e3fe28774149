import {
  appendFileSync,
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
import { oracleCrc64, randomBytesFor, KiB } from '../../../helpers/engine.js';
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
