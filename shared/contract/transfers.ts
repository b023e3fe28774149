/** The transfer queue: paged lists by state, per-job and global control, limits. */
import { z } from 'zod';
import {
  bucketName,
  count,
  id,
  idsParams,
  localPath,
  noParams,
  noResult,
  ossKey,
  page,
  pageParams,
  rate,
  text,
  timestamp,
} from './dto.js';
import { jobErrorSchema } from './errors.js';

/** main/core/db/job-types.ts JOB_KINDS and JOB_STATES, kept in step. */
export const TRANSFER_KINDS = ['upload', 'download', 'delete', 'copy'] as const;
export const TRANSFER_STATES = [
  'queued',
  'running',
  'waiting-retry',
  'paused',
  'done',
  'failed',
  'cancelled',
] as const;
export type TransferState = (typeof TRANSFER_STATES)[number];
export const FINISHED_TRANSFER_STATES = ['done', 'failed', 'cancelled'] as const;

/** The Transfers view's tabs and the states each shows. */
export const TRANSFER_TABS = {
  active: ['running', 'waiting-retry', 'paused'],
  queued: ['queued'],
  failed: ['failed'],
  completed: ['done', 'cancelled'],
} as const satisfies Record<string, readonly TransferState[]>;

export const transferSchema = z.strictObject({
  /** Job ids are per account: (accountId, id) names a job. */
  id: id(),
  accountId: id(),
  kind: z.enum(TRANSFER_KINDS),
  state: z.enum(TRANSFER_STATES),
  batch: text(64).nullable(),
  bucket: bucketName(),
  key: ossKey(),
  localPath: localPath().nullable(),
  /** copy: the source key. */
  sourceKey: ossKey().nullable(),
  size: count().nullable(),
  bytesDone: count(),
  attempts: count(),
  /** waiting-retry: when the next attempt starts. */
  nextAttemptAt: timestamp().nullable(),
  error: jobErrorSchema.nullable(),
  pairId: id().nullable(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
  finishedAt: timestamp().nullable(),
});
export type TransferDto = z.infer<typeof transferSchema>;

/** The engine's limits (main/core/transfer/engine.ts EngineLimits); null rates are unlimited. */
export const transferLimitsSchema = z.strictObject({
  /** Files transferring at once. */
  maxFiles: z.int().min(1).max(64),
  /** Parts of one file in flight. */
  maxPartsPerFile: z.int().min(1).max(32),
  /** Parts in flight across all files. */
  maxParts: z.int().min(1).max(256),
  uploadBytesPerSecond: rate(),
  downloadBytesPerSecond: rate(),
});
export type TransferLimits = z.infer<typeof transferLimitsSchema>;

const changed = z.strictObject({ changed: count() });

/** Which account's queue a transfers method acts on; the account in use when omitted. */
const account = { accountId: id().optional() };
/** Jobs of one account's queue. */
const jobIds = () => idsParams().extend(account);

export const transfersMethods = {
  /** A page of jobs in the given states, newest first (the service chooses a stable order). */
  'transfers.list': {
    params: z.strictObject({
      ...account,
      states: z.array(z.enum(TRANSFER_STATES)).min(1).max(TRANSFER_STATES.length),
      /** Only the jobs of one pair or one batch. */
      pairId: id().optional(),
      batch: text(64).optional(),
      ...pageParams,
    }),
    result: page(transferSchema),
  },
  'transfers.pause': { params: jobIds(), result: changed },
  'transfers.resume': { params: jobIds(), result: changed },
  /** Failed (or waiting) jobs start again with a fresh attempt count. */
  'transfers.retry': { params: jobIds(), result: changed },
  'transfers.cancel': { params: jobIds(), result: changed },
  /** Forgets finished jobs (all finished states when `states` is omitted). */
  'transfers.clearFinished': {
    params: z.strictObject({
      ...account,
      states: z.array(z.enum(FINISHED_TRANSFER_STATES)).min(1).max(3).optional(),
    }),
    result: z.strictObject({ removed: count() }),
  },
  /** Pauses everything (transfers and pairs) until resumeAll; survives a restart. */
  'transfers.pauseAll': { params: noParams(), result: noResult() },
  'transfers.resumeAll': { params: noParams(), result: noResult() },
  'transfers.getLimits': { params: noParams(), result: transferLimitsSchema },
  /** Changes the limits live and persists them (the same values as settings' limits). */
  'transfers.setLimits': { params: transferLimitsSchema.partial(), result: transferLimitsSchema },
} as const;
