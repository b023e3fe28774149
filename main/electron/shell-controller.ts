// What the desktop shell does with the service, as plain code over ports: forwards events
// to the window, rebuilds the tray (throttled) on app.statusChanged, shows notifications,
// applies the language and launch-at-login settings when they change, and runs the tray's
// menu actions. main.ts implements the ports with Electron; tests use fakes.
import type {
  AppStatusDto,
  ContractApi,
  EventName,
  NotificationDto,
  SettingsDto,
} from '../../shared/contract/index.js';
import { resolveLanguage, type MainI18n, type MainLanguage } from './i18n.js';
import { ipcEventMessage, type IpcEventMessage } from './ipc.js';
import {
  createNotificationGate,
  notificationContent,
  type NotificationContent,
} from './notifications.js';
import { throttleLatest, type Timers } from './throttle.js';
import { trayMenuModel, type TrayMenuItem, type TrayMenuModel } from './tray-model.js';

export interface ShellPorts {
  /** To every open window's webContents (none when the app sits in the tray). */
  sendToRenderer(message: IpcEventMessage): void;
  setTray(model: TrayMenuModel): void;
  showNotification(content: NotificationContent, notification: NotificationDto): void;
  applyLoginItem(desired: boolean): void;
  /** The log file's level, from settings.logLevel. */
  setLogLevel?(level: SettingsDto['logLevel']): void;
  showWindow(): void;
  quit(): void;
  warn(message: string, detail?: unknown): void;
}

export interface ShellControllerOptions {
  api: Partial<ContractApi>;
  i18n: MainI18n;
  ports: ShellPorts;
  /** `app.getLocale()`, for language 'system'. */
  systemLocale: string;
  /** Tray rebuilds at most this often (ms). */
  trayIntervalMs?: number;
  timers?: Timers;
  /** Notifications: at most `max` per `windowMs`. */
  notificationLimit?: { max: number; windowMs: number };
}

export interface ShellController {
  /** The service's events: `service.events.on(controller.onServiceEvent)`. */
  onServiceEvent(name: EventName, payload: unknown): void;
  /** Settings as settings.get / settings.update return them. */
  applySettings(settings: SettingsDto): void;
  /** The api handed to IPC: the service's, with settings results applied on the way out. */
  api: Partial<ContractApi>;
  /** Reads settings and status once at start. */
  start(): Promise<void>;
  trayAction(item: TrayMenuItem): void;
  dispose(): void;
}

export function createShellController(options: ShellControllerOptions): ShellController {
  const { api, i18n, ports } = options;
  let status: AppStatusDto | undefined;
  let language: MainLanguage = i18n.language;
  let launchAtLogin: boolean | undefined;
  let logLevel: SettingsDto['logLevel'] | undefined;
  let disposed = false;
  const gate = createNotificationGate(options.notificationLimit ?? {});

  const renderTray = () => {
    if (status !== undefined && !disposed) ports.setTray(trayMenuModel(status, i18n.tray));
  };
  const scheduleTray = throttleLatest<undefined>(
    renderTray,
    options.trayIntervalMs ?? 500,
    options.timers,
  );

  const applySettings = (settings: SettingsDto) => {
    const next = resolveLanguage(settings.language, options.systemLocale);
    if (next !== language) {
      language = next;
      i18n.setLanguage(next);
      renderTray();
    }
    if (settings.logLevel !== logLevel) {
      logLevel = settings.logLevel;
      ports.setLogLevel?.(settings.logLevel);
    }
    if (settings.launchAtLogin !== launchAtLogin) {
      launchAtLogin = settings.launchAtLogin;
      try {
        ports.applyLoginItem(settings.launchAtLogin);
      } catch (error) {
        ports.warn('could not change the login item', error);
      }
    }
  };

  const onServiceEvent = (name: EventName, payload: unknown) => {
    if (disposed) return;
    // The service validated the payload against the contract before emitting it.
    ports.sendToRenderer(ipcEventMessage(name, payload as never));
    if (name === 'app.statusChanged') {
      status = payload as AppStatusDto;
      scheduleTray(undefined);
    } else if (name === 'app.notification') {
      const notification = payload as NotificationDto;
      if (gate.allow()) {
        ports.showNotification(notificationContent(notification, i18n), notification);
      }
    }
  };

  // settings.update's result (and settings.get's) is the settings in force: apply it.
  const wrapped: Partial<ContractApi> = { ...api };
  const get = api['settings.get'];
  if (get !== undefined) {
    wrapped['settings.get'] = async (params) => {
      const settings = await get.call(api, params);
      applySettings(settings);
      return settings;
    };
  }
  const update = api['settings.update'];
  if (update !== undefined) {
    wrapped['settings.update'] = async (params) => {
      const settings = await update.call(api, params);
      applySettings(settings);
      return settings;
    };
  }

  const refreshStatus = async () => {
    const appStatus = api['app.status'];
    if (appStatus === undefined) return;
    status = await appStatus.call(api, {});
    renderTray();
  };

  const call = (name: 'transfers.pauseAll' | 'transfers.resumeAll') => {
    const method = api[name];
    if (method === undefined) return;
    method
      .call(api, {})
      .then(refreshStatus)
      .catch((error: unknown) => ports.warn(`${name} from the tray failed`, error));
  };

  return {
    onServiceEvent,
    applySettings,
    api: wrapped,
    async start() {
      try {
        await wrapped['settings.get']?.({});
      } catch (error) {
        ports.warn('could not read the settings', error);
      }
      try {
        await refreshStatus();
      } catch (error) {
        ports.warn('could not read the app status', error);
      }
    },
    trayAction(item) {
      if (item.type !== 'normal' || item.action === undefined) return;
      switch (item.action) {
        case 'open-window':
        case 'show-transfer':
          ports.showWindow();
          return;
        case 'pause-all':
          call('transfers.pauseAll');
          return;
        case 'resume-all':
          call('transfers.resumeAll');
          return;
        case 'quit':
          ports.quit();
          return;
        default: {
          const never: never = item.action;
          ports.warn(`unknown tray action ${String(never)}`);
        }
      }
    },
    dispose() {
      disposed = true;
      scheduleTray.cancel();
    },
  };
}
