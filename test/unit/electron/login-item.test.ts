// Launch at login: the call made per platform when the setting changes, and the Linux
// autostart entry's quoting.
import { describe, expect, it } from 'vitest';
import {
  autostartEntry,
  HIDDEN_ARG,
  planLoginItem,
  quoteExecArg,
  startedHidden,
  type LoginItemContext,
} from '../../../main/electron/login-item.js';

const base: LoginItemContext = {
  platform: 'darwin',
  current: false,
  executable: '/Applications/OSSync.app/Contents/MacOS/OSSync',
  configHome: '/home/u/.config',
  packaged: true,
};

describe('planLoginItem', () => {
  it('does nothing when the OS already matches', () => {
    expect(planLoginItem(true, { ...base, current: true })).toEqual({ kind: 'none' });
    expect(planLoginItem(false, { ...base, current: false })).toEqual({ kind: 'none' });
  });

  it('does nothing for a development run', () => {
    expect(planLoginItem(true, { ...base, packaged: false })).toEqual({ kind: 'none' });
  });

  it('macOS: setLoginItemSettings openAtLogin', () => {
    expect(planLoginItem(true, base)).toEqual({
      kind: 'electron',
      settings: { openAtLogin: true },
    });
    expect(planLoginItem(false, { ...base, current: true })).toEqual({
      kind: 'electron',
      settings: { openAtLogin: false },
    });
  });

  it('Windows: the executable with --hidden, on and off with the same path and args', () => {
    const win = {
      ...base,
      platform: 'win32' as const,
      executable: 'C:\\Program Files\\OSSync\\OSSync.exe',
    };
    expect(planLoginItem(true, win)).toEqual({
      kind: 'electron',
      settings: { openAtLogin: true, path: win.executable, args: [HIDDEN_ARG] },
    });
    expect(planLoginItem(false, { ...win, current: true })).toEqual({
      kind: 'electron',
      settings: { openAtLogin: false, path: win.executable, args: [HIDDEN_ARG] },
    });
  });

  it('Linux: writes or removes ~/.config/autostart/ossync.desktop', () => {
    const linux = { ...base, platform: 'linux' as const, executable: '/opt/OSSync/ossync' };
    const on = planLoginItem(true, linux);
    expect(on).toMatchObject({
      kind: 'autostart-write',
      file: '/home/u/.config/autostart/ossync.desktop',
    });
    expect(on.kind === 'autostart-write' && on.content).toContain(
      'Exec="/opt/OSSync/ossync" --hidden\n',
    );
    expect(planLoginItem(false, { ...linux, current: true })).toEqual({
      kind: 'autostart-remove',
      file: '/home/u/.config/autostart/ossync.desktop',
    });
    expect(planLoginItem(true, { ...linux, configHome: undefined })).toEqual({ kind: 'none' });
  });

  it('other platforms: nothing', () => {
    expect(planLoginItem(true, { ...base, platform: 'freebsd' })).toEqual({ kind: 'none' });
  });
});

describe('the autostart entry', () => {
  it('quotes the Exec argument as the Desktop Entry Specification says', () => {
    expect(quoteExecArg('/opt/My Apps/ossync')).toBe('"/opt/My Apps/ossync"');
    expect(quoteExecArg('/a/$HOME/`x`/"q"/b\\c/100%')).toBe(
      '"/a/\\$HOME/\\`x\\`/\\"q\\"/b\\\\c/100%%"',
    );
    expect(() => quoteExecArg('/a\nExec=evil')).toThrow();
  });

  it('is a desktop entry starting OSSync hidden, backslashes escaped once more', () => {
    const entry = autostartEntry('/home/u/Apps/OSSync $1.AppImage');
    const lines = entry.split('\n');
    expect(lines[0]).toBe('[Desktop Entry]');
    expect(lines).toContain('Type=Application');
    expect(lines).toContain('Exec="/home/u/Apps/OSSync \\\\$1.AppImage" --hidden');
    expect(entry.endsWith('\n')).toBe(true);
  });
});

describe('startedHidden', () => {
  it('is true for --hidden or an OS login start', () => {
    expect(startedHidden(['/opt/ossync', HIDDEN_ARG])).toBe(true);
    expect(startedHidden(['/opt/ossync'], true)).toBe(true);
    expect(startedHidden(['/opt/ossync'])).toBe(false);
  });
});
