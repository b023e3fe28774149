/**
 * Conformance of the local OSS server's listings and bucket operations, driven by the real
 * ali-oss 6.23 client over HTTP and checked against the OSS API reference (ListObjects,
 * ListObjectsV2, ListBuckets, PutBucket, DeleteBucket, GetBucketInfo, GetBucketLocation):
 *
 * - keys are listed in UTF-8 byte order, each once, pages strictly after one another;
 * - max-keys defaults to 100 and must be 1..1000 (else 400 InvalidArgument);
 * - v1 Contents always carry Owner, v2 only with fetch-owner=true;
 * - encoding-type=url encodes Key, Prefix, Marker/StartAfter, NextMarker, Delimiter;
 * - a marker that is a common prefix continues after the whole group;
 * - DeleteBucket refuses with 409 BucketNotEmpty while objects or unfinished multipart
 *   uploads remain ("to delete a bucket in which incomplete multipart upload tasks exist,
 *   you must first call listUploads and abortMultipartUpload").
 *
 * V4 note: an explicitly empty query value (`prefix: ''`) is sent by ali-oss as `prefix=`
 * and signed as `prefix=`, while OSS's V4 canonical query string (and Alibaba's own Go SDK
 * v2 signer) writes a parameter with an empty value as the bare name, so such a request
 * fails with SignatureDoesNotMatch. The walkers below leave empty parameters out, as a
 * client must.
 */
import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  CLIENT_MODES,
  startLocalOss,
  type Addressing,
  type LocalOss,
  type Signing,
} from '../../helpers/osslocal.js';
import { expectOssError, utf8Compare } from '../../helpers/oss-expect.js';

// ---------------------------------------------------------------------------------------
// The parts of ali-oss 6.23 used here, typed as the client really returns them (its
// bundled typings are wrong for several of these).

interface RawResponse {
  status: number;
  headers: Record<string, string | undefined>;
  data: Buffer;
}
interface ListedObject {
  name: string;
  lastModified: string;
  etag: string;
  type: string;
  size: number;
  storageClass: string;
  owner: { id: string; displayName: string } | null;
}
interface ListV1Result {
  objects: ListedObject[];
  prefixes: string[] | null;
  nextMarker: string | null;
  isTruncated: boolean;
  res: RawResponse;
}
interface ListV2Result {
  objects: ListedObject[];
  prefixes: string[] | null;
  isTruncated: boolean;
  keyCount: number;
  continuationToken: string | null;
  nextContinuationToken: string | null;
  res: RawResponse;
}
interface ListedBucket {
  name: string;
  region: string;
  creationDate: string;
  storageClass: string;
}
interface ListBucketsResult {
  buckets: ListedBucket[] | null;
  owner: { id: string; displayName: string };
  isTruncated: boolean;
  nextMarker: string | null;
  res: RawResponse;
}
type Query = Record<string, string | number | boolean>;
interface Client {
  put(name: string, body: Buffer): Promise<{ res: RawResponse }>;
  delete(name: string): Promise<{ res: RawResponse }>;
  list(query: Query | null, options?: object): Promise<ListV1Result>;
  listV2(query: Query, options?: object): Promise<ListV2Result>;
  listBuckets(query: Query): Promise<ListBucketsResult>;
  putBucket(
    name: string,
    options?: { StorageClass?: string },
  ): Promise<{ bucket: string | null; res: RawResponse }>;
  deleteBucket(name: string): Promise<{ res: RawResponse }>;
  getBucketInfo(name: string): Promise<{ bucket: Record<string, unknown>; res: RawResponse }>;
  getBucketLocation(name: string): Promise<{ location: string; res: RawResponse }>;
  initMultipartUpload(name: string): Promise<{ uploadId: string }>;
  uploadPart(
    name: string,
    uploadId: string,
    partNo: number,
    file: string,
    start: number,
    end: number,
  ): Promise<unknown>;
  abortMultipartUpload(name: string, uploadId: string): Promise<{ res: RawResponse }>;
  /** ali-oss's own request path (signing included), without its client-side name checks. */
  request(params: Record<string, unknown>): Promise<{ status: number; res: RawResponse }>;
}
// ---------------------------------------------------------------------------------------
// Helpers

const OWNER_ID = '1000000000000000';

function sortUtf8(values: Iterable<string>): string[] {
  return [...values].sort(utf8Compare);
}

function md5Hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex').toUpperCase();
}

function modeName(mode: { addressing: Addressing; signing: Signing }): string {
  return `${mode.addressing === 'path' ? 'path' : 'vhost'}-${mode.signing.toUpperCase()}`;
}

function xmlElements(res: RawResponse, name: string): string[] {
  const re = new RegExp(`<${name}>([^<]*)</${name}>`, 'g');
  return [...res.data.toString('utf8').matchAll(re)].map((m) => m[1] ?? '');
}

function xmlElement(res: RawResponse, name: string): string | undefined {
  return xmlElements(res, name)[0];
}

async function inPool<T>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** What a listing of `keys` must return, as one byte-ordered sequence of entries. */
function expectedEntries(
  keys: Iterable<string>,
  prefix: string,
  delimiter: string,
  after = '',
): Entry[] {
  const objects = new Set<string>();
  const prefixes = new Set<string>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const at = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    if (at < 0) objects.add(key);
    else prefixes.add(key.slice(0, at + delimiter.length));
  }
  const entries: Entry[] = [
    ...[...objects].map((value) => ({ kind: 'object' as const, value })),
    ...[...prefixes].map((value) => ({ kind: 'prefix' as const, value })),
  ];
  return entries
    .filter((e) => utf8Compare(e.value, after) > 0)
    .sort((a, b) => utf8Compare(a.value, b.value));
}

interface Entry {
  kind: 'object' | 'prefix';
  value: string;
}

interface Page {
  objects: string[];
  prefixes: string[];
}

/** The entries of one page in one byte-ordered sequence; each half must already be in order. */
function pageEntries(page: Page): Entry[] {
  expect(page.objects).toEqual(sortUtf8(page.objects));
  expect(page.prefixes).toEqual(sortUtf8(page.prefixes));
  return [
    ...page.objects.map((value) => ({ kind: 'object' as const, value })),
    ...page.prefixes.map((value) => ({ kind: 'prefix' as const, value })),
  ].sort((a, b) => utf8Compare(a.value, b.value));
}

/** Pages must follow one another strictly: the union is then each entry once, in order. */
function joinPages(pages: readonly Page[]): Entry[] {
  const all: Entry[] = [];
  for (const page of pages) {
    const entries = pageEntries(page);
    const last = all[all.length - 1];
    const first = entries[0];
    if (last && first)
      expect(
        utf8Compare(first.value, last.value),
        `${first.value} after ${last.value}`,
      ).toBeGreaterThan(0);
    all.push(...entries);
  }
  return all;
}

interface WalkOptions {
  prefix?: string;
  delimiter?: string;
  maxKeys?: number;
  encoding?: boolean;
  start?: string;
  /** Called between pages with the cursor (the last entry returned). */
  between?: (cursor: string) => Promise<void>;
}

const decode = (encoded: boolean) => (text: string) => (encoded ? decodeURIComponent(text) : text);

/** Walks every page of ListObjects (v1), checking each page's own invariants. */
async function walkV1(client: Client, options: WalkOptions): Promise<Page[]> {
  const pages: Page[] = [];
  const dec = decode(options.encoding === true);
  let marker = options.start ?? '';
  for (let i = 0; ; i++) {
    expect(i, 'too many pages').toBeLessThan(2000);
    const query: Query = {};
    if (options.prefix) query['prefix'] = options.prefix; // see the V4 note at the top
    if (options.delimiter) query['delimiter'] = options.delimiter;
    if (options.maxKeys !== undefined) query['max-keys'] = options.maxKeys;
    if (options.encoding) query['encoding-type'] = 'url';
    if (marker !== '') query['marker'] = marker;
    const result = await client.list(query, {});
    const page = {
      objects: result.objects.map((o) => dec(o.name)),
      prefixes: (result.prefixes ?? []).map(dec),
    };
    pages.push(page);
    const count = page.objects.length + page.prefixes.length;
    expect(count).toBeLessThanOrEqual(options.maxKeys ?? 100);
    expect(xmlElement(result.res, 'MaxKeys')).toBe(String(options.maxKeys ?? 100));
    // v1: Owner on every Contents, always (ali-oss dereferences it unconditionally).
    for (const object of result.objects)
      expect(object.owner).toEqual({ id: OWNER_ID, displayName: OWNER_ID });
    expect(xmlElements(result.res, 'ID')).toHaveLength(result.objects.length);
    if (!result.isTruncated) {
      expect(result.nextMarker).toBeNull();
      break;
    }
    expect(count).toBeGreaterThan(0);
    const entries = pageEntries(page);
    // NextMarker is the last key or common prefix of the page.
    expect(dec(result.nextMarker ?? '')).toBe(entries[entries.length - 1]?.value);
    marker = dec(result.nextMarker ?? '');
    if (options.between) await options.between(marker);
  }
  return pages;
}

/** Walks every page of ListObjectsV2 with continuation tokens. */
async function walkV2(
  client: Client,
  options: WalkOptions & { fetchOwner?: boolean },
): Promise<Page[]> {
  const pages: Page[] = [];
  const dec = decode(options.encoding === true);
  let token: string | undefined;
  for (let i = 0; ; i++) {
    expect(i, 'too many pages').toBeLessThan(2000);
    const query: Query = {};
    if (options.prefix) query['prefix'] = options.prefix; // see the V4 note at the top
    if (options.delimiter) query['delimiter'] = options.delimiter;
    if (options.maxKeys !== undefined) query['max-keys'] = options.maxKeys;
    if (options.encoding) query['encoding-type'] = 'url';
    if (options.start !== undefined) query['start-after'] = options.start;
    if (options.fetchOwner) query['fetch-owner'] = true;
    if (token !== undefined) query['continuation-token'] = token;
    const result = await client.listV2(query);
    const page = {
      objects: result.objects.map((o) => dec(o.name)),
      prefixes: (result.prefixes ?? []).map(dec),
    };
    pages.push(page);
    const count = page.objects.length + page.prefixes.length;
    // KeyCount counts keys and common prefixes.
    expect(result.keyCount).toBe(count);
    expect(count).toBeLessThanOrEqual(options.maxKeys ?? 100);
    expect(result.continuationToken).toBe(token ?? null);
    for (const object of result.objects) {
      expect(object.owner).toEqual(
        options.fetchOwner ? { id: OWNER_ID, displayName: OWNER_ID } : null,
      );
    }
    if (options.start !== undefined)
      expect(dec(xmlElement(result.res, 'StartAfter') ?? '')).toBe(options.start);
    if (!result.isTruncated) {
      expect(result.nextContinuationToken).toBeNull();
      break;
    }
    expect(count).toBeGreaterThan(0);
    expect(result.nextContinuationToken).toEqual(expect.any(String));
    token = result.nextContinuationToken ?? undefined;
    if (options.between) {
      const entries = pageEntries(page);
      await options.between(entries[entries.length - 1]?.value ?? '');
    }
  }
  return pages;
}

// ---------------------------------------------------------------------------------------
// The bucket under test

const MAIN = 'list-main';

/** Keys chosen for XML escaping, URL encoding, and UTF-8 vs UTF-16 ordering. */
const SPECIAL_KEYS = [
  '是 空格 +-/\\&*#(1)',
  '是 空格 +-/子/深',
  '<',
  '&',
  'a<b&c>d"e\'f',
  '😀',
  'dir😀/inner',
  'x/😀/y',
  'caf\u00e9', // NFC é
  'cafe\u0301', // NFD e + combining acute: a different key
  '\uFF01a', // U+FF01: above the surrogates in UTF-16, below astral characters in UTF-8
  '\uFF01b',
  '\uE000private',
  '𝄞clef',
  '~tilde',
  'percent%20literal',
  'q?x=1&y=2',
  'plus+sign',
  'inner space',
  'a//double',
  'dir3/',
  'dir3/sub1/',
  'Z-upper',
  '0-digit',
  '-dash',
  '.dot',
  '_underscore',
];

function bulkKeys(): string[] {
  const keys: string[] = [];
  for (let d = 0; d < 8; d++) {
    for (let s = 0; s < 5; s++) {
      for (let n = 0; n < 50; n++) keys.push(`dir${d}/sub${s}/f${String(n).padStart(2, '0')}.txt`);
    }
  }
  for (let i = 0; i < 120; i++) keys.push(`top${String(i).padStart(3, '0')}`);
  return keys;
}

const ALL_KEYS = [...bulkKeys(), ...SPECIAL_KEYS];
const BODY = (key: string) => Buffer.from(`body of ${key}`, 'utf8');

let oss: LocalOss;
const clientFor = (mode: { addressing: Addressing; signing: Signing }, bucket?: string): Client =>
  oss.client({ ...mode, ...(bucket === undefined ? {} : { bucket }) }) as unknown as Client;

beforeAll(async () => {
  oss = await startLocalOss({ buckets: [MAIN] });
  const seed = clientFor({ addressing: 'path', signing: 'v1' }, MAIN);
  await inPool(ALL_KEYS, 32, (key) => seed.put(key, BODY(key)));
});

afterAll(async () => {
  await oss.close();
});

const HEAVY_MODES = CLIENT_MODES.filter(
  (m) =>
    (m.addressing === 'path' && m.signing === 'v1') ||
    (m.addressing === 'virtual-host' && m.signing === 'v4'),
);
const LIGHT_MODES = CLIENT_MODES.filter((m) => !HEAVY_MODES.includes(m));

// ---------------------------------------------------------------------------------------

describe('ListObjects / ListObjectsV2: every page, every key once, in UTF-8 byte order', () => {
  const prefixes = ['', 'dir3/', 'dir', '是 空格 +-/', '\uFF01'];
  const cases = (modes: typeof CLIENT_MODES, maxKeysList: number[], prefixList: string[]) =>
    modes.flatMap((mode) =>
      (['v1', 'v2'] as const).flatMap((api) =>
        maxKeysList.flatMap((maxKeys) =>
          ['', '/'].flatMap((delimiter) =>
            prefixList.map((prefix) => ({ mode, api, maxKeys, delimiter, prefix })),
          ),
        ),
      ),
    );

  it.each([
    ...cases(HEAVY_MODES, [7, 100, 1000], prefixes),
    ...cases(LIGHT_MODES, [100], ['', 'dir3/']),
  ])(
    '$api $mode.addressing $mode.signing max-keys=$maxKeys delimiter="$delimiter" prefix="$prefix"',
    async ({ mode, api, maxKeys, delimiter, prefix }) => {
      const client = clientFor(mode, MAIN);
      const walk = api === 'v1' ? walkV1 : walkV2;
      const pages = await walk(client, { prefix, delimiter, maxKeys });
      expect(joinPages(pages)).toEqual(expectedEntries(ALL_KEYS, prefix, delimiter));
    },
  );

  it.each(HEAVY_MODES)(
    'objects carry Size, ETag, Type, StorageClass, LastModified ($addressing $signing)',
    async (mode) => {
      const client = clientFor(mode, MAIN);
      const result = await client.list({ 'max-keys': 1000 }, {});
      const more = await client.listV2({ 'max-keys': 1000, 'start-after': 'dir2' });
      for (const object of [...result.objects, ...more.objects]) {
        const body = BODY(object.name);
        expect(object.size).toBe(body.length);
        expect(object.etag).toBe(`"${md5Hex(body)}"`);
        expect(object.type).toBe('Normal');
        expect(object.storageClass).toBe('Standard');
        expect(Number.isNaN(Date.parse(object.lastModified))).toBe(false);
      }
    },
  );

  it('keeps NFC and NFD forms apart and orders astral characters after U+FFxx', async () => {
    const client = clientFor({ addressing: 'path', signing: 'v1' }, MAIN);
    const names = (await walkV1(client, { maxKeys: 1000 })).flatMap((p) => p.objects);
    expect(names).toContain('caf\u00e9');
    expect(names).toContain('cafe\u0301');
    // U+FF01 (EF BC 81) < U+1F600 (F0 9F 98 80) bytewise, though not in UTF-16 code units.
    const order = ['\uE000private', '\uFF01a', '\uFF01b', '𝄞clef', '😀'].map((k) =>
      names.indexOf(k),
    );
    expect(order.every((at) => at >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('a marker past the prefix in byte order (but not in UTF-16 order) ends the listing', async () => {
    const client = clientFor({ addressing: 'path', signing: 'v1' }, MAIN);
    const v1 = await client.list({ prefix: '\uFF01', marker: '😀', 'max-keys': 10 }, {});
    expect(v1.objects).toEqual([]);
    expect(v1.isTruncated).toBe(false);
    const v2 = await client.listV2({ prefix: '\uFF01', 'start-after': '😀' });
    expect(v2.objects).toEqual([]);
    expect(v2.keyCount).toBe(0);
    // And the other way round: a marker before the prefix lists the whole prefix.
    const before = await client.list({ prefix: '😀', marker: '\uFF01z', 'max-keys': 10 }, {});
    expect(before.objects.map((o) => o.name)).toEqual(['😀']);
  });
});

describe('ListObjects parameters', () => {
  const client = () => clientFor({ addressing: 'path', signing: 'v1' }, MAIN);

  it('max-keys defaults to 100 (v1 and v2)', async () => {
    const v1 = await client().list(null, {});
    expect(v1.objects).toHaveLength(100);
    expect(v1.isTruncated).toBe(true);
    expect(xmlElement(v1.res, 'MaxKeys')).toBe('100');
    const v2 = await client().listV2({});
    expect(v2.keyCount).toBe(100);
    expect(v2.isTruncated).toBe(true);
    expect(xmlElement(v2.res, 'MaxKeys')).toBe('100');
  });

  it('max-keys 1000 is the maximum; 1001, 0 and non-numbers are 400 InvalidArgument', async () => {
    const v1 = await client().list({ 'max-keys': 1000 }, {});
    expect(v1.objects).toHaveLength(1000);
    const v2 = await client().listV2({ 'max-keys': 1000 });
    expect(v2.keyCount).toBe(1000);
    for (const bad of ['1001', '0', '-1', 'ten', '1.5']) {
      await expectOssError(client().list({ 'max-keys': bad }, {}), 400, 'InvalidArgument');
      await expectOssError(client().listV2({ 'max-keys': bad }), 400, 'InvalidArgument');
    }
  });

  it('v2 omits Owner unless fetch-owner=true', async () => {
    const without = await client().listV2({ 'max-keys': 20 });
    expect(without.objects.every((o) => o.owner === null)).toBe(true);
    expect(without.res.data.toString('utf8')).not.toContain('<Owner>');
    await walkV2(client(), { prefix: 'dir1/sub1/', maxKeys: 15, fetchOwner: true });
    await walkV2(client(), { prefix: 'dir1/sub1/', maxKeys: 15, fetchOwner: false });
  });

  it('an invalid continuation-token is 400 InvalidArgument', async () => {
    for (const token of ['not-a-token', 'AAAA', 'dGVzdA']) {
      await expectOssError(
        client().listV2({ 'continuation-token': token }),
        400,
        'InvalidArgument',
      );
    }
  });

  it('start-after is exclusive, need not exist, and a common prefix skips its group', async () => {
    const c = client();
    const exists = await c.listV2({ 'start-after': 'dir2/sub3/f10.txt', 'max-keys': 2 });
    expect(exists.objects.map((o) => o.name)).toEqual(['dir2/sub3/f11.txt', 'dir2/sub3/f12.txt']);
    const missing = await c.listV2({ 'start-after': 'dir2/sub3/f10.txt~', 'max-keys': 1 });
    expect(missing.objects.map((o) => o.name)).toEqual(['dir2/sub3/f11.txt']);
    const pages = await walkV2(c, { delimiter: '/', start: 'dir3/', maxKeys: 4 });
    expect(joinPages(pages)).toEqual(expectedEntries(ALL_KEYS, '', '/', 'dir3/'));
    expect(joinPages(pages)[0]).toEqual({ kind: 'prefix', value: 'dir4/' });
    // A continuation token wins over start-after.
    const first = await c.listV2({ prefix: 'top', 'max-keys': 3 });
    const second = await c.listV2({
      prefix: 'top',
      'max-keys': 3,
      'start-after': 'top100',
      'continuation-token': first.nextContinuationToken ?? '',
    });
    expect(second.objects.map((o) => o.name)).toEqual(['top003', 'top004', 'top005']);
  });

  it('a v1 marker that is a common prefix continues after the whole group', async () => {
    const c = client();
    const top = await walkV1(c, { delimiter: '/', start: 'dir3/', maxKeys: 3 });
    expect(joinPages(top)[0]).toEqual({ kind: 'prefix', value: 'dir4/' });
    expect(joinPages(top)).toEqual(expectedEntries(ALL_KEYS, '', '/', 'dir3/'));
    const nested = await walkV1(c, {
      prefix: 'dir3/',
      delimiter: '/',
      start: 'dir3/sub1/',
      maxKeys: 2,
    });
    expect(joinPages(nested).map((e) => e.value)).toEqual([
      'dir3/sub2/',
      'dir3/sub3/',
      'dir3/sub4/',
    ]);
    // Without a delimiter there are no groups: the marker is just a key.
    const flat = await c.list({ marker: 'dir3/', 'max-keys': 2 }, {});
    expect(flat.objects.map((o) => o.name)).toEqual(['dir3/sub0/f00.txt', 'dir3/sub0/f01.txt']);
  });

  it.each(HEAVY_MODES)(
    'encoding-type=url encodes keys, prefixes and markers ($addressing $signing)',
    async (mode) => {
      const c = clientFor(mode, MAIN);
      for (const [prefix, delimiter] of [
        ['', '/'],
        ['是 空格 +-/', '/'],
        ['', ''],
      ] as const) {
        const expected = expectedEntries(ALL_KEYS, prefix, delimiter);
        expect(
          joinPages(await walkV1(c, { prefix, delimiter, maxKeys: 50, encoding: true })),
        ).toEqual(expected);
        expect(
          joinPages(await walkV2(c, { prefix, delimiter, maxKeys: 50, encoding: true })),
        ).toEqual(expected);
      }
      const raw = await c.list(
        { prefix: '是 空格 +-/', delimiter: '/', 'encoding-type': 'url', marker: '是 空格 +-/\\' },
        {},
      );
      expect(xmlElement(raw.res, 'EncodingType')).toBe('url');
      expect(xmlElement(raw.res, 'Prefix')).toBe(encodeURIComponent('是 空格 +-/'));
      expect(xmlElement(raw.res, 'Marker')).toBe(encodeURIComponent('是 空格 +-/\\'));
      expect(xmlElement(raw.res, 'Delimiter')).toBe('%2F');
      const specials = await c.list({ prefix: '<', 'encoding-type': 'url' }, {});
      expect(specials.objects.map((o) => o.name)).toEqual(['%3C']);
      const v2 = await c.listV2({ 'start-after': '&', 'max-keys': 1, 'encoding-type': 'url' });
      expect(xmlElement(v2.res, 'StartAfter')).toBe('%26');
    },
  );

  it('encoding-type=url round-trips keys XML 1.0 cannot carry', async () => {
    const c = clientFor({ addressing: 'path', signing: 'v1' });
    await c.putBucket('list-ctl');
    const bucket = clientFor({ addressing: 'path', signing: 'v1' }, 'list-ctl');
    const keys = ['ctl\u0001a', 'ctl\u0008b', 'ctl\u001fc', 'tab\tkey', 'nl\nkey'];
    for (const key of keys) await bucket.put(key, BODY(key));
    const pages = await walkV1(bucket, { maxKeys: 2, encoding: true });
    expect(joinPages(pages).map((e) => e.value)).toEqual(sortUtf8(keys));
    const v2 = await walkV2(bucket, { maxKeys: 2, encoding: true });
    expect(joinPages(v2).map((e) => e.value)).toEqual(sortUtf8(keys));
  });
});

describe('a listing whose bucket changes between pages', () => {
  it.each(
    HEAVY_MODES.flatMap((mode) =>
      (['v1', 'v2'] as const).flatMap((api) =>
        ['', '/'].map((delimiter) => ({ mode, api, delimiter })),
      ),
    ),
  )(
    '$api $mode.addressing $mode.signing delimiter="$delimiter": no key twice, no original key skipped',
    async ({ mode, api, delimiter }) => {
      const name = `mut-${api}-${mode.addressing === 'path' ? 'p' : 'v'}${mode.signing}-${delimiter === '' ? 'flat' : 'tree'}`;
      await clientFor(mode).putBucket(name);
      const client = clientFor(mode, name);
      // k000/x .. k298/x (even numbers) so keys and folders fit in between.
      const original = Array.from(
        { length: 150 },
        (_, i) => `k${String(i * 2).padStart(3, '0')}${delimiter === '' ? '' : '/x'}`,
      );
      await inPool(original, 16, (key) => client.put(key, BODY(key)));

      const addedBefore: string[] = [];
      const addedAfter: string[] = [];
      const deleted: string[] = [];
      let step = 0;
      const between = async (cursor: string): Promise<void> => {
        const n = Number(/^k(\d{3})/.exec(cursor)?.[1]);
        step++;
        // New keys (or folders) just before the cursor and well ahead of it; the b/a
        // suffixes keep them apart from the originals and from each other.
        const before = `k${String(n - 1).padStart(3, '0')}b${delimiter === '' ? '' : `/new${step}`}`;
        const after = `k${String(n + 11).padStart(3, '0')}a${delimiter === '' ? '' : `/new${step}`}`;
        if (n - 1 >= 0) {
          await client.put(before, BODY(before));
          addedBefore.push(before);
        }
        await client.put(after, BODY(after));
        addedAfter.push(after);
        // And delete an original key not reached yet.
        const victim = original.find(
          (k) => utf8Compare(k, `k${String(n + 20).padStart(3, '0')}`) >= 0 && !deleted.includes(k),
        );
        if (victim !== undefined && step % 3 === 0) {
          await client.delete(victim);
          deleted.push(victim);
        }
      };
      const walk = api === 'v1' ? walkV1 : walkV2;
      const pages = await walk(client, { delimiter, maxKeys: 9, between });
      const seen = joinPages(pages).map((e) => e.value); // strictly increasing: nothing twice
      expect(new Set(seen).size).toBe(seen.length);
      const group = (key: string) => (delimiter === '' ? key : key.slice(0, key.indexOf('/') + 1));
      const seenSet = new Set(seen);
      for (const key of original) {
        if (deleted.includes(key)) {
          expect(seenSet.has(group(key)), `deleted ${key}`).toBe(false);
        } else {
          expect(seenSet.has(group(key)), `original ${key}`).toBe(true);
        }
      }
      for (const key of addedAfter)
        expect(seenSet.has(group(key)), `added after the cursor: ${key}`).toBe(true);
      for (const key of addedBefore)
        expect(seenSet.has(group(key)), `added before the cursor: ${key}`).toBe(false);
      expect(step).toBeGreaterThan(10);
    },
  );
});

// ---------------------------------------------------------------------------------------

describe.each(CLIENT_MODES)('ListBuckets ($addressing $signing)', (mode) => {
  it('pages with prefix, marker and max-keys; Owner always present', async () => {
    const c = clientFor(mode);
    const tag = modeName(mode).toLowerCase();
    const names = Array.from({ length: 23 }, (_, i) => `lb-${tag}-${String(i).padStart(2, '0')}`);
    await inPool(names, 8, (name) => c.putBucket(name));
    const seen: string[] = [];
    let marker = '';
    for (let i = 0; i < 10; i++) {
      const page = await c.listBuckets({
        prefix: `lb-${tag}-`,
        'max-keys': 7,
        ...(marker === '' ? {} : { marker }),
      });
      expect(page.owner).toEqual({ id: OWNER_ID, displayName: OWNER_ID });
      const buckets = page.buckets ?? [];
      expect(buckets.length).toBeLessThanOrEqual(7);
      for (const b of buckets) {
        expect(b.region).toBe('oss-cn-hangzhou');
        expect(b.storageClass).toBe('Standard');
        expect(Number.isNaN(Date.parse(b.creationDate))).toBe(false);
      }
      seen.push(...buckets.map((b) => b.name));
      if (!page.isTruncated) {
        expect(page.nextMarker).toBeNull();
        break;
      }
      expect(page.nextMarker).toBe(buckets[buckets.length - 1]?.name);
      marker = page.nextMarker ?? '';
    }
    expect(seen).toEqual(names);
    const capped = await c.listBuckets({ prefix: `lb-${tag}-`, 'max-keys': 1000 });
    expect(capped.buckets?.map((b) => b.name)).toEqual(names);
    for (const bad of ['1001', '0'])
      await expectOssError(c.listBuckets({ 'max-keys': bad }), 400, 'InvalidArgument');
  });
});

describe.each(HEAVY_MODES)('bucket operations ($addressing $signing)', (mode) => {
  const tag = modeName(mode).toLowerCase();

  it('PutBucket with a storage class; repeating it is 409 BucketAlreadyExists', async () => {
    const c = clientFor(mode);
    const name = `pb-${tag}`;
    const created = await c.putBucket(name, { StorageClass: 'IA' });
    expect(created.res.status).toBe(200);
    const info = await c.getBucketInfo(name);
    expect(info.bucket).toMatchObject({
      Name: name,
      Location: 'oss-cn-hangzhou',
      StorageClass: 'IA',
      ExtranetEndpoint: 'oss-cn-hangzhou.aliyuncs.com',
      IntranetEndpoint: 'oss-cn-hangzhou-internal.aliyuncs.com',
      Owner: { ID: OWNER_ID, DisplayName: OWNER_ID },
    });
    expect(Number.isNaN(Date.parse(String(info.bucket['CreationDate'])))).toBe(false);
    const location = await c.getBucketLocation(name);
    expect(location.location).toBe('oss-cn-hangzhou');
    const listed = await c.listBuckets({ prefix: name });
    expect(listed.buckets?.map((b) => [b.name, b.storageClass])).toEqual([[name, 'IA']]);
    await expectOssError(c.putBucket(name), 409, 'BucketAlreadyExists');
    await expectOssError(
      c.putBucket(name, { StorageClass: 'Standard' }),
      409,
      'BucketAlreadyExists',
    );
  });

  it('invalid bucket names are 400 InvalidBucketName', async () => {
    const c = clientFor(mode);
    // ali-oss refuses these names itself, so send them through its request path directly.
    for (const name of ['Ab', '-ab', 'ab-', 'a_b', 'a'.repeat(64), 'ab']) {
      await expectOssError(
        c.request({ method: 'PUT', bucket: name, successStatuses: [200] }),
        400,
        'InvalidBucketName',
      );
    }
    await expectOssError(c.getBucketInfo('a_b'), 400, 'InvalidBucketName');
    // 3 and 63 characters are fine.
    await c.putBucket(`a${tag.slice(0, 1)}3`);
    await c.putBucket(`${tag}-${'x'.repeat(63 - tag.length - 1)}`);
  });

  it('unknown buckets are 404 NoSuchBucket', async () => {
    const c = clientFor(mode);
    await expectOssError(c.getBucketInfo(`missing-${tag}`), 404, 'NoSuchBucket');
    await expectOssError(c.getBucketLocation(`missing-${tag}`), 404, 'NoSuchBucket');
    await expectOssError(c.deleteBucket(`missing-${tag}`), 404, 'NoSuchBucket');
    await expectOssError(clientFor(mode, `missing-${tag}`).list(null, {}), 404, 'NoSuchBucket');
  });

  it('DeleteBucket: 409 BucketNotEmpty with an object or an unfinished upload, 204 when empty, then 404', async () => {
    const c = clientFor(mode);
    const name = `del-${tag}`;
    await c.putBucket(name);
    const b = clientFor(mode, name);

    await b.put('one', Buffer.from('1'));
    await expectOssError(c.deleteBucket(name), 409, 'BucketNotEmpty');
    await b.delete('one');

    // An initiated upload, with no part yet, then with one: still not empty.
    const { uploadId } = await b.initMultipartUpload('pending');
    await expectOssError(c.deleteBucket(name), 409, 'BucketNotEmpty');
    await b.request({
      method: 'PUT',
      bucket: name,
      object: 'pending',
      subres: { partNumber: 1, uploadId },
      content: Buffer.alloc(1000, 1),
      successStatuses: [200],
    });
    await expectOssError(c.deleteBucket(name), 409, 'BucketNotEmpty');
    await b.abortMultipartUpload('pending', uploadId);

    const deleted = await c.deleteBucket(name);
    expect(deleted.res.status).toBe(204);
    await expectOssError(b.put('after', Buffer.from('x')), 404, 'NoSuchBucket');
    await expectOssError(b.list(null, {}), 404, 'NoSuchBucket');
    await expectOssError(b.listV2({}), 404, 'NoSuchBucket');
    await expectOssError(b.initMultipartUpload('after'), 404, 'NoSuchBucket');
    await expectOssError(c.getBucketInfo(name), 404, 'NoSuchBucket');
    await expectOssError(c.deleteBucket(name), 404, 'NoSuchBucket');
    const listed = await c.listBuckets({ prefix: name });
    expect(listed.buckets ?? []).toEqual([]);
  });
});
