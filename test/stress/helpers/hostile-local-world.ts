/**
 * A folder pair for the local half of the hostile input corpus: like test/helpers/sync.ts's
 * world (real folder, real SQLite, the local OSS server, an independent ali-oss client), with
 * what these cases need on top: a hook at the LocalFs port (to inject errno failures, or to
 * change a file at an exact moment of its upload), one shared server for many pairs (each
 * on its own prefix), and looks at issues, pending deletes and unfinished uploads.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type OSS from 'ali-oss';
import type { Job } from '../../../main/core/db/job-types.js';
import type { StoredIssue } from '../../../main/core/db/sync-store.js';
import { NodeLocalFs, type LocalFsOp } from '../../../main/core/fs/local-fs.js';
import { createTransferRuntime, type TransferRuntime } from '../../../main/core/runtime.js';
import type { PairRunner, RunnerOptions } from '../../../main/core/sync/pair-runner.js';
import { SyncManager } from '../../../main/core/sync/sync-manager.js';
import type { NewPair, PairConfig, PairStatus } from '../../../main/core/sync/types.js';
import { TransferEngine, type EngineOptions } from '../../../main/core/transfer/engine.js';
import { RetryPolicy } from '../../../main/core/transfer/retry-policy.js';
import type { RequestRecord } from '../../../main/osslocal/index.js';
import { accountFor, MiB, oracleCrc64 } from '../../helpers/engine.js';
import type { LocalOss } from '../../helpers/osslocal.js';
import { WRITE_OPS } from '../../helpers/sync.js';

export const HOSTILE_BUCKET = 'hostile-local';

/** Called before each LocalFs operation; return an errno error to fail it. */
export type FsHook = (op: LocalFsOp, path: string) => NodeJS.ErrnoException | undefined;

export function errno(code: string, syscall = 'open'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected, ${syscall}`), { code, syscall });
}

/**
 * Engine settings of the corpus: 1 MiB parts from 1 MiB on (so a 3 MiB file is multipart),
 * and a first retry within 50 ms (a changed file is sent again at once, not after a second).
 */
export const ENGINE: EngineOptions = {
  multipartThreshold: MiB,
  partSize: MiB,
  retry: new RetryPolicy({ initialDelayMs: 50, maxDelayMs: 400 }),
};

export interface HostileWorld {
  base: string;
  root: string;
  dataDir: string;
  runtime: TransferRuntime;
  manager: SyncManager;
  runner: PairRunner;
  pair: PairConfig;
  client: OSS;
  /** The LocalFs hook of the engine (set and clear it per case). */
  onFs: FsHook | undefined;
  /** Requests to this pair's prefix since the start (or `requests.length = 0`). */
  requests: RequestRecord[];
  writes(key?: string): RequestRecord[];
  write(rel: string, content: string | Buffer): void;
  /** One full pass, then waits until the pair has nothing left to do. */
  sync(): Promise<PairStatus>;
  /** Objects under the prefix: path (prefix removed) -> CRC64; `.ossync-*` only with `all`. */
  objects(options?: { all?: boolean }): Promise<Map<string, string>>;
  /** Unfinished multipart uploads under the prefix. */
  uploads(): Promise<string[]>;
  issues(): StoredIssue[];
  jobs(): Job[];
  close(): Promise<void>;
}

export async function startHostileWorld(
  oss: LocalOss,
  options: {
    prefix: string;
    pair?: Partial<NewPair>;
    runner?: Partial<RunnerOptions>;
    engine?: EngineOptions;
    files?: Record<string, string | Buffer>;
    /** Start the pair's runner (its first pass runs at once); default true. */
    start?: boolean;
  },
): Promise<HostileWorld> {
  const base = mkdtempSync(path.join(tmpdir(), 'ossync-hostile-'));
  const root = path.join(base, 'folder');
  const dataDir = path.join(base, 'data');
  mkdirSync(root);
  const write = (rel: string, content: string | Buffer): void => {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  };
  for (const [rel, content] of Object.entries(options.files ?? {})) write(rel, content);

  const client = oss.client();
  await client.putBucket(HOSTILE_BUCKET).catch(() => {});
  client.useBucket(HOSTILE_BUCKET);
  const prefix = options.prefix;
  const requests: RequestRecord[] = [];
  const onRequest = (record: RequestRecord): void => {
    if (record.bucket === HOSTILE_BUCKET && (record.key ?? '').startsWith(prefix))
      requests.push(record);
  };
  oss.server.on('request', onRequest);

  // The runtime as the app wires it, with the engine's LocalFs swapped for one with a hook.
  const settings = { ...ENGINE, ...options.engine };
  const wired = createTransferRuntime({ dataDir, account: accountFor(oss), engine: settings });
  const world = { onFs: undefined } as HostileWorld;
  const fs = new NodeLocalFs({ faults: (op, p) => world.onFs?.(op, p) });
  const engine = new TransferEngine(
    { store: wired.store, remote: wired.remote, fs, crc: wired.crc },
    settings,
  );
  engine.start();
  const runtime: TransferRuntime = {
    ...wired,
    engine,
    async close() {
      await engine.stop();
      await wired.close();
    },
  };
  const manager = new SyncManager(
    {
      sync: runtime.sync,
      jobs: runtime.store,
      engine,
      remote: runtime.remote,
      crc: runtime.crc,
      dataDir,
    },
    { watch: false, rescanMs: 0, stabilityMs: 0, ...options.runner },
  );
  const pair = manager.addPair({
    localRoot: root,
    bucket: HOSTILE_BUCKET,
    prefix,
    ...options.pair,
  });
  if (options.start !== false) await manager.start();
  const jobIds = runtime.db.prepare<[number], { id: number }>(
    'SELECT id FROM jobs WHERE pair_id = ? ORDER BY id',
  );

  Object.assign(world, {
    base,
    root,
    dataDir,
    runtime,
    manager,
    pair,
    client,
    requests,
    writes: (key?: string) =>
      requests.filter((r) => WRITE_OPS.includes(r.op) && (key === undefined || r.key === key)),
    write,
    async sync() {
      if (manager.runner(pair.id) === undefined) await manager.start([pair.id]);
      const runner = world.runner;
      await runner.settled();
      runner.requestPass([''], true);
      return runner.settled();
    },
    async objects({ all = false } = {}) {
      const found = new Map<string, string>();
      let token: string | undefined;
      do {
        const page = await client.listV2(
          {
            prefix,
            'max-keys': '1000',
            ...(token ? { 'continuation-token': token } : {}),
          },
          {},
        );
        for (const object of page.objects ?? []) {
          const rel = object.name.slice(prefix.length);
          if (!all && rel.startsWith('.ossync-')) continue;
          const body = await client.get(object.name);
          found.set(rel, oracleCrc64(body.content as Buffer));
        }
        token = page.nextContinuationToken ?? undefined;
      } while (token);
      return found;
    },
    async uploads() {
      const result = (await client.listUploads({ prefix, 'max-uploads': 1000 })) as unknown as {
        uploads: { name: string }[] | null;
      };
      return (result.uploads ?? []).map((upload) => upload.name);
    },
    issues: () => runtime.sync.issuesPage(pair.id, undefined, 1000),
    jobs: () =>
      jobIds
        .all(pair.id)
        .map(({ id }) => runtime.store.get(id))
        .filter((job): job is Job => job !== undefined),
    async close() {
      oss.server.off('request', onRequest);
      await manager.stop();
      await runtime.close();
      rmSync(base, { recursive: true, force: true });
    },
  });
  // A getter (Object.assign would read it once, before the pair may have started).
  Object.defineProperty(world, 'runner', {
    get(): PairRunner {
      const runner = manager.runner(pair.id);
      if (runner === undefined) throw new Error('the pair is not started');
      return runner;
    },
  });
  return world;
}
