/**
 * Scoped rescans (after watcher events): scan exactly the given pair-relative paths, each a
 * file (that file) or a folder (its subtree), with the ignore rules of the folders above them.
 * Roots are resolved first, then visited in key order, so the output is ordered like a full
 * scan's: a root's sort key depends on whether it is a folder ('a/' sorts after 'a.txt').
 */
import { lstatSync, readdirSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import nodePath from 'node:path';
import { IgnoreRules } from './ignore-rules.js';
import {
  checkKey,
  compareCollidingNames,
  compareKeys,
  isPlainAscii,
  nameToKeySegment,
} from './keys.js';
import type { Child, Folder, ScanWalker } from './scan-walker.js';
import type { SyncIssue } from './types.js';

/** Could not be read: an error to report, or none when an issue was reported already. */
interface Unknown {
  unknown: true;
  error: unknown;
}

/**
 * A scope root to visit, or one that could not be read. Since it is then not known whether it
 * is a file or a folder, it becomes two unknowns: `path` itself (sorted at `path`) and its
 * subtree (sorted where `path/` sorts), so the merge keeps the journal's rows of both.
 */
type Resolved = { sortKey: string; issues: SyncIssue[] } & (
  | { folder: Folder; child: Child }
  | { path: string; unknown: 'exact'; error: unknown }
  | { path: string; unknown: 'subtree' }
);

type Found = { raw: string; stats: BigIntStats; losers: string[] } | Unknown | undefined;

/** The scope's paths: NFC, sorted, without duplicates or paths inside another one. */
export function normalizeScope(scope: readonly string[]): string[] {
  const paths = scope.map((raw) => {
    let path = nameToKeySegment(raw);
    while (path.startsWith('/')) path = path.slice(1);
    while (path.endsWith('/')) path = path.slice(0, -1);
    if (path !== '' && path.split('/').some((s) => s === '' || s === '.' || s === '..'))
      throw new RangeError(`scope path ${JSON.stringify(raw)} is not a pair-relative path`);
    return path;
  });
  if (paths.includes('')) return [''];
  // Sorted as folders, a path's subtree follows it directly, so one look back de-duplicates.
  const sorted = paths.map((path) => `${path}/`).sort(compareKeys);
  const kept: string[] = [];
  for (const path of sorted) {
    const last = kept[kept.length - 1];
    if (last === undefined || !path.startsWith(last)) kept.push(path);
  }
  return kept.map((path) => path.slice(0, -1));
}

/** Scans the (normalised, non-empty, not whole-tree) scope paths under `root`. */
export function scanScope(walker: ScanWalker, root: Folder, scope: string[]): void {
  new ScopeResolver(walker, root).run(scope);
}

class ScopeResolver {
  /** Its own rules instance, so issues found while resolving wait for their place in order. */
  private readonly rules: IgnoreRules;
  private pending: SyncIssue[] = [];
  /** Folders already resolved, by key path ('a/b/'); null: not a folder the scan would enter. */
  private readonly folders = new Map<string, Folder | Unknown | null>();
  /** The last folder listed for a non-ASCII lookup. */
  private listing: { dir: string; names: string[] } | undefined;

  constructor(
    private readonly walker: ScanWalker,
    root: Folder,
  ) {
    const data = walker.data;
    this.rules = new IgnoreRules({
      root: data.root,
      patterns: data.patterns,
      ignoreCase: data.ignoreCase,
      onIssue: (issue) => this.pending.push(issue),
    });
    this.folders.set('', root);
  }

  run(paths: string[]): void {
    const resolved: Resolved[] = [];
    for (const path of paths) {
      const entry = this.resolve(path);
      if (entry === undefined) continue;
      resolved.push(entry);
      if ('unknown' in entry)
        resolved.push({ sortKey: `${path}/`, path, unknown: 'subtree', issues: [] });
    }
    resolved.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
    for (const entry of resolved) {
      for (const issue of entry.issues) this.walker.issue(issue.path, issue.code, issue.message);
      if (!('unknown' in entry)) {
        this.walker.visit(entry.folder, entry.child);
      } else if (entry.unknown === 'subtree') {
        this.walker.unknown(entry.path, true);
      } else {
        // An error here was not reported yet (unreadable rules were, through onIssue).
        if (entry.error !== undefined) this.walker.unreadableIssue(entry.path, 'path', entry.error);
        this.walker.unknown(entry.path, false);
      }
    }
  }

  private resolve(path: string): Resolved | undefined {
    const slash = path.lastIndexOf('/');
    const parent = this.folder(slash < 0 ? '' : path.slice(0, slash + 1));
    const issues = this.takeIssues();
    if (parent === null) return undefined;
    if ('unknown' in parent)
      return { sortKey: path, path, unknown: 'exact', error: parent.error, issues };
    const name = path.slice(slash + 1);
    const found = this.find(parent, name);
    if (found === undefined) return undefined;
    if ('unknown' in found)
      return { sortKey: path, path, unknown: 'exact', error: found.error, issues };
    const child = this.walker.childFor(name, found.raw, found.stats);
    // As in a full scan: a name that loses to another with its NFC form is reported, unless
    // the name is ignored anyway.
    const ignored = this.rules.matches(parent.rules, name, child.key.endsWith('/'));
    for (const loser of ignored ? [] : found.losers) {
      issues.push({
        path,
        code: 'invalid-name',
        message: `${JSON.stringify(parent.rules.path + loser)} is not synced: ${JSON.stringify(parent.rules.path + found.raw)} in the same folder has the same name after Unicode normalisation (NFC), and both would be the object key ${JSON.stringify(path)}. Rename one of them.`,
      });
    }
    return { sortKey: parent.rules.path + child.key, folder: parent, child, issues };
  }

  private takeIssues(): SyncIssue[] {
    const issues = this.pending;
    this.pending = [];
    return issues;
  }

  /**
   * The rules of the folder `path` ('' or 'a/b/') if the full scan would enter it; null if it
   * would not (missing, not a real folder, ignored, or an invalid name it reports itself).
   */
  private folder(path: string): Folder | Unknown | null {
    const cached = this.folders.get(path);
    if (cached !== undefined) return cached;
    const slash = path.lastIndexOf('/', path.length - 2);
    const parent = this.folder(slash < 0 ? '' : path.slice(0, slash + 1));
    let result: Folder | Unknown | null = null;
    if (parent === null || 'unknown' in parent) {
      result = parent;
    } else {
      const name = path.slice(slash + 1, -1);
      const found = this.find(parent, name);
      if (found !== undefined && 'unknown' in found) {
        result = found;
      } else if (
        found !== undefined &&
        found.stats.isDirectory() &&
        !this.rules.matches(parent.rules, name, true) &&
        checkKey(this.walker.data.prefix, path.slice(0, -1), true) === undefined
      ) {
        const rules = this.rules.childFolder(parent.rules, name, found.raw, undefined, true);
        const bytes = isPlainAscii(name) ? name.length : Buffer.byteLength(name);
        // Unreadable rules were reported through onIssue: only the unknown is left to emit.
        result = rules.unreadable
          ? { unknown: true, error: undefined }
          : {
              rules,
              abs: parent.abs + found.raw + nodePath.sep,
              same: parent.same && found.raw === name,
              keyBytes: parent.keyBytes + bytes + 1,
            };
      }
    }
    this.folders.set(path, result);
    return result;
  }

  /** The entry `name` (NFC) of `folder` as the full scan would pick it. */
  private find(folder: Folder, name: string): Found {
    const dir = folder.abs;
    let raw = name;
    const losers: string[] = [];
    if (!isPlainAscii(name)) {
      // Stored names may be in another normalisation: the listing says which exist.
      let names: string[];
      try {
        if (this.listing?.dir !== dir) this.listing = { dir, names: readdirSync(dir) };
        names = this.listing.names;
      } catch (error) {
        return missing(error) ? undefined : { unknown: true, error };
      }
      const candidates = names
        .filter((candidate) => nameToKeySegment(candidate) === name)
        .sort((a, b) => compareCollidingNames(a, b, name));
      if (candidates.length === 0) return undefined;
      raw = candidates[0]!;
      losers.push(...candidates.slice(1));
    }
    try {
      const stats = lstatSync(dir + raw, { bigint: true, throwIfNoEntry: false });
      return stats === undefined ? undefined : { raw, stats, losers };
    } catch (error) {
      return missing(error) ? undefined : { unknown: true, error };
    }
  }
}

function missing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
