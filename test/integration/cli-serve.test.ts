import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { REPO_ROOT } from '../helpers/local-oss-process.js';
import { defaultSecretsFile } from '../../main/cli/data-dir.js';
import {
  connectContract,
  firstLine,
  killAllServe,
  parseServeUrl,
  spawnServe,
} from '../helpers/serve-process.js';

/** `ossync serve` as a user runs it: a child process, its first line, the host, signals. */
const scratch = mkdtempSync(path.join(tmpdir(), 'cli-serve-'));
let counter = 0;
const freshDir = (): string => path.join(scratch, `data-${++counter}`);

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

afterEach(killAllServe);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function expectNoStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/node:internal|\.ts:\d+:\d+/);
}

describe('ossync serve', () => {
  it('prints the URL with the token first, serves the host and exits 0 on SIGINT', async () => {
    const dataDir = freshDir();
    const server = spawnServe(['--port', '0', '--data-dir', dataDir]);
    const line = await firstLine(server);
    const match = /^(http:\/\/127\.0\.0\.1:(\d+))\/#token=([A-Za-z0-9_-]{20,})$/.exec(line);
    expect(match, line).not.toBeNull();
    const [, origin, portText, token] = match as unknown as [string, string, string, string];
    const port = Number(portText);
    expect(port).toBeGreaterThan(0);
    // The token is printed once, on stdout, and never logged.
    expect(server.stderr()).not.toContain(token);

    const health = await fetch(`${origin}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok');

    expect((await fetch(`${origin}/metrics`)).status).toBe(401);
    const metrics = await fetch(`${origin}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(metrics.status).toBe(200);

    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['ossync', `ossync.${token}`], {
      origin,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const reply = new Promise<Record<string, unknown>>((resolve) => {
      ws.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        if (message['id'] === 1) resolve(message);
      });
    });
    ws.send(JSON.stringify({ id: 1, method: 'app.info', params: {} }));
    expect(await reply).toMatchObject({ id: 1, ok: true, value: { host: 'headless' } });
    ws.close();

    const foreign = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['ossync', `ossync.${token}`], {
      origin: 'http://evil.example',
    });
    const status = await new Promise<number>((resolve, reject) => {
      foreign.once('unexpected-response', (_request, response) =>
        resolve(response.statusCode ?? 0),
      );
      foreign.once('open', () => reject(new Error('a foreign Origin was let in')));
      foreign.once('error', () => undefined);
    });
    expect(status).toBe(403);
    foreign.terminate();

    // Without the built UI, serve says how to build it.
    if (!existsSync(path.join(REPO_ROOT, 'dist', 'renderer', 'index.html')))
      expect(server.stderr()).toContain('npm run build');

    server.child.kill('SIGINT');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(await portOpen(port)).toBe(false);
    // The data-dir lock is released.
    expect(existsSync(path.join(dataDir, 'cli.lock'))).toBe(false);
    expectNoStackTrace(server.stderr());
  }, 60_000);

  it('exits 0 on SIGTERM too', async () => {
    const server = spawnServe(['--data-dir', freshDir()]);
    const line = await firstLine(server);
    const port = Number(/:(\d+)\//.exec(line)?.[1]);
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(await portOpen(port)).toBe(false);
  }, 60_000);

  it('refuses a non-loopback --host without --allow-non-loopback', async () => {
    const server = spawnServe(['--host', '0.0.0.0', '--data-dir', freshDir()]);
    const exit = await server.exited;
    expect(exit.code).toBe(2);
    expect(server.stdout()).toBe('');
    expect(server.stderr()).toContain('0.0.0.0 is not a loopback address');
    expect(server.stderr()).toContain('--allow-non-loopback');
    expectNoStackTrace(server.stderr());
  }, 60_000);

  it('binds to a non-loopback --host with --allow-non-loopback, warning on stderr', async () => {
    const server = spawnServe([
      '--host',
      '0.0.0.0',
      '--allow-non-loopback',
      '--data-dir',
      freshDir(),
    ]);
    const line = await firstLine(server);
    // A wildcard bind prints a loopback URL: the one that works on this machine.
    expect(line).toMatch(/^http:\/\/[^/]+:\d+\/#token=[A-Za-z0-9_-]{20,}$/);
    server.child.kill('SIGINT');
    expect((await server.exited).code).toBe(0);
    expect(server.stderr()).toContain('warning: listening on 0.0.0.0');
  }, 60_000);

  it('keeps secrets outside the data dir by default, in an owner-only file per data dir', async () => {
    const dataDir = freshDir();
    const config = path.join(scratch, `config-${counter}`);
    const server = spawnServe(['--data-dir', dataDir], { XDG_CONFIG_HOME: config });
    const { port, token, origin } = parseServeUrl(await firstLine(server));
    const file = defaultSecretsFile(dataDir, { XDG_CONFIG_HOME: config }, 'linux');
    expect(server.stderr()).toContain(file);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['ossync', `ossync.${token}`], {
      origin,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const reply = new Promise<Record<string, unknown>>((resolve) => {
      ws.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        if (message['id'] === 1) resolve(message);
      });
    });
    const secret = 'SecretOfTheDefaultFile1234567890';
    ws.send(
      JSON.stringify({
        id: 1,
        method: 'accounts.add',
        params: {
          name: 'Default file',
          region: 'oss-cn-hangzhou',
          accessKeyId: 'LTAI5tExampleKeyId',
          accessKeySecret: secret,
        },
      }),
    );
    expect(await reply).toMatchObject({ id: 1, ok: true, value: { hasSecret: true } });
    ws.close();
    server.child.kill('SIGINT');
    expect((await server.exited).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain(secret);
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(statSync(path.dirname(file)).mode & 0o077).toBe(0);
    for (const name of readdirSync(dataDir, { recursive: true, encoding: 'utf8' })) {
      const full = path.join(dataDir, name);
      if (statSync(full).isFile()) expect(readFileSync(full).includes(secret), full).toBe(false);
    }
  }, 60_000);

  it('applies the log level from Settings at once, and keeps it for the next start', async () => {
    const dataDir = freshDir();
    const logText = () =>
      readdirSync(path.join(dataDir, 'logs'))
        .map((name) => readFileSync(path.join(dataDir, 'logs', name), 'utf8'))
        .join('');
    // A debug line: a core error crossing the contract (an account that does not exist).
    const provoke = async (contract: Awaited<ReturnType<typeof connectContract>>) => {
      const reply = await contract.call('accounts.testConnection', { id: 999 });
      expect(reply['ok']).toBe(false);
    };

    let server = spawnServe(['--data-dir', dataDir]);
    let contract = await connectContract(parseServeUrl(await firstLine(server)));
    expect(await contract.call('settings.update', { logLevel: 'debug' })).toMatchObject({
      ok: true,
    });
    await provoke(contract);
    contract.close();
    server.child.kill('SIGINT');
    expect((await server.exited).code).toBe(0);
    const debugLines = (text: string) =>
      text.split('\n').filter((line) => line.includes('"level":20'));
    const first = debugLines(logText()).length;
    expect(first).toBeGreaterThan(0);

    // No --log-level: the saved level, debug, applies from the start.
    server = spawnServe(['--data-dir', dataDir]);
    contract = await connectContract(parseServeUrl(await firstLine(server)));
    await provoke(contract);
    contract.close();
    server.child.kill('SIGINT');
    expect((await server.exited).code).toBe(0);
    expect(debugLines(logText()).length).toBeGreaterThan(first);

    // --log-level wins over the saved one.
    server = spawnServe(['--data-dir', dataDir, '--log-level', 'warn']);
    contract = await connectContract(parseServeUrl(await firstLine(server)));
    const before = debugLines(logText()).length;
    await provoke(contract);
    contract.close();
    server.child.kill('SIGINT');
    expect((await server.exited).code).toBe(0);
    expect(debugLines(logText()).length).toBe(before);
  }, 90_000);

  it('fails at start on a secrets file other users can read, naming it and the chmod', async () => {
    const dataDir = freshDir();
    const file = path.join(scratch, `secrets-${counter}.json`);
    writeFileSync(file, '{}\n');
    chmodSync(file, 0o644);
    const server = spawnServe(['--secrets-file', file, '--data-dir', dataDir]);
    const exit = await server.exited;
    expect(exit.code).toBe(1);
    expect(server.stdout()).toBe('');
    expect(server.stderr()).toContain(file);
    expect(server.stderr()).toContain('chmod 600');
    expect(existsSync(path.join(dataDir, 'cli.lock'))).toBe(false);
    expectNoStackTrace(server.stderr());
  }, 60_000);

  it('rejects a bad --port and --log-level as usage errors', async () => {
    const port = spawnServe(['--port', 'eighty', '--data-dir', freshDir()]);
    expect((await port.exited).code).toBe(2);
    expect(port.stderr()).toContain('--port must be 0..65535');
    const level = spawnServe(['--log-level', 'loud', '--data-dir', freshDir()]);
    expect((await level.exited).code).toBe(2);
    expect(level.stderr()).toContain('--log-level must be');
  }, 60_000);
});
