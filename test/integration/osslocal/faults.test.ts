import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type OSS from 'ali-oss';
import { afterEach, describe, expect, it } from 'vitest';
import { handleAdmin } from '../../../main/osslocal/admin.js';
import { FaultInjector } from '../../../main/osslocal/faults/injector.js';
import type { FaultRule, RequestRecord } from '../../../main/osslocal/index.js';
import { failure, type OssClientError } from '../../helpers/oss-expect.js';
import { startLocalOss, type LocalOss } from '../../helpers/osslocal.js';

/**
 * Every fault kind of the local OSS server as the real ali-oss client sees it, rule filters
 * and counters, the `/-/` admin endpoint, and seeded determinism.
 */

const BUCKET = 'fault-bkt';
const KiB = 1024;
const MiB = 1024 * KiB;

const error503: FaultRule['fault'] = { kind: 'error', status: 503, code: 'ServiceUnavailable' };

let local: LocalOss | undefined;

afterEach(async () => {
  await local?.close();
  local = undefined;
});

async function start(
  faults: FaultRule[] = [],
  seed?: number,
): Promise<{ local: LocalOss; client: OSS }> {
  local = await startLocalOss({
    buckets: [BUCKET],
    faults,
    ...(seed === undefined ? {} : { seed }),
  });
  return { local, client: local.client({ bucket: BUCKET, extra: { timeout: 20_000 } }) };
}

function data(size: number, fill = 0x61): Buffer {
  const buffer = Buffer.alloc(size, fill);
  for (let i = 0; i < size; i += 4096) buffer[i] = (i / 4096) & 0xff;
  return buffer;
}

/** A network-level failure: no HTTP status reached ali-oss (it reports status -1). */
function expectNetworkError(error: OssClientError): void {
  expect(error.status ?? -1, `${error.name}: ${error.message}`).toBe(-1);
  expect(error.name).toMatch(/RequestError|ResponseError|ConnectionResetError|SocketError/);
}

async function expectMissing(client: OSS, key: string): Promise<void> {
  const error = await failure(client.head(key));
  expect(error.status).toBe(404);
}

async function waitFor(check: () => boolean, ms = 3_000): Promise<void> {
  const until = performance.now() + ms;
  while (!check()) {
    if (performance.now() > until) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Open file descriptors of this process (the in-process server's) on files under `root`. */
function openFilesUnder(root: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${root}${path.sep}`)) count++;
    } catch {
      // closed meanwhile
    }
  }
  return count;
}

function tmpFiles(root: string): string[] {
  return readdirSync(path.join(root, 'tmp'));
}

function blobFiles(root: string): string[] {
  return readdirSync(path.join(root, 'blobs')).flatMap((dir) =>
    readdirSync(path.join(root, 'blobs', dir)),
  );
}

async function admin(
  server: LocalOss['server'],
  method: string,
  route: string,
  options: { token?: string | null; body?: string } = {},
): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? server.adminToken : options.token;
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${server.url}${route}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  return { status: response.status, json: await response.json() };
}

function rulesOf(counters: unknown): { id: string; matched: number; injected: number }[] {
  return (counters as { rules: { id: string; matched: number; injected: number }[] }).rules;
}

describe('error faults', () => {
  it('503 ServiceUnavailable reaches the client as err.status/err.code and writes nothing', async () => {
    const { local, client } = await start([{ id: 'e503', op: 'PutObject', fault: error503 }]);
    const records: RequestRecord[] = [];
    local.server.on('request', (record) => records.push(record));
    const error = await failure(client.put('k503', data(256 * KiB)));
    expect(error.status).toBe(503);
    expect(error.code).toBe('ServiceUnavailable');
    expect(error.name).toBe('ServiceUnavailableError');
    expect(records.find((r) => r.op === 'PutObject')?.faults).toEqual(['e503']);
    local.server.faults.setRules([]);
    await expectMissing(client, 'k503');
    expect(tmpFiles(local.root)).toEqual([]);
    expect(blobFiles(local.root)).toEqual([]);
  });

  it('429 QpsLimitExceeded carries Retry-After and writes nothing', async () => {
    const rule: FaultRule = {
      id: 'qps',
      op: 'PutObject',
      fault: { kind: 'error', status: 429, code: 'QpsLimitExceeded', retryAfterSeconds: 3 },
    };
    const { local, client } = await start([rule]);
    const error = await failure(client.put('k429', data(10 * KiB)));
    expect(error.status).toBe(429);
    expect(error.code).toBe('QpsLimitExceeded');
    // ali-oss keeps no response headers on its errors: read Retry-After from the same
    // request sent by hand (a presigned PUT).
    const url = client.signatureUrl('k429', { method: 'PUT' });
    const response = await fetch(url, { method: 'PUT', body: data(10 * KiB) });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await response.text()).toContain('<Code>QpsLimitExceeded</Code>');
    local.server.faults.setRules([]);
    await expectMissing(client, 'k429');
    expect(local.server.faults.counters().byKind['error']).toBe(2);
  });
});

describe('latency and bandwidth', () => {
  it('latency delays a matching request by at least the injected time', async () => {
    const { local, client } = await start([
      { op: 'GetObject', fault: { kind: 'latency', ms: 300 } },
    ]);
    await client.put('slow', data(1 * KiB));
    const started = performance.now();
    const result = await client.get('slow');
    const elapsed = performance.now() - started;
    expect((result.content as Buffer).length).toBe(KiB);
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(local.server.faults.counters().byKind['latency']).toBe(1);
  });

  it('a 2 MiB/s cap makes a 1 MiB PUT and GET take about half a second each', async () => {
    const { local, client } = await start([
      { op: ['PutObject', 'GetObject'], fault: { kind: 'bandwidth', bytesPerSecond: 2 * MiB } },
    ]);
    const body = data(MiB, 0x62);
    let started = performance.now();
    await client.put('capped', body);
    const putMs = performance.now() - started;
    started = performance.now();
    const result = await client.get('capped');
    const getMs = performance.now() - started;
    expect((result.content as Buffer).equals(body)).toBe(true);
    expect(putMs).toBeGreaterThanOrEqual(400);
    expect(getMs).toBeGreaterThanOrEqual(400);
    // and not absurdly slower than the cap (loose: shared CI machines)
    expect(putMs).toBeLessThan(5_000);
    expect(getMs).toBeLessThan(5_000);
    expect(local.server.faults.counters().byKind['bandwidth']).toBe(2);
  });
});

describe('connection faults', () => {
  it('reset-request cuts the upload: network error, no object, nothing left in tmp/', async () => {
    const { local, client } = await start([
      {
        id: 'cut',
        op: 'PutObject',
        key: 'reset/*',
        fault: { kind: 'reset-request', afterBytes: 64 * KiB },
      },
    ]);
    const error = await failure(client.put('reset/a', data(MiB)));
    expectNetworkError(error);
    await waitFor(() => tmpFiles(local.root).length === 0);
    expect(tmpFiles(local.root)).toEqual([]);
    expect(blobFiles(local.root)).toEqual([]);
    // A key outside the pattern is not affected.
    await client.put('other/a', data(MiB));
    expect(rulesOf(local.server.faults.counters())).toMatchObject([
      { id: 'cut', matched: 1, injected: 1 },
    ]);
    local.server.faults.setRules([]);
    await expectMissing(client, 'reset/a');
    expect(local.server.faults.counters().byKind['reset-request']).toBe(1);
  });

  it('reset-response cuts the download: the client errors or gets a short body', async () => {
    const { local, client } = await start();
    const body = data(MiB, 0x63);
    await client.put('cut-get', body);
    local.server.faults.setRules([
      { op: 'GetObject', fault: { kind: 'reset-response', afterBytes: 100 * KiB } },
    ]);
    let outcome: 'error' | 'short';
    try {
      const result = await client.get('cut-get');
      expect((result.content as Buffer).length).toBeLessThan(body.length);
      outcome = 'short';
    } catch (error) {
      expectNetworkError(error as OssClientError);
      outcome = 'error';
    }
    expect(['error', 'short']).toContain(outcome);
    // The object itself is intact.
    local.server.faults.setRules([]);
    expect(((await client.get('cut-get')).content as Buffer).equals(body)).toBe(true);
  });

  it('drop-response commits the PUT and then closes the connection without an answer', async () => {
    const { local, client } = await start([
      { op: 'PutObject', key: 'drop/*', times: 1, fault: { kind: 'drop-response' } },
    ]);
    const records: RequestRecord[] = [];
    local.server.on('request', (record) => records.push(record));
    const body = data(300 * KiB, 0x64);
    const error = await failure(client.put('drop/a', body));
    expectNetworkError(error);
    const result = await client.get('drop/a');
    expect((result.content as Buffer).equals(body)).toBe(true);
    expect(records.find((r) => r.op === 'PutObject')).toMatchObject({
      status: 0,
      code: 'DroppedResponse',
    });
  });
});

describe('resources', () => {
  it.skipIf(!existsSync('/proc/self/fd'))(
    'dropped and cut GET responses close their blob files',
    async () => {
      const { local, client } = await start();
      await client.put('held', data(256 * KiB));
      await client.get('held');
      const baseline = openFilesUnder(local.root); // meta.db, -wal, -shm
      local.server.faults.setRules([
        { op: 'GetObject', key: 'held', fault: { kind: 'drop-response' } },
        { op: 'GetObject', key: 'held2', fault: { kind: 'reset-response', afterBytes: 10 * KiB } },
      ]);
      await client.put('held2', data(256 * KiB));
      for (let i = 0; i < 5; i++) {
        expectNetworkError(await failure(client.get('held')));
        await client.get('held2').catch(() => undefined);
      }
      await waitFor(() => openFilesUnder(local.root) <= baseline, 2_000);
      expect(openFilesUnder(local.root)).toBe(baseline);
    },
  );
});

describe('rule filters and counters', () => {
  it('times: fails the next 2 matching requests, then succeeds', async () => {
    const { local, client } = await start([
      { id: 'twice', op: 'PutObject', times: 2, fault: error503 },
    ]);
    const outcomes: (number | 'ok')[] = [];
    for (let i = 0; i < 3; i++) {
      try {
        await client.put('times', data(KiB));
        outcomes.push('ok');
      } catch (error) {
        outcomes.push((error as OssClientError).status ?? -1);
      }
    }
    expect(outcomes).toEqual([503, 503, 'ok']);
    expect(rulesOf(local.server.faults.counters())).toMatchObject([
      { id: 'twice', matched: 3, injected: 2 },
    ]);
  });

  it('after: lets the first N matching requests through', async () => {
    const { local, client } = await start([
      { id: 'second', op: 'PutObject', after: 1, times: 1, fault: error503 },
    ]);
    const outcomes: (number | 'ok')[] = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(
        await client.put('after', data(KiB)).then(
          () => 'ok' as const,
          (e: OssClientError) => e.status ?? -1,
        ),
      );
    }
    expect(outcomes).toEqual(['ok', 503, 'ok']);
    expect(rulesOf(local.server.faults.counters())).toMatchObject([
      { id: 'second', matched: 3, injected: 1 },
    ]);
  });

  it('an UploadPart rule for big/* hits only parts of big/ keys', async () => {
    const { local, client } = await start([
      { id: 'big-parts', op: 'UploadPart', key: 'big/*', fault: error503 },
    ]);
    const part = data(100 * KiB);
    const big = await client.initMultipartUpload('big/file');
    const error = await failure(
      client.uploadPart('big/file', big.uploadId, 1, part, 0, part.length),
    );
    expect(error.status).toBe(503);
    expect(error.code).toBe('ServiceUnavailable');
    // Other operations on big/ keys and parts of other keys pass.
    await client.put('big/plain', data(KiB));
    const small = await client.initMultipartUpload('small/file');
    const uploaded = await client.uploadPart('small/file', small.uploadId, 1, part, 0, part.length);
    await client.completeMultipartUpload('small/file', small.uploadId, [
      { number: 1, etag: uploaded.etag },
    ]);
    expect(((await client.get('small/file')).content as Buffer).equals(part)).toBe(true);
    const parts = await client.listParts('big/file', big.uploadId);
    expect(parts.parts ?? []).toEqual([]);
    await client.abortMultipartUpload('big/file', big.uploadId);
    expect(rulesOf(local.server.faults.counters())).toMatchObject([
      { id: 'big-parts', matched: 1, injected: 1 },
    ]);
  });
});

describe('admin endpoint', () => {
  it('GET /-/faults returns the counters with the admin token, 401 without it', async () => {
    const { local, client } = await start([
      { id: 'e', op: 'GetObject', key: 'missing-*', times: 1, fault: error503 },
    ]);
    await failure(client.get('missing-1'));
    await failure(client.get('missing-2')); // 404: matched, not injected (times: 1)
    const inProcess = local.server.faults.counters();
    expect(inProcess).toMatchObject({ totalInjected: 1, byKind: { error: 1 } });
    expect(rulesOf(inProcess)).toMatchObject([{ id: 'e', matched: 2, injected: 1 }]);
    const ok = await admin(local.server, 'GET', '/-/faults');
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual(inProcess);
    const wrong = await admin(local.server, 'GET', '/-/faults', { token: 'not-the-token' });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.json)).not.toContain(local.server.adminToken);
    expect((await admin(local.server, 'GET', '/-/faults', { token: null })).status).toBe(401);
    expect((await admin(local.server, 'GET', '/-/stats', { token: 'x' })).status).toBe(401);
  });

  it('refuses callers that are not on loopback (simulated: no other address can be used here)', async () => {
    // A real non-loopback client cannot be tested on this machine (only loopback traffic is
    // allowed), so the admin handler runs behind a server that reports loopback: false.
    const faults = new FaultInjector();
    const http = createServer((req, res) => {
      void handleAdmin(req, res, {
        token: 't',
        loopback: false,
        faults,
        stats: () => ({}),
        resetStats: () => {},
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const port = (http.address() as AddressInfo).port;
      const response = await fetch(`http://127.0.0.1:${port}/-/faults`, {
        headers: { Authorization: 'Bearer t' },
      });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('loopback');
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('PUT /-/faults replaces the rules (and the seed) atomically', async () => {
    const { local, client } = await start([{ id: 'old', op: 'PutObject', fault: error503 }]);
    expect((await failure(client.put('a', data(KiB)))).status).toBe(503);
    const replaced = await admin(local.server, 'PUT', '/-/faults', {
      body: JSON.stringify({ seed: 77, rules: [{ id: 'new', op: 'GetObject', fault: error503 }] }),
    });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({
      seed: 77,
      rules: [{ id: 'new', matched: 0, injected: 0 }],
    });
    await client.put('a', data(KiB));
    const error = await failure(client.get('a'));
    expect(error.status).toBe(503);
    expect(local.server.faults.seed).toBe(77);
    // A bare array is accepted too; [] clears.
    expect((await admin(local.server, 'PUT', '/-/faults', { body: '[]' })).status).toBe(200);
    expect((await client.get('a')).res.status).toBe(200);
  });

  it('POST adds a rule, DELETE removes one or all', async () => {
    const { local, client } = await start();
    const added = await admin(local.server, 'POST', '/-/faults', {
      body: JSON.stringify({ id: 'added', op: 'GetObject', fault: error503 }),
    });
    expect(added).toEqual({ status: 200, json: { id: 'added' } });
    const unnamed = await admin(local.server, 'POST', '/-/faults', {
      body: JSON.stringify({ fault: error503, op: 'HeadObject' }),
    });
    expect(unnamed.status).toBe(200);
    const unnamedId = (unnamed.json as { id: string }).id;
    await client.put('p', data(KiB));
    expect((await failure(client.get('p'))).status).toBe(503);
    expect((await failure(client.head('p'))).status).toBe(503);
    const duplicate = await admin(local.server, 'POST', '/-/faults', {
      body: JSON.stringify({ id: 'added', fault: error503 }),
    });
    expect(duplicate.status).toBe(400);
    expect((duplicate.json as { error: string }).error).toMatch(/duplicate rule id "added"/);
    expect(await admin(local.server, 'DELETE', '/-/faults/added')).toEqual({
      status: 200,
      json: { removed: true },
    });
    expect((await admin(local.server, 'DELETE', '/-/faults/added')).status).toBe(404);
    expect((await client.get('p')).res.status).toBe(200);
    expect(rulesOf(local.server.faults.counters()).map((r) => r.id)).toEqual([unnamedId]);
    const cleared = await admin(local.server, 'DELETE', '/-/faults');
    expect(cleared.status).toBe(200);
    expect(rulesOf(cleared.json)).toEqual([]);
    expect((await client.head('p')).res.status).toBe(200);
    expect((await admin(local.server, 'GET', '/-/nothing')).status).toBe(404);
  });

  it('answers 400 naming the problem for invalid rules, and keeps the old rules', async () => {
    const { local } = await start([{ id: 'keep', op: 'PutObject', fault: error503 }]);
    const cases: [unknown, RegExp][] = [
      [[{ fault: { kind: 'error', status: 200, code: 'X' } }], /rules\[0\]\.fault\.status/],
      [
        [{ op: 'PutObjekt', fault: { kind: 'drop-response' } }],
        /rules\[0\]\.op: unknown operation "PutObjekt"/,
      ],
      [
        [{ fault: { kind: 'explode' } }],
        /rules\[0\]\.fault(\.kind)?: expected fault\.kind to be one of: error, latency/,
      ],
      [[{ fault: { kind: 'latency', ms: 10 }, colour: 'red' }], /colour/],
      [[{ fault: { kind: 'latency', ms: 10 }, probability: 2 }], /rules\[0\]\.probability/],
      [
        [
          { id: 'x', fault: { kind: 'drop-response' } },
          { id: 'x', fault: { kind: 'drop-response' } },
        ],
        /rules\[1\]\.id: duplicate rule id "x"/,
      ],
      [{ seed: 1.5, rules: [] }, /seed/],
      [42, /expected an array of rules/],
    ];
    for (const [body, message] of cases) {
      const response = await admin(local.server, 'PUT', '/-/faults', {
        body: JSON.stringify(body),
      });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((response.json as { error: string }).error, JSON.stringify(body)).toMatch(message);
    }
    const notJson = await admin(local.server, 'PUT', '/-/faults', { body: '{"rules": [' });
    expect(notJson.status).toBe(400);
    expect((notJson.json as { error: string }).error).toMatch(/not valid JSON/);
    expect(rulesOf(local.server.faults.counters()).map((r) => r.id)).toEqual(['keep']);
  });

  it('GET /-/stats counts requests per operation and status', async () => {
    const { local, client } = await start();
    expect((await admin(local.server, 'DELETE', '/-/stats')).status).toBe(200);
    await client.put('s1', data(KiB));
    await client.put('s2', data(KiB));
    await client.get('s1');
    await client.head('s2');
    await failure(client.get('nope'));
    await client.list({ 'max-keys': 10 }, {});
    const { status, json } = await admin(local.server, 'GET', '/-/stats');
    expect(status).toBe(200);
    const stats = json as {
      requests: number;
      byOperation: Record<string, { count: number; byStatus: Record<string, number> }>;
      errorsByCode: Record<string, number>;
    };
    expect(stats.byOperation['PutObject']).toEqual({ count: 2, byStatus: { '200': 2 } });
    expect(stats.byOperation['GetObject']).toEqual({ count: 2, byStatus: { '200': 1, '404': 1 } });
    expect(stats.byOperation['HeadObject']).toEqual({ count: 1, byStatus: { '200': 1 } });
    expect(stats.byOperation['ListObjects']).toEqual({ count: 1, byStatus: { '200': 1 } });
    expect(stats.errorsByCode).toEqual({ NoSuchKey: 1 });
    const total = Object.values(stats.byOperation).reduce((n, entry) => n + entry.count, 0);
    expect(stats.requests).toBe(total);
    // The DELETE /-/stats itself is the one admin request counted so far.
    expect(stats.byOperation['Admin']).toEqual({ count: 1, byStatus: { '200': 1 } });
    expect(local.server.stats().byOperation['PutObject']?.count).toBe(2);
  });
});

describe('determinism', () => {
  const rules: FaultRule[] = [{ id: 'flaky', op: 'PutObject', probability: 0.3, fault: error503 }];

  async function failedIndices(client: OSS, count = 40): Promise<number[]> {
    const failed: number[] = [];
    for (let i = 0; i < count; i++) {
      try {
        await client.put(`det/${i}`, data(64));
      } catch (error) {
        expect((error as OssClientError).status).toBe(503);
        failed.push(i);
      }
    }
    return failed;
  }

  it('the same seed and request sequence fail the same requests (probability 0.3)', async () => {
    const first = await start(rules, 1234);
    const a = await failedIndices(first.client);
    await first.local.close();
    local = undefined;

    const second = await start(rules, 1234);
    const b = await failedIndices(second.client);
    expect(b).toEqual(a);
    // Reseeding over the admin endpoint replays the same decisions on a running server.
    const reseeded = await admin(second.local.server, 'POST', '/-/faults/seed', {
      body: JSON.stringify({ seed: 1234 }),
    });
    expect(reseeded).toEqual({ status: 200, json: { seed: 1234 } });
    expect(await failedIndices(second.client)).toEqual(a);
    // About 30% fail; another seed fails other requests.
    expect(a.length).toBeGreaterThanOrEqual(4);
    expect(a.length).toBeLessThanOrEqual(22);
    second.local.server.faults.reseed(4321);
    expect(await failedIndices(second.client)).not.toEqual(a);
  });
});
