/**
 * The ali-oss adapter of the RemoteStore port against the local OSS server: every method
 * round-trips under path-style and virtual-host addressing with V1 and V4 signatures;
 * OSS errors, network failures, aborts and timeouts come out as CoreErrors with the right
 * code; and no error ever shows the AccessKey secret.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CoreError, isCoreError, type ErrorCode } from '../../../main/core/errors.js';
import { toCoreError } from '../../../main/core/remote/oss-errors.js';
import { decodeMetaValue, encodeMetaValue } from '../../../main/core/remote/oss-headers.js';
import { OssRemoteStore } from '../../../main/core/remote/oss-remote-store.js';
import type {
  PutResult,
  RemoteAccount,
  UploadBody,
} from '../../../main/core/remote/remote-store.js';
import { crc64, crc64Combine, crc64ToString, parseCrc64 } from '../../../shared/crc64.js';
import { REQUEST_ID, utf8Compare } from '../../helpers/oss-expect.js';
import {
  CLIENT_MODES,
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  TEST_REGION,
  startLocalOss,
  type Addressing,
  type LocalOss,
  type Signing,
} from '../../helpers/osslocal.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const WRONG_SECRET = 'wrong-secret-c2VjcmV0IQ';
const STS_SECRET = 'sts-secret-dGVtcG9yYXJ5';
const STS_TOKEN = 'sts-token-CAIS-expired-0123456789';
const SECRETS = [TEST_ACCESS_KEY_SECRET, WRONG_SECRET, STS_SECRET, STS_TOKEN];
const ERRORS_BUCKET = 'errors-bkt';

/** Every error the tests saw, checked for secrets at the end. */
const seen: unknown[] = [];

let local: LocalOss;
const stores: OssRemoteStore[] = [];

beforeAll(async () => {
  local = await startLocalOss({
    buckets: [
      ...CLIENT_MODES.map(({ addressing, signing }) => bucketFor(addressing, signing)),
      ERRORS_BUCKET,
    ],
  });
});

afterAll(async () => {
  for (const store of stores) store.close();
  await local.close();
});

afterEach(() => {
  local.server.faults.setRules([]);
});

function bucketFor(addressing: Addressing, signing: Signing): string {
  return `rt-${addressing}-${signing}`;
}

function accountFor(
  port: number,
  mode: { addressing: Addressing; signing: Signing } = { addressing: 'path', signing: 'v4' },
  overrides: Partial<RemoteAccount> = {},
): RemoteAccount {
  return {
    endpoint: mode.addressing === 'path' ? `http://localhost:${port}` : `http://127.0.0.1:${port}`,
    region: TEST_REGION,
    accessKeyId: TEST_ACCESS_KEY_ID,
    accessKeySecret: TEST_ACCESS_KEY_SECRET,
    pathStyle: mode.addressing === 'path',
    authorizationV4: mode.signing === 'v4',
    ...overrides,
  };
}

function newStore(account: RemoteAccount): OssRemoteStore {
  const store = new OssRemoteStore(account);
  stores.push(store);
  return store;
}

/** Deterministic bytes that differ at every offset class. */
function data(size: number, seed = 1): Buffer {
  const buffer = Buffer.alloc(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    buffer[i] = x >>> 24;
  }
  return buffer;
}

/** A fresh body from `buffer` in uneven chunks, as the engine would give. */
function body(buffer: Buffer, chunk = 10_000): UploadBody {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += chunk) chunks.push(buffer.subarray(i, i + chunk));
  return { stream: Readable.from(chunks, { objectMode: false }), size: buffer.length };
}

/** A body that trickles forever (until destroyed), announcing `size` bytes. */
function endlessBody(size: number): UploadBody {
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const piece = Buffer.alloc(Math.min(64 * KiB, size - sent), 0x61);
      sent += piece.length;
      this.push(piece);
    },
  });
  return { stream, size };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function md5Hex(buffer: Buffer): string {
  return createHash('md5').update(buffer).digest('hex').toUpperCase();
}

function crcOf(buffer: Buffer): string {
  return crc64ToString(crc64(buffer));
}

/** The CoreError `promise` rejects with (recorded for the secret check). */
async function failure(promise: Promise<unknown>): Promise<CoreError> {
  try {
    await promise;
  } catch (error) {
    seen.push(error);
    if (!isCoreError(error))
      throw new Error(`expected a CoreError, got ${inspect(error)}`, { cause: error });
    return error;
  }
  throw new Error('expected a failure, the call succeeded');
}

function elapsedSince(start: number): number {
  return performance.now() - start;
}

// ---------------------------------------------------------------------------------------

describe.each(CLIENT_MODES)('OssRemoteStore ($addressing, $signing)', ({ addressing, signing }) => {
  const bucket = bucketFor(addressing, signing);
  let store: OssRemoteStore;

  beforeAll(() => {
    store = newStore(accountFor(local.server.port, { addressing, signing }));
  });

  it('puts from a stream and reads back whole, by range, by head, and with metadata', async () => {
    const content = data(300 * KiB);
    const meta = { author: '张三', note: '100% 中文 ', plain: 'ascii', emoji: '😀 ok' };
    const put = await store.putObject(bucket, 'docs/报告.txt', body(content), {
      meta,
      contentType: 'text/plain',
    });
    expect(put.etag).toBe(md5Hex(content));
    expect(put.crc64).toBe(crcOf(content));
    expect(put.requestId).toMatch(REQUEST_ID);

    const head = await store.headObject(bucket, 'docs/报告.txt');
    expect(head).toMatchObject({
      key: 'docs/报告.txt',
      size: content.length,
      etag: md5Hex(content),
      crc64: crcOf(content),
      contentType: 'text/plain',
      meta,
    });
    expect(head?.lastModified.getTime()).toBeGreaterThan(Date.now() - 60_000);

    const whole = await store.getObject(bucket, 'docs/报告.txt');
    expect(whole.status).toBe(200);
    expect(whole.info).toMatchObject({
      size: content.length,
      etag: md5Hex(content),
      crc64: crcOf(content),
      meta,
    });
    expect((await readAll(whole.stream)).equals(content)).toBe(true);

    const range = await store.getObject(bucket, 'docs/报告.txt', { range: { start: 10, end: 99 } });
    expect(range.status).toBe(206);
    expect(range.info.size).toBe(content.length);
    expect((await readAll(range.stream)).equals(content.subarray(10, 100))).toBe(true);

    const tail = await store.getObject(bucket, 'docs/报告.txt', {
      range: { start: content.length - 10 },
    });
    expect(tail.status).toBe(206);
    expect((await readAll(tail.stream)).equals(content.subarray(content.length - 10))).toBe(true);

    const matching = await store.getObject(bucket, 'docs/报告.txt', { ifMatch: md5Hex(content) });
    expect(matching.status).toBe(200);
    matching.stream.destroy();

    const changed = await failure(store.getObject(bucket, 'docs/报告.txt', { ifMatch: 'ABCDEF' }));
    expect(changed).toMatchObject({
      code: 'precondition-failed',
      status: 412,
      ossCode: 'PreconditionFailed',
    });
    expect(changed.requestId).toMatch(REQUEST_ID);
  });

  it('copies, deletes, and treats a missing key as missing', async () => {
    const content = data(5 * KiB, 2);
    await store.putObject(bucket, 'copy/source.bin', body(content), { meta: { origin: '源' } });
    const copied = await store.copyObject(bucket, 'copy/source.bin', 'copy/目标 target.bin');
    expect(copied.etag).toBe(md5Hex(content));
    expect(copied.crc64).toBe(crcOf(content));
    const head = await store.headObject(bucket, 'copy/目标 target.bin');
    expect(head).toMatchObject({ size: content.length, meta: { origin: '源' } });

    await store.deleteObject(bucket, 'copy/目标 target.bin');
    expect(await store.headObject(bucket, 'copy/目标 target.bin')).toBeUndefined();
    await store.deleteObject(bucket, 'copy/目标 target.bin'); // missing: still fine
    expect(await store.headObject(bucket, 'never/was.txt')).toBeUndefined();

    const missing = await failure(store.getObject(bucket, 'never/was.txt'));
    expect(missing).toMatchObject({ code: 'no-such-key', ossCode: 'NoSuchKey', status: 404 });
    const copyMissing = await failure(store.copyObject(bucket, 'never/was.txt', 'copy/x'));
    expect(copyMissing.code).toBe('no-such-key');
  });

  it('tells a missing bucket from a missing key, on HEAD too', async () => {
    const head = await failure(store.headObject('no-such-bkt', 'a.txt'));
    expect(head).toMatchObject({ code: 'no-such-bucket', ossCode: 'NoSuchBucket', status: 404 });
    expect(head.requestId).toMatch(REQUEST_ID);
    expect(head.message).toContain('"no-such-bkt"');
    const get = await failure(store.getObject('no-such-bkt', 'a.txt'));
    expect(get.code).toBe('no-such-bucket');
    const list = await failure(store.listPage('no-such-bkt', {}));
    expect(list.code).toBe('no-such-bucket');
  });

  it('puts empty objects, forbids overwrites when asked, and rejects bad keys and bodies', async () => {
    await store.putObject(bucket, 'edge/empty', body(Buffer.alloc(0)));
    expect(await store.headObject(bucket, 'edge/empty')).toMatchObject({ size: 0, crc64: '0' });
    expect((await readAll((await store.getObject(bucket, 'edge/empty')).stream)).length).toBe(0);

    const exists = await failure(
      store.putObject(bucket, 'edge/empty', body(Buffer.from('x')), { forbidOverwrite: true }),
    );
    expect(exists).toMatchObject({
      code: 'precondition-failed',
      ossCode: 'FileAlreadyExists',
      status: 409,
    });

    expect((await failure(store.putObject(bucket, '', body(Buffer.from('x'))))).code).toBe(
      'invalid-request',
    );
    expect((await failure(store.headObject(bucket, '/lead'))).code).toBe('invalid-request');
    expect((await failure(store.headObject('A_Bad_Bucket', 'k'))).code).toBe('invalid-request');

    const short = await failure(
      store.putObject(bucket, 'edge/short', { stream: Readable.from([Buffer.alloc(5)]), size: 10 }),
    );
    expect(short.code).toBe('file-changed');
    const long = await failure(
      store.putObject(bucket, 'edge/long', { stream: Readable.from([Buffer.alloc(20)]), size: 10 }),
    );
    expect(long.code).toBe('file-changed');
    expect(await store.headObject(bucket, 'edge/long')).toBeUndefined();
  });

  it('runs a multipart upload: parts in any order, listParts, listMultipartUploads, complete with crc64', async () => {
    const parts = [data(100 * KiB, 11), data(100 * KiB, 12), data(3 * KiB, 13)];
    const whole = Buffer.concat(parts);
    const key = 'mp/大文件.bin';
    const uploadId = await store.initiateMultipartUpload(bucket, key, {
      meta: { tag: '标签', name: '多段' },
      contentType: 'application/x-test',
    });
    expect(uploadId).toEqual(expect.any(String));

    const results = await Promise.all(
      [2, 0, 1].map((index) =>
        store.uploadPart(bucket, key, uploadId, index + 1, body(parts[index]!)),
      ),
    );
    const byNumber = [results[1]!, results[2]!, results[0]!];
    byNumber.forEach((result, i) => {
      expect(result.etag).toBe(md5Hex(parts[i]!));
      expect(result.crc64).toBe(crcOf(parts[i]!));
    });

    const listed = await store.listParts(bucket, key, uploadId);
    expect(listed).toEqual(
      parts.map((part, i) => ({
        partNumber: i + 1,
        size: part.length,
        etag: md5Hex(part),
        crc64: crcOf(part),
      })),
    );

    const uploads = await store.listMultipartUploads(bucket, 'mp/');
    expect(uploads).toContainEqual({ key, uploadId, initiated: expect.any(Date) as Date });

    const done = await store.completeMultipartUpload(
      bucket,
      key,
      uploadId,
      byNumber.map((result, i) => ({ partNumber: i + 1, etag: result.etag })),
    );
    expect(done.crc64).toBe(crcOf(whole));
    const combined = parts.reduce(
      (crc, part, i) =>
        i === 0 ? crc64(part) : crc64Combine(crc, parseCrc64(crcOf(part)), part.length),
      0n,
    );
    expect(done.crc64).toBe(crc64ToString(combined));
    expect(done.etag).toMatch(/^[0-9A-F]{32}-3$/);

    const head = await store.headObject(bucket, key);
    expect(head).toMatchObject({
      size: whole.length,
      etag: done.etag,
      crc64: crcOf(whole),
      meta: { tag: '标签', name: '多段' },
      contentType: 'application/x-test',
    });
    expect((await readAll((await store.getObject(bucket, key)).stream)).equals(whole)).toBe(true);
    expect((await store.listMultipartUploads(bucket, 'mp/')).map((u) => u.uploadId)).not.toContain(
      uploadId,
    );
  });

  it('copies ranges of an object into parts (UploadPartCopy), conditional on its ETag', async () => {
    const content = data(250 * KiB + 5, 21);
    const sourceKey = 'pc/源 source+&=.bin';
    const put = await store.putObject(bucket, sourceKey, body(content));
    const key = 'pc/目标 target.bin';
    const uploadId = await store.initiateMultipartUpload(bucket, key);
    const ranges = [
      { start: 0, end: 128 * KiB - 1 },
      { start: 128 * KiB, end: content.length - 1 },
    ];
    const results: PutResult[] = [];
    for (const [i, range] of ranges.entries()) {
      results.push(
        await store.uploadPartCopy(bucket, sourceKey, key, uploadId, i + 1, range, {
          sourceEtag: put.etag,
        }),
      );
    }
    ranges.forEach((range, i) => {
      const slice = content.subarray(range.start, range.end + 1);
      expect(results[i]?.etag).toBe(md5Hex(slice));
      expect(results[i]?.crc64).toBe(crcOf(slice));
      expect(results[i]?.requestId).toMatch(REQUEST_ID);
    });

    // A source that no longer has the ETag: precondition-failed in the source's words.
    const changed = await failure(
      store.uploadPartCopy(bucket, sourceKey, key, uploadId, 3, ranges[0]!, {
        sourceEtag: 'ABCDEF0123',
      }),
    );
    expect(changed).toMatchObject({
      code: 'precondition-failed',
      status: 412,
      ossCode: 'PreconditionFailed',
      subject: sourceKey,
    });
    expect(changed.message).toBe(
      `oss://${bucket}/${sourceKey} no longer has ETag ABCDEF0123: it was changed or replaced since its copy to ${key} was planned, so nothing was copied.`,
    );
    const missing = await failure(
      store.uploadPartCopy(bucket, 'pc/never.bin', key, uploadId, 3, ranges[0]!),
    );
    expect(missing).toMatchObject({ code: 'no-such-key', status: 404, subject: 'pc/never.bin' });
    const noUpload = await failure(
      store.uploadPartCopy(bucket, sourceKey, key, 'F'.repeat(32), 1, ranges[0]!),
    );
    expect(noUpload).toMatchObject({ code: 'no-such-upload', status: 404 });
    const badRange = await failure(
      store.uploadPartCopy(bucket, sourceKey, key, uploadId, 3, { start: 10, end: 9 }),
    );
    expect(badRange.code).toBe('invalid-request');
    expect((await store.listParts(bucket, key, uploadId)).map((p) => p.partNumber)).toEqual([1, 2]);

    const done = await store.completeMultipartUpload(
      bucket,
      key,
      uploadId,
      results.map((result, i) => ({ partNumber: i + 1, etag: result.etag })),
    );
    expect(done.crc64).toBe(crcOf(content));
    expect((await readAll((await store.getObject(bucket, key)).stream)).equals(content)).toBe(true);
  });

  it('lists a single part as a list, and an aborted upload is gone', async () => {
    const key = 'mp/one part.bin';
    const part = data(7 * KiB, 21);
    const uploadId = await store.initiateMultipartUpload(bucket, key);
    await store.uploadPart(bucket, key, uploadId, 1, body(part));
    const listed = await store.listParts(bucket, key, uploadId);
    expect(listed).toEqual([
      { partNumber: 1, size: part.length, etag: md5Hex(part), crc64: crcOf(part) },
    ]);

    await store.abortMultipartUpload(bucket, key, uploadId);
    const gone = await failure(store.listParts(bucket, key, uploadId));
    expect(gone).toMatchObject({ code: 'no-such-upload', ossCode: 'NoSuchUpload', status: 404 });
    expect(gone.message).toContain(uploadId);
    const late = await failure(store.uploadPart(bucket, key, uploadId, 2, body(part)));
    expect(late.code).toBe('no-such-upload');
    const complete = await failure(
      store.completeMultipartUpload(bucket, key, uploadId, [{ partNumber: 1, etag: md5Hex(part) }]),
    );
    expect(complete.code).toBe('no-such-upload');
    expect(
      await store.listParts(bucket, key, await store.initiateMultipartUpload(bucket, key)),
    ).toEqual([]);
  });

  it('pages through listings with a delimiter, a prefix and unicode keys', async () => {
    const keys = [
      'list/a.txt',
      'list/b/1.txt',
      'list/b/2.txt',
      'list/中文/文件.txt',
      'list/emoji 😀 + plus%.txt',
      'list/z',
      'list/ü&<xml>.txt',
    ];
    await Promise.all(keys.map((key, i) => store.putObject(bucket, key, body(data(i + 1, i)))));
    const sorted = [...keys].sort(utf8Compare);

    const flat: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await store.listPage(bucket, {
        prefix: 'list/',
        maxKeys: 2,
        ...(token === undefined ? {} : { token }),
      });
      flat.push(...page.objects.map((object) => object.key));
      expect(page.prefixes).toEqual([]);
      token = page.nextToken;
      pages++;
    } while (token !== undefined);
    expect(flat).toEqual(sorted);
    expect(pages).toBe(Math.ceil(keys.length / 2));

    const objects: string[] = [];
    const prefixes: string[] = [];
    token = undefined;
    do {
      const page = await store.listPage(bucket, {
        prefix: 'list/',
        delimiter: '/',
        maxKeys: 2,
        ...(token === undefined ? {} : { token }),
      });
      objects.push(...page.objects.map((object) => object.key));
      prefixes.push(...page.prefixes);
      token = page.nextToken;
    } while (token !== undefined);
    expect(objects).toEqual(sorted.filter((key) => !key.slice('list/'.length).includes('/')));
    expect(prefixes).toEqual(['list/b/', 'list/中文/'].sort(utf8Compare));

    const inside = await store.listPage(bucket, { prefix: 'list/中文/', delimiter: '/' });
    expect(inside.objects).toEqual([
      {
        key: 'list/中文/文件.txt',
        size: 4,
        etag: md5Hex(data(4, 3)),
        lastModified: expect.any(Date) as Date,
        storageClass: 'Standard',
      },
    ]);
    expect(inside.nextToken).toBeUndefined();

    // No prefix, no delimiter, no token: nothing empty is sent (V4 signs `k=` otherwise).
    const all = await store.listPage(bucket, { prefix: '', delimiter: '' });
    expect(all.objects.map((object) => object.key)).toEqual(expect.arrayContaining(keys));
  });
});

// ---------------------------------------------------------------------------------------

describe('OssRemoteStore errors', () => {
  let store: OssRemoteStore;
  const bucket = ERRORS_BUCKET;

  beforeAll(() => {
    store = newStore(accountFor(local.server.port));
  });

  it('maps 5xx to a retryable server-error with the request id', async () => {
    local.server.faults.setRules([
      { op: 'PutObject', fault: { kind: 'error', status: 503, code: 'ServiceUnavailable' } },
    ]);
    const error = await failure(store.putObject(bucket, 'e/503.txt', body(data(1000))));
    expect(error).toMatchObject({
      code: 'server-error',
      status: 503,
      ossCode: 'ServiceUnavailable',
      retryable: true,
      unreachable: false,
    });
    expect(error.requestId).toMatch(REQUEST_ID);
    expect(error.message).toContain('oss://errors-bkt/e/503.txt');

    local.server.faults.setRules([
      { op: 'HeadObject', fault: { kind: 'error', status: 500, code: 'InternalError' } },
    ]);
    const head = await failure(store.headObject(bucket, 'e/503.txt'));
    expect(head).toMatchObject({ code: 'server-error', status: 500, ossCode: 'InternalError' });
    expect(head.requestId).toMatch(REQUEST_ID);
  });

  it('maps throttling to throttled, with Retry-After', async () => {
    local.server.faults.setRules([
      {
        op: 'PutObject',
        fault: { kind: 'error', status: 429, code: 'QpsLimitExceeded', retryAfterSeconds: 3 },
      },
      {
        op: 'GetObject',
        fault: { kind: 'error', status: 503, code: 'DownloadTrafficRateLimitExceeded' },
      },
      {
        op: 'HeadObject',
        fault: { kind: 'error', status: 503, code: 'TotalQpsLimitExceeded', retryAfterSeconds: 1 },
      },
    ]);
    const put = await failure(store.putObject(bucket, 'e/qps.txt', body(data(100))));
    expect(put).toMatchObject({
      code: 'throttled',
      status: 429,
      ossCode: 'QpsLimitExceeded',
      retryAfterMs: 3000,
      retryable: true,
    });
    expect(put.requestId).toMatch(REQUEST_ID);
    const get = await failure(store.getObject(bucket, 'e/qps.txt'));
    expect(get).toMatchObject({
      code: 'throttled',
      status: 503,
      ossCode: 'DownloadTrafficRateLimitExceeded',
    });
    const head = await failure(store.headObject(bucket, 'e/qps.txt'));
    expect(head).toMatchObject({
      code: 'throttled',
      ossCode: 'TotalQpsLimitExceeded',
      retryAfterMs: 1000,
    });
  });

  it('maps a connection reset mid-upload to network, and one mid-download to incomplete-body', async () => {
    local.server.faults.setRules([
      { op: 'PutObject', fault: { kind: 'reset-request', afterBytes: 64 * KiB } },
    ]);
    const put = await failure(store.putObject(bucket, 'e/reset.bin', body(data(512 * KiB))));
    expect(put).toMatchObject({ code: 'network', retryable: true, unreachable: true });

    local.server.faults.setRules([]);
    await store.putObject(bucket, 'e/reset.bin', body(data(512 * KiB)));
    // Throttled, so the headers surely arrive before the connection is cut.
    local.server.faults.setRules([
      { op: 'GetObject', fault: { kind: 'bandwidth', bytesPerSecond: 2 * MiB } },
      { op: 'GetObject', fault: { kind: 'reset-response', afterBytes: 100 * KiB } },
    ]);
    const get = await store.getObject(bucket, 'e/reset.bin');
    const cut = await failure(readAll(get.stream));
    expect(cut).toMatchObject({ code: 'incomplete-body', retryable: true });
  });

  it('maps a wrong secret and an unknown AccessKey ID', async () => {
    const wrong = newStore(
      accountFor(local.server.port, undefined, { accessKeySecret: WRONG_SECRET }),
    );
    // Thunks: each call starts only when awaited, so no rejection waits unhandled.
    for (const attempt of [
      () => wrong.putObject(bucket, 'e/x', body(data(10))),
      () => wrong.getObject(bucket, 'e/x'),
      () => wrong.headObject(bucket, 'e/x'),
      () => wrong.listPage(bucket, {}),
    ]) {
      const error = await failure(attempt());
      expect(error).toMatchObject({
        code: 'signature-mismatch',
        status: 403,
        ossCode: 'SignatureDoesNotMatch',
        retryable: false,
      });
      expect(error.message).toContain('OSS_ACCESS_KEY_SECRET');
    }
    const v1 = newStore(
      accountFor(
        local.server.port,
        { addressing: 'virtual-host', signing: 'v1' },
        { accessKeySecret: WRONG_SECRET },
      ),
    );
    expect((await failure(v1.headObject(bucket, 'e/x'))).code).toBe('signature-mismatch');

    const unknown = newStore(
      accountFor(local.server.port, undefined, { accessKeyId: 'LTAI5tNobodyHasThisId' }),
    );
    const error = await failure(unknown.getObject(bucket, 'e/x'));
    expect(error).toMatchObject({ code: 'invalid-access-key', ossCode: 'InvalidAccessKeyId' });
    expect((await failure(unknown.headObject(bucket, 'e/x'))).code).toBe('invalid-access-key');
  });

  it('maps a skewed clock and an expired STS token', async () => {
    // A server whose clock runs 20 minutes ahead of ours.
    const ahead = await startLocalOss({
      buckets: ['skew-bkt'],
      now: () => Date.now() + 20 * 60_000,
    });
    try {
      const skewed = newStore(accountFor(ahead.server.port));
      const skew = await failure(skewed.getObject('skew-bkt', 'k'));
      expect(skew).toMatchObject({
        code: 'clock-skew',
        ossCode: 'RequestTimeTooSkewed',
        retryable: true,
      });
      expect((await failure(skewed.headObject('skew-bkt', 'k'))).code).toBe('clock-skew');
    } finally {
      await ahead.close();
    }

    const sts = {
      accessKeyId: 'STS.NUexpired',
      accessKeySecret: STS_SECRET,
      securityToken: STS_TOKEN,
    };
    const expired = await startLocalOss({
      buckets: ['sts-bkt'],
      stsCredentials: [{ ...sts, expiration: Date.now() - 60_000 }],
    });
    try {
      const store = newStore(accountFor(expired.server.port, undefined, sts));
      const error = await failure(store.listPage('sts-bkt', {}));
      expect(error).toMatchObject({
        code: 'token-expired',
        ossCode: 'SecurityTokenExpired',
        retryable: false,
      });
      expect((await failure(store.headObject('sts-bkt', 'k'))).code).toBe('token-expired');
    } finally {
      await expired.close();
    }
  });

  it('maps a stopped server to network, unreachable', async () => {
    const other = await startLocalOss({ buckets: ['gone-bkt'] });
    const gone = newStore(accountFor(other.server.port));
    await gone.putObject('gone-bkt', 'k', body(data(10)));
    await other.close();
    for (const attempt of [
      () => gone.headObject('gone-bkt', 'k'),
      () => gone.getObject('gone-bkt', 'k'),
      () => gone.putObject('gone-bkt', 'k', body(data(10))),
    ]) {
      const error = await failure(attempt());
      expect(error).toMatchObject({ code: 'network', retryable: true, unreachable: true });
      expect(error.status).toBeUndefined();
    }
  });

  it('aborts an upload mid-body quickly, and the object never appears', async () => {
    local.server.faults.setRules([
      { op: 'PutObject', fault: { kind: 'bandwidth', bytesPerSecond: 256 * KiB } },
    ]);
    const controller = new AbortController();
    const started = performance.now();
    const upload = store.putObject(bucket, 'e/aborted.bin', endlessBody(8 * MiB), {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 300);
    const error = await failure(upload);
    expect(error.code).toBe('cancelled');
    expect(elapsedSince(started)).toBeLessThan(1_500);
    local.server.faults.setRules([]);
    expect(await store.headObject(bucket, 'e/aborted.bin')).toBeUndefined();

    const part = await failure(
      store.uploadPart(
        bucket,
        'e/aborted.bin',
        await store.initiateMultipartUpload(bucket, 'e/aborted.bin'),
        1,
        body(data(10)),
        {
          signal: AbortSignal.abort(),
        },
      ),
    );
    expect(part.code).toBe('cancelled');
  });

  it('aborts a download mid-body quickly', async () => {
    await store.putObject(bucket, 'e/slow.bin', body(data(2 * MiB)));
    local.server.faults.setRules([
      { op: 'GetObject', fault: { kind: 'bandwidth', bytesPerSecond: 256 * KiB } },
    ]);
    const controller = new AbortController();
    const result = await store.getObject(bucket, 'e/slow.bin', { signal: controller.signal });
    const started = performance.now();
    setTimeout(() => controller.abort(), 200);
    const error = await failure(readAll(result.stream));
    expect(error.code).toBe('cancelled');
    expect(elapsedSince(started)).toBeLessThan(1_000);
  });

  it('stops a call at its timeout: before the answer, and mid-download', async () => {
    await store.putObject(bucket, 'e/late.bin', body(data(1 * MiB)));
    local.server.faults.setRules([{ op: 'HeadObject', fault: { kind: 'latency', ms: 3_000 } }]);
    let started = performance.now();
    const head = await failure(store.headObject(bucket, 'e/late.bin', { timeoutMs: 300 }));
    expect(head).toMatchObject({ code: 'timeout', retryable: true, unreachable: true });
    expect(elapsedSince(started)).toBeLessThan(1_500);

    local.server.faults.setRules([
      { op: 'GetObject', fault: { kind: 'bandwidth', bytesPerSecond: 128 * KiB } },
    ]);
    started = performance.now();
    const get = await store.getObject(bucket, 'e/late.bin', { timeoutMs: 500 });
    const cut = await failure(readAll(get.stream));
    expect(cut.code).toBe('timeout');
    expect(elapsedSince(started)).toBeLessThan(1_500);
  });

  it('fails calls in flight and later ones with cancelled once closed', async () => {
    const closing = newStore(accountFor(local.server.port));
    local.server.faults.setRules([
      { op: 'PutObject', fault: { kind: 'bandwidth', bytesPerSecond: 128 * KiB } },
    ]);
    const upload = closing.putObject(bucket, 'e/closing.bin', endlessBody(4 * MiB));
    setTimeout(() => closing.close(), 100);
    expect((await failure(upload)).code).toBe('cancelled');
    expect((await failure(closing.headObject(bucket, 'e/closing.bin'))).code).toBe('cancelled');
  });
});

// ---------------------------------------------------------------------------------------

interface RawError {
  status?: number;
  code?: string | undefined;
  name?: string;
  message?: string;
}

describe('toCoreError', () => {
  const context = { op: 'GetObject', bucket: 'b-1', key: 'k/1' };

  it.each([
    [
      { status: 503, code: 'TotalQpsLimitExceeded', name: 'TotalQpsLimitExceededError' },
      'throttled',
    ],
    [{ status: 503, code: 'UploadTrafficRateLimitExceeded' }, 'throttled'],
    [{ status: 502, code: undefined, name: 'UnknownError' }, 'server-error'],
    [{ status: 403, code: 'RequestTimeTooSkewed' }, 'clock-skew'],
    [{ status: 403, code: 'InvalidSecurityToken' }, 'token-expired'],
    [{ status: 403, code: 'AccessDenied' }, 'access-denied'],
    [{ status: 404, code: 'NoSuchUpload' }, 'no-such-upload'],
    [{ status: 412, code: 'PreconditionFailed' }, 'precondition-failed'],
    [{ status: 400, code: 'EntityTooSmall' }, 'invalid-request'],
    [{ status: 416, code: 'InvalidRange' }, 'invalid-request'],
    [
      {
        status: -1,
        code: 'ResponseError',
        name: 'ResponseError',
        message: 'read ECONNRESET, GET http://x -1',
      },
      'network',
    ],
    [{ status: -1, name: 'RequestError', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'network'],
    [{ code: 'EPIPE', message: 'write EPIPE' }, 'network'],
    [{ name: 'ResponseError', message: 'socket hang up' }, 'network'],
    [
      { status: -2, name: 'ConnectionTimeoutError', message: 'Connect timeout for 1000ms' },
      'timeout',
    ],
    [{ name: 'ResponseTimeoutError', message: 'Response timeout for 60000ms' }, 'timeout'],
    [{ name: 'AbortError', message: 'This operation was aborted' }, 'cancelled'],
    [
      { code: 'ENOENT', message: "ENOENT: no such file or directory, open '/x'" },
      'local-not-found',
    ],
  ] as [RawError, ErrorCode][])('maps %j to %s', (raw, code) => {
    const error = toCoreError(Object.assign(new Error(raw.message ?? 'x'), raw), context);
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
  });

  it('reads the real code and request id from x-oss-err, and Retry-After from the headers', () => {
    const xml =
      '<?xml version="1.0"?><Error><Code>NoSuchBucket</Code><Message>gone &amp; away</Message><RequestId>ABC123</RequestId></Error>';
    const error = toCoreError(
      Object.assign(new Error('Object not exists'), { status: 404, code: 'NoSuchKey' }),
      {
        op: 'HeadObject',
        bucket: 'b-1',
        key: 'k',
        headers: { 'x-oss-err': Buffer.from(xml).toString('base64'), 'retry-after': '7' },
      },
    );
    expect(error).toMatchObject({
      code: 'no-such-bucket',
      ossCode: 'NoSuchBucket',
      requestId: 'ABC123',
    });
    const throttled = toCoreError(
      Object.assign(new Error('slow down'), { status: 429, code: 'QpsLimitExceeded' }),
      {
        ...context,
        headers: { 'retry-after': '7' },
      },
    );
    expect(throttled.retryAfterMs).toBe(7000);
  });

  it('keeps no ali-oss request params in the cause', () => {
    const raw = Object.assign(new Error('boom'), {
      status: 500,
      code: 'InternalError',
      params: { headers: { secret: 'x' } },
    });
    const error = toCoreError(raw, context);
    expect((error.cause as Record<string, unknown>)['params']).toBeUndefined();
  });
});

describe('metadata encoding', () => {
  it.each(['plain', '张三', '100%', ' padded ', 'tab\tand\nnewline', '😀', 'a%20b', 'ÿ latin1'])(
    'round-trips %j through ASCII',
    (value) => {
      const encoded = encodeMetaValue(value);
      expect(encoded).toMatch(/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$|^$/);
      expect(decodeMetaValue(encoded)).toBe(value);
    },
  );
});

describe('secrets', () => {
  it('never appear in an error message, String(error) or inspect(error)', () => {
    expect(seen.length).toBeGreaterThan(30);
    for (const error of seen) {
      const texts = [
        String(error),
        inspect(error, { depth: 5 }),
        error instanceof Error ? error.message : '',
      ];
      for (const text of texts) {
        for (const secret of SECRETS) expect(text).not.toContain(secret);
      }
    }
  });
});
