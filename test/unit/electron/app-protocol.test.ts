// The app:// protocol: which URLs map to which files under dist/renderer, and what the
// handler answers (real files in a temp folder, Node's Request/Response).
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_INDEX_URL,
  APP_ORIGIN,
  APP_SCHEME_PRIVILEGES,
  createAppProtocolHandler,
  mimeTypeFor,
  resolveAppPath,
} from '../../../main/electron/app-protocol.js';
import { isAllowedNavigation } from '../../../main/electron/security-handlers.js';
import { CONTENT_SECURITY_POLICY } from '../../../main/electron/window-options.js';

const ROOT = path.resolve('/srv/ossync/renderer');

describe('resolveAppPath', () => {
  it.each([
    ['app://ossync/', 'index.html'],
    ['app://ossync/index.html', 'index.html'],
    ['app://ossync/assets/index-abc.js', 'assets/index-abc.js'],
    ['app://OSSYNC/assets/a.css', 'assets/a.css'],
    ['app://ossync/assets/', 'assets/index.html'],
    ['app://ossync/assets/a%20b.png', 'assets/a b.png'],
    ['app://ossync/index.html?x=1#top', 'index.html'],
  ])('%s -> %s', (url, file) => {
    expect(resolveAppPath(ROOT, url)).toBe(path.join(ROOT, file));
  });

  it.each([
    'app://ossync/../secret.txt',
    'app://ossync/assets/../index.html', // even a '..' that would stay inside
    'app://ossync/./index.html',
    'app://ossync/.%2e/secret.txt',
    'app://ossync/%2e%2e/secret.txt',
    'app://ossync/%2E%2E/%2e%2e/etc/passwd',
    'app://ossync/assets/..%2f..%2fsecret',
    'app://ossync/..%5c..%5csecret',
    'app://ossync/a\\..\\..\\secret',
    'app://ossync/%252e%252e/secret', // double-encoded: decodes once to '%2e%2e', a literal name
    'app://ossync//etc/passwd',
    'app://ossync/C:/Windows/win.ini',
    'app://ossync/%2Fetc%2Fpasswd',
    'app://ossync/index.html%00.png',
    'app://ossync/a%00b',
    'app://ossync/%e0%a4%a',
    'app://other/index.html',
    'app://user:pw@ossync/index.html',
    'app://ossync:8080/index.html',
    'file:///etc/passwd',
    '/etc/passwd',
    'https://ossync/index.html',
    '',
  ])('refuses %s', (url) => {
    const resolved = resolveAppPath(ROOT, url);
    if (url === 'app://ossync/%252e%252e/secret') {
      // not refused, but it stays inside the root as a file literally named '%2e%2e'
      expect(resolved).toBe(path.join(ROOT, '%2e%2e', 'secret'));
      return;
    }
    expect(resolved).toBeUndefined();
  });

  it('never leaves the root, whatever the path', () => {
    const tricky = ['..', '%2e%2e', '.%2e', '%2e.', '.', '%2e', '...', 'a', '%00', '%2f', '%5c'];
    for (const a of tricky) {
      for (const b of tricky) {
        const resolved = resolveAppPath(ROOT, `app://ossync/${a}/${b}/x`);
        if (resolved !== undefined) expect(resolved.startsWith(ROOT + path.sep)).toBe(true);
      }
    }
  });
});

describe('scheme and origin', () => {
  it('is standard and secure, with no CSP bypass, CORS or service workers', () => {
    expect(APP_SCHEME_PRIVILEGES.scheme).toBe('app');
    expect(APP_SCHEME_PRIVILEGES.privileges).toMatchObject({
      standard: true,
      secure: true,
      bypassCSP: false,
      corsEnabled: false,
      allowServiceWorkers: false,
    });
  });

  it('allows navigation only within app://ossync/', () => {
    expect(isAllowedNavigation(APP_INDEX_URL, APP_ORIGIN)).toBe(true);
    expect(isAllowedNavigation('app://ossync/assets/x.js', APP_ORIGIN)).toBe(true);
    expect(isAllowedNavigation('app://evil/index.html', APP_ORIGIN)).toBe(false);
    expect(isAllowedNavigation('https://ossync/index.html', APP_ORIGIN)).toBe(false);
    expect(isAllowedNavigation('file:///etc/passwd', APP_ORIGIN)).toBe(false);
  });

  it('types files by extension', () => {
    expect(mimeTypeFor('a/index.html')).toBe('text/html; charset=utf-8');
    expect(mimeTypeFor('a/x.JS')).toBe('text/javascript; charset=utf-8');
    expect(mimeTypeFor('a/x.unknown')).toBe('application/octet-stream');
  });
});

describe('createAppProtocolHandler', () => {
  let base: string;
  let root: string;
  let handler: (request: Request) => Promise<Response>;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'ossync-app-protocol-'));
    root = path.join(base, 'renderer');
    await mkdir(path.join(root, 'assets'), { recursive: true });
    await writeFile(path.join(root, 'index.html'), '<!doctype html><title>OSSync</title>');
    await writeFile(path.join(root, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(path.join(base, 'secret.txt'), 'top secret');
    await symlink(path.join(base, 'secret.txt'), path.join(root, 'link.txt'));
    handler = createAppProtocolHandler({ rootDir: root });
  });

  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('serves index.html for / with the strict CSP and nosniff', async () => {
    const response = await handler(new Request('app://ossync/'));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>OSSync</title>');
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves assets with their type; HEAD has no body', async () => {
    const get = await handler(new Request('app://ossync/assets/app.js'));
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await get.text()).toBe('console.log(1)');
    const head = await handler(new Request('app://ossync/assets/app.js', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it.each([
    'app://ossync/%2e%2e/secret.txt',
    'app://ossync/..%2fsecret.txt',
    'app://ossync/link.txt', // a symbolic link out of the root
    'app://ossync/assets', // a folder
    'app://ossync/missing.js',
    'app://other/index.html',
  ])('404 for %s, never the secret', async (url) => {
    const response = await handler(new Request(url));
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('top secret');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it('405 for other methods', async () => {
    const response = await handler(new Request('app://ossync/', { method: 'POST', body: 'x' }));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});
