/** Events main pushes to the UI: name -> payload. */
import { z } from 'zod';
import { activityAppendedSchema } from './activity.js';
import { count, id, optionalText, text, timestamp } from './dto.js';
import { pairStatusSchema } from './pairs.js';
import { appStatusSchema } from './status.js';
import { transferSchema } from './transfers.js';

/** Jobs in one progress event: far more than can run at once (EngineLimits.maxFiles). */
export const MAX_PROGRESS_JOBS = 1000;

/** main/core/transfer/progress.ts ProgressSnapshot, with null for an unknown ETA. */
export const progressSnapshotSchema = z.strictObject({
  /** Whose queue: each account's engine reports its own jobs. */
  accountId: id(),
  jobs: z
    .array(
      z.strictObject({
        jobId: id(),
        bytesDone: count(),
        bytesTotal: count(),
        bytesPerSecond: z.number().min(0),
        etaSeconds: z.number().min(0).nullable(),
      }),
    )
    .max(MAX_PROGRESS_JOBS),
  totalBytesDone: count(),
  totalBytesTotal: count(),
  uploadBytesPerSecond: z.number().min(0),
  downloadBytesPerSecond: z.number().min(0),
  etaSeconds: z.number().min(0).nullable(),
});
export type ProgressSnapshotDto = z.infer<typeof progressSnapshotSchema>;

export const NOTIFICATION_KINDS = [
  'transfer-failed',
  'deletes-held',
  'conflict',
  'offline',
  'online',
  'secret-storage-insecure',
] as const;

/** A notification: shown natively in Electron and as a toast in the window. */
export const notificationSchema = z.strictObject({
  id: text(64),
  at: timestamp(),
  kind: z.enum(NOTIFICATION_KINDS),
  level: z.enum(['info', 'warning', 'error']),
  /** i18n keys for the title and body. */
  titleKey: text(128).regex(/^[a-zA-Z0-9_.-]+$/),
  bodyKey: text(128).regex(/^[a-zA-Z0-9_.-]+$/),
  /** Interpolation values for the keys, as name/value pairs. */
  values: z
    .array(
      z.strictObject({
        name: text(64).regex(/^[a-zA-Z][a-zA-Z0-9]*$/),
        value: optionalText(4096),
      }),
    )
    .max(20),
  /** What the notification is about, to navigate there on click. */
  pairId: id().optional(),
  jobId: id().optional(),
});
export type NotificationDto = z.infer<typeof notificationSchema>;

export const EVENTS = {
  /** Coalesced: at most about 4 a second while anything moves. */
  'transfers.progress': progressSnapshotSchema,
  /** A job changed state (queued, started, finished, failed, waiting, paused, cancelled). */
  'transfers.jobChanged': transferSchema,
  /** Jobs were added or cleared in bulk: lists should reload (counts only, not the jobs). */
  'transfers.listChanged': z.strictObject({ added: count(), removed: count() }),
  'pairs.statusChanged': pairStatusSchema,
  'pairs.removed': z.strictObject({ pairId: id() }),
  'app.notification': notificationSchema,
  'app.statusChanged': appStatusSchema,
  'activity.appended': activityAppendedSchema,
} as const;
