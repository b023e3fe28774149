import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  localOssArgs,
  runLocalOssProcess,
  startLocalOssProcess,
  type LocalOssProcess,
} from '../helpers/local-oss-process.js';
import { TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, createClient } from '../helpers/osslocal.js';

/** `ossync local-oss` as a user runs it: a child process, its output, exit codes and signals. */

const scratch = mkdtempSync(path.join(tmpdir(), 'cli-local-oss-'));
let counter = 0;
const freshRoot = (): string => path.join(scratch, `root-${++counter}`);

const running = new Set<LocalOssProcess>();

async function start(args: string[]): Promise<LocalOssProcess> {
  const server = await startLocalOssProcess(args);
  running.add(server);
  return server;
}

afterEach(async () => {
  for (const server of running) await server.kill('SIGKILL').catch(() => undefined);
  running.clear();
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** No stack trace: no `    at fn (file:line:col)` frames, no Node internal error dump. */
function expectNoStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/node:internal|\.ts:\d+:\d+/);
}

describe('ossync local-oss', () => {
  it('prints "listening on http://127.0.0.1:<port>" first and creates the --bucket buckets', async () => {
    const server = await start(
      localOssArgs(freshRoot(), ['--bucket', 'alpha-bkt', '--bucket', 'beta-bkt']),
    );
    const [first] = server.stdout().split('\n');
    expect(first).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(first).toBe(`listening on http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    expect(await server.adminToken()).toMatch(/^\S{20,}$/);
    const client = createClient(server.port);
    // @types/ali-oss declares Bucket[]; ali-oss 6 resolves to { buckets, ... }.
    const result = (await client.listBuckets({})) as unknown as { buckets: { name: string }[] };
    expect(result.buckets.map((bucket) => bucket.name).sort()).toEqual(['alpha-bkt', 'beta-bkt']);
    expect(server.stderr()).toBe('');
  });

  it('applies --faults FILE with --seed (the flag wins over the file seed)', async () => {
    const rulesFile = path.join(scratch, 'faults.json');
    writeFileSync(
      rulesFile,
      JSON.stringify({
        seed: 5,
        rules: [
          {
            id: 'cli-503',
            op: 'PutObject',
            key: 'faulty/*',
            times: 1,
            fault: {
              kind: 'error',
              status: 503,
              code: 'ServiceUnavailable',
              message: 'injected by the CLI test',
            },
          },
        ],
      }),
    );
    const server = await start(
      localOssArgs(freshRoot(), ['--bucket', 'fault-bkt', '--faults', rulesFile, '--seed', '7']),
    );
    const client = createClient(server.port, { bucket: 'fault-bkt' });
    const error = (await client.put('faulty/a', Buffer.from('x')).then(
      () => undefined,
      (e: unknown) => e,
    )) as { status?: number; code?: string; message?: string } | undefined;
    expect(error).toMatchObject({
      status: 503,
      code: 'ServiceUnavailable',
      message: 'injected by the CLI test',
    });
    await client.put('faulty/a', Buffer.from('x')); // times: 1
    await client.put('other', Buffer.from('y'));
    const response = await fetch(`${server.url}/-/faults`, {
      headers: { Authorization: `Bearer ${await server.adminToken()}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      seed: 7,
      totalInjected: 1,
      rules: [{ id: 'cli-503', matched: 2, injected: 1 }],
    });
  });

  it('without --root: exits non-zero with one clear message and no stack trace', async () => {
    const result = await runLocalOssProcess([
      '--port',
      '0',
      '--access-key-id',
      TEST_ACCESS_KEY_ID,
      '--access-key-secret',
      TEST_ACCESS_KEY_SECRET,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stdout).toBe('');
    // Commander's one error line (the command's usage follows it: showHelpAfterError).
    const errorLines = result.stderr.split('\n').filter((line) => /error/i.test(line));
    expect(errorLines).toEqual(["error: required option '--root <dir>' not specified"]);
    expectNoStackTrace(result.stderr);
  });

  it.each([
    ['no AccessKey at all', [] as string[]],
    ['an id without a secret', ['--access-key-id', TEST_ACCESS_KEY_ID]],
    ['a secret without an id', ['--access-key-secret', TEST_ACCESS_KEY_SECRET]],
  ])('with %s: exits 1 with one clear message and no stack trace', async (_name, keyArgs) => {
    const root = freshRoot();
    const result = await runLocalOssProcess(['--root', root, '--port', '0', ...keyArgs]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'ossync: local-oss needs an AccessKey pair: pass --access-key-id and --access-key-secret, or set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET.\n',
    );
  });

  it('takes the AccessKey pair from OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET', async () => {
    const server = await startLocalOssProcess(
      ['--root', freshRoot(), '--port', '0', '--bucket', 'env-bkt'],
      {
        env: {
          OSS_ACCESS_KEY_ID: TEST_ACCESS_KEY_ID,
          OSS_ACCESS_KEY_SECRET: TEST_ACCESS_KEY_SECRET,
        },
      },
    );
    running.add(server);
    const client = createClient(server.port, { bucket: 'env-bkt' });
    await client.put('k', Buffer.from('v'));
    expect(((await client.get('k')).content as Buffer).toString()).toBe('v');
  });

  it.each([
    [
      'an invalid --bucket',
      ['--bucket', 'B'],
      /^ossync: --bucket "B" is not a valid bucket name: /,
    ],
    [
      'an invalid fault rule',
      ['--faults', 'RULES'],
      /^ossync: Invalid fault rules in .*: rules\[0\]\.op: unknown operation "Nope"/,
    ],
    [
      'a missing --faults file',
      ['--faults', 'MISSING'],
      /^ossync: Cannot read fault rules from .*missing\.json: ENOENT/,
    ],
    ['a bad --port', ['--port', '70000'], /^ossync: --port must be 0\.\.65535, got "70000"\.\n$/],
  ])('with %s: exits 1 with one clear message', async (_name, extra, message) => {
    const rulesFile = path.join(scratch, 'bad-rules.json');
    writeFileSync(rulesFile, JSON.stringify([{ op: 'Nope', fault: { kind: 'drop-response' } }]));
    const args = extra.map((arg) =>
      arg === 'RULES' ? rulesFile : arg === 'MISSING' ? path.join(scratch, 'missing.json') : arg,
    );
    const result = await runLocalOssProcess(localOssArgs(freshRoot(), args));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expectNoStackTrace(result.stderr);
  });

  it('with a port already in use: exits 1 with one clear message', async () => {
    const server = await start(localOssArgs(freshRoot()));
    const args = localOssArgs(freshRoot()).map((arg) => (arg === '0' ? String(server.port) : arg));
    const result = await runLocalOssProcess(args);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `ossync: listen EADDRINUSE: address already in use 127.0.0.1:${server.port}\n`,
    );
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s stops it with exit code 0 within two seconds',
    async (signal) => {
      const server = await start(localOssArgs(freshRoot(), ['--bucket', 'sig-bkt']));
      // An open keep-alive connection must not hold the exit up.
      const client = createClient(server.port, { bucket: 'sig-bkt' });
      await client.put('k', Buffer.alloc(100 * 1024));
      const started = performance.now();
      const exit = await server.kill(signal, 5_000);
      const elapsed = performance.now() - started;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(elapsed).toBeLessThan(2_000);
      expect(server.stderr()).toBe('');
    },
  );

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'through bin/ossync.js: starts the same way and %s stops it with exit code 0',
    async (signal) => {
      const server = await startLocalOssProcess(
        localOssArgs(freshRoot(), ['--bucket', 'bin-bkt']),
        {
          entry: 'bin',
        },
      );
      running.add(server);
      expect(server.stdout().split('\n')[0]).toBe(`listening on http://127.0.0.1:${server.port}`);
      const client = createClient(server.port, { bucket: 'bin-bkt' });
      await client.put('k', Buffer.from('v'));
      const started = performance.now();
      // Not on a terminal, so the wrapper forwards the signal to the CLI process.
      const exit = await server.kill(signal, 5_000);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(server.stderr()).toBe('');
    },
  );

  it('keeps objects across a restart on the same root', async () => {
    const root = freshRoot();
    const body = Buffer.alloc(300 * 1024, 7);
    const first = await start(localOssArgs(root, ['--bucket', 'keep-bkt']));
    let client = createClient(first.port, { bucket: 'keep-bkt' });
    await client.put('dir/kept', body);
    const upload = await client.initMultipartUpload('dir/pending');
    const part = await client.uploadPart('dir/pending', upload.uploadId, 1, body, 0, body.length);
    expect(await first.kill('SIGTERM')).toEqual({ code: 0, signal: null });

    // Restarted without --bucket: the bucket, the object and the upload are all still there.
    const second = await start(localOssArgs(root));
    client = createClient(second.port, { bucket: 'keep-bkt' });
    const read = await client.get('dir/kept');
    expect((read.content as Buffer).equals(body)).toBe(true);
    expect((await client.list({ 'max-keys': 10 }, {})).objects.map((o) => o.name)).toEqual([
      'dir/kept',
    ]);
    await client.completeMultipartUpload('dir/pending', upload.uploadId, [
      { number: 1, etag: part.etag },
    ]);
    expect(((await client.get('dir/pending')).content as Buffer).equals(body)).toBe(true);
  });
});
