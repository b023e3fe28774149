/**
 * Generated folder trees for scanner and sync tests and benchmarks: `files` files spread evenly
 * over `folders` nested folders (fan-out 10 by default, so 10,000 folders are 4 levels deep),
 * written with sync calls because that is the fastest way to make 100,000 small files here.
 * Names are deterministic; about one in 25 folders and 3 in 50 files have non-ASCII (NFC) names
 * (accents, CJK, an emoji), so key order and NFC handling are exercised by every tree.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from './random.js';

export interface TreeSpec {
  files: number;
  folders: number;
  /** Size of each file; default 64. Contents are pseudo-random (from `seed`), mostly distinct. */
  bytes?: number;
  /** Seed of the contents; default 1. Names do not depend on it. */
  seed?: number;
  /** Subfolders per folder; default 10. */
  fanout?: number;
  /** Return every file's pair-relative path (POSIX, NFC), in creation order. */
  listPaths?: boolean;
}

export interface TreeInfo {
  files: number;
  folders: number;
  /** Total file bytes. */
  bytes: number;
  /** Only with `listPaths`. */
  paths: string[];
}

/** Folder `k` (0-based); its parent is folder `floor(k / fanout) - 1`, or the root. */
export function treeFolderName(k: number): string {
  return k % 25 === 7 ? `dossier-é${k}` : `d${k}`;
}

export function treeFileName(j: number): string {
  switch (j % 50) {
    case 3:
      return `ü${j}.txt`;
    case 17:
      return `日本${j}.dat`;
    case 29:
      return `😀${j}.bin`;
    default:
      return `f${j}.txt`;
  }
}

export function makeTree(root: string, spec: TreeSpec): TreeInfo {
  const { files, folders } = spec;
  const bytes = spec.bytes ?? 64;
  const fanout = spec.fanout ?? 10;
  if (!Number.isInteger(files) || files < 0) throw new RangeError(`files: ${files}`);
  if (!Number.isInteger(folders) || folders < 0) throw new RangeError(`folders: ${folders}`);
  if (!Number.isInteger(fanout) || fanout < 1) throw new RangeError(`fanout: ${fanout}`);

  mkdirSync(root, { recursive: true });
  // Pair-relative path of each folder ('' is the root), kept only as long as children need it.
  const rel: string[] = new Array<string>(folders);
  for (let k = 0; k < folders; k++) {
    const parent = Math.floor(k / fanout) - 1;
    rel[k] = (parent < 0 ? '' : `${rel[parent]}/`) + treeFolderName(k);
    mkdirSync(path.join(root, rel[k]!));
  }

  // One shared pool of random bytes; each file takes a window at a different offset.
  const random = mulberry32(spec.seed ?? 1);
  const pool = Buffer.alloc(bytes + 4096);
  for (let k = 0; k < pool.length; k++) pool[k] = Math.floor(random() * 256);

  const paths: string[] = [];
  for (let j = 0; j < files; j++) {
    const slot = j % (folders + 1); // 0 is the root
    const dir = slot === 0 ? '' : `${rel[slot - 1]}/`;
    const file = dir + treeFileName(j);
    const offset = (j * 7919) % 4096;
    writeFileSync(path.join(root, file), pool.subarray(offset, offset + bytes));
    if (spec.listPaths) paths.push(file);
  }
  return { files, folders, bytes: files * bytes, paths };
}
