/**
 * End to end, the smallest loop: `ossync serve` serves the built renderer, Debian's chromium
 * opens the printed URL, the page talks to the contract over the WebSocket with the token
 * from its URL fragment, and the browser enforces the host's CSP.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  firstLine,
  killAllServe,
  parseServeUrl,
  spawnServe,
  type ServeUrl,
} from '../helpers/serve-process.js';
import {
  launchChromium,
  watchPageProblems,
  type Chromium,
  type PageGlobals,
} from './helpers/browser.js';

import { ensureRendererBuilt } from './helpers/renderer-build.js';

let chromium: Chromium;
let serve: ServeUrl;
const dataDir = mkdtempSync(path.join(tmpdir(), 'ossync-e2e-smoke-'));

beforeAll(async () => {
  await ensureRendererBuilt();
  const server = spawnServe(['--port', '0', '--data-dir', dataDir]);
  serve = parseServeUrl(await firstLine(server));
  chromium = await launchChromium();
}, 240_000);

afterAll(async () => {
  await chromium?.close();
  await killAllServe();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the headless host in Chromium', () => {
  it('serves the UI, which reaches the contract with the token from its URL', async () => {
    const context = await chromium.context();
    const page = await context.newPage();
    const problems = watchPageProblems(page);
    const response = await page.goto(serve.url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    const info = await page.evaluate(async (token) => {
      const ws = new WebSocket(`ws://${(globalThis as unknown as PageGlobals).location.host}/ws`, [
        'ossync',
        `ossync.${token}`,
      ]);
      return new Promise<unknown>((resolve, reject) => {
        ws.onerror = () => reject(new Error('socket error'));
        ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'app.info', params: {} }));
        ws.onmessage = (event) => {
          const message = JSON.parse(String(event.data)) as { id?: number };
          if (message.id === 1) resolve(message);
        };
      });
    }, serve.token);
    expect(info).toMatchObject({ id: 1, ok: true, value: { host: 'headless' } });
    expect(problems).toEqual([]);
    await context.close();
  });

  it('refuses inline script: the CSP is enforced by the browser', async () => {
    const context = await chromium.context();
    const page = await context.newPage();
    await page.goto(serve.url);
    const ran = await page.evaluate(() => {
      const { document } = globalThis as unknown as PageGlobals;
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true';
      document.body.append(script);
      return (globalThis as unknown as PageGlobals).__injected === true;
    });
    expect(ran).toBe(false);
    await context.close();
  });

  it('without the token, the WebSocket is refused', async () => {
    const context = await chromium.context();
    const page = await context.newPage();
    await page.goto(`${serve.origin}/`);
    const outcome = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(
            `ws://${(globalThis as unknown as PageGlobals).location.host}/ws`,
            ['ossync', 'ossync.wrong-token-000000000000'],
          );
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
    );
    expect(outcome).toBe('refused');
    await context.close();
  });
});
