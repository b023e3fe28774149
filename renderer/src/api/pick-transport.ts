/**
 * Chooses the transport at start: the preload's bridge in Electron, else the headless
 * host's WebSocket with the token from the URL fragment (`#token=...`), which is then
 * removed from the address bar and kept in sessionStorage so a reload still works.
 */
import { createBridgeTransport, isBridge } from './bridge-transport.js';
import type { Transport } from './transport.js';
import { createWebSocketTransport } from './ws-transport.js';

const TOKEN_STORAGE_KEY = 'ossync.token';

/** The parts of `window` used here (structural, so tests pass a plain object). */
export interface WindowLike {
  readonly location: {
    hash: string;
    pathname: string;
    search: string;
    protocol: string;
    host: string;
  };
  readonly history: {
    state: unknown;
    replaceState(state: unknown, unused: string, url: string): void;
  };
  readonly sessionStorage: {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
  };
  readonly ossync?: unknown;
}

/** The token in a fragment such as `#token=abc` or `#view=x&token=abc`, else null. */
export function tokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const token = params.get('token');
  return token !== null && token !== '' ? token : null;
}

export function readToken(win: WindowLike): string | null {
  const fromHash = tokenFromHash(win.location.hash);
  if (fromHash !== null) {
    try {
      win.sessionStorage.setItem(TOKEN_STORAGE_KEY, fromHash);
    } catch {
      // storage may be disabled; the token then lasts until the page reloads
    }
    const url = win.location.pathname + win.location.search;
    win.history.replaceState(win.history.state, '', url);
    return fromHash;
  }
  try {
    return win.sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}

export function webSocketUrl(location: WindowLike['location']): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

export function pickTransport(win: WindowLike): Transport {
  const bridge = win.ossync;
  if (isBridge(bridge)) return createBridgeTransport(bridge);
  return createWebSocketTransport({
    url: webSocketUrl(win.location),
    token: readToken(win) ?? '',
  });
}
