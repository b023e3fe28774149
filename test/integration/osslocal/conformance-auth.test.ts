/**
 * Conformance of the local OSS server's request authentication, through the real ali-oss
 * 6.23 client and real HTTP: V1 and V4 signatures, unknown AccessKey IDs, anonymous
 * requests, clock skew over 15 minutes (RequestTimeTooSkewed with ServerTime), STS tokens,
 * and expired presigned URLs. Every error answer carries x-oss-request-id, and ali-oss
 * surfaces err.code, err.status and err.requestId (the same id).
 *
 * The server's clock is injected (`now`), so expiry and skew need no waiting.
 */
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  CLIENT_MODES,
  TEST_ACCESS_KEY_ID,
  startLocalOss,
  type Addressing,
  type ClientOptions,
  type LocalOss,
  type Signing,
} from '../../helpers/osslocal.js';

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------
// ali-oss, with its transport wrapped so each test sees the raw responses

interface UrllibResult {
  status: number;
  headers: Record<string, string | undefined>;
  data: Buffer | undefined;
}
interface Urllib {
  request(url: string, args: object): Promise<UrllibResult>;
}
const urllib = require('urllib') as Urllib;

interface RawResponse {
  status: number;
  headers: Record<string, string | undefined>;
}
interface Client {
  put(name: string, body: Buffer): Promise<{ res: RawResponse }>;
  get(name: string): Promise<{ content: Buffer; res: RawResponse }>;
  head(name: string): Promise<{ res: RawResponse }>;
  list(
    query: Record<string, string | number>,
    options: object,
  ): Promise<{ objects: { name: string }[] }>;
  listV2(query: Record<string, string | number>): Promise<{ objects: { name: string }[] }>;
  listBuckets(
    query: Record<string, string | number>,
  ): Promise<{ buckets: { name: string }[] | null }>;
  initMultipartUpload(name: string): Promise<{ uploadId: string }>;
  abortMultipartUpload(name: string, uploadId: string): Promise<unknown>;
  signatureUrl(name: string, options?: { expires?: number; method?: string }): string;
  signatureUrlV4(
    method: string,
    expires: number,
    request?: object,
    objectName?: string,
  ): Promise<string>;
}
interface ClientError extends Error {
  status: number;
  code: string;
  requestId: string;
  ecCode: string;
}

/** Responses as the client's transport received them, most recent last. */
let responses: UrllibResult[] = [];
const recordingUrllib: Urllib = {
  async request(url, args) {
    const result = await urllib.request(url, args);
    responses.push(result);
    return result;
  },
};

// ---------------------------------------------------------------------------------------
// Fixtures

const BUCKET = 'auth-main';
const STS = {
  accessKeyId: 'STS.NUgYrLnoC37mZZCNnAbez2Ca',
  accessKeySecret: 'sts-secret-3Wq9kRz7',
  securityToken: 'CAIS8QF1q6Ft5B2yfSjIr5b-valid-token',
};
const STS_EXPIRED = {
  accessKeyId: 'STS.NTe9xExpiredKeyId000000',
  accessKeySecret: 'sts-secret-expired',
  securityToken: 'CAIS8QF1q6Ft5B2yfSjIr5b-expired-token',
};
const MINUTE = 60_000;

/** Added to the real clock to give the server's clock. */
let serverClockOffsetMs = 0;
let oss: LocalOss;

function client(options: ClientOptions = {}): Client {
  return oss.client({
    bucket: BUCKET,
    ...options,
    extra: { urllib: recordingUrllib, ...options.extra },
  }) as unknown as Client;
}

beforeAll(async () => {
  const started = Date.now();
  oss = await startLocalOss({
    buckets: [BUCKET],
    now: () => Date.now() + serverClockOffsetMs,
    stsCredentials: [
      { ...STS, expiration: started + 60 * MINUTE },
      { ...STS_EXPIRED, expiration: started - MINUTE },
    ],
  });
  await client().put('hello.txt', Buffer.from('hello'));
});

afterAll(async () => {
  await oss.close();
});

afterEach(() => {
  serverClockOffsetMs = 0;
  responses = [];
});

/**
 * Awaits a rejection and checks what ali-oss surfaces (status, code, requestId) against
 * the raw response: the x-oss-request-id header is there and is the same id.
 */
async function expectOssError(
  promise: Promise<unknown>,
  status: number,
  code: string,
): Promise<{ error: ClientError; body: string }> {
  responses = [];
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${status} ${code}, got success`).toBeInstanceOf(Error);
  const e = error as ClientError;
  expect({ status: e.status, code: e.code }).toEqual({ status, code });
  const raw = responses[responses.length - 1];
  expect(raw?.status).toBe(status);
  const requestId = raw?.headers['x-oss-request-id'];
  expect(requestId).toMatch(/^[0-9A-F]{24}$/);
  expect(e.requestId).toBe(requestId);
  expect(e.ecCode).toMatch(/^\d{4}-\d{8}$/);
  expect(raw?.headers['x-oss-ec']).toBe(e.ecCode);
  // A HEAD answer has no body: the error document travels base64-encoded in x-oss-err.
  const body = raw?.data?.length
    ? raw.data.toString('utf8')
    : Buffer.from(raw?.headers['x-oss-err'] ?? '', 'base64').toString('utf8');
  expect(body).toContain(`<Code>${code}</Code>`);
  expect(body).toContain(`<RequestId>${requestId}</RequestId>`);
  return { error: e, body };
}

const modeName = (mode: { addressing: Addressing; signing: Signing }) =>
  `${mode.addressing} ${mode.signing}`;

// ---------------------------------------------------------------------------------------

describe.each(CLIENT_MODES)('signed requests ($addressing $signing)', (mode) => {
  it('the right key pair works', async () => {
    const c = client(mode);
    const key = `ok/${modeName(mode)}/é +&.txt`;
    expect((await c.put(key, Buffer.from('x'))).res.status).toBe(200);
    expect((await c.get(key)).content.toString()).toBe('x');
    expect((await c.head(key)).res.status).toBe(200);
    expect(
      (await c.list({ prefix: 'ok/', 'max-keys': 100 }, {})).objects.map((o) => o.name),
    ).toContain(key);
  });

  it('a wrong secret is 403 SignatureDoesNotMatch (with the StringToSign to compare)', async () => {
    const c = client({ ...mode, accessKeySecret: 'not-the-secret' });
    const { body } = await expectOssError(c.get('hello.txt'), 403, 'SignatureDoesNotMatch');
    expect(body).toContain('<StringToSign>');
    expect(body).toContain(`<OSSAccessKeyId>${TEST_ACCESS_KEY_ID}</OSSAccessKeyId>`);
    await expectOssError(c.put('nope.txt', Buffer.from('x')), 403, 'SignatureDoesNotMatch');
    await expectOssError(c.head('hello.txt'), 403, 'SignatureDoesNotMatch');
    await expectOssError(c.list({ 'max-keys': 1 }, {}), 403, 'SignatureDoesNotMatch');
    await expectOssError(c.initMultipartUpload('nope.bin'), 403, 'SignatureDoesNotMatch');
    await expectOssError(c.listBuckets({}), 403, 'SignatureDoesNotMatch');
    // Nothing was written.
    await expectOssError(client(mode).get('nope.txt'), 404, 'NoSuchKey');
  });

  it('an unknown AccessKeyId is 403 InvalidAccessKeyId', async () => {
    const c = client({ ...mode, accessKeyId: 'LTAI5tUnknownKeyId0000' });
    const { body } = await expectOssError(c.get('hello.txt'), 403, 'InvalidAccessKeyId');
    expect(body).toContain('<OSSAccessKeyId>LTAI5tUnknownKeyId0000</OSSAccessKeyId>');
    await expectOssError(c.listV2({ 'max-keys': 1 }), 403, 'InvalidAccessKeyId');
    await expectOssError(c.head('hello.txt'), 403, 'InvalidAccessKeyId');
  });

  it('STS: the AccessKey with its token works; a wrong token or none is refused; an expired one is SecurityTokenExpired', async () => {
    const sts = client({
      ...mode,
      accessKeyId: STS.accessKeyId,
      accessKeySecret: STS.accessKeySecret,
      stsToken: STS.securityToken,
    });
    const key = `sts/${modeName(mode)}.txt`;
    await sts.put(key, Buffer.from('via sts'));
    expect((await sts.get(key)).content.toString()).toBe('via sts');
    expect((await sts.listV2({ prefix: 'sts/' })).objects.map((o) => o.name)).toContain(key);
    const { uploadId } = await sts.initMultipartUpload(`${key}.mp`);
    await sts.abortMultipartUpload(`${key}.mp`, uploadId);

    // A token that is not the one issued with this AccessKey (OSS EC 0002-00000006).
    const wrong = client({
      ...mode,
      accessKeyId: STS.accessKeyId,
      accessKeySecret: STS.accessKeySecret,
      stsToken: 'forged',
    });
    await expectOssError(wrong.get(key), 403, 'InvalidSecurityToken');
    await expectOssError(wrong.head(key), 403, 'InvalidSecurityToken');
    // The temporary AccessKey without any token is not a known long-term AccessKey.
    const bare = client({
      ...mode,
      accessKeyId: STS.accessKeyId,
      accessKeySecret: STS.accessKeySecret,
    });
    await expectOssError(bare.get(key), 403, 'InvalidAccessKeyId');
    // A long-term AccessKey with a token attached is refused too.
    await expectOssError(
      client({ ...mode, stsToken: STS.securityToken }).get(key),
      403,
      'InvalidAccessKeyId',
    );

    const expired = client({
      ...mode,
      accessKeyId: STS_EXPIRED.accessKeyId,
      accessKeySecret: STS_EXPIRED.accessKeySecret,
      stsToken: STS_EXPIRED.securityToken,
    });
    await expectOssError(expired.get(key), 403, 'SecurityTokenExpired');
    await expectOssError(
      expired.put('sts/late.txt', Buffer.from('x')),
      403,
      'SecurityTokenExpired',
    );

    // The valid token expires with the server's clock.
    serverClockOffsetMs = 61 * MINUTE;
    const late = client({
      ...mode,
      accessKeyId: STS.accessKeyId,
      accessKeySecret: STS.accessKeySecret,
      stsToken: STS.securityToken,
      extra: { amendTimeSkewed: serverClockOffsetMs },
    });
    await expectOssError(late.get(key), 403, 'SecurityTokenExpired');
  });
});

describe.each(CLIENT_MODES)('clock skew ($addressing $signing)', (mode) => {
  it('a request more than 15 minutes off the server clock is 403 RequestTimeTooSkewed with ServerTime', async () => {
    for (const offset of [16 * MINUTE, -16 * MINUTE]) {
      serverClockOffsetMs = offset;
      const { body } = await expectOssError(
        client(mode).get('hello.txt'),
        403,
        'RequestTimeTooSkewed',
      );
      const serverTime = /<ServerTime>([^<]+)<\/ServerTime>/.exec(body)?.[1];
      expect(serverTime, body).toBeDefined();
      expect(Math.abs(Date.parse(serverTime ?? '') - (Date.now() + offset))).toBeLessThan(5000);
      expect(body).toMatch(/<RequestTime>[^<]+<\/RequestTime>/);
      await expectOssError(
        client(mode).put('skewed.txt', Buffer.from('x')),
        403,
        'RequestTimeTooSkewed',
      );
      await expectOssError(client(mode).head('hello.txt'), 403, 'RequestTimeTooSkewed');
    }
    // Within 15 minutes is fine.
    serverClockOffsetMs = 14 * MINUTE;
    expect((await client(mode).get('hello.txt')).content.toString()).toBe('hello');
    serverClockOffsetMs = -14 * MINUTE;
    expect((await client(mode).get('hello.txt')).content.toString()).toBe('hello');
    // A client that corrects its clock (ali-oss amendTimeSkewed) gets through.
    serverClockOffsetMs = 16 * MINUTE;
    const amended = client({ ...mode, extra: { amendTimeSkewed: 16 * MINUTE } });
    expect((await amended.get('hello.txt')).content.toString()).toBe('hello');
  });
});

describe('a server started 16 minutes ahead', () => {
  it('refuses every signed request with RequestTimeTooSkewed and its ServerTime', async () => {
    const ahead = await startLocalOss({ buckets: ['skew-b'], now: () => Date.now() + 16 * MINUTE });
    try {
      for (const signing of ['v1', 'v4'] as const) {
        responses = [];
        const c = ahead.client({
          bucket: 'skew-b',
          signing,
          extra: { urllib: recordingUrllib },
        }) as unknown as Client;
        const { body } = await expectOssError(
          c.list({ 'max-keys': 1 }, {}),
          403,
          'RequestTimeTooSkewed',
        );
        const serverTime = Date.parse(/<ServerTime>([^<]+)<\/ServerTime>/.exec(body)?.[1] ?? '');
        expect(Math.abs(serverTime - (Date.now() + 16 * MINUTE))).toBeLessThan(5000);
      }
    } finally {
      await ahead.close();
    }
  });
});

describe('anonymous requests', () => {
  const expectAnonymousDenied = async (response: Response, method: string) => {
    expect(response.status).toBe(403);
    const requestId = response.headers.get('x-oss-request-id');
    expect(requestId).toMatch(/^[0-9A-F]{24}$/);
    const body =
      method === 'HEAD'
        ? Buffer.from(response.headers.get('x-oss-err') ?? '', 'base64').toString('utf8')
        : await response.text();
    expect(body).toContain('<Code>AccessDenied</Code>');
    expect(body).toContain(`<RequestId>${requestId}</RequestId>`);
    if (method !== 'HEAD') expect(response.headers.get('content-type')).toBe('application/xml');
  };

  it('are 403 AccessDenied, for objects, buckets and the service', async () => {
    const base = `http://localhost:${oss.server.port}`;
    await expectAnonymousDenied(await fetch(`${base}/${BUCKET}/hello.txt`), 'GET');
    await expectAnonymousDenied(
      await fetch(`${base}/${BUCKET}/hello.txt`, { method: 'HEAD' }),
      'HEAD',
    );
    await expectAnonymousDenied(
      await fetch(`${base}/${BUCKET}/new.txt`, { method: 'PUT', body: 'x' }),
      'PUT',
    );
    await expectAnonymousDenied(
      await fetch(`${base}/${BUCKET}/hello.txt`, { method: 'DELETE' }),
      'DELETE',
    );
    await expectAnonymousDenied(await fetch(`${base}/${BUCKET}/?list-type=2`), 'GET');
    await expectAnonymousDenied(await fetch(`${base}/`), 'GET');
    // Virtual-host addressing, too (fetch may not set Host: plain node:http).
    const vhost = await new Promise<{ status: number; requestId: unknown; body: string }>(
      (resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: oss.server.port,
            path: '/hello.txt',
            headers: { host: `${BUCKET}.oss-cn-hangzhou.aliyuncs.com` },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                requestId: res.headers['x-oss-request-id'],
                body: Buffer.concat(chunks).toString(),
              }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    expect(vhost.status).toBe(403);
    expect(vhost.requestId).toMatch(/^[0-9A-F]{24}$/);
    expect(vhost.body).toContain('<Code>AccessDenied</Code>');
    // And nothing was changed.
    expect((await client().get('hello.txt')).content.toString()).toBe('hello');
    await expectOssError(client().get('new.txt'), 404, 'NoSuchKey');
  });
});

describe('presigned URLs', () => {
  it('a V1 URL works until Expires, then is 403 AccessDenied', async () => {
    const c = client();
    const lasting = c.signatureUrl('hello.txt', { expires: 60 });
    expect(await (await fetch(lasting)).text()).toBe('hello');
    const url = c.signatureUrl('hello.txt', { expires: 1 });
    serverClockOffsetMs = 5000;
    const response = await fetch(url);
    expect(response.status).toBe(403);
    const requestId = response.headers.get('x-oss-request-id');
    expect(requestId).toMatch(/^[0-9A-F]{24}$/);
    const body = await response.text();
    expect(body).toContain('<Code>AccessDenied</Code>');
    expect(body).toContain(`<RequestId>${requestId}</RequestId>`);
    // The lasting URL still works at that time; and tampering with it breaks the signature.
    expect((await fetch(lasting)).status).toBe(200);
    const tampered = lasting.replace(/Expires=(\d+)/, (_, e: string) => `Expires=${Number(e) + 1}`);
    const bad = await fetch(tampered);
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('a V4 URL works until x-oss-date + x-oss-expires, then is 403 AccessDenied', async () => {
    const c = client({ signing: 'v4' });
    const url = await c.signatureUrlV4('GET', 1, {}, 'hello.txt');
    expect(url).toContain('x-oss-signature=');
    serverClockOffsetMs = 5000;
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(response.headers.get('x-oss-request-id')).toMatch(/^[0-9A-F]{24}$/);
    expect(await response.text()).toContain('<Code>AccessDenied</Code>');
    serverClockOffsetMs = 0;
    const fresh = await c.signatureUrlV4('GET', 60, {}, 'hello.txt');
    expect(await (await fetch(fresh)).text()).toBe('hello');
  });

  it('an STS URL carries its token and works; with the token expired it is refused', async () => {
    const sts = client({
      accessKeyId: STS.accessKeyId,
      accessKeySecret: STS.accessKeySecret,
      stsToken: STS.securityToken,
    });
    const url = sts.signatureUrl('hello.txt', { expires: 3 * 3600 });
    expect(url).toContain('security-token=');
    expect(await (await fetch(url)).text()).toBe('hello');
    serverClockOffsetMs = 61 * MINUTE;
    const late = await fetch(url);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('<Code>SecurityTokenExpired</Code>');
  });
});
