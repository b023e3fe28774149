import type { JournalEntry } from '../sync/types.js';

/**
 * The journal row shape and its upsert, shared by SyncStore (the planner's own writes) and
 * JobStore.finish (a finished job records its path in the same transaction).
 */
export interface JournalRow {
  path: string;
  size: number;
  mtime_ns: string;
  ino: string;
  crc64: string;
  remote_etag: string;
  remote_crc64: string;
  synced_at: number;
}

export const JOURNAL_COLUMNS =
  'path, size, mtime_ns, ino, crc64, remote_etag, remote_crc64, synced_at';

export const JOURNAL_UPSERT_SQL = `INSERT INTO journal (pair_id, path, size, mtime_ns, ino, crc64, remote_etag, remote_crc64, synced_at)
  VALUES (@pairId, @path, @size, @mtimeNs, @ino, @crc64, @remoteEtag, @remoteCrc64, @syncedAt)
  ON CONFLICT (pair_id, path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
    ino = excluded.ino, crc64 = excluded.crc64, remote_etag = excluded.remote_etag,
    remote_crc64 = excluded.remote_crc64, synced_at = excluded.synced_at`;

export const JOURNAL_DELETE_SQL = 'DELETE FROM journal WHERE pair_id = ? AND path = ?';

export interface JournalParams {
  pairId: number;
  path: string;
  size: number;
  mtimeNs: string;
  ino: string;
  crc64: string;
  remoteEtag: string;
  remoteCrc64: string;
  syncedAt: number;
}

export function journalParams(pairId: number, entry: JournalEntry): JournalParams {
  return {
    pairId,
    path: entry.path,
    size: entry.size,
    mtimeNs: entry.mtimeNs.toString(),
    ino: entry.ino.toString(),
    crc64: entry.crc64,
    remoteEtag: entry.remoteEtag,
    remoteCrc64: entry.remoteCrc64,
    syncedAt: entry.syncedAt,
  };
}

export function toJournalEntry(row: JournalRow): JournalEntry {
  return {
    path: row.path,
    size: row.size,
    mtimeNs: BigInt(row.mtime_ns),
    ino: BigInt(row.ino),
    crc64: row.crc64,
    remoteEtag: row.remote_etag,
    remoteCrc64: row.remote_crc64,
    syncedAt: row.synced_at,
  };
}

/** A journal row as an array, in JOURNAL_COLUMNS order (statements in raw mode). */
export type JournalTuple = [string, number, string, string, string, string, string, number];

export function fromJournalTuple(row: JournalTuple): JournalEntry {
  return {
    path: row[0],
    size: row[1],
    mtimeNs: BigInt(row[2]),
    ino: BigInt(row[3]),
    crc64: row[4],
    remoteEtag: row[5],
    remoteCrc64: row[6],
    syncedAt: row[7],
  };
}
