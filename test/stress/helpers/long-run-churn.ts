import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { KiB, randomBytesFor } from '../../helpers/engine.js';
import { mulberry32 } from '../../helpers/random.js';

/**
 * The long run's change script: seeded steps that create, edit (rewrite or append), rename
 * and delete files, and create, rename and delete folders, in a watched folder, the way
 * people and programs do. The folder on disk is the truth: the test compares the bucket
 * with it at the end. The tree stays around `targetFiles` files (deletes win above it).
 *
 * The delete guard holds a pair's deletions for confirmation once those of the last 10
 * minutes exceed half of its synced files (removed ones included), and a pair holding
 * deletions syncs nothing else. So the script deletes less than the tree holds within any
 * 10 minutes; a script that keeps deleting more than that would (rightly or not: see the
 * fault soak / long run report) stop the pair.
 */
export class Churn {
  readonly counts: Record<string, number> = {};
  /** Every change made, in order (for a failure's report). */
  readonly log: string[] = [];
  private readonly random: () => number;
  private serial = 0;

  constructor(
    private readonly root: string,
    seed: number,
    private readonly targetFiles: number,
  ) {
    this.random = mulberry32(seed);
  }

  /** One change. */
  step(): void {
    const files = this.files();
    const dirs = this.dirs();
    const r = this.random();
    const crowded = files.length > this.targetFiles;
    let kind: string;
    // Deletions stay well below the delete guard's share (half of the synced files within
    // 10 minutes): about 14 % of the changes remove something, 35 % create.
    if (files.length === 0 || r < (crowded ? 0.15 : 0.35)) kind = this.create(dirs);
    else if (r < 0.6) kind = this.edit(this.one(files));
    else if (r < 0.75) kind = this.renameFile(this.one(files), dirs);
    else if (r < (crowded ? 0.97 : 0.87)) kind = this.remove(this.one(files));
    else if (r < 0.94) kind = this.mkdir(dirs);
    else if (r < 0.985) kind = this.renameDir(dirs);
    else kind = this.removeDir(dirs);
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  private one<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  private size(): number {
    const r = this.random();
    if (r < 0.05) return 0;
    if (r < 0.97) return Math.floor(this.random() * 24 * KiB);
    return 200 * KiB + Math.floor(this.random() * 200 * KiB);
  }

  private content(size: number): Buffer {
    return randomBytesFor(`long-run-${this.serial++}`, size);
  }

  private name(ext = '.bin'): string {
    return `f${this.serial}-${Math.floor(this.random() * 1e6).toString(36)}${ext}`;
  }

  private create(dirs: string[]): string {
    const dir = this.one(['', ...dirs]);
    const file = path.posix.join(dir, this.name());
    writeFileSync(path.join(this.root, file), this.content(this.size()));
    this.log.push(`create ${file}`);
    return 'create';
  }

  private edit(file: string): string {
    const full = path.join(this.root, file);
    if (this.random() < 0.3) {
      appendFileSync(full, this.content(1 + Math.floor(this.random() * 4 * KiB)));
      this.log.push(`append ${file}`);
      return 'append';
    }
    writeFileSync(full, this.content(this.size()));
    this.log.push(`rewrite ${file}`);
    return 'rewrite';
  }

  private renameFile(file: string, dirs: string[]): string {
    const dir = this.random() < 0.5 ? path.dirname(file) : this.one(['', ...dirs]);
    const to = path.posix.join(dir, this.name());
    renameSync(path.join(this.root, file), path.join(this.root, to));
    this.log.push(`rename ${file} -> ${to}`);
    return 'rename';
  }

  private remove(file: string): string {
    rmSync(path.join(this.root, file));
    this.log.push(`delete ${file}`);
    return 'delete';
  }

  private mkdir(dirs: string[]): string {
    // New folders at most three deep, each with a first file (an empty one syncs nothing).
    const parents = ['', ...dirs].filter((d) => d.split('/').length < 3);
    const dir = path.posix.join(this.one(parents), `d${this.serial++}`);
    const file = path.posix.join(dir, this.name());
    mkdirSync(path.join(this.root, dir), { recursive: true });
    writeFileSync(path.join(this.root, file), this.content(this.size()));
    this.log.push(`mkdir ${dir}, create ${file}`);
    return 'mkdir';
  }

  /** Renames a folder of at most 20 files (a rename is a delete and a create to the watcher). */
  private renameDir(dirs: string[]): string {
    const small = dirs.filter((d) => this.filesUnder(d) <= 20);
    if (small.length === 0) return this.mkdir(dirs);
    const dir = this.one(small);
    const to = path.posix.join(path.posix.dirname(dir), `d${this.serial++}-renamed`);
    renameSync(path.join(this.root, dir), path.join(this.root, to));
    this.log.push(`rename-dir ${dir} -> ${to}`);
    return 'rename-dir';
  }

  /** Deletes a folder of at most 5 files. */
  private removeDir(dirs: string[]): string {
    const small = dirs.filter((d) => this.filesUnder(d) <= 5);
    if (small.length === 0) return this.create(dirs);
    const dir = this.one(small);
    rmSync(path.join(this.root, dir), { recursive: true });
    this.log.push(`delete-dir ${dir}`);
    return 'delete-dir';
  }

  private filesUnder(dir: string): number {
    return this.files(dir).length;
  }

  /** Files under `dir` (relative to the root, '/'-separated). */
  files(dir = ''): string[] {
    const out: string[] = [];
    const walk = (rel: string): void => {
      const full = path.join(this.root, rel);
      if (!existsSync(full)) return;
      for (const entry of readdirSync(full, { withFileTypes: true })) {
        const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory()) walk(child);
        else if (entry.isFile()) out.push(child);
      }
    };
    walk(dir);
    return out;
  }

  private dirs(): string[] {
    const out: string[] = [];
    const walk = (rel: string): void => {
      for (const entry of readdirSync(path.join(this.root, rel), { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
        out.push(child);
        walk(child);
      }
    };
    walk('');
    return out;
  }
}

/** What a process's descriptors point at, counted by kind (socket, pipe, anon_inode:..., or the file). */
export function describeFds(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const kind = target.replace(/:\[\d+\]$/, '');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/** RSS (bytes) and open file descriptors of a process, from /proc. */
export function sampleProcess(pid: number): { rss: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return {
    rss: Number(match?.[1] ?? NaN) * 1024,
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}
