// Window options and the handlers that keep the renderer locked down. A plain module
// (electron is imported for types only) so tests check every flag under Node.
import path from 'node:path';
import type {
  BrowserWindowConstructorOptions,
  HandlerDetails,
  WebPreferences,
  WindowOpenHandlerResponse,
} from 'electron';

/**
 * The renderer gets no Node, runs in Chromium's sandbox, in its own JavaScript world,
 * with the web's same-origin rules. The app talks to it only through the preload's
 * contract functions. See https://www.electronjs.org/docs/latest/tutorial/security.
 */
export const secureWebPreferences = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
} as const satisfies WebPreferences);

/** Options for the main window; `preloadPath` must be absolute (Electron requires it). */
export function createWindowOptions(preloadPath?: string): BrowserWindowConstructorOptions {
  if (preloadPath !== undefined && !path.isAbsolute(preloadPath)) {
    throw new Error(`The preload path must be absolute, got ${preloadPath}`);
  }
  const webPreferences: WebPreferences = { ...secureWebPreferences };
  if (preloadPath !== undefined) webPreferences.preload = preloadPath;
  return {
    title: 'OSSync',
    width: 1200,
    height: 780,
    minWidth: 720,
    minHeight: 480,
    // shown on 'ready-to-show', so the window never flashes empty
    show: false,
    webPreferences,
  };
}

/** For 'will-navigate': the app is one page; links to the web open nowhere. */
export function denyNavigation(event: { preventDefault(): void }): void {
  event.preventDefault();
}

/** For `setWindowOpenHandler`: no pop-ups, no new windows from the renderer. */
export function denyWindowOpen(_details?: HandlerDetails): WindowOpenHandlerResponse {
  return { action: 'deny' };
}

/** For 'will-attach-webview': `webviewTag` is off; this also stops a re-enabled one. */
export function denyWebviewAttach(event: { preventDefault(): void }): void {
  event.preventDefault();
}

/** For `session.setPermissionRequestHandler`: camera, notifications, ... all refused. */
export function denyPermissionRequest(
  _webContents: unknown,
  _permission: string,
  callback: (permissionGranted: boolean) => void,
): void {
  callback(false);
}

/** For `session.setPermissionCheckHandler`: every permission check answers no. */
export function denyPermissionCheck(): boolean {
  return false;
}
