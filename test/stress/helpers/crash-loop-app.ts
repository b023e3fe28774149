import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type OSS from 'ali-oss';
import Database from 'better-sqlite3';
import { oracleCrc64OfFile } from '../../helpers/engine.js';
import { TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET } from '../../helpers/osslocal.js';
import { spawnCli, type ServeProcess } from '../../helpers/serve-process.js';

/**
 * The app of the crash-loop suite, `ossync sync FOLDER URL --watch`, as a user runs it (a
 * child process of the real CLI), and what the suite inspects afterwards: the bucket with an
 * independent client, the data directory's SQLite files opened read-only, and everything
 * around the sync root.
 */

export type AppProcess = ServeProcess;

/**
 * Starts `ossync ARGS` (spawnCli) with the test AccessKey pair and `env` (the suite points
 * XDG_CONFIG_HOME and XDG_DATA_HOME into its scratch folder).
 */
export function spawnApp(args: readonly string[], env: Record<string, string>): AppProcess {
  return spawnCli(args, {
    OSS_ACCESS_KEY_ID: TEST_ACCESS_KEY_ID,
    OSS_ACCESS_KEY_SECRET: TEST_ACCESS_KEY_SECRET,
    ...env,
  });
}

/** SIGKILLs every app process still running (for afterAll). */
export { killAllServe as killAllApps } from '../../helpers/serve-process.js';

export interface BucketObject {
  key: string;
  size: number;
}

/** Every object under `prefix` (ListObjectsV2, all pages). */
export async function listAll(client: OSS, prefix: string): Promise<BucketObject[]> {
  const out: BucketObject[] = [];
  let token: string | undefined;
  do {
    const page = (await client.listV2(
      {
        prefix,
        'max-keys': '1000',
        ...(token === undefined ? {} : { 'continuation-token': token }),
      },
      {},
    )) as unknown as {
      objects?: { name: string; size: number }[];
      nextContinuationToken?: string;
      isTruncated: boolean;
    };
    for (const object of page.objects ?? []) out.push({ key: object.name, size: object.size });
    token = page.isTruncated ? page.nextContinuationToken : undefined;
  } while (token !== undefined);
  return out;
}

/** HEADs `keys` a few at a time; resolves with key -> x-oss-hash-crc64ecma. */
export async function crc64s(client: OSS, keys: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++] as string;
      const head = await client.head(key);
      const headers = head.res.headers as Record<string, string>;
      out.set(key, headers['x-oss-hash-crc64ecma'] ?? '(none)');
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}

/** The multipart uploads in progress in the whole bucket (ListMultipartUploads). */
export async function multipartUploads(client: OSS): Promise<string[]> {
  const found: string[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = (await client.listUploads({
      'max-uploads': 1000,
      ...(keyMarker === undefined ? {} : { 'key-marker': keyMarker }),
      ...(uploadIdMarker === undefined ? {} : { 'upload-id-marker': uploadIdMarker }),
    })) as unknown as {
      uploads?: { name: string; uploadId: string }[];
      nextKeyMarker?: string;
      nextUploadIdMarker?: string;
      isTruncated?: boolean;
    };
    for (const upload of page.uploads ?? []) found.push(`${upload.name} (${upload.uploadId})`);
    if (page.isTruncated !== true) return found;
    keyMarker = page.nextKeyMarker;
    uploadIdMarker = page.nextUploadIdMarker;
  }
}

/** Files under `dir` that start with SQLite's header: the databases the app keeps there. */
export function sqliteFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sqliteFilesUnder(full));
    else if (entry.isFile() && statSync(full).size >= 16) {
      const header = Buffer.alloc(16);
      const fd = openSync(full, 'r');
      try {
        readSync(fd, header, 0, 16, 0);
      } finally {
        closeSync(fd);
      }
      if (header.toString('latin1') === 'SQLite format 3\0') out.push(full);
    }
  }
  return out.sort();
}

/** `PRAGMA integrity_check` of a database opened read-only ('ok' when sound). */
export function integrityOf(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[])
      .map((row) => row.integrity_check)
      .join('; ');
  } finally {
    db.close();
  }
}

export interface JobRow {
  id: number;
  kind: string;
  state: string;
  key: string;
  error_code: string | null;
  error_message: string | null;
}

export interface QueueState {
  byState: Record<string, number>;
  /** Jobs neither done nor cancelled. */
  unfinished: JobRow[];
  pendingDeletes: number;
  conflicts: number;
  issues: { path: string; kind?: string; message?: string }[];
  journalRows: number;
}

/** The app's queue and sync tables, read-only (the app is not running). */
export function queueState(stateDb: string): QueueState {
  const db = new Database(stateDb, { readonly: true, fileMustExist: true });
  try {
    const byState: Record<string, number> = {};
    for (const row of db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as {
      state: string;
      n: number;
    }[])
      byState[row.state] = row.n;
    const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
    return {
      byState,
      unfinished: db
        .prepare(
          `SELECT id, kind, state, key, error_code, error_message FROM jobs
           WHERE state NOT IN ('done', 'cancelled') ORDER BY id`,
        )
        .all() as JobRow[],
      pendingDeletes: count('SELECT COUNT(*) AS n FROM sync_pending_deletes'),
      conflicts: count('SELECT COUNT(*) AS n FROM sync_conflicts'),
      issues: db.prepare('SELECT * FROM sync_issues').all() as QueueState['issues'],
      journalRows: count('SELECT COUNT(*) AS n FROM journal'),
    };
  } finally {
    db.close();
  }
}

/**
 * What a folder holds, for a before/after comparison: each entry with its type, size, mode
 * and mtime, and a file's CRC64.
 */
export function fingerprintTree(dir: string): string[] {
  if (!existsSync(dir)) return ['(missing)'];
  const out: string[] = [];
  const walk = (at: string, prefix: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      const stat = statSync(full);
      const rel = `${prefix}${entry.name}`;
      if (entry.isDirectory()) {
        out.push(`${rel}/ mode ${stat.mode.toString(8)} mtime ${stat.mtimeMs}`);
        walk(full, `${rel}/`);
      } else
        out.push(
          `${rel} ${stat.size} B mode ${stat.mode.toString(8)} mtime ${stat.mtimeMs} crc64 ${oracleCrc64OfFile(full)}`,
        );
    }
  };
  walk(dir, '');
  return out.sort();
}
