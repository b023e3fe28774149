/**
 * The walk of scanLocal, run in its worker thread (scan-worker.ts) with sync calls (the
 * fastest file-system calls in Node, and they block nothing there): depth first, each
 * folder's entries sorted by key, so entries come out in key order with only the listings of
 * the folders being walked in memory. Results leave through a BatchWriter (scan-batch.ts).
 *
 * Measured on 100,000 files in 10,000 folders, lstat and readdir are about 85% of the walk:
 * Node's lstatSync costs about 3.3 us a file here, more than all of the walk's own work.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import type { BigIntStats, Dirent } from 'node:fs';
import nodePath from 'node:path';
import { IGNORE_FILE, IgnoreRules } from './ignore-rules.js';
import type { FolderRules } from './ignore-rules.js';
import {
  checkKey,
  compareCollidingNames,
  compareKeys,
  isPlainAscii,
  MAX_KEY_BYTES,
} from './keys.js';
import { Aborted, BatchWriter } from './scan-batch.js';
import type { ScanWorkerData, ScanWorkerMessage } from './scan-batch.js';
import { normalizeScope, scanScope } from './scan-scope.js';
import type { SyncIssue } from './types.js';

export const FILE = 0;
export const DIR = 1;
export const LINK = 2;
export const SPECIAL = 3;

export interface Child {
  /** Sort key: the NFC name, plus '/' for a folder. */
  key: string;
  /** NFC name (the key segment). */
  name: string;
  /** Name on disk. */
  raw: string;
  kind: number;
  /** What a special file is, for the message. */
  what?: string;
  /** Another name of the folder has the same NFC form and wins. */
  loser?: string;
}

/** A folder being visited. */
export interface Folder {
  rules: FolderRules;
  /** Its absolute path with a trailing separator. */
  abs: string;
  /** Its on-disk relative path is its key path (no name above was normalised). */
  same: boolean;
  /** UTF-8 bytes of prefix + its key path. */
  keyBytes: number;
}

const SORT = (a: Child, b: Child): number =>
  compareKeys(a.key, b.key) || compareCollidingNames(a.raw, b.raw, a.name);

function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(error: unknown): string {
  return errnoCode(error) ?? (error instanceof Error ? error.message : String(error));
}

export function specialKind(entry: { isFIFO(): boolean; isSocket(): boolean }): string {
  return entry.isFIFO() ? 'a named pipe (FIFO)' : entry.isSocket() ? 'a socket' : 'a device';
}

const STAT = { bigint: true, throwIfNoEntry: false } as const;
const sep = nodePath.sep;

export class ScanWalker {
  readonly data: ScanWorkerData;
  private readonly rules: IgnoreRules;
  private readonly out: BatchWriter;
  /** The root with a trailing separator. */
  private readonly rootAbs: string;

  constructor(
    data: ScanWorkerData,
    post: (message: ScanWorkerMessage, transfer?: ArrayBuffer[]) => void,
  ) {
    this.data = data;
    this.out = new BatchWriter(data, post);
    this.rules = new IgnoreRules({
      root: data.root,
      patterns: data.patterns,
      ignoreCase: data.ignoreCase,
      onIssue: (issue) => this.issue(issue.path, issue.code, issue.message),
    });
    this.rootAbs = data.root.endsWith(sep) ? data.root : data.root + sep;
  }

  run(): void {
    try {
      this.walk();
      this.out.finish();
    } catch (error) {
      if (error instanceof Aborted) return;
      throw error;
    }
  }

  private walk(): void {
    const scope = this.data.scope === undefined ? [''] : normalizeScope(this.data.scope);
    const full = scope.length === 1 && scope[0] === '';
    // The root must be a readable folder: a missing root (an unmounted disk) must fail the
    // pass, never look like a folder whose files were all deleted.
    let dirents: Dirent[] | undefined;
    try {
      const stats = statSync(this.data.root);
      if (!stats.isDirectory())
        this.out.fail('ENOTDIR', 'scandir', `${JSON.stringify(this.data.root)} is not a folder.`);
      if (full) dirents = readdirSync(this.data.root, { withFileTypes: true });
    } catch (error) {
      if (error instanceof Aborted) throw error;
      const e = error as NodeJS.ErrnoException;
      this.out.fail(e.code, e.syscall, e.message);
    }
    const rules = this.rules.rootFolder(
      dirents === undefined ? undefined : dirents.some((entry) => entry.name === IGNORE_FILE),
    );
    // Nothing can be said about a folder whose top-level rules cannot be read: fail the pass.
    if (rules.unreadable)
      this.out.fail(
        'EACCES',
        'open',
        `Could not read the ignore rules ${JSON.stringify(nodePath.join(this.data.root, IGNORE_FILE))}, so nothing was synced from this folder in this pass. Fix the file's permissions, or remove it.`,
        true,
      );
    const root: Folder = {
      rules,
      abs: this.rootAbs,
      same: true,
      keyBytes: this.bytes(this.data.prefix),
    };
    if (dirents !== undefined) {
      this.out.summary.folders++;
      this.children(root, dirents);
    } else {
      scanScope(this, root, scope);
    }
  }

  private bytes(text: string): number {
    return isPlainAscii(text) ? text.length : Buffer.byteLength(text);
  }

  /** The child for an entry found by lstat (scope roots). */
  childFor(name: string, raw: string, stats: BigIntStats): Child {
    if (stats.isFile()) return { key: name, name, raw, kind: FILE };
    if (stats.isDirectory()) return { key: `${name}/`, name, raw, kind: DIR };
    if (stats.isSymbolicLink()) return { key: name, name, raw, kind: LINK };
    return { key: name, name, raw, kind: SPECIAL, what: specialKind(stats) };
  }

  /** Builds the sorted children of a folder from its listing. */
  listChildren(dirents: Dirent[]): Child[] {
    const children: Child[] = new Array<Child>(dirents.length);
    let normalised = false;
    for (let i = 0; i < dirents.length; i++) {
      const entry = dirents[i]!;
      const raw = entry.name;
      let name = raw;
      if (!isPlainAscii(raw)) {
        name = raw.normalize('NFC');
        if (name !== raw) normalised = true;
      }
      let kind: number;
      let what: string | undefined;
      if (entry.isFile()) kind = FILE;
      else if (entry.isDirectory()) kind = DIR;
      else if (entry.isSymbolicLink()) kind = LINK;
      else {
        kind = SPECIAL;
        what = specialKind(entry);
      }
      children[i] = { key: kind === DIR ? `${name}/` : name, name, raw, kind, what };
    }
    // Names already in NFC are distinct keys; two can collide only if normalising changed one.
    if (normalised) markLosers(children);
    return children.sort(SORT);
  }

  /** Visits the entries of a listed folder in key order. */
  children(folder: Folder, dirents: Dirent[]): void {
    this.out.checkpoint();
    for (const child of this.listChildren(dirents)) this.visit(folder, child);
  }

  /** One entry of `folder`. */
  visit(folder: Folder, child: Child): void {
    const rules = folder.rules;
    const path = rules.path + child.name;
    const isDir = child.kind === DIR;
    if (this.rules.matches(rules, child.name, isDir)) {
      this.out.summary.ignored++;
      return;
    }
    // Printable ASCII needs only the length check (and, first in a key, no backslash); the
    // rest goes through checkKey.
    const plain = isPlainAscii(child.name);
    const nameBytes = plain ? child.name.length : Buffer.byteLength(child.name);
    if (
      !plain ||
      folder.keyBytes + nameBytes + (isDir ? 2 : 0) > MAX_KEY_BYTES ||
      (folder.keyBytes === 0 && child.name.startsWith('\\'))
    ) {
      const problem = checkKey(this.data.prefix, path, isDir);
      if (problem) {
        this.issue(path, 'invalid-name', problem);
        return;
      }
    }
    if (child.loser !== undefined) {
      this.issue(
        path,
        'invalid-name',
        `${JSON.stringify(rules.path + child.raw)} is not synced: ${JSON.stringify(rules.path + child.loser)} in the same folder has the same name after Unicode normalisation (NFC), and both would be the object key ${JSON.stringify(path)}. Rename one of them.`,
      );
      return;
    }
    const same = folder.same && child.raw === child.name;
    // The relative path on disk is only spelled out when it differs from the key path.
    const fsPath = same
      ? undefined
      : rules.fsPath === ''
        ? child.raw
        : rules.fsPath + sep + child.raw;
    const abs = folder.abs + child.raw;
    switch (child.kind) {
      case FILE:
        return this.file(path, fsPath, abs);
      case DIR:
        return this.folder(folder, child, path, same, abs, folder.keyBytes + nameBytes + 1);
      case LINK:
        return this.link(path, fsPath, abs);
      default:
        return this.special(path, child.what ?? 'a special file');
    }
  }

  private file(path: string, fsPath: string | undefined, abs: string): void {
    let stats: BigIntStats | undefined;
    try {
      stats = lstatSync(abs, STAT);
    } catch (error) {
      this.unreadable(path, false, error);
      return;
    }
    if (stats === undefined) {
      this.vanished(path, abs);
      return;
    }
    if (stats.isFile()) this.out.file(path, fsPath, stats);
    else if (stats.isSymbolicLink()) this.link(path, fsPath, abs);
    // A folder now: the next pass sees it. Otherwise it became a special file.
    else if (!stats.isDirectory()) this.special(path, specialKind(stats));
  }

  private folder(
    parent: Folder,
    child: Child,
    path: string,
    same: boolean,
    abs: string,
    keyBytes: number,
  ): void {
    let dirents: Dirent[];
    try {
      dirents = readdirSync(abs, { withFileTypes: true });
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') this.vanished(path, abs);
      else this.unreadable(path, true, error);
      return;
    }
    this.out.summary.folders++;
    let hasIgnoreFile = false;
    for (const entry of dirents) if (entry.name === IGNORE_FILE) hasIgnoreFile = true;
    const rules = this.rules.childFolder(parent.rules, child.name, child.raw, hasIgnoreFile, true);
    if (rules.unreadable) this.unknown(path, true);
    else this.children({ rules, abs: abs + sep, same, keyBytes }, dirents);
  }

  private link(path: string, fsPath: string | undefined, abs: string): void {
    if (!this.data.followSymlinks) {
      this.issue(
        path,
        'skipped-special',
        `${JSON.stringify(path)} is a symbolic link, which is not synced. Turn on following symlinked files for this folder pair to upload what it points to.`,
      );
      return;
    }
    let stats: BigIntStats | undefined;
    try {
      stats = statSync(abs, STAT);
    } catch (error) {
      if (errnoCode(error) === 'ELOOP') {
        this.issue(
          path,
          'skipped-special',
          `${JSON.stringify(path)} is a symbolic link that points to itself (a loop); it is not synced.`,
        );
      } else this.unreadable(path, false, error);
      return;
    }
    if (stats === undefined)
      this.issue(
        path,
        'skipped-special',
        `${JSON.stringify(path)} is a symbolic link to something that does not exist; it is not synced.`,
      );
    else if (stats.isFile()) this.out.file(path, fsPath, stats);
    else if (stats.isDirectory())
      this.issue(
        path,
        'skipped-special',
        `${JSON.stringify(path)} is a symbolic link to a folder; linked folders are never followed, so it is not synced.`,
      );
    else this.special(path, `a symbolic link to ${specialKind(stats)}`);
  }

  private special(path: string, what: string): void {
    this.issue(path, 'skipped-special', `${JSON.stringify(path)} is ${what}, which is not synced.`);
  }

  /** Gone between the listing and the stat: nothing to report, unless the name was mangled. */
  private vanished(path: string, abs: string): void {
    // Names that are not valid UTF-8 come back from readdir with U+FFFD and cannot be opened.
    if (abs.includes('\uFFFD'))
      this.issue(
        path,
        'invalid-name',
        `${JSON.stringify(path)} cannot be synced: its name on disk is not valid UTF-8. Rename it.`,
      );
  }

  /** An 'unreadable' issue and the unknown that keeps the journal's rows there. */
  unreadable(path: string, subtree: boolean, error: unknown): void {
    this.unreadableIssue(path, subtree ? 'folder' : 'file', error);
    this.unknown(path, subtree);
  }

  unreadableIssue(path: string, what: 'file' | 'folder' | 'path', error: unknown): void {
    const subject = what === 'path' ? '' : `the ${what} `;
    this.issue(
      path,
      'unreadable',
      `Could not read ${subject}${JSON.stringify(path)} (${describe(error)}); it is kept as it was and tried again on the next scan.`,
    );
  }

  unknown(path: string, subtree: boolean): void {
    this.out.unknown(path, subtree);
  }

  issue(path: string, code: SyncIssue['code'], message: string): void {
    this.out.issue(path, code, message);
  }
}

/** Marks every name whose NFC form another name of the folder has and wins. */
function markLosers(children: Child[]): void {
  const winners = new Map<string, Child>();
  for (const child of children) {
    const other = winners.get(child.name);
    if (other === undefined) {
      winners.set(child.name, child);
    } else if (compareCollidingNames(child.raw, other.raw, child.name) < 0) {
      other.loser = child.raw;
      winners.set(child.name, child);
    } else {
      child.loser = other.raw;
    }
  }
}
