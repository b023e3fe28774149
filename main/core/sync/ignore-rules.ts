/**
 * Which paths of a folder pair are not synced: built-in defaults, the pair's own patterns and
 * `.ossyncignore` files (gitignore syntax, each relative to its folder, like nested .gitignore
 * files). Precedence is git's: the deepest `.ossyncignore` that has a matching pattern decides
 * (its last matching pattern wins, so `!x` re-includes), then the pair's patterns, then the
 * defaults; nothing under an ignored folder can be re-included. Patterns are matched against
 * NFC key paths, so the scan worker (which sees names on disk) and the main thread (which sees
 * journal and remote paths) always agree.
 *
 * The same code runs in both places: the scanner builds folder rules as it walks; the main
 * thread calls `ignores()`, which loads `.ossyncignore` files lazily per folder and caches them
 * for the matcher's lifetime (make one matcher per pass to see edits). A `.ossyncignore` that
 * cannot be read is reported as an issue, and everything under its folder is then treated as
 * ignored here (the scanner reports it as unknown), so nothing there is uploaded or deleted on
 * a guess.
 *
 * One difference from git remains: `ignore` also tests a path's parent folders against each
 * set of patterns, so a folder ignored by the pair's patterns and re-included by a
 * `.ossyncignore` (`!build/`) is entered, but the pair's pattern still ignores what is in it.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import nodePath from 'node:path';
import ignore from 'ignore';
import type { Ignore } from 'ignore';
import { isTempFileName } from '../fs/local-fs.js';
import { compareCollidingNames, isPlainAscii, nameToKeySegment } from './keys.js';
import type { SyncIssue } from './types.js';

export const IGNORE_FILE = '.ossyncignore';

/** Editor, OS and office junk, and our own files. Matched case-insensitively. */
export const DEFAULT_IGNORE_PATTERNS: readonly string[] = [
  '.DS_Store',
  'Thumbs.db',
  'desktop.ini',
  '~$*',
  '.~lock.*',
  '*.tmp',
  '*.swp',
  '.ossync*',
];

export interface IgnoreMatcherOptions {
  /** Absolute path of the pair's local folder. */
  root: string;
  /** The pair's patterns (gitignore syntax, relative to the root). */
  patterns: readonly string[];
  /** Told about each `.ossyncignore` that exists but cannot be read (once per folder). */
  onIssue?: (issue: SyncIssue) => void;
  /**
   * Case-insensitive matching of the pair's and `.ossyncignore` patterns. Default: true on
   * macOS and Windows, whose file systems ignore case, as git's core.ignorecase does.
   */
  ignoreCase?: boolean;
}

export interface IgnoreMatcher {
  /** `path` is pair-relative, POSIX, NFC, without a trailing '/'. */
  ignores(path: string, isDir: boolean): boolean;
}

/** The rules in force in one folder. @internal shared with the scanner */
export interface FolderRules {
  /** Key path of the folder: '' (the root) or 'a/b/'. */
  readonly path: string;
  /** Path on disk relative to the root, with the OS separator ('' for the root). */
  readonly fsPath: string;
  readonly parent: FolderRules | undefined;
  /** Its own `.ossyncignore`, if it has one. */
  readonly rules: RuleSet | undefined;
  /** The folder or one above it is ignored: so is everything in it. */
  readonly ignored: boolean;
  /** Its `.ossyncignore` (or one above) exists but could not be read: nothing here is known. */
  readonly unreadable: boolean;
}

/**
 * One set of patterns. Two costs of `ignore` matter on a walk of 100,000 paths: it caches
 * every path it was asked about (the whole tree in memory, and the cache inserts were most of
 * its time), and each test runs every rule. So a path is first checked for the literal text
 * every rule needs (the longest run of plain characters in it: `.tmp` for `*.tmp`); most paths
 * contain none and skip `ignore` entirely. That is exact, not a heuristic: a rule cannot match
 * a path without its literal, and the literals are looked for with the same regex flags
 * `ignore` uses (/i without /u when case-insensitive). Rules with brackets or escapes, or without
 * any literal (`*`), switch the shortcut off for their set. And a fresh `ignore` instance
 * (sharing the parsed rules, so cheap) replaces the old one every few thousand tests.
 */
class RuleSet {
  private current: Ignore;
  private uses = 0;

  constructor(
    private readonly parsed: Ignore,
    private readonly ignoreCase: boolean,
    /** Matches any rule's required text; undefined: no shortcut. */
    private readonly literals: RegExp | undefined,
  ) {
    this.current = this.fresh();
  }

  /** 1: ignored, -1: re-included by a negation, 0: no pattern matched. */
  test(path: string): number {
    if (this.literals !== undefined && !this.literals.test(path)) return 0;
    // Remote keys from other tools can give paths `ignore` throws a RangeError for ('/x',
    // './x', '../x', '.', '..': the pass failed on them); no pattern is about such a path.
    if (!ignore.isPathValid(path)) return 0;
    if (++this.uses > CACHE_LIMIT) {
      this.current = this.fresh();
      this.uses = 0;
    }
    const result = this.current.test(path);
    return result.ignored ? 1 : result.unignored ? -1 : 0;
  }

  private fresh(): Ignore {
    return ignore({ ignoreCase: this.ignoreCase }).add(this.parsed);
  }
}

/**
 * The text every path a pattern matches must contain, or undefined when that cannot be said
 * simply (brackets, escapes, non-ASCII, or nothing literal at all).
 */
export function requiredLiteral(pattern: string): string | undefined {
  let body = pattern.trim();
  if (body.startsWith('!')) body = body.slice(1);
  if (/[[\\]|[^\x20-\x7e]/.test(body)) return undefined;
  let best = '';
  for (const run of body.match(/[A-Za-z0-9._~$@%+=,-]+/g) ?? [])
    if (run.length > best.length) best = run;
  return best === '' ? undefined : best;
}

const CACHE_LIMIT = 4096;
/** Folders the main-thread matcher keeps; past that the cache starts over. */
const FOLDER_CACHE_LIMIT = 20_000;

function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function ruleSet(text: string | readonly string[], ignoreCase: boolean): RuleSet | undefined {
  const parsed = ignore({ ignoreCase });
  const lines: string[] = [];
  for (const chunk of typeof text === 'string' ? [text] : text) {
    const normal = isPlainAscii(chunk) ? chunk : chunk.normalize('NFC');
    parsed.add(normal);
    for (const line of normal.split(/\r?\n/)) {
      // What ignore skips: blank lines, comments and a lone '!' (a BOM may start a file).
      const rule = line.replace(/^\uFEFF/, '');
      if (rule.trim() !== '' && !rule.startsWith('#') && rule.trim() !== '!') lines.push(rule);
    }
  }
  if (lines.length === 0) return undefined;
  let literals: string[] | undefined = [];
  for (const line of lines) {
    const literal = requiredLiteral(line);
    if (literal === undefined) {
      literals = undefined;
      break;
    }
    literals.push(literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
  const shortcut = literals && new RegExp([...new Set(literals)].join('|'), ignoreCase ? 'i' : '');
  return new RuleSet(parsed, ignoreCase, shortcut);
}

export class IgnoreRules implements IgnoreMatcher {
  readonly root: string;
  private readonly ignoreCase: boolean;
  private readonly defaults: RuleSet;
  private readonly pair: RuleSet | undefined;
  private readonly onIssue: ((issue: SyncIssue) => void) | undefined;
  private readonly folders = new Map<string, FolderRules>();
  private rootRules: FolderRules | undefined;

  constructor(options: IgnoreMatcherOptions) {
    this.root = options.root;
    this.ignoreCase =
      options.ignoreCase ?? (process.platform === 'darwin' || process.platform === 'win32');
    this.defaults = ruleSet(DEFAULT_IGNORE_PATTERNS, true)!;
    this.pair = ruleSet(options.patterns, this.ignoreCase);
    this.onIssue = options.onIssue;
  }

  ignores(path: string, isDir: boolean): boolean {
    if (path === '') return false;
    const slash = path.lastIndexOf('/');
    const folder = this.folderAt(slash < 0 ? '' : path.slice(0, slash + 1));
    if (folder.ignored || folder.unreadable) return true;
    return this.matches(folder, path.slice(slash + 1), isDir);
  }

  /**
   * Whether the child `name` (NFC) of `folder` is ignored, given that `folder` itself is not.
   * @internal the scanner's per-entry test
   */
  matches(folder: FolderRules, name: string, isDir: boolean): boolean {
    // Our own partial downloads: never synced, whatever the patterns say.
    if (!isDir && isTempFileName(name)) return true;
    const tail = isDir ? `${name}/` : name;
    for (let level: FolderRules | undefined = folder; level; level = level.parent) {
      if (!level.rules) continue;
      const verdict = level.rules.test(
        level === folder ? tail : folder.path.slice(level.path.length) + tail,
      );
      if (verdict !== 0) return verdict > 0;
    }
    if (this.pair) {
      const verdict = this.pair.test(folder.path + tail);
      if (verdict !== 0) return verdict > 0;
    }
    return this.defaults.test(tail) > 0;
  }

  /**
   * The root's rules. `hasIgnoreFile`: whether the folder listing has a `.ossyncignore`
   * (undefined: not known, try to read it). @internal
   */
  rootFolder(hasIgnoreFile?: boolean): FolderRules {
    return (this.rootRules ??= this.load(undefined, '', '', hasIgnoreFile));
  }

  /**
   * The rules of the child folder `name` (NFC; `fsName` as on disk) of `parent`. `checked`:
   * the caller already knows the folder is not ignored. @internal
   */
  childFolder(
    parent: FolderRules,
    name: string,
    fsName: string,
    hasIgnoreFile?: boolean,
    checked = false,
  ): FolderRules {
    const path = `${parent.path}${name}/`;
    const fsPath = parent.fsPath === '' ? fsName : `${parent.fsPath}${nodePath.sep}${fsName}`;
    if (parent.unreadable)
      return { path, fsPath, parent, rules: undefined, ignored: false, unreadable: true };
    if (parent.ignored || (!checked && this.matches(parent, name, true)))
      return { path, fsPath, parent, rules: undefined, ignored: true, unreadable: false };
    return this.load(parent, path, fsPath, hasIgnoreFile);
  }

  private load(
    parent: FolderRules | undefined,
    path: string,
    fsPath: string,
    hasIgnoreFile: boolean | undefined,
  ): FolderRules {
    let rules: RuleSet | undefined;
    let unreadable = false;
    if (hasIgnoreFile !== false) {
      const file = nodePath.join(this.root, fsPath, IGNORE_FILE);
      try {
        rules = ruleSet(readFileSync(file, 'utf8'), this.ignoreCase);
      } catch (error) {
        const code = errnoCode(error);
        if (code !== 'ENOENT' && code !== 'ENOTDIR') {
          unreadable = true;
          this.onIssue?.(this.unreadableIssue(path, file, code ?? (error as Error).message));
        }
      }
    }
    return { path, fsPath, parent, rules, ignored: false, unreadable };
  }

  /** Tells a folder that cannot be searched (as a scan would say) from unreadable rules. */
  private unreadableIssue(path: string, file: string, why: string): SyncIssue {
    const folder = path.slice(0, -1);
    let folderDenied = false;
    try {
      lstatSync(file);
    } catch (error) {
      folderDenied = errnoCode(error) !== 'ENOENT';
    }
    const where = path === '' ? 'the top folder' : JSON.stringify(folder);
    return {
      path: folder,
      code: 'unreadable',
      message: folderDenied
        ? `Could not read the folder ${where} (${why}); it is kept as it was and tried again on the next scan.`
        : `Could not read the ignore rules ${JSON.stringify(path + IGNORE_FILE)} (${why}), so nothing in ${where} is synced until they can be read. Fix the file's permissions, or remove it.`,
    };
  }

  /** The rules of the folder with key path `path` ('' or 'a/b/'), cached. */
  private folderAt(path: string): FolderRules {
    if (path === '') return this.rootFolder();
    const cached = this.folders.get(path);
    if (cached) return cached;
    // '/' alone (a key with an empty first segment, `prefix//x`, from another tool) has no
    // parent separator: lastIndexOf(.., -1) would find its own '/' and recurse forever.
    const slash = path.length < 2 ? -1 : path.lastIndexOf('/', path.length - 2);
    const parent = this.folderAt(slash < 0 ? '' : path.slice(0, slash + 1));
    const name = path.slice(slash + 1, -1);
    const folder = this.childFolder(parent, name, this.fsName(parent, name));
    if (this.folders.size >= FOLDER_CACHE_LIMIT) this.folders.clear();
    this.folders.set(path, folder);
    return folder;
  }

  /**
   * The on-disk name of the folder whose key segment is `name`. Names can be stored in another
   * normalisation (NFD from macOS); then the folder listing says which one the scanner uses.
   */
  private fsName(parent: FolderRules, name: string): string {
    if (isPlainAscii(name) || parent.ignored || parent.unreadable) return name;
    let names: string[];
    try {
      names = readdirSync(nodePath.join(this.root, parent.fsPath));
    } catch {
      return name; // the scanner reports the folder; here it simply has no rules
    }
    let best: string | undefined;
    for (const candidate of names) {
      if (nameToKeySegment(candidate) !== name) continue;
      if (best === undefined || compareCollidingNames(candidate, best, name) < 0) best = candidate;
    }
    return best ?? name;
  }
}

export function createIgnoreMatcher(options: IgnoreMatcherOptions): IgnoreMatcher {
  return new IgnoreRules(options);
}
