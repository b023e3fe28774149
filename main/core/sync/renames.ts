import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { SyncStore } from '../db/sync-store.js';
import { isPlainAscii } from './keys.js';
import type { JournalEntry, LocalEntry, PairConfig } from './types.js';

/** Below this, matching by content costs more than uploading the file again. */
const MIN_CONTENT_MATCH_BYTES = 64 * 1024;
const SIZE_CANDIDATES = 8;

/**
 * Whether the synced path `p` (a key: NFC) is gone from the folder. Its name on disk may be
 * another normalization of the key (NFD, as macOS and some archives write names), so a key
 * not found as spelled is looked up by the NFC form of each name on the way. Anything but
 * "not there" (an error) counts as present: a wrong "missing" would move its object away.
 */
async function missingLocally(pair: PairConfig, p: string): Promise<boolean> {
  try {
    await lstat(path.join(pair.localRoot, p));
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return false;
  }
  if (isPlainAscii(p)) return true;
  let dir = pair.localRoot;
  for (const segment of p.split('/')) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ENOENT';
    }
    const name = names.find((n) => n === segment || n.normalize('NFC') === segment);
    if (name === undefined) return true;
    dir = path.join(dir, name);
  }
  return false;
}

/**
 * The synced file a new local file was renamed or moved from, if any: a journal entry whose
 * path no longer exists locally and that has the same inode, size and mtime (a rename on
 * the same disk), or, for larger files, the same size and CRC64 (a copy then delete, an
 * app that saves under a new inode). `taken` says which sources may not be used: those
 * already used in this pass, and those with an unfinished job (a move from that path still
 * queued would otherwise be planned twice, and the second copy find no source).
 */
export async function findRename(
  sync: SyncStore,
  pair: PairConfig,
  local: LocalEntry,
  taken: { has(path: string): boolean },
  hash: (entry: LocalEntry) => Promise<string | undefined>,
): Promise<JournalEntry | undefined> {
  // Any size: the engine copies objects over CopyObject's 1 GB in parts (UploadPartCopy).
  if (local.size === 0) return undefined;
  const usable = (candidate: JournalEntry): boolean =>
    candidate.path !== local.path && !taken.has(candidate.path) && candidate.size === local.size;
  for (const candidate of sync.journalFindByIno(pair.id, local.ino)) {
    if (usable(candidate) && candidate.mtimeNs === local.mtimeNs)
      if (await missingLocally(pair, candidate.path)) return candidate;
  }
  if (local.size < MIN_CONTENT_MATCH_BYTES) return undefined;
  let crc64: string | undefined;
  for (const candidate of sync.journalFindBySize(pair.id, local.size, SIZE_CANDIDATES)) {
    if (!usable(candidate) || !(await missingLocally(pair, candidate.path))) continue;
    crc64 ??= await hash(local);
    if (crc64 === undefined) return undefined;
    if (candidate.crc64 === crc64) return candidate;
  }
  return undefined;
}
