// Window options and the Content-Security-Policy that keep the renderer locked down. A
// plain module (electron is imported for types only) so tests check every flag under Node.
import path from 'node:path';
import type {
  BrowserWindowConstructorOptions,
  OnHeadersReceivedListenerDetails,
  HeadersReceivedResponse,
  WebPreferences,
} from 'electron';

/**
 * The renderer gets no Node, runs in Chromium's sandbox, in its own JavaScript world,
 * with the web's same-origin rules. The app talks to it only through the preload's
 * contract bridge. See https://www.electronjs.org/docs/latest/tutorial/security.
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
  // a file dropped outside the drop zone must not navigate the window to it
  navigateOnDragDrop: false,
  safeDialogs: true,
} as const satisfies WebPreferences);

export interface MainWindowOptions {
  /** Absolute path of the bundled preload script (Electron requires an absolute path). */
  preloadPath?: string;
  /** Chromium's spell checker in text fields; off by default (it may send words to a service). */
  spellcheck?: boolean;
}

/** Options for the main window. */
export function mainWindowOptions(
  options: MainWindowOptions = {},
): BrowserWindowConstructorOptions {
  const { preloadPath, spellcheck = false } = options;
  if (preloadPath !== undefined && !path.isAbsolute(preloadPath)) {
    throw new Error(`The preload path must be absolute, got ${preloadPath}`);
  }
  const webPreferences: WebPreferences = { ...secureWebPreferences, spellcheck };
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

/**
 * The CSP of every response the app's session receives. No inline or eval'd script, no
 * plugins, no <base>, no framing, no form posts. `style-src 'self'` without
 * 'unsafe-inline' is enough for React: `style={...}` props are applied through the CSSOM
 * (element.style), which CSP does not block; only <style> elements and style="" attributes
 * in markup would need it, and the Vite build emits CSS as files. The headless host's
 * WebSocket (ws: on its own origin) is served with its own CSP, not this one.
 */
export const CSP_DIRECTIVES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'worker-src': ["'self'"],
  'frame-src': ["'none'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'frame-ancestors': ["'none'"],
  'form-action': ["'none'"],
});

export const CONTENT_SECURITY_POLICY = Object.entries(CSP_DIRECTIVES)
  .map(([name, sources]) => `${name} ${sources.join(' ')}`)
  .join('; ');

type ResponseHeaders = Record<string, string | string[]>;

/**
 * The response headers with our CSP, replacing any CSP the response carried (header names
 * compare case-insensitively). Returns a new object.
 */
export function withContentSecurityPolicy(headers: ResponseHeaders | undefined): ResponseHeaders {
  const out: ResponseHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') out[name] = value;
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return out;
}

/** For `session.webRequest.onHeadersReceived`: adds the CSP to every response. */
export function cspHeadersListener(
  details: Pick<OnHeadersReceivedListenerDetails, 'responseHeaders'>,
  callback: (response: HeadersReceivedResponse) => void,
): void {
  callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders) });
}
