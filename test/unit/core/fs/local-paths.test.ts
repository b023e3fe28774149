import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../../../../main/core/errors.js';
import { localPathForKey } from '../../../../main/core/fs/local-paths.js';
import type { LocalPathOptions } from '../../../../main/core/fs/local-paths.js';

const ROOT = '/sync/photos';

function refusal(key: string, options?: LocalPathOptions, root = ROOT): CoreError {
  try {
    const result = localPathForKey(root, key, options);
    throw new Error(`accepted ${JSON.stringify(key)} as ${result}`);
  } catch (error) {
    expect(error, JSON.stringify(key)).toBeInstanceOf(CoreError);
    const coreError = error as CoreError;
    expect(coreError.code).toBe('invalid-key');
    expect(coreError.subject).toBe(key);
    expect(coreError.message).toContain(JSON.stringify(key).slice(0, 150));
    return coreError;
  }
}

// [kind, key, the message's distinctive part]
const hostile: [string, string, RegExp][] = [
  ['empty key', '', /it is empty/],
  ['parent segment', '../etc/passwd', /"\.\." segment/],
  ['parent segment inside', 'a/../../b', /"\.\." segment/],
  ['parent segment at the end', 'a/..', /"\.\." segment/],
  ['dot segment', './a', /"\." segment/],
  ['dot segment inside', 'a/./b', /"\." segment/],
  ['absolute', '/etc/passwd', /absolute/],
  ['root only', '/', /absolute/],
  ['drive letter relative', 'C:x', /drive letter "C:"/],
  ['drive letter absolute', 'C:\\Windows\\x', /drive letter "C:"/],
  ['drive letter with slash', 'd:/x', /drive letter "d:"/],
  ['UNC', '\\\\server\\share\\x', /network path/],
  ['UNC with slashes', '//server/share/x', /network path/],
  ['backslash', 'a\\b.txt', /backslash/],
  ['backslash parent', '..\\..\\x', /backslash/],
  ['NUL', 'a\u0000b', /control character NUL \(U\+0000\)/],
  ['LF', 'a\nb', /control character LF/],
  ['CR', 'a/b\r', /control character CR/],
  ['TAB', 'a\tb', /control character TAB/],
  ['unit separator', 'a\u001fb', /control character U\+001F/],
  ['escape', '\u001b[31mred', /control character U\+001B/],
  ['DEL', 'a\u007fb', /control character DEL/],
  ['lone surrogate', 'a\ud800b', /lone UTF-16 surrogate/],
  ['empty segment', 'a//b', /empty segment/],
  ['folder marker', 'a/b/', /folder marker/],
  ['folder marker at top', 'a/', /folder marker/],
  ['CON', 'CON', /reserved device name/],
  ['con with extension', 'docs/con.txt', /reserved device name/],
  ['Nul with two extensions', 'Nul.tar.gz', /reserved device name/],
  ['PRN', 'x/PRN', /reserved device name/],
  ['aux', 'aux.json', /reserved device name/],
  ['COM1', 'COM1', /reserved device name/],
  ['com9', 'com9.log', /reserved device name/],
  ['LPT1', 'LPT1', /reserved device name/],
  ['lpt9', 'a/lpt9.txt', /reserved device name/],
  ['COM superscript', 'COM¹', /reserved device name/],
  ['CON space before extension', 'CON .txt', /reserved device name/],
  ['trailing space', 'a/b ', /ends with a space/],
  ['trailing space folder', 'dir /b', /ends with a space/],
  ['trailing dot', 'a/b.', /ends with a dot/],
  ['trailing dots', '...', /ends with a dot/],
  ['long segment', `a/${'x'.repeat(256)}`, /256 bytes long/],
  ['long segment in UTF-8', `${'é'.repeat(128)}.txt`, /260 bytes long/],
];

describe('localPathForKey refuses', () => {
  it.each(hostile)('%s: %j', (_kind, key, why) => {
    expect(refusal(key).message).toMatch(why);
  });

  it('says what to do', () => {
    expect(refusal('../x').message).toMatch(/Rename the object in the bucket/);
    expect(refusal('a/').message).toMatch(/Create the folder instead of a file, or skip it/);
  });

  it('applies Windows rules on every platform (reserved names, trailing space and dot)', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const root = platform === 'win32' ? 'C:\\sync' : ROOT;
      for (const key of ['CON', 'a/nul.txt', 'a ', 'a.'])
        expect(refusal(key, { platform }, root).message).toMatch(/refused on every platform/);
    }
  });

  it('refuses ":" and the other characters Windows forbids on Windows only', () => {
    for (const key of ['ab:c', 'x/12:30.txt', 'a<b', 'a>b', 'a"b', 'a|b', 'what?', 'star*']) {
      expect(refusal(key, { platform: 'win32' }, 'C:\\sync').message).toMatch(
        /Windows does not allow in file names/,
      );
      expect(localPathForKey(ROOT, key, { platform: 'linux' })).toBe(`${ROOT}/${key}`);
      expect(localPathForKey(ROOT, key, { platform: 'darwin' })).toBe(`${ROOT}/${key}`);
    }
  });

  it('handles stripPrefix: not under it, nothing left, a missing trailing "/"', () => {
    expect(refusal('other/a.txt', { stripPrefix: 'photos/' }).message).toMatch(
      /does not start with the folder pair's prefix/,
    );
    expect(refusal('photos/', { stripPrefix: 'photos/' }).message).toMatch(/nothing is left/);
    expect(refusal('photos/a', { stripPrefix: 'photos' }).message).toMatch(
      /Give the prefix with its trailing "\/"/,
    );
    expect(refusal('photos/../x', { stripPrefix: 'photos/' }).message).toMatch(/"\.\." segment/);
    expect(refusal('photos//x', { stripPrefix: 'photos/' }).message).toMatch(/absolute/);
  });

  it('keeps long keys readable in the message', () => {
    const error = refusal(`${'a/'.repeat(300)}..`);
    expect(error.message.length).toBeLessThan(600);
  });

  it('wants an absolute root', () => {
    expect(() => localPathForKey('relative/root', 'a.txt')).toThrow(RangeError);
  });
});

describe('localPathForKey accepts', () => {
  const accepted = [
    'a.txt',
    'a/b/c.txt',
    'My Documents/report final.docx',
    ' leading space.txt',
    'naïve café/résumé.pdf',
    '照片/2024/海边.jpg',
    'Привет/мир.txt',
    'emoji 🎉/🐱‍👤.png',
    'c#/notes#1.md',
    'percent%20encoded%2F.txt',
    'a+b=c.txt',
    'rock & roll.mp3',
    "it's.txt",
    '[brackets] {braces} (parens).txt',
    '.hidden',
    '.config/app.json',
    '..foo',
    'foo..bar',
    'a.b.c',
    'CONSOLE.txt',
    'com10',
    'LPT0.txt',
    'auxiliary/file',
    'x'.repeat(255),
    `${'é'.repeat(127)}.`.slice(0, -1),
    'very/deep/' + 'd/'.repeat(50) + 'file',
    'tab-free name with ~ and ! and @ and $ and ^',
  ];

  it.each(accepted)('%j', (key) => {
    const result = localPathForKey(ROOT, key);
    expect(result).toBe(path.posix.join(ROOT, key));
    expect(result.startsWith(`${ROOT}/`)).toBe(true);
  });

  it('keeps the key as it is: no Unicode normalisation (NFD stays NFD)', () => {
    const nfd = 'cafe\u0301.txt';
    const nfc = 'caf\u00e9.txt';
    expect(localPathForKey(ROOT, nfd)).toBe(`${ROOT}/${nfd}`);
    expect(localPathForKey(ROOT, nfc)).toBe(`${ROOT}/${nfc}`);
    expect(localPathForKey(ROOT, nfd)).not.toBe(localPathForKey(ROOT, nfc));
  });

  it('strips the prefix', () => {
    expect(localPathForKey(ROOT, 'photos/2024/a.jpg', { stripPrefix: 'photos/' })).toBe(
      `${ROOT}/2024/a.jpg`,
    );
  });

  it('builds Windows paths with the Windows path syntax', () => {
    expect(localPathForKey('C:\\Users\\me\\Sync', 'a/b/c.txt', { platform: 'win32' })).toBe(
      'C:\\Users\\me\\Sync\\a\\b\\c.txt',
    );
  });

  it('normalises the root, and resolves strictly inside it', () => {
    expect(localPathForKey('/sync/photos/../photos/', 'x')).toBe(`${ROOT}/x`);
  });
});
