/**
 * The headless host's HTTP side, with raw Node HTTP requests (no client-side URL
 * normalization) against a started host: the token on /metrics, /healthz, the static app
 * shell and path traversal, security headers, bodies, and the loopback-only bind.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type RunningHost } from '../../../main/host/host.js';
import type { ContractApi } from '../../../shared/contract/index.js';

const SECRET = 'TOP-SECRET-OUTSIDE-THE-UI-FOLDER';

/** No method is called over HTTP; the real service (main/core/service) does not exist yet. */
const api = {} as Partial<ContractApi> as ContractApi;
const events = { on: () => () => undefined };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  host: RunningHost,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: host.port, path, method, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (host: RunningHost) => ({ Authorization: `Bearer ${host.token}` });

let dir: string;
let ui: string;
let host: RunningHost;
let registry: Registry;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ossync-host-'));
  ui = join(dir, 'ui');
  await mkdir(join(ui, 'assets'), { recursive: true });
  await writeFile(join(ui, 'index.html'), '<!doctype html><title>OSSync</title>');
  await writeFile(join(ui, 'assets', 'app.js'), 'console.log("app");');
  await writeFile(join(ui, 'assets', 'app.css'), 'body { margin: 0 }');
  await writeFile(join(ui, '.env'), SECRET);
  await writeFile(join(dir, 'secret.txt'), SECRET);
  await writeFile(join(dir, 'package.json'), SECRET);
  await symlink(join(dir, 'secret.txt'), join(ui, 'assets', 'link.js'));
  await symlink(dir, join(ui, 'outside'));
  registry = new Registry();
  host = await startHost({ api, events, staticDir: ui, metrics: registry });
});

afterAll(async () => {
  await host.close();
  await rm(dir, { recursive: true, force: true });
});

describe('token', () => {
  it('gives a URL with the token in the fragment only', () => {
    const url = new URL(host.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.port).toBe(String(host.port));
    expect(url.pathname).toBe('/');
    expect(url.search).toBe('');
    expect(url.hash).toBe(`#token=${host.token}`);
    expect(Buffer.from(host.token, 'base64url')).toHaveLength(32);
  });

  it('refuses /metrics without the token or with a wrong one', async () => {
    const wrong = `${host.token.slice(0, -1)}${host.token.endsWith('A') ? 'B' : 'A'}`;
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: `Bearer ${wrong}` },
      { Authorization: `Basic ${host.token}` },
      { Authorization: 'Bearer' },
      { Cookie: `token=${host.token}` },
    ];
    for (const headers of attempts) {
      const answer = await get(host, '/metrics', headers);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Bearer realm="ossync"');
      expect(answer.body).toBe('unauthorized');
    }
    expect((await get(host, `/metrics?token=${host.token}`)).status).toBe(401);
  });

  it('serves /metrics in the Prometheus text format with the token', async () => {
    const answer = await get(host, '/metrics', bearer(host));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toContain('text/plain');
    expect(answer.body).toContain('# TYPE ossync_host_request_duration_seconds histogram');
    expect(answer.body).toContain('ossync_host_open_sockets 0');
  });

  it('answers /healthz without a token with ok only', async () => {
    const answer = await get(host, '/healthz');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('ok');
  });

  it('wants the token for a plain GET of /ws too', async () => {
    expect((await get(host, '/ws')).status).toBe(401);
    expect((await get(host, '/ws', bearer(host))).status).toBe(426);
  });
});

describe('headers', () => {
  it('puts the CSP and the other security headers on every response', async () => {
    const csp = [
      "default-src 'self'",
      `connect-src 'self' ws://127.0.0.1:${host.port} ws://localhost:${host.port}`,
      "script-src 'self'",
      "img-src 'self' data: blob:",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
    for (const path of ['/', '/assets/app.js', '/healthz', '/metrics', '/nothing', '/%00']) {
      const answer = await get(host, path);
      expect(answer.headers['content-security-policy'], path).toBe(csp);
      expect(answer.headers['x-content-type-options'], path).toBe('nosniff');
      expect(answer.headers['referrer-policy'], path).toBe('no-referrer');
      expect(answer.headers['x-frame-options'], path).toBe('DENY');
    }
  });

  it('serves the shell with no-store and the assets with their content types', async () => {
    const shell = await get(host, '/');
    expect(shell.status).toBe(200);
    expect(shell.body).toContain('<title>OSSync</title>');
    expect(shell.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(shell.headers['cache-control']).toBe('no-store');
    expect((await get(host, '/index.html')).headers['cache-control']).toBe('no-store');
    const script = await get(host, '/assets/app.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get(host, '/assets/app.css')).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    const head = await get(host, '/assets/app.js', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });
});

describe('static files', () => {
  it('never serves anything outside the UI folder', async () => {
    const attempts = [
      '/../package.json',
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e/',
      '/%2E%2E%2Fsecret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/..\\secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/%252e%252e/secret.txt',
      '/%00',
      '/index.html%00.js',
      `/${join(dir, 'secret.txt')}`,
      `//${join(dir, 'secret.txt')}`,
      '/etc/passwd',
      '/C:/Windows/win.ini',
      '/.env',
      '/assets/link.js',
      '/outside/secret.txt',
      '/outside/package.json',
      '/assets',
      '/assets/',
      '/%E0%A4%A',
      `http://127.0.0.1:${host.port}/../secret.txt`,
    ];
    for (const path of attempts) {
      const answer = await get(host, path);
      expect([400, 404], path).toContain(answer.status);
      expect(answer.body, path).not.toContain(SECRET);
    }
  });

  it('refuses methods other than GET and HEAD, and oversized bodies', async () => {
    const post = await get(host, '/', {}, 'POST', 'x');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const big = await get(host, '/healthz', { 'Content-Length': String(1024 * 1024) }, 'GET');
    expect(big.status).toBe(413);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await get(host, '/', { Host: `evil.example:${host.port}` })).status).toBe(421);
    expect((await get(host, '/', { Host: `localhost:${host.port}` })).status).toBe(200);
  });
});

describe('bind', () => {
  it('refuses a non-loopback address without allowNonLoopback', async () => {
    for (const address of ['0.0.0.0', '::', '192.168.1.10']) {
      await expect(startHost({ api, events, host: address })).rejects.toThrow(
        /not a loopback address.*allowNonLoopback/,
      );
    }
  });

  it('refuses a staticDir that does not exist', async () => {
    await expect(startHost({ api, events, staticDir: join(dir, 'missing') })).rejects.toThrow(
      /UI folder does not exist/,
    );
  });

  it('serves only the API when no staticDir is given', async () => {
    const bare = await startHost({ api, events, token: 'a-token-chosen-by-the-caller' });
    try {
      expect(bare.token).toBe('a-token-chosen-by-the-caller');
      expect((await get(bare, '/')).status).toBe(404);
      expect((await get(bare, '/healthz')).body).toBe('ok');
    } finally {
      await bare.close();
    }
  });
});
