/**
 * Secrets never leave their store, checked on a whole `ossync serve` run as a user would
 * drive it: an account added over the WebSocket with its secret, connection tests with the
 * right and a wrong secret (whose errors get logged), a folder pair synced to the bucket,
 * debug logging on. Afterwards the secrets appear in no file under the data directory (the
 * database, its WAL, the logs, the pair state), not on stdout or stderr, and in no message
 * the client received. The secrets file, the keychain of the headless host, is outside the
 * data directory and is the only file that holds them.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  TEST_ACCESS_KEY_ID,
  TEST_ACCESS_KEY_SECRET,
  TEST_REGION,
  startLocalOss,
  type LocalOss,
} from '../helpers/osslocal.js';
import {
  connectContract,
  firstLine,
  killAllServe,
  parseServeUrl,
  spawnServe,
} from '../helpers/serve-process.js';

const BUCKET = 'secrets-artifacts';
const WRONG_SECRET = 'Wr0ngSecretThatMustNeverBeWritten42';

let oss: LocalOss;
let work: string;

beforeAll(async () => {
  oss = await startLocalOss();
  await oss.client().putBucket(BUCKET);
  work = await mkdtemp(path.join(tmpdir(), 'ossync-secrets-'));
});

afterAll(async () => {
  await killAllServe();
  await oss.close();
  await rm(work, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

it('leaves the secrets in no artifact of a serve run but the owner-only secrets file', async () => {
  const dataDir = path.join(work, 'data');
  const secretsFile = path.join(work, 'secrets.json');
  const folder = path.join(work, 'folder');
  await mkdir(folder);
  await writeFile(path.join(folder, 'a.txt'), 'alpha');
  await writeFile(path.join(folder, 'b.bin'), Buffer.alloc(300_000, 3));

  const server = spawnServe([
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--secrets-file',
    secretsFile,
    '--log-level',
    'debug',
  ]);
  const contract = await connectContract(parseServeUrl(await firstLine(server)));
  const call = (method: string, params: object) => contract.call(method, params);
  const value = (reply: Record<string, unknown>) => {
    expect(reply['ok'], JSON.stringify(reply)).toBe(true);
    return reply['value'] as Record<string, unknown>;
  };

  const endpoint = `http://localhost:${oss.server.port}`;
  const account = value(
    await call('accounts.add', {
      name: 'Right',
      endpoint,
      region: TEST_REGION,
      defaultBucket: BUCKET,
      accessKeyId: TEST_ACCESS_KEY_ID,
      accessKeySecret: TEST_ACCESS_KEY_SECRET,
    }),
  );
  expect(value(await call('accounts.testConnection', { id: account['id'] }))).toMatchObject({
    ok: true,
  });
  const wrong = value(
    await call('accounts.add', {
      name: 'Wrong',
      endpoint,
      region: TEST_REGION,
      defaultBucket: BUCKET,
      accessKeyId: TEST_ACCESS_KEY_ID,
      accessKeySecret: WRONG_SECRET,
    }),
  );
  expect(value(await call('accounts.testConnection', { id: wrong['id'] }))).toMatchObject({
    ok: false,
    problem: 'wrong-secret',
  });

  const pair = value(
    await call('pairs.add', {
      accountId: account['id'],
      localRoot: folder,
      bucket: BUCKET,
      prefix: 'pair/',
    }),
  );
  const pairId = (pair['pair'] as { id: number }).id;
  value(await call('pairs.syncNow', { pairId }));
  const client = oss.client();
  client.useBucket(BUCKET);
  await expect
    .poll(
      async () =>
        ((await client.listV2({ prefix: 'pair/', 'max-keys': '10' }, {})).objects ?? []).length,
      { timeout: 30_000, interval: 100 },
    )
    .toBe(2);

  contract.close();
  server.child.kill('SIGTERM');
  expect((await server.exited).code, server.stderr()).toBe(0);

  const secrets = [TEST_ACCESS_KEY_SECRET, WRONG_SECRET];
  const files = await filesUnder(dataDir);
  // The run wrote a database and a log with debug lines in it.
  expect(files.some((file) => file.endsWith('.db'))).toBe(true);
  const logs = files.filter((file) => file.includes(`${path.sep}logs${path.sep}`));
  expect(logs.length).toBeGreaterThan(0);
  expect((await Promise.all(logs.map((file) => readFile(file, 'utf8')))).join('')).toContain(
    '"level":20',
  );
  for (const file of files) {
    const bytes = await readFile(file);
    for (const secret of secrets)
      expect(bytes.includes(Buffer.from(secret)), `${secret.slice(0, 4)}… in ${file}`).toBe(false);
  }
  for (const output of [server.stdout(), server.stderr(), ...contract.received])
    for (const secret of secrets) expect(output).not.toContain(secret);
  expect(contract.received.length).toBeGreaterThan(5);

  // The secrets file holds them, readable by its owner only.
  const stored = await readFile(secretsFile, 'utf8');
  for (const secret of secrets) expect(stored).toContain(secret);
  expect((await stat(secretsFile)).mode & 0o077).toBe(0);
}, 120_000);
