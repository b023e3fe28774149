/**
 * What the hostile-names suite needs beyond the shared helpers: objects at keys ali-oss would
 * rewrite before sending ('..' and '.' segments), objects cloned in the server's metadata
 * (thousands at once, or between two listing pages), snapshots of folders by their raw names
 * (no normalisation, so an NFC and an NFD name stay two entries) and folders deeper than
 * PATH_MAX, which only relative system calls can make or read.
 */
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type OSS from 'ali-oss';
import { oracleCrc64 } from '../../helpers/engine.js';
import type { LocalOss } from '../../helpers/osslocal.js';

/**
 * Copies the metadata of object `from` to each of `keys` in the server's store (the blob is
 * shared and refcounted, as a server-side copy would): a new object per key, synchronously,
 * with no request. Tests use it to seed many objects fast and to change a bucket between two
 * listing pages.
 */
export function cloneObject(
  oss: LocalOss,
  bucket: string,
  from: string,
  keys: readonly string[],
): void {
  const source = oss.server.metadata.getObject(bucket, from);
  if (source === undefined) throw new Error(`no object ${JSON.stringify(from)} to clone`);
  for (const key of keys)
    oss.server.metadata.putObject({ ...source, key, lastModifiedMs: Date.now() });
}

/** Removes objects from the server's store at once (their blobs stay while shared). */
export function dropObjects(oss: LocalOss, bucket: string, keys: readonly string[]): void {
  oss.server.metadata.deleteObjects(bucket, keys);
}

/** Every object under `prefix`: key -> ETag, in listing order (all pages). */
export async function objectsUnder(client: OSS, prefix: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let token: string | undefined;
  do {
    const page = await client.listV2(
      { prefix, 'max-keys': '1000', ...(token ? { 'continuation-token': token } : {}) },
      {},
    );
    for (const object of page.objects ?? []) found.set(object.name, object.etag);
    token = page.nextContinuationToken ?? undefined;
  } while (token);
  return found;
}

/**
 * Every entry under `dir` by its raw relative name (folders end in '/', files map to their
 * CRC64), except the top-level names in `skip`. Names are not normalised.
 */
export function rawTree(dir: string, skip: readonly string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (abs: string, rel: string): void => {
    for (const name of readdirSync(abs).sort()) {
      if (rel === '' && skip.includes(name)) continue;
      const full = path.join(abs, name);
      const info = lstatSync(full);
      if (info.isDirectory()) {
        out.set(`${rel}${name}/`, 'dir');
        walk(full, `${rel}${name}/`);
      } else out.set(`${rel}${name}`, info.isFile() ? oracleCrc64(readFileSync(full)) : 'other');
    }
  };
  walk(dir, '');
  return out;
}

/**
 * Makes `levels` nested folders named `name` under `dir` and a file `leaf` with `content`
 * at the bottom, with relative system calls (a shell that cd's down), so the whole path may
 * be longer than PATH_MAX. Returns the length of the leaf's absolute path in bytes.
 */
export function makeDeepChain(
  dir: string,
  name: string,
  levels: number,
  leaf: string,
  content: string,
): number {
  const script = `cd "$1" && for i in $(seq "$2"); do mkdir "$3" && cd "$3"; done && printf %s "$5" > "$4"`;
  execFileSync('bash', ['-c', script, 'deep', dir, String(levels), name, leaf, content]);
  return Buffer.byteLength(dir) + levels * (Buffer.byteLength(name) + 1) + 1 + leaf.length;
}

/** `find DIR` relative paths and file sizes: reads trees deeper than PATH_MAX. */
export function findTree(dir: string): string[] {
  return execFileSync('find', [dir, '-mindepth', '1', '-printf', '%y %s %P\n'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
    .split('\n')
    .filter((line) => line !== '')
    .sort();
}

/** Removes a tree that may be deeper than PATH_MAX (rm works with relative calls). */
export function removeDeep(dir: string): void {
  execFileSync('rm', ['-rf', '--', dir]);
}

/** An access time far in the past (2000-01-01), older than any modification time. */
export const OLD_ATIME = 946_684_800;

/**
 * Sets the access time of every entry of `dir` at depth `minDepth` or more to OLD_ATIME,
 * deepest first (`-depth`), so find's own reading of a folder comes before its touch. Works
 * on trees deeper than PATH_MAX (`-execdir` runs touch beside each entry).
 */
export function ageAccessTimes(dir: string, minDepth: number): void {
  execFileSync('find', [
    dir,
    '-mindepth',
    String(minDepth),
    '-depth',
    '-execdir',
    'touch',
    '-a',
    '-h',
    '-d',
    `@${OLD_ATIME}`,
    '{}',
    ';',
  ]);
}

/**
 * Relative path -> access time (whole seconds) of every entry of `dir` at depth `minDepth` or
 * more. find prints an entry's stat before it reads the entry, so this changes none of them.
 */
export function accessTimes(dir: string, minDepth: number): Map<string, number> {
  const out = execFileSync('find', [dir, '-mindepth', String(minDepth), '-printf', '%A@\t%P\n'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return new Map(
    out
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const tab = line.indexOf('\t');
        return [line.slice(tab + 1), Math.floor(Number(line.slice(0, tab)))] as const;
      }),
  );
}

/**
 * Whether this file system records reads in access times (relatime or strictatime, not
 * noatime): a file aged with ageAccessTimes and then read must get a new access time.
 */
export function readsChangeAccessTimes(scratch: string): boolean {
  const dir = mkdtempSync(path.join(scratch, 'atime-'));
  try {
    writeFileSync(path.join(dir, 'probe'), 'probe');
    ageAccessTimes(dir, 1);
    readFileSync(path.join(dir, 'probe'));
    return Math.floor(statSync(path.join(dir, 'probe')).atimeMs / 1000) !== OLD_ATIME;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
