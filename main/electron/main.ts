// Electron main entry: glue only. Every decision lives in a plain, tested module:
// app-protocol.ts (app://ossync/), window-options.ts and security-handlers.ts (lockdown),
// ipc.ts (the contract over IPC), shell-controller.ts (events, tray, notifications,
// settings), secret-storage.ts (safeStorage and the weak-backend consent), login-item.ts,
// i18n.ts. This file creates the Electron objects and wires them to those modules.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  Notification,
  protocol,
  safeStorage,
  session,
  shell,
  Tray,
  type MenuItemConstructorOptions,
} from 'electron';
import { createLogger, isLogLevel, type AppLogger } from '../core/log/logger.js';
import { EncryptedFileSecretStore } from '../core/secrets/encrypted-file-secret-store.js';
import type { DesktopActions } from '../core/service/app.js';
import { createService, type Service } from '../core/service/service.js';
import { startEmbeddedServer } from '../osslocal/index.js';
import type { ContractApi } from '../../shared/contract/index.js';
import {
  APP_INDEX_URL,
  APP_ORIGIN,
  APP_SCHEME,
  APP_SCHEME_PRIVILEGES,
  createAppProtocolHandler,
} from './app-protocol.js';
import { createMainI18n, loadLocales, resolveLanguage, type MainI18n } from './i18n.js';
import { createIpcCallHandler, IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from './ipc.js';
import { autostartFile, HIDDEN_ARG, planLoginItem, startedHidden } from './login-item.js';
import {
  fileAnswerMemory,
  safeStorageCipher,
  secretBackendInfo,
  withWeakStorageConsent,
  type ConsentChoice,
} from './secret-storage.js';
import {
  createWindowOpenHandler,
  denyWebviewAttach,
  navigationHandler,
  permissionCheckHandler,
  permissionRequestHandler,
  type OpenExternal,
} from './security-handlers.js';
import { createShellController, type ShellController } from './shell-controller.js';
import type { TrayIconName, TrayMenuItem, TrayMenuModel } from './tray-model.js';
import { cspHeadersListener, mainWindowOptions } from './window-options.js';

// app.getAppPath(): the project folder in development, resources/app.asar when packaged.
const appRoot = app.getAppPath();
const rendererDir = path.join(appRoot, 'dist', 'renderer');
const preloadPath = path.join(appRoot, 'dist', 'preload', 'preload.cjs');
const trayIconDir = path.join(appRoot, 'assets', 'tray');
const localesDir = path.join(appRoot, 'shared', 'i18n', 'locales');

/** Allow-listed https links open in the user's browser (checked by the handlers). */
const openExternal: OpenExternal = (url) => {
  shell.openExternal(url).catch((error: unknown) => {
    console.error('OSSync could not open a link in the browser:', error);
  });
};

let mainWindow: BrowserWindow | undefined;
let tray: Tray | undefined;
let service: Service | undefined;
let logger: AppLogger | undefined;
let controller: ShellController | undefined;
let i18n: MainI18n | undefined;
/** Set once the user quits: closing the window then really closes it. */
let quitting = false;
let shutDown = false;
/** Notifications are kept referenced until closed, or the GC may drop their click handler. */
const notifications = new Set<Notification>();

function describe(detail: unknown): string | undefined {
  if (detail === undefined) return undefined;
  if (detail instanceof Error) return `${detail.name}: ${detail.message}`;
  return typeof detail === 'string' ? detail : JSON.stringify(detail);
}

/** To the log file (secrets redacted by the logger), or stderr before it exists. */
function warn(message: string, detail?: unknown): void {
  if (logger) logger.warn({ detail: describe(detail) }, message);
  else console.error(`OSSync: ${message}`, describe(detail) ?? '');
}

function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow(mainWindowOptions({ preloadPath }));
  window.once('ready-to-show', () => window.show());
  // Closing the window keeps OSSync running in the tray; Quit (tray menu, Cmd+Q) ends it.
  window.on('close', (event) => {
    if (quitting || !tray) return;
    event.preventDefault();
    window.hide();
  });
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = undefined;
  });
  window.loadURL(APP_INDEX_URL).catch((error: unknown) => {
    warn(`could not load the window (${APP_INDEX_URL})`, error);
  });
  return window;
}

function showMainWindow(): void {
  if (!app.isReady()) return;
  mainWindow ??= createMainWindow();
  if (mainWindow.isMinimized()) mainWindow.restore();
  if (!mainWindow.isVisible()) mainWindow.show();
  mainWindow.focus();
}

function trayIcon(name: TrayIconName): Electron.NativeImage {
  // nativeImage picks name@2x.png on high-DPI screens by itself.
  return nativeImage.createFromPath(path.join(trayIconDir, `${name}.png`));
}

function trayMenuTemplate(model: TrayMenuModel): MenuItemConstructorOptions[] {
  return model.items.map((item: TrayMenuItem): MenuItemConstructorOptions => {
    if (item.type === 'separator') return { type: 'separator', id: item.id };
    return {
      id: item.id,
      label: item.label,
      enabled: item.enabled,
      click: () => controller?.trayAction(item),
    };
  });
}

function setTray(model: TrayMenuModel): void {
  if (!tray || tray.isDestroyed()) return;
  tray.setImage(trayIcon(model.icon));
  tray.setToolTip(model.tooltip);
  tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(model)));
}

async function askWeakStorage(): Promise<ConsentChoice> {
  const t = (key: string) => i18n?.t('tray', `secretStorage.${key}`) ?? key;
  const options: Electron.MessageBoxOptions = {
    type: 'warning',
    title: t('title'),
    message: t('message'),
    detail: t('detail'),
    buttons: [t('cancel'), t('store')],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
    checkboxLabel: t('remember'),
    checkboxChecked: false,
  };
  const window = mainWindow && !mainWindow.isDestroyed() ? mainWindow : undefined;
  const answer = window
    ? await dialog.showMessageBox(window, options)
    : await dialog.showMessageBox(options);
  return { store: answer.response === 1, remember: answer.checkboxChecked };
}

/** app.pickFolder and app.showInFolder: the system's folder picker and file manager. */
const desktop: DesktopActions = {
  async pickFolder(defaultPath) {
    const window = mainWindow && !mainWindow.isDestroyed() ? mainWindow : undefined;
    const options: Electron.OpenDialogOptions = {
      properties: ['openDirectory', 'createDirectory'],
      ...(defaultPath === undefined ? {} : { defaultPath }),
    };
    const answer = window
      ? await dialog.showOpenDialog(window, options)
      : await dialog.showOpenDialog(options);
    return answer.canceled ? undefined : answer.filePaths[0];
  },
  showInFolder(path) {
    shell.showItemInFolder(path);
  },
};

function applyLoginItem(desired: boolean): void {
  const platform = process.platform;
  // An AppImage runs from a temporary mount: the login item must start the .AppImage file.
  const executable = process.env.APPIMAGE ?? process.execPath;
  const configHome = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  const current =
    platform === 'linux'
      ? existsSync(autostartFile(configHome))
      : app.getLoginItemSettings(
          platform === 'win32' ? { path: executable, args: [HIDDEN_ARG] } : undefined,
        ).openAtLogin;
  const plan = planLoginItem(desired, {
    platform,
    current,
    executable,
    configHome,
    packaged: app.isPackaged,
  });
  switch (plan.kind) {
    case 'none':
      return;
    case 'electron':
      app.setLoginItemSettings(plan.settings);
      return;
    case 'autostart-write':
      void mkdir(path.dirname(plan.file), { recursive: true })
        .then(() => writeFile(plan.file, plan.content, { mode: 0o644 }))
        .catch((error: unknown) => warn('could not write the autostart entry', error));
      return;
    case 'autostart-remove':
      void rm(plan.file, { force: true }).catch((error: unknown) =>
        warn('could not remove the autostart entry', error),
      );
      return;
  }
}

function showNotification(content: {
  title: string;
  body: string;
  urgency: 'low' | 'normal' | 'critical';
}): void {
  if (!Notification.isSupported()) return;
  const notification = new Notification({
    title: content.title,
    body: content.body,
    urgency: content.urgency,
  });
  notifications.add(notification);
  notification.on('click', showMainWindow);
  notification.on('close', () => notifications.delete(notification));
  notification.on('failed', () => notifications.delete(notification));
  notification.show();
}

async function startShell(): Promise<void> {
  const defaultSession = session.defaultSession;
  defaultSession.setPermissionRequestHandler(permissionRequestHandler);
  defaultSession.setPermissionCheckHandler(permissionCheckHandler);
  defaultSession.webRequest.onHeadersReceived(cspHeadersListener);
  protocol.handle(APP_SCHEME, createAppProtocolHandler({ rootDir: rendererDir }));

  if (!existsSync(preloadPath)) {
    // Without it the window has no window.ossync and cannot reach the service.
    warn(`the preload bundle is missing (${preloadPath}): run npm run build`);
  }
  const dataDir = app.getPath('userData');
  logger = await createLogger({ dataDir });

  const backend = secretBackendInfo(safeStorage, process.platform);
  if (backend.weak) warn(`safeStorage uses the weak backend '${backend.backend}'`);
  const secrets = withWeakStorageConsent(
    new EncryptedFileSecretStore({
      file: path.join(dataDir, 'secrets.json'),
      cipher: safeStorageCipher(safeStorage),
      isWeakBackend: backend.weak,
      backend: backend.backend,
    }),
    {
      weak: backend.weak,
      ask: askWeakStorage,
      memory: fileAnswerMemory(path.join(dataDir, 'shell-preferences.json')),
    },
  );

  service = createService({
    dataDir,
    secrets,
    logger,
    host: 'electron',
    version: app.getVersion(),
    localServer: startEmbeddedServer,
    desktop,
  });
  // Queued transfers resume and folder pairs sync whether or not the window opens.
  void service.start();

  const systemLocale = app.getLocale();
  i18n = createMainI18n(
    loadLocales(localesDir, { onError: (file, error) => warn(`bad locale file ${file}`, error) }),
    resolveLanguage('system', systemLocale),
  );

  tray = new Tray(trayIcon('tray-idle'));
  tray.setToolTip('OSSync');
  tray.on('click', showMainWindow);

  const shellController = createShellController({
    api: service.api,
    i18n,
    systemLocale,
    ports: {
      sendToRenderer: (message) => {
        const contents = mainWindow?.webContents;
        if (contents && !contents.isDestroyed()) contents.send(IPC_EVENT_CHANNEL, message);
      },
      setTray,
      showNotification,
      applyLoginItem,
      setLogLevel: (level) => {
        if (isLogLevel(level)) logger?.setLevel(level);
      },
      showWindow: showMainWindow,
      quit: () => {
        quitting = true;
        app.quit();
      },
      warn,
    },
  });
  controller = shellController;
  service.events.on((name, payload) => shellController.onServiceEvent(name, payload));

  ipcMain.handle(
    IPC_CALL_CHANNEL,
    createIpcCallHandler(shellController.api as ContractApi, {
      appOrigin: APP_ORIGIN,
      isOurWebContents: (id) =>
        mainWindow !== undefined && !mainWindow.isDestroyed() && mainWindow.webContents.id === id,
      validateResults: !app.isPackaged,
      onInternalError: (error, method) => warn(`${method} failed`, error),
    }),
  );

  await shellController.start();

  const openedAtLogin =
    process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin;
  if (!startedHidden(process.argv, openedAtLogin)) showMainWindow();
}

/** Stops the service and flushes the log before the process ends. */
async function shutdown(): Promise<void> {
  controller?.dispose();
  ipcMain.removeHandler(IPC_CALL_CHANNEL);
  try {
    await service?.close();
  } catch (error) {
    warn('the service did not close cleanly', error);
  }
  await logger?.close();
  tray?.destroy();
}

// Before 'ready': app://ossync/ is a standard, secure origin.
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
// Every renderer in every process, before it can open anything.
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // Another OSSync is running; it gets a 'second-instance' event and shows its window.
  app.quit();
} else {
  app.on('second-instance', showMainWindow);

  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(createWindowOpenHandler(openExternal));
    contents.on('will-navigate', (event) =>
      navigationHandler(event, event.url, APP_ORIGIN, openExternal),
    );
    contents.on('will-redirect', (event) =>
      navigationHandler(event, event.url, APP_ORIGIN, openExternal),
    );
    contents.on('will-attach-webview', denyWebviewAttach);
  });

  // The tray keeps the app alive with no window; without a tray, closing the window quits.
  app.on('window-all-closed', () => {
    if (!tray) app.quit();
  });

  app.on('activate', showMainWindow);

  app.on('before-quit', () => {
    quitting = true;
  });

  app.on('will-quit', (event) => {
    if (shutDown) return;
    event.preventDefault();
    shutdown()
      .catch((error: unknown) => console.error('OSSync did not shut down cleanly:', error))
      .finally(() => {
        shutDown = true;
        app.quit();
      });
  });

  app
    .whenReady()
    .then(startShell)
    .catch((error: unknown) => {
      console.error('OSSync could not start:', error);
      dialog.showErrorBox('OSSync', `OSSync could not start: ${String(error)}`);
      app.exit(1);
    });
}
