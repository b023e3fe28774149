import { writeFileSync, mkdirSync, rmSync, renameSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSyncWorld, type SyncWorld } from '../../../helpers/sync.js';

let world: SyncWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('sync smoke', () => {
  it('uploads, changes, renames and deletes (mirror)', async () => {
    world = await startSyncWorld({ pair: { mode: 'mirror' } });
    const w = world;
    mkdirSync(path.join(w.root, 'a/b'), { recursive: true });
    writeFileSync(path.join(w.root, 'a/b/one.txt'), 'one');
    writeFileSync(path.join(w.root, 'two.txt'), 'two');
    let status = await w.sync();
    expect(status.state).toBe('idle');
    expect(await w.bucket()).toEqual(w.folder());
    writeFileSync(path.join(w.root, 'two.txt'), 'two changed');
    renameSync(path.join(w.root, 'a/b/one.txt'), path.join(w.root, 'a/uno.txt'));
    await w.sync();
    expect(await w.bucket()).toEqual(w.folder());
    rmSync(path.join(w.root, 'two.txt'));
    writeFileSync(path.join(w.root, 'three.txt'), 'three');
    writeFileSync(path.join(w.root, 'four.txt'), 'four');
    status = await w.sync();
    expect(status.state).toBe('idle');
    expect(await w.bucket()).toEqual(w.folder());
    const all = await w.bucket({ all: true });
    expect(
      [...all.keys()].some((k) => k.startsWith('.ossync-trash/') && k.endsWith('/two.txt')),
    ).toBe(true);
  });
});
