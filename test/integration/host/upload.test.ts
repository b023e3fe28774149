/**
 * `POST /api/upload` over real HTTP (fetch and raw node:http): the headless host in front
 * of the real service (SQLite, the transfer engine) and the local OSS server, checked with
 * an independent ali-oss client. Bytes arrive unchanged, the staged copy goes once the job
 * is done, and every refusal (token, Origin, traversal, size, abort) leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../../main/core/service/service.js';
import { startHost, type RunningHost } from '../../../main/host/host.js';
import type { ContractApi } from '../../../shared/contract/index.js';
import { crc64, crc64ToString } from '../../../shared/crc64.js';
import {
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  TEST_REGION,
  startLocalOss,
  type LocalOss,
} from '../../helpers/osslocal.js';
import { MemorySecretStore } from '../../helpers/service.js';

const BUCKET = 'drop-test';
const MAX_UPLOAD = 12 * 1024 * 1024;

let oss: LocalOss;
let dataDir: string;
let secrets: MemorySecretStore;
let service: Service;
let host: RunningHost;
let accountId: number;

const stagingDir = () => path.join(dataDir, 'staging');

/** Every log line of the host and the service, as text. */
const logged: string[] = [];
const record = (level: string) => (fields: object, message: string) => {
  logged.push(
    `${level} ${message} ${JSON.stringify(fields, (_key, value: unknown) => (value instanceof Error ? value.message : value))}`,
  );
};
const logger = {
  debug: record('debug'),
  info: record('info'),
  warn: record('warn'),
  error: record('error'),
};
const tokens: string[] = [];

async function openService() {
  service = createService({ dataDir, secrets, logger });
  host = await startHost({
    api: service.api as ContractApi,
    events: service.events,
    staging: service.staging,
    limits: { maxUploadBytes: MAX_UPLOAD },
    logger,
  });
  tokens.push(host.token);
}

async function closeService() {
  await host.close();
  await service.close();
}

function uploadUrl(query: Record<string, string>): string {
  return `http://127.0.0.1:${host.port}/api/upload?${new URLSearchParams(query).toString()}`;
}

function upload(
  query: Record<string, string>,
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(uploadUrl(query), {
    method: 'POST',
    headers: { Authorization: `Bearer ${host.token}`, Origin: host.origin, ...headers },
    body,
  });
}

async function staged(): Promise<string[]> {
  const entries = await readdir(stagingDir(), { recursive: true }).catch(() => [] as string[]);
  return entries.map(String);
}

async function until(condition: () => Promise<boolean>, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function bucketKeys(): Promise<string[]> {
  const listed = await oss.client({ bucket: BUCKET }).list({ 'max-keys': 1000 }, {});
  return (listed.objects ?? []).map((object) => object.name);
}

beforeAll(async () => {
  oss = await startLocalOss();
  await oss.client().putBucket(BUCKET);
  dataDir = await mkdtemp(path.join(tmpdir(), 'ossync-upload-'));
  secrets = new MemorySecretStore();
  await openService();
  const account = await service.api['accounts.add']!({
    name: 'local test',
    endpoint: `http://localhost:${oss.server.port}`,
    region: TEST_REGION,
    accessKeyId: TEST_ACCESS_KEY_ID,
    accessKeySecret: TEST_ACCESS_KEY_SECRET,
    defaultBucket: BUCKET,
  });
  accountId = account.id;
});

afterAll(async () => {
  // Nothing logged carries the token, the secret or a query string.
  expect(logged.length).toBeGreaterThan(0);
  for (const line of logged) {
    for (const token of tokens) expect(line).not.toContain(token);
    expect(line).not.toContain(TEST_ACCESS_KEY_SECRET);
    expect(line).not.toContain('accountId=');
  }
  await closeService();
  await oss.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('POST /api/upload', () => {
  it('uploads a dropped file byte-identical, as a verified job, and removes the staged copy', async () => {
    const small = randomBytes(300 * 1024);
    // A folder drop from macOS gives NFD names: the key is NFC.
    const nfd = 'photos/2024/cafe\u0301.jpg';
    const answer = await upload(
      { accountId: String(accountId), bucket: BUCKET, prefix: 'inbox/', path: nfd },
      small,
    );
    expect(answer.status).toBe(201);
    const result = (await answer.json()) as { batch: string; jobId: number; key: string };
    expect(result.key).toBe('inbox/photos/2024/caf\u00e9.jpg');
    expect(result.batch).toMatch(/^drop-[0-9a-f]{32}$/);

    // Past the multipart threshold (8 MiB): parts, resumable, verified the same way.
    const big = randomBytes(9 * 1024 * 1024 + 123);
    const bigAnswer = await upload(
      { accountId: String(accountId), bucket: BUCKET, path: 'big.bin' },
      big,
    );
    expect(bigAnswer.status).toBe(201);
    const bigResult = (await bigAnswer.json()) as { batch: string; jobId: number; key: string };

    const runtime = await service.runtime();
    if (runtime === undefined) throw new Error('no runtime');
    for (const batch of [result.batch, bigResult.batch]) {
      const counts = await runtime.engine.waitForBatch(batch);
      expect(counts.done).toBe(1);
    }
    const job = runtime.store.get(result.jobId);
    expect(job?.state).toBe('done');
    expect(job?.resultCrc64).toBe(crc64ToString(crc64(small)));

    const client = oss.client({ bucket: BUCKET });
    const got = await client.get('inbox/photos/2024/caf\u00e9.jpg');
    expect(Buffer.compare(got.content as Buffer, small)).toBe(0);
    const gotBig = await client.get('big.bin');
    expect(Buffer.compare(gotBig.content as Buffer, big)).toBe(0);

    await until(async () => (await staged()).length === 0, 'the staged copies to go');
  });

  it('uploads an empty file', async () => {
    const answer = await upload(
      { accountId: String(accountId), bucket: BUCKET, path: 'empty.txt' },
      Buffer.alloc(0),
    );
    expect(answer.status).toBe(201);
    const { batch } = (await answer.json()) as { batch: string };
    const runtime = await service.runtime();
    if (runtime === undefined) throw new Error('no runtime');
    expect((await runtime.engine.waitForBatch(batch)).done).toBe(1);
    const head = await oss.client({ bucket: BUCKET }).head('empty.txt');
    expect((head.res.headers as Record<string, string>)['content-length']).toBe('0');
    await until(async () => (await staged()).length === 0, 'the staged copy to go');
  });

  it('keeps the staged copy of a failed job (for a retry) and removes it once cancelled', async () => {
    const answer = await upload(
      { accountId: String(accountId), bucket: 'no-such-bucket-here', path: 'lost.txt' },
      Buffer.from('kept until cancelled'),
    );
    expect(answer.status).toBe(201);
    const { batch, jobId } = (await answer.json()) as { batch: string; jobId: number };
    const runtime = await service.runtime();
    if (runtime === undefined) throw new Error('no runtime');
    const counts = await runtime.engine.waitForBatch(batch);
    expect(counts.failed).toBe(1);
    expect(runtime.store.get(jobId)?.error?.code).toBe('no-such-bucket');
    const kept = await staged();
    expect(kept.some((entry) => entry.endsWith('lost.txt'))).toBe(true);
    await service.api['transfers.cancel']!({ ids: [jobId] });
    expect(runtime.store.get(jobId)?.state).toBe('cancelled');
    await until(async () => (await staged()).length === 0, 'the cancelled job’s staged copy to go');
  });

  it('refuses a request without the token (401) and with a foreign Origin (403)', async () => {
    const query = { accountId: String(accountId), bucket: BUCKET, path: 'nope.txt' };
    const noToken = await fetch(uploadUrl(query), {
      method: 'POST',
      headers: { Origin: host.origin },
      body: Buffer.from('x'),
    });
    expect(noToken.status).toBe(401);
    const wrongToken = await upload(query, Buffer.from('x'), {
      Authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    expect(wrongToken.status).toBe(401);
    const foreign = await upload(query, Buffer.from('x'), { Origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    const crossSite = await upload(query, Buffer.from('x'), { 'Sec-Fetch-Site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    const get = await fetch(uploadUrl(query), {
      headers: { Authorization: `Bearer ${host.token}` },
    });
    expect(get.status).toBe(405);
    expect(await staged()).toEqual([]);
    expect(await bucketKeys()).not.toContain('nope.txt');
  });

  it('refuses traversal and other bad input with 400 and writes nothing', async () => {
    const before = await bucketKeys();
    const cases: [Record<string, string>, string][] = [
      [{ path: '../evil.txt' }, 'path'],
      [{ path: 'a/../../evil.txt' }, 'path'],
      [{ path: '/etc/passwd' }, 'path'],
      [{ path: 'a\\..\\evil.txt' }, 'path'],
      [{ path: 'a\u0000b' }, 'path'],
      [{ path: 'a//b' }, 'path'],
      [{ path: 'folder/' }, 'path'],
      [{ path: `${'x'.repeat(1020)}/abcd` }, 'path'],
      [{ path: 'ok.txt', prefix: '../' }, 'prefix'],
      [{ path: 'ok.txt', prefix: 'no-slash' }, 'prefix'],
      [{ path: 'ok.txt', bucket: 'Bad_Bucket' }, 'bucket'],
      [{ path: 'ok.txt', accountId: '1; DROP' }, 'accountId'],
      [{ path: 'ok.txt', extra: 'x' }, 'extra'],
    ];
    for (const [override, subject] of cases) {
      const query = { accountId: String(accountId), bucket: BUCKET, ...override };
      const answer = await upload(query, Buffer.from('evil'));
      expect(answer.status, JSON.stringify(override)).toBe(400);
      const body = (await answer.json()) as { error: { code: string; subject: string } };
      expect(body.error.subject, JSON.stringify(override)).toBe(subject);
    }
    const unknown = await upload(
      { accountId: '999', bucket: BUCKET, path: 'ok.txt' },
      Buffer.from('x'),
    );
    expect(unknown.status).toBe(404);
    expect(await staged()).toEqual([]);
    expect(await bucketKeys()).toEqual(before);
    // Nothing anywhere a traversal could have reached.
    const underDataDir = (await readdir(dataDir, { recursive: true })).map(String);
    expect(underDataDir.filter((name) => /evil|passwd/.test(name))).toEqual([]);
    expect(existsSync(path.join(path.dirname(dataDir), 'evil.txt'))).toBe(false);
  });

  it('refuses an oversized file with 413 and a missing Content-Length with 411', async () => {
    const tooBig = await upload(
      { accountId: String(accountId), bucket: BUCKET, path: 'too-big.bin' },
      Buffer.alloc(MAX_UPLOAD + 1),
    );
    expect(tooBig.status).toBe(413);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        uploadUrl({ accountId: String(accountId), bucket: BUCKET, path: 'chunked.bin' }),
        {
          method: 'POST',
          headers: { Authorization: `Bearer ${host.token}`, 'Transfer-Encoding': 'chunked' },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end('abc');
    });
    expect(chunked).toBe(411);
    expect(await staged()).toEqual([]);
    expect(await bucketKeys()).not.toContain('too-big.bin');
  });

  it('answers 507 when the disk cannot hold the file', async () => {
    await closeService();
    service = createService({ dataDir, secrets });
    host = await startHost({
      api: service.api as ContractApi,
      events: service.events,
      staging: service.staging,
      limits: { maxUploadBytes: Number.MAX_SAFE_INTEGER },
    });
    const space = await statfs(dataDir);
    expect(Number(space.bavail) * Number(space.bsize), 'this test needs < 4 TiB free').toBeLessThan(
      4 * 1024 ** 4,
    );
    // 4 TiB declared (under the 5 TiB staging cap): more than this disk has free; refused
    // before a byte is read.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        uploadUrl({ accountId: String(accountId), bucket: BUCKET, path: 'huge.bin' }),
        {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${host.token}`,
            'Content-Length': String(4 * 1024 ** 4),
          },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(1024));
    });
    expect(status).toBe(507);
    expect(await staged()).toEqual([]);

    // Two drops that each fit, but not together: the second is refused while the first
    // is still arriving (its bytes are promised).
    const now = await statfs(dataDir);
    const free = Number(now.bavail) * Number(now.bsize);
    const each = String(Math.floor(free * 0.6));
    const first = httpRequest(
      uploadUrl({ accountId: String(accountId), bucket: BUCKET, path: 'first.bin' }),
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${host.token}`, 'Content-Length': each },
      },
    );
    first.on('error', () => undefined);
    first.write(Buffer.alloc(64 * 1024));
    await until(
      async () => (await staged()).some((entry) => entry.endsWith('first.bin.partial')),
      'the first drop to be staging',
    );
    const second = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        uploadUrl({ accountId: String(accountId), bucket: BUCKET, path: 'second.bin' }),
        {
          method: 'POST',
          headers: { Authorization: `Bearer ${host.token}`, 'Content-Length': each },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(1024));
    });
    expect(second).toBe(507);
    first.destroy();
    await until(async () => (await staged()).length === 0, 'the aborted first drop to go');
    await closeService();
    await openService();
  });

  it('a client that aborts mid-body leaves nothing behind', async () => {
    const req = httpRequest(
      uploadUrl({ accountId: String(accountId), bucket: BUCKET, path: 'aborted.bin' }),
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${host.token}`, 'Content-Length': String(4 << 20) },
      },
    );
    req.on('error', () => undefined);
    req.write(randomBytes(512 * 1024));
    // The body is being staged under its temporary name...
    await until(
      async () => (await staged()).some((entry) => entry.endsWith('.partial')),
      'the partial file',
    );
    req.destroy();
    // ...and once the client is gone, nothing is left and no job was queued.
    await until(async () => (await staged()).length === 0, 'the staging folder to empty');
    const runtime = await service.runtime();
    const jobs = runtime?.db
      .prepare("SELECT count(*) AS n FROM jobs WHERE key = 'aborted.bin'")
      .get() as { n: number };
    expect(jobs.n).toBe(0);
    expect(await bucketKeys()).not.toContain('aborted.bin');
  });

  it('at start, sweeps staged files that no live job needs', async () => {
    await closeService();
    const root = stagingDir();
    const orphan = path.join(root, `a${accountId}-${'1'.repeat(32)}`);
    const goneAccount = path.join(root, `a999-${'2'.repeat(32)}`);
    const half = path.join(root, `a${accountId}-${'3'.repeat(32)}`);
    const stray = path.join(root, 'not-a-staged-folder');
    for (const dir of [orphan, goneAccount, half, stray]) await mkdir(dir, { recursive: true });
    await writeFile(path.join(orphan, 'a.jpg'), 'no job has this batch');
    await writeFile(path.join(goneAccount, 'a.jpg'), 'its account is gone');
    await writeFile(path.join(half, 'a.jpg.partial'), 'never finished');
    await openService();
    // The start sweep takes the gone account's, the half-written and the stray folders;
    // the account's runtime, when it starts, takes the one whose job does not exist.
    await service.runtime();
    await until(async () => (await staged()).length === 0, 'the sweep');
  });
});
