/**
 * Service.start(): a host that comes back up syncs its folder pairs and resumes its queue
 * before any UI asks for anything; and the saved global pause shows with no runtime.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SecretStore } from '../../../main/core/secrets/secret-store.js';
import { createService, type Service } from '../../../main/core/service/service.js';
import {
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  TEST_REGION,
  startLocalOss,
  type LocalOss,
} from '../../helpers/osslocal.js';
import { MemorySecretStore, localAccountParams } from '../../helpers/service.js';

const BUCKET = 'service-start';

let oss: LocalOss;
let work: string;
const open: Service[] = [];

beforeAll(async () => {
  oss = await startLocalOss();
  await oss.client().putBucket(BUCKET);
  work = await mkdtemp(path.join(tmpdir(), 'ossync-service-start-'));
});

afterAll(async () => {
  for (const service of open) await service.close();
  await oss.close();
  await rm(work, { recursive: true, force: true });
});

function serviceOn(dataDir: string, secrets: SecretStore): Service {
  const service = createService({ dataDir, secrets, pairRunner: { stabilityMs: 0 } });
  open.push(service);
  return service;
}

async function keys(prefix: string): Promise<string[]> {
  const client = oss.client();
  client.useBucket(BUCKET);
  const page = await client.listV2({ prefix, 'max-keys': '100' }, {});
  return (page.objects ?? []).map((object) => object.name.slice(prefix.length)).sort();
}

it('start() runs the pairs of a restarted service with no call from a UI', async () => {
  const dataDir = path.join(work, 'data');
  const folder = await mkdtemp(path.join(work, 'folder-'));
  await writeFile(path.join(folder, 'before.txt'), 'before');
  const secrets = new MemorySecretStore();

  const first = serviceOn(dataDir, secrets);
  const api = first.api;
  const account = await api['accounts.add']!(localAccountParams(oss, BUCKET));
  await api['pairs.add']!({
    accountId: account.id,
    localRoot: folder,
    bucket: BUCKET,
    prefix: 'p/',
  });
  await expect.poll(() => keys('p/'), { timeout: 30_000, interval: 100 }).toEqual(['before.txt']);
  await first.close();

  // Changed while nothing ran; the next service only gets start().
  await writeFile(path.join(folder, 'after.txt'), 'after');
  const second = serviceOn(dataDir, secrets);
  await second.start();
  await expect
    .poll(() => keys('p/'), { timeout: 30_000, interval: 100 })
    .toEqual(['after.txt', 'before.txt']);
});

it('start() logs an account that cannot start and starts the others', async () => {
  const dataDir = path.join(work, 'data-broken');
  const secrets = new MemorySecretStore();
  const warnings: object[] = [];
  const service = createService({
    dataDir,
    secrets,
    logger: {
      debug: () => undefined,
      warn: (object) => warnings.push(object),
      error: () => undefined,
    },
  });
  open.push(service);
  const add = (name: string) =>
    service.api['accounts.add']!({
      name,
      endpoint: `http://localhost:${oss.server.port}`,
      region: TEST_REGION,
      defaultBucket: BUCKET,
      accessKeyId: TEST_ACCESS_KEY_ID,
      accessKeySecret: TEST_ACCESS_KEY_SECRET,
    });
  const broken = await add('Broken');
  const fine = await add('Fine');
  // The broken account's secret is gone from the store (a wiped keychain).
  secrets.values.delete(`account:${broken.id}:accessKeySecret`);
  await service.start();
  expect(warnings).toEqual([
    expect.objectContaining({ accountId: broken.id, detail: 'invalid-access-key' }),
  ]);
  const jobs = await service.api['transfers.list']!({ accountId: fine.id, states: ['queued'] });
  expect(jobs.total).toBe(0);
});

it('shows the saved global pause with no account at all', async () => {
  const service = serviceOn(path.join(work, 'data-empty'), new MemorySecretStore());
  await service.api['transfers.pauseAll']!({});
  expect(await service.api['app.status']!({})).toMatchObject({ state: 'paused', paused: true });
  await service.api['transfers.resumeAll']!({});
  expect(await service.api['app.status']!({})).toMatchObject({ state: 'idle', paused: false });
});
