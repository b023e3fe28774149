import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../../../../main/core/errors.js';
import {
  checkKey,
  compareCollidingNames,
  compareKeys,
  MAX_KEY_BYTES,
  nameToKeySegment,
  normalizePrefix,
} from '../../../../main/core/sync/keys.js';

/** The reference order: UTF-8 bytes (what OSS and SQLite BINARY use). */
function byteOrder(a: string, b: string): number {
  return Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

const NFD_E = 'e\u0301';
const NFC_E = '\u00e9';

describe('compareKeys', () => {
  const tricky = [
    'a',
    'a.txt',
    'a/b',
    'a-b',
    'a/',
    'a b',
    'Z',
    'z',
    '',
    NFC_E,
    NFD_E,
    `${NFD_E}.txt`,
    '😀',
    '😀/x',
    '\ue000', // private use: above surrogates in UTF-16, below 4-byte UTF-8
    '\ufb00', // ligature ff
    '\uffff',
    '\u{10ffff}',
    '\u007f',
    '\u0080',
    '\u07ff',
    '\u0800',
    '日本',
    'a/😀',
    'a/\uffef',
  ];

  it('orders tricky keys exactly as their UTF-8 bytes', () => {
    for (const a of tricky)
      for (const b of tricky)
        expect(Math.sign(compareKeys(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(
          byteOrder(a, b),
        );
  });

  it('sorts a list as the byte order does (an emoji after U+FFxx, unlike UTF-16)', () => {
    const sorted = [...tricky].sort(compareKeys);
    expect(sorted).toEqual([...tricky].sort(byteOrder));
    expect(sorted.indexOf('\ufb00')).toBeLessThan(sorted.indexOf('😀'));
    expect(sorted.indexOf('a.txt')).toBeLessThan(sorted.indexOf('a/b'));
    expect(sorted.indexOf('Z')).toBeLessThan(sorted.indexOf('a'));
  });

  it('agrees with byte order on random well-formed strings', () => {
    const text = fc.string({ unit: 'grapheme-composite', maxLength: 12 });
    const mixed = fc.oneof(
      text,
      fc.string({
        unit: fc.constantFrom('a', '/', '.', '-', 'é', '😀', '\uffef', '\ue000'),
        maxLength: 8,
      }),
    );
    fc.assert(
      fc.property(mixed, mixed, (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(byteOrder(a, b));
        expect(Math.sign(compareKeys(b, a))).toBe(byteOrder(b, a));
      }),
      { numRuns: 2000, seed: 4242 },
    );
  });
});

describe('nameToKeySegment', () => {
  it('turns NFD into NFC and leaves ASCII and NFC alone', () => {
    expect(nameToKeySegment(`caf${NFD_E}.txt`)).toBe(`caf${NFC_E}.txt`);
    expect(nameToKeySegment(`caf${NFC_E}.txt`)).toBe(`caf${NFC_E}.txt`);
    expect(nameToKeySegment('plain.txt')).toBe('plain.txt');
    expect(nameToKeySegment('😀')).toBe('😀');
  });
});

describe('compareCollidingNames', () => {
  it('prefers the name already in NFC, then code-unit order', () => {
    const key = NFC_E;
    expect(compareCollidingNames(NFC_E, NFD_E, key)).toBeLessThan(0);
    expect(compareCollidingNames(NFD_E, NFC_E, key)).toBeGreaterThan(0);
    // Two non-NFC spellings of one key (Kelvin sign vs K is a real-world case).
    expect(compareCollidingNames('\u212a', 'x', 'K')).toBeGreaterThan(0);
  });
});

describe('normalizePrefix', () => {
  it.each([
    ['', ''],
    ['/', ''],
    ['photos', 'photos/'],
    ['photos/', 'photos/'],
    ['/photos/2024', 'photos/2024/'],
    [`caf${NFD_E}/`, `caf${NFC_E}/`],
    ['a b/c.d/', 'a b/c.d/'],
  ])('%j -> %j', (input, expected) => {
    expect(normalizePrefix(input)).toBe(expected);
  });

  function refusal(prefix: string): CoreError {
    try {
      normalizePrefix(prefix);
    } catch (error) {
      expect(error).toBeInstanceOf(CoreError);
      expect((error as CoreError).code).toBe('invalid-key');
      expect((error as CoreError).message).toContain(JSON.stringify(prefix).slice(0, 40));
      return error as CoreError;
    }
    throw new Error(`accepted ${JSON.stringify(prefix)}`);
  }

  it.each([
    ['a/../b/', /"\.\." segment/],
    ['../', /"\.\." segment/],
    ['a/..', /"\.\." segment/],
    ['./a/', /"\." segment/],
    ['a//b/', /empty segment/],
    ['//a/', /empty segment/],
    ['a\nb/', /control character LF \(U\+000A\)/],
    ['a\u0000/', /control character NUL/],
    ['a\u007f/', /control character DEL/],
    ['a\u001b/', /control character U\+001B/],
    ['\\a/', /backslash/],
    ['a\ud800/', /lone UTF-16 surrogate/],
    ['x'.repeat(1022), /1023 bytes long/],
    ['é'.repeat(600), /1201 bytes long/],
  ])('refuses %j', (prefix, why) => {
    expect(refusal(prefix).message).toMatch(why);
  });

  it('accepts the longest prefix that leaves room for a name', () => {
    expect(normalizePrefix('x'.repeat(1021))).toHaveLength(1022);
  });
});

describe('checkKey', () => {
  it('accepts ordinary keys', () => {
    expect(checkKey('', 'a.txt')).toBeUndefined();
    expect(checkKey('photos/', 'a/b/c.txt')).toBeUndefined();
    expect(checkKey('', `caf${NFC_E}/😀.txt`)).toBeUndefined();
    expect(checkKey('', 'x'.repeat(MAX_KEY_BYTES))).toBeUndefined();
    expect(checkKey('p/', 'x'.repeat(MAX_KEY_BYTES - 2))).toBeUndefined();
  });

  it('counts UTF-8 bytes, prefix included, and names the path and the fix', () => {
    const tooLong = 'x'.repeat(MAX_KEY_BYTES - 1);
    const message = checkKey('p/', tooLong);
    expect(message).toContain(JSON.stringify(tooLong).slice(0, 40));
    expect(message).toMatch(/1024 bytes long in UTF-8, more than the 1023 OSS allows/);
    expect(message).toMatch(/with the prefix "p\/"/);
    expect(message).toMatch(/Shorten/);
    // 400 two-byte characters: 400 UTF-16 units, 800 bytes; with 224 more bytes, over.
    expect(checkKey('', `${'é'.repeat(400)}/${'y'.repeat(222)}`)).toBeUndefined();
    expect(checkKey('', `${'é'.repeat(400)}/${'y'.repeat(223)}`)).toMatch(/1024 bytes/);
    // 1,100 bytes through a deep path.
    const deep = Array.from({ length: 11 }, () => 'd'.repeat(99)).join('/');
    expect(Buffer.byteLength(deep)).toBe(1099);
    expect(checkKey('', deep)).toMatch(/1099 bytes long/);
  });

  it('refuses control characters, lone surrogates, a leading backslash or slash, and empty', () => {
    expect(checkKey('', 'a\tb.txt')).toMatch(/control character TAB \(U\+0009\).*Rename it/);
    expect(checkKey('', 'dir/new\nline')).toMatch(/control character LF/);
    expect(checkKey('', 'a\u0001')).toMatch(/U\+0001/);
    expect(checkKey('', 'a\u007f')).toMatch(/DEL/);
    expect(checkKey('', 'a\udc00.txt')).toMatch(/not valid Unicode/);
    expect(checkKey('', '\\a')).toMatch(/cannot start with "\\"/);
    expect(checkKey('', '/a')).toMatch(/cannot start with "\/"/);
    expect(checkKey('', '')).toMatch(/empty/);
    // Only the start matters for a backslash: OSS takes it inside a key.
    expect(checkKey('', 'a\\b')).toBeUndefined();
  });

  it('a folder must leave room for a name inside it', () => {
    const name = 'f'.repeat(MAX_KEY_BYTES - 2);
    expect(checkKey('', name, true)).toBeUndefined(); // "fff.../" + one byte = 1023
    const message = checkKey('', `${name}f`, true);
    expect(message).toMatch(/files in it would be more than the 1023 bytes/);
    expect(checkKey('', 'bad\u0007dir', true)).toMatch(/control character U\+0007/);
  });
});
