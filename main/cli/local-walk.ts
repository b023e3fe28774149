/**
 * Walks a folder tree one directory at a time (never the whole tree in memory), in a fixed
 * order: depth first, names sorted by UTF-16 code units. That order is the order of the
 * paths' segment lists compared lexicographically, so a walk can resume strictly after a
 * given path (the last one queued) and skip whole subtrees that lie before it.
 *
 * Symbolic links are reported, not followed (a link can lead out of the tree or into a
 * loop), and so are sockets, FIFOs and devices.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

export type WalkEvent =
  | { type: 'file'; segments: string[]; localPath: string; size: number }
  | { type: 'symlink'; localPath: string }
  | { type: 'special'; localPath: string }
  | { type: 'error'; localPath: string; message: string };

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Lexicographic order of segment lists: the order the walk visits paths in. */
export function compareSegments(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareNames(a[i] as string, b[i] as string);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'it disappeared during the walk';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Every file under `root` (a directory), as segments relative to it, in walk order. With
 * `after`, only paths that come strictly after it. Stops between entries once `signal` aborts.
 */
export async function* walkTree(
  root: string,
  options: { after?: readonly string[]; signal?: AbortSignal } = {},
): AsyncGenerator<WalkEvent> {
  yield* walkDir(root, [], options.after, options.signal);
}

async function* walkDir(
  dir: string,
  segments: readonly string[],
  after: readonly string[] | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<WalkEvent> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    yield { type: 'error', localPath: dir, message: `cannot read the folder: ${reason(error)}` };
    return;
  }
  entries.sort((a, b) => compareNames(a.name, b.name));
  // Names equal in NFC would become the same object key.
  const keyNames = new Map<string, string>();
  for (const entry of entries) {
    if (signal?.aborted) return;
    const localPath = path.join(dir, entry.name);
    const entrySegments = [...segments, entry.name];
    const position =
      after === undefined
        ? 1
        : compareSegments(entrySegments, after.slice(0, entrySegments.length));
    // Before the resume point: done already. Equal: the resume point itself (a file) or a
    // folder on the way to it.
    if (position < 0 || (position === 0 && !entry.isDirectory())) continue;
    const nfc = entry.name.normalize('NFC');
    const clash = keyNames.get(nfc);
    if (clash !== undefined && !entry.isDirectory()) {
      yield {
        type: 'error',
        localPath,
        message: `its name is the same as ${JSON.stringify(clash)} in Unicode NFC, so both would be uploaded to the same key`,
      };
      continue;
    }
    keyNames.set(nfc, entry.name);
    if (entry.isDirectory()) {
      yield* walkDir(localPath, entrySegments, position === 0 ? after : undefined, signal);
    } else if (entry.isFile()) {
      try {
        const stats = await lstat(localPath);
        if (stats.isFile())
          yield { type: 'file', segments: entrySegments, localPath, size: stats.size };
        else if (stats.isSymbolicLink()) yield { type: 'symlink', localPath };
        else if (stats.isDirectory())
          yield* walkDir(localPath, entrySegments, position === 0 ? after : undefined, signal);
        else yield { type: 'special', localPath };
      } catch (error) {
        yield { type: 'error', localPath, message: `cannot read it: ${reason(error)}` };
      }
    } else if (entry.isSymbolicLink()) {
      yield { type: 'symlink', localPath };
    } else {
      yield { type: 'special', localPath };
    }
  }
}
