/**
 * A mirror pair with files over CopyObject's limit (lowered to 1 MiB through the engine's
 * `maxCopyBytes`; the server's own CopyObject limit stays 1 GiB): a local rename becomes a
 * server-side move in parts (UploadPartCopy), never an upload, and a deleted file goes to the
 * trash the same way. The bucket is read back with an independent ali-oss client and
 * crc64-ecma182.js.
 */
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KiB, MiB, oracleCrc64, randomBytesFor } from '../../../helpers/engine.js';
import { startLocalOss, type LocalOss } from '../../../helpers/osslocal.js';
import { startSyncWorld, type SyncWorld } from '../../../helpers/sync.js';

let oss: LocalOss;
let world: SyncWorld | undefined;

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

const BIG = MiB + 300 * KiB + 3;

function count(ops: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of ops) counts[op] = (counts[op] ?? 0) + 1;
  return counts;
}

describe('a mirror pair with files over the CopyObject limit', () => {
  it('moves a renamed big file and trashes a deleted one server-side, in parts, uploading nothing', async () => {
    const big = randomBytesFor('big-rename', BIG);
    const doomed = randomBytesFor('big-delete', BIG + 1);
    world = await startSyncWorld({
      oss,
      pair: { mode: 'mirror', prefix: 'big/' },
      engine: { maxCopyBytes: MiB, copyPartSize: 256 * KiB },
      files: {
        'a/1.txt': 'one',
        'a/2.txt': 'two',
        'a/3.txt': 'three',
        'a/4.txt': 'four',
        'video.mkv': big,
        'old.iso': doomed,
      },
    });
    const w = world;
    await w.sync();
    expect(await w.bucket()).toEqual(w.folder());

    w.clearRequests();
    renameSync(path.join(w.root, 'video.mkv'), path.join(w.root, 'a/clip.mkv'));
    rmSync(path.join(w.root, 'old.iso'));
    await w.sync();

    const prefix = w.pair.prefix;
    const bucket = await w.bucket({ all: true });
    const visible = new Map([...bucket].filter(([key]) => !key.startsWith('.ossync-')));
    expect(visible).toEqual(w.folder());
    expect(visible.get('a/clip.mkv')).toBe(oracleCrc64(big));
    expect(bucket.has('video.mkv')).toBe(false);
    const trashed = [...bucket].filter(([key]) => /^\.ossync-trash\/[^/]+\/old\.iso$/.test(key));
    expect(trashed.map(([, crc]) => crc)).toEqual([oracleCrc64(doomed)]);
    const trashKey = `${prefix}${trashed[0]?.[0] as string}`;

    // No bytes went up again: no PUT or UploadPart at all, and no single CopyObject either.
    const writes = w.writes().map((r) => `${r.op} ${r.key ?? ''}`);
    expect(count(w.writes().map((r) => r.op))).toEqual({
      InitiateMultipartUpload: 2,
      UploadPartCopy: 12, // 6 parts of 256 KiB (the last one short) for each file
      CompleteMultipartUpload: 2,
      DeleteObject: 2,
    });
    expect(writes).toContain(`CompleteMultipartUpload ${prefix}a/clip.mkv`);
    expect(writes).toContain(`CompleteMultipartUpload ${trashKey}`);
    expect(writes).toContain(`DeleteObject ${prefix}video.mkv`);
    expect(writes).toContain(`DeleteObject ${prefix}old.iso`);
    // Each source is deleted only after its copy completed.
    for (const [from, to] of [
      ['video.mkv', 'a/clip.mkv'],
      ['old.iso', trashed[0]?.[0] as string],
    ]) {
      expect(writes.indexOf(`DeleteObject ${prefix}${from}`)).toBeGreaterThan(
        writes.indexOf(`CompleteMultipartUpload ${prefix}${to}`),
      );
    }
    const uploads = await w.client.listUploads({ prefix, 'max-uploads': 1000 });
    expect((uploads as unknown as { uploads: unknown[] | null }).uploads ?? []).toEqual([]);
    const moves = w.jobs().filter((job) => job.kind === 'copy');
    expect(moves.map((job) => [job.state, job.deleteSource, job.uploadId])).toEqual([
      ['done', true, null],
      ['done', true, null],
    ]);

    // The journal holds the moved file under its new name: the next pass has nothing to do.
    w.clearRequests();
    await w.sync();
    expect(w.writes()).toEqual([]);
  });
});
