/**
 * Collects the paths the watcher reported and hands them to the rescan in batches.
 *
 * A dirty path is a scope: the path and, if it is a folder, its whole subtree. So a path
 * under a dirty folder is already covered, and a folder with many dirty entries can stand
 * for all of them. Watcher events are only hints: the scan of a scope decides what changed.
 *
 * Batching: a flush happens `debounceMs` after the last event, but never later than
 * `maxDelayMs` after the first one, so a steady trickle of events cannot starve the rescan.
 *
 * Collapsing keeps batches and memory bounded: when more than `collapseThreshold` entries
 * directly inside one folder are dirty (files, or subfolders holding dirty paths), the
 * folder replaces them. Direct entries, not all descendants, are counted, so the rescan of
 * the collapsed folder costs about what its own listing costs, not a whole unrelated
 * subtree. Past `maxPaths` scopes in all, the whole tree ('') is rescanned instead.
 */

export interface DirtyPathsOptions {
  /** Called with the batch (sorted scope paths) when the debounce fires; not when empty. */
  onFlush?: (scopes: string[]) => void;
  /** Quiet time after the last event before a flush; default 100 ms. */
  debounceMs?: number;
  /** Longest wait after the first event of a batch; default 1,000 ms. */
  maxDelayMs?: number;
  /** More dirty entries than this inside one folder collapse to the folder; default 256. */
  collapseThreshold?: number;
  /** More scopes than this in all collapse to the whole tree; default 10,000. */
  maxPaths?: number;
  now?: () => number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

interface TrieNode {
  /** This path is a scope: it and everything under it must be rescanned. */
  dirty: boolean;
  /** Entries below holding scopes; undefined once the node is dirty (they are covered). */
  children: Map<string, TrieNode> | undefined;
}

const newNode = (): TrieNode => ({ dirty: false, children: undefined });

export class DirtyPaths {
  readonly #onFlush: ((scopes: string[]) => void) | undefined;
  readonly #debounceMs: number;
  readonly #maxDelayMs: number;
  readonly #threshold: number;
  readonly #maxPaths: number;
  readonly #now: () => number;
  readonly #setTimer: (callback: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  #root: TrieNode = newNode();
  #count = 0;
  #firstAt: number | undefined;
  #timer: unknown = undefined;
  #closed = false;

  constructor(options: DirtyPathsOptions = {}) {
    this.#onFlush = options.onFlush;
    this.#debounceMs = nonNegative('debounceMs', options.debounceMs ?? 100);
    this.#maxDelayMs = nonNegative('maxDelayMs', options.maxDelayMs ?? 1000);
    this.#threshold = positiveInteger('collapseThreshold', options.collapseThreshold ?? 256);
    this.#maxPaths = positiveInteger('maxPaths', options.maxPaths ?? 10_000);
    this.#now = options.now ?? Date.now;
    this.#setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.#clearTimer =
      options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  /** Number of scopes waiting (after de-duplication and collapsing). */
  get size(): number {
    return this.#count;
  }

  /** Marks pair-relative paths dirty ('' is the whole tree) and (re)arms the flush timer. */
  add(paths: Iterable<string>): void {
    if (this.#closed) return;
    let any = false;
    for (const path of paths) {
      any = true;
      this.#addOne(path);
    }
    if (this.#count > this.#maxPaths) this.#collapse(this.#root);
    // Even a covered path is activity: the batch waits for quiet, within maxDelayMs.
    if (any) this.#schedule();
  }

  /** Takes the pending scopes now (sorted, none inside another) and cancels the timer. */
  flush(): string[] {
    this.#cancelTimer();
    this.#firstAt = undefined;
    const scopes: string[] = [];
    collect(this.#root, '', scopes);
    this.#root = newNode();
    this.#count = 0;
    return scopes.sort(compareCodePoints);
  }

  /** Drops pending scopes and stops the timer; later adds are ignored. */
  close(): void {
    this.#closed = true;
    this.flush();
  }

  #addOne(path: string): void {
    let node = this.#root;
    if (node.dirty) return;
    for (const segment of path.split('/')) {
      if (segment === '') continue; // tolerate '', leading, trailing or doubled slashes
      let children = node.children;
      if (children === undefined) node.children = children = new Map();
      let child = children.get(segment);
      if (child === undefined) {
        child = newNode();
        children.set(segment, child);
        if (children.size > this.#threshold) {
          // The new node is dropped with its siblings: the folder covers them all.
          this.#collapse(node);
          return;
        }
      } else if (child.dirty) {
        return; // covered by a dirty folder (or already dirty itself)
      }
      node = child;
    }
    this.#collapse(node);
  }

  /** Makes `node` a scope in place of every scope below it. */
  #collapse(node: TrieNode): void {
    if (node.dirty) return;
    this.#count -= countScopes(node);
    node.dirty = true;
    node.children = undefined;
    this.#count += 1;
  }

  #schedule(): void {
    const now = this.#now();
    this.#firstAt ??= now;
    const at = Math.min(now + this.#debounceMs, this.#firstAt + this.#maxDelayMs);
    this.#cancelTimer();
    this.#timer = this.#setTimer(
      () => {
        this.#timer = undefined;
        const scopes = this.flush();
        if (scopes.length > 0) this.#onFlush?.(scopes);
      },
      Math.max(0, at - now),
    );
  }

  #cancelTimer(): void {
    if (this.#timer === undefined) return;
    this.#clearTimer(this.#timer);
    this.#timer = undefined;
  }
}

function countScopes(node: TrieNode): number {
  if (node.dirty) return 1;
  let count = 0;
  if (node.children !== undefined)
    for (const child of node.children.values()) count += countScopes(child);
  return count;
}

function collect(node: TrieNode, path: string, out: string[]): void {
  if (node.dirty) {
    out.push(path);
    return;
  }
  if (node.children === undefined) return;
  for (const [name, child] of node.children)
    collect(child, path === '' ? name : `${path}/${name}`, out);
}

/**
 * Code point order, which is UTF-8 byte order: the order of the journal and of OSS
 * listings (plain `<` on strings compares UTF-16 units and differs past U+FFFF).
 */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (a code point past U+FFFF) sorts after every other BMP unit.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${name} must be >= 0, got ${value}`);
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
  return value;
}
