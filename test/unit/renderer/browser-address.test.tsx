// The Browser's pure parts: the oss:// address bar's parsing, breadcrumbs, folder-name and
// local-folder checks, the custom share expiry, sorting, which files get a preview, and the
// walk over a dropped folder (DataTransferItem.webkitGetAsEntry).
import { describe, expect, it } from 'vitest';
import {
  breadcrumbs,
  checkFolderName,
  checkLocalDir,
  formatAddress,
  nameIn,
  parseAddress,
} from '../../../renderer/src/views/browser/address.js';
import { previewKind } from '../../../renderer/src/views/browser/details-panel.js';
import { collectDropped } from '../../../renderer/src/views/browser/drop-upload.js';
import { customSeconds } from '../../../renderer/src/views/browser/share-dialog.js';
import { nextOrder, sortRows } from '../../../renderer/src/views/browser/sort.js';
import type { BrowserRow } from '../../../renderer/src/views/browser/use-object-pages.js';

describe('parseAddress', () => {
  it('accepts a bucket, a bucket with a slash, and folders (adding the last slash)', () => {
    expect(parseAddress('oss://photos')).toEqual({
      ok: true,
      location: { bucket: 'photos', prefix: '' },
    });
    expect(parseAddress('  OSS://photos/  ')).toEqual({
      ok: true,
      location: { bucket: 'photos', prefix: '' },
    });
    expect(parseAddress('oss://photos/2024/旅行')).toEqual({
      ok: true,
      location: { bucket: 'photos', prefix: '2024/旅行/' },
    });
    expect(parseAddress('oss://my-bucket-01/a b/c/')).toEqual({
      ok: true,
      location: { bucket: 'my-bucket-01', prefix: 'a b/c/' },
    });
  });

  it('refuses what cannot be opened, saying why', () => {
    expect(parseAddress('')).toEqual({ ok: false, error: 'empty' });
    expect(parseAddress('photos/2024/')).toEqual({ ok: false, error: 'scheme' });
    expect(parseAddress('s3://photos/')).toEqual({ ok: false, error: 'scheme' });
    expect(parseAddress('oss://')).toEqual({ ok: false, error: 'bucket' });
    expect(parseAddress('oss://Photos/')).toEqual({ ok: false, error: 'bucket' });
    expect(parseAddress('oss://ab/')).toEqual({ ok: false, error: 'bucket' });
    expect(parseAddress('oss://-photos/')).toEqual({ ok: false, error: 'bucket' });
    expect(parseAddress('oss://photos//a/')).toEqual({ ok: false, error: 'emptySegment' });
    expect(parseAddress('oss://photos/a/../b/')).toEqual({ ok: false, error: 'badSegment' });
    expect(parseAddress('oss://photos/a\\b/')).toEqual({ ok: false, error: 'badSegment' });
    expect(parseAddress(`oss://photos/${'猫'.repeat(341)}`)).toEqual({
      ok: false,
      error: 'tooLong',
    });
    expect(parseAddress(`oss://photos/${'猫'.repeat(340)}`).ok).toBe(true);
  });

  it('round-trips with formatAddress', () => {
    const location = { bucket: 'photos', prefix: 'a/b/' };
    expect(parseAddress(formatAddress(location))).toEqual({ ok: true, location });
  });
});

describe('breadcrumbs and names', () => {
  it('lists each folder of a prefix with its own prefix', () => {
    expect(breadcrumbs('')).toEqual([]);
    expect(breadcrumbs('a/b c/')).toEqual([
      { name: 'a', prefix: 'a/' },
      { name: 'b c', prefix: 'a/b c/' },
    ]);
    expect(nameIn('a/', 'a/b/')).toBe('b');
    expect(nameIn('a/', 'a/c.txt')).toBe('c.txt');
  });
});

describe('form checks', () => {
  it('checks new folder names', () => {
    expect(checkFolderName('a/', '')).toBe('empty');
    expect(checkFolderName('a/', '  ')).toBe('empty');
    expect(checkFolderName('a/', 'x/y')).toBe('slash');
    expect(checkFolderName('a/', '..')).toBe('badName');
    expect(checkFolderName('a/', 'a\u0007')).toBe('badName');
    expect(checkFolderName('a/', 'x'.repeat(1021))).toBe('tooLong');
    expect(checkFolderName('a/', 'x'.repeat(1020))).toBeNull();
    expect(checkFolderName('a/', '报告 2026')).toBeNull();
  });

  it('checks local folders for downloads', () => {
    expect(checkLocalDir('')).toBe('empty');
    expect(checkLocalDir('Downloads')).toBe('relative');
    expect(checkLocalDir('~/Downloads')).toBe('relative');
    expect(checkLocalDir('/home/me/../root')).toBe('dotdot');
    expect(checkLocalDir('C:\\Users\\me\\..\\x')).toBe('dotdot');
    expect(checkLocalDir('/a\0b')).toBe('badChar');
    expect(checkLocalDir('/home/me/Downloads')).toBeNull();
    expect(checkLocalDir('C:\\Users\\me')).toBeNull();
    expect(checkLocalDir('\\\\server\\share\\dir')).toBeNull();
  });

  it('turns a custom share expiry into seconds, up to 7 days', () => {
    expect(customSeconds('90', 'minutes')).toBe(5400);
    expect(customSeconds('7', 'days')).toBe(604_800);
    expect(customSeconds('169', 'hours')).toBe('tooLong');
    expect(customSeconds('0', 'hours')).toBe('invalid');
    expect(customSeconds('1.5', 'hours')).toBe('invalid');
    expect(customSeconds('', 'hours')).toBe('invalid');
  });
});

describe('sorting', () => {
  const rows: BrowserRow[] = [
    { kind: 'file', key: 'b10.txt', size: 5, lastModified: 3, etag: 'e', storageClass: null },
    { kind: 'folder', key: 'z/' },
    { kind: 'file', key: 'b9.txt', size: 50, lastModified: 1, etag: 'e', storageClass: null },
    { kind: 'folder', key: 'a/' },
    { kind: 'file', key: 'A1.txt', size: 7, lastModified: 2, etag: 'e', storageClass: null },
  ];
  const keys = (sorted: readonly BrowserRow[]) => sorted.map((row) => row.key);

  it('keeps the listing order by default and puts folders first otherwise', () => {
    expect(sortRows(rows, null)).toBe(rows);
    expect(keys(sortRows(rows, { field: 'name', direction: 'asc' }))).toEqual([
      'a/',
      'z/',
      'A1.txt',
      'b9.txt',
      'b10.txt',
    ]);
    expect(keys(sortRows(rows, { field: 'size', direction: 'desc' }))).toEqual([
      'z/',
      'a/',
      'b9.txt',
      'A1.txt',
      'b10.txt',
    ]);
    expect(keys(sortRows(rows, { field: 'date', direction: 'asc' }))).toEqual([
      'a/',
      'z/',
      'b9.txt',
      'A1.txt',
      'b10.txt',
    ]);
  });

  it('flips the direction on a second click of the same column', () => {
    expect(nextOrder(null, 'size')).toEqual({ field: 'size', direction: 'asc' });
    expect(nextOrder({ field: 'size', direction: 'asc' }, 'size')).toEqual({
      field: 'size',
      direction: 'desc',
    });
    expect(nextOrder({ field: 'size', direction: 'desc' }, 'name')).toEqual({
      field: 'name',
      direction: 'asc',
    });
  });
});

describe('previewKind', () => {
  it('previews images and text by type, or by name when the type says nothing', () => {
    expect(previewKind('a.bin', 'image/png')).toBe('image');
    expect(previewKind('a', 'text/csv; charset=utf-8')).toBe('text');
    expect(previewKind('a', 'application/ld+json')).toBe('text');
    expect(previewKind('notes.md', 'application/octet-stream')).toBe('text');
    expect(previewKind('photo.JPG', null)).toBe('image');
    expect(previewKind('movie.mp4', 'video/mp4')).toBeNull();
    expect(previewKind('archive.zip', 'application/zip')).toBeNull();
  });
});

describe('collectDropped', () => {
  type FakeEntry = {
    name: string;
    isFile: boolean;
    isDirectory: boolean;
    file?: (ok: (file: File) => void) => void;
    createReader?: () => { readEntries: (ok: (entries: FakeEntry[]) => void) => void };
  };
  const file = (name: string): FakeEntry => ({
    name,
    isFile: true,
    isDirectory: false,
    file: (ok) => ok(new File([name], name)),
  });
  /** A folder whose reader answers in batches of two, then with none (as Chromium does). */
  const folder = (name: string, children: FakeEntry[]): FakeEntry => ({
    name,
    isFile: false,
    isDirectory: true,
    createReader: () => {
      let at = 0;
      return {
        readEntries: (ok) => {
          const batch = children.slice(at, at + 2);
          at += 2;
          ok(batch);
        },
      };
    },
  });

  it('walks dropped folders, giving each file its path inside the drop', async () => {
    const entries = [
      folder('photos', [
        file('a.jpg'),
        file('b.jpg'),
        folder('2024', [file('c.jpg')]),
        folder('empty', []),
      ]),
      file('notes.txt'),
    ];
    const data = {
      items: entries.map((entry) => ({ kind: 'file', webkitGetAsEntry: () => entry })),
      files: [],
    } as unknown as DataTransfer;
    const dropped = await collectDropped(data);
    expect(dropped.map((d) => d.path)).toEqual([
      'photos/a.jpg',
      'photos/b.jpg',
      'photos/2024/c.jpg',
      'notes.txt',
    ]);
    expect(dropped[2]?.file.name).toBe('c.jpg');
  });

  it('falls back to the plain file list when entries are not available', async () => {
    const files = [new File(['x'], 'x.txt')];
    const data = { items: [{ kind: 'string' }], files } as unknown as DataTransfer;
    expect((await collectDropped(data)).map((d) => d.path)).toEqual(['x.txt']);
  });
});
