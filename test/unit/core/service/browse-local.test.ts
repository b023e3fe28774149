/**
 * The local side of objects.upload and objects.download on real temp folders: which files an
 * upload takes and their keys, where downloaded keys land, and every refusal naming its
 * path or key.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkAbsolute,
  checkNoLinkBetween,
  checkTargetDir,
  downloadPath,
  parentOfKey,
  planUpload,
} from '../../../../main/core/service/browse-local.js';
import { ContractError } from '../../../../shared/contract/index.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'browse-local-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown> | (() => unknown)): Promise<ContractError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(ContractError);
    return error as ContractError;
  }
  throw new Error('not refused');
}

describe('planUpload', () => {
  it('walks folders in name order, NFC keys, nested empty folders once, links skipped', async () => {
    const dir = path.join(root, 'Fotos');
    await mkdir(path.join(dir, 'b', 'empty', 'deeper'), { recursive: true });
    await writeFile(path.join(dir, 'z.txt'), 'zz');
    await writeFile(path.join(dir, 'a\u0308.txt'), 'a'); // NFD ä
    await writeFile(path.join(dir, 'b', 'c.txt'), 'ccc');
    await symlink(path.join(dir, 'z.txt'), path.join(dir, 'b', 'link'));
    const plan = await planUpload('up/', [dir]);
    expect(plan.files).toEqual([
      {
        key: 'up/Fotos/a\u0308.txt'.normalize('NFC'),
        localPath: path.join(dir, 'a\u0308.txt'),
        size: 1,
      },
      { key: 'up/Fotos/b/c.txt', localPath: path.join(dir, 'b', 'c.txt'), size: 3 },
      { key: 'up/Fotos/z.txt', localPath: path.join(dir, 'z.txt'), size: 2 },
    ]);
    expect(plan.files[0]!.key).toBe('up/Fotos/\u00e4.txt');
    // Only the innermost empty folder needs an object: it implies its parents.
    expect(plan.folders).toEqual(['up/Fotos/b/empty/deeper/']);
    expect(plan.skipped).toEqual([{ path: path.join(dir, 'b', 'link'), reason: 'symlink' }]);
  });

  it('makes an empty chosen folder a folder object', async () => {
    const dir = path.join(root, 'nothing');
    await mkdir(dir);
    expect(await planUpload('', [dir])).toEqual({ files: [], folders: ['nothing/'], skipped: [] });
  });

  it('refuses, naming the path: relative, "..", missing, root, chosen link, too long, same key', async () => {
    const file = path.join(root, 'f.txt');
    await writeFile(file, 'f');
    await mkdir(path.join(root, 'other'));
    await writeFile(path.join(root, 'other', 'f.txt'), 'g');
    await symlink(file, path.join(root, 'f-link'));
    const cases: [string[], string, string, string][] = [
      [['f.txt'], 'invalid-argument', 'f.txt', 'not an absolute path'],
      [[`${root}/other/../f.txt`], 'invalid-argument', `${root}/other/../f.txt`, '".."'],
      [[path.join(root, 'gone')], 'local-not-found', path.join(root, 'gone'), 'does not exist'],
      [['/'], 'invalid-argument', '/', 'root'],
      [[path.join(root, 'f-link')], 'invalid-argument', path.join(root, 'f-link'), 'symbolic link'],
      [
        [file, path.join(root, 'other', 'f.txt')],
        'invalid-argument',
        path.join(root, 'other', 'f.txt'),
        'both',
      ],
    ];
    for (const [paths, code, subject, words] of cases) {
      const error = await refusal(planUpload('', paths));
      expect(error.code, subject).toBe(code);
      expect(error.subject).toBe(subject);
      expect(error.message).toContain(words);
    }
    const long = await refusal(planUpload('k'.repeat(1020) + '/', [file]));
    expect(long.subject).toBe(file);
    expect(long.message).toContain('1023');
    // 1023 bytes exactly is fine: 1017 + '/' + 'f.txt'.
    expect((await planUpload('k'.repeat(1017) + '/', [file])).files).toHaveLength(1);
  });
});

describe('download paths', () => {
  it('takes the parent of what was chosen', () => {
    expect(parentOfKey('a/b/c.txt')).toBe('a/b/');
    expect(parentOfKey('a/b/')).toBe('a/');
    expect(parentOfKey('c.txt')).toBe('');
    expect(parentOfKey('top/')).toBe('');
  });

  it('maps keys inside the target and refuses escapes, naming the key', () => {
    expect(downloadPath('/t', 'a/b/c.txt', 'a/')).toBe('/t/b/c.txt');
    expect(downloadPath('/t', 'a/b/', 'a/')).toBe('/t/b');
    expect(downloadPath('/t', 'c.txt', '')).toBe('/t/c.txt');
    for (const key of ['a/../../x', 'a/b\\c', 'a/NUL', 'a/x.', 'a/./x', 'a//x', 'a/c:x']) {
      const error = (() => {
        try {
          downloadPath('/t', key, 'a/');
        } catch (caught) {
          return caught as ContractError;
        }
        throw new Error(`${key} not refused`);
      })();
      expect(error).toBeInstanceOf(ContractError);
      expect(error.code, key).toBe('invalid-key');
      expect(error.subject).toBe(key);
      expect(error.message).toContain(JSON.stringify(key));
    }
  });

  it('checks the target folder and links inside it', async () => {
    expect(() => checkAbsolute('rel', 'The download folder')).toThrow(/not an absolute path/);
    expect((await refusal(checkTargetDir(path.join(root, 'none')))).code).toBe('local-not-found');
    const file = path.join(root, 'plain.txt');
    await writeFile(file, 'x');
    expect((await refusal(checkTargetDir(file))).code).toBe('invalid-argument');
    expect(await checkTargetDir(`${root}/`)).toBe(root);
    const target = await mkdtemp(path.join(root, 'target-'));
    await symlink(root, path.join(target, 'out'));
    const error = await refusal(
      checkNoLinkBetween(
        target,
        path.join(target, 'out', 'x', 'f.txt'),
        'k/out/x/f.txt',
        new Set(),
      ),
    );
    expect(error.code).toBe('invalid-key');
    expect(error.subject).toBe('k/out/x/f.txt');
    // Folders that do not exist yet are fine: the download creates them.
    await checkNoLinkBetween(target, path.join(target, 'new', 'f.txt'), 'k/new/f.txt', new Set());
  });
});
