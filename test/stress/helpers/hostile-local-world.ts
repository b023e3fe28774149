/**
 * A folder pair for the local half of the hostile input corpus: like test/helpers/sync.ts's
 * world (real folder, real SQLite, the local OSS server, an independent ali-oss client), with
 * what these cases need on top: a hook at the LocalFs port (to inject errno failures, or to
 * change a file at an exact moment of its upload), one shared server for many pairs (each
 * on its own prefix), and looks at issues, pending deletes and unfinished uploads.
 */
import type { StoredIssue } from '../../../main/core/db/sync-store.js';
import type { LocalFsOp } from '../../../main/core/fs/local-fs.js';
import type { RunnerOptions } from '../../../main/core/sync/pair-runner.js';
import type { NewPair } from '../../../main/core/sync/types.js';
import type { EngineOptions } from '../../../main/core/transfer/engine.js';
import { RetryPolicy } from '../../../main/core/transfer/retry-policy.js';
import { MiB } from '../../helpers/engine.js';
import type { LocalOss } from '../../helpers/osslocal.js';
import { startSyncWorld, type SyncWorld } from '../../helpers/sync.js';

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

export interface HostileWorld extends SyncWorld {
  /** The LocalFs hook of the engine (set and clear it per case). */
  onFs: FsHook | undefined;
  /** Objects under the prefix: path (prefix removed) -> CRC64; `.ossync-*` only with `all`. */
  objects(options?: { all?: boolean }): Promise<Map<string, string>>;
  /** Unfinished multipart uploads under the prefix. */
  uploads(): Promise<string[]>;
  issues(): StoredIssue[];
}

/**
 * A sync world (test/helpers/sync.ts) on `oss`, in HOSTILE_BUCKET under `prefix`, recording
 * only that prefix's requests, with the corpus's engine settings and a LocalFs hook.
 * `requests` is emptied with `requests.length = 0` (or `clearRequests()`).
 */
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
  const { prefix } = options;
  let onFs: FsHook | undefined;
  const world = await startSyncWorld({
    oss,
    bucket: HOSTILE_BUCKET,
    requestPrefix: prefix,
    pair: { prefix, ...options.pair },
    engine: { ...ENGINE, ...options.engine },
    faults: (op, p) => onFs?.(op, p),
    ...(options.runner === undefined ? {} : { runner: options.runner }),
    ...(options.files === undefined ? {} : { files: options.files }),
    ...(options.start === undefined ? {} : { start: options.start }),
  });
  const { client, pair, runtime } = world;
  return Object.defineProperties(world as HostileWorld, {
    onFs: {
      get: () => onFs,
      set: (hook: FsHook | undefined) => (onFs = hook),
    },
    objects: { value: (objectOptions?: { all?: boolean }) => world.bucket(objectOptions) },
    uploads: {
      async value() {
        const result = (await client.listUploads({
          prefix,
          'max-uploads': 1000,
        })) as unknown as { uploads: { name: string }[] | null };
        return (result.uploads ?? []).map((upload) => upload.name);
      },
    },
    issues: { value: () => runtime.sync.issuesPage(pair.id, undefined, 1000) },
  });
}
