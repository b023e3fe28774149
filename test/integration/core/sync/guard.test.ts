import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NewPair } from '../../../../main/core/sync/types.js';
import { startLocalOss, type LocalOss } from '../../../helpers/osslocal.js';
import { startSyncWorld, type SyncWorld } from '../../../helpers/sync.js';

// The delete guard: a pass that would delete too much (more than half of the pair's files,
// or more than maxCount) deletes nothing and waits for the user.

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

const N = 10;

async function start(pair: Partial<NewPair> = {}): Promise<SyncWorld> {
  const files: Record<string, string> = {};
  for (let i = 0; i < N; i++) files[`docs/f${i}.txt`] = `file ${i}`;
  pairs++;
  world = await startSyncWorld({
    oss,
    files,
    pair: { prefix: `g${pairs}/`, mode: 'mirror', ...pair },
  });
  await world.sync();
  expect(await world.bucket()).toEqual(world.folder());
  return world;
}

function remove(w: SyncWorld, count: number): void {
  for (let i = 0; i < count; i++) rmSync(path.join(w.root, `docs/f${i}.txt`));
}

function trashed(all: Map<string, string>): string[] {
  return [...all.keys()]
    .filter((k) => k.startsWith('.ossync-trash/'))
    .map((k) => k.replace(/^\.ossync-trash\/[^/]+\//, ''))
    .sort();
}

describe('delete guard', () => {
  it('holds a deletion of more than half of the files until confirmed', async () => {
    const w = await start();
    const before = await w.bucket({ all: true });
    remove(w, 6);
    w.clearRequests();
    let status = await w.sync();
    expect(status.state).toBe('waiting-for-confirmation');
    expect(status.counters.deletesAwaiting).toBe(6);
    expect(w.writes()).toEqual([]);
    expect(await w.bucket({ all: true })).toEqual(before);
    // Asking again changes nothing: still waiting, still nothing deleted.
    status = await w.sync();
    expect(status.state).toBe('waiting-for-confirmation');
    expect(w.manager.statuses()[0]?.state).toBe('waiting-for-confirmation');
    expect(w.writes()).toEqual([]);

    expect(w.manager.confirmDeletes(w.pair.id)).toBe(6);
    status = await w.runner.settled();
    expect(status.state).toBe('idle');
    expect(status.counters.deletesAwaiting).toBe(0);
    const all = await w.bucket({ all: true });
    expect(trashed(all)).toEqual([0, 1, 2, 3, 4, 5].map((i) => `docs/f${i}.txt`));
    expect(await w.bucket()).toEqual(w.folder());
    status = await w.sync();
    expect(status.state).toBe('idle');
  });

  it('holds a deletion of more than maxCount files', async () => {
    const w = await start({ deleteGuard: { maxFraction: 1, maxCount: 3 } });
    const before = await w.bucket({ all: true });
    remove(w, 3);
    await w.sync();
    expect(trashed(await w.bucket({ all: true }))).toHaveLength(3);

    rmSync(path.join(w.root, 'docs'), { recursive: true });
    const status = await w.sync();
    expect(status.state).toBe('waiting-for-confirmation');
    expect(status.counters.deletesAwaiting).toBe(N - 3);
    const now = await w.bucket();
    expect([...now.keys()].sort()).toEqual(
      [...before.keys()]
        .filter((k) => !['docs/f0.txt', 'docs/f1.txt', 'docs/f2.txt'].includes(k))
        .sort(),
    );
  });

  it('judges the deletions of the last minutes together, not pass by pass', async () => {
    const w = await start();
    remove(w, 4);
    let status = await w.sync();
    expect(status.state).toBe('idle');
    expect(trashed(await w.bucket({ all: true }))).toHaveLength(4);
    // Two more a moment later (a delete whose watcher events came in two batches): 6 of 10.
    rmSync(path.join(w.root, 'docs/f4.txt'));
    rmSync(path.join(w.root, 'docs/f5.txt'));
    status = await w.sync();
    expect(status.state).toBe('waiting-for-confirmation');
    expect(status.counters.deletesAwaiting).toBe(2);
    expect(trashed(await w.bucket({ all: true }))).toHaveLength(4);
    // Once confirmed, those deletions are not counted against the next ones.
    expect(w.manager.confirmDeletes(w.pair.id)).toBe(2);
    status = await w.runner.settled();
    expect(status.state).toBe('idle');
    expect(trashed(await w.bucket({ all: true }))).toHaveLength(6);
  });

  it('keeps the objects when the deletions are rejected, and does not plan them again', async () => {
    const w = await start();
    const before = await w.bucket({ all: true });
    remove(w, 8);
    let status = await w.sync();
    expect(status.state).toBe('waiting-for-confirmation');

    expect(w.manager.rejectDeletes(w.pair.id)).toBe(8);
    status = await w.runner.settled();
    expect(status.state).toBe('idle');
    expect(await w.bucket({ all: true })).toEqual(before);
    w.clearRequests();
    status = await w.sync();
    expect(status.state).toBe('idle');
    expect(status.counters.deletesAwaiting).toBe(0);
    expect(w.runtime.sync.countPendingDeletes(w.pair.id)).toBe(0);
    expect(w.writes()).toEqual([]);
    expect(await w.bucket({ all: true })).toEqual(before);
    // They are no longer the pair's: reported as remote-only, never deleted.
    const issues = w.runtime.sync.issuesPage(w.pair.id);
    expect(issues.map((i) => [i.path, i.code])).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [`docs/f${i}.txt`, 'remote-only']),
    );

    // A small deletion afterwards goes through without asking.
    rmSync(path.join(w.root, 'docs/f9.txt'));
    status = await w.sync();
    expect(status.state).toBe('idle');
    expect(trashed(await w.bucket({ all: true }))).toEqual(['docs/f9.txt']);
  });
});
