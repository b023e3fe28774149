import { compareKeys } from './keys.js';
import { Peekable } from './sorted-stream.js';
import type { JournalEntry, LocalEntry, RemoteEntry } from './types.js';

/** What the local scan yields to the merge: a file, or a path it could not read. */
export type LocalItem =
  | { type: 'file'; entry: LocalEntry }
  /** Not readable: the journal's rows at `path` (subtree: under `path/`) are not deletions. */
  | { type: 'unknown'; path: string; subtree: boolean };

/** One path as the three sides see it. */
export interface Triple {
  path: string;
  local: LocalEntry | null;
  /** undefined: the remote side was not listed in this pass (ask it when it matters). */
  remote: RemoteEntry | null | undefined;
  base: JournalEntry | null;
}

function localKey(item: LocalItem): string {
  if (item.type === 'file') return item.entry.path;
  // A folder sorts as `name/` among its siblings: its marker sits where its subtree starts.
  return item.subtree ? `${item.path}/` : item.path;
}

function smallest(keys: (string | undefined)[]): string | undefined {
  let min: string | undefined;
  for (const key of keys)
    if (key !== undefined && (min === undefined || compareKeys(key, min) < 0)) min = key;
  return min;
}

/**
 * Merges the local scan, the remote listing (optional) and the journal, each sorted in key
 * order, into one triple per path: rclone's march over three sides, in one pass, holding
 * one batch of each in memory. Paths the scan could not read are left out entirely, so an
 * unreadable folder never looks like a deleted one.
 */
export async function* mergeSides(
  localSource: AsyncIterable<readonly LocalItem[]>,
  remoteSource: AsyncIterable<readonly RemoteEntry[]> | undefined,
  journalSource: AsyncIterable<readonly JournalEntry[]>,
): AsyncGenerator<Triple> {
  const local = new Peekable(localSource);
  const remote = remoteSource ? new Peekable(remoteSource) : undefined;
  const journal = new Peekable(journalSource);
  let unknownPrefix: string | undefined;
  let unknownExact: string | undefined;
  try {
    for (;;) {
      const l = await local.peek();
      const r = await remote?.peek();
      const j = await journal.peek();
      const key = smallest([l && localKey(l), r?.path, j?.path]);
      if (key === undefined) return;
      if (l !== undefined && l.type === 'unknown' && localKey(l) === key) {
        if (l.subtree) unknownPrefix = key;
        else unknownExact = key;
        local.skip();
        continue;
      }
      const triple: Triple = {
        path: key,
        local: null,
        remote: remote === undefined ? undefined : null,
        base: null,
      };
      if (l !== undefined && l.type === 'file' && l.entry.path === key) {
        triple.local = l.entry;
        local.skip();
      }
      if (r !== undefined && r.path === key) {
        triple.remote = r;
        remote?.skip();
      }
      if (j !== undefined && j.path === key) {
        triple.base = j;
        journal.skip();
      }
      if (unknownPrefix !== undefined && !key.startsWith(unknownPrefix)) unknownPrefix = undefined;
      if (unknownPrefix !== undefined || unknownExact === key) continue;
      yield triple;
    }
  } finally {
    await Promise.all([local.close(), remote?.close(), journal.close()]);
  }
}
