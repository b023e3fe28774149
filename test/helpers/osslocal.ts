import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OSS from 'ali-oss';
import { OssLocalServer, type OssLocalServerOptions } from '../../main/osslocal/index.js';

export const TEST_ACCESS_KEY_ID = 'LTAI5tTestAccessKeyId';
export const TEST_ACCESS_KEY_SECRET = 'test-secret-Zm9vYmFyYmF6cXV4';
export const TEST_REGION = 'oss-cn-hangzhou';

export type Addressing = 'path' | 'virtual-host';
export type Signing = 'v1' | 'v4';

export interface ClientOptions {
  bucket?: string;
  addressing?: Addressing;
  signing?: Signing;
  accessKeyId?: string;
  accessKeySecret?: string;
  stsToken?: string;
  /** Extra ali-oss options (timeout, retryMax, ...). */
  extra?: Record<string, unknown>;
}

export interface LocalOss {
  server: OssLocalServer;
  root: string;
  /** A real ali-oss client for this server. */
  client(options?: ClientOptions): OSS;
  close(): Promise<void>;
}

/**
 * Starts a local OSS server on a fresh temporary root with the test AccessKey pair. Path
 * style uses `http://localhost:PORT` (ali-oss sends `/bucket/key`); virtual-host style uses
 * `http://127.0.0.1:PORT` (ali-oss sends `/key` with `Host: bucket.oss-<region>.aliyuncs.com`).
 */
export async function startLocalOss(
  options: Partial<OssLocalServerOptions> = {},
): Promise<LocalOss> {
  const root = options.root ?? mkdtempSync(path.join(tmpdir(), 'osslocal-test-'));
  const server = await OssLocalServer.start({
    credentials: [{ accessKeyId: TEST_ACCESS_KEY_ID, accessKeySecret: TEST_ACCESS_KEY_SECRET }],
    region: TEST_REGION,
    ...options,
    root,
  });
  return {
    server,
    root,
    client: (clientOptions = {}) => createClient(server.port, clientOptions),
    async close() {
      await server.close();
      if (options.root === undefined) rmSync(root, { recursive: true, force: true });
    },
  };
}

export function createClient(port: number, options: ClientOptions = {}): OSS {
  const addressing = options.addressing ?? 'path';
  return new OSS({
    endpoint: addressing === 'path' ? `http://localhost:${port}` : `http://127.0.0.1:${port}`,
    sldEnable: addressing === 'path',
    region: TEST_REGION,
    bucket: options.bucket,
    accessKeyId: options.accessKeyId ?? TEST_ACCESS_KEY_ID,
    accessKeySecret: options.accessKeySecret ?? TEST_ACCESS_KEY_SECRET,
    stsToken: options.stsToken,
    authorizationV4: options.signing === 'v4',
    ...options.extra,
  } as OSS.Options);
}

/** Every combination of addressing and signing the conformance suite runs under. */
export const CLIENT_MODES: readonly { addressing: Addressing; signing: Signing }[] = [
  { addressing: 'path', signing: 'v1' },
  { addressing: 'path', signing: 'v4' },
  { addressing: 'virtual-host', signing: 'v1' },
  { addressing: 'virtual-host', signing: 'v4' },
];

/**
 * Puts `body` at `key` with a presigned PUT sent by node:http, whose path goes out as is
 * (ali-oss resolves '..' and '.' segments in a key before sending it). `client` is bound to
 * the bucket.
 */
export async function putRawKey(
  oss: LocalOss,
  client: OSS,
  key: string,
  body: Buffer | string,
): Promise<void> {
  const data = Buffer.from(body);
  const url = client.signatureUrl(key, { method: 'PUT', expires: 60 });
  const rawPath = url.slice(url.indexOf('/', url.indexOf('//') + 2));
  const status = await new Promise<number | undefined>((resolve, reject) => {
    const request = http.request(
      {
        host: 'localhost',
        port: oss.server.port,
        method: 'PUT',
        path: rawPath,
        headers: { 'content-length': String(data.length) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      },
    );
    request.on('error', reject);
    request.end(data);
  });
  if (status !== 200) throw new Error(`raw PUT of ${JSON.stringify(key)} answered ${status}`);
}
