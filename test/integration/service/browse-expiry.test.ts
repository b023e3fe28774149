/**
 * objects.delete through the service with a clock the test moves: a folder's confirmation
 * token is refused with confirmation-expired after 5 minutes and nothing is deleted; a
 * fresh one works. Real SQLite, the local OSS server and the real ali-oss client.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createService, type Service } from '../../../main/core/service/service.js';
import type { SecretStore } from '../../../main/core/secrets/secret-store.js';
import { ContractError } from '../../../shared/contract/index.js';
import { startLocalOss, type LocalOss } from '../../helpers/osslocal.js';
import { localAccountParams } from '../../helpers/service.js';

const BUCKET = 'expiry-test';
const secrets = new Map<string, string>();
const store: SecretStore = {
  kind: 'memory',
  get: async (ref) => secrets.get(ref),
  set: async (ref, value) => void secrets.set(ref, value),
  delete: async (ref) => void secrets.delete(ref),
};

let oss: LocalOss;
let dataDir: string;
let service: Service;
let now = Date.now();

beforeAll(async () => {
  oss = await startLocalOss();
  await oss.client().putBucket(BUCKET);
  dataDir = await mkdtemp(path.join(tmpdir(), 'ossync-expiry-'));
  service = createService({ dataDir, secrets: store, now: () => now });
});

afterAll(async () => {
  await service.close();
  await oss.close();
  await rm(dataDir, { recursive: true, force: true });
});

it('refuses an expired folder-delete confirmation and accepts a fresh one', async () => {
  const account = await service.api['accounts.add']!(localAccountParams(oss, BUCKET));
  const client = oss.client();
  client.useBucket(BUCKET);
  for (const name of ['old/1', 'old/2']) await client.put(name, Buffer.from(name));
  const del = service.api['objects.delete']!;
  const params = { accountId: account.id, bucket: BUCKET, keys: ['old/'] };

  const asked = await del(params);
  if (asked.status !== 'needs-confirmation') throw new Error('no confirmation asked');
  expect(asked.count).toBe(2);
  expect(asked.expiresAt).toBe(now + 5 * 60_000);

  now += 5 * 60_000 + 1;
  const error = await del({ ...params, confirmationToken: asked.confirmationToken }).catch(
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ContractError);
  expect((error as ContractError).code).toBe('confirmation-expired');
  const runtime = await service.runtime();
  expect((runtime!.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n).toBe(0);

  const again = await del(params);
  if (again.status !== 'needs-confirmation') throw new Error('no confirmation asked');
  const queued = await del({ ...params, confirmationToken: again.confirmationToken });
  expect(queued).toMatchObject({ status: 'queued', jobsQueued: 2 });
  for (let i = 0; i < 200; i++) {
    const page = await client.listV2({ prefix: 'old/', 'max-keys': '10' }, {});
    if ((page.objects ?? []).length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the deletes did not run');
});
