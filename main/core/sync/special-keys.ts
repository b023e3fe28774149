import { createHash } from 'node:crypto';
import type { RemoteStore } from '../remote/remote-store.js';

/**
 * The pair's own areas under its prefix: deleted files wait in the trash until their
 * retention passes, and remote versions that lost a conflict are kept in the conflicts
 * area. Both names start with `.ossync`, which the built-in ignore rules leave alone, so
 * the pair never syncs or deletes what is kept there.
 */
export const TRASH_DIR = '.ossync-trash';
export const CONFLICTS_DIR = '.ossync-conflicts';

const MAX_KEY_BYTES = 1023;

/** `20261122T054530.123Z`: sorts by time, safe in a key; ms, so two in one second differ. */
export function stamp(at: number): string {
  return new Date(at).toISOString().replace(/[-:]/g, '');
}

/**
 * `prefix.ossync-trash/<stamp>/<path>`; a path too long to fit keeps its last name after a
 * hash of the whole path, so the key stays within OSS's 1,023 bytes and stays unique.
 */
function keptKey(prefix: string, area: string, path: string, at: number): string {
  const head = `${prefix}${area}/${stamp(at)}/`;
  const key = head + path;
  if (Buffer.byteLength(key) <= MAX_KEY_BYTES) return key;
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 32);
  const room = MAX_KEY_BYTES - Buffer.byteLength(head) - hash.length - 1;
  const name = path.slice(path.lastIndexOf('/') + 1);
  let tail = '';
  for (const char of [...name].reverse()) {
    if (Buffer.byteLength(char + tail) > room) break;
    tail = char + tail;
  }
  return `${head}${hash}-${tail}`;
}

export function trashKey(prefix: string, path: string, at: number): string {
  return keptKey(prefix, TRASH_DIR, path, at);
}

export function conflictKey(prefix: string, path: string, at: number): string {
  return keptKey(prefix, CONFLICTS_DIR, path, at);
}

/** The pair's own areas: never synced, never reported as remote-only. */
export function isSpecialPath(path: string): boolean {
  return (
    path.startsWith(`${TRASH_DIR}/`) ||
    path.startsWith(`${CONFLICTS_DIR}/`) ||
    path === TRASH_DIR ||
    path === CONFLICTS_DIR
  );
}

/**
 * Deletes what has been in the pair's trash longer than the retention (by the time it was
 * moved there, which is the copy's Last-Modified). Returns how many objects went.
 */
export async function purgeTrash(
  remote: RemoteStore,
  bucket: string,
  prefix: string,
  olderThan: number,
  signal?: AbortSignal,
): Promise<number> {
  let purged = 0;
  let token: string | undefined;
  do {
    const page = await remote.listPage(
      bucket,
      { prefix: `${prefix}${TRASH_DIR}/`, token, maxKeys: 1000 },
      { signal },
    );
    for (const object of page.objects) {
      if (object.lastModified.getTime() >= olderThan) continue;
      await remote.deleteObject(bucket, object.key, { signal });
      purged++;
    }
    token = page.nextToken;
  } while (token !== undefined);
  return purged;
}
