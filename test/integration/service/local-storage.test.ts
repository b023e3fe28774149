/**
 * "Storage on this computer" (accounts.addLocalStorage): the embedded local OSS server as an
 * account, with real SQLite, the real server, the transfer engine and an independent ali-oss
 * client. The secret lives in a secrets file outside the data dir and appears in no file
 * under it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OSS from 'ali-oss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountStore } from '../../../main/core/db/account-store.js';
import { openDatabase } from '../../../main/core/db/database.js';
import { HeadlessSecretStore } from '../../../main/core/secrets/headless-secret-store.js';
import { accountSecretRef } from '../../../main/core/secrets/secret-store.js';
import { LOCAL_BUCKET } from '../../../main/core/service/local-storage.js';
import { startEmbeddedServer } from '../../../main/osslocal/index.js';
import { createService, type Service } from '../../../main/core/service/service.js';
import type { AccountDto } from '../../../shared/contract/accounts.js';

let dataDir: string;
let secretsDir: string;
let work: string;
const services: Service[] = [];

function open(): Service {
  const secrets = new HeadlessSecretStore({
    env: {},
    file: path.join(secretsDir, 'secrets.json'),
  });
  const service = createService({ dataDir, secrets, localServer: startEmbeddedServer });
  services.push(service);
  return service;
}

async function closeAll() {
  for (const service of services.splice(0)) await service.close();
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

async function secretOf(accountId: number): Promise<string> {
  const stored = JSON.parse(
    await readFile(path.join(secretsDir, 'secrets.json'), 'utf8'),
  ) as Record<string, string>;
  const secret = stored[accountSecretRef(accountId, 'accessKeySecret')];
  if (secret === undefined) throw new Error('no secret stored');
  return secret;
}

/** An ali-oss client that shares nothing with the service but the key and the endpoint. */
async function independentClient(account: AccountDto, accessKeyId: string): Promise<OSS> {
  return new OSS({
    // ali-oss goes path style only for a host name (as test/helpers/osslocal.ts does)
    endpoint: (account.endpoint ?? '').replace('127.0.0.1', 'localhost'),
    sldEnable: true,
    region: 'oss-cn-hangzhou',
    bucket: LOCAL_BUCKET,
    accessKeyId,
    accessKeySecret: await secretOf(account.id),
  } as OSS.Options);
}

const portOf = (endpoint: string | null) => Number(new URL(endpoint ?? '').port);

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ossync-local-storage-'));
  secretsDir = await mkdtemp(path.join(tmpdir(), 'ossync-local-secrets-'));
  work = await mkdtemp(path.join(tmpdir(), 'ossync-local-work-'));
});

afterAll(async () => {
  await closeAll();
  for (const dir of [dataDir, secretsDir, work]) await rm(dir, { recursive: true, force: true });
});

describe('accounts.addLocalStorage', () => {
  const content = randomBytes(300 * 1024);
  let account: AccountDto;
  let accessKeyId: string;

  it('adds one local account, twice called or not, with its server running', async () => {
    const service = open();
    const [first, second] = await Promise.all([
      service.api['accounts.addLocalStorage']!({}),
      service.api['accounts.addLocalStorage']!({}),
    ]);
    account = first;
    expect(second.id).toBe(first.id);
    const third = await service.api['accounts.addLocalStorage']!({});
    expect(third.id).toBe(first.id);
    expect(first).toMatchObject({
      kind: 'local',
      defaultBucket: LOCAL_BUCKET,
      hasSecret: true,
      hasSecurityToken: false,
    });
    expect(first.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { accounts } = await service.api['accounts.list']!({});
    expect(accounts.filter((row) => row.kind === 'local')).toHaveLength(1);
    // testConnection signs a real request to the bucket with the stored secret
    const tested = await service.api['accounts.testConnection']!({ id: first.id });
    expect(tested.ok).toBe(true);
  });

  it('uploads through the account runtime; an independent client reads the same bytes', async () => {
    const service = services[0]!;
    const runtime = await service.runtime();
    if (runtime === undefined) throw new Error('no runtime');
    const file = path.join(work, 'photo.bin');
    await writeFile(file, content);
    const batch = 'local-storage-test';
    runtime.engine.add([
      { kind: 'upload', bucket: LOCAL_BUCKET, key: 'dir/photo.bin', localPath: file, batch },
    ]);
    const counts = await runtime.engine.waitForBatch(batch);
    expect(counts.done).toBe(1);
    // The AccessKey id is in the state database (it is no secret); read it from the row.
    const db = openDatabase(path.join(dataDir, 'state.db'));
    try {
      accessKeyId = new AccountStore(db).get(account.id)?.accessKeyId ?? '';
    } finally {
      db.close();
    }
    expect(accessKeyId).toMatch(/^LTAIlocal[0-9a-f]{24}$/);
    const client = await independentClient(account, accessKeyId);
    const got = await client.get('dir/photo.bin');
    expect(Buffer.compare(got.content as Buffer, content)).toBe(0);
  });

  it('after a restart the first use starts the server again on the stored port', async () => {
    await closeAll();
    // The server is down with the service.
    await expect(fetch(`${account.endpoint}/`)).rejects.toThrow();
    const service = open();
    const runtime = await service.runtime();
    if (runtime === undefined) throw new Error('no runtime');
    const page = await runtime.remote.listPage(LOCAL_BUCKET, { prefix: 'dir/' });
    expect(page.objects.map((object) => object.key)).toEqual(['dir/photo.bin']);
    const { accounts } = await service.api['accounts.list']!({});
    expect(accounts).toHaveLength(1);
    expect(accounts[0]!.endpoint).toBe(account.endpoint);
  });

  it('moves to a free port when the stored one is taken, and updates the endpoint', async () => {
    await closeAll();
    const squatter: Server = createServer();
    await new Promise<void>((resolve) =>
      squatter.listen(portOf(account.endpoint), '127.0.0.1', resolve),
    );
    try {
      const service = open();
      const runtime = await service.runtime();
      if (runtime === undefined) throw new Error('no runtime');
      const page = await runtime.remote.listPage(LOCAL_BUCKET, {});
      expect(page.objects.map((object) => object.key)).toEqual(['dir/photo.bin']);
      const { accounts } = await service.api['accounts.list']!({});
      const moved = accounts[0]!;
      expect(moved.id).toBe(account.id);
      expect(moved.endpoint).not.toBe(account.endpoint);
      expect(moved.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const client = await independentClient(moved, accessKeyId);
      const got = await client.get('dir/photo.bin');
      expect(Buffer.compare(got.content as Buffer, content)).toBe(0);
      account = moved;
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('a new secret given with accounts.update restarts the server with it, on the same port', async () => {
    const service = services[0]!;
    const old = await secretOf(account.id);
    const rotated = `rotated-${randomBytes(24).toString('base64url')}`;
    await service.api['accounts.update']!({ id: account.id, accessKeySecret: rotated });
    const tested = await service.api['accounts.testConnection']!({ id: account.id });
    expect(tested.ok).toBe(true);
    const { accounts } = await service.api['accounts.list']!({});
    expect(accounts[0]!.endpoint).toBe(account.endpoint);
    expect(await secretOf(account.id)).toBe(rotated);
    const client = await independentClient(account, accessKeyId);
    const got = await client.get('dir/photo.bin');
    expect(Buffer.compare(got.content as Buffer, content)).toBe(0);
    const stale = new OSS({
      endpoint: (account.endpoint ?? '').replace('127.0.0.1', 'localhost'),
      sldEnable: true,
      region: 'oss-cn-hangzhou',
      bucket: LOCAL_BUCKET,
      accessKeyId,
      accessKeySecret: old,
    } as OSS.Options);
    await expect(stale.get('dir/photo.bin')).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  it('keeps the secret out of every file under the data dir', async () => {
    const secret = await secretOf(account.id);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const files = await filesUnder(dataDir);
    expect(files.some((file) => file.includes(`${path.sep}local-storage${path.sep}`))).toBe(true);
    for (const file of files) {
      const bytes = await readFile(file);
      expect(bytes.includes(Buffer.from(secret)), file).toBe(false);
    }
  });

  it('removing the account stops the server and keeps the data on disk', async () => {
    const service = services[0]!;
    await service.api['accounts.remove']!({ id: account.id });
    await expect(fetch(`${account.endpoint}/`)).rejects.toThrow();
    expect(existsSync(path.join(dataDir, 'local-storage', 'meta.db'))).toBe(true);
    // Added again: a new key, the same objects.
    const again = await service.api['accounts.addLocalStorage']!({});
    expect(again.kind).toBe('local');
    const db = openDatabase(path.join(dataDir, 'state.db'));
    try {
      expect(new AccountStore(db).get(again.id)?.accessKeyId).not.toBe(accessKeyId);
    } finally {
      db.close();
    }
    const runtime = await service.runtime();
    if (runtime === undefined) throw new Error('no runtime');
    const page = await runtime.remote.listPage(LOCAL_BUCKET, {});
    expect(page.objects.map((object) => object.key)).toEqual(['dir/photo.bin']);
  });
});
