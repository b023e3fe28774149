import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { SyncStore } from '../db/sync-store.js';
import type { RemoteStore } from '../remote/remote-store.js';
import { compareKeys } from './keys.js';
import { listRemote } from './remote-listing.js';
import type { PairConfig, RemoteEntry } from './types.js';

/**
 * The remote side of a scoped pass (watch events, files due after their stability window):
 * the subtrees of the scope's folders are listed, a LIST per 1,000 keys instead of a HEAD per
 * file, and nothing outside the scope is. A root that is a file is not listed; the pass asks
 * OSS about it with a HEAD where that matters (coveredBy says which paths a listing covers).
 */

/**
 * The scope roots whose subtree is worth listing: folders on disk, or with journal rows under
 * them (a folder deleted locally), in the key order of their subtrees.
 */
export async function listedFolders(
  sync: SyncStore,
  pair: PairConfig,
  roots: readonly string[],
): Promise<Set<string>> {
  const folders: string[] = [];
  for (const root of roots) {
    const info = await lstat(path.join(pair.localRoot, root)).catch(() => undefined);
    if (
      info?.isDirectory() === true ||
      sync.journalPage(pair.id, { after: `${root}/`, before: `${root}0`, limit: 1 }).length > 0
    )
      folders.push(root);
  }
  // Disjoint subtrees ('a/...' and 'a-b/...' sort as 'a-b/' < 'a/'): listed in this order,
  // their objects come out in key order, ready to merge.
  return new Set(folders.sort((a, b) => compareKeys(`${a}/`, `${b}/`)));
}

/** The objects under each of `folders` (from listedFolders), as one listing in key order. */
export async function* listFolders(
  remote: RemoteStore,
  pair: PairConfig,
  folders: ReadonlySet<string>,
  skip: (path: string) => boolean,
  signal?: AbortSignal,
): AsyncGenerator<RemoteEntry[]> {
  for (const folder of folders) {
    const under = `${folder}/`;
    for await (const page of listRemote(
      remote,
      pair.bucket,
      pair.prefix + under,
      (p) => skip(under + p),
      signal,
    ))
      yield page.map((entry) => ({ ...entry, path: under + entry.path }));
  }
}

/** Whether `p` is under one of the listed folders. */
export function coveredBy(folders: ReadonlySet<string>, p: string): boolean {
  for (let slash = p.indexOf('/'); slash !== -1; slash = p.indexOf('/', slash + 1))
    if (folders.has(p.slice(0, slash))) return true;
  return false;
}
