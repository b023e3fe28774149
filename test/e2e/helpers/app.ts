import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import WebSocket from 'ws';
import type { MethodName, Params, Result } from '../../../shared/contract/index.js';
import {
  firstLine,
  parseServeUrl,
  spawnServe,
  type ServeProcess,
  type ServeUrl,
} from '../../helpers/serve-process.js';
import { REPO_ROOT } from '../../helpers/local-oss-process.js';
import { launchChromium, watchPageProblems, type Chromium } from './browser.js';
import { ensureRendererBuilt } from './renderer-build.js';

/**
 * One e2e file's world: `ossync serve` on a fresh data dir and secrets file under a temp
 * dir, Debian's chromium, and a contract client of its own (the same WebSocket the UI
 * uses) for setting things up and checking what the UI did.
 */
export interface E2eApp {
  /** The temp dir holding the data dir, the secrets file and anything the test makes. */
  dir: string;
  dataDir: string;
  serve: ServeUrl;
  server: ServeProcess;
  chromium: Chromium;
  /** Calls a contract method over the host's WebSocket; throws the error data on a refusal. */
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  /** Every event the host has pushed to this client so far, oldest first. */
  events: { event: string; payload: unknown }[];
  /** A fresh browser context and page at serve's URL, with page problems collected. */
  open(options?: {
    colorScheme?: 'light' | 'dark';
    locale?: string;
  }): Promise<{ context: BrowserContext; page: Page; problems: string[] }>;
  close(): Promise<void>;
}

export const WAIT = { timeout: 30_000 } as const;

export async function startApp(name: string): Promise<E2eApp> {
  await ensureRendererBuilt();
  const dir = mkdtempSync(path.join(tmpdir(), `ossync-e2e-${name}-`));
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  const secretsFile = path.join(dir, 'secrets.json');
  writeFileSync(secretsFile, '{}\n', { mode: 0o600 });
  const server = spawnServe([
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--secrets-file',
    secretsFile,
    '--log-level',
    'warn',
  ]);
  const serve = parseServeUrl(await firstLine(server, 60_000));
  const chromium = await launchChromium();
  const rpc = await connect(serve);
  const contexts: BrowserContext[] = [];
  return {
    dir,
    dataDir,
    serve,
    server,
    chromium,
    call: rpc.call,
    events: rpc.events,
    async open(options = {}) {
      const context = await chromium.context(options);
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(30_000);
      const problems = watchPageProblems(page);
      await page.goto(serve.url);
      return { context, page, problems };
    },
    async close() {
      rpc.close();
      for (const context of contexts) await context.close().catch(() => {});
      await chromium.close().catch(() => {});
      server.child.kill('SIGTERM');
      await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (server.child.exitCode === null && server.child.signalCode === null)
        server.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function connect(serve: ServeUrl) {
  const ws = new WebSocket(`ws://127.0.0.1:${serve.port}/ws`, ['ossync', `ossync.${serve.token}`], {
    origin: serve.origin,
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let next = 0;
  const pending = new Map<number, (message: Record<string, unknown>) => void>();
  const events: { event: string; payload: unknown }[] = [];
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    if (typeof message['id'] === 'number') pending.get(message['id'])?.(message);
    else if (typeof message['event'] === 'string')
      events.push({ event: message['event'], payload: message['payload'] });
  });
  return {
    events,
    call: <M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> => {
      next += 1;
      const id = next;
      return new Promise((resolve, reject) => {
        pending.set(id, (message) => {
          pending.delete(id);
          if (message['ok'] === true) resolve(message['value'] as Result<M>);
          else reject(new Error(`${method}: ${JSON.stringify(message['error'])}`));
        });
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    close() {
      ws.close();
    },
  };
}

/** Polls `read` until it returns a value `accept` takes; fails with the last value seen. */
export async function waitFor<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  { timeout = 30_000, what = 'condition' }: { timeout?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; last value ${JSON.stringify(last)}${
          lastError instanceof Error ? `, last error ${lastError.message}` : ''
        }`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The page reported no page error, console error or CSP violation. */
export function expectNoProblems(problems: readonly string[]): void {
  expect(problems).toEqual([]);
}

/** A namespace of the UI's texts (shared/i18n/locales/<lng>/<ns>.json), for selecting by name. */
export function texts(lng: 'en' | 'zh-CN', ns: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(path.join(REPO_ROOT, 'shared', 'i18n', 'locales', lng, `${ns}.json`), 'utf8'),
  ) as Record<string, unknown>;
}

/** One text by its dotted key (`nav.status`) in a namespace. */
export function text(lng: 'en' | 'zh-CN', ns: string, key: string): string {
  let value: unknown = texts(lng, ns);
  for (const part of key.split('.')) value = (value as Record<string, unknown>)[part];
  if (typeof value !== 'string') throw new Error(`no text ${lng}/${ns}:${key}`);
  return value;
}
