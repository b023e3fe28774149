/** Folder pairs: a local folder kept in sync with a bucket prefix (docs/sync.md). */
import { z } from 'zod';
import {
  bucketName,
  count,
  id,
  localPath,
  noParams,
  noResult,
  optionalText,
  ossKey,
  ossPrefix,
  page,
  pageParams,
  text,
  timestamp,
} from './dto.js';

/** main/core/sync/types.ts SYNC_MODES, DELETE_MODES, PAIR_STATES, SYNC_ISSUE_CODES, in step. */
export const SYNC_MODES = ['backup', 'mirror'] as const;
export const DELETE_MODES = ['trash', 'permanent'] as const;
export const PAIR_STATES = [
  'idle',
  'scanning',
  'syncing',
  'paused',
  'offline',
  'error',
  'waiting-for-confirmation',
] as const;
export const SYNC_ISSUE_CODES = [
  'unreadable',
  'invalid-name',
  'skipped-special',
  'transfer-failed',
  'remote-changed',
  'remote-removed',
  'remote-only',
] as const;
export const WATCHING_MODES = ['events', 'polling', 'periodic-scan', 'off'] as const;

/** A pair-relative path: POSIX separators, no leading slash. */
const pairPath = () => text(4096);

const deleteGuardSchema = z.strictObject({
  /** A pass may delete at most this fraction of the synced files without asking ... */
  maxFraction: z.number().min(0).max(1),
  /** ... and at most this many. */
  maxCount: z.int().min(0).max(10_000_000),
});

/** What a user may change on a pair. Root, bucket and prefix are fixed: that is a new pair. */
const pairOptions = {
  mode: z.enum(SYNC_MODES),
  deleteMode: z.enum(DELETE_MODES),
  /** Extra ignore patterns, gitignore syntax. */
  ignore: z.array(text(1024)).max(1000),
  followSymlinks: z.boolean(),
  trashRetentionDays: z.int().min(0).max(3650),
  deleteGuard: deleteGuardSchema,
};

export const pairSchema = z.strictObject({
  id: id(),
  accountId: id(),
  localRoot: localPath(),
  bucket: bucketName(),
  prefix: ossPrefix(),
  ...pairOptions,
  paused: z.boolean(),
  createdAt: timestamp(),
});
export type PairDto = z.infer<typeof pairSchema>;

export const pairStatusSchema = z.strictObject({
  pair: pairSchema,
  state: z.enum(PAIR_STATES),
  /** Why the state is what it is (an error, 'watcher failed: scanning every 60 s'). */
  detail: optionalText(2000).nullable(),
  watching: z.enum(WATCHING_MODES),
  counters: z.strictObject({
    filesPending: count(),
    bytesPending: count(),
    lastSyncedAt: timestamp().nullable(),
    errors: count(),
    conflicts: count(),
    deletesAwaiting: count(),
  }),
});
export type PairStatusDto = z.infer<typeof pairStatusSchema>;

export const syncIssueSchema = z.strictObject({
  path: pairPath(),
  code: z.enum(SYNC_ISSUE_CODES),
  message: text(2000),
});
export type SyncIssueDto = z.infer<typeof syncIssueSchema>;

export const conflictSchema = z.strictObject({
  path: pairPath(),
  /** Where the remote version was kept, if it was. */
  keptAs: ossKey().nullable(),
  resolution: z.enum(['remote-kept', 'local-won']),
  remoteEtag: text(128).nullable(),
  at: timestamp(),
});
export type ConflictDto = z.infer<typeof conflictSchema>;

/** A deletion the guard held back: the pair-relative path of the object that would go. */
export const pendingDeleteSchema = z.strictObject({
  path: pairPath(),
  key: ossKey(),
  size: count().nullable(),
});
export type PendingDeleteDto = z.infer<typeof pendingDeleteSchema>;

const pairId = z.strictObject({ pairId: id() });
const pairPage = z.strictObject({ pairId: id(), ...pageParams });

export const pairsMethods = {
  'pairs.list': {
    params: noParams(),
    result: z.strictObject({ pairs: z.array(pairStatusSchema).max(1000) }),
  },
  'pairs.get': { params: pairId, result: pairStatusSchema },
  /** `localRoot` must be an absolute folder (checked in main, with overlap checks). */
  'pairs.add': {
    params: z.strictObject({
      accountId: id(),
      localRoot: localPath(),
      bucket: bucketName(),
      prefix: ossPrefix(),
      ...z.strictObject(pairOptions).partial().shape,
    }),
    result: pairStatusSchema,
  },
  'pairs.update': {
    params: z.strictObject({ pairId: id(), changes: z.strictObject(pairOptions).partial() }),
    result: pairStatusSchema,
  },
  /** Stops syncing and forgets the pair's state; never deletes files or objects. */
  'pairs.remove': { params: pairId, result: noResult() },
  'pairs.pause': { params: pairId, result: pairStatusSchema },
  'pairs.resume': { params: pairId, result: pairStatusSchema },
  /** Starts a pass now instead of waiting for the watcher or the periodic scan. */
  'pairs.syncNow': { params: pairId, result: pairStatusSchema },
  /** What a held-back pass would delete (state waiting-for-confirmation). */
  'pairs.pendingDeletes': { params: pairPage, result: page(pendingDeleteSchema) },
  /**
   * Carries out the held-back deletes. `expectedCount` is the count the user was shown;
   * main refuses (precondition-failed) if the pending set changed since.
   */
  'pairs.confirmDeletes': {
    params: z.strictObject({ pairId: id(), expectedCount: count() }),
    result: pairStatusSchema,
  },
  /** Declines them: the objects stay and the pair stops counting them as its own (docs/sync.md). */
  'pairs.rejectDeletes': { params: pairId, result: pairStatusSchema },
  'pairs.issues': { params: pairPage, result: page(syncIssueSchema) },
  'pairs.conflicts': { params: pairPage, result: page(conflictSchema) },
} as const;
