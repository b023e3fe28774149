// Native notifications for the service's app.notification events: their texts from the
// 'notifications' namespace, and a gate so a burst of failures does not flood the desktop.
import type { NotificationDto } from '../../shared/contract/index.js';
import type { MainI18n } from './i18n.js';

export interface NotificationContent {
  title: string;
  body: string;
  /** Linux urgency; errors stay until seen. */
  urgency: 'low' | 'normal' | 'critical';
}

/**
 * The key as given, or without a leading `notifications.` (the namespace) when only that
 * form exists; a key nobody translated shows as itself rather than as nothing.
 */
function text(
  i18n: Pick<MainI18n, 't' | 'has'>,
  key: string,
  vars: Record<string, string>,
): string {
  const prefix = 'notifications.';
  const candidates = key.startsWith(prefix) ? [key, key.slice(prefix.length)] : [key];
  const found = candidates.find((candidate) => i18n.has('notifications', candidate));
  return i18n.t('notifications', found ?? key, vars);
}

export function notificationContent(
  notification: NotificationDto,
  i18n: Pick<MainI18n, 't' | 'has'>,
): NotificationContent {
  const vars: Record<string, string> = {};
  for (const { name, value } of notification.values) vars[name] = value;
  return {
    title: text(i18n, notification.titleKey, vars),
    body: text(i18n, notification.bodyKey, vars),
    urgency: notification.level === 'error' ? 'critical' : 'normal',
  };
}

export interface NotificationGateOptions {
  /** At most this many notifications ... */
  max?: number;
  /** ... in this many milliseconds; the rest are dropped (the window shows them all). */
  windowMs?: number;
  now?: () => number;
}

/** A sliding-window limit: `allow()` says whether one more may be shown now. */
export function createNotificationGate(options: NotificationGateOptions = {}): {
  allow(): boolean;
} {
  const max = options.max ?? 3;
  const windowMs = options.windowMs ?? 10_000;
  const now = options.now ?? Date.now;
  const shown: number[] = [];
  return {
    allow() {
      const at = now();
      while (shown.length > 0 && (shown[0] ?? 0) <= at - windowMs) shown.shift();
      if (shown.length >= max) return false;
      shown.push(at);
      return true;
    },
  };
}
