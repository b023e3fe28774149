// Electron main entry: one locked-down window showing the built renderer. Glue only; the
// full shell (tray, IPC transport, notifications, safeStorage) comes later.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, session } from 'electron';
import {
  createWindowOptions,
  denyNavigation,
  denyPermissionCheck,
  denyPermissionRequest,
  denyWebviewAttach,
  denyWindowOpen,
} from './window-options.js';

// dist/main/electron/main.js -> dist/renderer/index.html
const rendererIndex = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'renderer',
  'index.html',
);

let mainWindow: BrowserWindow | undefined;

function createMainWindow(): BrowserWindow {
  // No preload yet: the IPC contract and its preload arrive with the full shell.
  const window = new BrowserWindow(createWindowOptions());
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    mainWindow = undefined;
  });
  window.loadFile(rendererIndex).catch((error: unknown) => {
    console.error(`OSSync could not load its window (${rendererIndex}):`, error);
  });
  return window;
}

function focusMainWindow(): void {
  if (!mainWindow) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.focus();
}

// Every renderer in every process, before it can open anything.
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // Another OSSync is running; it gets a 'second-instance' event and shows its window.
  app.quit();
} else {
  app.on('second-instance', focusMainWindow);

  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(denyWindowOpen);
    contents.on('will-navigate', denyNavigation);
    contents.on('will-attach-webview', denyWebviewAttach);
  });

  app.on('window-all-closed', () => app.quit());

  app.on('activate', () => {
    if (app.isReady() && !mainWindow) mainWindow = createMainWindow();
  });

  app
    .whenReady()
    .then(() => {
      session.defaultSession.setPermissionRequestHandler(denyPermissionRequest);
      session.defaultSession.setPermissionCheckHandler(denyPermissionCheck);
      mainWindow = createMainWindow();
    })
    .catch((error: unknown) => {
      console.error('OSSync could not start:', error);
      app.exit(1);
    });
}
