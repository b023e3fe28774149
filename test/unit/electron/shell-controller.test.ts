// The shell's behaviour over fake ports and the real service (a temp data folder, no
// accounts): events to the renderer, the tray rebuilt at most every interval, notifications,
// settings applied when they change, tray actions.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createService, type Service } from '../../../main/core/service/service.js';
import { HeadlessSecretStore } from '../../../main/core/secrets/headless-secret-store.js';
import { createMainI18n, loadLocales } from '../../../main/electron/i18n.js';
import { createShellController, type ShellPorts } from '../../../main/electron/shell-controller.js';
import type { TrayMenuModel } from '../../../main/electron/tray-model.js';
import type { AppStatusDto, NotificationDto } from '../../../shared/contract/index.js';

const resources = loadLocales(path.resolve('shared/i18n/locales'));

function status(overrides: Partial<AppStatusDto> = {}): AppStatusDto {
  return {
    state: 'syncing',
    paused: false,
    offline: false,
    counts: {
      active: 2,
      queued: 10,
      failed: 0,
      pairs: 1,
      pairsWithErrors: 0,
      pairsAwaitingConfirmation: 0,
      conflicts: 0,
    },
    uploadBytesPerSecond: 3_400_000,
    downloadBytesPerSecond: 0,
    recent: [],
    ...overrides,
  };
}

function fakePorts() {
  const trays: TrayMenuModel[] = [];
  const ports = {
    sendToRenderer: vi.fn(),
    setTray: vi.fn((model: TrayMenuModel) => {
      trays.push(model);
    }),
    showNotification: vi.fn(),
    applyLoginItem: vi.fn(),
    setLogLevel: vi.fn(),
    showWindow: vi.fn(),
    quit: vi.fn(),
    warn: vi.fn(),
  } satisfies ShellPorts;
  return { ports, trays };
}

describe('createShellController', () => {
  let dir: string;
  let service: Service;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ossync-shell-'));
    service = createService({
      dataDir: dir,
      secrets: new HeadlessSecretStore({ env: {} }),
      host: 'electron',
    });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('at start: applies the saved settings and shows the status in the tray', async () => {
    const { ports, trays } = fakePorts();
    const i18n = createMainI18n(resources, 'en');
    const shell = createShellController({ api: service.api, i18n, ports, systemLocale: 'zh-CN' });
    await shell.start();
    // language 'system' with a Chinese OS
    expect(i18n.language).toBe('zh-CN');
    expect(ports.applyLoginItem.mock.calls).toEqual([[false]]);
    expect(trays.at(-1)?.icon).toBe('tray-idle');
    expect(trays.at(-1)?.tooltip).toBe('已全部同步');
    shell.dispose();
  });

  it('settings.update through the wrapped api applies language and login item once each', async () => {
    const { ports, trays } = fakePorts();
    const i18n = createMainI18n(resources, 'en');
    const shell = createShellController({ api: service.api, i18n, ports, systemLocale: 'en-US' });
    await shell.start();
    expect(trays.at(-1)?.tooltip).toBe('Up to date');
    const updated = await shell.api['settings.update']!({ language: 'zh-CN', launchAtLogin: true });
    expect(updated.language).toBe('zh-CN');
    expect(i18n.language).toBe('zh-CN');
    expect(trays.at(-1)?.tooltip).toBe('已全部同步');
    expect(ports.applyLoginItem.mock.calls).toEqual([[false], [true]]);
    // the same values again change nothing
    await shell.api['settings.update']!({ logLevel: 'debug' });
    expect(ports.applyLoginItem).toHaveBeenCalledTimes(2);
    expect(ports.setLogLevel.mock.calls).toEqual([['info'], ['debug']]);
    // the unwrapped methods are the service's own
    expect(shell.api['app.info']).toBe(service.api['app.info']);
    shell.dispose();
  });

  it('a failing login item is reported, not thrown', async () => {
    const { ports } = fakePorts();
    ports.applyLoginItem.mockImplementation(() => {
      throw new Error('denied');
    });
    const shell = createShellController({
      api: service.api,
      i18n: createMainI18n(resources, 'en'),
      ports,
      systemLocale: 'en',
    });
    await expect(shell.api['settings.update']!({ launchAtLogin: true })).resolves.toMatchObject({
      launchAtLogin: true,
    });
    expect(ports.warn).toHaveBeenCalledWith('could not change the login item', expect.any(Error));
    shell.dispose();
  });

  it('forwards every event to the renderer; rebuilds the tray at most every interval', () => {
    vi.useFakeTimers();
    const { ports, trays } = fakePorts();
    const shell = createShellController({
      api: service.api,
      i18n: createMainI18n(resources, 'en'),
      ports,
      systemLocale: 'en',
      trayIntervalMs: 500,
      timers: {
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
        now: () => Date.now(),
      },
    });
    shell.onServiceEvent('transfers.listChanged', { added: 3, removed: 0 });
    for (let i = 1; i <= 10; i += 1) {
      shell.onServiceEvent(
        'app.statusChanged',
        status({ counts: { ...status().counts, queued: i } }),
      );
    }
    expect(ports.sendToRenderer).toHaveBeenCalledTimes(11);
    expect(ports.sendToRenderer.mock.calls[0]).toEqual([
      { event: 'transfers.listChanged', payload: { added: 3, removed: 0 } },
    ]);
    expect(trays.map((t) => t.tooltip)).toEqual(['Syncing 3 files, 3.4 MB/s']);
    vi.advanceTimersByTime(500);
    expect(trays.map((t) => t.tooltip)).toEqual([
      'Syncing 3 files, 3.4 MB/s',
      'Syncing 12 files, 3.4 MB/s',
    ]);
    shell.dispose();
    shell.onServiceEvent('app.statusChanged', status());
    vi.advanceTimersByTime(5000);
    expect(trays).toHaveLength(2);
    expect(ports.sendToRenderer).toHaveBeenCalledTimes(11);
  });

  it('shows notifications translated, at most the limit per window', () => {
    const { ports } = fakePorts();
    const shell = createShellController({
      api: service.api,
      i18n: createMainI18n({ en: { notifications: { t: 'Title {{n}}', b: 'Body' } } }, 'en'),
      ports,
      systemLocale: 'en',
      notificationLimit: { max: 2, windowMs: 60_000 },
    });
    const notification: NotificationDto = {
      id: 'n',
      at: 1,
      kind: 'conflict',
      level: 'warning',
      titleKey: 't',
      bodyKey: 'b',
      values: [{ name: 'n', value: '7' }],
    };
    for (let i = 0; i < 5; i += 1) shell.onServiceEvent('app.notification', notification);
    expect(ports.sendToRenderer).toHaveBeenCalledTimes(5); // the window gets them all
    expect(ports.showNotification).toHaveBeenCalledTimes(2);
    expect(ports.showNotification.mock.calls[0]).toEqual([
      { title: 'Title 7', body: 'Body', urgency: 'normal' },
      notification,
    ]);
    shell.dispose();
  });

  it('runs the tray actions', async () => {
    const { ports, trays } = fakePorts();
    const pauseAll = vi.fn(service.api['transfers.pauseAll']);
    const resumeAll = vi.fn(service.api['transfers.resumeAll']);
    const api = {
      ...service.api,
      'transfers.pauseAll': pauseAll,
      'transfers.resumeAll': resumeAll,
    };
    const shell = createShellController({
      api,
      i18n: createMainI18n(resources, 'en'),
      ports,
      systemLocale: 'en',
    });
    await shell.start();
    const item = (id: string) => {
      const found = trays.at(-1)?.items.find((entry) => entry.id === id);
      if (found === undefined) throw new Error(`no tray item ${id}`);
      return found;
    };
    shell.trayAction(item('open-window'));
    expect(ports.showWindow).toHaveBeenCalledTimes(1);
    const before = trays.length;
    shell.trayAction(item('pause-all'));
    expect(pauseAll).toHaveBeenCalledWith({});
    // the tray is rebuilt from a fresh app.status once the call is done
    await vi.waitFor(() => expect(trays.length).toBe(before + 1));
    shell.trayAction({
      type: 'normal',
      id: 'resume-all',
      label: 'x',
      enabled: true,
      action: 'resume-all',
    });
    expect(resumeAll).toHaveBeenCalledWith({});
    await vi.waitFor(() => expect(trays.length).toBe(before + 2));
    shell.trayAction(item('quit'));
    expect(ports.quit).toHaveBeenCalledTimes(1);
    // informative items do nothing
    shell.trayAction(item('status'));
    expect(ports.showWindow).toHaveBeenCalledTimes(1);
    expect(ports.warn).not.toHaveBeenCalled();
    shell.dispose();
  });
});
