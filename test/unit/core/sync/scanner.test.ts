import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreError } from '../../../../main/core/errors.js';
import { createIgnoreMatcher } from '../../../../main/core/sync/ignore-rules.js';
import { compareKeys } from '../../../../main/core/sync/keys.js';
import { prepareScanWorker, SCAN_CREDITS, scanLocal } from '../../../../main/core/sync/scanner.js';
import type { ScanItem, ScanOptions, ScanSummary } from '../../../../main/core/sync/scanner.js';
import type { LocalEntry, SyncIssue } from '../../../../main/core/sync/types.js';
import { mulberry32 } from '../../../helpers/random.js';
import { makeTree } from '../../../helpers/tree.js';

// Permission bits do not stop root, so an unreadable folder cannot be made that way when the
// tests run as root (as in some containers). Those tests are skipped then, and only then; the
// same code paths are covered as root by paths longer than PATH_MAX (ENAMETOOLONG) below.
const AS_ROOT = process.getuid?.() === 0;
const POSIX = process.platform !== 'win32';

const NFC_E = '\u00e9';
const NFD_E = 'e\u0301';

interface Scanned {
  items: ScanItem[];
  files: LocalEntry[];
  issues: SyncIssue[];
  unknown: { path: string; subtree: boolean }[];
  summary: ScanSummary;
}

async function scan(
  root: string,
  options: Partial<ScanOptions> = {},
  signal?: AbortSignal,
): Promise<Scanned> {
  const items: ScanItem[] = [];
  const run = scanLocal(
    { root, prefix: '', patterns: [], followSymlinks: false, ...options },
    signal,
  );
  for await (const batch of run) items.push(...batch);
  const result: Scanned = { items, files: [], issues: [], unknown: [], summary: run.summary };
  for (const item of items) {
    if (item.type === 'file') result.files.push(item.entry);
    else if (item.type === 'issue') result.issues.push(item.issue);
    else result.unknown.push({ path: item.path, subtree: item.subtree });
  }
  return result;
}

/** The position of an item in key order: a folder-wide unknown sits where `path/` sorts. */
function sortKey(item: ScanItem): string {
  if (item.type === 'file') return item.entry.path;
  if (item.type === 'issue') return item.issue.path;
  return item.subtree ? `${item.path}/` : item.path;
}

function expectKeyOrder(items: ScanItem[]): void {
  const keys = items.filter((item) => item.type === 'file').map(sortKey);
  const bytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  expect(keys).toEqual(bytes);
  for (let k = 1; k < items.length; k++)
    expect(
      compareKeys(sortKey(items[k - 1]!), sortKey(items[k]!)),
      `${sortKey(items[k - 1]!)} then ${sortKey(items[k]!)}`,
    ).toBeLessThanOrEqual(0);
}

describe('scanLocal', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'ossync-scan-'));
  });
  afterEach(() => {
    if (POSIX) execFileSync('chmod', ['-R', 'u+rwx', root]);
    rmSync(root, { recursive: true, force: true });
  });

  function put(file: string, content: string | Buffer = 'x'): string {
    const full = path.join(root, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
    return full;
  }

  it('yields files in UTF-8 key order: tricky names, NFD stored names as NFC keys', async () => {
    const names = [
      'a.txt',
      'a/b',
      'a-b',
      'a b',
      'Z',
      'z',
      `${NFC_E}.txt`,
      `nfd/${NFD_E}.txt`,
      `nfd/${NFD_E}x/inner.txt`,
      '😀.txt',
      '\ufb00.txt', // U+FB00: after an emoji in UTF-16, before it in UTF-8
      '\ue000',
      '日本/語.txt',
      'a/😀/deep.txt',
    ];
    for (const name of names) put(name, name);
    const { files, issues, items, summary } = await scan(root);
    expect(issues).toEqual([]);
    const expected = names.map((name) => name.normalize('NFC')).sort(compareKeys);
    expect(files.map((f) => f.path)).toEqual(expected);
    expectKeyOrder(items);
    // The on-disk path keeps the stored form; the key path is NFC.
    const nfd = files.find((f) => f.path === `nfd/${NFC_E}.txt`)!;
    expect(nfd.fsPath).toBe(`nfd/${NFD_E}.txt`);
    expect(files.find((f) => f.path === `nfd/${NFC_E}x/inner.txt`)!.fsPath).toBe(
      `nfd/${NFD_E}x/inner.txt`,
    );
    expect(files.find((f) => f.path === 'a/b')!.fsPath).toBe(path.join('a', 'b'));
    expect(summary).toMatchObject({ files: names.length, issues: 0, unknown: 0 });
    expect(summary.folders).toBe(6); // root, a, a/😀, nfd, nfd/éx, 日本
  });

  it("entries carry the file's size, mtime in ns and inode; contents are never read", async () => {
    const file = put('data.bin', Buffer.alloc(12345, 7));
    chmodSync(file, 0o200); // write-only: a read would fail for a normal user
    const { files } = await scan(root);
    const stats = lstatSync(file, { bigint: true });
    expect(files).toEqual([
      { path: 'data.bin', fsPath: 'data.bin', size: 12345, mtimeNs: stats.mtimeNs, ino: stats.ino },
    ]);
  });

  it('reports two names with the same NFC form once: the NFC one wins, the other is an issue', async () => {
    put(`${NFC_E}.txt`, 'nfc');
    put(`${NFD_E}.txt`, 'nfd');
    put(`dir${NFD_E}/a.txt`);
    put(`dir${NFC_E}`, 'a file with the folder key');
    const { files, issues } = await scan(root);
    expect(files.map((f) => [f.path, f.fsPath])).toEqual([
      [`dir${NFC_E}`, `dir${NFC_E}`],
      [`${NFC_E}.txt`, `${NFC_E}.txt`],
    ]);
    expect(issues.map((i) => [i.path, i.code])).toEqual([
      [`dir${NFC_E}`, 'invalid-name'],
      [`${NFC_E}.txt`, 'invalid-name'],
    ]);
    expect(issues[1]!.message).toMatch(/same name after Unicode normalisation/);
  });

  describe('ignore rules', () => {
    it('skips defaults, pair patterns and nested .ossyncignore rules, without descending', async () => {
      put('.DS_Store');
      put('doc.tmp');
      put('~$report.docx');
      put('.photo.jpg.ossync-0123456789ab.part');
      put('.ossyncignore', '*.log\nsecret/\n');
      put('app.log');
      put('secret/key.pem');
      put('secret/deeper/more.txt');
      put('build/out.o');
      put('sub/.ossyncignore', '!keep.log\n/local-only.txt\n');
      put('sub/keep.log');
      put('sub/drop.log');
      put('sub/local-only.txt');
      put('sub/deeper/local-only.txt');
      put('keep.txt');
      const { files, issues, summary } = await scan(root, { patterns: ['build/'] });
      expect(files.map((f) => f.path)).toEqual([
        'keep.txt',
        'sub/deeper/local-only.txt',
        'sub/keep.log',
      ]);
      expect(issues).toEqual([]);
      // Ignored folders are not listed: root, sub, sub/deeper only.
      expect(summary.folders).toBe(3);
      expect(summary.ignored).toBe(11);
    });

    it('an unreadable .ossyncignore makes its folder unknown, with an issue', async () => {
      mkdirSync(path.join(root, 'odd/.ossyncignore'), { recursive: true }); // EISDIR
      put('odd/file.txt');
      put('fine.txt');
      const { items } = await scan(root);
      expect(items.map((item) => [item.type, sortKey(item)])).toEqual([
        ['file', 'fine.txt'],
        ['issue', 'odd'],
        ['unknown', 'odd/'],
      ]);
    });

    it('an unreadable top-level .ossyncignore fails the scan: nothing can be said', async () => {
      mkdirSync(path.join(root, '.ossyncignore'));
      put('file.txt');
      const error = await scan(root).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CoreError);
      expect((error as CoreError).code).toBe('local-permission');
      expect((error as CoreError).message).toMatch(
        /Could not read the ignore rules .*\.ossyncignore/,
      );
    });
  });

  it('agrees with the main-thread matcher on random trees with nested rules', async () => {
    const random = mulberry32(99);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const names = ['a', 'b.log', 'c.tmp', 'keep.log', 'D', `${NFD_E}.txt`, 'x.bak', 'build'];
    const rules = ['*.log', '!keep.log', 'build/', '/a', 'D', '!*.tmp', 'sub*/', '*.bak', '!D'];
    let kept = 0;
    let dropped = 0;
    for (let round = 0; round < 12; round++) {
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root);
      const files: string[] = [];
      const taken = new Set<string>();
      const grow = (dir: string, depth: number): void => {
        for (let k = 0; k < 4; k++) {
          const name = pick(names) + (random() < 0.5 ? '' : String(k));
          const rel = dir === '' ? name : `${dir}/${name}`;
          if (taken.has(rel)) continue;
          taken.add(rel);
          if (depth < 3 && random() < 0.35) {
            mkdirSync(path.join(root, rel), { recursive: true });
            if (random() < 0.4)
              writeFileSync(
                path.join(root, rel, '.ossyncignore'),
                `${pick(rules)}\n${pick(rules)}\n`,
              );
            grow(rel, depth + 1);
          } else {
            mkdirSync(path.join(root, dir), { recursive: true });
            writeFileSync(path.join(root, rel), rel);
            files.push(rel);
          }
        }
      };
      grow('', 0);
      const patterns = [pick(rules), pick(rules)];
      const matcher = createIgnoreMatcher({ root, patterns, ignoreCase: false });
      const expected = files
        .map((file) => file.normalize('NFC'))
        .filter((file) => !matcher.ignores(file, false))
        .sort(compareKeys);
      kept += expected.length;
      dropped += files.length - expected.length;
      const { files: scanned } = await scan(root, { patterns, ignoreCase: false });
      expect(
        scanned.map((f) => f.path),
        `round ${round}, patterns ${patterns.join(' ')}`,
      ).toEqual(expected);
    }
    // The trees exercised both outcomes.
    expect(kept).toBeGreaterThan(20);
    expect(dropped).toBeGreaterThan(20);
  });

  describe.skipIf(!POSIX)('special files and symlinks', () => {
    let server: Server | undefined;
    afterEach(async () => {
      if (server) await new Promise((resolve) => server!.close(resolve));
      server = undefined;
    });

    async function makeSpecials(): Promise<void> {
      execFileSync('mkfifo', [path.join(root, 'pipe')]);
      server = createServer();
      await new Promise<void>((resolve) => server!.listen(path.join(root, 'sock'), resolve));
      put('target.txt', 'twelve bytes');
      put('dir/inside.txt');
      symlinkSync('target.txt', path.join(root, 'link-file'));
      symlinkSync('dir', path.join(root, 'link-dir'));
      symlinkSync('missing.txt', path.join(root, 'link-dangling'));
      symlinkSync('link-loop', path.join(root, 'link-loop'));
      symlinkSync('pipe', path.join(root, 'link-pipe'));
    }

    it('skips FIFOs, sockets and symlinks with an issue each (symlinks not followed)', async () => {
      await makeSpecials();
      const { files, issues, items } = await scan(root);
      expect(files.map((f) => f.path)).toEqual(['dir/inside.txt', 'target.txt']);
      expect(issues.map((i) => [i.path, i.code])).toEqual([
        ['link-dangling', 'skipped-special'],
        ['link-dir', 'skipped-special'],
        ['link-file', 'skipped-special'],
        ['link-loop', 'skipped-special'],
        ['link-pipe', 'skipped-special'],
        ['pipe', 'skipped-special'],
        ['sock', 'skipped-special'],
      ]);
      expect(issues.find((i) => i.path === 'pipe')!.message).toMatch(/named pipe \(FIFO\)/);
      expect(issues.find((i) => i.path === 'sock')!.message).toMatch(/a socket/);
      expect(issues.find((i) => i.path === 'link-file')!.message).toMatch(/symbolic link/);
      expectKeyOrder(items);
    });

    it.skipIf(!AS_ROOT)(
      'a device node is skipped with an issue (only root can make one)',
      async () => {
        execFileSync('mknod', [path.join(root, 'null-device'), 'c', '1', '3']);
        put('plain.txt');
        const { files, issues } = await scan(root);
        expect(files.map((f) => f.path)).toEqual(['plain.txt']);
        expect(issues).toHaveLength(1);
        expect(issues[0]).toMatchObject({ path: 'null-device', code: 'skipped-special' });
        expect(issues[0]!.message).toMatch(/is a device/);
      },
    );

    it("with followSymlinks, a link to a file yields the target's stats under the link's path", async () => {
      await makeSpecials();
      const { files, issues } = await scan(root, { followSymlinks: true });
      const target = lstatSync(path.join(root, 'target.txt'), { bigint: true });
      expect(files.map((f) => f.path)).toEqual(['dir/inside.txt', 'link-file', 'target.txt']);
      expect(files[1]).toEqual({
        path: 'link-file',
        fsPath: 'link-file',
        size: 12,
        mtimeNs: target.mtimeNs,
        ino: target.ino,
      });
      const byPath = new Map(issues.map((i) => [i.path, i.message]));
      expect(byPath.get('link-dir')).toMatch(/link to a folder; linked folders are never followed/);
      expect(byPath.get('link-dangling')).toMatch(/does not exist/);
      expect(byPath.get('link-loop')).toMatch(/loop/);
      expect(byPath.get('link-pipe')).toMatch(/symbolic link to a named pipe/);
      expect(byPath.has('link-file')).toBe(false);
    });
  });

  describe('names that cannot be keys', () => {
    it('a control character in a name, and keys over 1023 bytes through a deep path', async () => {
      put('bad\tname.txt');
      put('new\nline/inside.txt'); // a folder: reported once, not descended
      // 5 x 200 + 4 slashes = 1004 bytes of folders; a 30-byte name makes the key 1035.
      const deep = Array.from({ length: 5 }, (_, k) => String(k).repeat(200)).join('/');
      put(`${deep}/${'n'.repeat(18)}`); // 1023 bytes: fine
      put(`${deep}/${'l'.repeat(30)}.txt`); // 1039 bytes: too long
      put('ok.txt');
      const { files, issues, summary } = await scan(root);
      expect(files.map((f) => f.path)).toEqual([`${deep}/${'n'.repeat(18)}`, 'ok.txt']);
      expect(Buffer.byteLength(files[0]!.path)).toBe(1023);
      expect(issues.map((i) => [i.path, i.code])).toEqual([
        [`${deep}/${'l'.repeat(30)}.txt`, 'invalid-name'],
        ['bad\tname.txt', 'invalid-name'],
        ['new\nline', 'invalid-name'],
      ]);
      expect(issues[0]!.message).toMatch(/1039 bytes long in UTF-8, more than the 1023 OSS allows/);
      expect(issues[1]!.message).toMatch(/control character TAB/);
      expect(summary.folders).toBe(6); // root and the five deep ones; "new\nline" not listed
    });

    it.skipIf(process.platform !== 'linux')(
      'names that are not valid UTF-8, and a top-level name starting with a backslash',
      async () => {
        const bad = Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0x62, 0xff, 0x2e, 0x74])]);
        writeFileSync(bad, 'x');
        put('\\lead.txt');
        put('sub/\\inside.txt'); // a backslash inside a key is fine for OSS
        const { files, issues } = await scan(root);
        expect(files.map((f) => f.path)).toEqual(['sub/\\inside.txt']);
        expect(issues.map((i) => [i.path, i.code])).toEqual([
          ['\\lead.txt', 'invalid-name'],
          ['b\uFFFD.t', 'invalid-name'],
        ]);
        expect(issues[1]!.message).toMatch(/not valid UTF-8/);
        // Under a prefix the backslash is no longer first.
        expect((await scan(root, { prefix: 'p/' })).files).toHaveLength(2);
      },
    );

    it('counts the prefix in the key length, and refuses a bad prefix', async () => {
      const folders = Array.from({ length: 4 }, (_, k) => String(k).repeat(200)).join('/');
      put(`${folders}/${'f'.repeat(197)}`); // 1001 bytes
      const ok = await scan(root, { prefix: 'p/' });
      expect(ok.files).toHaveLength(1);
      const tight = await scan(root, { prefix: `${'p'.repeat(30)}/` });
      expect(tight.files).toHaveLength(0);
      expect(tight.issues[0]!.message).toMatch(/with the prefix/);
      await expect(scan(root, { prefix: 'a/../b' })).rejects.toThrow(/"\.\." segment/);
    });
  });

  describe('unreadable paths', () => {
    it.skipIf(!POSIX || AS_ROOT)(
      'an unreadable folder is unknown (not deleted) with an issue (skipped as root: permissions do not apply)',
      async () => {
        put('a.txt');
        put('locked/inner.txt');
        put('z.txt');
        chmodSync(path.join(root, 'locked'), 0o000);
        const { items } = await scan(root);
        expect(items.map((item) => [item.type, sortKey(item)])).toEqual([
          ['file', 'a.txt'],
          ['issue', 'locked'],
          ['unknown', 'locked/'],
          ['file', 'z.txt'],
        ]);
      },
    );

    it.skipIf(!POSIX || AS_ROOT)(
      'a file in an unsearchable folder is unknown (skipped as root: permissions do not apply)',
      async () => {
        put('dir/f.txt');
        chmodSync(path.join(root, 'dir'), 0o444); // listable, not searchable: lstat fails
        const { items } = await scan(root);
        expect(items.map((item) => [item.type, sortKey(item)])).toEqual([
          ['issue', 'dir/f.txt'],
          ['unknown', 'dir/f.txt'],
        ]);
        expect((items[0] as { issue: SyncIssue }).issue.message).toMatch(/EACCES/);
      },
    );

    it.skipIf(!POSIX)(
      'paths the OS cannot open (ENAMETOOLONG, as root too) are unknown, file or folder',
      async () => {
        // A root close to PATH_MAX (4096): its entries have absolute paths the OS refuses.
        const base = path.join(root, 'long');
        const segments: string[] = [];
        let length = base.length;
        while (length + 201 < 4040) {
          segments.push(String.fromCharCode(97 + segments.length).repeat(200));
          length += 201;
        }
        segments.push('z'.repeat(4040 - length - 1));
        mkdirSync(base);
        execFileSync('sh', [
          '-c',
          `cd "$1" && for s in ${segments.join(' ')}; do mkdir $s && cd $s; done && : > short && : > ${'f'.repeat(200)} && mkdir ${'d'.repeat(200)} && : > ${'d'.repeat(200)}/x`,
          'sh',
          base,
        ]);
        const deepRoot = path.join(base, ...segments);
        expect(deepRoot.length).toBe(4040);
        const { items } = await scan(deepRoot);
        expect(items.map((item) => [item.type, sortKey(item)])).toEqual([
          ['issue', 'd'.repeat(200)],
          ['unknown', `${'d'.repeat(200)}/`],
          ['issue', 'f'.repeat(200)],
          ['unknown', 'f'.repeat(200)],
          ['file', 'short'],
        ]);
        expect((items[0] as { issue: SyncIssue }).issue).toMatchObject({ code: 'unreadable' });
        expect((items[0] as { issue: SyncIssue }).issue.message).toMatch(/ENAMETOOLONG/);
        // A scope root that exists but cannot be read is unknown too.
        const scoped = await scan(deepRoot, { scope: ['f'.repeat(200), 'short', 'gone'] });
        // Not known to be a file or a folder: both the path and its subtree are unknown.
        expect(scoped.items.map((item) => [item.type, sortKey(item)])).toEqual([
          ['issue', 'f'.repeat(200)],
          ['unknown', 'f'.repeat(200)],
          ['unknown', `${'f'.repeat(200)}/`],
          ['file', 'short'],
        ]);
        execFileSync('rm', ['-rf', base]);
      },
    );

    it('a missing root, or a file as root, fails the scan instead of yielding nothing', async () => {
      const missing = path.join(root, 'not-there');
      const error = await scan(missing).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CoreError);
      expect((error as CoreError).code).toBe('local-not-found');
      expect((error as CoreError).message).toContain(JSON.stringify(missing));
      await expect(scan(put('file.txt'))).rejects.toMatchObject({ code: 'local-not-found' });
      await expect(scan(missing, { scope: ['a'] })).rejects.toMatchObject({
        code: 'local-not-found',
      });
    });
  });

  describe('scope', () => {
    beforeEach(() => {
      put('a.txt');
      put('a/x.txt');
      put('a/b/y.txt');
      put('a-b/z.txt');
      put('c/d.txt');
      put('c/e/f.txt');
      put('ignored/.ossyncignore', '*.txt\n!keep.txt\n');
      put('ignored/drop.txt');
      put('ignored/keep.txt');
      put(`caf${NFD_E}/note.txt`);
      put('skipme/inner.txt');
    });

    it('scans exactly the given files and folders, in key order, de-duplicated', async () => {
      const { files, items } = await scan(root, {
        scope: ['c/e', 'a', 'a/b', 'a.txt', 'missing', 'a/b/y.txt', 'c/e/', '/a-b/z.txt'],
      });
      expect(files.map((f) => f.path)).toEqual([
        'a-b/z.txt',
        'a.txt',
        'a/b/y.txt',
        'a/x.txt',
        'c/e/f.txt',
      ]);
      expectKeyOrder(items);
    });

    it('honours the ignore rules of the folders above a scope path, and the pair patterns', async () => {
      const { files } = await scan(root, {
        scope: ['ignored/drop.txt', 'ignored/keep.txt', 'skipme/inner.txt', 'skipme'],
        patterns: ['skipme/'],
      });
      expect(files.map((f) => f.path)).toEqual(['ignored/keep.txt']);
    });

    it('finds NFD names on disk from NFC scope paths', async () => {
      const { files } = await scan(root, { scope: [`caf${NFC_E}/note.txt`] });
      expect(files).toHaveLength(1);
      expect(files[0]!.path).toBe(`caf${NFC_E}/note.txt`);
      expect(files[0]!.fsPath).toBe(`caf${NFD_E}/note.txt`);
      const folder = await scan(root, { scope: [`caf${NFC_E}`] });
      expect(folder.files.map((f) => f.fsPath)).toEqual([`caf${NFD_E}/note.txt`]);
    });

    it.skipIf(!POSIX)(
      'never goes through a symlinked folder, and reports a symlink in scope',
      async () => {
        symlinkSync('c', path.join(root, 'link'));
        const { files, issues } = await scan(root, { scope: ['link/d.txt', 'link'] });
        expect(files).toEqual([]);
        expect(issues.map((i) => [i.path, i.code])).toEqual([['link', 'skipped-special']]);
      },
    );

    it("'' or an empty scope: the whole folder, or nothing", async () => {
      expect((await scan(root, { scope: [''] })).files).toHaveLength(9);
      expect((await scan(root, { scope: [] })).files).toEqual([]);
      await expect(scan(root, { scope: ['a/../b'] })).rejects.toThrow(/not a pair-relative path/);
    });
  });

  describe('streaming', () => {
    it('a consumer that stalls stops the walk: the worker sends only what credits allow', async () => {
      makeTree(root, { files: 3000, folders: 40, bytes: 1 });
      const run = scanLocal({
        root,
        prefix: '',
        patterns: [],
        followSymlinks: false,
        batchSize: 100,
      });
      const first = await run.next();
      expect(first.done).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 600));
      // One batch taken, SCAN_CREDITS more may have been sent: nothing else has left the worker.
      expect(run.summary.files).toBeLessThanOrEqual((1 + SCAN_CREDITS) * 100);
      expect(run.summary.files).toBeGreaterThan(0);
      let count = (first.value as ScanItem[]).length;
      let last = '';
      for await (const batch of run) {
        expect(batch.length).toBeLessThanOrEqual(100);
        for (const item of batch) {
          if (item.type !== 'file') continue;
          expect(compareKeys(last, item.entry.path)).toBeLessThan(0);
          last = item.entry.path;
        }
        count += batch.length;
      }
      expect(count).toBe(3000);
      expect(run.summary).toMatchObject({ files: 3000, folders: 41, bytes: 3000 });
    });

    it('stopping early or aborting ends the worker; the next scan is complete', async () => {
      makeTree(root, { files: 2000, folders: 20, bytes: 1 });
      for await (const batch of scanLocal({
        root,
        prefix: '',
        patterns: [],
        followSymlinks: false,
        batchSize: 50,
      })) {
        expect(batch.length).toBeGreaterThan(0);
        break;
      }
      const controller = new AbortController();
      const aborted = scanLocal(
        { root, prefix: '', patterns: [], followSymlinks: false, batchSize: 50 },
        controller.signal,
      );
      await aborted.next();
      controller.abort(new Error('stop now'));
      await expect(aborted.next()).rejects.toThrow('stop now');
      await expect(scan(root, {}, AbortSignal.abort(new Error('before')))).rejects.toThrow(
        'before',
      );
      const { files, summary } = await scan(root);
      expect(files).toHaveLength(2000);
      expect(summary.files).toBe(2000);
    });

    it('a worker prepared ahead (or left from a scan) serves the next scan', async () => {
      put('one.txt');
      prepareScanWorker();
      prepareScanWorker(); // one is enough
      expect((await scan(root)).files.map((f) => f.path)).toEqual(['one.txt']);
      put('two.txt');
      expect((await scan(root)).files.map((f) => f.path)).toEqual(['one.txt', 'two.txt']);
    });

    it('a scan of a generated tree finds every file', async () => {
      const tree = makeTree(root, { files: 1500, folders: 120, listPaths: true, seed: 3 });
      const { files, items, summary } = await scan(root, { prefix: 'backup/' });
      expect(files.map((f) => f.path)).toEqual([...tree.paths].sort(compareKeys));
      expectKeyOrder(items);
      expect(summary).toMatchObject({ files: 1500, folders: 121, bytes: tree.bytes });
    });
  });
});
