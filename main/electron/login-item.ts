// Launch at login: what to do when settings.launchAtLogin changes, decided by plain
// functions. macOS and Windows use app.setLoginItemSettings; Electron does not implement it
// on Linux, where the freedesktop way is an autostart entry in ~/.config/autostart.
import path from 'node:path';
import type { Settings } from 'electron';

/** Started at login, the app goes straight to the tray (no window). */
export const HIDDEN_ARG = '--hidden';

export const AUTOSTART_FILE_NAME = 'ossync.desktop';

export type LoginItemPlan =
  | { kind: 'none' }
  | { kind: 'electron'; settings: Settings }
  | { kind: 'autostart-write'; file: string; content: string }
  | { kind: 'autostart-remove'; file: string };

export interface LoginItemContext {
  platform: NodeJS.Platform;
  /** Whether the OS starts us at login now (getLoginItemSettings / the file exists). */
  current: boolean;
  /** The program to start: process.execPath, or on Linux the AppImage ($APPIMAGE). */
  executable: string;
  /** Linux: $XDG_CONFIG_HOME or ~/.config. */
  configHome?: string;
  /** False for a development run (`electron .`): registering it would start a dev build. */
  packaged: boolean;
}

/**
 * The change to make so the OS matches `desired`, or none: nothing when it already matches,
 * nothing for an unpackaged run (it would register the Electron binary, not OSSync), and
 * nothing on other platforms.
 */
export function planLoginItem(desired: boolean, context: LoginItemContext): LoginItemPlan {
  if (!context.packaged || desired === context.current) return { kind: 'none' };
  switch (context.platform) {
    case 'darwin':
      return { kind: 'electron', settings: { openAtLogin: desired } };
    case 'win32':
      return {
        kind: 'electron',
        settings: desired
          ? { openAtLogin: true, path: context.executable, args: [HIDDEN_ARG] }
          : { openAtLogin: false, path: context.executable, args: [HIDDEN_ARG] },
      };
    case 'linux': {
      if (context.configHome === undefined) return { kind: 'none' };
      const file = autostartFile(context.configHome);
      return desired
        ? { kind: 'autostart-write', file, content: autostartEntry(context.executable) }
        : { kind: 'autostart-remove', file };
    }
    default:
      return { kind: 'none' };
  }
}

export function autostartFile(configHome: string): string {
  return path.join(configHome, 'autostart', AUTOSTART_FILE_NAME);
}

/**
 * An argument of a desktop entry's Exec key, quoted as the Desktop Entry Specification says:
 * in double quotes, with `"`, `` ` ``, `$` and `\` escaped by a backslash, and `%` doubled
 * (field codes). Newlines cannot be represented and are refused.
 */
export function quoteExecArg(arg: string): string {
  if (/[\r\n\0]/.test(arg)) throw new Error('a desktop entry argument cannot contain a newline');
  return `"${arg.replace(/["`$\\]/g, '\\$&').replace(/%/g, '%%')}"`;
}

/** The ~/.config/autostart/ossync.desktop entry that starts OSSync in the tray. */
export function autostartEntry(executable: string): string {
  // The value of Exec is itself escaped as a desktop-entry string: every backslash doubled.
  const exec = `${quoteExecArg(executable)} ${HIDDEN_ARG}`.replace(/\\/g, '\\\\');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=OSSync',
    'Comment=Keep local folders in sync with Alibaba Cloud OSS',
    `Exec=${exec}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Whether the OS was asked to start us hidden (login item, autostart entry). */
export function startedHidden(argv: readonly string[], openedAtLogin = false): boolean {
  return openedAtLogin || argv.includes(HIDDEN_ARG);
}
