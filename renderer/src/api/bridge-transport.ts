/** The Electron transport: the preload's `window.ossync` (main/preload/bridge.ts). */
import type { ConnectionState, RawReply, Transport } from './transport.js';

/** The shape the preload exposes (kept equal to main/preload/bridge.ts OssyncBridge). */
export interface OssyncBridgeLike {
  call(method: string, params?: unknown): Promise<RawReply>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

export function isBridge(value: unknown): value is OssyncBridgeLike {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.call === 'function' && typeof record.on === 'function';
}

export function createBridgeTransport(bridge: OssyncBridgeLike): Transport {
  return {
    call: (method, params) => bridge.call(method, params),
    on: (event, listener) => bridge.on(event, listener),
    // IPC is up as long as the window exists.
    connectionState: (): ConnectionState => 'open',
    onConnectionState: () => () => {},
    close: () => {},
  };
}
