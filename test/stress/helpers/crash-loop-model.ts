import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { KiB, oracleCrc64, randomBytesFor } from '../../helpers/engine.js';

/**
 * The crash-loop suite's own model of the folder: every change the test makes goes through
 * here, so the test knows, independently of the app, what the folder holds (each file's size
 * and CRC64) and every version each path ever had (to judge what lands in the trash).
 * Everything is drawn from one seeded generator, so a seed replays the same changes.
 */

export interface ModelFile {
  size: number;
  crc64: string;
}

export interface ModelSizes {
  /** Small files are 0 to 96 KiB (under the multipart threshold the suite sets). */
  smallFiles: number;
  folders: number;
  multipartFiles: number;
  /** Multipart files are this many bytes or more. */
  multipartMin: number;
  multipartMax: number;
}

/** A change the test made, for the failure messages (the last ones are printed). */
export type ChangeLog = string[];

export class FolderModel {
  readonly files = new Map<string, ModelFile>();
  /** Folders the test created (and still has), relative, without a trailing slash. */
  readonly folders = new Set<string>();
  /** Every CRC64 each path ever had: what a trash entry of that path may hold. */
  readonly versions = new Map<string, Set<string>>();
  readonly log: ChangeLog = [];
  /** Files deleted or moved away so far (the delete guard's side of the budget). */
  removals = 0;
  private written = 0;
  private named = 0;

  constructor(
    readonly root: string,
    private readonly random: () => number,
    private readonly seed: number,
    private readonly sizes: ModelSizes,
  ) {}

  private int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[Math.floor(this.random() * items.length)];
  }

  private abs(rel: string): string {
    return path.join(this.root, ...rel.split('/'));
  }

  private smallSize(): number {
    const roll = this.random();
    if (roll < 0.6) return this.int(0, 2 * KiB);
    if (roll < 0.95) return this.int(2 * KiB, 64 * KiB);
    return this.int(64 * KiB, 96 * KiB);
  }

  private bigSize(): number {
    return this.int(this.sizes.multipartMin, this.sizes.multipartMax);
  }

  private content(size: number): Buffer {
    return randomBytesFor(`crash-loop-${this.seed}-${this.written++}`, size);
  }

  private record(rel: string, data: Buffer): void {
    const crc64 = oracleCrc64(data);
    this.files.set(rel, { size: data.length, crc64 });
    let seen = this.versions.get(rel);
    if (seen === undefined) this.versions.set(rel, (seen = new Set()));
    seen.add(crc64);
  }

  private ensureFolder(rel: string): void {
    if (rel === '' || this.folders.has(rel)) return;
    this.ensureFolder(parentOf(rel));
    mkdirSync(this.abs(rel), { recursive: true });
    this.folders.add(rel);
  }

  private write(rel: string, size: number): void {
    this.ensureFolder(parentOf(rel));
    const data = this.content(size);
    writeFileSync(this.abs(rel), data);
    this.record(rel, data);
  }

  private newName(ext: string): string {
    const names = ['f', 'notes ', 'é-ü ', '文件-', 'x.y.'];
    return `${names[this.named % names.length]}${(this.named++).toString(36)}${ext}`;
  }

  private smallPaths(): string[] {
    return [...this.files].filter(([, file]) => file.size < 100 * KiB).map(([rel]) => rel);
  }

  private bigPaths(): string[] {
    return [...this.files].filter(([, file]) => file.size >= 100 * KiB).map(([rel]) => rel);
  }

  /** A folder the test made, or (one time in ten) the root. */
  private randomFolder(): string {
    if (this.random() < 0.1) return '';
    return this.pick([...this.folders]) ?? '';
  }

  /** The initial tree: folders (some nested), small files spread over them, multipart files. */
  populate(): void {
    const { folders, smallFiles, multipartFiles } = this.sizes;
    for (let k = 0; k < folders; k++) {
      const parent = k >= 4 && this.random() < 0.3 ? this.randomFolder() : '';
      this.ensureFolder(join(parent, `d${k.toString().padStart(2, '0')}`));
    }
    for (let k = 0; k < smallFiles; k++)
      this.write(join(this.randomFolder(), this.newName('.txt')), this.smallSize());
    for (let k = 0; k < multipartFiles; k++)
      this.write(join(this.randomFolder(), this.newName('.bin')), this.bigSize());
    this.log.push(
      `populated ${this.files.size} files (${multipartFiles} multipart) in ${this.folders.size} folders`,
    );
  }

  /** Files under `folder` (its subfolders included). */
  private filesUnder(folder: string): string[] {
    return [...this.files.keys()].filter((rel) => rel.startsWith(`${folder}/`));
  }

  /**
   * One batch of `count` changes. `removalAllowance` caps the files deleted or moved away in
   * it (the delete guard asks before deleting more than half of the pair's synced files: the
   * test stays well under that so the pair never waits for a confirmation nobody gives).
   */
  changeBatch(count: number, removalAllowance: number): string[] {
    const done: string[] = [];
    let allowance = removalAllowance;
    const take = (n: number): boolean => {
      if (n > allowance) return false;
      allowance -= n;
      this.removals += n;
      return true;
    };
    for (let k = 0; k < count; k++) {
      const roll = this.random();
      let change: string | undefined;
      if (roll < 0.25) change = this.create();
      else if (roll < 0.45) change = this.edit();
      else if (roll < 0.52) change = this.saveViaTemp();
      else if (roll < 0.64) change = take(1) ? this.deleteFile() : this.create();
      else if (roll < 0.8) change = take(1) ? this.renameFile() : this.edit();
      else if (roll < 0.86) change = this.burst();
      else if (roll < 0.91) change = this.bigChange(take);
      else if (roll < 0.96) change = this.renameFolder(take);
      else change = this.deleteFolder(take);
      if (change !== undefined) done.push(change);
    }
    this.log.push(...done);
    return done;
  }

  private create(): string {
    const rel = join(this.randomFolder(), this.newName('.txt'));
    this.write(rel, this.smallSize());
    return `create ${rel}`;
  }

  /** Rewrites a small file (new size and bytes), or appends to it. */
  private edit(): string | undefined {
    const rel = this.pick(this.smallPaths());
    if (rel === undefined) return this.create();
    if (this.random() < 0.3) {
      const extra = this.content(this.int(1, 4 * KiB));
      // The model keeps bytes only as CRC64s: the bytes before the append come from the file.
      const before = this.readBack(rel, (this.files.get(rel) as ModelFile).size);
      appendFileSync(this.abs(rel), extra);
      this.record(rel, Buffer.concat([before, extra]));
      return `append ${extra.length} B to ${rel}`;
    }
    this.write(rel, this.smallSize());
    return `rewrite ${rel}`;
  }

  private readBack(rel: string, size: number): Buffer {
    // Read through fs: the model's CRC64 of the current bytes was computed from this content.
    const data = readFileSync(this.abs(rel));
    if (data.length !== size)
      throw new Error(`model: ${rel} is ${data.length} B, expected ${size}`);
    return data;
  }

  /** An editor's save: write `name.tmp` (ignored by the pair), then rename it over the file. */
  private saveViaTemp(): string | undefined {
    const rel = this.pick([...this.files.keys()]);
    if (rel === undefined) return this.create();
    const big = (this.files.get(rel) as ModelFile).size >= 100 * KiB;
    const data = this.content(big ? this.bigSize() : this.smallSize());
    const temp = `${this.abs(rel)}.tmp`;
    writeFileSync(temp, data);
    renameSync(temp, this.abs(rel));
    this.record(rel, data);
    return `save ${rel} through a .tmp file`;
  }

  private deleteFile(): string | undefined {
    const rel = this.pick([...this.files.keys()]);
    if (rel === undefined) return undefined;
    unlinkSync(this.abs(rel));
    this.files.delete(rel);
    return `delete ${rel}`;
  }

  private renameFile(): string | undefined {
    const rel = this.pick([...this.files.keys()]);
    if (rel === undefined) return undefined;
    const folder = this.random() < 0.5 ? parentOf(rel) : this.randomFolder();
    const to = join(folder, this.newName(path.posix.extname(rel)));
    renameSync(this.abs(rel), this.abs(to));
    this.moveEntry(rel, to);
    return `rename ${rel} -> ${to}`;
  }

  private moveEntry(from: string, to: string): void {
    const file = this.files.get(from) as ModelFile;
    this.files.delete(from);
    this.files.set(to, file);
    let seen = this.versions.get(to);
    if (seen === undefined) this.versions.set(to, (seen = new Set()));
    seen.add(file.crc64);
  }

  /** Twenty new small files at once: keeps the queue busy in later rounds. */
  private burst(): string {
    const folder = join(this.randomFolder(), `b${(this.named++).toString(36)}`);
    for (let k = 0; k < 20; k++) this.write(join(folder, this.newName('.txt')), this.smallSize());
    return `create 20 files in ${folder}`;
  }

  /** A multipart file: a new one, a rewrite, or a rename. */
  private bigChange(take: (n: number) => boolean): string | undefined {
    const rel = this.pick(this.bigPaths());
    const roll = this.random();
    if (rel === undefined || roll < 0.3) {
      const to = join(this.randomFolder(), this.newName('.bin'));
      this.write(to, this.bigSize());
      return `create multipart ${to}`;
    }
    if (roll < 0.7 || !take(1)) {
      this.write(rel, this.bigSize());
      return `rewrite multipart ${rel}`;
    }
    const to = join(parentOf(rel), this.newName('.bin'));
    renameSync(this.abs(rel), this.abs(to));
    this.moveEntry(rel, to);
    return `rename multipart ${rel} -> ${to}`;
  }

  private smallFolders(max: number): string[] {
    return [...this.folders].filter((folder) => this.filesUnder(folder).length <= max);
  }

  private renameFolder(take: (n: number) => boolean): string | undefined {
    const folder = this.pick(this.smallFolders(30));
    if (folder === undefined || !take(this.filesUnder(folder).length)) return undefined;
    const to = `${folder}-r${(this.named++).toString(36)}`;
    renameSync(this.abs(folder), this.abs(to));
    for (const rel of this.filesUnder(folder)) this.moveEntry(rel, to + rel.slice(folder.length));
    for (const sub of [...this.folders])
      if (sub === folder || sub.startsWith(`${folder}/`)) {
        this.folders.delete(sub);
        this.folders.add(to + sub.slice(folder.length));
      }
    return `rename folder ${folder} -> ${to}`;
  }

  private deleteFolder(take: (n: number) => boolean): string | undefined {
    const folder = this.pick(this.smallFolders(15));
    if (folder === undefined || !take(this.filesUnder(folder).length)) return undefined;
    rmSync(this.abs(folder), { recursive: true });
    for (const rel of this.filesUnder(folder)) this.files.delete(rel);
    for (const sub of [...this.folders])
      if (sub === folder || sub.startsWith(`${folder}/`)) this.folders.delete(sub);
    return `delete folder ${folder}`;
  }

  /** The folder as snapshotTree lists it: folders with a trailing slash, files, sorted. */
  entries(): string[] {
    return [...[...this.folders].map((folder) => `${folder}/`), ...this.files.keys()].sort();
  }
}

/** `folder/name`, or `name` in the root. */
function join(folder: string, name: string): string {
  return folder === '' || folder === '.' ? name : `${folder}/${name}`;
}

function parentOf(rel: string): string {
  const parent = path.posix.dirname(rel);
  return parent === '.' ? '' : parent;
}
