/**
 * A sync world for tests (Nextcloud's FakeFolder, made real): a local folder, the local OSS
 * server with a bucket, a runtime on a real state database, one folder pair, and checks
 * of the bucket through an independent ali-oss client.
 */
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type OSS from 'ali-oss';
import type { Job } from '../../main/core/db/job-types.js';
import { NodeLocalFs, type NodeLocalFsOptions } from '../../main/core/fs/local-fs.js';
import type { TransferRuntime } from '../../main/core/runtime.js';
import type { PairRunner, RunnerOptions } from '../../main/core/sync/pair-runner.js';
import { SyncManager } from '../../main/core/sync/sync-manager.js';
import type { NewPair, PairConfig, PairStatus } from '../../main/core/sync/types.js';
import { TransferEngine, type EngineOptions } from '../../main/core/transfer/engine.js';
import type { RequestRecord } from '../../main/osslocal/index.js';
import { oracleCrc64, startEngine } from './engine.js';
import { startLocalOss, type LocalOss } from './osslocal.js';

export const BUCKET = 'sync-test';

/** Requests that change objects (what a sync that has nothing to do must not send). */
export const WRITE_OPS: readonly string[] = [
  'PutObject',
  'AppendObject',
  'CopyObject',
  'DeleteObject',
  'DeleteMultipleObjects',
  'InitiateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
  'CompleteMultipartUpload',
];

export interface SyncWorld {
  oss: LocalOss;
  client: OSS;
  /** The temporary folder holding `root` and `dataDir` (removed by `close()`). */
  base: string;
  /** The synced folder. */
  root: string;
  dataDir: string;
  runtime: TransferRuntime;
  manager: SyncManager;
  /** The pair's runner (with `start: false`, once the pair has started). */
  runner: PairRunner;
  pair: PairConfig;
  /** The server's requests to the bucket since the start or the last `clearRequests()`. */
  requests: RequestRecord[];
  clearRequests(): void;
  /** The recorded requests that change objects, optionally only those of `key` (prefix + path). */
  writes(key?: string): RequestRecord[];
  /** Runs one full pass (list both sides) and waits until the pair has nothing left to do. */
  sync(): Promise<PairStatus>;
  /** Every object under the prefix: key (without the prefix) -> CRC64 of its content. */
  bucket(options?: { all?: boolean }): Promise<Map<string, string>>;
  /** Every file in the folder: path (NFC) -> CRC64. */
  folder(): Map<string, string>;
  /** Writes a file under the folder (its folders created). */
  write(rel: string, content: string | Buffer): void;
  /** Every job of the pair, oldest first. */
  jobs(): Job[];
  close(): Promise<void>;
}

export async function startSyncWorld(
  options: {
    pair?: Partial<NewPair>;
    runner?: Partial<RunnerOptions>;
    oss?: LocalOss;
    engine?: EngineOptions;
    /** The runtime reaches the server through this port (a proxy in front of it). */
    port?: number;
    /** Files written before the pair starts (path -> content). */
    files?: Record<string, string | Buffer>;
    /** The bucket of the pair (default BUCKET). */
    bucket?: string;
    /** Record only the requests whose key starts with this (a server shared by many pairs). */
    requestPrefix?: string;
    /**
     * A hook at the engine's LocalFs port (called before each operation; an errno error
     * returned fails it): the runtime as the app wires it, with its engine's LocalFs swapped.
     */
    faults?: NodeLocalFsOptions['faults'];
    /** Start the pair's runner (its first pass runs at once); default true. Else sync() does. */
    start?: boolean;
  } = {},
): Promise<SyncWorld> {
  const bucketName = options.bucket ?? BUCKET;
  const base = mkdtempSync(path.join(tmpdir(), 'ossync-sync-'));
  const root = path.join(base, 'folder');
  const dataDir = path.join(base, 'data');
  mkdirSync(root);
  const write = (rel: string, content: string | Buffer): void => {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  };
  for (const [rel, content] of Object.entries(options.files ?? {})) write(rel, content);
  const oss = options.oss ?? (await startLocalOss());
  const client = oss.client();
  await client.putBucket(bucketName).catch(() => {});
  client.useBucket(bucketName);
  let requests: RequestRecord[] = [];
  const { requestPrefix } = options;
  const onRequest = (record: RequestRecord): void => {
    if (
      record.bucket === bucketName &&
      (requestPrefix === undefined || (record.key ?? '').startsWith(requestPrefix))
    )
      requests.push(record);
  };
  oss.server.on('request', onRequest);
  const wired = startEngine({
    oss,
    dataDir,
    ...(options.engine === undefined ? {} : { engineOptions: options.engine }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.faults === undefined ? {} : { start: false }),
  });
  const runtime = options.faults === undefined ? wired : withFaults(wired, options);
  const manager = new SyncManager(
    {
      sync: runtime.sync,
      jobs: runtime.store,
      engine: runtime.engine,
      remote: runtime.remote,
      crc: runtime.crc,
      dataDir,
    },
    { watch: false, rescanMs: 0, stabilityMs: 0, ...options.runner },
  );
  const pair = manager.addPair({
    localRoot: root,
    bucket: bucketName,
    prefix: 'pair/',
    ...options.pair,
  });
  const started = options.start !== false;
  let runner: PairRunner | undefined;
  if (started) {
    await manager.start();
    runner = manager.runner(pair.id);
    if (runner === undefined) throw new Error('runner did not start');
  }
  const jobIds = runtime.db.prepare<[number], { id: number }>(
    'SELECT id FROM jobs WHERE pair_id = ? ORDER BY id',
  );
  const world: SyncWorld = {
    oss,
    client,
    base,
    root,
    dataDir,
    runtime,
    manager,
    // The runner of the start above; with `start: false`, the pair's runner of the moment.
    get runner(): PairRunner {
      const current = runner ?? manager.runner(pair.id);
      if (current === undefined) throw new Error('the pair is not started');
      return current;
    },
    pair,
    get requests() {
      return requests;
    },
    clearRequests() {
      requests = [];
    },
    writes(key) {
      return requests.filter(
        (r) => WRITE_OPS.includes(r.op) && (key === undefined || r.key === key),
      );
    },
    async sync() {
      if (!started && manager.runner(pair.id) === undefined) await manager.start([pair.id]);
      const current = world.runner;
      await current.settled();
      current.requestPass([''], true);
      return current.settled();
    },
    async bucket({ all = false } = {}) {
      const found = new Map<string, string>();
      let token: string | undefined;
      do {
        const page = await client.listV2(
          {
            prefix: pair.prefix,
            'max-keys': '1000',
            ...(token ? { 'continuation-token': token } : {}),
          },
          {},
        );
        const wanted = (page.objects ?? []).filter(
          (object) => all || !object.name.slice(pair.prefix.length).startsWith('.ossync-'),
        );
        // Eight GETs at a time: a burst test reads thousands of small objects back.
        for (let i = 0; i < wanted.length; i += 8) {
          await Promise.all(
            wanted.slice(i, i + 8).map(async (object) => {
              // Moved or deleted since it was listed (a sync running meanwhile): not there.
              const body = await client.get(object.name).catch((error: { code?: string }) => {
                if (error.code === 'NoSuchKey') return undefined;
                throw error;
              });
              if (body !== undefined)
                found.set(
                  object.name.slice(pair.prefix.length),
                  oracleCrc64(body.content as Buffer),
                );
            }),
          );
        }
        token = page.nextContinuationToken ?? undefined;
      } while (token);
      // In key order, whatever order the GETs ended in.
      return new Map([...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    },
    folder() {
      const found = new Map<string, string>();
      const walk = (dir: string, rel: string): void => {
        for (const name of readdirSync(dir)) {
          const full = path.join(dir, name);
          const key = rel === '' ? name.normalize('NFC') : `${rel}/${name.normalize('NFC')}`;
          const info = lstatSync(full);
          if (info.isDirectory()) walk(full, key);
          else if (info.isFile()) found.set(key, oracleCrc64(readFileSync(full)));
        }
      };
      walk(root, '');
      return found;
    },
    write,
    jobs() {
      return jobIds
        .all(pair.id)
        .map(({ id }) => runtime.store.get(id))
        .filter((job): job is Job => job !== undefined);
    },
    async close() {
      oss.server.off('request', onRequest);
      await manager.stop();
      await runtime.close();
      if (options.oss === undefined) await oss.close();
      rmSync(base, { recursive: true, force: true });
    },
  };
  return world;
}

/** `wired` with its engine replaced by one whose LocalFs calls `faults` (same settings). */
function withFaults(
  wired: TransferRuntime,
  options: { engine?: EngineOptions; faults?: NodeLocalFsOptions['faults'] },
): TransferRuntime {
  const engine = new TransferEngine(
    {
      store: wired.store,
      remote: wired.remote,
      fs: new NodeLocalFs({ faults: options.faults }),
      crc: wired.crc,
    },
    options.engine,
  );
  engine.start();
  return {
    ...wired,
    engine,
    async close() {
      await engine.stop();
      await wired.close();
    },
  };
}
