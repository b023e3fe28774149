// AccessDenied as OSS sends it, through the real ali-oss client and OssRemoteStore: the
// message names the RAM action a policy must allow (not the operation, which RAM does not
// know for HEAD, ListObjectsV2 or UploadPart), and a bucket reached through another region's
// endpoint says so instead of blaming the policy. The local OSS server has no regions, so a
// plain HTTP server answers here with OSS's error documents.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCoreError, type CoreError } from '../../../main/core/errors.js';
import { OssRemoteStore } from '../../../main/core/remote/oss-remote-store.js';

const WRONG_ENDPOINT =
  'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.';

function errorXml(message: string, extra = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>AccessDenied</Code>\n  <Message>${message}</Message>\n  <RequestId>5C3D9175B6FC201293AD4890</RequestId>\n  <HostId>b-1.oss-cn-hangzhou.aliyuncs.com</HostId>${extra}\n</Error>\n`;
}

/** What the server answers: the bucket name decides (path-style requests: /BUCKET/KEY). */
function answer(bucket: string): string {
  return bucket === 'elsewhere'
    ? errorXml(
        WRONG_ENDPOINT,
        '\n  <Bucket>elsewhere</Bucket>\n  <Endpoint>oss-cn-shanghai.aliyuncs.com</Endpoint>',
      )
    : errorXml('You have no right to access this object because of bucket acl.');
}

let server: Server;
let remote: OssRemoteStore;

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    const bucket = (request.url ?? '/').split('/')[1]?.split('?')[0] ?? '';
    const xml = answer(bucket);
    const headers = {
      'content-type': 'application/xml',
      'x-oss-request-id': '5C3D9175B6FC201293AD4890',
    };
    if (request.method === 'HEAD') {
      // A HEAD answer has no body: OSS puts the error document in x-oss-err.
      response.writeHead(403, { ...headers, 'x-oss-err': Buffer.from(xml).toString('base64') });
      response.end();
      return;
    }
    response.writeHead(403, headers);
    response.end(xml);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  remote = new OssRemoteStore({
    endpoint: `http://localhost:${port}`,
    region: 'oss-cn-hangzhou',
    accessKeyId: 'test-id',
    accessKeySecret: 'test-secret',
    pathStyle: true,
  });
});

afterAll(async () => {
  remote.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function failure(call: Promise<unknown>): Promise<CoreError> {
  const error: unknown = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isCoreError(error)) throw new Error(`expected a CoreError, got ${String(error)}`);
  return error;
}

describe('AccessDenied', () => {
  it('names the RAM action of a HEAD (oss:GetObject), not the operation', async () => {
    const error = await failure(remote.headObject('b-1', 'photos/a.jpg'));
    expect(error).toMatchObject({ code: 'access-denied', ossCode: 'AccessDenied' });
    expect(error.message).toContain('must allow oss:GetObject on bucket "b-1"');
    expect(error.message).not.toContain('oss:HeadObject');
  });

  it('names the RAM action of a listing (oss:ListObjects), not ListObjectsV2', async () => {
    const error = await failure(remote.listPage('b-1', { prefix: 'photos/', maxKeys: 10 }));
    expect(error).toMatchObject({ code: 'access-denied', requestId: '5C3D9175B6FC201293AD4890' });
    expect(error.message).toContain('must allow oss:ListObjects on bucket "b-1"');
    expect(error.message).not.toContain('ListObjectsV2 on');
  });

  it('says that a bucket of another region needs its own endpoint, for a listing and a HEAD', async () => {
    for (const call of [
      remote.listPage('elsewhere', { maxKeys: 1 }),
      remote.headObject('elsewhere', 'a.txt'),
    ]) {
      const error = await failure(call);
      expect(error.code).toBe('access-denied');
      expect(error.message).toContain('"elsewhere" is in another region than this endpoint');
      expect(error.message).toContain("use the endpoint of the bucket's region");
      expect(error.message).not.toContain('RAM policy');
    }
  });
});
