/**
 * The final state of a journal fault run, read after the app stopped: the bucket (read back
 * with an independent ali-oss client, CRC64 by the crc64-ecma182.js oracle), the local trees
 * byte for byte (by size and CRC64), the journal, and the checks every converged run must
 * pass whatever the reference says (journal agreeing with both sides, integrity, no job left
 * unfinished or failed, no multipart upload left, no temp file anywhere).
 */
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type OSS from 'ali-oss';
import Database from 'better-sqlite3';
import { oracleCrc64, tempFilesUnder } from '../../helpers/engine.js';
import { PREFIX, type ScriptWorld } from './journal-faults-world.js';

export interface FinalState {
  /** `key size crc64`, the time folder of trash and conflict keys replaced by `*`. */
  bucket: string[];
  /** `folder/<path> size crc64` and `downloads/<path> size crc64`. */
  local: string[];
  /** `path size crc64` of the pair's journal. */
  journal: string[];
  /** `path resolution keptAs` of the pair's conflict records (keptAs normalized). */
  conflicts: string[];
}

interface JournalRowRead {
  path: string;
  size: number;
  crc64: string;
  remote_etag: string;
  remote_crc64: string;
}

/** Trash and conflict copies live under a folder named after the time: the same in any run. */
function normalizeKey(key: string): string {
  return key.replace(/\.ossync-(trash|conflicts)\/[^/]+\//, '.ossync-$1/*/');
}

function walk(dir: string, rel: string, out: Map<string, Buffer>): void {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const key = rel === '' ? name : `${rel}/${name}`;
    const info = lstatSync(full);
    if (info.isDirectory()) walk(full, key, out);
    else out.set(key, readFileSync(full));
  }
}

export async function readFinalState(
  world: ScriptWorld,
  client: OSS,
): Promise<{ state: FinalState; problems: string[] }> {
  const problems: string[] = [];
  client.useBucket(world.bucket);

  const objects = new Map<string, { size: number; crc64: string; etag: string }>();
  let token: string | undefined;
  do {
    const page = await client.listV2(
      { 'max-keys': '1000', ...(token ? { 'continuation-token': token } : {}) },
      {},
    );
    await Promise.all(
      (page.objects ?? []).map(async (object) => {
        const body = (await client.get(object.name)).content as Buffer;
        objects.set(object.name, {
          size: body.length,
          crc64: oracleCrc64(body),
          etag: object.etag.replace(/"/g, ''),
        });
      }),
    );
    token = page.nextContinuationToken ?? undefined;
  } while (token);

  const files = new Map<string, Buffer>();
  walk(world.root, '', files);
  const downloads = new Map<string, Buffer>();
  walk(world.downloads, '', downloads);

  const db = new Database(path.join(world.dataDir, 'state.db'), { readonly: true });
  let journal: JournalRowRead[];
  let conflicts: string[];
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
    const fk = db.pragma('foreign_key_check') as unknown[];
    if (fk.length > 0) problems.push(`foreign_key_check: ${JSON.stringify(fk)}`);
    for (const job of db
      .prepare<
        [],
        { id: number; kind: string; key: string; state: string; error_message: string | null }
      >(`SELECT id, kind, key, state, error_message FROM jobs WHERE state <> 'done' ORDER BY id`)
      .all())
      problems.push(
        `job ${job.id} (${job.kind} of ${job.key}) is ${job.state}${job.error_message ? `: ${job.error_message}` : ''}`,
      );
    const pending = db.prepare('SELECT COUNT(*) AS n FROM sync_pending_deletes').get() as {
      n: number;
    };
    if (pending.n > 0) problems.push(`${pending.n} deletions still pending`);
    journal = db
      .prepare<[], JournalRowRead>(
        'SELECT path, size, crc64, remote_etag, remote_crc64 FROM journal ORDER BY path',
      )
      .all();
    conflicts = db
      .prepare<[], { path: string; resolution: string; kept_as: string | null }>(
        'SELECT path, resolution, kept_as FROM sync_conflicts ORDER BY path, id',
      )
      .all()
      .map(
        (c) => `${c.path} ${c.resolution} ${c.kept_as === null ? '-' : normalizeKey(c.kept_as)}`,
      );
  } finally {
    db.close();
  }

  // The journal agrees with both sides, and covers exactly the synced files.
  for (const row of journal) {
    const local = files.get(row.path);
    if (local === undefined) problems.push(`journal has ${row.path}, the folder does not`);
    else if (local.length !== row.size || oracleCrc64(local) !== row.crc64)
      problems.push(`journal row of ${row.path} does not match the file`);
    const object = objects.get(PREFIX + row.path);
    if (object === undefined) problems.push(`journal has ${row.path}, the bucket does not`);
    else if (object.etag !== row.remote_etag || object.crc64 !== row.remote_crc64)
      problems.push(`journal row of ${row.path} does not match the object`);
  }
  const journaled = new Set(journal.map((row) => row.path));
  for (const rel of files.keys())
    if (!journaled.has(rel)) problems.push(`${rel} is in the folder but not in the journal`);
  for (const key of objects.keys()) {
    if (!key.startsWith(PREFIX)) continue;
    const rel = key.slice(PREFIX.length);
    if (rel.startsWith('.ossync-') || rel === 'remote-only.txt') continue;
    if (!journaled.has(rel)) problems.push(`${key} is in the bucket but not in the journal`);
  }

  const uploads = (await client.listUploads({}, {})) as { uploads?: { name: string }[] };
  for (const upload of uploads.uploads ?? [])
    problems.push(`multipart upload of ${upload.name} left behind`);
  for (const temp of tempFilesUnder(world.base)) problems.push(`temp file left: ${temp}`);

  const state: FinalState = {
    bucket: [...objects].map(([key, o]) => `${normalizeKey(key)} ${o.size} ${o.crc64}`).sort(),
    local: [
      ...[...files].map(([rel, b]) => `folder/${rel} ${b.length} ${oracleCrc64(b)}`),
      ...[...downloads].map(([rel, b]) => `downloads/${rel} ${b.length} ${oracleCrc64(b)}`),
    ].sort(),
    journal: journal.map((row) => `${row.path} ${row.size} ${row.crc64}`),
    conflicts,
  };
  return { state, problems };
}
