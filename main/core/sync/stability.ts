/**
 * Decides whether a changed file may be uploaded now. A file still being written (copied
 * in, downloaded, saved by an editor) must upload once, complete, not once per chunk: so a
 * file is uploaded only after its (size, mtime) have stayed the same for a window.
 *
 * Stable means either
 * - its mtime is older than now - window (nobody has written it for that long), or
 * - the same (size, mtime) was first observed at least a window ago. This covers mtimes in
 *   the future (clock skew, a network share's clock) and coarse mtimes, where the mtime
 *   alone would keep the file unstable forever or say nothing.
 * Otherwise the caller defers the file and asks again at the time `check` returns.
 *
 * Memory stays bounded: an entry is dropped once its file is stable, once it was not asked
 * about for `forgetAfterMs`, and the oldest go past `maxEntries`. Forgetting only restarts
 * a file's window; it never lets an unstable file through.
 */

export interface StabilityGateOptions {
  /** How long (size, mtime) must stay unchanged; default 1,000 ms. */
  windowMs?: number;
  /** Drop an entry not asked about for this long; default max(60 s, 10 windows). */
  forgetAfterMs?: number;
  /** At most this many entries (oldest dropped first); default 100,000. */
  maxEntries?: number;
  /** Wall-clock ms (it is compared with file mtimes); default Date.now. */
  now?: () => number;
}

interface Observation {
  size: number;
  mtimeNs: bigint;
  /** When this (size, mtime) was first seen. */
  firstSeen: number;
  /** When the path was last asked about (the map is kept in this order). */
  lastSeen: number;
}

const NS_PER_MS = 1_000_000n;

export class StabilityGate {
  readonly #windowMs: number;
  readonly #forgetAfterMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** Insertion order is lastSeen order: every check moves its entry to the end. */
  readonly #seen = new Map<string, Observation>();

  constructor(options: StabilityGateOptions = {}) {
    this.#windowMs = options.windowMs ?? 1000;
    if (!Number.isFinite(this.#windowMs) || this.#windowMs < 0)
      throw new RangeError(`windowMs must be >= 0, got ${options.windowMs}`);
    this.#forgetAfterMs = options.forgetAfterMs ?? Math.max(60_000, 10 * this.#windowMs);
    this.#maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1)
      throw new RangeError(`maxEntries must be an integer >= 1, got ${options.maxEntries}`);
    this.#now = options.now ?? Date.now;
  }

  get windowMs(): number {
    return this.#windowMs;
  }

  /** Number of files being tracked (deferred and not yet forgotten). */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * May `path`, seen now with this size and mtime, be uploaded? undefined: yes, it is
   * stable; a number: not yet, ask again at that time (same clock as `now`).
   */
  check(path: string, size: number, mtimeNs: bigint): number | undefined {
    const now = this.#now();
    this.#forgetStale(now);
    // Whole milliseconds, like the clock (a sub-ms remainder changes nothing that matters).
    const mtimeMs = Number(mtimeNs / NS_PER_MS);
    if (mtimeMs <= now - this.#windowMs) {
      this.#seen.delete(path);
      return undefined;
    }
    const previous = this.#seen.get(path);
    this.#seen.delete(path); // re-inserted at the end below, keeping lastSeen order
    let firstSeen = now;
    if (
      previous !== undefined &&
      previous.size === size &&
      previous.mtimeNs === mtimeNs &&
      previous.firstSeen <= now // else the clock went back: restart rather than wait it out
    ) {
      firstSeen = previous.firstSeen;
      if (now - firstSeen >= this.#windowMs) return undefined;
    }
    this.#seen.set(path, { size, mtimeNs, firstSeen, lastSeen: now });
    if (this.#seen.size > this.#maxEntries) this.#dropOldest();
    // Whichever rule will say stable first, if nothing changes meanwhile.
    return Math.min(firstSeen + this.#windowMs, mtimeMs + this.#windowMs);
  }

  /** Forgets a path (deleted, uploaded by other means, or no longer in scope). */
  forget(path: string): void {
    this.#seen.delete(path);
  }

  clear(): void {
    this.#seen.clear();
  }

  #forgetStale(now: number): void {
    for (const [path, entry] of this.#seen) {
      if (entry.lastSeen > now - this.#forgetAfterMs) break; // the rest are newer
      this.#seen.delete(path);
    }
  }

  #dropOldest(): void {
    const oldest = this.#seen.keys().next();
    if (oldest.done !== true) this.#seen.delete(oldest.value);
  }
}
