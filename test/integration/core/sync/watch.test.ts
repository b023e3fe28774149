import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdtempSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerOptions } from '../../../../main/core/sync/pair-runner.js';
import type { NewPair } from '../../../../main/core/sync/types.js';
import { KiB, MiB, oracleCrc64, randomBytesFor, waitUntil } from '../../../helpers/engine.js';
import { startLocalOss, type LocalOss } from '../../../helpers/osslocal.js';
import { startSyncWorld, type SyncWorld } from '../../../helpers/sync.js';

// Watch mode end to end: file-system events, dirty paths, the stability window, passes and
// uploads. Every wait polls for a condition with a generous timeout (a loaded 2-core box);
// no fixed sleep is an assertion.

let oss: LocalOss;
let world: SyncWorld | undefined;
let pairs = 0;

beforeAll(async () => {
  // The server's storage on tmpfs where there is one: thousands of fdatasyncs of its blobs
  // on this VM's disk otherwise slow every other file operation of the test (and its
  // cleanup) by seconds. The synced folder stays on the disk.
  oss = await startLocalOss(
    existsSync('/dev/shm') ? { root: mkdtempSync('/dev/shm/osslocal-') } : {},
  );
});
afterAll(async () => {
  await oss.close();
  if (oss.root.startsWith('/dev/shm/')) rmSync(oss.root, { recursive: true, force: true });
});
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function start(
  options: {
    pair?: Partial<NewPair>;
    runner?: Partial<RunnerOptions>;
    files?: Record<string, string>;
  } = {},
): Promise<SyncWorld> {
  pairs++;
  world = await startSyncWorld({
    oss,
    files: { 'base/1.txt': 'one', 'base/2.txt': 'two', 'base/3.txt': 'three', ...options.files },
    pair: { prefix: `w${pairs}/`, mode: 'mirror', ...options.pair },
    runner: { watch: true, stabilityMs: 1000, ...options.runner },
  });
  await world.runner.settled();
  expect(world.runner.status().watching).toBe('events');
  expect(await world.bucket()).toEqual(world.folder());
  return world;
}

/** Resolves once the object at `rel` holds `expected` (a CRC64), polling with HEAD. */
async function objectHolds(w: SyncWorld, rel: string, expected: string, timeoutMs = 60_000) {
  await waitUntil(
    async () => {
      const head = await w.client.head(`${w.pair.prefix}${rel}`).catch(() => undefined);
      const headers = head?.res.headers as Record<string, string> | undefined;
      return headers?.['x-oss-hash-crc64ecma'] === expected;
    },
    `${rel} to hold ${expected}`,
    timeoutMs,
    50,
  );
}

/** Upload requests per key (PutObject, and multipart uploads counted once by their Complete). */
function uploadsByKey(w: SyncWorld): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of w.requests) {
    if (r.status !== 200 || r.key === undefined) continue;
    if (r.op === 'PutObject' || r.op === 'CompleteMultipartUpload')
      counts.set(r.key, (counts.get(r.key) ?? 0) + 1);
  }
  return counts;
}

function ops(w: SyncWorld, key: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of w.writes(key)) counts[r.op] = (counts[r.op] ?? 0) + 1;
  return counts;
}

describe('watch', () => {
  it('uploads an atomic save (write a temp file, rename it over) once, complete', async () => {
    const w = await start({ files: { 'doc.txt': 'draft 1' } });
    const key = `${w.pair.prefix}doc.txt`;
    // An ignored temp name (*.tmp), and one no rule knows (gedit's): neither may be uploaded.
    for (const [i, tempName] of ['.doc.txt.tmp', '.goutputstream-AB12CD'].entries()) {
      w.clearRequests();
      const content = randomBytesFor(`save ${i}`, 200 * KiB);
      const temp = path.join(w.root, tempName);
      writeFileSync(temp, content.subarray(0, 100 * KiB));
      await new Promise((resolve) => setTimeout(resolve, 100));
      appendFileSync(temp, content.subarray(100 * KiB));
      renameSync(temp, path.join(w.root, 'doc.txt'));
      await objectHolds(w, 'doc.txt', oracleCrc64(content));
      await w.runner.settled();
      expect(ops(w, key), tempName).toEqual({ PutObject: 1 });
      expect(
        w.writes().filter((r) => r.key !== key),
        tempName,
      ).toEqual([]);
      expect(await w.bucket()).toEqual(w.folder());
    }
  });

  it('uploads a large file written slowly once, complete', async () => {
    const w = await start();
    w.clearRequests();
    const size = 12 * MiB;
    const chunk = 512 * KiB;
    const file = path.join(w.root, 'video/big.mov');
    mkdirSync(path.dirname(file));
    const fd = openSync(file, 'w');
    try {
      // About 3 s: 24 chunks, one every 125 ms (each well inside the 1,000 ms window).
      for (let offset = 0; offset < size; offset += chunk) {
        writeSync(fd, randomBytesFor('big', chunk, offset));
        await new Promise((resolve) => setTimeout(resolve, 125));
      }
    } finally {
      closeSync(fd);
    }
    await objectHolds(w, 'video/big.mov', oracleCrc64(randomBytesFor('big', size)));
    await w.runner.settled();
    const key = `${w.pair.prefix}video/big.mov`;
    expect(ops(w, key)).toMatchObject({ InitiateMultipartUpload: 1, CompleteMultipartUpload: 1 });
    expect(ops(w, key).PutObject).toBeUndefined();
    const jobs = w.jobs().filter((job) => job.key === key);
    expect(jobs.map((job) => [job.kind, job.state])).toEqual([['upload', 'done']]);
    expect(await w.bucket()).toEqual(w.folder());
  });

  it('uploads each file of a burst of 5,000 exactly once', { timeout: 180_000 }, async () => {
    const w = await start({ runner: { stabilityMs: 300 } });
    w.clearRequests();
    const expected = new Map<string, string>();
    for (let d = 0; d < 50; d++) {
      for (let f = 0; f < 100; f++) {
        const rel = `burst/d${d}/f${f}.txt`;
        const content = `burst ${d} ${f}`;
        w.write(rel, content);
        expected.set(rel, oracleCrc64(Buffer.from(content)));
      }
    }
    await waitUntil(
      () => {
        const uploaded = uploadsByKey(w);
        return [...expected.keys()].every((rel) => uploaded.has(`${w.pair.prefix}${rel}`));
      },
      'every file of the burst to be uploaded',
      150_000,
      250,
    );
    await w.runner.settled();
    const uploaded = uploadsByKey(w);
    const twice = [...uploaded].filter(([, n]) => n !== 1);
    expect(twice, 'keys uploaded more than once').toEqual([]);
    expect(uploaded.size).toBe(expected.size);
    const bucket = await w.bucket();
    for (const [rel, crc] of expected) expect(bucket.get(rel), rel).toBe(crc);
    expect(bucket).toEqual(w.folder());
  });

  it('applies changed ignore patterns to the watcher at once', async () => {
    const w = await start({ pair: { ignore: ['*.log'] } });
    writeFileSync(path.join(w.root, 'a.log'), 'first');
    await w.runner.settled();
    expect((await w.bucket()).has('a.log')).toBe(false);

    await w.manager.updatePair(w.pair.id, { ignore: [] });
    const runner = w.manager.runner(w.pair.id);
    // The fresh pass uploads what the old rule kept out ...
    await objectHolds(w, 'a.log', oracleCrc64(Buffer.from('first')));
    // ... and the new watcher reports what the old one filtered (no rescan runs here).
    writeFileSync(path.join(w.root, 'b.log'), 'second');
    await objectHolds(w, 'b.log', oracleCrc64(Buffer.from('second')), 10_000);
    expect(runner?.status().watching).toBe('events');
    // A bad change throws and leaves the pair as it was.
    await expect(w.manager.updatePair(w.pair.id, { trashRetentionDays: -1 })).rejects.toThrow();
    expect(w.manager.get(w.pair.id).ignore).toEqual([]);
  });

  it('moves a watched file deleted in mirror to the trash', async () => {
    const w = await start({ runner: { stabilityMs: 200 }, files: { 'old/note.txt': 'bye' } });
    rmSync(path.join(w.root, 'old'), { recursive: true });
    await waitUntil(
      async () => {
        const all = await w.bucket({ all: true });
        return (
          !all.has('old/note.txt') &&
          [...all.keys()].some((k) => /^\.ossync-trash\/[^/]+\/old\/note\.txt$/.test(k))
        );
      },
      'old/note.txt to move to the trash',
      60_000,
      100,
    );
    await w.runner.settled();
    expect(await w.bucket()).toEqual(w.folder());
  });
});
