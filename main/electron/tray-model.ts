// The tray icon and menu as plain data built from the app status, so every state is tested
// under Node; main.ts turns the model into an Electron Menu. Labels come from the i18n
// function only: this file holds keys, never user-facing words.
import type { AppStatusDto } from '../../shared/contract/index.js';

export type AppState = AppStatusDto['state'];

/** `t(key, vars)`: the UI language's text for an i18n key. */
export type Translate = (key: string, vars?: Readonly<Record<string, string | number>>) => string;

/** What clicking an item does; main maps each to a window or service call. */
export type TrayAction = 'open-window' | 'pause-all' | 'resume-all' | 'show-transfer' | 'quit';

export type TrayMenuItem =
  | {
      type: 'normal';
      id: string;
      label: string;
      enabled: boolean;
      /** Absent for labels that only inform (the status line, headers). */
      action?: TrayAction;
      /** show-transfer: the job to show. */
      transferId?: number;
    }
  | { type: 'separator'; id: string };

export interface TrayMenuModel {
  icon: TrayIconName;
  /** The icon's tooltip: the status line. */
  tooltip: string;
  items: TrayMenuItem[];
}

export type TrayIconName = `tray-${AppState}`;

/** The most recent transfers the menu lists. */
export const TRAY_RECENT_LIMIT = 5;
const NAME_MAX = 48;

function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${String(value)}`);
}

/** The icon file's base name for a state (`tray-syncing` -> tray-syncing.png and friends). */
export function trayIconName(state: AppState): TrayIconName {
  switch (state) {
    case 'idle':
      return 'tray-idle';
    case 'syncing':
      return 'tray-syncing';
    case 'paused':
      return 'tray-paused';
    case 'offline':
      return 'tray-offline';
    case 'error':
      return 'tray-error';
    default:
      return assertNever(state);
  }
}

/** `999 B/s`, `12.3 kB/s`, `3.4 MB/s`: decimal units (as the CLI), at most one decimal. */
export function formatRate(bytesPerSecond: number): string {
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s'] as const;
  let value = Math.max(0, bytesPerSecond);
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const shown = unit === 0 || value >= 100 ? Math.round(value).toString() : value.toFixed(1);
  return `${shown} ${units[unit]}`;
}

/** The file name of a key (`photos/2024/a.jpg` -> `a.jpg`), shortened in the middle. */
export function displayName(key: string): string {
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  const name = trimmed.slice(trimmed.lastIndexOf('/') + 1) || trimmed;
  const chars = Array.from(name);
  if (chars.length <= NAME_MAX) return name;
  const half = Math.floor((NAME_MAX - 1) / 2);
  return `${chars.slice(0, half).join('')}…${chars.slice(chars.length - half).join('')}`;
}

/** The first line of the menu and the tooltip, e.g. "Syncing 12 files, 3.4 MB/s". */
export function trayStatusLine(status: AppStatusDto, t: Translate): string {
  const files = status.counts.active + status.counts.queued;
  switch (status.state) {
    case 'idle':
      return t('tray.status.idle');
    case 'syncing':
      // `count` picks the plural form (i18next): "1 file", "12 files".
      return t('tray.status.syncing', {
        count: files,
        speed: formatRate(status.uploadBytesPerSecond + status.downloadBytesPerSecond),
      });
    case 'paused':
      return t('tray.status.paused', { count: files });
    case 'offline':
      return t('tray.status.offline', { count: files });
    case 'error':
      if (status.counts.failed > 0) {
        return t('tray.status.errorTransfers', { count: status.counts.failed });
      }
      if (status.counts.pairsWithErrors > 0) {
        return t('tray.status.errorPairs', { count: status.counts.pairsWithErrors });
      }
      return t('tray.status.error');
    default:
      return assertNever(status.state);
  }
}

export function trayMenuModel(status: AppStatusDto, t: Translate): TrayMenuModel {
  const statusLine = trayStatusLine(status, t);
  const items: TrayMenuItem[] = [
    { type: 'normal', id: 'status', label: statusLine, enabled: false },
  ];

  // Things waiting for the user open the window, where they can be answered.
  const { pairsAwaitingConfirmation, conflicts } = status.counts;
  if (pairsAwaitingConfirmation > 0) {
    items.push({
      type: 'normal',
      id: 'deletes-held',
      label: t('tray.deletesHeld', { count: pairsAwaitingConfirmation }),
      enabled: true,
      action: 'open-window',
    });
  }
  if (conflicts > 0) {
    items.push({
      type: 'normal',
      id: 'conflicts',
      label: t('tray.conflicts', { count: conflicts }),
      enabled: true,
      action: 'open-window',
    });
  }

  items.push(
    { type: 'separator', id: 'separator-status' },
    {
      type: 'normal',
      id: 'open-window',
      label: t('tray.openWindow'),
      enabled: true,
      action: 'open-window',
    },
  );
  const paused = status.paused || status.state === 'paused';
  items.push(
    paused
      ? {
          type: 'normal',
          id: 'resume-all',
          label: t('tray.resumeAll'),
          enabled: true,
          action: 'resume-all',
        }
      : {
          type: 'normal',
          id: 'pause-all',
          label: t('tray.pauseAll'),
          enabled: true,
          action: 'pause-all',
        },
  );

  const recent = status.recent.slice(0, TRAY_RECENT_LIMIT);
  if (recent.length > 0) {
    items.push(
      { type: 'separator', id: 'separator-recent' },
      { type: 'normal', id: 'recent-header', label: t('tray.recent.header'), enabled: false },
    );
    for (const transfer of recent) {
      items.push({
        type: 'normal',
        id: `transfer:${transfer.id}`,
        label: t(`tray.recent.${transfer.kind}`, {
          name: displayName(transfer.key),
          state: t(`transfers.state.${transfer.state}`),
        }),
        enabled: true,
        action: 'show-transfer',
        transferId: transfer.id,
      });
    }
  }

  items.push(
    { type: 'separator', id: 'separator-quit' },
    { type: 'normal', id: 'quit', label: t('tray.quit'), enabled: true, action: 'quit' },
  );
  return { icon: trayIconName(status.state), tooltip: statusLine, items };
}
