/**
 * What OssRemoteStore adds for browsing (RemoteCatalog: listBuckets, presignGet, and the
 * storage class on HEAD), against the local OSS server with the real ali-oss client, under
 * V1 and V4 signatures. Share links are fetched with plain `fetch`, as a browser would.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCoreError } from '../../../main/core/errors.js';
import { OssRemoteStore } from '../../../main/core/remote/oss-remote-store.js';
import type { RemoteAccount } from '../../../main/core/remote/remote-store.js';
import {
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  TEST_REGION,
  startLocalOss,
  type LocalOss,
} from '../../helpers/osslocal.js';

const BUCKETS = ['catalog-a', 'catalog-b', 'catalog-c'];

let local: LocalOss;
const stores: OssRemoteStore[] = [];

function store(overrides: Partial<RemoteAccount> = {}): OssRemoteStore {
  const created = new OssRemoteStore({
    endpoint: `http://localhost:${local.server.port}`,
    region: TEST_REGION,
    accessKeyId: TEST_ACCESS_KEY_ID,
    accessKeySecret: TEST_ACCESS_KEY_SECRET,
    pathStyle: true,
    ...overrides,
  });
  stores.push(created);
  return created;
}

async function put(remote: OssRemoteStore, key: string, body: Buffer) {
  await remote.putObject('catalog-a', key, { stream: Readable.from([body]), size: body.length });
}

beforeAll(async () => {
  local = await startLocalOss({ buckets: BUCKETS });
});

afterAll(async () => {
  for (const created of stores) created.close();
  await local.close();
});

describe('listBuckets', () => {
  it('lists every bucket with its location, creation time and storage class', async () => {
    const buckets = await store().listBuckets();
    expect(buckets.map((b) => b.name).sort()).toEqual(BUCKETS);
    for (const bucket of buckets) {
      expect(bucket.region).toBe(TEST_REGION);
      expect(bucket.storageClass).toBe('Standard');
      expect(bucket.createdAt!.getTime()).toBeGreaterThan(Date.now() - 600_000);
    }
  });

  it('fails with invalid-access-key for an unknown AccessKey ID, without the secret', async () => {
    const error = await store({ accessKeyId: 'LTAI5tNobody' })
      .listBuckets()
      .catch((caught: unknown) => caught);
    expect(isCoreError(error) && error.code).toBe('invalid-access-key');
    expect(String((error as Error).message)).not.toContain(TEST_ACCESS_KEY_SECRET);
  });
});

describe('headObject', () => {
  it('reports the storage class', async () => {
    const remote = store();
    await put(remote, 'class/standard.txt', Buffer.from('x'));
    expect((await remote.headObject('catalog-a', 'class/standard.txt'))?.storageClass).toBe(
      'Standard',
    );
  });
});

describe.each([
  { signing: 'V1', authorizationV4: false },
  { signing: 'V4', authorizationV4: true },
])('presignGet, $signing', ({ authorizationV4 }) => {
  it('gives a URL plain fetch can read, expiring when it says', async () => {
    const remote = store({ authorizationV4 });
    const key = `share/${authorizationV4 ? 'v4' : 'v1'}/年报 2024+final?.bin`;
    const body = randomBytes(5000);
    await put(remote, key, body);
    const before = Date.now();
    const link = await remote.presignGet('catalog-a', key, 600);
    expect(link.url).not.toContain(TEST_ACCESS_KEY_SECRET);
    expect(link.url).toContain(authorizationV4 ? 'x-oss-signature=' : 'Signature=');
    // Signed in whole seconds (V1 rounds, V4 truncates): within a second of now + 600 s.
    expect(link.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 599_000);
    expect(link.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 601_000);
    const response = await fetch(link.url);
    expect(response.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await response.arrayBuffer()), body)).toBe(0);

    // The link names one key: changing the key in it breaks the signature.
    const other = await fetch(link.url.replace('final', 'finaL'));
    expect(other.status).toBe(403);
    await other.arrayBuffer();
  });

  it('is refused once expired', async () => {
    const remote = store({ authorizationV4 });
    await put(remote, 'share/short.txt', Buffer.from('short'));
    const link = await remote.presignGet('catalog-a', 'share/short.txt', 1);
    expect((await fetch(link.url)).status).toBe(200);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, link.expiresAt.getTime() - Date.now()) + 1100),
    );
    const expired = await fetch(link.url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('AccessDenied');
  });
});

describe('presignGet refusals', () => {
  it('refuses a validity outside 1 s .. 7 days and a bad key', async () => {
    const remote = store({ authorizationV4: true });
    for (const seconds of [0, -1, 604_801, 1.5]) {
      const error = await remote.presignGet('catalog-a', 'a.txt', seconds).catch((e: unknown) => e);
      expect(isCoreError(error) && error.code, String(seconds)).toBe('invalid-argument');
    }
    const error = await remote.presignGet('catalog-a', '/abs', 60).catch((e: unknown) => e);
    expect(isCoreError(error) && error.code).toBe('invalid-request');
  });

  it('refuses an IP endpoint, whose links could not name the bucket', async () => {
    const remote = store({ endpoint: `http://127.0.0.1:${local.server.port}`, pathStyle: false });
    const error = await remote.presignGet('catalog-a', 'a.txt', 60).catch((e: unknown) => e);
    expect(isCoreError(error) && error.code).toBe('invalid-argument');
    expect((error as Error).message).toContain('127.0.0.1');
  });
});
