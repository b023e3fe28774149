/**
 * The service layer's contract suite, run twice: in process against `service.api`, and
 * through the headless host's WebSocket with a real `ws` client. Real SQLite in a temp data
 * dir, the local OSS server and the real ali-oss client. After each run, the secret appears
 * in no file under the data dir and in no result or event the client saw.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createService, type Service } from '../../../main/core/service/service.js';
import { startHost, type RunningHost } from '../../../main/host/host.js';
import {
  ContractError,
  parseResult,
  type ContractApi,
  type ContractErrorData,
  type MethodName,
  type Params,
  type Result,
} from '../../../shared/contract/index.js';
import {
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  TEST_REGION,
  startLocalOss,
  type LocalOss,
} from '../../helpers/osslocal.js';
import { MemorySecretStore, localAccountParams } from '../../helpers/service.js';
import { activityTests } from './activity-contract.js';
import { browseTests } from './browse-contract.js';
import { pairsTests } from './pairs-contract.js';
import type { SuiteContext } from './suite-context.js';

const BUCKET = 'service-test';

type Call = <M extends MethodName>(method: M, params: Params<M>) => Promise<Result<M>>;

interface Transport {
  call: Call;
  /** Every result, error and event the client received, as text. */
  seen: string[];
  close(): Promise<void>;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

function inProcess(service: Service): Transport {
  const seen: string[] = [];
  const off = service.events.on((name, payload) => seen.push(JSON.stringify({ name, payload })));
  const call: Call = async (method, params) => {
    const fn = service.api[method] as ((p: unknown) => Promise<unknown>) | undefined;
    if (fn === undefined) throw new Error(`not implemented: ${method}`);
    try {
      const value = await fn(params);
      seen.push(JSON.stringify(value));
      const parsed = parseResult(method, value);
      if (!parsed.ok) throw parsed.error;
      return parsed.value as never;
    } catch (error) {
      if (error instanceof ContractError) seen.push(JSON.stringify(error.toData()));
      throw error;
    }
  };
  return { call, seen, close: async () => off() };
}

async function overWebSocket(service: Service): Promise<Transport & { host: RunningHost }> {
  const host = await startHost({ api: service.api as ContractApi, events: service.events });
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, ['ossync', `ossync.${host.token}`], {
    origin: host.origin,
  });
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('error', reject);
  });
  const seen: string[] = [];
  const pending = new Map<number, (message: Record<string, unknown>) => void>();
  ws.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    seen.push(text);
    const message = JSON.parse(text) as Record<string, unknown>;
    if (typeof message.id === 'number') pending.get(message.id)?.(message);
  });
  let next = 1;
  const call: Call = async (method, params) => {
    const id = next++;
    const reply = await new Promise<Record<string, unknown>>((resolve) => {
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
    pending.delete(id);
    if (reply.ok !== true) throw ContractError.fromData(reply.error as ContractErrorData);
    const parsed = parseResult(method, reply.value);
    if (!parsed.ok) throw parsed.error;
    return parsed.value as never;
  };
  return {
    call,
    seen,
    host,
    async close() {
      ws.close();
      await host.close();
    },
  };
}

async function expectError(promise: Promise<unknown>, code: string): Promise<ContractError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ContractError);
  expect((error as ContractError).code).toBe(code);
  expect((error as ContractError).messageKey).toBe(`errors.${code}`);
  return error as ContractError;
}

let oss: LocalOss;
let work: string;
let local: string;

beforeAll(async () => {
  oss = await startLocalOss();
  await oss.client().putBucket(BUCKET);
  work = await mkdtemp(path.join(tmpdir(), 'ossync-service-'));
  local = path.join(work, 'file.bin');
  await writeFile(local, Buffer.alloc(256 * 1024, 7));
});

afterAll(async () => {
  await oss.close();
  await rm(work, { recursive: true, force: true });
});

function contractSuite(name: string, open: (service: Service) => Promise<Transport>) {
  describe(name, () => {
    let dataDir: string;
    let service: Service;
    let transport: Transport;
    let secrets: MemorySecretStore;
    let accountId: number;

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(work, 'data-'));
      secrets = new MemorySecretStore();
      service = createService({ dataDir, secrets, pairRunner: { stabilityMs: 0 } });
      transport = await open(service);
    });

    afterAll(async () => {
      await transport.close();
      await service.close();
    });

    it('adds an account with its secret and lists it masked', async () => {
      const account = await transport.call('accounts.add', localAccountParams(oss, BUCKET));
      accountId = account.id;
      expect(account.hasSecret).toBe(true);
      expect(account.accessKeyIdMasked).toBe(
        `LTAI${'*'.repeat(TEST_ACCESS_KEY_ID.length - 8)}${TEST_ACCESS_KEY_ID.slice(-4)}`,
      );
      const { accounts } = await transport.call('accounts.list', {});
      expect(accounts).toHaveLength(1);
      expect(accounts[0]).toMatchObject({ id: accountId, name: 'Local', hasSecret: true });
      const text = JSON.stringify(accounts);
      expect(text).not.toContain(TEST_ACCESS_KEY_SECRET);
      expect(text).not.toContain(TEST_ACCESS_KEY_ID);
      expect([...secrets.values.values()]).toContain(TEST_ACCESS_KEY_SECRET);
    });

    it('refuses an account without endpoint or region, and bad params', async () => {
      await expectError(
        transport.call('accounts.add', {
          name: 'x',
          accessKeyId: 'abc',
          accessKeySecret: 'def',
        }),
        'invalid-argument',
      );
      const error = await expectError(
        transport.call('accounts.remove', { id: -1 }),
        'invalid-payload',
      );
      expect(error.subject).toBe('params.id');
      await expectError(transport.call('accounts.remove', { id: 9999 }), 'not-found');
    });

    it('tests the connection: ok', async () => {
      const result = await transport.call('accounts.testConnection', { id: accountId });
      expect(result.ok).toBe(true);
    });

    it('tests the connection: no such bucket', async () => {
      const result = await transport.call('accounts.testConnection', {
        id: accountId,
        bucket: 'no-such-bucket-here',
      });
      expect(result).toMatchObject({ ok: false, problem: 'no-such-bucket' });
    });

    it('tests the connection: wrong secret, wrong key id, unreachable', async () => {
      const wrongSecret = await transport.call('accounts.add', {
        name: 'Wrong secret',
        endpoint: `http://localhost:${oss.server.port}`,
        region: TEST_REGION,
        defaultBucket: BUCKET,
        accessKeyId: TEST_ACCESS_KEY_ID,
        accessKeySecret: 'not-the-right-secret-000',
      });
      expect(await transport.call('accounts.testConnection', { id: wrongSecret.id })).toMatchObject(
        { ok: false, problem: 'wrong-secret', error: { code: 'signature-mismatch' } },
      );

      const wrongKey = await transport.call('accounts.add', {
        name: 'Wrong key',
        endpoint: `http://localhost:${oss.server.port}`,
        region: TEST_REGION,
        defaultBucket: BUCKET,
        accessKeyId: 'LTAI5tNobodyKnowsMe',
        accessKeySecret: TEST_ACCESS_KEY_SECRET,
      });
      expect(await transport.call('accounts.testConnection', { id: wrongKey.id })).toMatchObject({
        ok: false,
        problem: 'wrong-key',
        error: { code: 'invalid-access-key' },
      });

      const unreachable = await transport.call('accounts.add', {
        name: 'Closed port',
        endpoint: `http://localhost:${await closedPort()}`,
        region: TEST_REGION,
        defaultBucket: BUCKET,
        accessKeyId: TEST_ACCESS_KEY_ID,
        accessKeySecret: TEST_ACCESS_KEY_SECRET,
      });
      expect(await transport.call('accounts.testConnection', { id: unreachable.id })).toMatchObject(
        { ok: false, problem: 'unreachable' },
      );

      for (const id of [wrongSecret.id, wrongKey.id, unreachable.id])
        await transport.call('accounts.remove', { id });
      const { accounts } = await transport.call('accounts.list', {});
      expect(accounts.map((account) => account.id)).toEqual([accountId]);
    });

    it('updates an account without losing its secret', async () => {
      const updated = await transport.call('accounts.update', { id: accountId, name: 'Renamed' });
      expect(updated).toMatchObject({ name: 'Renamed', hasSecret: true });
      await expectError(
        transport.call('accounts.update', { id: accountId, accessKeyId: 'LTAInew' }),
        'invalid-argument',
      );
      expect((await transport.call('accounts.testConnection', { id: accountId })).ok).toBe(true);
    });

    it('round-trips settings and applies limits to the engine', async () => {
      const before = await transport.call('settings.get', {});
      expect(before.language).toBe('system');
      const after = await transport.call('settings.update', {
        language: 'zh-CN',
        logLevel: 'debug',
        limits: { maxFiles: 2 },
      });
      expect(after).toMatchObject({ language: 'zh-CN', logLevel: 'debug' });
      expect(after.limits.maxFiles).toBe(2);
      expect(await transport.call('settings.get', {})).toEqual(after);
      await expectError(
        transport.call('settings.update', { launchAtLogin: true }),
        'invalid-argument',
      );
      const runtime = await service.runtime();
      expect(runtime?.engine.getLimits().maxFiles).toBe(2);
    });

    it('gets and sets limits', async () => {
      const limits = await transport.call('transfers.setLimits', {
        uploadBytesPerSecond: 1_000_000,
        maxParts: 16,
      });
      expect(limits).toMatchObject({ uploadBytesPerSecond: 1_000_000, maxParts: 16, maxFiles: 2 });
      expect(await transport.call('transfers.getLimits', {})).toEqual(limits);
      expect((await service.runtime())?.engine.getLimits().uploadBytesPerSecond).toBe(1_000_000);
      const cleared = await transport.call('transfers.setLimits', { uploadBytesPerSecond: null });
      expect(cleared.uploadBytesPerSecond).toBeNull();
      await expectError(transport.call('transfers.setLimits', { maxFiles: 0 }), 'invalid-payload');
    });

    it('lists, pauses, resumes and cancels an upload job', async () => {
      await transport.call('transfers.pauseAll', {});
      expect((await transport.call('app.status', {})).paused).toBe(true);
      const runtime = await service.runtime();
      const [jobId] = runtime!.engine.add([
        { kind: 'upload', bucket: BUCKET, key: 'a/file.bin', localPath: local },
      ]);
      const queued = await transport.call('transfers.list', { states: ['queued'] });
      expect(queued.items.map((item) => item.id)).toContain(jobId);
      expect(queued.total).toBe(1);

      expect(await transport.call('transfers.pause', { ids: [jobId!] })).toEqual({ changed: 1 });
      const paused = await transport.call('transfers.list', { states: ['paused'] });
      expect(paused.items[0]).toMatchObject({ id: jobId, state: 'paused', key: 'a/file.bin' });

      expect(await transport.call('transfers.resume', { ids: [jobId!] })).toEqual({ changed: 1 });
      expect((await transport.call('transfers.list', { states: ['queued'] })).total).toBe(1);

      expect(await transport.call('transfers.cancel', { ids: [jobId!] })).toEqual({ changed: 1 });
      const cancelled = await transport.call('transfers.list', { states: ['cancelled'] });
      expect(cancelled.items[0]).toMatchObject({ id: jobId, state: 'cancelled' });

      expect(await transport.call('transfers.retry', { ids: [jobId!] })).toEqual({ changed: 1 });
      await transport.call('transfers.resumeAll', {});
      for (let i = 0; i < 200; i++) {
        if (runtime!.store.get(jobId!)?.state === 'done') break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const done = await transport.call('transfers.list', { states: ['done'] });
      expect(done.items[0]).toMatchObject({ id: jobId, state: 'done', bytesDone: 256 * 1024 });
      const status = await transport.call('app.status', {});
      expect(status.recent[0]).toMatchObject({ id: jobId, state: 'done' });
      expect(await transport.call('transfers.clearFinished', {})).toEqual({ removed: 1 });
      expect((await transport.call('transfers.list', { states: ['done'] })).total).toBe(0);
    });

    it("passes core's own message across, naming the key", async () => {
      const error = await expectError(
        transport.call('objects.details', { accountId, bucket: BUCKET, key: 'no/such-object.bin' }),
        'no-such-key',
      );
      expect(error.message).toContain('no/such-object.bin');
    });

    it('answers app.info', async () => {
      expect(await transport.call('app.info', {})).toMatchObject({ host: 'headless' });
    });

    const context = (): SuiteContext => ({
      call: transport.call,
      seen: transport.seen,
      accountId,
      oss,
      bucket: BUCKET,
      work,
      service,
      dataDir,
    });
    pairsTests(context);
    browseTests(context);
    activityTests(context);

    it('leaves the secret in no file under the data dir and nothing the client saw', async () => {
      const needle = Buffer.from(TEST_ACCESS_KEY_SECRET);
      const files = await filesUnder(dataDir);
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) expect((await readFile(file)).includes(needle)).toBe(false);
      expect(transport.seen.length).toBeGreaterThan(0);
      for (const text of transport.seen) expect(text).not.toContain(TEST_ACCESS_KEY_SECRET);
      expect(transport.seen.some((text) => text.includes('transfers.jobChanged'))).toBe(true);
    });
  });
}

contractSuite('service contract, in process', async (service) => inProcess(service));
contractSuite('service contract, over the WebSocket host', (service) => overWebSocket(service));
