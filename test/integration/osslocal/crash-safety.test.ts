import { createCipheriv, createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type OSS from 'ali-oss';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  startLocalOssProcess,
  localOssArgs,
  type LocalOssProcess,
} from '../../helpers/local-oss-process.js';
import { createClient } from '../../helpers/osslocal.js';
import { multipartEtag } from '../../helpers/oss-expect.js';
import { mulberry32 } from '../../helpers/random.js';

/**
 * Crash safety of the local OSS server, end to end: a real `ossync local-oss` process takes
 * many concurrent uploads (single PUTs and multipart uploads with parts in flight) from the
 * real ali-oss client and is SIGKILLed at a seeded random moment, then restarted on the same
 * root. After every restart: every listed object is exactly one complete upload of its key,
 * every acknowledged upload is there, the database is intact, tmp/ is empty, blob files and
 * the blobs table agree, and the multipart uploads left over can be listed, completed or
 * aborted. The last round stops the server with SIGTERM under load instead.
 *
 * Reproduce a failure with OSSLOCAL_CRASH_SEED=<seed printed in the failure>.
 */

const require = createRequire(import.meta.url);
const ecma = require('crc64-ecma182.js') as { crc64(buff: Buffer, prev?: string): string };

const SEED = Number(process.env['OSSLOCAL_CRASH_SEED'] ?? 0x5eed_0c5);
const KILL_ROUNDS = 5;
const BUCKET = 'crash-safety';
const KiB = 1024;
const MiB = 1024 * KiB;

// ---- seeded randomness

const rng = mulberry32(SEED);
const between = (min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));

/** Deterministic pseudo-random bytes (AES-CTR keystream keyed by the PRNG). */
function randomData(size: number): Buffer {
  const key = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) key[i] = between(0, 255);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

function singleSize(): number {
  const r = rng();
  if (r < 0.06) return 0;
  if (r < 0.4) return between(1, 64 * KiB);
  if (r < 0.85) return between(64 * KiB, MiB);
  return between(MiB, 3 * MiB);
}

// ---- oracles

function crc64Of(data: Buffer): string {
  let crc = '0';
  for (let at = 0; at < data.length; at += MiB) crc = ecma.crc64(data.subarray(at, at + MiB), crc);
  return crc;
}

const md5 = (data: Buffer): Buffer => createHash('md5').update(data).digest();

/** One upload of a key whose bytes may become the object. */
interface Candidate {
  label: string;
  kind: 'put' | 'multipart';
  data: Buffer;
  etag: string;
  crc64: string;
  /** The client got a success answer for the upload (PUT or CompleteMultipartUpload). */
  acked: boolean;
}

interface MultipartState {
  key: string;
  parts: Buffer[];
  uploadId: string | undefined;
  partEtags: (string | undefined)[];
  completeAcked: boolean;
  candidate: Candidate;
}

/** Everything uploaded so far: key -> the uploads that may be its current content. */
const expected = new Map<string, Candidate[]>();
let pendingMultipart: MultipartState[] = [];

function candidateFor(
  kind: Candidate['kind'],
  label: string,
  data: Buffer,
  etag: string,
): Candidate {
  return { label, kind, data, etag, crc64: crc64Of(data), acked: false };
}

function addCandidate(key: string, candidate: Candidate): void {
  const list = expected.get(key) ?? [];
  list.push(candidate);
  expected.set(key, list);
}

// ---- helpers

function header(res: { headers: object }, name: string): string | undefined {
  const value = (res.headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

async function listAll(client: OSS): Promise<OSS.ObjectMeta[]> {
  const objects: OSS.ObjectMeta[] = [];
  let marker: string | undefined;
  for (;;) {
    const page = await client.list(
      { 'max-keys': 1000, ...(marker === undefined ? {} : { marker }) },
      {},
    );
    objects.push(...(page.objects ?? []));
    if (!page.isTruncated) return objects;
    marker = page.nextMarker;
  }
}

async function listAllUploads(client: OSS): Promise<OSS.Upload[]> {
  const uploads: OSS.Upload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await client.listUploads({
      'max-uploads': 1000,
      ...(keyMarker === undefined
        ? {}
        : { 'key-marker': keyMarker, 'upload-id-marker': uploadIdMarker ?? '' }),
    });
    uploads.push(...page.uploads);
    if (!page.isTruncated) return uploads;
    keyMarker = String(page.nextKeyMarker);
    uploadIdMarker = String(page.nextUploadIdMarker);
  }
}

interface RawPart {
  PartNumber: string;
  ETag: string;
  Size: string;
  HashCrc64ecma?: string;
}

interface RootInspection {
  integrity: string;
  state: string | undefined;
  garbage: string[];
  /** blob id -> refs */
  blobRows: Map<string, number>;
  /** blob id -> references counted from objects' segments and parts */
  referenced: Map<string, number>;
  blobFiles: string[];
  tmpFiles: string[];
}

/** Reads the root directly: meta.db read-only (integrity, blobs, references) and the files. */
function inspectRoot(root: string): RootInspection {
  const db = new Database(path.join(root, 'meta.db'), { readonly: true, fileMustExist: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true }) as string;
    const state = (
      db.prepare("SELECT value FROM meta WHERE name = 'state'").get() as
        { value: string } | undefined
    )?.value;
    const garbage = (db.prepare('SELECT blob_id FROM garbage').all() as { blob_id: string }[]).map(
      (r) => r.blob_id,
    );
    const blobRows = new Map(
      (
        db.prepare('SELECT blob_id, refs FROM blobs').all() as { blob_id: string; refs: number }[]
      ).map((r) => [r.blob_id, r.refs]),
    );
    const referenced = new Map<string, number>();
    const reference = (id: string): void => {
      referenced.set(id, (referenced.get(id) ?? 0) + 1);
    };
    for (const row of db.prepare('SELECT segments FROM objects').all() as { segments: string }[]) {
      for (const [id] of JSON.parse(row.segments) as [string, number][]) reference(id);
    }
    for (const row of db.prepare('SELECT blob_id FROM parts').all() as { blob_id: string }[])
      reference(row.blob_id);
    const blobFiles: string[] = [];
    for (const dir of readdirSync(path.join(root, 'blobs'))) {
      for (const name of readdirSync(path.join(root, 'blobs', dir))) blobFiles.push(name);
    }
    return {
      integrity,
      state,
      garbage,
      blobRows,
      referenced,
      blobFiles,
      tmpFiles: readdirSync(path.join(root, 'tmp')),
    };
  } finally {
    db.close();
  }
}

// ---- load

interface Load {
  /** Settles when every upload has succeeded or failed. */
  settled: Promise<void>;
  started: number;
  puts: number;
  multiparts: number;
}

/** Starts many uploads at once: single PUTs (some keys twice, concurrently) and multipart uploads. */
function startLoad(client: OSS, round: number): Load {
  const tasks: Promise<unknown>[] = [];
  const singles = 12;
  let puts = 0;
  for (let i = 0; i < singles; i++) {
    const key = `r${round}/single-${i}`;
    // A few keys get two concurrent PUTs: the object must be exactly one of them.
    const copies = i % 5 === 0 ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const data = randomData(singleSize());
      const candidate = candidateFor(
        'put',
        `PUT #${c} of ${data.length} bytes`,
        data,
        md5(data).toString('hex').toUpperCase(),
      );
      addCandidate(key, candidate);
      puts++;
      tasks.push(
        client.put(key, data).then(() => {
          candidate.acked = true;
        }),
      );
    }
  }
  const uploads: MultipartState[] = [];
  for (let i = 0; i < 3; i++) {
    const key = `r${round}/multipart-${i}`;
    // Every part at least the 100 KiB minimum, so any subset of them completes.
    const parts = Array.from({ length: between(2, 5) }, () =>
      randomData(between(100 * KiB, 640 * KiB)),
    );
    const candidate = candidateFor(
      'multipart',
      `multipart upload of ${parts.length} parts`,
      Buffer.concat(parts),
      multipartEtag(parts),
    );
    addCandidate(key, candidate);
    const state: MultipartState = {
      key,
      parts,
      uploadId: undefined,
      partEtags: parts.map(() => undefined),
      completeAcked: false,
      candidate,
    };
    uploads.push(state);
    tasks.push(
      (async () => {
        const init = await client.initMultipartUpload(key);
        state.uploadId = init.uploadId;
        await Promise.all(
          parts.map(async (part, index) => {
            const result = await client.uploadPart(
              key,
              init.uploadId,
              index + 1,
              part,
              0,
              part.length,
            );
            state.partEtags[index] = result.etag;
          }),
        );
        await client.completeMultipartUpload(
          key,
          init.uploadId,
          state.partEtags.map((etag, index) => ({ number: index + 1, etag: etag as string })),
        );
        state.completeAcked = true;
        candidate.acked = true;
      })(),
    );
  }
  pendingMultipart = uploads;
  return {
    settled: Promise.allSettled(tasks).then(() => undefined),
    started: performance.now(),
    puts,
    multiparts: uploads.length,
  };
}

// ---- verification

async function verifyObjects(client: OSS): Promise<void> {
  const listed = await listAll(client);
  const listedKeys = new Set(listed.map((object) => object.name));
  for (const object of listed) {
    const candidates = expected.get(object.name);
    expect(candidates, `listed object ${object.name} was never uploaded`).toBeDefined();
    const result = await client.get(object.name);
    const content = result.content as Buffer;
    const match = (candidates ?? []).find((candidate) => candidate.data.equals(content));
    expect(
      match,
      `${object.name}: its ${content.length} bytes are none of the uploads (${(candidates ?? [])
        .map((c) => c.label)
        .join(', ')}): a partial or mixed object is visible`,
    ).toBeDefined();
    if (!match) continue;
    const etag = `"${match.etag}"`;
    expect(Number(object.size), `${object.name}: listed size`).toBe(content.length);
    expect(object.etag, `${object.name}: listed ETag`).toBe(etag);
    expect(header(result.res, 'content-length'), `${object.name}: Content-Length`).toBe(
      String(content.length),
    );
    expect(header(result.res, 'etag'), `${object.name}: ETag header`).toBe(etag);
    expect(header(result.res, 'x-oss-hash-crc64ecma'), `${object.name}: CRC64 header`).toBe(
      crc64Of(content),
    );
    if (match.kind === 'put') {
      expect(match.etag, `${object.name}: ETag is the MD5 of the bytes`).toBe(
        md5(content).toString('hex').toUpperCase(),
      );
    }
  }
  for (const [key, candidates] of expected) {
    const acked = candidates.filter((candidate) => candidate.acked);
    if (acked.length > 0) {
      expect(
        listedKeys.has(key),
        `${key}: acknowledged upload (${acked[0]?.label}) is missing`,
      ).toBe(true);
    }
  }
}

/** Multipart uploads left by the crash: still listed and valid; then completed or aborted. */
async function verifyMultipart(client: OSS): Promise<void> {
  const listed = await listAllUploads(client);
  const byKey = new Map(pendingMultipart.map((state) => [state.key, state]));
  const objects = new Set((await listAll(client)).map((object) => object.name));
  for (const upload of listed) {
    const state = byKey.get(upload.name);
    expect(state, `listed upload for ${upload.name} was never started`).toBeDefined();
    if (!state) continue;
    expect(
      state.completeAcked,
      `${upload.name}: completed upload ${upload.uploadId} is still listed`,
    ).toBe(false);
    expect(
      objects.has(upload.name),
      `${upload.name}: object visible while its upload is still in progress`,
    ).toBe(false);
    if (state.uploadId !== undefined) {
      expect(upload.uploadId, `${upload.name}: unexpected second upload`).toBe(state.uploadId);
    }
    const result = await client.listParts(upload.name, upload.uploadId);
    const parts = asArray(result.parts as unknown as RawPart | RawPart[]);
    const used: Buffer[] = [];
    for (const part of parts) {
      const number = Number(part.PartNumber);
      const data = state.parts[number - 1];
      expect(data, `${upload.name}: unknown part ${number}`).toBeDefined();
      if (!data) continue;
      expect(Number(part.Size), `${upload.name} part ${number}: size`).toBe(data.length);
      expect(part.ETag, `${upload.name} part ${number}: ETag`).toBe(
        `"${md5(data).toString('hex').toUpperCase()}"`,
      );
      expect(part.HashCrc64ecma, `${upload.name} part ${number}: CRC64`).toBe(crc64Of(data));
      used.push(data);
    }
    const listedNumbers = new Set(parts.map((part) => Number(part.PartNumber)));
    state.partEtags.forEach((etag, index) => {
      if (etag !== undefined) {
        expect(
          listedNumbers.has(index + 1),
          `${upload.name}: acknowledged part ${index + 1} is missing`,
        ).toBe(true);
      }
    });
    if (parts.length === 0) {
      await client.abortMultipartUpload(upload.name, upload.uploadId);
      continue;
    }
    const completed = await client.completeMultipartUpload(
      upload.name,
      upload.uploadId,
      parts.map((part) => ({ number: Number(part.PartNumber), etag: part.ETag })),
    );
    const candidate = candidateFor(
      'multipart',
      `completion after restart of ${parts.length} listed parts`,
      Buffer.concat(used),
      multipartEtag(used),
    );
    expect(completed.etag ?? header(completed.res, 'etag'), `${upload.name}: completed ETag`).toBe(
      `"${candidate.etag}"`,
    );
    const read = await client.get(upload.name);
    expect(
      (read.content as Buffer).equals(candidate.data),
      `${upload.name}: completed object bytes`,
    ).toBe(true);
    expect(header(read.res, 'x-oss-hash-crc64ecma'), `${upload.name}: completed object CRC64`).toBe(
      candidate.crc64,
    );
    candidate.acked = true;
    expected.set(upload.name, [candidate]);
  }
  for (const state of pendingMultipart) {
    if (state.uploadId === undefined) continue;
    // An acknowledged initiation must survive as an upload or as the completed object.
    const stillListed = listed.some((upload) => upload.uploadId === state.uploadId);
    expect(
      stillListed || objects.has(state.key),
      `${state.key}: upload ${state.uploadId} vanished`,
    ).toBe(true);
  }
  expect(
    await listAllUploads(client),
    'uploads left after completing or aborting them all',
  ).toEqual([]);
  pendingMultipart = [];
}

function verifyRoot(root: string, when: string): void {
  const inspection = inspectRoot(root);
  expect(inspection.integrity, `${when}: PRAGMA integrity_check`).toBe('ok');
  expect(inspection.state, `${when}: meta state`).toBe('running');
  expect(inspection.tmpFiles, `${when}: files left in tmp/`).toEqual([]);
  expect(inspection.garbage, `${when}: garbage table`).toEqual([]);
  const files = new Set(inspection.blobFiles);
  const unreferenced = inspection.blobFiles.filter((id) => !inspection.blobRows.has(id));
  expect(unreferenced, `${when}: blob files no blobs row refers to`).toEqual([]);
  const missing = [...inspection.blobRows.keys()].filter((id) => !files.has(id));
  expect(missing, `${when}: blobs rows without a file`).toEqual([]);
  for (const [id, refs] of inspection.blobRows) {
    expect(refs, `${when}: refs of blob ${id}`).toBe(inspection.referenced.get(id) ?? 0);
  }
  const dangling = [...inspection.referenced.keys()].filter((id) => !inspection.blobRows.has(id));
  expect(dangling, `${when}: segments or parts referring to no blobs row`).toEqual([]);
}

async function verifyAfterRestart(
  server: LocalOssProcess,
  root: string,
  when: string,
): Promise<void> {
  const client = createClient(server.port, { bucket: BUCKET, extra: { timeout: 30_000 } });
  verifyRoot(root, `${when}, before any request`);
  await verifyObjects(client);
  await verifyMultipart(client);
  await verifyObjects(client);
  verifyRoot(root, `${when}, after completing the leftover uploads`);
}

function withContext<T>(context: string, run: () => Promise<T>): Promise<T> {
  return run().catch((error: unknown) => {
    if (error instanceof Error) error.message = `[${context}] ${error.message}`;
    throw error;
  });
}

// ---- the test

describe('local-oss crash safety (SIGKILL under load, restart on the same root)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'osslocal-crash-'));
  const running = new Set<LocalOssProcess>();

  async function start(): Promise<LocalOssProcess> {
    const server = await startLocalOssProcess(localOssArgs(root, ['--bucket', BUCKET]));
    running.add(server);
    void server.exited.then(() => running.delete(server));
    return server;
  }

  afterAll(async () => {
    for (const server of running) await server.kill('SIGKILL').catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it(`keeps exactly the complete uploads across ${KILL_ROUNDS} SIGKILLs and a SIGTERM (seed ${SEED})`, async () => {
    const log: string[] = [];
    let server = await start();
    // Calibration: how long one load takes here, uninterrupted, so the kills land inside it.
    const warmup = startLoad(
      createClient(server.port, { bucket: BUCKET, extra: { timeout: 30_000 } }),
      -1,
    );
    await warmup.settled;
    const loadMs = performance.now() - warmup.started;
    log.push(`one load takes ${loadMs.toFixed(0)} ms uninterrupted`);
    await withContext(`seed ${SEED}, calibration load`, () =>
      verifyAfterRestart(server, root, 'after the calibration load'),
    );
    for (let round = 0; round <= KILL_ROUNDS; round++) {
      const terminate = round === KILL_ROUNDS;
      const delay = between(5, Math.max(50, Math.round(loadMs * 0.9)));
      const context = `seed ${SEED}, round ${round}, ${terminate ? 'SIGTERM' : 'SIGKILL'} after ${delay} ms`;
      await withContext(context, async () => {
        const client = createClient(server.port, { bucket: BUCKET, extra: { timeout: 30_000 } });
        const load = startLoad(client, round);
        await new Promise((resolve) => setTimeout(resolve, delay));
        const signalled = performance.now();
        const exit = await server.kill(terminate ? 'SIGTERM' : 'SIGKILL');
        const exitMs = performance.now() - signalled;
        await load.settled;
        const acked = [...expected.entries()]
          .filter(([key]) => key.startsWith(`r${round}/`))
          .reduce((n, [, candidates]) => n + candidates.filter((c) => c.acked).length, 0);
        if (terminate) {
          expect(exit, 'SIGTERM exit').toEqual({ code: 0, signal: null });
          expect(exitMs, 'SIGTERM under load: ms to exit').toBeLessThan(3_000);
          expect(server.stderr(), 'stderr after SIGTERM').toBe('');
        } else {
          expect(exit.signal).toBe('SIGKILL');
        }
        // The database as the dead process left it: intact.
        const inspection = inspectRoot(root);
        expect(inspection.integrity, 'PRAGMA integrity_check before restart').toBe('ok');
        expect(inspection.state, 'meta state before restart').toBe(
          terminate ? 'stopped' : 'running',
        );
        const stray = inspection.blobFiles.filter((id) => !inspection.blobRows.has(id)).length;
        log.push(
          `${context}: ${load.puts} PUTs + ${load.multiparts} multipart, ${acked} acknowledged, exit in ` +
            `${exitMs.toFixed(0)} ms; left for recovery: ${inspection.tmpFiles.length} tmp files, ` +
            `${stray} unreferenced blob files, ${inspection.garbage.length} garbage rows`,
        );
        server = await start();
        await verifyAfterRestart(server, root, 'after restart');
      });
    }
    // A clean stop of the idle server: exit 0 at once, nothing on stderr, database intact.
    const signalled = performance.now();
    const exit = await server.kill('SIGTERM');
    const exitMs = performance.now() - signalled;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(2_000);
    expect(server.stderr()).toBe('');
    expect(server.stdout()).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\nadmin token: \S+/);
    const inspection = inspectRoot(root);
    expect(inspection.integrity).toBe('ok');
    expect(inspection.state).toBe('stopped');
    console.log(log.join('\n'));
  });
});
