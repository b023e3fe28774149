/**
 * `npm run bench -- osslocal`: the local OSS server against a minimal node:http server on
 * the same machine in the same run. Each server runs in its own child process; this
 * process is the client, the same raw HTTP code for both (presigned URLs for ours).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { MetadataStore } from '../../main/osslocal/store/metadata-store.js';
import { TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, createClient } from '../helpers/osslocal.js';

const MiB = 1024 * 1024;
const BIG = 256 * MiB;
const SMALL = 4096;
const SMALL_COUNT = 4000;
const SMALL_CONCURRENCY = 16;
const LIST_OBJECTS = 1_000_000;
const CONTENT_TYPE = 'application/octet-stream';
const repoRoot = path.resolve(import.meta.dirname, '../..');

interface Child {
  process: ChildProcess;
  url: string;
}

async function spawnServer(args: string[]): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server exited early with code ${code}`)));
  });
  const match = /^listening on (http:\/\/\S+)$/.exec(firstLine);
  if (!match) throw new Error(`unexpected first line: ${firstLine}`);
  return { process: child, url: match[1] as string };
}

async function stop(child: Child): Promise<void> {
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGTERM');
  await exited;
}

const agent = new Agent({ keepAlive: true, maxSockets: SMALL_CONCURRENCY });

function put(url: string, body: Buffer, chunk = MiB): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PUT',
        agent,
        headers: { 'Content-Type': CONTENT_TYPE, 'Content-Length': String(body.length) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    // Write in chunks, as a client streaming a file would.
    let offset = 0;
    const pump = (): void => {
      while (offset < body.length) {
        const next = body.subarray(offset, offset + chunk);
        offset += next.length;
        if (!req.write(next)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent }, (res) => {
      let size = 0;
      res.on('data', (chunk: Buffer) => (size += chunk.length));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(size) : reject(new Error(`GET ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

async function inParallel(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** Seeds LIST_OBJECTS object rows directly (the bench may: it measures listing, not PUT). */
function seedObjects(root: string): void {
  new MetadataStore(path.join(root, 'meta.db')).close();
  const db = new Database(path.join(root, 'meta.db'));
  db.prepare(
    'INSERT INTO buckets (name, location, storage_class, created_ms) VALUES (?, ?, ?, ?)',
  ).run('listing', 'oss-cn-hangzhou', 'Standard', Date.now());
  const insert = db.prepare(
    `INSERT INTO objects (bucket, key, size, etag, crc64, content_md5, last_modified_ms, object_type,
       storage_class, headers, user_meta, segments)
     VALUES ('listing', ?, 4096, '5EB63BBBE01EEED093CB22BB8F5ACDC3', '0', NULL, ?, 'Normal', 'Standard', '{}', '{}', '[]')`,
  );
  const now = Date.now();
  db.transaction(() => {
    // 1,000 folders of 1,000 files: listing with a delimiter has real groups to skip.
    for (let i = 0; i < LIST_OBJECTS; i++) {
      insert.run(
        `dir${String(Math.floor(i / 1000)).padStart(4, '0')}/file${String(i % 1000).padStart(4, '0')}.bin`,
        now,
      );
    }
  })();
  db.close();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function timeRequests(urls: string[]): Promise<number> {
  const times: number[] = [];
  for (const url of urls) {
    const start = performance.now();
    await get(url);
    times.push(performance.now() - start);
  }
  return median(times);
}

export async function runOssLocalBench(): Promise<Record<string, number>> {
  const root = mkdtempSync(path.join(tmpdir(), 'osslocal-bench-'));
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  try {
    log(`seeding ${LIST_OBJECTS} objects of metadata...`);
    seedObjects(root);
    const ours = await spawnServer([
      'main/cli/main.ts',
      'local-oss',
      '--root',
      root,
      '--bucket',
      'bench',
      '--access-key-id',
      TEST_ACCESS_KEY_ID,
      '--access-key-secret',
      TEST_ACCESS_KEY_SECRET,
    ]);
    const baseline = await spawnServer(['test/bench/baseline-server.ts', String(BIG)]);
    const port = Number(new URL(ours.url).port);
    const client = createClient(port, { bucket: 'bench' });
    const listClient = createClient(port, { bucket: 'listing' });
    const sign = (key: string, method: 'PUT' | 'GET'): string =>
      client.signatureUrl(key, {
        method,
        expires: 3600,
        ...(method === 'PUT' ? { 'Content-Type': CONTENT_TYPE } : {}),
      });

    const big = randomBytes(BIG);
    log('single-stream PUT/GET of 256 MiB...');
    await put(sign('warmup', 'PUT'), big.subarray(0, 16 * MiB));
    const putSeconds = await timed(() => put(sign('big.bin', 'PUT'), big));
    const basePutSeconds = await timed(() => put(`${baseline.url}/big.bin`, big));
    const getSeconds = await timed(async () => {
      if ((await get(sign('big.bin', 'GET'))) !== BIG) throw new Error('short GET');
    });
    const baseGetSeconds = await timed(() => get(`${baseline.url}/big.bin`));

    log(`${SMALL_COUNT} PUTs of 4 KiB, ${SMALL_CONCURRENCY} in flight...`);
    const small = randomBytes(SMALL);
    const smallUrls = Array.from({ length: SMALL_COUNT }, (_, i) => sign(`small/${i}`, 'PUT'));
    const smallSeconds = await timed(() =>
      inParallel(SMALL_COUNT, SMALL_CONCURRENCY, (i) => put(smallUrls[i] as string, small)),
    );
    const baseSmallSeconds = await timed(() =>
      inParallel(SMALL_COUNT, SMALL_CONCURRENCY, (i) => put(`${baseline.url}/small/${i}`, small)),
    );

    log('1,000-key list pages in a bucket of 1,000,000 objects...');
    const listUrl = (query: Record<string, string>): string =>
      listClient
        .signatureUrl('', { method: 'GET', expires: 3600 })
        .replace(/\/?\?/, `/?${new URLSearchParams(query).toString()}&`);
    const pages: Record<string, string>[] = [
      { 'list-type': '2', 'max-keys': '1000' },
      { 'list-type': '2', 'max-keys': '1000', 'start-after': 'dir0500/file0500.bin' },
      { 'list-type': '2', 'max-keys': '1000', 'start-after': 'dir0999/file0000.bin' },
      { 'list-type': '2', 'max-keys': '1000', delimiter: '/' },
    ];
    // Correctness first: the pages are full and the delimiter page rolls up all 1,000 folders.
    const full = await listClient.listV2(
      { 'max-keys': '1000', 'start-after': 'dir0500/file0500.bin' },
      {},
    );
    if (full.objects.length !== 1000) throw new Error(`list page had ${full.objects.length} keys`);
    const grouped = await listClient.listV2({ 'max-keys': '1000', delimiter: '/' }, {});
    if ((grouped.prefixes ?? []).length !== 1000)
      throw new Error('delimiter page did not roll up 1,000 folders');
    const listUrls = Array.from({ length: 5 }, () => pages.map(listUrl)).flat();
    const listMs = await timeRequests(listUrls);
    const baseListMs = await timeRequests(Array.from({ length: 20 }, () => `${baseline.url}/list`));

    await stop(ours);
    await stop(baseline);
    const putMiBs = BIG / MiB / putSeconds;
    const basePutMiBs = BIG / MiB / basePutSeconds;
    const getMiBs = BIG / MiB / getSeconds;
    const baseGetMiBs = BIG / MiB / baseGetSeconds;
    const smallPerSecond = SMALL_COUNT / smallSeconds;
    const baseSmallPerSecond = SMALL_COUNT / baseSmallSeconds;
    return {
      putMiBs: round(putMiBs),
      baselinePutMiBs: round(basePutMiBs),
      putRatio: round(putMiBs / basePutMiBs, 3),
      getMiBs: round(getMiBs),
      baselineGetMiBs: round(baseGetMiBs),
      getRatio: round(getMiBs / baseGetMiBs, 3),
      smallPutsPerSecond: round(smallPerSecond),
      baselineSmallPutsPerSecond: round(baseSmallPerSecond),
      smallPutRatio: round(smallPerSecond / baseSmallPerSecond, 3),
      listPageMs: round(listMs, 2),
      baselineListPageMs: round(baseListMs, 2),
      listPageRatio: round(listMs / baseListMs, 2),
      listBucketObjects: LIST_OBJECTS,
    };
  } finally {
    agent.destroy();
    rmSync(root, { recursive: true, force: true });
  }
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
