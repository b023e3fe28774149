/**
 * What the api client needs from a transport: send one call and get main's raw reply, and
 * listen to events by name. Two implementations: the Electron preload bridge and the
 * headless host's WebSocket (chosen at start by `pickTransport`).
 */
import type { ContractErrorData } from '../../../shared/contract/index.js';

/** A call's outcome before the result is validated. */
export type RawReply = { ok: true; value: unknown } | { ok: false; error: ContractErrorData };

/**
 * Whether the transport can reach main right now (the WebSocket can drop; IPC cannot).
 * 'failed': it never connected (wrong or missing token, host not running); it keeps trying.
 */
export type ConnectionState = 'connecting' | 'open' | 'closed' | 'failed';

export interface Transport {
  call(method: string, params: unknown): Promise<RawReply>;
  /** Raw payloads of one event; the client validates them. Returns the unsubscribe function. */
  on(event: string, listener: (payload: unknown) => void): () => void;
  connectionState(): ConnectionState;
  onConnectionState(listener: (state: ConnectionState) => void): () => void;
  close(): void;
}
