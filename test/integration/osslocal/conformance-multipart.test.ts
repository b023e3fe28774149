/**
 * Conformance of the local OSS server's multipart upload against the OSS API reference
 * (InitiateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
 * AbortMultipartUpload, ListParts, ListMultipartUploads), driven by the real ali-oss 6.23
 * client over HTTP:
 *
 * - part numbers 1..10000 (else 400 InvalidArgument); each UploadPart answers with the
 *   part's ETag (its MD5) and CRC64;
 * - at Complete: every part but the last >= 100 KB (400 EntityTooSmall), ascending part
 *   numbers (400 InvalidPartOrder), known parts with matching ETags (400 InvalidPart);
 *   the object's ETag is `"<MD5 of the concatenated binary part MD5s>-<N>"` and its
 *   x-oss-hash-crc64ecma the CRC64 of the whole object; x-oss-complete-all: yes takes
 *   every part (and forbids a body);
 * - a completed or aborted upload is gone: 404 NoSuchUpload.
 *
 * The CRC64 oracle is crc64-ecma182.js, independent of shared/crc64.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  CLIENT_MODES,
  startLocalOss,
  type Addressing,
  type LocalOss,
  type Signing,
} from '../../helpers/osslocal.js';
import { expectOssError, multipartEtag, utf8Compare } from '../../helpers/oss-expect.js';

const require = createRequire(import.meta.url);
const ecma = require('crc64-ecma182.js') as { crc64(buff: Buffer, prev?: string): string };
/** ali-oss's request builder (URL, headers, signature), for a request we send by hand. */
const requestBuilder = require('ali-oss/lib/common/utils/createRequest.js') as {
  createRequest(
    this: unknown,
    params: Record<string, unknown>,
  ): { url: string; params: { method: string; headers: Record<string, string | number> } };
};

// ---------------------------------------------------------------------------------------
// The parts of ali-oss 6.23 used here, typed as the client really returns them.

interface RawResponse {
  status: number;
  headers: Record<string, string | undefined>;
  data: Buffer;
}
interface ListedPart {
  PartNumber: string;
  LastModified: string;
  ETag: string;
  HashCrc64ecma: string;
  Size: string;
}
interface ListPartsResult {
  uploadId: string;
  bucket: string;
  name: string;
  partNumberMarker: string;
  nextPartNumberMarker: string;
  maxParts: string;
  isTruncated: string;
  /** An object, not an array, when there is exactly one part. */
  parts: ListedPart[] | ListedPart;
  res: RawResponse;
}
interface ListUploadsResult {
  uploads: { name: string; uploadId: string; initiated: string }[];
  bucket: string;
  nextKeyMarker: string;
  nextUploadIdMarker: string;
  isTruncated: boolean;
  res: RawResponse;
}
interface PartRef {
  number: number;
  etag: string;
}
interface RequestOptions {
  headers?: Record<string, string>;
  timeout?: number;
}
interface Client {
  options: { bucket: string };
  put(name: string, body: Buffer, options?: RequestOptions): Promise<{ res: RawResponse }>;
  get(name: string): Promise<{ content: Buffer; res: RawResponse }>;
  head(name: string): Promise<{ meta: Record<string, string>; res: RawResponse }>;
  list(
    query: Record<string, string | number>,
    options: object,
  ): Promise<{ objects: { name: string; type: string; size: number; etag: string }[] }>;
  initMultipartUpload(
    name: string,
    options?: { meta?: Record<string, string>; mime?: string; headers?: Record<string, string> },
  ): Promise<{ bucket: string; name: string; uploadId: string; res: RawResponse }>;
  uploadPart(
    name: string,
    uploadId: string,
    partNo: number,
    file: string,
    start: number,
    end: number,
    options?: RequestOptions,
  ): Promise<{ name: string; etag: string; res: RawResponse }>;
  uploadPartCopy(
    name: string,
    uploadId: string,
    partNo: number,
    range: string,
    source: { sourceKey: string; sourceBucketName: string },
    options?: RequestOptions,
  ): Promise<{ name: string; etag: string; res: RawResponse }>;
  completeMultipartUpload(
    name: string,
    uploadId: string,
    parts: PartRef[],
    options?: RequestOptions,
  ): Promise<{ etag: string; res: RawResponse }>;
  abortMultipartUpload(name: string, uploadId: string): Promise<{ res: RawResponse }>;
  listParts(
    name: string,
    uploadId: string,
    query?: Record<string, number>,
  ): Promise<ListPartsResult>;
  listUploads(query: Record<string, string | number>): Promise<ListUploadsResult>;
  multipartUpload(
    name: string,
    file: string,
    options: {
      partSize: number;
      parallel?: number;
      progress?: (p: number) => void;
      timeout?: number;
    },
  ): Promise<{ etag: string; res: RawResponse }>;
  request(
    params: Record<string, unknown>,
  ): Promise<{ status: number; res: RawResponse; data: Buffer }>;
}
// ---------------------------------------------------------------------------------------
// Helpers

function crc64(data: Buffer): string {
  // The Emscripten build copies each call into a 16 MiB heap: feed it 1 MiB at a time.
  let crc = '0';
  for (let at = 0; at < data.length; at += 1024 * 1024)
    crc = ecma.crc64(data.subarray(at, at + 1024 * 1024), crc);
  return crc;
}

function md5(data: Buffer): Buffer {
  return createHash('md5').update(data).digest();
}

function partEtag(data: Buffer): string {
  return `"${md5(data).toString('hex').toUpperCase()}"`;
}

function toArray<T>(value: T[] | T | undefined | ''): T[] {
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

function xmlElements(res: RawResponse, name: string): string[] {
  const re = new RegExp(`<${name}>([^<]*)</${name}>`, 'g');
  return [...res.data.toString('utf8').matchAll(re)].map((m) => m[1] ?? '');
}

function completeXml(parts: readonly PartRef[]): string {
  const body = parts
    .map((p) => `<Part><PartNumber>${p.number}</PartNumber><ETag>${p.etag}</ETag></Part>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload>${body}</CompleteMultipartUpload>`;
}

/** CompleteMultipartUpload with a body of our choosing (ali-oss sorts and de-duplicates parts). */
function rawComplete(
  client: Client,
  key: string,
  uploadId: string,
  body: string | undefined,
  headers: Record<string, string> = {},
) {
  return client.request({
    method: 'POST',
    bucket: client.options.bucket,
    object: key,
    subres: { uploadId },
    headers,
    ...(body === undefined ? {} : { content: Buffer.from(body, 'utf8'), mime: 'xml' }),
    successStatuses: [200],
  });
}

const modeTag = (mode: { addressing: Addressing; signing: Signing }) =>
  `${mode.addressing === 'path' ? 'path' : 'vhost'}-${mode.signing}`;

// ---------------------------------------------------------------------------------------
// Fixtures

const BUCKET = 'mp-main';
const KB = 1024;

let oss: LocalOss;
let dir: string;
const clientFor = (mode: { addressing: Addressing; signing: Signing }, bucket = BUCKET): Client =>
  oss.client({ ...mode, bucket, extra: { timeout: 120_000 } }) as unknown as Client;

/** A real file of random bytes. */
function randomFile(name: string, size: number): { file: string; data: Buffer } {
  const data = randomBytes(size);
  const file = path.join(dir, name);
  writeFileSync(file, data);
  return { file, data };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ossync-mp-'));
  oss = await startLocalOss({ buckets: [BUCKET] });
});

afterAll(async () => {
  await oss.close();
  rmSync(dir, { recursive: true, force: true });
});

const HEAVY_MODES = CLIENT_MODES.filter(
  (m) =>
    (m.addressing === 'path' && m.signing === 'v1') ||
    (m.addressing === 'virtual-host' && m.signing === 'v4'),
);

// ---------------------------------------------------------------------------------------

describe.each(CLIENT_MODES)('multipart upload ($addressing $signing)', (mode) => {
  it('initiate, upload, re-upload, list, complete: bytes, size, ETag, CRC64, metadata', async () => {
    const c = clientFor(mode);
    const key = `mp/${modeTag(mode)}/对象 +&.bin`;
    const sizes = [150 * KB, 120 * KB, 200 * KB, 33 * KB + 7];
    const { file, data } = randomFile(
      `main-${modeTag(mode)}`,
      sizes.reduce((a, b) => a + b, 0),
    );
    const ranges = sizes.map((size, i) => {
      const start = sizes.slice(0, i).reduce((a, b) => a + b, 0);
      return { start, end: start + size };
    });
    const partData = ranges.map((r) => data.subarray(r.start, r.end));

    const init = await c.initMultipartUpload(key, {
      meta: { origin: 'sync-test', n: '7' },
      mime: 'application/x-ossync-test',
      headers: { 'Cache-Control': 'no-cache', 'Content-Disposition': 'attachment' },
    });
    expect(init.res.status).toBe(200);
    expect(init.bucket).toBe(BUCKET);
    expect(init.name).toBe(key);
    expect(init.uploadId).toMatch(/^\S+$/);
    const { uploadId } = init;

    // Part 2 first with other bytes, then again: the second upload replaces the first.
    const decoy = randomFile(`decoy-${modeTag(mode)}`, 130 * KB);
    const first = await c.uploadPart(key, uploadId, 2, decoy.file, 0, decoy.data.length);
    expect(first.etag).toBe(partEtag(decoy.data));
    const before = await c.listParts(key, uploadId);
    expect(toArray(before.parts).map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([
      ['2', partEtag(decoy.data), String(decoy.data.length)],
    ]);

    const etags: string[] = [];
    for (const [i, r] of ranges.entries()) {
      const result = await c.uploadPart(key, uploadId, i + 1, file, r.start, r.end);
      const bytes = partData[i] as Buffer;
      expect(result.res.status).toBe(200);
      expect(result.etag).toBe(partEtag(bytes));
      expect(result.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(bytes));
      etags.push(result.etag);
    }

    const listed = await c.listParts(key, uploadId);
    expect(listed.uploadId).toBe(uploadId);
    expect(listed.bucket).toBe(BUCKET);
    expect(listed.name).toBe(key);
    expect(listed.isTruncated).toBe('false');
    const parts = toArray(listed.parts);
    expect(parts.map((p) => Number(p.PartNumber))).toEqual([1, 2, 3, 4]);
    parts.forEach((p, i) => {
      const bytes = partData[i] as Buffer;
      expect(p.ETag).toBe(partEtag(bytes));
      expect(p.HashCrc64ecma).toBe(crc64(bytes));
      expect(Number(p.Size)).toBe(bytes.length);
      expect(Number.isNaN(Date.parse(p.LastModified))).toBe(false);
    });

    // ListParts paging.
    const page1 = await c.listParts(key, uploadId, { 'max-parts': 3 });
    expect(toArray(page1.parts).map((p) => p.PartNumber)).toEqual(['1', '2', '3']);
    expect(page1.isTruncated).toBe('true');
    expect(page1.nextPartNumberMarker).toBe('3');
    expect(page1.maxParts).toBe('3');
    const page2 = await c.listParts(key, uploadId, { 'max-parts': 3, 'part-number-marker': 3 });
    expect(toArray(page2.parts).map((p) => p.PartNumber)).toEqual(['4']);
    expect(page2.isTruncated).toBe('false');
    const page3 = await c.listParts(key, uploadId, { 'part-number-marker': 4 });
    expect(toArray(page3.parts)).toEqual([]);
    expect(page3.isTruncated).toBe('false');

    const pending = await c.listUploads({ prefix: key });
    expect(pending.uploads.map((u) => [u.name, u.uploadId])).toEqual([[key, uploadId]]);

    const done = await c.completeMultipartUpload(
      key,
      uploadId,
      etags.map((etag, i) => ({ number: i + 1, etag })),
    );
    const expectedEtag = quotedMultipartEtag(partData);
    expect(done.res.status).toBe(200);
    expect(done.etag).toBe(expectedEtag);
    expect(xmlElements(done.res, 'ETag')).toEqual([expectedEtag.replace(/"/g, '&quot;')]);
    expect(xmlElements(done.res, 'Key')).toEqual([key.replace(/&/g, '&amp;')]);
    expect(done.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(data));

    const got = await c.get(key);
    expect(got.content.equals(data)).toBe(true);
    expect(got.res.headers['etag']).toBe(expectedEtag);
    expect(got.res.headers['content-length']).toBe(String(data.length));
    expect(got.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(data));
    expect(got.res.headers['x-oss-object-type']).toBe('Multipart');
    expect(got.res.headers['content-type']).toBe('application/x-ossync-test');
    expect(got.res.headers['cache-control']).toBe('no-cache');
    expect(got.res.headers['content-disposition']).toBe('attachment');
    const head = await c.head(key);
    expect(head.meta).toEqual({ origin: 'sync-test', n: '7' });

    const listing = await c.list({ prefix: key, 'max-keys': 10 }, {});
    expect(listing.objects.map((o) => [o.name, o.type, o.size, o.etag])).toEqual([
      [key, 'Multipart', data.length, expectedEtag],
    ]);

    // The upload is gone: Complete again (ali-oss #1388's double Complete), UploadPart,
    // ListParts and Abort all answer 404 NoSuchUpload, and ListMultipartUploads omits it.
    const parts2 = etags.map((etag, i) => ({ number: i + 1, etag }));
    await expectOssError(c.completeMultipartUpload(key, uploadId, parts2), 404, 'NoSuchUpload');
    await expectOssError(c.uploadPart(key, uploadId, 5, file, 0, 1000), 404, 'NoSuchUpload');
    await expectOssError(c.listParts(key, uploadId), 404, 'NoSuchUpload');
    await expectOssError(c.abortMultipartUpload(key, uploadId), 404, 'NoSuchUpload');
    expect((await c.listUploads({ prefix: key })).uploads).toEqual([]);
    // And the object is unchanged by all that.
    expect((await c.get(key)).content.equals(data)).toBe(true);
  });
});

describe.each(HEAVY_MODES)('multipart rules ($addressing $signing)', (mode) => {
  const tag = modeTag(mode);
  let part: { file: string; data: Buffer };
  let small: { file: string; data: Buffer };
  beforeAll(() => {
    part = randomFile(`part-${tag}`, 110 * KB);
    small = randomFile(`small-${tag}`, 10 * KB);
  });

  it('part numbers must be 1..10000: 0 and 10001 are 400 InvalidArgument', async () => {
    const c = clientFor(mode);
    const key = `rules/${tag}/numbers`;
    const { uploadId } = await c.initMultipartUpload(key);
    await expectOssError(
      c.uploadPart(key, uploadId, 0, small.file, 0, 100),
      400,
      'InvalidArgument',
    );
    await expectOssError(
      c.uploadPart(key, uploadId, 10001, small.file, 0, 100),
      400,
      'InvalidArgument',
    );
    const one = await c.uploadPart(key, uploadId, 1, part.file, 0, part.data.length);
    const last = await c.uploadPart(key, uploadId, 10000, small.file, 0, small.data.length);
    const done = await c.completeMultipartUpload(key, uploadId, [
      { number: 1, etag: one.etag },
      { number: 10000, etag: last.etag },
    ]);
    expect(done.etag).toBe(quotedMultipartEtag([part.data, small.data]));
    expect((await c.get(key)).content.equals(Buffer.concat([part.data, small.data]))).toBe(true);
  });

  it('a non-last part under 100 KB fails at Complete with 400 EntityTooSmall; 100 KB exactly is fine', async () => {
    const c = clientFor(mode);
    const key = `rules/${tag}/small`;
    const exact = randomFile(`exact-${tag}`, 100 * KB);
    const { uploadId } = await c.initMultipartUpload(key);
    const p1 = await c.uploadPart(key, uploadId, 1, exact.file, 0, 100 * KB - 1); // 102399 bytes
    const p2 = await c.uploadPart(key, uploadId, 2, small.file, 0, small.data.length);
    await expectOssError(
      c.completeMultipartUpload(key, uploadId, [
        { number: 1, etag: p1.etag },
        { number: 2, etag: p2.etag },
      ]),
      400,
      'EntityTooSmall',
    );
    // The upload survives a failed Complete; with a 102400-byte first part it completes.
    const p1b = await c.uploadPart(key, uploadId, 1, exact.file, 0, 100 * KB);
    const done = await c.completeMultipartUpload(key, uploadId, [
      { number: 1, etag: p1b.etag },
      { number: 2, etag: p2.etag },
    ]);
    expect(done.etag).toBe(quotedMultipartEtag([exact.data, small.data]));
    // A single small part is also the last one: fine.
    const single = `rules/${tag}/single-small`;
    const s = await c.initMultipartUpload(single);
    const sp = await c.uploadPart(single, s.uploadId, 1, small.file, 0, small.data.length);
    expect(
      (await c.completeMultipartUpload(single, s.uploadId, [{ number: 1, etag: sp.etag }])).etag,
    ).toBe(quotedMultipartEtag([small.data]));
  });

  it('parts out of order are 400 InvalidPartOrder; unknown parts or wrong ETags 400 InvalidPart', async () => {
    const c = clientFor(mode);
    const key = `rules/${tag}/order`;
    const { uploadId } = await c.initMultipartUpload(key);
    const p1 = await c.uploadPart(key, uploadId, 1, part.file, 0, part.data.length);
    const p2 = await c.uploadPart(key, uploadId, 2, part.file, 0, part.data.length);
    const p3 = await c.uploadPart(key, uploadId, 3, small.file, 0, small.data.length);
    const refs = [
      { number: 1, etag: p1.etag },
      { number: 2, etag: p2.etag },
      { number: 3, etag: p3.etag },
    ] as const;
    await expectOssError(
      rawComplete(c, key, uploadId, completeXml([refs[1], refs[0], refs[2]])),
      400,
      'InvalidPartOrder',
    );
    await expectOssError(
      rawComplete(c, key, uploadId, completeXml([refs[0], refs[0], refs[2]])),
      400,
      'InvalidPartOrder',
    );
    await expectOssError(
      c.completeMultipartUpload(key, uploadId, [refs[0], { number: 4, etag: p3.etag }]),
      400,
      'InvalidPart',
    );
    await expectOssError(
      c.completeMultipartUpload(key, uploadId, [refs[0], { number: 2, etag: p3.etag }, refs[2]]),
      400,
      'InvalidPart',
    );
    await expectOssError(
      c.completeMultipartUpload(key, uploadId, [
        refs[0],
        { number: 2, etag: '"00000000000000000000000000000000"' },
      ]),
      400,
      'InvalidPart',
    );
    // An empty part list is not a valid CompleteMultipartUpload document.
    await expectOssError(c.completeMultipartUpload(key, uploadId, []), 400, 'MalformedXML');
    await expectOssError(
      rawComplete(c, key, uploadId, '<CompleteMultipartUpload><Part>'),
      400,
      'MalformedXML',
    );
    // A subset of the parts may be completed; the rest are dropped.
    const done = await c.completeMultipartUpload(key, uploadId, [refs[0], refs[2]]);
    expect(done.etag).toBe(quotedMultipartEtag([part.data, small.data]));
    expect((await c.get(key)).content.equals(Buffer.concat([part.data, small.data]))).toBe(true);
  });

  it('AbortMultipartUpload is 204, then 404 NoSuchUpload for it and for every use of the upload', async () => {
    const c = clientFor(mode);
    const key = `rules/${tag}/abort`;
    const { uploadId } = await c.initMultipartUpload(key);
    const p1 = await c.uploadPart(key, uploadId, 1, small.file, 0, small.data.length);
    const aborted = await c.abortMultipartUpload(key, uploadId);
    expect(aborted.res.status).toBe(204);
    await expectOssError(c.abortMultipartUpload(key, uploadId), 404, 'NoSuchUpload');
    await expectOssError(
      c.uploadPart(key, uploadId, 2, small.file, 0, small.data.length),
      404,
      'NoSuchUpload',
    );
    await expectOssError(
      c.completeMultipartUpload(key, uploadId, [{ number: 1, etag: p1.etag }]),
      404,
      'NoSuchUpload',
    );
    await expectOssError(c.listParts(key, uploadId), 404, 'NoSuchUpload');
    await expectOssError(c.get(key), 404, 'NoSuchKey');
    // Unknown IDs, and an ID used with another key, are NoSuchUpload as well.
    await expectOssError(c.listParts(key, 'F'.repeat(32)), 404, 'NoSuchUpload');
    const other = await c.initMultipartUpload(`${key}-other`);
    await expectOssError(
      c.uploadPart(key, other.uploadId, 1, small.file, 0, 100),
      404,
      'NoSuchUpload',
    );
    await c.abortMultipartUpload(`${key}-other`, other.uploadId);
  });

  it('x-oss-forbid-overwrite: true at Complete is 409 FileAlreadyExists and keeps the upload', async () => {
    const c = clientFor(mode);
    const key = `rules/${tag}/forbid`;
    await c.put(key, Buffer.from('already here'));
    const { uploadId } = await c.initMultipartUpload(key);
    const p1 = await c.uploadPart(key, uploadId, 1, small.file, 0, small.data.length);
    const refs = [{ number: 1, etag: p1.etag }];
    await expectOssError(
      c.completeMultipartUpload(key, uploadId, refs, {
        headers: { 'x-oss-forbid-overwrite': 'true' },
      }),
      409,
      'FileAlreadyExists',
    );
    expect((await c.get(key)).content.toString()).toBe('already here');
    expect((await c.listUploads({ prefix: key })).uploads.map((u) => u.uploadId)).toEqual([
      uploadId,
    ]);
    await c.completeMultipartUpload(key, uploadId, refs, {
      headers: { 'x-oss-forbid-overwrite': 'false' },
    });
    expect((await c.get(key)).content.equals(small.data)).toBe(true);
  });

  it('x-oss-complete-all: yes completes with every part, in part-number order', async () => {
    const c = clientFor(mode);
    const key = `rules/${tag}/all`;
    const { uploadId } = await c.initMultipartUpload(key);
    const other = randomFile(`other-${tag}`, 120 * KB);
    await c.uploadPart(key, uploadId, 3, small.file, 0, small.data.length);
    await c.uploadPart(key, uploadId, 1, part.file, 0, part.data.length);
    await c.uploadPart(key, uploadId, 2, other.file, 0, other.data.length);
    const done = await rawComplete(c, key, uploadId, undefined, { 'x-oss-complete-all': 'yes' });
    const expected = [part.data, other.data, small.data];
    expect(done.status).toBe(200);
    expect(done.res.headers['etag']).toBe(quotedMultipartEtag(expected));
    expect(done.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(Buffer.concat(expected)));
    expect((await c.get(key)).content.equals(Buffer.concat(expected))).toBe(true);
    await expectOssError(c.listParts(key, uploadId), 404, 'NoSuchUpload');
  });

  it('a wrong Content-MD5 on UploadPart is 400 InvalidDigest', async () => {
    const c = clientFor(mode);
    const key = `rules/${tag}/digest`;
    const { uploadId } = await c.initMultipartUpload(key);
    const wrong = md5(Buffer.from('something else')).toString('base64');
    await expectOssError(
      c.uploadPart(key, uploadId, 1, small.file, 0, small.data.length, {
        headers: { 'Content-MD5': wrong },
      }),
      400,
      'InvalidDigest',
    );
    expect(toArray((await c.listParts(key, uploadId)).parts)).toEqual([]);
    const right = md5(small.data).toString('base64');
    const ok = await c.uploadPart(key, uploadId, 1, small.file, 0, small.data.length, {
      headers: { 'Content-MD5': right },
    });
    expect(ok.etag).toBe(partEtag(small.data));
    await c.abortMultipartUpload(key, uploadId);
  });

  it('a part over 5 GB (by Content-Length) is 400 EntityTooLarge before any byte is read', async () => {
    const c = clientFor(mode);
    const key = `rules/${tag}/large`;
    const { uploadId } = await c.initMultipartUpload(key);
    const size = 5 * 1024 ** 3 + 1;
    // Signed by ali-oss's own request builder; sent by hand so no 5 GB body is needed.
    const built = requestBuilder.createRequest.call(c, {
      method: 'PUT',
      bucket: BUCKET,
      object: key,
      subres: { partNumber: 1, uploadId },
      headers: { 'Content-Length': size },
    });
    const { status, body, requestId } = await new Promise<{
      status: number;
      body: string;
      requestId: string | undefined;
    }>((resolve, reject) => {
      const req = httpRequest(built.url, {
        method: built.params.method,
        headers: built.params.headers,
        agent: false,
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            requestId: res.headers['x-oss-request-id'] as string | undefined,
          });
          req.destroy();
        });
      });
      req.on('error', (error) => {
        if (!req.destroyed) reject(error);
      });
      req.write(Buffer.alloc(1024));
    });
    expect(status).toBe(400);
    expect(body).toContain('<Code>EntityTooLarge</Code>');
    expect(requestId).toMatch(/^[0-9A-F]{24}$/);
    await c.abortMultipartUpload(key, uploadId);
  });
});

describe.each(HEAVY_MODES)('UploadPartCopy ($addressing $signing)', (mode) => {
  const tag = modeTag(mode);

  it('copies byte ranges (and whole objects) of another object into parts', async () => {
    const c = clientFor(mode);
    const sourceKey = `copy/${tag}/源 文件+&=?.bin`;
    const source = randomBytes(300 * KB + 11);
    await c.put(sourceKey, source);
    const own = randomFile(`own-${tag}`, 105 * KB);

    const key = `copy/${tag}/target`;
    const { uploadId } = await c.initMultipartUpload(key);
    const sourceData = { sourceKey, sourceBucketName: BUCKET };
    const r1 = await c.uploadPartCopy(key, uploadId, 1, '0-102399', sourceData, {});
    const range1 = source.subarray(0, 102400);
    expect(r1.res.status).toBe(200);
    expect(r1.etag).toBe(partEtag(range1));
    expect(r1.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(range1));
    const r2 = await c.uploadPart(key, uploadId, 2, own.file, 0, own.data.length);
    const r3 = await c.uploadPartCopy(
      key,
      uploadId,
      3,
      `150000-${source.length - 1}`,
      sourceData,
      {},
    );
    const range3 = source.subarray(150000);
    const r4 = await c.uploadPartCopy(key, uploadId, 4, '', sourceData, {}); // no range: the whole object
    const refs = [r1, r2, r3, r4].map((r, i) => ({ number: i + 1, etag: r.etag }));
    const listed = toArray((await c.listParts(key, uploadId)).parts);
    expect(listed.map((p) => Number(p.Size))).toEqual([
      102400,
      own.data.length,
      range3.length,
      source.length,
    ]);
    const done = await c.completeMultipartUpload(key, uploadId, refs);
    const expected = [range1, own.data, range3, source];
    expect(done.etag).toBe(quotedMultipartEtag(expected));
    const got = await c.get(key);
    expect(got.content.equals(Buffer.concat(expected))).toBe(true);
    expect(got.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(Buffer.concat(expected)));

    const again = await c.initMultipartUpload(`${key}-2`);
    await expectOssError(
      c.uploadPartCopy(
        `${key}-2`,
        again.uploadId,
        1,
        '0-10',
        { sourceKey: 'copy/missing', sourceBucketName: BUCKET },
        {},
      ),
      404,
      'NoSuchKey',
    );
    await expectOssError(
      c.uploadPartCopy(`${key}-2`, 'F'.repeat(32), 1, '0-10', sourceData, {}),
      404,
      'NoSuchUpload',
    );
    await c.abortMultipartUpload(`${key}-2`, again.uploadId);
  });

  it('answers every unmet x-oss-copy-source-* condition with 412, copying nothing', async () => {
    // The UploadPartCopy reference gives 412 for all four conditions (CopyObject gives 304
    // for a matching if-none-match and an unmet if-modified-since).
    const c = clientFor(mode);
    const sourceKey = `copy-if/${tag}/source`;
    const source = randomBytes(150 * KB);
    await c.put(sourceKey, source);
    const etag = `"${createHash('md5').update(source).digest('hex').toUpperCase()}"`;
    const key = `copy-if/${tag}/target`;
    const { uploadId } = await c.initMultipartUpload(key);
    const sourceData = { sourceKey, sourceBucketName: BUCKET };
    const copy = (partNo: number, headers: Record<string, string>): Promise<unknown> =>
      c.uploadPartCopy(key, uploadId, partNo, '0-1023', sourceData, { headers });
    const future = new Date(Date.now() + 3600_000).toUTCString();
    const past = new Date(Date.now() - 3600_000).toUTCString();
    await expectOssError(
      copy(1, { 'x-oss-copy-source-if-match': '"0123"' }),
      412,
      'PreconditionFailed',
    );
    await expectOssError(
      copy(2, { 'x-oss-copy-source-if-none-match': etag }),
      412,
      'PreconditionFailed',
    );
    await expectOssError(
      copy(3, { 'x-oss-copy-source-if-modified-since': future }),
      412,
      'PreconditionFailed',
    );
    await expectOssError(
      copy(4, { 'x-oss-copy-source-if-unmodified-since': past }),
      412,
      'PreconditionFailed',
    );
    expect(toArray((await c.listParts(key, uploadId)).parts)).toEqual([]);
    // Met conditions copy.
    await copy(5, { 'x-oss-copy-source-if-match': etag });
    await copy(6, { 'x-oss-copy-source-if-none-match': '"0123"' });
    await copy(7, { 'x-oss-copy-source-if-modified-since': past });
    await copy(8, { 'x-oss-copy-source-if-unmodified-since': future });
    const listed = toArray((await c.listParts(key, uploadId)).parts);
    expect(listed.map((p) => [Number(p.PartNumber), Number(p.Size)])).toEqual(
      [5, 6, 7, 8].map((n) => [n, 1024]),
    );
    await c.abortMultipartUpload(key, uploadId);
  });
});

describe.each(HEAVY_MODES)('ListMultipartUploads ($addressing $signing)', (mode) => {
  const tag = modeTag(mode);
  const bucket = `lu-${tag}`;
  const keys = [
    'a/1',
    'a/1',
    'a/2',
    'b/x/1',
    'b/x/2',
    'b/y',
    'c',
    'c',
    'd/😀',
    'é/1',
    '\uFF01/z',
    '😀',
  ];
  let uploads: { key: string; uploadId: string }[] = [];

  beforeAll(async () => {
    await (oss.client(mode) as unknown as { putBucket(name: string): Promise<unknown> }).putBucket(
      bucket,
    );
    const c = clientFor(mode, bucket);
    uploads = [];
    for (const key of keys)
      uploads.push({ key, uploadId: (await c.initMultipartUpload(key)).uploadId });
    // OSS: sorted by key (UTF-8 bytes), then upload ID (key-marker/upload-id-marker compare them so).
    uploads.sort((x, y) => utf8Compare(x.key, y.key) || utf8Compare(x.uploadId, y.uploadId));
  });

  it('lists every upload in key, then upload-id order; pages with key-marker/upload-id-marker', async () => {
    const c = clientFor(mode, bucket);
    const all = await c.listUploads({});
    expect(all.isTruncated).toBe(false);
    expect(all.bucket).toBe(bucket);
    expect(all.uploads.map((u) => ({ key: u.name, uploadId: u.uploadId }))).toEqual(uploads);
    for (const u of all.uploads) expect(Number.isNaN(Date.parse(u.initiated))).toBe(false);

    for (const size of [1, 2, 5]) {
      const seen: { key: string; uploadId: string }[] = [];
      let keyMarker = '';
      let idMarker = '';
      for (let i = 0; i < 50; i++) {
        const page = await c.listUploads({
          'max-uploads': size,
          ...(keyMarker === '' ? {} : { 'key-marker': keyMarker }),
          ...(idMarker === '' ? {} : { 'upload-id-marker': idMarker }),
        });
        expect(page.uploads.length).toBeLessThanOrEqual(size);
        seen.push(...page.uploads.map((u) => ({ key: u.name, uploadId: u.uploadId })));
        if (!page.isTruncated) break;
        const last = page.uploads[page.uploads.length - 1];
        expect([page.nextKeyMarker, page.nextUploadIdMarker]).toEqual([last?.name, last?.uploadId]);
        keyMarker = page.nextKeyMarker;
        idMarker = page.nextUploadIdMarker;
      }
      expect(seen).toEqual(uploads);
    }
    // key-marker alone: only keys after it.
    const after = await c.listUploads({ 'key-marker': 'a/1' });
    expect(after.uploads.map((u) => u.name)).toEqual(
      uploads.filter((u) => utf8Compare(u.key, 'a/1') > 0).map((u) => u.key),
    );
  });

  it('filters by prefix and rolls keys up into CommonPrefixes with a delimiter', async () => {
    const c = clientFor(mode, bucket);
    const b = await c.listUploads({ prefix: 'b/' });
    expect(b.uploads.map((u) => u.name)).toEqual(['b/x/1', 'b/x/2', 'b/y']);
    const top = await c.listUploads({ delimiter: '/' });
    expect(top.uploads.map((u) => u.name)).toEqual(['c', 'c', '😀']);
    expect(xmlElements(top.res, 'Prefix').slice(1)).toEqual(
      ['a/', 'b/', 'd/', '\uFF01/', 'é/'].sort(utf8Compare),
    );
    const nested = await c.listUploads({ prefix: 'b/', delimiter: '/' });
    expect(nested.uploads.map((u) => u.name)).toEqual(['b/y']);
    expect(xmlElements(nested.res, 'Prefix')).toEqual(['b/', 'b/x/']);
    // Paging one entry at a time: every upload and every common prefix exactly once.
    const entries: string[] = [];
    let keyMarker = '';
    let idMarker = '';
    for (let i = 0; i < 30; i++) {
      const page = await c.listUploads({
        delimiter: '/',
        'max-uploads': 1,
        ...(keyMarker === '' ? {} : { 'key-marker': keyMarker }),
        ...(idMarker === '' ? {} : { 'upload-id-marker': idMarker }),
      });
      entries.push(
        ...page.uploads.map((u) => `${u.name}#${u.uploadId}`),
        ...xmlElements(page.res, 'Prefix').slice(1),
      );
      if (!page.isTruncated) break;
      keyMarker = page.nextKeyMarker;
      idMarker = page.nextUploadIdMarker;
    }
    const cUploads = uploads
      .filter((u) => !u.key.includes('/'))
      .map((u) => `${u.key}#${u.uploadId}`);
    expect([...entries].sort(utf8Compare)).toEqual(
      [...cUploads, 'a/', 'b/', 'd/', '\uFF01/', 'é/'].sort(utf8Compare),
    );
  });

  it('forgets uploads once completed or aborted', async () => {
    const c = clientFor(mode, bucket);
    const [first, second] = uploads.filter((u) => u.key === 'c');
    if (!first || !second) throw new Error('fixture');
    const { file, data } = randomFile(`lu-${tag}`, 1000);
    const p = await c.uploadPart('c', first.uploadId, 1, file, 0, data.length);
    await c.completeMultipartUpload('c', first.uploadId, [{ number: 1, etag: p.etag }]);
    await c.abortMultipartUpload('c', second.uploadId);
    const left = await c.listUploads({ prefix: 'c' });
    expect(left.uploads).toEqual([]);
    const rest = await c.listUploads({});
    expect(rest.uploads).toHaveLength(uploads.length - 2);
  });
});

describe('the managed uploader', () => {
  it('a 20 MB multipartUpload() reads back identical', async () => {
    const mode = { addressing: 'path', signing: 'v4' } as const;
    const c = clientFor(mode);
    const { file, data } = randomFile('managed-20mb', 20 * 1024 * 1024);
    const progress: number[] = [];
    const result = await c.multipartUpload('managed/20mb.bin', file, {
      partSize: 1024 * 1024,
      parallel: 4,
      progress: (p) => {
        progress.push(p);
      },
    });
    expect(result.res.status).toBe(200);
    const partSize = 1024 * 1024;
    const parts = Array.from({ length: 20 }, (_, i) =>
      data.subarray(i * partSize, (i + 1) * partSize),
    );
    expect(result.etag).toBe(quotedMultipartEtag(parts));
    expect(progress[progress.length - 1]).toBe(1);
    const got = await c.get('managed/20mb.bin');
    expect(got.content.length).toBe(data.length);
    expect(got.content.equals(data)).toBe(true);
    expect(got.res.headers['x-oss-hash-crc64ecma']).toBe(crc64(data));
  });
});

function quotedMultipartEtag(parts: readonly Buffer[]): string {
  return `"${multipartEtag(parts)}"`;
}
