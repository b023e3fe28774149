// Navigation, new-window, permission and IPC-sender checks. Plain functions (electron is
// imported for types only) so tests run them under Node; main.ts only wires them up.
import type { HandlerDetails, WindowOpenHandlerResponse } from 'electron';

/**
 * Where the app's own pages live: a custom protocol's origin (`ossync://app`) or the
 * file URL of the renderer's folder, ending in '/' (`file:///opt/OSSync/.../renderer/`).
 */
export type AppOrigin = string;

/**
 * Hosts whose https pages may be opened in the user's browser, each exactly or with any
 * subdomain: the Alibaba Cloud console and docs, and the project's home on GitHub.
 */
export const EXTERNAL_HOST_ALLOW_LIST: readonly string[] = Object.freeze([
  'aliyun.com',
  'alibabacloud.com',
  'github.com',
]);

/** Longer URLs are refused outright: nothing we link to needs more. */
const MAX_URL_LENGTH = 4096;

/** Schemes that are never the app, whatever appOrigin says. */
const WEB_SCHEMES = new Set([
  'http:',
  'https:',
  'ws:',
  'wss:',
  'ftp:',
  'data:',
  'blob:',
  'javascript:',
  'about:',
  'chrome:',
  'devtools:',
  'view-source:',
]);

function parseUrl(url: unknown): URL | undefined {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH) return undefined;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

interface ParsedOrigin {
  protocol: string;
  host: string;
  /** file: only: the folder every app page lies in, ending in '/'. */
  folder?: string;
}

/** Parses appOrigin; throws on one that could never be the app (a bug in main, not input). */
function parseAppOrigin(appOrigin: AppOrigin): ParsedOrigin {
  const origin = parseUrl(appOrigin);
  if (!origin || WEB_SCHEMES.has(origin.protocol) || origin.username || origin.password) {
    throw new Error(`Not an app origin: ${appOrigin}`);
  }
  if (origin.protocol === 'file:') {
    if (origin.host !== '' || !origin.pathname.endsWith('/') || origin.search || origin.hash) {
      throw new Error(`A file app origin must be a local folder URL ending in '/': ${appOrigin}`);
    }
    return { protocol: 'file:', host: '', folder: origin.pathname };
  }
  if (origin.host === '')
    throw new Error(`A custom-protocol app origin needs a host: ${appOrigin}`);
  // Chromium lower-cases the host of a standard scheme; Node's URL keeps a custom one as written.
  return { protocol: origin.protocol, host: origin.host.toLowerCase() };
}

/** True for a URL of one of the app's own pages. */
function isAppUrl(url: unknown, appOrigin: AppOrigin): boolean {
  const app = parseAppOrigin(appOrigin);
  const parsed = parseUrl(url);
  if (!parsed || parsed.username || parsed.password) return false;
  if (parsed.protocol !== app.protocol || parsed.host.toLowerCase() !== app.host) return false;
  if (app.folder === undefined) return true;
  // URL parsing has already resolved '..' and '%2e%2e'; encoded separators could still
  // smuggle one past the folder check, so they are refused.
  if (/%2f|%5c|\\/i.test(parsed.pathname)) return false;
  return parsed.pathname.startsWith(app.folder);
}

/** For 'will-navigate' and 'will-redirect': only the app's own pages. */
export function isAllowedNavigation(url: unknown, appOrigin: AppOrigin): boolean {
  return isAppUrl(url, appOrigin);
}

/**
 * https only, on the default port, no user name or password, and the host on the
 * allow-list exactly or as a subdomain (`help.aliyun.com`, not `evilaliyun.com`).
 */
export function isSafeExternalUrl(
  url: unknown,
  allowList: readonly string[] = EXTERNAL_HOST_ALLOW_LIST,
): boolean {
  const parsed = parseUrl(url);
  if (!parsed || parsed.protocol !== 'https:') return false;
  if (parsed.username || parsed.password || parsed.port !== '') return false;
  const host = parsed.hostname; // lower-cased and punycoded by the URL parser
  return allowList.some((allowed) => host === allowed || host.endsWith(`.${allowed}`));
}

/** Hands a URL to the OS browser (`shell.openExternal`, with its errors logged by main). */
export type OpenExternal = (url: string) => void;

/**
 * For `setWindowOpenHandler`: never a new Electron window; an allow-listed https URL is
 * opened in the user's browser instead, anything else is dropped.
 */
export function windowOpenHandler(
  details: Pick<HandlerDetails, 'url'>,
  openExternal: OpenExternal,
): WindowOpenHandlerResponse {
  if (isSafeExternalUrl(details.url)) openExternal(details.url);
  return { action: 'deny' };
}

export function createWindowOpenHandler(
  openExternal: OpenExternal,
): (details: HandlerDetails) => WindowOpenHandlerResponse {
  return (details) => windowOpenHandler(details, openExternal);
}

/**
 * For 'will-navigate' / 'will-redirect' / 'will-frame-navigate': stays in the app or is
 * stopped; a stopped allow-listed https link opens in the user's browser.
 */
export function navigationHandler(
  event: { preventDefault(): void },
  url: string,
  appOrigin: AppOrigin,
  openExternal: OpenExternal,
): void {
  if (isAllowedNavigation(url, appOrigin)) return;
  event.preventDefault();
  if (isSafeExternalUrl(url)) openExternal(url);
}

/** For `session.setPermissionRequestHandler`: camera, notifications, ... all refused. */
export function permissionRequestHandler(
  _webContents: unknown,
  _permission: string,
  callback: (permissionGranted: boolean) => void,
): void {
  callback(false);
}

/** For `session.setPermissionCheckHandler`: every permission check answers no. */
export function permissionCheckHandler(): boolean {
  return false;
}

/** What main knows about an IPC message's sender (from IpcMainInvokeEvent). */
export interface IpcSenderInfo {
  /** The sending frame's URL; undefined when the frame is gone. */
  frameUrl: string | undefined;
  /** False for an iframe. */
  isMainFrame: boolean;
  /** The sender's webContents id. */
  webContentsId: number;
}

export interface IpcSenderPolicy {
  appOrigin: AppOrigin;
  /** Whether this webContents is one of our windows (by id). */
  isOurWebContents: (webContentsId: number) => boolean;
}

/** Only the main frame of our window, showing one of our pages, may call the service. */
export function validateIpcSender(sender: IpcSenderInfo, policy: IpcSenderPolicy): boolean {
  if (!sender.isMainFrame) return false;
  if (!Number.isInteger(sender.webContentsId) || !policy.isOurWebContents(sender.webContentsId)) {
    return false;
  }
  return isAppUrl(sender.frameUrl, policy.appOrigin);
}

/** For 'will-attach-webview': `webviewTag` is off; this also stops a re-enabled one. */
export function denyWebviewAttach(event: { preventDefault(): void }): void {
  event.preventDefault();
}
