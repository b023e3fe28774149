import { randomBytes } from 'node:crypto';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
  appendFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreError } from '../../../../main/core/errors.js';
import { isTempFileName, localError, NodeLocalFs } from '../../../../main/core/fs/local-fs.js';
import type { LocalFsOp } from '../../../../main/core/fs/local-fs.js';

function errno(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected, ${syscall}`), { code, syscall, errno: -1 });
}

async function rejection(promise: Promise<unknown>): Promise<CoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CoreError);
  return error as CoreError;
}

const TEMP_NAME = /^\.(.+)\.ossync-[0-9a-f]{12}\.part$/;

describe('NodeLocalFs', () => {
  let dir: string;
  const fs = new NodeLocalFs();
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ossync-local-fs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('openTemp', () => {
    it('creates a hidden temp file beside the target, creating the folders', async () => {
      const target = path.join(dir, 'deep', 'er', 'photo 1.jpg');
      const temp = await fs.openTemp(target);
      try {
        expect(path.dirname(temp.path)).toBe(path.dirname(target));
        expect(path.basename(temp.path)).toMatch(TEMP_NAME);
        expect(TEMP_NAME.exec(path.basename(temp.path))![1]).toBe('photo 1.jpg');
        expect(isTempFileName(path.basename(temp.path))).toBe(true);
        expect(await temp.size()).toBe(0);
        expect((await stat(temp.path)).isFile()).toBe(true);
      } finally {
        await temp.close();
      }
      const other = await fs.openTemp(target);
      expect(other.path).not.toBe(temp.path); // a fresh random name each time
      await other.close();
    });

    it('keeps the temp name within 255 bytes for a target name at the limit', async () => {
      const target = path.join(dir, `${'é'.repeat(125)}.bin`); // 254 bytes
      const temp = await fs.openTemp(target);
      expect(Buffer.byteLength(path.basename(temp.path))).toBeLessThanOrEqual(255);
      await temp.close();
    });

    it('maps a failure to create the folder', async () => {
      await writeFile(path.join(dir, 'file'), 'x');
      const error = await rejection(fs.openTemp(path.join(dir, 'file', 'sub', 'a.txt')));
      expect(['local-not-found', 'local-io']).toContain(error.code); // ENOTDIR or EEXIST
      expect(error.message).toContain(path.join(dir, 'file', 'sub'));
    });
  });

  describe('commit', () => {
    it('replaces the target atomically: readers never see a partial file', async () => {
      const target = path.join(dir, 'data.bin');
      const before = randomBytes(3 * 1024 * 1024);
      const after = randomBytes(5 * 1024 * 1024 + 17);
      await writeFile(target, before);

      const temp = await fs.openTemp(target);
      const seen = new Set<string>();
      let stop = false;
      const reader = (async () => {
        while (!stop) {
          const content = await readFile(target);
          if (content.equals(before)) seen.add('before');
          else if (content.equals(after)) seen.add('after');
          else throw new Error(`partial target: ${content.length} bytes`);
        }
      })();
      for (let at = 0; at < after.length; at += 256 * 1024) {
        await temp.write(after.subarray(at, at + 256 * 1024));
        expect((await readFile(target)).equals(before)).toBe(true);
      }
      await temp.commit(target);
      await new Promise((resolve) => setTimeout(resolve, 20));
      stop = true;
      await reader;

      expect((await readFile(target)).equals(after)).toBe(true);
      expect(seen.has('before')).toBe(true);
      expect(await readdir(dir)).toEqual(['data.bin']); // the temp name is gone
    });

    it('creates a target that did not exist', async () => {
      const target = path.join(dir, 'new', 'file.txt');
      const temp = await fs.openTemp(target);
      await temp.write(Buffer.from('hello'));
      await temp.commit(target);
      expect(await readFile(target, 'utf8')).toBe('hello');
      await temp.close(); // after commit: nothing to do
      await expect(temp.write(Buffer.from('x'))).rejects.toThrow(/already closed/);
    });
  });

  describe('resume', () => {
    it('appends to an existing temp file, and truncate goes back to a part boundary', async () => {
      const target = path.join(dir, 'big.bin');
      const body = randomBytes(1000);
      const first = await fs.openTemp(target);
      await first.write(body.subarray(0, 300));
      await first.write(body.subarray(300, 700));
      await first.syncAndClose();

      const resumed = await fs.openTempForResume(first.path);
      expect(resumed.path).toBe(first.path);
      expect(await resumed.size()).toBe(700);
      // The last 100 bytes were never verified: drop them and write again.
      await resumed.truncate(600);
      expect(await resumed.size()).toBe(600);
      await resumed.write(body.subarray(600));
      expect(await resumed.size()).toBe(1000);
      await resumed.commit(target);
      expect((await readFile(target)).equals(body)).toBe(true);
    });

    it('a missing temp file is local-not-found', async () => {
      const gone = path.join(dir, '.x.ossync-000000000000.part');
      const error = await rejection(fs.openTempForResume(gone));
      expect(error.code).toBe('local-not-found');
      expect(error.subject).toBe(gone);
    });
  });

  describe('faults', () => {
    it('ENOSPC on write: disk-full naming the path, and nothing under the final name', async () => {
      let writes = 0;
      const faulty = new NodeLocalFs({
        faults: (op) => (op === 'write' && ++writes === 3 ? errno('ENOSPC', 'write') : undefined),
      });
      const target = path.join(dir, 'movie.mkv');
      const temp = await faulty.openTemp(target);
      await temp.write(randomBytes(1000));
      await temp.write(randomBytes(1000));
      const error = await rejection(temp.write(randomBytes(1000)));
      expect(error.code).toBe('disk-full');
      expect(error.subject).toBe(temp.path);
      expect(error.message).toContain(temp.path);
      expect(error.message).toMatch(/disk is full\. Free some space/);
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
      await temp.close();
      await faulty.remove(temp.path);
      expect(await readdir(dir)).toEqual([]);
    });

    it('maps errno codes to CoreError codes', async () => {
      const cases: [string, string][] = [
        ['ENOENT', 'local-not-found'],
        ['ENOTDIR', 'local-not-found'],
        ['EACCES', 'local-permission'],
        ['EPERM', 'local-permission'],
        ['EROFS', 'local-permission'],
        ['ENOSPC', 'disk-full'],
        ['EDQUOT', 'disk-full'],
        ['EIO', 'local-io'],
        ['EMFILE', 'local-io'],
      ];
      const file = path.join(dir, 'f');
      await writeFile(file, 'x');
      for (const [code, expected] of cases) {
        const faulty = new NodeLocalFs({ faults: () => errno(code, 'lstat') });
        const error = await rejection(faulty.identity(file));
        expect(error.code, code).toBe(expected);
        expect(error.message, code).toContain(JSON.stringify(file));
      }
      expect(localError(new Error('odd'), 'read', file).code).toBe('local-io');
    });

    it('sees every operation of a download, with its path', async () => {
      const calls: [LocalFsOp, string][] = [];
      const traced = new NodeLocalFs({
        faults: (op, p) => {
          calls.push([op, p]);
          return undefined;
        },
      });
      const target = path.join(dir, 'sub', 't.txt');
      const temp = await traced.openTemp(target);
      await temp.write(Buffer.from('abc'));
      await temp.commit(target);
      expect(calls.map(([op]) => op)).toEqual([
        'mkdir',
        'open',
        'write',
        'fsync',
        'close',
        'rename',
        'open',
        'fsync',
      ]);
      expect(calls[1]![1]).toBe(temp.path);
      expect(calls[5]![1]).toBe(target);
      expect(calls[6]![1]).toBe(path.dirname(target));
    });

    it('an injected rename failure leaves the old target whole and the temp file in place', async () => {
      const target = path.join(dir, 'keep.txt');
      await writeFile(target, 'old');
      const faulty = new NodeLocalFs({
        faults: (op) => (op === 'rename' ? errno('EBUSY', 'rename') : undefined),
      });
      const temp = await faulty.openTemp(target);
      await temp.write(Buffer.from('new'));
      const error = await rejection(temp.commit(target));
      expect(error.code).toBe('local-io');
      expect(error.message).toContain(target);
      expect(await readFile(target, 'utf8')).toBe('old');
      expect(await readFile(temp.path, 'utf8')).toBe('new');
    });
  });

  describe('identity', () => {
    it('changes when a file is rewritten: size, mtime, inode', async () => {
      const file = path.join(dir, 'doc.txt');
      await writeFile(file, 'version one');
      const first = await fs.identity(file);
      expect(first.size).toBe(11);
      expect(typeof first.mtimeNs).toBe('bigint');
      expect(first.ino).toBeGreaterThan(0n);
      expect(await fs.identity(file)).toEqual(first);

      await appendFile(file, '!');
      const appended = await fs.identity(file);
      expect(appended.size).toBe(12);
      expect(appended.ino).toBe(first.ino);

      await utimes(file, new Date(2001, 1, 1), new Date(2001, 1, 1));
      const touched = await fs.identity(file);
      expect(touched.mtimeNs).not.toBe(appended.mtimeNs);
      expect(touched.size).toBe(12);

      // Same size, new content by an editor's save-as-rename: the inode tells.
      const temp = await fs.openTemp(file);
      await temp.write(Buffer.from('version two!'));
      await temp.commit(file);
      const replaced = await fs.identity(file);
      expect(replaced.size).toBe(12);
      expect(replaced.ino).not.toBe(touched.ino);
      expect(replaced.dev).toBe(first.dev);
    });

    it('missing file: local-not-found with the path', async () => {
      const missing = path.join(dir, 'missing.txt');
      const error = await rejection(fs.identity(missing));
      expect(error.code).toBe('local-not-found');
      expect(error.subject).toBe(missing);
      expect(error.message).toContain(missing);
    });

    it.skipIf(process.platform === 'win32' || process.getuid?.() === 0)(
      'unreadable folder: local-permission',
      async () => {
        const locked = path.join(dir, 'locked');
        await mkdir(locked);
        await writeFile(path.join(locked, 'f'), 'x');
        await chmod(locked, 0o000);
        try {
          expect((await rejection(fs.identity(path.join(locked, 'f')))).code).toBe(
            'local-permission',
          );
        } finally {
          await chmod(locked, 0o700);
        }
      },
    );
  });

  describe('readRange', () => {
    it('reads exactly the range asked for', async () => {
      const body = randomBytes(100_000);
      const file = path.join(dir, 'r.bin');
      await writeFile(file, body);
      expect((await fs.readRange(file, 0, 100_000)).equals(body)).toBe(true);
      expect((await fs.readRange(file, 12_345, 50_000)).equals(body.subarray(12_345, 62_345))).toBe(
        true,
      );
      expect((await fs.readRange(file, 100_000, 0)).length).toBe(0);
    });

    it('a file that got shorter: file-changed (retryable)', async () => {
      const file = path.join(dir, 'shrunk.bin');
      await writeFile(file, randomBytes(1000));
      const error = await rejection(fs.readRange(file, 500, 600));
      expect(error.code).toBe('file-changed');
      expect(error.retryable).toBe(true);
      expect(error.subject).toBe(file);
      expect(error.message).toMatch(/ends at byte 1000/);
    });

    it('missing: local-not-found; bad arguments: RangeError', async () => {
      expect((await rejection(fs.readRange(path.join(dir, 'nope'), 0, 1))).code).toBe(
        'local-not-found',
      );
      await expect(fs.readRange(path.join(dir, 'nope'), -1, 1)).rejects.toThrow(RangeError);
    });
  });

  describe('remove', () => {
    it('deletes, and a missing file is fine', async () => {
      const file = path.join(dir, 'gone.txt');
      await writeFile(file, 'x');
      await fs.remove(file);
      await fs.remove(file);
      expect(await readdir(dir)).toEqual([]);
    });
  });
});
