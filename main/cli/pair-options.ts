/**
 * What `ossync sync FOLDER URL` and `ossync pairs add FOLDER URL` share: the folder and the
 * oss:// URL checked before anything opens, and the options that set up a pair.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { PairPatch } from '../core/db/sync-store.js';
import { normalizePrefix } from '../core/sync/keys.js';
import {
  DELETE_MODES,
  SYNC_MODES,
  type DeleteMode,
  type NewPair,
  type PairConfig,
  type SyncMode,
} from '../core/sync/types.js';
import { usageError } from './cli-error.js';
import { OssUrlError, parseOssUrl } from './oss-url.js';
import { pairSettingError } from './sync-state.js';

export interface PairFlags {
  mode?: SyncMode;
  deleteMode?: DeleteMode;
  /** The --ignore patterns given; false: --no-ignore. */
  ignore?: string[] | false;
  followSymlinks?: boolean;
}

function collect(value: string, previous: unknown): string[] {
  return Array.isArray(previous) ? [...(previous as string[]), value] : [value];
}

export function addPairOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--mode <mode>',
        'backup: upload new and changed files, never delete remotely; mirror: the prefix follows the folder, deletions included (default backup)',
      ).choices(SYNC_MODES),
    )
    .addOption(
      new Option(
        '--delete-mode <mode>',
        'how mirror deletes: trash moves the object under PREFIX/.ossync-trash/ (purged after 30 days), permanent deletes it (default trash)',
      ).choices(DELETE_MODES),
    )
    .option(
      '--ignore <pattern>',
      'leave out paths matching this gitignore pattern (repeat for more; replaces the pair patterns given before)',
      collect,
    )
    .option(
      '--no-ignore',
      "drop the pair's own ignore patterns (the built-in ones and .ossyncignore still apply)",
    )
    .option('--follow-symlinks', 'upload the targets of symbolic links to files')
    .option('--no-follow-symlinks', 'leave symbolic links out (the default)');
}

/** The folder as an absolute, real path; a usage error when it is no folder. */
export function resolveFolder(arg: string): string {
  const absolute = path.resolve(arg);
  try {
    if (!statSync(absolute).isDirectory()) throw usageError(`${arg} is not a folder.`);
    return realpathSync(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw usageError(`${arg}: no such folder.`);
    if (code === 'EACCES' || code === 'EPERM')
      throw usageError(`${arg} cannot be read: permission denied.`);
    throw error;
  }
}

/** `oss://BUCKET/PREFIX/` (the trailing slash may be left out) as a pair's target. */
export function parsePairTarget(text: string): { bucket: string; prefix: string } {
  let url;
  try {
    url = parseOssUrl(text);
  } catch (error) {
    if (error instanceof OssUrlError) throw usageError(error.message);
    throw error;
  }
  try {
    return { bucket: url.bucket, prefix: normalizePrefix(url.key) };
  } catch (error) {
    throw pairSettingError(error);
  }
}

/** The settings the flags give a new pair. */
export function newPair(
  root: string,
  target: { bucket: string; prefix: string },
  flags: PairFlags,
): NewPair {
  return {
    localRoot: root,
    ...target,
    ...(flags.mode === undefined ? {} : { mode: flags.mode }),
    ...(flags.deleteMode === undefined ? {} : { deleteMode: flags.deleteMode }),
    ...(flags.ignore === undefined ? {} : { ignore: flags.ignore || [] }),
    ...(flags.followSymlinks === undefined ? {} : { followSymlinks: flags.followSymlinks }),
  };
}

/** What the flags change in an existing pair, each change described; empty when none. */
export function pairChanges(
  pair: PairConfig,
  flags: PairFlags,
): { patch: PairPatch; changes: string[] } {
  const patch: PairPatch = {};
  const changes: string[] = [];
  if (flags.mode !== undefined && flags.mode !== pair.mode) {
    patch.mode = flags.mode;
    changes.push(`mode ${pair.mode} -> ${flags.mode}`);
  }
  if (flags.deleteMode !== undefined && flags.deleteMode !== pair.deleteMode) {
    patch.deleteMode = flags.deleteMode;
    changes.push(`delete mode ${pair.deleteMode} -> ${flags.deleteMode}`);
  }
  const ignore = flags.ignore === undefined ? undefined : flags.ignore || [];
  if (ignore !== undefined && JSON.stringify(ignore) !== JSON.stringify(pair.ignore)) {
    patch.ignore = ignore;
    changes.push(
      ignore.length === 0 ? 'no ignore patterns of its own' : `ignoring ${ignore.join(', ')}`,
    );
  }
  if (flags.followSymlinks !== undefined && flags.followSymlinks !== pair.followSymlinks) {
    patch.followSymlinks = flags.followSymlinks;
    changes.push(flags.followSymlinks ? 'following symbolic links' : 'leaving symbolic links out');
  }
  return { patch, changes };
}

/** `backup`, `mirror (deletes to the trash)` or `mirror (deletes permanently)`. */
export function describeMode(pair: PairConfig): string {
  if (pair.mode === 'backup') return 'backup';
  return pair.deleteMode === 'trash'
    ? 'mirror (deletes to the trash)'
    : 'mirror (deletes permanently)';
}
