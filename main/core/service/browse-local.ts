/**
 * The local side of objects.upload and objects.download: which files an upload takes and
 * the key each gets, where each downloaded key lands, and the checks that keep both inside
 * what the user chose. Every refusal is a ContractError naming the path or key and saying
 * what to do; nothing here writes anything.
 */
import { constants } from 'node:fs';
import { access, lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  ContractError,
  MAX_KEY_BYTES,
  utf8Length,
  type ContractErrorCode,
} from '../../../shared/contract/index.js';
import { isCoreError } from '../errors.js';
import { obstacleBetween } from '../fs/download-target.js';
import { localPathForKey } from '../fs/local-paths.js';

/** Most files one upload or download call may queue (a folder pair suits more). */
export const MAX_BROWSE_FILES = 100_000;

export interface PlannedUpload {
  key: string;
  localPath: string;
  size: number;
}

export interface SkippedPath {
  path: string;
  reason: 'symlink' | 'special';
}

export interface UploadPlan {
  files: PlannedUpload[];
  /** Keys ending in '/' for folders with nothing to upload in them (created as folder objects). */
  folders: string[];
  /** Symlinks and special files found inside chosen folders: never followed or uploaded. */
  skipped: SkippedPath[];
}

function refuse(code: ContractErrorCode, message: string, subject: string): never {
  throw new ContractError(code, message, { subject });
}

const shown = (value: string) =>
  JSON.stringify(value.length > 300 ? `${value.slice(0, 300)}...` : value);

/** The error of a failed fs call on `target`, as a ContractError naming it. */
function localError(error: unknown, target: string, doing: string): ContractError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new ContractError(
      'local-not-found',
      `${shown(target)} does not exist (it was moved or deleted?): choose it again.`,
      { subject: target },
    );
  if (code === 'EACCES' || code === 'EPERM')
    return new ContractError(
      'local-permission',
      `${shown(target)} cannot be read (permission denied) while ${doing}: give OSSync read access or leave it out.`,
      { subject: target },
    );
  return new ContractError(
    'local-io',
    `${shown(target)} could not be read while ${doing} (${code ?? String(error)}).`,
    { subject: target },
  );
}

/** Refuses a path that is not absolute or that has a '..' segment. */
export function checkAbsolute(given: string, what: string): string {
  if (!path.isAbsolute(given))
    refuse(
      'invalid-argument',
      `${what} ${shown(given)} is not an absolute path: give the full path (relative paths are refused).`,
      given,
    );
  // On POSIX a backslash is an ordinary character of a name; on Windows it separates.
  const segments = given.split(process.platform === 'win32' ? /[\\/]/ : '/');
  if (segments.includes('..'))
    refuse(
      'invalid-argument',
      `${what} ${shown(given)} contains a ".." segment: give the path without "..".`,
      given,
    );
  return path.normalize(given);
}

function keyFor(prefix: string, segments: readonly string[]): string {
  return prefix + segments.map((segment) => segment.normalize('NFC')).join('/');
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROL_NAMES: Record<number, string> = { 9: 'TAB', 10: 'LF', 13: 'CR', 127: 'DEL' };

function checkKey(key: string, localPath: string): void {
  // As a folder pair refuses them: OSS listings cannot carry them, and no download (nor
  // another computer's copy of the folder) could write the name back.
  const control = CONTROL.exec(key);
  if (control !== null) {
    const code = control[0].charCodeAt(0);
    const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    const name = CONTROL_NAMES[code];
    refuse(
      'invalid-argument',
      `${shown(localPath)} has the control character ${name === undefined ? hex : `${name} (${hex})`} in its name, which OSS listings cannot carry and no download could write back: rename it, or leave it out.`,
      localPath,
    );
  }
  if (utf8Length(key) > MAX_KEY_BYTES)
    refuse(
      'invalid-argument',
      `${shown(localPath)} would be uploaded as a key of ${utf8Length(key)} UTF-8 bytes, more than the ${MAX_KEY_BYTES} OSS allows: shorten its name or its folders, or upload it under a shorter prefix.`,
      localPath,
    );
}

async function checkReadable(file: string, doing: string): Promise<void> {
  try {
    await access(file, constants.R_OK);
  } catch (error) {
    throw localError(error, file, doing);
  }
}

/**
 * What uploading `localPaths` under `prefix` takes: every regular file, folders walked
 * recursively (sorted by name), symlinks inside folders skipped and never followed, special
 * files (FIFOs, sockets, devices) skipped. A chosen path that is missing, unreadable, a
 * symlink or a special file is refused, as is any file or folder that cannot be read, a key
 * over 1023 bytes and two files that would get the same key.
 */
export async function planUpload(
  prefix: string,
  localPaths: readonly string[],
): Promise<UploadPlan> {
  const plan: UploadPlan = { files: [], folders: [], skipped: [] };
  const owners = new Map<string, string>();
  const claim = (key: string, localPath: string) => {
    checkKey(key, localPath);
    const other = owners.get(key);
    if (other !== undefined)
      refuse(
        'invalid-argument',
        `${shown(other)} and ${shown(localPath)} would both be uploaded as ${shown(key)}: upload them separately or under different prefixes.`,
        localPath,
      );
    owners.set(key, localPath);
  };
  const addFile = (key: string, localPath: string, size: number) => {
    claim(key, localPath);
    if (plan.files.length >= MAX_BROWSE_FILES)
      refuse(
        'invalid-argument',
        `More than ${MAX_BROWSE_FILES} files were chosen (at ${shown(localPath)}): upload fewer at a time, or set up a folder pair for a folder this big.`,
        localPath,
      );
    plan.files.push({ key, localPath, size });
  };

  /** Walks a folder; returns whether anything (file or folder object) was planned under it. */
  const walk = async (dir: string, segments: string[]): Promise<boolean> => {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (error) {
      throw localError(error, dir, 'listing the folder');
    }
    let planned = false;
    for (const name of names) {
      const full = path.join(dir, name);
      let info;
      try {
        info = await lstat(full);
      } catch (error) {
        throw localError(error, full, 'reading the folder');
      }
      const inner = [...segments, name];
      if (info.isSymbolicLink()) plan.skipped.push({ path: full, reason: 'symlink' });
      else if (info.isDirectory()) planned = (await walk(full, inner)) || planned;
      else if (info.isFile()) {
        await checkReadable(full, 'preparing the upload');
        addFile(keyFor(prefix, inner), full, info.size);
        planned = true;
      } else plan.skipped.push({ path: full, reason: 'special' });
    }
    if (!planned) {
      const key = `${keyFor(prefix, segments)}/`;
      claim(key, dir);
      plan.folders.push(key);
    }
    return true;
  };

  for (const given of localPaths) {
    const chosen = checkAbsolute(given, 'The local path');
    const name = path.basename(chosen);
    if (name === '' || chosen === path.parse(chosen).root)
      refuse(
        'invalid-argument',
        `${shown(given)} is the root of a file system: choose the files or folders in it instead.`,
        given,
      );
    let info;
    try {
      info = await lstat(chosen);
    } catch (error) {
      throw localError(error, given, 'preparing the upload');
    }
    if (info.isSymbolicLink())
      refuse(
        'invalid-argument',
        `${shown(given)} is a symbolic link, which OSSync does not follow: choose the file or folder it points to.`,
        given,
      );
    if (info.isDirectory()) await walk(chosen, [name]);
    else if (info.isFile()) {
      await checkReadable(chosen, 'preparing the upload');
      addFile(keyFor(prefix, [name]), chosen, info.size);
    } else
      refuse(
        'invalid-argument',
        `${shown(given)} is not a regular file or folder (a device, socket or pipe): it cannot be uploaded.`,
        given,
      );
  }
  return plan;
}

/** Checks that `targetDir` is absolute, has no '..' and is an existing folder; returns it resolved. */
export async function checkTargetDir(targetDir: string): Promise<string> {
  const dir = path.resolve(checkAbsolute(targetDir, 'The download folder'));
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    throw localError(error, targetDir, 'checking the download folder');
  }
  if (!info.isDirectory())
    refuse(
      'invalid-argument',
      `The download folder ${shown(targetDir)} is not a folder: choose a folder.`,
      targetDir,
    );
  return dir;
}

/** The folder part of a chosen key: 'a/b/' for 'a/b/c' and for 'a/b/c/', '' for 'c'. */
export function parentOfKey(key: string): string {
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  const slash = trimmed.lastIndexOf('/');
  return slash < 0 ? '' : trimmed.slice(0, slash + 1);
}

/**
 * Where `key` (found under a chosen key whose parent is `parent`) lands in `targetDir`:
 * its path relative to `parent`. Keys ending in '/' give the folder they stand for. Throws
 * an 'invalid-key' ContractError naming the key when it would leave the folder or cannot be
 * a portable file name (core's localPathForKey rules).
 */
export function downloadPath(targetDir: string, key: string, parent: string): string {
  const asFile = key.endsWith('/') ? key.slice(0, -1) : key;
  try {
    return localPathForKey(targetDir, asFile, parent === '' ? {} : { stripPrefix: parent });
  } catch (error) {
    if (isCoreError(error))
      throw new ContractError(
        'invalid-key',
        `${error.message.replace(JSON.stringify(asFile), JSON.stringify(key))} Nothing was queued.`,
        { subject: key },
      );
    throw error;
  }
}

/**
 * Refuses a target whose existing folders between `root` and it include a symlink (writing
 * through it could land outside the download folder) or a file where a folder is needed
 * (core's obstacleBetween). `checked` caches folders already seen.
 */
export async function checkNoLinkBetween(
  root: string,
  target: string,
  key: string,
  checked: Set<string>,
): Promise<void> {
  const obstacle = await obstacleBetween(root, target, checked);
  if (obstacle !== undefined)
    refuse('invalid-key', `${shown(key)}: ${obstacle} Nothing was queued.`, key);
}
