/** The app's overall status, for the tray and the Status view, and facts about the host. */
import { z } from 'zod';
import {
  bucketName,
  count,
  id,
  localPath,
  noParams,
  noResult,
  ossKey,
  text,
  timestamp,
} from './dto.js';
import { TRANSFER_KINDS, TRANSFER_STATES } from './transfers.js';

/** The tray icon's states. */
export const APP_STATES = ['idle', 'syncing', 'paused', 'offline', 'error'] as const;

export const appStatusSchema = z.strictObject({
  state: z.enum(APP_STATES),
  /** Everything paused by transfers.pauseAll. */
  paused: z.boolean(),
  offline: z.boolean(),
  counts: z.strictObject({
    /** Jobs running or waiting to retry. */
    active: count(),
    queued: count(),
    failed: count(),
    pairs: count(),
    pairsWithErrors: count(),
    /** Pairs waiting for a guarded delete to be confirmed. */
    pairsAwaitingConfirmation: count(),
    conflicts: count(),
  }),
  uploadBytesPerSecond: count(),
  downloadBytesPerSecond: count(),
  /** The last few finished transfers, for the tray menu. */
  recent: z
    .array(
      z.strictObject({
        id: id(),
        kind: z.enum(TRANSFER_KINDS),
        state: z.enum(TRANSFER_STATES),
        bucket: bucketName(),
        key: ossKey(),
        finishedAt: timestamp().nullable(),
      }),
    )
    .max(20),
});
export type AppStatusDto = z.infer<typeof appStatusSchema>;

export const appInfoSchema = z.strictObject({
  version: text(64),
  /** Which program answers: the desktop app or `ossync serve`. */
  host: z.enum(['electron', 'headless']),
  platform: text(32),
});
export type AppInfoDto = z.infer<typeof appInfoSchema>;

export const statusMethods = {
  'app.status': { params: noParams(), result: appStatusSchema },
  'app.info': { params: noParams(), result: appInfoSchema },
  /**
   * Desktop only (app.info host 'electron'): the system's folder picker. `path` is null when
   * the person cancelled. The headless host refuses it (the UI offers a path field there).
   */
  'app.pickFolder': {
    params: z.strictObject({ defaultPath: localPath().optional() }),
    result: z.strictObject({ path: localPath().nullable() }),
  },
  /** Desktop only: shows a local file (or folder) selected in the system's file manager. */
  'app.showInFolder': { params: z.strictObject({ path: localPath() }), result: noResult() },
} as const;
