import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { openDatabase, type Db, type OpenDatabaseOptions } from './db/database.js';
import { JobStore } from './db/job-store.js';
import { SyncStore } from './db/sync-store.js';
import { NodeLocalFs } from './fs/local-fs.js';
import { Crc64Pool } from './hash/crc64-pool.js';
import { OssRemoteStore, type OssRemoteStoreOptions } from './remote/oss-remote-store.js';
import type { RemoteAccount } from './remote/remote-store.js';
import { TransferEngine, type EngineOptions } from './transfer/engine.js';

export interface TransferRuntime {
  db: Db;
  store: JobStore;
  /** Folder pairs and their journals (main/core/sync). */
  sync: SyncStore;
  remote: OssRemoteStore;
  crc: Crc64Pool;
  engine: TransferEngine;
  /** Stops the engine (running jobs are queued again) and releases everything. */
  close(): Promise<void>;
}

/**
 * Wires one account's transfer engine: the state database in `dataDir`, the ali-oss
 * adapter, the local file system, the CRC64 worker pool. The CLI and the service layer
 * both start from here.
 */
export function createTransferRuntime(options: {
  dataDir: string;
  account: RemoteAccount;
  engine?: EngineOptions;
  /** Options of the OSS adapter (timeouts, connections, a call observer for metrics). */
  remote?: OssRemoteStoreOptions;
  /** How the state database is opened (a test wraps the connection to inject faults). */
  database?: OpenDatabaseOptions;
}): TransferRuntime {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const db = openDatabase(path.join(options.dataDir, 'state.db'), options.database);
  const store = new JobStore(db);
  let remote: OssRemoteStore;
  try {
    remote = new OssRemoteStore(options.account, options.remote);
  } catch (error) {
    db.close();
    throw error;
  }
  const crc = new Crc64Pool();
  const engine = new TransferEngine({ store, remote, fs: new NodeLocalFs(), crc }, options.engine);
  return {
    db,
    store,
    sync: new SyncStore(db),
    remote,
    crc,
    engine,
    async close() {
      await engine.stop();
      await crc.close();
      remote.close();
      db.close();
    },
  };
}
