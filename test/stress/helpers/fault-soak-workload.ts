import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type OSS from 'ali-oss';
import { KiB, oracleCrc64, randomBytesFor } from '../../helpers/engine.js';
import { mulberry32 } from '../../helpers/random.js';

/**
 * The fault soak's workload: rounds of changes, the same for every run with the same seed
 * (so a fault-free run and a faulted run do the same work), and the state every side must
 * reach after each round.
 *
 * Sync is one-way (main/core/sync/planner.ts: the local side wins, nothing is downloaded),
 * so the remote side changes in the ways that matters for it: a synced object overwritten
 * by someone else (kept under .ossync-conflicts/, the local file uploaded again), a synced
 * object deleted by someone else (uploaded again), objects the pair never synced (left
 * alone). Downloads go through the same engine as a user's downloads from the Browser:
 * objects under DOWNLOADS_PREFIX, outside the pair, fetched into a download folder.
 *
 * Round 0 fills the folder (small files and files big enough for multipart). Every later
 * round edits, creates, renames and deletes local files (and every third round a folder),
 * and changes the remote side; never the same path on both sides in one round.
 */

export const DOWNLOADS_PREFIX = 'downloads/';

export interface FileState {
  size: number;
  crc: string;
}

export interface SoakSizes {
  /** Files of round 0 in the folder. */
  smallFiles: number;
  bigFiles: number;
  /** Objects of round 0 under the prefix. */
  remoteObjects: number;
  /** Size of a big file (multipart above the engine's threshold). */
  bigSize: number;
}

export class SoakWorkload {
  /** path -> what the folder and the pair's prefix hold once the pair converged. */
  readonly expected = new Map<string, FileState>();
  /** path under the pair's prefix -> objects the pair never synced (left alone). */
  readonly remoteOnly = new Map<string, FileState>();
  /** key under DOWNLOADS_PREFIX -> its content (downloaded into the download folder). */
  readonly downloads = new Map<string, FileState>();
  private readonly random: () => number;
  private serial = 0;

  constructor(
    private readonly seed: number,
    private readonly sizes: SoakSizes,
  ) {
    this.random = mulberry32(seed);
  }

  /**
   * Applies round `round`: local changes under `root`, remote ones under `prefix` and
   * DOWNLOADS_PREFIX with `client`. Returns the download keys of this round.
   */
  async apply(round: number, root: string, client: OSS, prefix: string): Promise<string[]> {
    const fetch: string[] = [];
    const download = async (rel: string, size: number): Promise<void> => {
      const data = this.content(size);
      await client.put(DOWNLOADS_PREFIX + prefix + rel, data);
      this.downloads.set(DOWNLOADS_PREFIX + prefix + rel, { size, crc: oracleCrc64(data) });
      fetch.push(DOWNLOADS_PREFIX + prefix + rel);
    };
    if (round === 0) {
      for (let i = 0; i < this.sizes.smallFiles; i++)
        this.writeLocal(root, `d${i % 4}/s${i}.bin`, this.smallSize());
      for (let i = 0; i < this.sizes.bigFiles; i++)
        this.writeLocal(root, `big/b${i}.bin`, this.sizes.bigSize + i * 7919);
      for (let i = 0; i < this.sizes.remoteObjects; i++) {
        await this.putRemoteOnly(client, prefix, `remote/r${i}.bin`, this.smallSize());
        await download(`r${i}.bin`, this.smallSize());
      }
      // One download big enough to be cut mid-body by a reset or slowed by the cap.
      await download('big.bin', this.sizes.bigSize);
      return fetch;
    }
    const touched = new Set<string>();
    const pick = (filter: (p: string) => boolean): string | undefined => {
      const candidates = [...this.expected.keys()].filter((p) => !touched.has(p) && filter(p));
      if (candidates.length === 0) return undefined;
      const chosen = candidates[Math.floor(this.random() * candidates.length)] as string;
      touched.add(chosen);
      return chosen;
    };
    const small = (p: string): boolean => !p.startsWith('big/');
    // Local: 3 edits, 4 new files, a new big file every other round, 2 deletes, 1 rename.
    for (let i = 0; i < 3; i++) {
      const p = pick(small);
      if (p !== undefined) this.writeLocal(root, p, this.smallSize());
    }
    for (let i = 0; i < 4; i++) {
      const p = `n${round}/f${i}.bin`;
      touched.add(p);
      this.writeLocal(root, p, this.smallSize());
    }
    if (round % 2 === 1) {
      const p = `big/r${round}.bin`;
      touched.add(p);
      this.writeLocal(root, p, this.sizes.bigSize + round * 4093);
    }
    for (let i = 0; i < 2; i++) {
      const p = pick(small);
      if (p === undefined) continue;
      rmSync(path.join(root, p));
      this.expected.delete(p);
    }
    const moved = pick(small);
    if (moved !== undefined) {
      const to = `moved/r${round}-${path.posix.basename(moved)}`;
      touched.add(to);
      mkdirSync(path.join(root, 'moved'), { recursive: true });
      renameSync(path.join(root, moved), path.join(root, to));
      this.expected.set(to, this.expected.get(moved) as FileState);
      this.expected.delete(moved);
    }
    if (round % 3 === 0) {
      // A whole folder of the previous round's new files moves (untouched this round).
      const from = `n${round - 1}`;
      const inside = [...this.expected.keys()].filter((p) => p.startsWith(`${from}/`));
      if (inside.length > 0 && inside.every((p) => !touched.has(p))) {
        const to = `renamed-${from}`;
        renameSync(path.join(root, from), path.join(root, to));
        for (const p of inside) {
          const target = `${to}/${p.slice(from.length + 1)}`;
          touched.add(p);
          touched.add(target);
          this.expected.set(target, this.expected.get(p) as FileState);
          this.expected.delete(p);
        }
      }
    }
    // Remote, by someone else: a synced object overwritten, one deleted (the local file wins
    // both times), two objects the pair never synced; and two objects to download.
    const overwritten = pick(small);
    if (overwritten !== undefined)
      await client.put(prefix + overwritten, this.content(this.smallSize()));
    const deleted = pick(small);
    if (deleted !== undefined) await client.delete(prefix + deleted);
    for (let i = 0; i < 2; i++)
      await this.putRemoteOnly(client, prefix, `remote/n${round}-${i}.bin`, this.smallSize());
    for (let i = 0; i < 2; i++) await download(`n${round}-${i}.bin`, this.smallSize());
    return fetch;
  }

  private smallSize(): number {
    // Some empty files, most of a few KiB, a few up to 96 KiB.
    const r = this.random();
    if (r < 0.05) return 0;
    if (r < 0.85) return Math.floor(this.random() * 16 * KiB);
    return Math.floor(this.random() * 96 * KiB);
  }

  private content(size: number): Buffer {
    return randomBytesFor(`${this.seed}-${this.serial++}`, size);
  }

  private writeLocal(root: string, rel: string, size: number): void {
    const data = this.content(size);
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
    this.expected.set(rel, { size, crc: oracleCrc64(data) });
  }

  private async putRemoteOnly(
    client: OSS,
    prefix: string,
    rel: string,
    size: number,
  ): Promise<void> {
    const data = this.content(size);
    await client.put(prefix + rel, data);
    this.remoteOnly.set(rel, { size, crc: oracleCrc64(data) });
  }
}
