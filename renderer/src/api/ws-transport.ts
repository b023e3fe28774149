/**
 * The headless host's transport: one WebSocket to `/ws` with the subprotocols
 * `['ossync', 'ossync.<token>']` (main/host/host.ts). Requests are `{ id, method, params }`,
 * replies `{ id, ok, value }` or `{ id, ok: false, error }`, events `{ event, payload }`.
 *
 * Calls made while the socket is down wait for it (up to their timeout); a call in flight
 * when the socket drops fails with code 'network'. The socket reconnects with a growing
 * delay, and listeners of `onConnectionState` learn when it is back (lists reload then,
 * since events were missed).
 */
import { contractErrorSchema, ContractError } from '../../../shared/contract/index.js';
import type { ConnectionState, RawReply, Transport } from './transport.js';

export const WS_PROTOCOL = 'ossync';

/** The part of the browser's WebSocket the transport uses (tests pass a fake). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export type WebSocketFactory = (url: string, protocols: string[]) => WebSocketLike;

export interface WsTransportOptions {
  url: string;
  token: string;
  createSocket?: WebSocketFactory;
  /** A call without a reply after this long fails with code 'timeout'. */
  timeoutMs?: number;
  /** Reconnect delays grow from the first to the last (ms). */
  reconnectDelaysMs?: readonly number[];
}

const OPEN = 1;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 5000, 10_000];

interface Pending {
  resolve: (reply: RawReply) => void;
  timer: ReturnType<typeof setTimeout>;
  /** The request's text, kept until it is sent (the socket may be down). */
  text: string | null;
}

const failure = (code: 'network' | 'timeout' | 'unknown', message: string): RawReply => ({
  ok: false,
  error: new ContractError(code, message, { subject: 'host' }).toData(),
});

export function createWebSocketTransport(options: WsTransportOptions): Transport {
  const createSocket: WebSocketFactory =
    options.createSocket ??
    ((url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const delays = options.reconnectDelaysMs ?? DEFAULT_RECONNECT_DELAYS_MS;

  const pending = new Map<number, Pending>();
  const eventListeners = new Map<string, Set<(payload: unknown) => void>>();
  const stateListeners = new Set<(state: ConnectionState) => void>();
  let nextId = 1;
  let socket: WebSocketLike | null = null;
  let state: ConnectionState = 'connecting';
  let failures = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  let everOpened = false;

  const setState = (next: ConnectionState) => {
    if (next === state) return;
    state = next;
    for (const listener of stateListeners) listener(next);
  };

  const flush = () => {
    if (socket === null || socket.readyState !== OPEN) return;
    for (const entry of pending.values()) {
      if (entry.text === null) continue;
      socket.send(entry.text);
      entry.text = null;
    }
  };

  const onMessage = (data: unknown) => {
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const record = message as Record<string, unknown>;
    if (typeof record.event === 'string' && !('id' in record)) {
      const listeners = eventListeners.get(record.event);
      if (listeners) for (const listener of [...listeners]) listener(record.payload);
      return;
    }
    if (typeof record.id !== 'number') return;
    const entry = pending.get(record.id);
    if (!entry) return;
    pending.delete(record.id);
    clearTimeout(entry.timer);
    if (record.ok === true && 'value' in record) {
      entry.resolve({ ok: true, value: record.value });
      return;
    }
    const error = contractErrorSchema.safeParse(record.error);
    entry.resolve(
      error.success ? { ok: false, error: error.data } : failure('unknown', 'malformed reply'),
    );
  };

  const connect = () => {
    if (closed) return;
    reconnectTimer = null;
    // A page that never got in stays 'failed' while it retries, instead of flickering.
    if (state !== 'failed') setState('connecting');
    let current: WebSocketLike;
    try {
      current = createSocket(options.url, [WS_PROTOCOL, `${WS_PROTOCOL}.${options.token}`]);
    } catch {
      scheduleReconnect();
      return;
    }
    socket = current;
    current.onopen = () => {
      if (socket !== current) return;
      failures = 0;
      everOpened = true;
      setState('open');
      flush();
    };
    current.onmessage = (event) => {
      if (socket === current) onMessage(event.data);
    };
    current.onerror = () => {};
    current.onclose = () => {
      if (socket !== current) return;
      socket = null;
      // Calls already sent will get no reply on a new socket.
      for (const [id, entry] of pending) {
        if (entry.text !== null) continue;
        pending.delete(id);
        clearTimeout(entry.timer);
        entry.resolve(failure('network', 'the connection to OSSync was lost'));
      }
      if (closed) return;
      setState(everOpened ? 'closed' : 'failed');
      scheduleReconnect();
    };
  };

  const scheduleReconnect = () => {
    if (closed || reconnectTimer !== null) return;
    const delay = delays[Math.min(failures, delays.length - 1)] ?? 1000;
    failures += 1;
    reconnectTimer = setTimeout(connect, delay);
  };

  connect();

  return {
    call(method, params) {
      return new Promise<RawReply>((resolve) => {
        if (closed) {
          resolve(failure('network', 'the connection to OSSync is closed'));
          return;
        }
        const id = nextId;
        nextId += 1;
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(failure('timeout', `${method}: no answer from OSSync in time`));
        }, timeoutMs);
        pending.set(id, { resolve, timer, text: JSON.stringify({ id, method, params }) });
        flush();
      });
    },
    on(event, listener) {
      let listeners = eventListeners.get(event);
      if (!listeners) {
        listeners = new Set();
        eventListeners.set(event, listeners);
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    connectionState: () => state,
    onConnectionState(listener) {
      stateListeners.add(listener);
      return () => {
        stateListeners.delete(listener);
      };
    },
    close() {
      closed = true;
      if (reconnectTimer !== null) clearTimeout(reconnectTimer);
      for (const entry of pending.values()) clearTimeout(entry.timer);
      for (const entry of pending.values()) {
        entry.resolve(failure('network', 'the connection to OSSync is closed'));
      }
      pending.clear();
      socket?.close(1000, 'closing');
      socket = null;
      setState('closed');
    },
  };
}
