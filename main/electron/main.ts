// Electron main entry: one locked-down window showing the built renderer. Glue only; the
// full shell (tray, IPC transport, notifications, safeStorage) comes later.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, session, shell } from 'electron';
import {
  createWindowOpenHandler,
  denyWebviewAttach,
  navigationHandler,
  permissionCheckHandler,
  permissionRequestHandler,
  type OpenExternal,
} from './security-handlers.js';
import { cspHeadersListener, mainWindowOptions } from './window-options.js';

// dist/main/electron/main.js -> dist/renderer/index.html
const rendererIndex = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'renderer',
  'index.html',
);
// The only pages the window may show: the renderer's folder.
const appOrigin = pathToFileURL(path.dirname(rendererIndex) + path.sep).href;

/** Allow-listed https links open in the user's browser (checked by the handlers). */
const openExternal: OpenExternal = (url) => {
  shell.openExternal(url).catch((error: unknown) => {
    console.error('OSSync could not open a link in the browser:', error);
  });
};

let mainWindow: BrowserWindow | undefined;

function createMainWindow(): BrowserWindow {
  // No preload yet: the IPC contract and its preload arrive with the full shell.
  const window = new BrowserWindow(mainWindowOptions());
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
    contents.setWindowOpenHandler(createWindowOpenHandler(openExternal));
    contents.on('will-navigate', (event) =>
      navigationHandler(event, event.url, appOrigin, openExternal),
    );
    contents.on('will-redirect', (event) =>
      navigationHandler(event, event.url, appOrigin, openExternal),
    );
    contents.on('will-attach-webview', denyWebviewAttach);
  });

  app.on('window-all-closed', () => app.quit());

  app.on('activate', () => {
    if (app.isReady() && !mainWindow) mainWindow = createMainWindow();
  });

  app
    .whenReady()
    .then(() => {
      session.defaultSession.setPermissionRequestHandler(permissionRequestHandler);
      session.defaultSession.setPermissionCheckHandler(permissionCheckHandler);
      // file:// pages carry the same policy in a meta tag; this covers everything fetched
      // over a protocol with headers.
      session.defaultSession.webRequest.onHeadersReceived(cspHeadersListener);
      mainWindow = createMainWindow();
    })
    .catch((error: unknown) => {
      console.error('OSSync could not start:', error);
      app.exit(1);
    });
}
