import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerOptions } from '../../../../main/core/sync/pair-runner.js';
import type { WatchModules } from '../../../../main/core/sync/watcher.js';
import type { ChokidarModule } from '../../../../main/core/sync/watchers/chokidar-watcher.js';
import {
  loadParcel,
  type ParcelModule,
} from '../../../../main/core/sync/watchers/parcel-watcher.js';
import { oracleCrc64, waitUntil } from '../../../helpers/engine.js';
import { startLocalOss, type LocalOss } from '../../../helpers/osslocal.js';
import { startSyncWorld, type SyncWorld } from '../../../helpers/sync.js';

// A watcher that fails (the inotify limit, too many open files) must not stop the pair: it
// says so in its status and goes on with periodic full passes. A real inotify limit cannot be
// reached here without changing the machine's settings, so the failure is injected through
// the watcher's backend modules: the only fake in these tests.

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

function enospc(): Error {
  return Object.assign(new Error('inotify_add_watch failed: No space left on device'), {
    code: 'ENOSPC',
  });
}

/** A chokidar that cannot start either (the fallback must not hide the failure). */
const brokenChokidar = async (): Promise<ChokidarModule> => {
  throw new Error('chokidar is not expected to be used here');
};

async function start(
  watchModules: WatchModules,
  runner: Partial<RunnerOptions> = {},
): Promise<SyncWorld> {
  pairs++;
  world = await startSyncWorld({
    oss,
    files: { 'base/1.txt': 'one', 'base/2.txt': 'two', 'base/3.txt': 'three' },
    pair: { prefix: `f${pairs}/`, mode: 'mirror' },
    runner: {
      watch: true,
      stabilityMs: 200,
      fallbackRescanMs: 400,
      rewatchMs: 3_600_000,
      watchModules,
      ...runner,
    },
  });
  await world.runner.settled();
  return world;
}

/** Changes files, then waits (without asking for a pass) until the bucket follows. */
async function convergesByItself(w: SyncWorld): Promise<void> {
  w.write('new/a.txt', 'made while not watched');
  w.write('base/2.txt', 'two, changed');
  rmSync(path.join(w.root, 'base/3.txt'));
  await waitUntil(
    async () => {
      const bucket = await w.bucket();
      return (
        bucket.get('new/a.txt') === oracleCrc64(Buffer.from('made while not watched')) &&
        bucket.get('base/2.txt') === oracleCrc64(Buffer.from('two, changed')) &&
        !bucket.has('base/3.txt')
      );
    },
    'the periodic scans to sync the changes',
    60_000,
    100,
  );
  await w.runner.settled();
  expect(await w.bucket()).toEqual(w.folder());
  const trash = [...(await w.bucket({ all: true })).keys()].filter((k) =>
    k.startsWith('.ossync-trash/'),
  );
  expect(trash).toHaveLength(1);
}

describe('watcher fallback', () => {
  it('a watcher that cannot start: periodic scans, said in the status', async () => {
    let attempts = 0;
    const w = await start({
      parcel: async (): Promise<ParcelModule> => ({
        subscribe: async () => {
          attempts++;
          throw enospc();
        },
      }),
      chokidar: brokenChokidar,
    });
    expect(attempts).toBe(1);
    const status = w.runner.status();
    expect(status.watching).toBe('periodic-scan');
    expect(status.state).toBe('idle');
    expect(status.detail).toMatch(/system limit/);
    expect(status.detail).toMatch(/scanning every 400 ms instead/);
    expect(await w.bucket()).toEqual(w.folder());
    await convergesByItself(w);
    expect(w.runner.status().watching).toBe('periodic-scan');
  });

  it('a watcher that fails while running: periodic scans, said in the status', async () => {
    const real = await loadParcel();
    const callbacks: Parameters<ParcelModule['subscribe']>[1][] = [];
    const w = await start({
      parcel: async (): Promise<ParcelModule> => ({
        subscribe: async (dir, callback, options) => {
          callbacks.push(callback);
          return real.subscribe(dir, callback, options);
        },
      }),
      chokidar: brokenChokidar,
    });
    expect(w.runner.status().watching).toBe('events');
    // Events work until the failure.
    w.write('watched.txt', 'seen by the watcher');
    await waitUntil(
      async () => (await w.bucket()).has('watched.txt'),
      'the watched file to be uploaded',
      60_000,
      100,
    );
    expect(callbacks.length).toBeGreaterThan(0);
    (callbacks[0] as (error: Error | null, events: never[]) => void)(enospc(), []);
    await waitUntil(
      () => w.runner.status().watching === 'periodic-scan',
      'the pair to fall back to periodic scans',
      30_000,
      20,
    );
    const status = w.runner.status();
    expect(status.detail).toMatch(/system limit/);
    expect(status.state).not.toBe('error');
    await convergesByItself(w);
  });

  it('watches again once the watcher can start again', async () => {
    const real = await loadParcel();
    let attempts = 0;
    const w = await start(
      {
        parcel: async (): Promise<ParcelModule> => ({
          subscribe: async (dir, callback, options) => {
            if (++attempts === 1) throw enospc();
            return real.subscribe(dir, callback, options);
          },
        }),
        chokidar: brokenChokidar,
      },
      // No periodic scan within the test: what syncs after the recovery came from events.
      { fallbackRescanMs: 3_600_000, rewatchMs: 300 },
    );
    await waitUntil(
      () => w.runner.status().watching === 'events',
      'the pair to watch again',
      30_000,
      20,
    );
    expect(attempts).toBe(2);
    expect(w.runner.status().detail).toBeNull();
    await w.runner.settled();
    w.write('after.txt', 'seen by the new watcher');
    await waitUntil(
      async () => (await w.bucket()).has('after.txt'),
      'the file to be uploaded through events',
      60_000,
      100,
    );
    await w.runner.settled();
    expect(await w.bucket()).toEqual(w.folder());
  });
});
