/**
 * `npm run bench -- ui`: the UI in headless Chromium (Debian's chromium through
 * playwright-core) against `ossync serve` and the local OSS server, with a bucket holding
 * 100,000 objects under one prefix (seeded straight into the server's metadata store: the
 * bench measures listing, not PUT; it takes about a second, so nothing is cached).
 *
 * 1. Open `oss://bench/big/` in the Browser view (address bar, Enter) until the first row is
 *    painted; baseline: the same objects.list first page (1,000 entries) fetched by the page
 *    itself over its own WebSocket to the host, so the ratio is the UI's own overhead.
 * 2. Keyboard End on the grid, repeated, until the last key is painted (each End loads the
 *    next page); baseline: the page fetching all 100 pages itself, one after another.
 * 3. The JS heap after scrolling everything (after a forced GC, CDP Runtime.getHeapUsage);
 *    baseline: the idle app just loaded (Status view), measured the same way.
 * 4. Frames longer than 50 ms (requestAnimationFrame deltas) with the Transfers view open
 *    while 200 uploads run under a bandwidth limit and report progress; baseline: the same
 *    view idle for the same time; a blank page records frames meanwhile (the load's share).
 * 5. The Transfers view's Queued tab with 100,000 jobs (queued with everything paused): the
 *    tab clicked to the first rows painted, End once to the last row painted, the heap.
 */
import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import { MetadataStore } from '../../main/osslocal/store/metadata-store.js';
import { launchChromium } from '../e2e/helpers/browser.js';
import { ensureRendererBuilt } from '../e2e/helpers/renderer-build.js';
import { localOssArgs, REPO_ROOT, startLocalOssProcess } from '../helpers/local-oss-process.js';
import { TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, TEST_REGION } from '../helpers/osslocal.js';
import { firstLine, killAllServe, parseServeUrl, spawnServe } from '../helpers/serve-process.js';

const BUCKET = 'bench';
const PREFIX = 'big/';
const OBJECTS = 100_000;
const PAGE = 1000;
const keyAt = (i: number): string => `${PREFIX}f${String(i).padStart(6, '0')}.bin`;
const LAST_KEY = keyAt(OBJECTS - 1);
/** Runs of the first-rows figure (each on a freshly loaded page); the median is reported. */
const OPEN_RUNS = 7;
const UPLOADS = 200;
const UPLOAD_BYTES = 256 * 1024;
/** 200 × 256 KiB at 5 MiB/s: about 10 s of progress. */
const UPLOAD_RATE = 5 * 1024 * 1024;
const IDLE_FRAMES_MS = 10_000;
const LONG_FRAME_MS = 50;

const TARGETS = {
  firstRowsMs: 500,
  heapMB: 200,
  longFramePercent: 5,
};

const log = (line: string): void => void process.stdout.write(`${line}\n`);

/** Seeds the bucket and its 100,000 objects straight into the local server's metadata. */
function seed(root: string): void {
  new MetadataStore(path.join(root, 'meta.db')).close();
  const db = new Database(path.join(root, 'meta.db'));
  db.prepare(
    'INSERT INTO buckets (name, location, storage_class, created_ms) VALUES (?, ?, ?, ?)',
  ).run(BUCKET, TEST_REGION, 'Standard', Date.now());
  const insert = db.prepare(
    `INSERT INTO objects (bucket, key, size, etag, crc64, content_md5, last_modified_ms, object_type,
       storage_class, headers, user_meta, segments)
     VALUES (?, ?, 4096, '5EB63BBBE01EEED093CB22BB8F5ACDC3', '0', NULL, ?, 'Normal', 'Standard', '{}', '{}', '[]')`,
  );
  const now = Date.now();
  db.transaction(() => {
    for (let i = 0; i < OBJECTS; i++) insert.run(BUCKET, keyAt(i), now - i * 1000);
  })();
  db.close();
}

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: unknown;
}

/** The bench's own contract client (setup, and the uploads' progress events). */
class ContractSocket {
  private nextId = 0;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  readonly events: { event: string; payload: unknown }[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString('utf8')) as Reply & {
        event?: string;
        payload?: unknown;
      };
      if (message.event !== undefined)
        this.events.push({ event: message.event, payload: message.payload });
      else this.pending.get(message.id)?.(message);
    });
  }

  static async open(origin: string, token: string): Promise<ContractSocket> {
    const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws`, ['ossync', `ossync.${token}`], {
      origin,
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new ContractSocket(ws);
  }

  async call<T>(method: string, params: unknown = {}): Promise<T> {
    const id = ++this.nextId;
    const reply = await new Promise<Reply>((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
    this.pending.delete(id);
    if (!reply.ok) throw new Error(`${method}: ${JSON.stringify(reply.error)}`);
    return reply.value as T;
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * Code run inside the page, as a string: the bench compiles with Node's types (no DOM), and
 * a string is sent as it is (no transpiler helpers in it). Defines `window.__bench`.
 */
const PAGE_LIB = String.raw`
(() => {
  if (window.__bench) return;
  const bench = {};
  bench.keydowns = [];
  window.addEventListener('keydown', (event) => {
    bench.keydowns.push({ key: event.key, at: event.timeStamp });
  }, { capture: true });
  window.addEventListener('click', (event) => {
    bench.keydowns.push({ key: 'click', at: event.timeStamp });
  }, { capture: true });
  // Resolves when 'selector' matches and that frame is painted, with the time since the
  // last event 'key' (a key name, or 'click').
  bench.armFirst = (selector, key) => {
    bench.first = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (document.querySelector(selector) === null) return;
        const inDom = performance.now();
        observer.disconnect();
        afterPaint().then((painted) => {
          const start = bench.keydowns.filter((k) => k.key === key).at(-1).at;
          resolve({ domMs: inDom - start, paintMs: painted - start, start, painted });
        });
      });
      observer.observe(document.body, { childList: true, subtree: true, attributes: true });
    });
    return true;
  };
  bench.timeAllTransferPages = async (params) => {
    const start = performance.now();
    let cursor = null;
    let pages = 0;
    let items = 0;
    do {
      const page = await bench.call('transfers.list', cursor === null ? params : { ...params, cursor });
      pages += 1;
      items += page.items.length;
      cursor = page.nextCursor;
    } while (cursor !== null);
    return { ms: performance.now() - start, pages, items };
  };
  const afterPaint = () => new Promise((resolve) =>
    requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0)));
  bench.afterPaint = afterPaint;

  // The bench's own socket to the host (what the page pays for a contract call by itself).
  bench.connect = (token) => new Promise((resolve, reject) => {
    const ws = new WebSocket('ws://' + location.host + '/ws', ['ossync', 'ossync.' + token]);
    const pending = new Map();
    let id = 0;
    ws.onerror = () => reject(new Error('socket error'));
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data));
      if (message.id !== undefined) pending.get(message.id)?.(message);
    };
    ws.onopen = () => {
      bench.call = (method, params) => new Promise((done, fail) => {
        id += 1;
        pending.set(id, (message) => {
          pending.delete(message.id);
          if (message.ok) done(message.value);
          else fail(new Error(method + ': ' + JSON.stringify(message.error)));
        });
        ws.send(JSON.stringify({ id, method, params }));
      });
      bench.socket = ws;
      resolve(true);
    };
  });
  bench.timeCalls = async (method, params, runs) => {
    const times = [];
    for (let i = 0; i < runs; i += 1) {
      const start = performance.now();
      await bench.call(method, params);
      times.push(performance.now() - start);
    }
    return times;
  };
  bench.timeAllPages = async (params) => {
    const start = performance.now();
    let token = null;
    let pages = 0;
    let objects = 0;
    do {
      const page = await bench.call('objects.list', token === null ? params : { ...params, continuationToken: token });
      pages += 1;
      objects += page.objects.length;
      token = page.nextContinuationToken;
    } while (token !== null);
    return { ms: performance.now() - start, pages, objects };
  };

  // Resolves when a row whose key starts with keyPrefix is in the DOM and the frame showing
  // it has been painted, with the times since the last Enter keydown.
  bench.armFirstRow = (keyPrefix) => {
    const selector = '[data-testid="browser-row"][data-key^="' + keyPrefix + '"]';
    bench.firstRow = new Promise((resolve) => {
      const seen = () => {
        const inDom = performance.now();
        observer.disconnect();
        afterPaint().then((painted) => {
          const enter = bench.keydowns.filter((k) => k.key === 'Enter').at(-1);
          const call = bench.listCalls(enter.at)[0];
          resolve({
            domMs: inDom - enter.at,
            paintMs: painted - enter.at,
            toRequestMs: call ? call.sent - enter.at : null,
            requestMs: call && call.arrived !== null ? call.arrived - call.sent : null,
          });
        });
      };
      const observer = new MutationObserver(() => {
        if (document.querySelector(selector) !== null) seen();
      });
      observer.observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-key'] });
    });
    return true;
  };

  // After an End: resolves when the loaded count changed (the next page landed) or the last
  // key is in the DOM, then after the paint.
  bench.countText = () => document.querySelector('[data-testid="browser-count"]')?.textContent ?? '';
  bench.afterEnd = (before, lastKey, timeoutMs) => new Promise((resolve, reject) => {
    const started = performance.now();
    const check = () => {
      const last = document.querySelector('[data-testid="browser-row"][data-key="' + lastKey + '"]');
      const finish = (done) => afterPaint().then((at) => {
        bench.endPainted.push(at);
        resolve({ done, at });
      });
      if (last !== null) return finish(true);
      if (bench.countText() !== before) return finish(false);
      if (performance.now() - started > timeoutMs) return reject(new Error('no new page after End (count ' + before + ')'));
      requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
  bench.endPainted = [];
  // Time between a page painted after End and the bench's next End (its round trips).
  bench.endGaps = () => {
    const presses = bench.keydowns.filter((k) => k.key === 'End').map((k) => k.at);
    let gaps = 0;
    for (let i = 1; i < presses.length; i += 1) gaps += presses[i] - bench.endPainted[i - 1];
    return gaps;
  };
  // Per End: from the press to the page painted, and how much of it the reply took.
  bench.endBreakdown = () => {
    const presses = bench.keydowns.filter((k) => k.key === 'End').map((k) => k.at);
    return presses.map((at, i) => {
      const painted = bench.endPainted[i];
      const waited = bench.listCalls(at)
        .filter((c) => c.sent <= painted && c.arrived !== null)
        .reduce((sum, c) => sum + (Math.min(c.arrived, painted) - c.sent), 0);
      return { ms: painted - at, requestMs: waited };
    });
  };
  bench.lastKeydown = (key) => bench.keydowns.filter((k) => k.key === key)[0]?.at ?? null;
  bench.clearKeydowns = () => { bench.keydowns = []; return true; };
  // The app's objects.list calls sent after 'from': [{ sent, arrived }].
  // Every contract call the app sent after 'from': method, when, how long its reply took.
  bench.appCalls = (from) => (window.__wsCalls ?? [])
    .filter((c) => c.sent >= from)
    .map((c) => ({ method: c.method, atMs: c.sent - from, replyMs: c.arrived === null ? null : c.arrived - c.sent }));
  bench.listCalls = (from) => (window.__wsCalls ?? [])
    .filter((c) => c.method === 'objects.list' && c.sent >= from)
    .map((c) => ({ sent: c.sent, arrived: c.arrived }));
  bench.lastEnter = () => bench.keydowns.filter((k) => k.key === 'Enter').at(-1)?.at ?? null;

  // Frame deltas (requestAnimationFrame timestamps).
  bench.startFrames = () => {
    const deltas = [];
    let last = null;
    let on = true;
    const tick = (at) => {
      if (last !== null) deltas.push(at - last);
      last = at;
      if (on) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    bench.stopFrames = () => { on = false; return deltas; };
    return true;
  };
  window.__bench = bench;
})();
`;

/**
 * Installed before the app's own code: timestamps each contract call the app sends and the
 * arrival of its reply (the message event's timeStamp, so listener order does not matter),
 * to split the UI's times into the wait for the host and the page's own work.
 */
const WS_HOOK = String.raw`
(() => {
  const calls = [];
  window.__wsCalls = calls;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const match = typeof data === 'string' ? /^\{"id":(\d+),"method":"([^"]+)"/.exec(data) : null;
    if (match !== null && this !== window.__bench?.socket) {
      calls.push({ socket: this, id: Number(match[1]), method: match[2], sent: performance.now(), arrived: null });
      if (!this.__benchHooked) {
        this.__benchHooked = true;
        this.addEventListener('message', (event) => {
          const reply = typeof event.data === 'string' ? /"id":(\d+)/.exec(event.data.slice(0, 40)) : null;
          if (reply === null) return;
          const call = calls.find((c) => c.socket === this && c.id === Number(reply[1]) && c.arrived === null);
          if (call !== undefined) call.arrived = event.timeStamp;
        });
      }
    }
    return send.call(this, data);
  };
})();
`;

async function installLib(page: Page): Promise<void> {
  await page.evaluate(PAGE_LIB);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

interface FrameStats {
  frames: number;
  longFrames: number;
  longFramePercent: number;
  p95Ms: number;
  maxMs: number;
  fps: number;
}

function frameStats(deltas: number[]): FrameStats {
  const sorted = [...deltas].sort((a, b) => a - b);
  const long = deltas.filter((d) => d > LONG_FRAME_MS).length;
  const total = deltas.reduce((sum, d) => sum + d, 0);
  return {
    frames: deltas.length,
    longFrames: long,
    longFramePercent: round((100 * long) / Math.max(1, deltas.length), 2),
    p95Ms: round(sorted[Math.floor(sorted.length * 0.95)] ?? 0),
    maxMs: round(sorted.at(-1) ?? 0),
    fps: round((1000 * deltas.length) / Math.max(1, total)),
  };
}

const navLink = (page: Page, name: string) =>
  page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name, exact: true })
    .or(page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true }))
    .first();

async function heapMB(page: Page): Promise<{ usedMB: number; totalMB: number }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    const usage = await cdp.send('Runtime.getHeapUsage');
    return { usedMB: round(usage.usedSize / 2 ** 20), totalMB: round(usage.totalSize / 2 ** 20) };
  } finally {
    await cdp.detach();
  }
}

/**
 * With OSSYNC_BENCH_UI_PROFILE=1, the scroll and the uploads are CPU-profiled (CDP Profiler)
 * into test-results/bench-ui-<phase>.cpuprofile (open in Chrome DevTools' Performance panel);
 * the profiler slows the page, so figures of such a run are not comparable.
 */
const PROFILE = process.env['OSSYNC_BENCH_UI_PROFILE'] === '1';

async function profiled<T>(page: Page, phase: string, fn: () => Promise<T>): Promise<T> {
  if (!PROFILE) return fn();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await cdp.send('Profiler.stop');
    const dir = path.join(REPO_ROOT, 'test-results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `bench-ui-${phase}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    log(`  CPU profile of ${phase}: ${file}`);
    await cdp.detach();
  }
}

const RENDERER = path.join(REPO_ROOT, 'dist', 'renderer');

/** 'development' when the built bundle carries React's development JSX runtime. */
function rendererMode(): 'production' | 'development' {
  const assets = path.join(RENDERER, 'assets');
  const js = readdirSync(assets).filter((name) => name.endsWith('.js'));
  return js.some((name) => readFileSync(path.join(assets, name), 'utf8').includes('jsxDEV'))
    ? 'development'
    : 'production';
}

/**
 * dist/renderer, fresh and a production build. A build started from Vitest (the e2e
 * tests' ensureRendererBuilt) inherits NODE_ENV=test and bundles React's development
 * build, which is several times slower: such a build is redone here with
 * NODE_ENV=production, under the same lock directory the e2e helper uses.
 */
async function ensureProductionRenderer(): Promise<void> {
  await ensureRendererBuilt();
  if (rendererMode() === 'production') return;
  log('dist/renderer is a development build (React jsxDEV): rebuilding it for production...');
  const lock = path.join(REPO_ROOT, 'dist', '.renderer-build.lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} held for over 5 min`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    await promisify(execFile)(
      process.execPath,
      [
        path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
        'build',
        '--logLevel',
        'warn',
      ],
      { cwd: REPO_ROOT, env: { ...process.env, NODE_ENV: 'production' }, timeout: 180_000 },
    );
  } finally {
    rmdirSync(lock);
  }
  if (rendererMode() !== 'production')
    throw new Error('the rebuilt renderer is still a development build');
}

const verdict = (met: boolean): 'met' | 'missed' => (met ? 'met' : 'missed');

const QUEUED = 100_000;
const TRANSFER_PAGE = 200;

/**
 * The Transfers view's Queued tab with 100,000 jobs: the tab clicked to the first rows
 * painted (baseline: the same transfers.list first page called by the page), End once to
 * the last row painted (the keyset cursors load every page in between; baseline: all pages
 * called by the page), and the heap then.
 */
async function measureQueuedList(
  page: Page,
  contract: ContractSocket,
  token: string,
  accountId: number,
  work: string,
): Promise<Record<string, unknown>> {
  await contract.call('transfers.pauseAll');
  const halves = ['a', 'b'].map((half) => path.join(work, `queue-${half}`));
  log(`queuing ${QUEUED.toLocaleString('en')} uploads of empty files with everything paused...`);
  for (const [h, dir] of halves.entries()) {
    mkdirSync(dir);
    for (let i = 0; i < QUEUED / 2; i++)
      writeFileSync(path.join(dir, `q${String(h * (QUEUED / 2) + i).padStart(6, '0')}`), '');
  }
  const queueStart = performance.now();
  for (const dir of halves)
    await contract.call('objects.upload', {
      accountId,
      bucket: BUCKET,
      prefix: 'queue/',
      localPaths: [dir],
    });
  const params = { accountId, states: ['queued'], pageSize: TRANSFER_PAGE };
  const first = await contract.call<{ total: number | null }>('transfers.list', params);
  log(`  queued in ${round((performance.now() - queueStart) / 1000, 1)} s; ${first.total} queued`);
  if (first.total !== QUEUED) throw new Error(`${first.total} jobs queued, not ${QUEUED}`);

  type Times = { domMs: number; paintMs: number };
  const runs: Times[] = [];
  const listTimes: number[] = [];
  const firstRow = '[data-testid="transfer-row"]';
  for (let run = 0; run <= 5; run += 1) {
    await page.reload();
    await navLink(page, 'Transfers').click();
    await page.getByRole('tab', { name: /^Active/ }).waitFor();
    await installLib(page);
    await page.evaluate(`window.__bench.connect(${JSON.stringify(token)})`);
    const samples = await page.evaluate<number[]>(
      `window.__bench.timeCalls('transfers.list', ${JSON.stringify(params)}, 3)`,
    );
    if (run > 0) listTimes.push(...samples.slice(1));
    await page.evaluate(`window.__bench.armFirst(${JSON.stringify(firstRow)}, 'click')`);
    await page.getByRole('tab', { name: /^Queued/ }).click();
    const times = await page.evaluate<Times & { start: number }>('window.__bench.first');
    const calls = await page.evaluate<{ method: string; atMs: number; replyMs: number | null }[]>(
      `window.__bench.appCalls(${times.start})`,
    );
    log(
      `  the app's calls after the click: ${calls
        .slice(0, 6)
        .map((c) => `${c.method} at ${round(c.atMs)} ms, reply ${round(c.replyMs ?? NaN)} ms`)
        .join('; ')}`,
    );
    log(
      `  ${run === 0 ? 'warm-up' : `run ${run}`}: Queued tab to first rows painted ${round(times.paintMs)} ms; ` +
        `the page's own transfers.list: ${samples.map((t) => round(t)).join(', ')} ms`,
    );
    if (run > 0) runs.push(times);
  }
  const firstRowsMs = median(runs.map((t) => t.paintMs));
  const baselineMs = median(listTimes);

  const allPages = await page.evaluate<{ ms: number; pages: number; items: number }>(
    `window.__bench.timeAllTransferPages(${JSON.stringify(params)})`,
  );
  log(
    `  baseline: all ${allPages.pages} transfers.list pages from the page: ${round(allPages.ms)} ms`,
  );
  await page.getByRole('grid').focus();
  await page.evaluate(
    `window.__bench.armFirst(${JSON.stringify(`${firstRow}[aria-rowindex="${QUEUED + 1}"]`)}, 'End')`,
  );
  const end = await profiled(page, 'queued-end', async () => {
    await page.keyboard.press('End');
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        page.evaluate<Times>('window.__bench.first'),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('the last queued row was not painted in 5 min')),
            300_000,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  });
  log(`  End to the last of ${QUEUED.toLocaleString('en')} rows painted: ${round(end.paintMs)} ms`);
  const heap = await heapMB(page);
  log(`  heap then: ${heap.usedMB} MB used after GC`);
  await contract.call('transfers.resumeAll');
  return {
    jobs: QUEUED,
    firstRowsMs: round(firstRowsMs),
    runs: runs.map((t) => round(t.paintMs)),
    baselineMs: round(baselineMs),
    baseline: `transfers.list first page (${TRANSFER_PAGE}) called by the page, just before each run`,
    ratio: round(firstRowsMs / baselineMs, 2),
    targetMs: TARGETS.firstRowsMs,
    result: verdict(firstRowsMs < TARGETS.firstRowsMs),
    endToLastMs: round(end.paintMs),
    endBaselineMs: round(allPages.ms),
    endBaseline: `all ${allPages.pages} transfers.list pages called by the page, one after another`,
    endRatio: round(end.paintMs / allPages.ms, 2),
    heapMB: heap.usedMB,
    heapTargetMB: TARGETS.heapMB,
    heapResult: verdict(heap.usedMB < TARGETS.heapMB),
  };
}

export async function runUiBench(): Promise<Record<string, unknown>> {
  const work = mkdtempSync(path.join(tmpdir(), 'ossync-ui-bench-'));
  const ossRoot = path.join(work, 'oss');
  const dataDir = path.join(work, 'data');
  const uploadDir = path.join(work, 'uploads');
  mkdirSync(ossRoot);
  mkdirSync(dataDir);
  mkdirSync(uploadDir);
  let oss: Awaited<ReturnType<typeof startLocalOssProcess>> | undefined;
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let socket: ContractSocket | undefined;
  // Other work on the machine skews every figure: the load is reported with them.
  const loadStart = round(loadavg()[0] ?? 0, 2);
  try {
    log('building the renderer when it is missing or older than its sources...');
    await ensureProductionRenderer();

    log(`seeding ${OBJECTS.toLocaleString('en')} objects under oss://${BUCKET}/${PREFIX}...`);
    const seedStart = performance.now();
    seed(ossRoot);
    log(`  seeded in ${round((performance.now() - seedStart) / 1000, 2)} s`);
    oss = await startLocalOssProcess(localOssArgs(ossRoot));
    log(`local OSS server at ${oss.url}`);

    const secrets = path.join(work, 'secrets.json');
    writeFileSync(secrets, '{}', { mode: 0o600 });
    const serveProcess = spawnServe([
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--secrets-file',
      secrets,
      '--log-level',
      'warn',
    ]);
    const serve = parseServeUrl(await firstLine(serveProcess, 60_000));
    log(`ossync serve at ${serve.origin}`);
    const contract = await ContractSocket.open(serve.origin, serve.token);
    socket = contract;
    const account = await contract.call<{ id: number }>('accounts.add', {
      name: 'Bench',
      endpoint: `http://localhost:${oss.port}`,
      region: TEST_REGION,
      defaultBucket: BUCKET,
      accessKeyId: TEST_ACCESS_KEY_ID,
      accessKeySecret: TEST_ACCESS_KEY_SECRET,
    });
    const listParams = { accountId: account.id, bucket: BUCKET, prefix: PREFIX, pageSize: PAGE };

    chromium = await launchChromium();
    const context = await chromium.context();
    const page = await context.newPage();
    await context.addInitScript(WS_HOOK);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    await page.goto(serve.url);
    await navLink(page, 'Browser').waitFor();

    // ---- (3) baseline: the idle app's heap
    await page.waitForTimeout(2000);
    const idleHeap = await heapMB(page);
    log(`idle app heap: ${idleHeap.usedMB} MB used after GC`);

    // ---- (1) and (2) baselines: the page's own objects.list calls
    await installLib(page);
    await page.evaluate(`window.__bench.connect(${JSON.stringify(serve.token)})`);
    await page.evaluate(
      `window.__bench.timeCalls('objects.list', ${JSON.stringify(listParams)}, 3)`,
    );
    const allPages = await page.evaluate<{ ms: number; pages: number; objects: number }>(
      `window.__bench.timeAllPages(${JSON.stringify(listParams)})`,
    );
    if (allPages.objects !== OBJECTS)
      throw new Error(`listing all pages gave ${allPages.objects} objects`);
    log(
      `baseline: all ${allPages.pages} pages from the page, one after another: ${round(allPages.ms)} ms`,
    );

    // ---- (1) the Browser view: Enter on the address bar to the first row painted
    type OpenTimes = { domMs: number; paintMs: number; toRequestMs: number; requestMs: number };
    const openTimes: OpenTimes[] = [];
    const listTimes: number[] = [];
    for (let run = 0; run <= OPEN_RUNS; run += 1) {
      await page.reload();
      await navLink(page, 'Browser').click();
      await page.locator(`[data-testid="browser-row"][data-key="${PREFIX}"]`).waitFor();
      await installLib(page);
      // The baseline's samples are taken in the same page just before (the load drifts).
      await page.evaluate(`window.__bench.connect(${JSON.stringify(serve.token)})`);
      const samples = await page.evaluate<number[]>(
        `window.__bench.timeCalls('objects.list', ${JSON.stringify(listParams)}, 3)`,
      );
      if (run > 0) listTimes.push(...samples.slice(1));
      const address = page.getByLabel('Address', { exact: true });
      await address.fill(`oss://${BUCKET}/${PREFIX}`);
      await page.evaluate(`window.__bench.armFirstRow(${JSON.stringify(PREFIX + 'f')})`);
      await address.press('Enter');
      const times = await page.evaluate<OpenTimes>('window.__bench.firstRow');
      // The first run warms the server's and the browser's caches; it is left out.
      log(
        `${run === 0 ? 'warm-up' : `run ${run}`}: first rows in the DOM after ${round(times.domMs)} ms, ` +
          `painted after ${round(times.paintMs)} ms (request sent after ${round(times.toRequestMs)} ms, ` +
          `its reply took ${round(times.requestMs)} ms); the page's own calls: ` +
          `${samples.map((t) => round(t)).join(', ')} ms`,
      );
      if (run > 0) openTimes.push(times);
    }
    const firstRowsMs = median(openTimes.map((t) => t.paintMs));
    const firstRowsDomMs = median(openTimes.map((t) => t.domMs));
    const firstRowsRequestMs = median(openTimes.map((t) => t.requestMs));
    const firstRowsToRequestMs = median(openTimes.map((t) => t.toRequestMs));
    const baselineFirstPageMs = median(listTimes);
    log(
      `first rows painted: median ${round(firstRowsMs)} ms; the page's own objects.list: median ` +
        `${round(baselineFirstPageMs)} ms`,
    );

    // ---- (2) End, again and again, to the last row
    await page.getByRole('grid').focus();
    await page.evaluate('window.__bench.clearKeydowns()');
    let presses = 0;
    let endAt = 0;
    await profiled(page, 'scroll', async () => {
      for (;;) {
        const before = await page.evaluate<string>('window.__bench.countText()');
        await page.keyboard.press('End');
        presses += 1;
        const result = await page.evaluate<{ done: boolean; at: number }>(
          `window.__bench.afterEnd(${JSON.stringify(before)}, ${JSON.stringify(LAST_KEY)}, 30000)`,
        );
        if (presses % 20 === 0) log(`  End × ${presses}: ${before}`);
        if (result.done) {
          endAt = result.at;
          break;
        }
        if (presses > OBJECTS / PAGE + 10) throw new Error('the last row never came');
      }
    });
    const firstEnd = await page.evaluate<number>("window.__bench.lastKeydown('End')");
    // The bench's own round trips between a page painted and its next End are left out.
    const endGapsMs = await page.evaluate<number>('window.__bench.endGaps()');
    const scrollToLastMs = endAt - firstEnd - endGapsMs;
    const scrollCalls = await page.evaluate<{ sent: number; arrived: number | null }[]>(
      `window.__bench.listCalls(${firstEnd})`,
    );
    const scrollRequestMs = scrollCalls.reduce(
      (sum, c) => sum + (c.arrived === null ? 0 : c.arrived - c.sent),
      0,
    );
    log(
      `scrolled to the last row (${LAST_KEY}) in ${round(scrollToLastMs)} ms with ${presses} End presses ` +
        `(leaving out ${round(endGapsMs)} ms of the bench's own round trips between presses); ` +
        `the app's ${scrollCalls.length} objects.list calls waited ${round(scrollRequestMs)} ms for their replies`,
    );

    // The page's own work per End (press to paint, less the wait for the reply), early and
    // late: growth means work proportional to the rows loaded.
    const perPress = await page.evaluate<{ ms: number; requestMs: number }[]>(
      'window.__bench.endBreakdown()',
    );
    const ownMs = (slice: { ms: number; requestMs: number }[]): number =>
      slice.reduce((sum, p) => sum + p.ms - p.requestMs, 0) / Math.max(1, slice.length);
    const ownFirst10 = ownMs(perPress.slice(0, 10));
    const ownLast10 = ownMs(perPress.slice(-11, -1));
    log(
      `  the page's own work per End (less the reply's wait): first 10 pages ${round(ownFirst10)} ms ` +
        `each, last 10 ${round(ownLast10)} ms each`,
    );

    // ---- (3) heap with every row loaded
    const scrolledHeap = await heapMB(page);
    log(`heap after scrolling everything: ${scrolledHeap.usedMB} MB used after GC`);

    // ---- (4) frames with the Transfers view open: idle, then 200 uploads reporting progress
    await navLink(page, 'Transfers').click();
    await page.getByRole('tab').first().waitFor();
    await page.waitForTimeout(1000);
    // A blank page in its own context (its own renderer process) records frames at the same
    // time: what the machine's load alone does to frames, without our UI.
    const controlContext = await chromium.context();
    const control = await controlContext.newPage();
    await control.goto('about:blank');
    await installLib(control);
    const startFrames = () =>
      Promise.all([page, control].map((p) => p.evaluate('window.__bench.startFrames()')));
    const stopFrames = async () => {
      const [ui, blank] = await Promise.all(
        [page, control].map((p) => p.evaluate<number[]>('window.__bench.stopFrames()')),
      );
      return { ui: frameStats(ui as number[]), blank: frameStats(blank as number[]) };
    };
    const describeFrames = (stats: FrameStats): string =>
      `${stats.frames} frames (${stats.fps} fps), ${stats.longFrames} over ${LONG_FRAME_MS} ms ` +
      `(${stats.longFramePercent}%), p95 ${stats.p95Ms} ms, max ${stats.maxMs} ms`;
    await startFrames();
    await page.waitForTimeout(IDLE_FRAMES_MS);
    const idle = await stopFrames();
    const idleFrames = idle.ui;
    log(
      `idle Transfers view: ${describeFrames(idle.ui)}; blank page meanwhile: ${describeFrames(idle.blank)}`,
    );

    const files = Array.from({ length: UPLOADS }, (_, i) => {
      const file = path.join(uploadDir, `u${String(i).padStart(3, '0')}.bin`);
      writeFileSync(file, Buffer.alloc(UPLOAD_BYTES, i % 251));
      return file;
    });
    const limits = await contract.call<{ maxFiles: number }>('transfers.setLimits', {
      maxFiles: 64,
      uploadBytesPerSecond: UPLOAD_RATE,
    });
    contract.events.length = 0;
    await startFrames();
    const uploadStart = performance.now();
    await profiled(page, 'uploads', async () => {
      await contract.call('objects.upload', {
        accountId: account.id,
        bucket: BUCKET,
        prefix: 'up/',
        localPaths: files,
      });
      log(
        `queued ${UPLOADS} uploads of ${UPLOAD_BYTES / 1024} KiB at ${UPLOAD_RATE / 2 ** 20} MiB/s, ${limits.maxFiles} at once`,
      );
      let sampled = false;
      for (;;) {
        if (!sampled && performance.now() - uploadStart > 3000) {
          sampled = true;
          const bars = await page.getByRole('progressbar').count();
          log(`  after 3 s the Transfers view shows ${bars} progress bars`);
        }
        const done = await contract.call<{ total: number | null; items: unknown[] }>(
          'transfers.list',
          {
            accountId: account.id,
            states: ['done'],
            pageSize: 1,
          },
        );
        const failed = await contract.call<{ total: number | null; items: unknown[] }>(
          'transfers.list',
          { accountId: account.id, states: ['failed'], pageSize: 1 },
        );
        if ((failed.total ?? failed.items.length) > 0) throw new Error('an upload failed');
        if ((done.total ?? 0) >= UPLOADS) break;
        if (performance.now() - uploadStart > 120_000)
          throw new Error('the uploads took over 2 min');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    });
    const uploadSeconds = (performance.now() - uploadStart) / 1000;
    const busy = await stopFrames();
    const busyFrames = busy.ui;
    const progressEvents = contract.events.filter((e) => e.event === 'transfers.progress');
    const reported = new Set<number>();
    for (const event of progressEvents)
      for (const job of (event.payload as { jobs: { jobId: number; bytesDone: number }[] }).jobs)
        if (job.bytesDone > 0) reported.add(job.jobId);
    log(
      `uploads done in ${round(uploadSeconds, 1)} s; ${progressEvents.length} progress events naming ` +
        `${reported.size} jobs; Transfers view: ${describeFrames(busy.ui)}; ` +
        `blank page meanwhile: ${describeFrames(busy.blank)}`,
    );
    await controlContext.close();

    // ---- (5) the Transfers list with 100,000 queued jobs (paused, so they stay queued)
    const queued = await measureQueuedList(page, contract, serve.token, account.id, work);
    if (problems.length > 0) log(`page problems: ${problems.join('; ')}`);
    await context.close();

    return {
      // Checked again at the end: an e2e run may rebuild dist/renderer meanwhile.
      renderer: rendererMode(),
      machine: {
        cpus: cpus().length,
        loadAverage1m: { start: loadStart, end: round(loadavg()[0] ?? 0, 2) },
      },
      objects: OBJECTS,
      firstRows: {
        ms: round(firstRowsMs),
        domMs: round(firstRowsDomMs),
        enterToRequestMs: round(firstRowsToRequestMs),
        requestMs: round(firstRowsRequestMs),
        runs: openTimes.map((t) => round(t.paintMs)),
        baselineMs: round(baselineFirstPageMs),
        baseline:
          'objects.list first page (1,000) called by the page over its own WebSocket, just before each run',
        ratio: round(firstRowsMs / baselineFirstPageMs, 2),
        targetMs: TARGETS.firstRowsMs,
        result: verdict(firstRowsMs < TARGETS.firstRowsMs),
      },
      scrollToLast: {
        ms: round(scrollToLastMs),
        endPresses: presses,
        benchGapsLeftOutMs: round(endGapsMs),
        ownMsPerPageFirst10: round(ownFirst10),
        ownMsPerPageLast10: round(ownLast10),
        listCalls: scrollCalls.length,
        requestMs: round(scrollRequestMs),
        baselineMs: round(allPages.ms),
        baseline: `all ${allPages.pages} objects.list pages called by the page, one after another`,
        ratio: round(scrollToLastMs / allPages.ms, 2),
        targetMs: null,
        result: 'no target',
      },
      heap: {
        mb: scrolledHeap.usedMB,
        baselineMB: idleHeap.usedMB,
        baseline: 'the idle app just loaded (Status view); both after a forced GC',
        ratio: round(scrolledHeap.usedMB / idleHeap.usedMB, 2),
        targetMB: TARGETS.heapMB,
        result: verdict(scrolledHeap.usedMB < TARGETS.heapMB),
      },
      queuedList: queued,
      framesDuringProgress: {
        longFramePercent: busyFrames.longFramePercent,
        frames: busyFrames.frames,
        longFrames: busyFrames.longFrames,
        p95Ms: busyFrames.p95Ms,
        maxMs: busyFrames.maxMs,
        seconds: round(uploadSeconds, 1),
        uploads: UPLOADS,
        jobsReportingProgress: reported.size,
        baselineLongFramePercent: idleFrames.longFramePercent,
        baselineFrames: idleFrames.frames,
        baselineP95Ms: idleFrames.p95Ms,
        baseline: 'the same Transfers view idle for 10 s',
        blankPageLongFramePercent: busy.blank.longFramePercent,
        blankPageP95Ms: busy.blank.p95Ms,
        blankPage:
          'a blank page in its own renderer, recording frames at the same time (the load alone)',
        ratioP95: round(busyFrames.p95Ms / Math.max(0.1, idleFrames.p95Ms), 2),
        targetLongFramePercent: TARGETS.longFramePercent,
        result: verdict(busyFrames.longFramePercent < TARGETS.longFramePercent),
      },
    };
  } finally {
    socket?.close();
    await chromium?.close();
    await killAllServe();
    await oss?.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}
