/**
 * Conformance of the local OSS server's object operations, as a client sees them: the real
 * ali-oss 6.23 client drives one server under every addressing × signing mode (CLIENT_MODES),
 * and the expectations come from the OSS API reference, with expected ETags (MD5) and CRC64s
 * computed independently here (node:crypto, crc64-ecma182.js), never by the server's code.
 *
 * Where ali-oss cannot send a request (it has no API for it, or its urllib normalizes `.`
 * and `..` path segments away), the request is still built and signed by ali-oss's own
 * createRequest and then sent as is with node:http or a raw socket: the server's verifier
 * decides whether the signature holds.
 *
 * Presigned URLs are tested in path-style modes only: ali-oss's signatureUrl() refuses IP
 * endpoints, which is how the helper reaches the server in virtual-host mode.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';

import type OSS from 'ali-oss';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, type OssClientError } from '../../helpers/oss-expect.js';

import {
  CLIENT_MODES,
  TEST_REGION,
  startLocalOss,
  type Addressing,
  type LocalOss,
  type Signing,
} from '../../helpers/osslocal.js';

// ---------------------------------------------------------------------------------------
// Oracles and ali-oss internals (untyped)

const require = createRequire(import.meta.url);
const { crc64 } = require('crc64-ecma182.js') as { crc64: (buf: Buffer, prev?: string) => string };

interface BuiltRequest {
  url: string;
  params: { method: string; headers: Record<string, string | number | undefined> };
}
/** ali-oss's own request builder: headers, x-oss-date, Content-MD5 and the signature. */
const { createRequest } = require('ali-oss/lib/common/utils/createRequest.js') as {
  createRequest: (this: OSS, params: Record<string, unknown>) => BuiltRequest;
};

interface UrllibResult {
  status: number;
  headers: Record<string, string | undefined>;
}
interface UrllibParams {
  method: string;
  headers: Record<string, string | number | undefined>;
}
/** The very urllib instance ali-oss uses, wrapped below to record every exchange. */
const urllib = createRequire(require.resolve('ali-oss'))('urllib') as {
  request(url: string, params: UrllibParams): Promise<UrllibResult>;
};

interface Exchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string | number | undefined>;
  status: number;
  responseHeaders: Record<string, string | undefined>;
}

function recordingUrllib(log: Exchange[]) {
  return {
    async request(url: string, params: UrllibParams): Promise<UrllibResult> {
      const result = await urllib.request(url, params);
      log.push({
        method: params.method,
        url,
        requestHeaders: { ...params.headers },
        status: result.status,
        responseHeaders: result.headers,
      });
      return result;
    },
  };
}

const etagOf = (data: Buffer): string =>
  `"${createHash('md5').update(data).digest('hex').toUpperCase()}"`;
const md5Base64 = (data: Buffer): string => createHash('md5').update(data).digest('base64');
const crcOf = (data: Buffer): string => crc64(data);

const REQUEST_ID = /^[0-9A-F]{24}$/;
const EC = /^\d{4}-\d{8}$/;
const xmlParser = new XMLParser({ parseTagValue: false, ignoreAttributes: true });

function parseErrorXml(text: string): Record<string, string> {
  const doc = xmlParser.parse(text) as { Error?: Record<string, string> };
  if (!doc.Error) throw new Error(`not an OSS error document: ${text}`);
  return doc.Error;
}

// ---------------------------------------------------------------------------------------
// ali-oss results and errors

type HeaderMap = Record<string, string | undefined>;
const headersOf = (res: { headers: object }): HeaderMap => res.headers as HeaderMap;

/** `HEAD /key?objectMeta`: in ali-oss 6.23, missing from @types/ali-oss. */
const getObjectMeta = (client: OSS, key: string) =>
  (
    client as unknown as {
      getObjectMeta(name: string): Promise<{ status: number; res: OSS.NormalSuccessResponse }>;
    }
  ).getObjectMeta(key);

/** The error ali-oss raised; with an XML body it carries the request id and EC too. */
async function expectOssError(
  promise: Promise<unknown>,
  status: number,
  code: string,
  withBody = true,
): Promise<OssClientError> {
  const error = await failure(promise);
  expect({ status: error.status, code: error.code }).toEqual({ status, code });
  if (withBody) {
    expect(error.requestId).toMatch(REQUEST_ID);
    expect(error.ecCode).toMatch(EC);
  }
  return error;
}

function expectLastModified(value: string | undefined): void {
  expect(value).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  const ms = Date.parse(value as string);
  expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);
}

// ---------------------------------------------------------------------------------------
// Raw signed requests

interface Mode {
  addressing: Addressing;
  signing: Signing;
}
interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
interface RawParams {
  method: string;
  bucket: string;
  key: string;
  headers?: Record<string, string>;
  content?: Buffer;
}

/** ali-oss's path escaping (`_escape`), without any normalization of `.` segments. */
function rawPath(mode: Mode, bucket: string, key: string, builtUrl: string): string {
  const q = builtUrl.indexOf('?');
  const query = q < 0 ? '' : builtUrl.slice(q);
  const escaped = encodeURIComponent(key).replace(/%2F/g, '/');
  return (mode.addressing === 'path' ? `/${bucket}/` : '/') + escaped + query;
}

/** A request signed by ali-oss itself, for sending outside its urllib. */
function signRaw(
  client: OSS,
  mode: Mode,
  params: RawParams,
): { path: string; headers: Record<string, string> } {
  const built = createRequest.call(client, {
    method: params.method,
    bucket: params.bucket,
    object: params.key,
    headers: { ...params.headers },
    content: params.content,
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(built.params.headers)) {
    if (value !== undefined) headers[name] = String(value);
  }
  return { path: rawPath(mode, params.bucket, params.key, built.url), headers };
}

function sendRaw(
  port: number,
  method: string,
  requestPath: string,
  headers: Record<string, string>,
  content?: Buffer,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: requestPath,
        // Path style: the Host ali-oss itself sends (virtual-host requests carry their own).
        headers: { host: `localhost:${port}`, ...headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(content);
  });
}

/** A request with neither Content-Length nor Transfer-Encoding, which node:http never sends. */
function sendWithoutLength(
  port: number,
  method: string,
  requestPath: string,
  headers: Record<string, string>,
): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const all: Record<string, string> = { host: `127.0.0.1:${port}` };
    for (const [name, value] of Object.entries(headers)) all[name.toLowerCase()] = value;
    all['connection'] = 'close';
    delete all['content-length'];
    delete all['transfer-encoding'];
    const lines = [
      `${method} ${requestPath} HTTP/1.1`,
      ...Object.entries(all).map(([n, v]) => `${n}: ${v}`),
    ];
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      resolve({
        status: Number(text.split(' ')[1]),
        head: text.slice(0, split),
        body: text.slice(split + 4),
      });
    });
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

// ---------------------------------------------------------------------------------------
// One server for the file, a bucket per mode

const bucketFor = (mode: Mode): string =>
  `conf-${mode.addressing === 'path' ? 'path' : 'vhost'}-${mode.signing}`;
const OTHER_BUCKET = 'conf-other';

let oss: LocalOss;
let sandbox: string;
let root: string;

beforeAll(async () => {
  // The root sits two levels below a directory of its own, so a key that escaped the root
  // (`../x`, `a/../../b`) would still land somewhere this file can see.
  sandbox = mkdtempSync(path.join(tmpdir(), 'osslocal-conformance-'));
  root = path.join(sandbox, 'nest', 'root');
  oss = await startLocalOss({ root, buckets: [...CLIENT_MODES.map(bucketFor), OTHER_BUCKET] });
});

afterAll(async () => {
  await oss?.close();
  if (sandbox) rmSync(sandbox, { recursive: true, force: true });
});

/** Every file under `dir`, as `/`-separated paths relative to it; directories end in `/`. */
function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory()) out.push(`${rel}/`, ...walk(path.join(dir, entry.name), `${rel}/`));
    else out.push(rel);
  }
  return out;
}

const blobCount = (): number =>
  walk(path.join(root, 'blobs')).filter((entry) => !entry.endsWith('/')).length;

// ---------------------------------------------------------------------------------------

describe.each(CLIENT_MODES)('object operations ($addressing, $signing)', (mode) => {
  const bucket = bucketFor(mode);
  const exchanges: Exchange[] = [];
  let client: OSS;
  let port: number;

  beforeAll(() => {
    port = oss.server.port;
    client = oss.client({ bucket, ...mode, extra: { urllib: recordingUrllib(exchanges) } });
  });

  const getBytes = async (key: string, headers?: Record<string, string>) => {
    const result = await client.get(key, headers ? { headers } : undefined);
    return { ...result, body: Buffer.from(result.content as Buffer) };
  };

  // -------------------------------------------------------------------------------------
  it('PutObject/GetObject/HeadObject/GetObjectMeta/DeleteObject round-trip 0 B, 1 B and 3 MB', async () => {
    const bodies = [Buffer.alloc(0), Buffer.from([0xff]), randomBytes(3 * 1024 * 1024 + 17)];
    for (const [i, body] of bodies.entries()) {
      const key = `bodies/${i}.bin`;
      const storageClass = i === 1 ? 'IA' : 'Standard';
      const headers: Record<string, string> = {
        'Content-Type': 'application/x-conformance',
        'Cache-Control': 'no-cache, max-age=0',
        'Content-Disposition': 'attachment; filename="body.bin"',
        'x-oss-meta-color': 'blue',
        'x-oss-meta-Mixed-Case': 'Hello, World',
        // ali-oss sends header values as latin1: non-latin1 metadata must be percent-encoded.
        'x-oss-meta-encoded': encodeURIComponent('文件 名'),
      };
      if (i === 1) headers['x-oss-storage-class'] = 'IA';

      const put = await client.put(key, body, { headers });
      expect(put.res.status).toBe(200);
      const putHeaders = headersOf(put.res);
      expect(putHeaders['etag']).toBe(etagOf(body));
      expect(putHeaders['x-oss-hash-crc64ecma']).toBe(crcOf(body));
      expect(putHeaders['content-md5']).toBe(md5Base64(body));
      expect(putHeaders['x-oss-request-id']).toMatch(REQUEST_ID);

      const got = await getBytes(key);
      expect(got.res.status).toBe(200);
      expect(got.body.equals(body)).toBe(true);
      const h = headersOf(got.res);
      expect(h['etag']).toBe(etagOf(body));
      expect(h['x-oss-hash-crc64ecma']).toBe(crcOf(body));
      expect(h['content-length']).toBe(String(body.length));
      expect(h['content-type']).toBe('application/x-conformance');
      expect(h['cache-control']).toBe('no-cache, max-age=0');
      expect(h['content-disposition']).toBe('attachment; filename="body.bin"');
      expect(h['x-oss-meta-color']).toBe('blue');
      expect(h['x-oss-meta-mixed-case']).toBe('Hello, World');
      expect(decodeURIComponent(h['x-oss-meta-encoded'] ?? '')).toBe('文件 名');
      expect(h['x-oss-storage-class']).toBe(storageClass);
      expect(h['x-oss-object-type']).toBe('Normal');
      expect(h['x-oss-request-id']).toMatch(REQUEST_ID);
      expectLastModified(h['last-modified']);

      const head = await client.head(key);
      expect(head.status).toBe(200);
      expect(head.meta).toEqual({
        color: 'blue',
        'mixed-case': 'Hello, World',
        encoded: encodeURIComponent('文件 名'),
      });
      const hh = headersOf(head.res);
      expect(hh['content-length']).toBe(String(body.length));
      expect(hh['etag']).toBe(etagOf(body));
      expect(hh['x-oss-hash-crc64ecma']).toBe(crcOf(body));
      expect(hh['content-type']).toBe('application/x-conformance');
      expect(hh['x-oss-storage-class']).toBe(storageClass);
      expect(hh['x-oss-object-type']).toBe('Normal');
      expect(hh['last-modified']).toBe(h['last-modified']);
      expect(hh['x-oss-request-id']).toMatch(REQUEST_ID);

      const meta = await getObjectMeta(client, key);
      expect(meta.status).toBe(200);
      const mh = headersOf(meta.res);
      expect(mh['etag']).toBe(etagOf(body));
      expect(mh['content-length']).toBe(String(body.length));
      expect(mh['last-modified']).toBe(h['last-modified']);
      expect(mh['x-oss-request-id']).toMatch(REQUEST_ID);

      const deleted = await client.delete(key);
      expect(deleted.res.status).toBe(204);
      expect(headersOf(deleted.res)['x-oss-request-id']).toMatch(REQUEST_ID);
      await expectOssError(client.get(key), 404, 'NoSuchKey');
      await expectOssError(client.head(key), 404, 'NoSuchKey', false);
      await expectOssError(getObjectMeta(client, key), 404, 'NoSuchKey', false);
    }
    // DeleteObject of a key that does not exist is still 204.
    const again = await client.delete('bodies/never-existed');
    expect(again.res.status).toBe(204);
  });

  it('defaults Content-Type from the key extension (what ali-oss sends) and the storage class to the bucket’s', async () => {
    const body = Buffer.from('plain text');
    await client.put('types/readme.txt', body);
    const h = headersOf((await client.head('types/readme.txt')).res);
    expect(h['content-type']).toBe('text/plain');
    expect(h['x-oss-storage-class']).toBe('Standard');
    await client.delete('types/readme.txt');
  });

  // -------------------------------------------------------------------------------------
  describe('keys', () => {
    // Keys ali-oss sends as they are (percent-encoded path, '/' kept).
    const SENDABLE = [
      '是 空格 +-/\\&*#(1)',
      'chars/lt<',
      'chars/gt>',
      'chars/amp&',
      "chars/apos'",
      'chars/quot"',
      'chars/pct%',
      'chars/pct-escape%25', // a literal "%25": decoding twice would turn it into "%"
      'chars/pct-slash%2F',
      'chars/question?',
      'chars/hash#',
      'chars/plus+',
      `chars/all <>&'"%?#+`,
      '😀/🎉.txt',
      'caf\u00e9', // NFC
      'cafe\u0301', // NFD: a different key
      'a//b',
      'a\\b\\c',
      'dir/',
      '是'.repeat(341), // 1023 bytes of UTF-8: the longest valid key
      'k'.repeat(1023),
    ];
    // Keys ali-oss cannot send: its urllib resolves `.` and `..` segments before sending
    // (`../x` goes out as `/x`, so ali-oss gets InvalidBucketName or SignatureDoesNotMatch).
    // They are sent raw, signed by ali-oss's createRequest, and deleted with DeleteMultipleObjects.
    const DOT_KEYS = ['../x', 'a/../../b', './a', 'a/./b', 'a/..', '../../escape-probe'];

    it('round-trips unicode and hostile keys through put/get/head/list/delete', async () => {
      for (const key of SENDABLE) {
        const body = Buffer.from(`content of ${key}`);
        const put = await client.put(key, body);
        expect(headersOf(put.res)['etag']).toBe(etagOf(body));
        const got = await getBytes(key);
        expect(got.body.toString()).toBe(body.toString());
        expect((await client.head(key)).status).toBe(200);
      }
      // NFC and NFD forms are two objects with their own content.
      expect((await getBytes('caf\u00e9')).body.toString()).toBe('content of caf\u00e9');
      expect((await getBytes('cafe\u0301')).body.toString()).toBe('content of cafe\u0301');

      const listed = await client.listV2({ 'max-keys': '1000' }, {});
      const names = new Set(listed.objects.map((object) => object.name));
      for (const key of SENDABLE) expect(names.has(key), key).toBe(true);

      for (const key of SENDABLE) {
        expect((await client.delete(key)).res.status).toBe(204);
        await expectOssError(client.get(key), 404, 'NoSuchKey');
      }
      const after = await client.listV2({ 'max-keys': '1000' }, {});
      const left = new Set(after.objects.map((object) => object.name));
      for (const key of SENDABLE) expect(left.has(key), key).toBe(false);
    });

    it('stores `.` and `..` segments as plain key characters (raw signed requests)', async () => {
      for (const key of DOT_KEYS) {
        const body = Buffer.from(`dot key ${key}`);
        const put = signRaw(client, mode, { method: 'PUT', bucket, key, content: body });
        const putRes = await sendRaw(port, 'PUT', put.path, put.headers, body);
        expect(putRes.status, `${key}: ${putRes.body.toString()}`).toBe(200);
        expect(putRes.headers['etag']).toBe(etagOf(body));
        expect(putRes.headers['x-oss-request-id']).toMatch(REQUEST_ID);

        const get = signRaw(client, mode, { method: 'GET', bucket, key });
        const getRes = await sendRaw(port, 'GET', get.path, get.headers);
        expect(getRes.status).toBe(200);
        expect(getRes.body.equals(body)).toBe(true);
      }
      const listed = await client.listV2({ 'max-keys': '1000' }, {});
      const names = new Set(listed.objects.map((object) => object.name));
      for (const key of DOT_KEYS) expect(names.has(key), key).toBe(true);

      const deleted = await client.deleteMulti(DOT_KEYS);
      const deletedKeys = (deleted.deleted as unknown as { Key: string }[]).map((d) => d.Key);
      expect(deletedKeys.sort()).toEqual([...DOT_KEYS].sort());
      for (const key of DOT_KEYS) {
        const get = signRaw(client, mode, { method: 'GET', bucket, key });
        expect((await sendRaw(port, 'GET', get.path, get.headers)).status).toBe(404);
      }
    });

    it('refuses names over 1023 bytes or starting with "/" or "\\" (400 InvalidObjectName)', async () => {
      await expectOssError(
        client.put('是'.repeat(341) + 'a', Buffer.from('x')),
        400,
        'InvalidObjectName',
      );
      await expectOssError(
        client.put('k'.repeat(1024), Buffer.from('x')),
        400,
        'InvalidObjectName',
      );
      // OSS naming rules: a name cannot start with a backslash.
      await expectOssError(client.put('\\back\\slash', Buffer.from('x')), 400, 'InvalidObjectName');
      // ali-oss strips a leading '/' itself (_objectName) ...
      await client.put('/lead/slash', Buffer.from('led'));
      expect((await getBytes('lead/slash')).body.toString()).toBe('led');
      await client.delete('lead/slash');
      // ... so the server's own check is reached with a raw request only.
      const raw = signRaw(client, mode, {
        method: 'PUT',
        bucket,
        key: '/lead',
        content: Buffer.from('x'),
      });
      const res = await sendRaw(port, 'PUT', raw.path, raw.headers, Buffer.from('x'));
      expect(res.status).toBe(400);
      expect(parseErrorXml(res.body.toString()).Code).toBe('InvalidObjectName');

      const listed = await client.listV2({ 'max-keys': '1000' }, {});
      for (const object of listed.objects) {
        expect(Buffer.byteLength(object.name)).toBeLessThanOrEqual(1023);
        expect(object.name).not.toMatch(/^[/\\]/);
      }
    });
  });

  // -------------------------------------------------------------------------------------
  describe('Range', () => {
    const text = '0123456789abcdefghij';
    const data = Buffer.from(text);
    const key = 'range/object.txt';
    beforeAll(async () => {
      await client.put(key, data);
    });

    it.each([
      // range, x-oss-range-behavior, status, body, Content-Range
      ['bytes=0-9', undefined, 206, text.slice(0, 10), 'bytes 0-9/20'],
      ['bytes=5-', undefined, 206, text.slice(5), 'bytes 5-19/20'],
      ['bytes=-5', undefined, 206, text.slice(15), 'bytes 15-19/20'],
      ['bytes=19-19', undefined, 206, 'j', 'bytes 19-19/20'],
      ['bytes=0-', undefined, 206, text, 'bytes 0-19/20'],
      // Invalid or out of range: the header is ignored, 200 and the whole object.
      ['bytes=20-25', undefined, 200, text, undefined],
      ['bytes=20-', undefined, 200, text, undefined],
      ['bytes=9-5', undefined, 200, text, undefined],
      ['bytes=0-20', undefined, 200, text, undefined],
      ['bytes=-25', undefined, 200, text, undefined],
      ['byte=0-4', undefined, 200, text, undefined],
      ['bytes=a-b', undefined, 200, text, undefined],
      // Several ranges: the reference says only the first one is served.
      ['bytes=0-1,5-6', undefined, 206, '01', 'bytes 0-1/20'],
      ['bytes=9-5,0-1', undefined, 200, text, undefined],
      // x-oss-range-behavior: standard clips an end past the size.
      ['bytes=5-100', 'standard', 206, text.slice(5), 'bytes 5-19/20'],
      ['bytes=0-9', 'standard', 206, text.slice(0, 10), 'bytes 0-9/20'],
      ['bytes=-25', 'standard', 206, text, 'bytes 0-19/20'],
    ] as const)('%s (%s) gives %i', async (range, behavior, status, body, contentRange) => {
      const headers: Record<string, string> = { Range: range };
      if (behavior) headers['x-oss-range-behavior'] = behavior;
      const got = await getBytes(key, headers);
      expect(got.res.status).toBe(status);
      expect(got.body.toString()).toBe(body);
      const h = headersOf(got.res);
      expect(h['content-range']).toBe(contentRange);
      expect(h['content-length']).toBe(String(Buffer.byteLength(body)));
      // ETag and CRC64 always describe the whole object.
      expect(h['etag']).toBe(etagOf(data));
      expect(h['x-oss-hash-crc64ecma']).toBe(crcOf(data));
    });

    it.each(['bytes=20-30', 'bytes=25-', 'bytes=9-5'])(
      'with x-oss-range-behavior: standard, %s is 416 InvalidRange',
      async (range) => {
        await expectOssError(
          client.get(key, { headers: { Range: range, 'x-oss-range-behavior': 'standard' } }),
          416,
          'InvalidRange',
        );
      },
    );
  });

  // -------------------------------------------------------------------------------------
  it('honours If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since on GET', async () => {
    const data = Buffer.from('conditional body');
    const key = 'conditional/object.bin';
    await client.put(key, data);
    const etag = etagOf(data);
    const future = new Date(Date.now() + 3_600_000).toUTCString();
    const past = new Date('2001-01-01T00:00:00Z').toUTCString();

    const mismatch = await expectOssError(
      client.get(key, { headers: { 'If-Match': '"0123456789ABCDEF0123456789ABCDEF"' } }),
      412,
      'PreconditionFailed',
    );
    expect(mismatch.message).toContain('If-Match');
    expect((await getBytes(key, { 'If-Match': etag })).body.equals(data)).toBe(true);

    const notModified = await getBytes(key, { 'If-None-Match': etag });
    expect(notModified.res.status).toBe(304);
    expect(notModified.body.length).toBe(0);
    expect(headersOf(notModified.res)['etag']).toBe(etag);
    expect(headersOf(notModified.res)['x-oss-request-id']).toMatch(REQUEST_ID);
    expect((await getBytes(key, { 'If-None-Match': '"00"' })).res.status).toBe(200);

    expect((await getBytes(key, { 'If-Modified-Since': future })).res.status).toBe(304);
    expect((await getBytes(key, { 'If-Modified-Since': past })).res.status).toBe(200);
    // A date OSS cannot parse is ignored.
    expect((await getBytes(key, { 'If-Modified-Since': 'yesterday' })).res.status).toBe(200);

    await expectOssError(
      client.get(key, { headers: { 'If-Unmodified-Since': past } }),
      412,
      'PreconditionFailed',
    );
    expect((await getBytes(key, { 'If-Unmodified-Since': future })).res.status).toBe(200);

    // HEAD answers the same way (no body: ali-oss reports 304 as a status, 412 as an error).
    expect((await client.head(key, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    await expectOssError(
      client.head(key, { headers: { 'If-Match': '"00"' } }),
      412,
      'PreconditionFailed',
      false,
    );
    await client.delete(key);
  });

  // -------------------------------------------------------------------------------------
  it('checks Content-MD5: ali-oss sends it, a wrong one is 400 InvalidDigest and changes nothing', async () => {
    const key = 'md5/object.bin';
    const original = Buffer.from('original');
    await client.put(key, original);
    const sent = exchanges.filter((e) => e.method === 'PUT' && e.url.includes('/md5/object.bin'));
    expect(sent.at(-1)?.requestHeaders['Content-MD5']).toBe(md5Base64(original));

    const replacement = Buffer.from('replacement');
    const wrong = md5Base64(Buffer.from('something else'));
    await expectOssError(
      client.put(key, replacement, { headers: { 'Content-MD5': wrong } }),
      400,
      'InvalidDigest',
    );
    expect((await getBytes(key)).body.equals(original)).toBe(true);
    await expectOssError(
      client.put(key, replacement, { headers: { 'Content-MD5': 'not-an-md5' } }),
      400,
      'InvalidDigest',
    );
    expect((await getBytes(key)).body.equals(original)).toBe(true);

    const fresh = 'md5/never-created.bin';
    await expectOssError(
      client.put(fresh, replacement, { headers: { 'Content-MD5': wrong } }),
      400,
      'InvalidDigest',
    );
    await expectOssError(client.get(fresh), 404, 'NoSuchKey');
    await client.delete(key);
  });

  it('x-oss-forbid-overwrite: true refuses an existing key (409) and allows a new one', async () => {
    const key = 'forbid/object.bin';
    await client.put(key, Buffer.from('first'));
    await expectOssError(
      client.put(key, Buffer.from('second'), { headers: { 'x-oss-forbid-overwrite': 'true' } }),
      409,
      'FileAlreadyExists',
    );
    expect((await getBytes(key)).body.toString()).toBe('first');

    const fresh = 'forbid/new.bin';
    const put = await client.put(fresh, Buffer.from('new'), {
      headers: { 'x-oss-forbid-overwrite': 'true' },
    });
    expect(put.res.status).toBe(200);
    expect((await getBytes(fresh)).body.toString()).toBe('new');

    // false (the default) overwrites.
    await client.put(key, Buffer.from('third'), { headers: { 'x-oss-forbid-overwrite': 'false' } });
    expect((await getBytes(key)).body.toString()).toBe('third');
    await client.deleteMulti([key, fresh]);
  });

  // -------------------------------------------------------------------------------------
  it('stores a chunked body (putStream without a length) byte for byte', async () => {
    const parts = [
      randomBytes(70_000),
      randomBytes(1),
      randomBytes(300_000),
      Buffer.alloc(0),
      randomBytes(5),
    ];
    const data = Buffer.concat(parts);
    const key = 'chunked/stream.bin';
    const put = await client.putStream(key, Readable.from(parts));
    expect(headersOf(put.res)['etag']).toBe(etagOf(data));
    expect(headersOf(put.res)['x-oss-hash-crc64ecma']).toBe(crcOf(data));
    const sent = exchanges.filter(
      (e) => e.method === 'PUT' && e.url.includes('/chunked/stream.bin'),
    );
    expect(sent.at(-1)?.requestHeaders['Transfer-Encoding']).toBe('chunked');
    expect(sent.at(-1)?.requestHeaders['Content-Length']).toBeUndefined();

    const got = await getBytes(key);
    expect(got.body.equals(data)).toBe(true);
    expect(headersOf(got.res)['x-oss-hash-crc64ecma']).toBe(crcOf(data));
    await client.delete(key);
  });

  it('answers a PUT with neither Content-Length nor chunked encoding 411 MissingContentLength', async () => {
    const key = 'chunked/no-length.bin';
    const raw = signRaw(client, mode, { method: 'PUT', bucket, key });
    const res = await sendWithoutLength(port, 'PUT', raw.path, raw.headers);
    expect(res.status, res.body).toBe(411);
    expect(res.head.toLowerCase()).toContain('x-oss-request-id:');
    expect(parseErrorXml(res.body).Code).toBe('MissingContentLength');
    await expectOssError(client.get(key), 404, 'NoSuchKey');
  });

  // -------------------------------------------------------------------------------------
  describe('DeleteMultipleObjects', () => {
    const keys = [
      'multi/a.txt',
      'multi/b.txt',
      'multi/是/中文.txt',
      'multi/<&>"\'.txt',
      'multi/😀',
    ];

    const putAll = async () => {
      for (const key of keys) await client.put(key, Buffer.from(key));
    };

    it('reports every key, missing ones included, and deletes them', async () => {
      await putAll();
      const missing = 'multi/missing.txt';
      const result = await client.deleteMulti([...keys, missing], { quiet: false });
      expect(result.res.status).toBe(200);
      const reported = (result.deleted as unknown as { Key: string }[]).map((d) => d.Key);
      expect(reported.sort()).toEqual([...keys, missing].sort());
      for (const key of keys) await expectOssError(client.get(key), 404, 'NoSuchKey');
    });

    it('quiet mode reports nothing but still deletes', async () => {
      await putAll();
      const result = await client.deleteMulti(keys, { quiet: true });
      expect(result.deleted).toEqual([]);
      const listed = await client.listV2({ prefix: 'multi/', 'max-keys': '1000' }, {});
      expect(listed.objects).toEqual([]);
    });

    it('refuses a wrong Content-MD5 (400 InvalidDigest) and deletes nothing', async () => {
      await putAll();
      const options = { headers: { 'Content-MD5': md5Base64(Buffer.from('not the body')) } };
      await expectOssError(
        client.deleteMulti(keys, options as OSS.DeleteMultiOptions),
        400,
        'InvalidDigest',
      );
      for (const key of keys) expect((await getBytes(key)).body.toString()).toBe(key);
      await client.deleteMulti(keys, { quiet: true });
    });
  });

  // -------------------------------------------------------------------------------------
  describe('CopyObject', () => {
    const src = 'copy/source 源.txt';
    const data = Buffer.from('the source content');
    const other = () => oss.client({ bucket: OTHER_BUCKET, ...mode });

    beforeAll(async () => {
      await client.put(src, data, {
        headers: {
          'Content-Type': 'text/x-source',
          'Cache-Control': 'max-age=60',
          'x-oss-meta-a': '1',
          'x-oss-meta-keep': 'yes',
        },
      });
    });

    it('copies within a bucket keeping metadata (COPY) and sharing the data', async () => {
      const blobsBefore = blobCount();
      const dst = 'copy/dest-copy.txt';
      const copied = await client.copy(dst, src);
      expect(copied.res.status).toBe(200);
      expect(copied.data.etag).toBe(etagOf(data));
      expect(Date.parse(copied.data.lastModified)).not.toBeNaN();
      expect(headersOf(copied.res)['x-oss-hash-crc64ecma']).toBe(crcOf(data));

      const got = await getBytes(dst);
      expect(got.body.equals(data)).toBe(true);
      const h = headersOf(got.res);
      expect(h['etag']).toBe(etagOf(data));
      expect(h['x-oss-hash-crc64ecma']).toBe(crcOf(data));
      expect(h['content-type']).toBe('text/x-source');
      expect(h['cache-control']).toBe('max-age=60');
      expect(h['x-oss-meta-a']).toBe('1');
      expect(h['x-oss-meta-keep']).toBe('yes');
      // No byte was rewritten: the copy refers to the source's blob.
      expect(blobCount()).toBe(blobsBefore);
    });

    it('REPLACE takes the metadata from the request only', async () => {
      const dst = 'copy/dest-replace.txt';
      await client.copy(dst, src, {
        headers: { 'x-oss-metadata-directive': 'REPLACE', 'x-oss-meta-a': 'b' },
      });
      const head = await client.head(dst);
      expect(head.meta).toEqual({ a: 'b' });
      const h = headersOf(head.res);
      expect(h['etag']).toBe(etagOf(data));
      expect(h['x-oss-hash-crc64ecma']).toBe(crcOf(data));
      expect(h['cache-control']).toBeUndefined();
    });

    it('copies across buckets', async () => {
      const dst = `copy/from-${bucket}.txt`;
      const copied = await other().copy(dst, src, bucket);
      expect(copied.data.etag).toBe(etagOf(data));
      const got = await other().get(dst);
      expect(Buffer.from(got.content as Buffer).equals(data)).toBe(true);
      expect(headersOf(got.res)['x-oss-meta-keep']).toBe('yes');
    });

    it('copy-source preconditions: if-match mismatch is 412, if-none-match match is 304', async () => {
      await expectOssError(
        client.copy('copy/never-1.txt', src, {
          headers: { 'If-Match': '"00000000000000000000000000000000"' },
        }),
        412,
        'PreconditionFailed',
      );
      await expectOssError(client.get('copy/never-1.txt'), 404, 'NoSuchKey');
      const sent = exchanges.filter((e) => e.method === 'PUT' && e.url.includes('never-1'));
      expect(sent.at(-1)?.requestHeaders['x-oss-copy-source-if-match']).toBeDefined();

      // CopyObject reference: a matching x-oss-copy-source-if-none-match is 304 Not Modified.
      const notModified = await client.copy('copy/never-2.txt', src, {
        headers: { 'If-None-Match': etagOf(data) },
      });
      expect(notModified.res.status).toBe(304);
      await expectOssError(client.get('copy/never-2.txt'), 404, 'NoSuchKey');
      const unmodified = await client.copy('copy/never-3.txt', src, {
        headers: { 'If-Modified-Since': new Date(Date.now() + 3_600_000).toUTCString() },
      });
      expect(unmodified.res.status).toBe(304);
      await expectOssError(client.get('copy/never-3.txt'), 404, 'NoSuchKey');
      await expectOssError(
        client.copy('copy/never-4.txt', src, {
          headers: { 'If-Unmodified-Since': new Date('2001-01-01T00:00:00Z').toUTCString() },
        }),
        412,
        'PreconditionFailed',
      );
      const matched = await client.copy('copy/if-match.txt', src, {
        headers: { 'If-Match': etagOf(data) },
      });
      expect(matched.res.status).toBe(200);
    });

    it('refuses a missing source (404 NoSuchKey) and an existing target with forbid-overwrite (409)', async () => {
      await expectOssError(
        client.copy('copy/never-5.txt', 'copy/no-such-source'),
        404,
        'NoSuchKey',
      );
      const dst = 'copy/occupied.txt';
      await client.put(dst, Buffer.from('occupied'));
      await expectOssError(
        client.copy(dst, src, { headers: { 'x-oss-forbid-overwrite': 'true' } }),
        409,
        'FileAlreadyExists',
      );
      expect((await getBytes(dst)).body.toString()).toBe('occupied');
    });

    it('leaves the copies readable after the source is deleted', async () => {
      await client.delete(src);
      await expectOssError(client.get(src), 404, 'NoSuchKey');
      for (const dst of ['copy/dest-copy.txt', 'copy/dest-replace.txt', 'copy/if-match.txt']) {
        const got = await getBytes(dst);
        expect(got.body.equals(data)).toBe(true);
      }
      const cross = await other().get(`copy/from-${bucket}.txt`);
      expect(Buffer.from(cross.content as Buffer).equals(data)).toBe(true);

      const blobsBefore = blobCount();
      await client.deleteMulti([
        'copy/dest-copy.txt',
        'copy/dest-replace.txt',
        'copy/if-match.txt',
        'copy/occupied.txt',
      ]);
      // The cross-bucket copy still holds the shared blob; 'occupied' had its own.
      expect(blobCount()).toBe(blobsBefore - 1);
      await other().delete(`copy/from-${bucket}.txt`);
      expect(blobCount()).toBe(blobsBefore - 2);
    });
  });

  // -------------------------------------------------------------------------------------
  describe('error format', () => {
    const missing = 'errors/missing.txt';
    const expectedHostId =
      mode.addressing === 'path' ? 'localhost' : `${bucket}.${TEST_REGION}.aliyuncs.com`;

    it('ali-oss sees code, status, request id, EC and host id', async () => {
      const error = await expectOssError(client.get(missing), 404, 'NoSuchKey');
      expect(error.hostId).toBe(expectedHostId);
      const exchange = exchanges.at(-1);
      expect(exchange?.status).toBe(404);
      expect(exchange?.responseHeaders['x-oss-request-id']).toBe(error.requestId);
      expect(exchange?.responseHeaders['x-oss-ec']).toBe(error.ecCode);
      expect(exchange?.responseHeaders['content-type']).toBe('application/xml');

      const noBucket = oss.client({ bucket: 'conf-no-such-bucket', ...mode });
      await expectOssError(noBucket.get(missing), 404, 'NoSuchBucket');
    });

    it('GET of a missing key has the XML error body and headers', async () => {
      const raw = signRaw(client, mode, { method: 'GET', bucket, key: missing });
      const res = await sendRaw(port, 'GET', raw.path, raw.headers);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe('application/xml');
      expect(res.headers['x-oss-request-id']).toMatch(REQUEST_ID);
      expect(res.headers['x-oss-ec']).toMatch(EC);
      expect(res.body.toString()).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>/);
      const error = parseErrorXml(res.body.toString());
      expect(error.Code).toBe('NoSuchKey');
      expect(error.Message).toBeTruthy();
      expect(error.RequestId).toBe(res.headers['x-oss-request-id']);
      expect(error.HostId).toBe(expectedHostId);
      expect(error.EC).toBe(res.headers['x-oss-ec']);
    });

    it('HEAD of a missing key has no body and the error XML base64 in x-oss-err', async () => {
      const raw = signRaw(client, mode, { method: 'HEAD', bucket, key: missing });
      const res = await sendRaw(port, 'HEAD', raw.path, raw.headers);
      expect(res.status).toBe(404);
      expect(res.body.length).toBe(0);
      expect(res.headers['x-oss-request-id']).toMatch(REQUEST_ID);
      const encoded = res.headers['x-oss-err'];
      expect(typeof encoded).toBe('string');
      const error = parseErrorXml(Buffer.from(encoded as string, 'base64').toString('utf8'));
      expect(error.Code).toBe('NoSuchKey');
      expect(error.RequestId).toBe(res.headers['x-oss-request-id']);
      expect(error.EC).toBe(res.headers['x-oss-ec']);
      await expectOssError(client.head(missing), 404, 'NoSuchKey', false);
    });
  });

  // -------------------------------------------------------------------------------------
  describe('presigned URLs', () => {
    const key = 'presigned/hello 世界.txt';
    const data = Buffer.from('hello, presigned world');

    if (mode.addressing === 'virtual-host') {
      it('signatureUrl() refuses the IP endpoint virtual-host mode uses (so: path mode only)', () => {
        expect(() => client.signatureUrl(key)).toThrow(/IP/);
      });
      return;
    }

    beforeAll(async () => {
      await client.put(key, data, { headers: { 'Content-Type': 'text/plain' } });
    });

    it('V1 GET URL serves the bytes; response-content-type overrides the header', async () => {
      const plain = await fetch(client.signatureUrl(key, { expires: 60 }));
      expect(plain.status).toBe(200);
      expect(Buffer.from(await plain.arrayBuffer()).equals(data)).toBe(true);
      expect(plain.headers.get('content-type')).toBe('text/plain');
      expect(plain.headers.get('x-oss-request-id')).toMatch(REQUEST_ID);

      const url = client.signatureUrl(key, {
        expires: 60,
        response: {
          'content-type': 'application/x-override',
          'content-disposition': 'attachment; filename="x.txt"',
        },
      });
      const overridden = await fetch(url);
      expect(overridden.status).toBe(200);
      expect(overridden.headers.get('content-type')).toBe('application/x-override');
      expect(overridden.headers.get('content-disposition')).toBe('attachment; filename="x.txt"');
      expect(Buffer.from(await overridden.arrayBuffer()).equals(data)).toBe(true);
    });

    it('V1 PUT URL uploads', async () => {
      const putKey = 'presigned/put.bin';
      const body = randomBytes(1000);
      const url = client.signatureUrl(putKey, {
        method: 'PUT',
        expires: 60,
        'Content-Type': 'application/octet-stream',
      });
      const res = await fetch(url, {
        method: 'PUT',
        body,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe(etagOf(body));
      expect((await getBytes(putKey)).body.equals(body)).toBe(true);
      await client.delete(putKey);
    });

    it('a missing key gives the XML error document with its headers', async () => {
      const res = await fetch(client.signatureUrl('presigned/missing.txt', { expires: 60 }));
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/xml');
      const error = parseErrorXml(await res.text());
      expect(error.Code).toBe('NoSuchKey');
      expect(error.RequestId).toBe(res.headers.get('x-oss-request-id'));
      expect(error.HostId).toBe('localhost');
      expect(error.EC).toBe(res.headers.get('x-oss-ec'));
    });

    it('a tampered V1 URL is 403 SignatureDoesNotMatch', async () => {
      const url = new URL(client.signatureUrl(key, { expires: 60 }));
      url.pathname = url.pathname.replace('hello', 'hellp');
      const res = await fetch(url);
      expect(res.status).toBe(403);
      expect(parseErrorXml(await res.text()).Code).toBe('SignatureDoesNotMatch');

      const overridden = new URL(
        client.signatureUrl(key, { expires: 60, response: { 'content-type': 'text/a' } }),
      );
      overridden.searchParams.set('response-content-type', 'text/b');
      const res2 = await fetch(overridden);
      expect(res2.status).toBe(403);
      expect(parseErrorXml(await res2.text()).Code).toBe('SignatureDoesNotMatch');
    });

    if (mode.signing === 'v4') {
      it('signatureUrlV4 GET URL serves the bytes, with overrides; tampering is 403', async () => {
        const url = await client.signatureUrlV4('GET', 60, { headers: {}, queries: {} }, key);
        expect(url).toContain('x-oss-signature-version=OSS4-HMAC-SHA256');
        const res = await fetch(url);
        expect(res.status).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);

        const withType = await client.signatureUrlV4(
          'GET',
          60,
          { headers: {}, queries: { 'response-content-type': 'text/x-v4' } },
          key,
        );
        const typed = await fetch(withType);
        expect(typed.status).toBe(200);
        expect(typed.headers.get('content-type')).toBe('text/x-v4');

        const tampered = new URL(withType);
        tampered.searchParams.set('response-content-type', 'text/x-other');
        const bad = await fetch(tampered);
        expect(bad.status).toBe(403);
        expect(parseErrorXml(await bad.text()).Code).toBe('SignatureDoesNotMatch');
      });
    }
  });

  // -------------------------------------------------------------------------------------
  it('carried x-oss-request-id on every response ali-oss received, success or error', () => {
    expect(exchanges.length).toBeGreaterThan(50);
    expect(exchanges.some((e) => e.status >= 400)).toBe(true);
    const without = exchanges.filter(
      (e) => !REQUEST_ID.test(e.responseHeaders['x-oss-request-id'] ?? ''),
    );
    expect(without.map((e) => `${e.method} ${e.url} ${e.status}`)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------

describe('server root after all of the above', () => {
  it('names no file after a key: only meta.db*, blobs/xx/<32 hex> and tmp/', () => {
    const allowed = [
      /^meta\.db(-wal|-shm|-journal)?$/,
      /^blobs\/$/,
      /^blobs\/[0-9a-f]{2}\/$/,
      /^blobs\/([0-9a-f]{2})\/\1[0-9a-f]{30}$/,
      /^tmp\/$/,
      /^tmp\/[0-9a-f]{32}$/,
    ];
    const entries = walk(root);
    expect(entries.length).toBeGreaterThan(256);
    expect(entries.filter((entry) => !allowed.some((re) => re.test(entry)))).toEqual([]);
  });

  it('created nothing outside the root', () => {
    const outside = walk(sandbox).filter(
      (entry) => entry !== 'nest/' && !entry.startsWith('nest/root/'),
    );
    expect(outside).toEqual([]);
  });
});
