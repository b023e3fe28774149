import path from 'node:path';
import { CoreError } from '../errors.js';
import {
  DELETE_MODES,
  SYNC_MODES,
  type ConflictRecord,
  type DeleteMode,
  type PairConfig,
  type SyncIssue,
  type SyncIssueCode,
  type SyncMode,
} from '../sync/types.js';

/**
 * Row shapes of the sync tables, their mapping to the sync vocabulary (sync/types.ts), and
 * the checks a pair passes before it is stored.
 */

export interface PairRow {
  id: number;
  local_root: string;
  bucket: string;
  prefix: string;
  mode: SyncMode;
  delete_mode: DeleteMode;
  ignore_json: string;
  follow_symlinks: number;
  trash_retention_days: number;
  guard_fraction: number;
  guard_count: number;
  paused: number;
  created_at: number;
  last_synced_at: number | null;
}

export function toPair(row: PairRow): PairConfig {
  return {
    id: row.id,
    localRoot: row.local_root,
    bucket: row.bucket,
    prefix: row.prefix,
    mode: row.mode,
    deleteMode: row.delete_mode,
    ignore: JSON.parse(row.ignore_json) as string[],
    followSymlinks: row.follow_symlinks === 1,
    trashRetentionDays: row.trash_retention_days,
    deleteGuard: { maxFraction: row.guard_fraction, maxCount: row.guard_count },
    paused: row.paused === 1,
    createdAt: row.created_at,
  };
}

/** Named parameters of the pairs INSERT and UPDATE. */
export function pairParams(pair: Omit<PairConfig, 'id'>): Record<string, string | number> {
  return {
    localRoot: pair.localRoot,
    bucket: pair.bucket,
    prefix: pair.prefix,
    mode: pair.mode,
    deleteMode: pair.deleteMode,
    ignoreJson: JSON.stringify(pair.ignore),
    followSymlinks: pair.followSymlinks ? 1 : 0,
    trashRetentionDays: pair.trashRetentionDays,
    guardFraction: pair.deleteGuard.maxFraction,
    guardCount: pair.deleteGuard.maxCount,
    paused: pair.paused ? 1 : 0,
    createdAt: pair.createdAt,
  };
}

export const ISSUE_COLUMNS = 'path, code, message, at';

export interface IssueRow {
  path: string;
  code: SyncIssueCode;
  message: string;
  at: number;
}

/** An issue as stored: when it was last seen. */
export interface StoredIssue extends SyncIssue {
  at: number;
}

export function toIssue(row: IssueRow): StoredIssue {
  return { path: row.path, code: row.code, message: row.message, at: row.at };
}

export interface ConflictRow {
  id: number;
  path: string;
  kept_as: string | null;
  resolution: ConflictRecord['resolution'];
  remote_etag: string | null;
  at: number;
}

/** A conflict as stored, with its id (the cursor of conflictsPage). */
export interface StoredConflict extends ConflictRecord {
  id: number;
}

export function toConflict(row: ConflictRow): StoredConflict {
  return {
    id: row.id,
    path: row.path,
    keptAs: row.kept_as,
    resolution: row.resolution,
    remoteEtag: row.remote_etag,
    at: row.at,
  };
}

/** A deletion a pass planned: the object (as listed) it will remove or move to the trash. */
export interface PendingDelete {
  path: string;
  etag: string;
  size: number;
}

/** Refuses a pair the sync could not work with, naming what to fix. */
export function checkPair(pair: Omit<PairConfig, 'id'>): void {
  const problem = pairProblem(pair);
  if (problem !== undefined) {
    throw new CoreError('invalid-argument', `Cannot sync ${pair.localRoot}: ${problem}.`, {
      subject: pair.localRoot,
    });
  }
}

function pairProblem(pair: Omit<PairConfig, 'id'>): string | undefined {
  if (!path.isAbsolute(pair.localRoot))
    return `the folder must be an absolute path, not "${pair.localRoot}"`;
  if (pair.bucket === '') return 'the bucket name is empty';
  if (pair.prefix !== '' && (!pair.prefix.endsWith('/') || pair.prefix.startsWith('/')))
    return `the prefix "${pair.prefix}" must be empty or end with "/" (and not start with one)`;
  if (!SYNC_MODES.includes(pair.mode))
    return `unknown mode "${pair.mode}" (use ${SYNC_MODES.join(' or ')})`;
  if (!DELETE_MODES.includes(pair.deleteMode))
    return `unknown delete mode "${pair.deleteMode}" (use ${DELETE_MODES.join(' or ')})`;
  if (!Number.isInteger(pair.trashRetentionDays) || pair.trashRetentionDays < 1)
    return `the trash retention must be a whole number of days, at least 1 (not ${pair.trashRetentionDays})`;
  const { maxFraction, maxCount } = pair.deleteGuard;
  if (!(maxFraction >= 0 && maxFraction <= 1))
    return `the delete guard fraction must be between 0 and 1 (not ${maxFraction})`;
  if (!Number.isInteger(maxCount) || maxCount < 0)
    return `the delete guard count must be a whole number, at least 0 (not ${maxCount})`;
  if (!pair.ignore.every((pattern) => typeof pattern === 'string'))
    return 'ignore patterns must be strings';
  return undefined;
}
