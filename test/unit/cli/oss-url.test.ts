import { describe, expect, it } from 'vitest';
import {
  bucketNameProblem,
  formatOssUrl,
  OssUrlError,
  parentPrefix,
  parseOssUrl,
} from '../../../main/cli/oss-url.js';

describe('parseOssUrl', () => {
  it.each([
    ['oss://photos', { bucket: 'photos', key: '', isPrefix: true }],
    ['oss://photos/', { bucket: 'photos', key: '', isPrefix: true }],
    ['oss://photos/2024/', { bucket: 'photos', key: '2024/', isPrefix: true }],
    ['oss://photos/2024/a.jpg', { bucket: 'photos', key: '2024/a.jpg', isPrefix: false }],
    ['oss://photos/2024', { bucket: 'photos', key: '2024', isPrefix: false }],
    ['oss://a-1/x', { bucket: 'a-1', key: 'x', isPrefix: false }],
  ])('%s', (text, expected) => {
    expect(parseOssUrl(text)).toEqual(expected);
  });

  it('keeps the key exactly as written: no normalisation of Unicode, "//", "." or ".."', () => {
    const nfd = 'e\u0301';
    expect(parseOssUrl(`oss://bkt/${nfd}.txt`).key).toBe(`${nfd}.txt`);
    expect(parseOssUrl('oss://bkt/a//b/./c/../d').key).toBe('a//b/./c/../d');
    expect(parseOssUrl('oss://bkt/a%20b+c').key).toBe('a%20b+c');
    expect(parseOssUrl('oss://bkt/ spaced /').key).toBe(' spaced /');
  });

  it.each([
    ['photos/a.jpg', /is not an oss:\/\/ URL: write oss:\/\/BUCKET\/KEY/],
    ['s3://photos/a.jpg', /only oss:\/\/ is understood/],
    ['OSS://photos/a', /not an oss:\/\/ URL/],
    ['oss://', /has no bucket name/],
    ['oss:///key', /has no bucket name/],
    [
      'oss://ab/x',
      /"ab" is not a valid bucket name: it is 2 characters long; bucket names have 3 to 63/,
    ],
    [`oss://${'a'.repeat(64)}/x`, /it is 64 characters long/],
    ['oss://Photos/x', /"Photos" is not a valid bucket name: it has upper-case letters/],
    ['oss://-photos/x', /starting and ending with a letter or digit/],
    ['oss://photos-/x', /starting and ending with a letter or digit/],
    ['oss://pho_tos/x', /lower-case letters, digits and hyphens only/],
    ['oss://pho.tos/x', /lower-case letters, digits and hyphens only/],
    ['oss://photos//x', /object keys cannot start with "\/" \(write oss:\/\/photos\/x\)/],
    [`oss://photos/${'k'.repeat(1024)}`, /is 1024 bytes long; OSS keys have at most 1023/],
  ])('refuses %s with a clear message', (text, message) => {
    expect(() => parseOssUrl(text)).toThrow(OssUrlError);
    expect(() => parseOssUrl(text)).toThrow(message);
  });

  it('counts the key limit in UTF-8 bytes, not characters', () => {
    const key = 'é'.repeat(511); // 1022 bytes
    expect(parseOssUrl(`oss://bkt/${key}`).key).toBe(key);
    expect(() => parseOssUrl(`oss://bkt/${key}é`)).toThrow(/1024 bytes/);
  });
});

describe('bucketNameProblem', () => {
  it('accepts 3 and 63 characters, refuses 2 and 64', () => {
    expect(bucketNameProblem('abc')).toBeUndefined();
    expect(bucketNameProblem('a'.repeat(63))).toBeUndefined();
    expect(bucketNameProblem('ab')).toMatch(/2 characters/);
    expect(bucketNameProblem('a'.repeat(64))).toMatch(/64 characters/);
  });
});

describe('parentPrefix', () => {
  it.each([
    ['a/b/c.txt', 'a/b/'],
    ['a/photos/', 'a/'],
    ['photos/', ''],
    ['top', ''],
    ['', ''],
  ])('%s -> %s', (key, parent) => {
    expect(parentPrefix(key)).toBe(parent);
  });
});

it('formatOssUrl', () => {
  expect(formatOssUrl('bkt', 'a/b')).toBe('oss://bkt/a/b');
  expect(formatOssUrl('bkt', '')).toBe('oss://bkt/');
});
