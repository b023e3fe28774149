/**
 * The folder pairs as the `pairs` commands see them: the state database alone, no account.
 * The SyncManager still does the work (so `pairs remove` cancels the pair's jobs and
 * `pairs confirm` queues its held deletions exactly as the app does), on top of an engine
 * that is never started and a RemoteStore that refuses every call: nothing here talks to OSS.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { openDatabase, type Db } from '../core/db/database.js';
import { JobStore } from '../core/db/job-store.js';
import { SyncStore } from '../core/db/sync-store.js';
import { CoreError, isCoreError } from '../core/errors.js';
import { NodeLocalFs } from '../core/fs/local-fs.js';
import { Crc64Pool } from '../core/hash/crc64-pool.js';
import type {
  GetResult,
  ListPage,
  MultipartUploadInfo,
  ObjectInfo,
  PartInfo,
  PutResult,
  RemoteStore,
} from '../core/remote/remote-store.js';
import { SyncManager } from '../core/sync/sync-manager.js';
import type { PairConfig } from '../core/sync/types.js';
import { TransferEngine } from '../core/transfer/engine.js';
import { usageError } from './cli-error.js';
import { lockDataDir, stateDbPath } from './data-dir.js';
import { formatOssUrl } from './oss-url.js';

function offline(): Promise<never> {
  return Promise.reject(new CoreError('cancelled', 'This command does not talk to OSS.'));
}

/** A RemoteStore for commands that only touch the database: every call fails. */
class NoRemote implements RemoteStore {
  headObject(): Promise<ObjectInfo | undefined> {
    return offline();
  }
  putObject(): Promise<PutResult> {
    return offline();
  }
  getObject(): Promise<GetResult> {
    return offline();
  }
  deleteObject(): Promise<void> {
    return offline();
  }
  copyObject(): Promise<PutResult> {
    return offline();
  }
  initiateMultipartUpload(): Promise<string> {
    return offline();
  }
  uploadPart(): Promise<PutResult> {
    return offline();
  }
  uploadPartCopy(): Promise<PutResult> {
    return offline();
  }
  completeMultipartUpload(): Promise<PutResult> {
    return offline();
  }
  abortMultipartUpload(): Promise<void> {
    return offline();
  }
  listParts(): Promise<PartInfo[]> {
    return offline();
  }
  listMultipartUploads(): Promise<MultipartUploadInfo[]> {
    return offline();
  }
  listPage(): Promise<ListPage> {
    return offline();
  }
}

export interface PairsState {
  manager: SyncManager;
  sync: SyncStore;
  jobs: JobStore;
  /** Never started: jobs added to it wait for the next `ossync sync`. */
  engine: TransferEngine;
  close(): Promise<void>;
}

/**
 * Opens the pairs of `dataDir` without an account. With `write`, the data directory is
 * created if needed and locked until close (no sync may run meanwhile); without it, a data
 * directory that holds no state database yet gives undefined and nothing is created.
 */
export function openPairsState(dataDir: string, write: boolean): PairsState | undefined {
  if (!write && !existsSync(stateDbPath(dataDir))) return undefined;
  if (write) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const release = write ? lockDataDir(dataDir) : () => {};
  let db: Db;
  try {
    db = openDatabase(stateDbPath(dataDir));
  } catch (error) {
    release();
    throw error;
  }
  const jobs = new JobStore(db);
  const sync = new SyncStore(db);
  const crc = new Crc64Pool({ workers: 1 });
  const remote = new NoRemote();
  const engine = new TransferEngine({ store: jobs, remote, fs: new NodeLocalFs(), crc });
  const manager = new SyncManager({ sync, jobs, engine, remote, crc, dataDir }, { watch: false });
  return {
    manager,
    sync,
    jobs,
    engine,
    async close() {
      try {
        await manager.stop();
        await engine.stop();
        await crc.close();
        db.close();
      } finally {
        release();
      }
    },
  };
}

/** A pair id on the command line. */
export function pairId(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(
      'Expected a pair id (a whole number; ossync pairs list shows them).',
    );
  return n;
}

/** The pair with this id, or a usage error naming how to find the right one. */
export function getPair(sync: SyncStore, id: number): PairConfig {
  const pair = sync.getPair(id);
  if (pair === undefined)
    throw usageError(`There is no folder pair ${id}: ossync pairs list shows them.`);
  return pair;
}

export function pairUrl(pair: Pick<PairConfig, 'bucket' | 'prefix'>): string {
  return formatOssUrl(pair.bucket, pair.prefix);
}

/** `pair 3 (/home/me/photos <-> oss://bucket/photos/)` */
export function pairName(pair: PairConfig): string {
  return `pair ${pair.id} (${pair.localRoot} <-> ${pairUrl(pair)})`;
}

/**
 * What the core refused about a pair the user described (a folder that cannot be synced, a
 * prefix OSS cannot store, an overlap with another pair): a usage error, exit code 2.
 */
export function pairSettingError(error: unknown): unknown {
  if (isCoreError(error) && ['invalid-argument', 'invalid-key', 'not-found'].includes(error.code))
    return usageError(error.message);
  return error;
}

/** `--data-dir "..."` for hints, when the command was given one. */
export function dataDirHint(flag: string | undefined, dataDir: string): string {
  return flag === undefined ? '' : ` --data-dir ${JSON.stringify(dataDir)}`;
}
