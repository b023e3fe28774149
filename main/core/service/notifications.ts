/**
 * The app.notification events: what the user should know without looking (a native
 * notification in Electron, a toast in the window). Titles and bodies are i18n keys of the
 * `notifications` namespace (shared/i18n/locales/<locale>/notifications.json) with their
 * values as strings; the service picks the singular or plural key itself.
 *
 * - transfer-failed: coalesced, one notification for the failures of `failedWindowMs`,
 *   with their count (and the job when it is one).
 * - deletes-held: a pair's delete guard held deletions (with their count).
 * - conflict: a pair recorded conflicts (one notification per batch the log picks up).
 * - offline / online: an account's engine lost or regained OSS (online only after offline).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { NotificationDto } from '../../../shared/contract/index.js';
import type { ServiceContext } from './context.js';

export interface NotifierOptions {
  /** How long failures are gathered into one notification (default 2 s). */
  failedWindowMs?: number;
}

type Values = Record<string, string | number>;

/** The last segment of a key or path: what a notification names. */
export function displayName(keyOrPath: string): string {
  const trimmed = keyOrPath.replace(/[/\\]+$/, '');
  return path.posix.basename(trimmed.replace(/\\/g, '/')) || trimmed || keyOrPath;
}

export function createNotifier(
  ctx: Pick<ServiceContext, 'emit' | 'now'>,
  options: NotifierOptions = {},
) {
  const windowMs = options.failedWindowMs ?? 2000;
  let sequence = 0;
  let failed: { count: number; first: { name: string; jobId: number } } | undefined;
  let failedTimer: NodeJS.Timeout | undefined;
  const offline = new Set<number>();

  function send(
    kind: NotificationDto['kind'],
    level: NotificationDto['level'],
    key: string,
    values: Values,
    about: { pairId?: number; jobId?: number } = {},
  ): void {
    sequence += 1;
    ctx.emit('app.notification', {
      id: `${kind}-${sequence}-${randomBytes(4).toString('hex')}`,
      at: ctx.now(),
      kind,
      level,
      titleKey: `${key}.title`,
      bodyKey: `${key}.body`,
      values: Object.entries(values).map(([name, value]) => ({
        name,
        value: String(value).slice(0, 4096),
      })),
      ...about,
    });
  }

  function flushFailed(): void {
    clearTimeout(failedTimer);
    failedTimer = undefined;
    const gathered = failed;
    failed = undefined;
    if (gathered === undefined) return;
    if (gathered.count === 1)
      send(
        'transfer-failed',
        'error',
        'transferFailed.one',
        { count: 1, name: gathered.first.name },
        { jobId: gathered.first.jobId },
      );
    else
      send('transfer-failed', 'error', 'transferFailed.many', {
        count: gathered.count,
        name: gathered.first.name,
        more: gathered.count - 1,
      });
  }

  return {
    /** A job failed for good: gathered with the others of the window. */
    transferFailed(jobId: number, keyOrPath: string): void {
      if (failed === undefined)
        failed = { count: 0, first: { name: displayName(keyOrPath), jobId } };
      failed.count += 1;
      if (failedTimer === undefined) {
        failedTimer = setTimeout(flushFailed, windowMs);
        failedTimer.unref();
      }
    },

    deletesHeld(pairId: number, localRoot: string, count: number): void {
      send(
        'deletes-held',
        'warning',
        count === 1 ? 'deletesHeld.one' : 'deletesHeld.many',
        { count, folder: localRoot, name: displayName(localRoot) },
        { pairId },
      );
    },

    conflicts(pairId: number, localRoot: string, paths: readonly string[]): void {
      if (paths.length === 0) return;
      send(
        'conflict',
        'warning',
        paths.length === 1 ? 'conflict.one' : 'conflict.many',
        { count: paths.length, name: displayName(paths[0] ?? ''), folder: localRoot },
        { pairId },
      );
    },

    connectivity(accountId: number, state: 'online' | 'offline', accountName: string): void {
      if (state === 'offline') {
        if (offline.has(accountId)) return;
        offline.add(accountId);
        send('offline', 'warning', 'offline', { account: accountName });
      } else {
        if (!offline.delete(accountId)) return;
        send('online', 'info', 'online', { account: accountName });
      }
    },

    /** Sends what is gathered now (closing, or a test that does not want to wait). */
    flush: flushFailed,

    close(): void {
      clearTimeout(failedTimer);
      failedTimer = undefined;
      failed = undefined;
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
