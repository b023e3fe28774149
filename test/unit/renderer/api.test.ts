// The renderer's api module: result and event validation, errors as ContractError, the
// WebSocket transport's request ids, queueing, timeouts, drops and reconnects, and the
// token handling of the headless host.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ContractError } from '../../../shared/contract/index.js';
import { createApiClient } from '../../../renderer/src/api/client.js';
import { createBridgeTransport } from '../../../renderer/src/api/bridge-transport.js';
import {
  readToken,
  tokenFromHash,
  webSocketUrl,
  type WindowLike,
} from '../../../renderer/src/api/pick-transport.js';
import type { RawReply, Transport } from '../../../renderer/src/api/transport.js';
import {
  createWebSocketTransport,
  type WebSocketLike,
} from '../../../renderer/src/api/ws-transport.js';

const INFO = { version: '0.1.0', host: 'headless', platform: 'linux' } as const;

function fakeTransport(reply: (method: string, params: unknown) => RawReply) {
  const listeners = new Map<string, (payload: unknown) => void>();
  const transport: Transport = {
    call: async (method, params) => reply(method, params),
    on: (event, listener) => {
      listeners.set(event, listener);
      return () => listeners.delete(event);
    },
    connectionState: () => 'open',
    onConnectionState: () => () => {},
    close: () => {},
  };
  return { transport, push: (event: string, payload: unknown) => listeners.get(event)?.(payload) };
}

describe('createApiClient', () => {
  it('returns a result that passes its schema', async () => {
    const seen: unknown[] = [];
    const { transport } = fakeTransport((method, params) => {
      seen.push([method, params]);
      return { ok: true, value: INFO };
    });
    const api = createApiClient(transport);
    await expect(api['app.info']({})).resolves.toEqual(INFO);
    expect(seen).toEqual([['app.info', {}]]);
  });

  it('refuses a result that fails its schema, naming the field', async () => {
    const onInvalid = vi.fn();
    const { transport } = fakeTransport(() => ({ ok: true, value: { ...INFO, host: 'toaster' } }));
    const api = createApiClient(transport, { onInvalid });
    const error = await api['app.info']({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractError);
    expect((error as ContractError).code).toBe('invalid-payload');
    expect((error as ContractError).subject).toBe('result.host');
    expect(onInvalid).toHaveBeenCalledTimes(1);
  });

  it('turns an error reply into a ContractError with its details', async () => {
    const data = new ContractError('access-denied', 'denied', {
      ossCode: 'AccessDenied',
      requestId: 'REQ1',
    }).toData();
    const { transport } = fakeTransport(() => ({ ok: false, error: data }));
    const error = await createApiClient(transport)
      ['buckets.list']({ accountId: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractError);
    expect(error).toMatchObject({
      code: 'access-denied',
      ossCode: 'AccessDenied',
      requestId: 'REQ1',
    });
  });

  it('delivers valid event payloads and drops invalid ones', () => {
    const onInvalid = vi.fn();
    const { transport, push } = fakeTransport(() => ({ ok: true, value: {} }));
    const api = createApiClient(transport, { onInvalid });
    const listener = vi.fn();
    const off = api.on('pairs.removed', listener);
    push('pairs.removed', { pairId: 3 });
    push('pairs.removed', { pairId: -1 });
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith({ pairId: 3 });
    expect(onInvalid).toHaveBeenCalledTimes(1);
    off();
    push('pairs.removed', { pairId: 4 });
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('works over the preload bridge too', async () => {
    const bridge = {
      call: vi.fn(async () => ({ ok: true as const, value: INFO })),
      on: vi.fn(() => () => {}),
    };
    const api = createApiClient(createBridgeTransport(bridge));
    await expect(api['app.info']({})).resolves.toEqual(INFO);
    expect(bridge.call).toHaveBeenCalledWith('app.info', {});
    expect(api.connectionState()).toBe('open');
  });
});

class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: string[] = [];
  closed = false;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.drop();
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop() {
    if (this.closed) return;
    this.closed = true;
    this.readyState = 3;
    this.onclose?.({});
  }
  receive(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  request(index: number): { id: number; method: string; params: unknown } {
    return JSON.parse(this.sent[index] ?? 'null') as {
      id: number;
      method: string;
      params: unknown;
    };
  }
}

describe('createWebSocketTransport', () => {
  let sockets: FakeSocket[];
  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
  });
  afterEach(() => vi.useRealTimers());

  const start = (timeoutMs = 5000) =>
    createWebSocketTransport({
      url: 'ws://127.0.0.1:9000/ws',
      token: 'secret-token-123456',
      timeoutMs,
      reconnectDelaysMs: [100, 200],
      createSocket: (url, protocols) => {
        const socket = new FakeSocket(url, protocols);
        sockets.push(socket);
        return socket;
      },
    });

  it('offers the token as a subprotocol, queues calls until open and matches replies by id', async () => {
    const transport = start();
    expect(sockets[0]?.protocols).toEqual(['ossync', 'ossync.secret-token-123456']);
    expect(transport.connectionState()).toBe('connecting');
    const first = transport.call('app.info', {});
    const second = transport.call('pairs.list', {});
    const socket = sockets[0]!;
    expect(socket.sent).toEqual([]);
    socket.open();
    expect(transport.connectionState()).toBe('open');
    expect(socket.sent).toHaveLength(2);
    const a = socket.request(0);
    const b = socket.request(1);
    expect(a).toMatchObject({ method: 'app.info', params: {} });
    expect(a.id).not.toBe(b.id);
    socket.receive({ id: b.id, ok: true, value: { pairs: [] } });
    socket.receive({ id: a.id, ok: false, error: new ContractError('unauthorized').toData() });
    await expect(second).resolves.toEqual({ ok: true, value: { pairs: [] } });
    await expect(first).resolves.toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('times out a call without a reply', async () => {
    const transport = start(1000);
    sockets[0]!.open();
    const call = transport.call('app.info', {});
    vi.advanceTimersByTime(1001);
    await expect(call).resolves.toMatchObject({ ok: false, error: { code: 'timeout' } });
  });

  it('fails calls in flight when the socket drops, reconnects and sends later calls', async () => {
    const transport = start();
    const states: string[] = [];
    transport.onConnectionState((state) => states.push(state));
    sockets[0]!.open();
    const lost = transport.call('app.info', {});
    sockets[0]!.drop();
    await expect(lost).resolves.toMatchObject({ ok: false, error: { code: 'network' } });
    expect(transport.connectionState()).toBe('closed');
    const later = transport.call('app.info', {});
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(2);
    sockets[1]!.open();
    const request = sockets[1]!.request(0);
    sockets[1]!.receive({ id: request.id, ok: true, value: INFO });
    await expect(later).resolves.toEqual({ ok: true, value: INFO });
    expect(states).toEqual(['open', 'closed', 'connecting', 'open']);
  });

  it('says it failed, not lost, when it never got in, and stays so while retrying', () => {
    const transport = start();
    const states: string[] = [];
    transport.onConnectionState((state) => states.push(state));
    sockets[0]!.drop();
    vi.advanceTimersByTime(100);
    sockets[1]!.drop();
    expect(transport.connectionState()).toBe('failed');
    expect(states).toEqual(['failed']);
    vi.advanceTimersByTime(200);
    sockets[2]!.open();
    expect(states).toEqual(['failed', 'open']);
  });

  it('backs off between failed reconnects', () => {
    start();
    sockets[0]!.drop();
    vi.advanceTimersByTime(99);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    sockets[1]!.drop();
    vi.advanceTimersByTime(199);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
  });

  it('dispatches events by name', () => {
    const transport = start();
    sockets[0]!.open();
    const listener = vi.fn();
    transport.on('pairs.removed', listener);
    sockets[0]!.receive({ event: 'pairs.removed', payload: { pairId: 2 } });
    sockets[0]!.receive({ event: 'transfers.listChanged', payload: { added: 1, removed: 0 } });
    expect(listener).toHaveBeenCalledExactlyOnceWith({ pairId: 2 });
  });

  it('stops reconnecting once closed', () => {
    const transport = start();
    sockets[0]!.open();
    transport.close();
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(1);
    expect(transport.connectionState()).toBe('closed');
  });
});

describe('the access token', () => {
  it('is read from the fragment', () => {
    expect(tokenFromHash('#token=abc_DEF-123')).toBe('abc_DEF-123');
    expect(tokenFromHash('#view=x&token=t0k')).toBe('t0k');
    expect(tokenFromHash('')).toBeNull();
    expect(tokenFromHash('#token=')).toBeNull();
  });

  it('is removed from the address bar and kept for a reload', () => {
    const storage = new Map<string, string>();
    const replaced: string[] = [];
    const win = {
      location: {
        hash: '#token=abc123',
        pathname: '/',
        search: '',
        protocol: 'http:',
        host: '127.0.0.1:7000',
      },
      history: {
        state: null,
        replaceState: (_s: unknown, _t: string, url: string) => replaced.push(url),
      },
      sessionStorage: {
        setItem: (k: string, v: string) => storage.set(k, v),
        getItem: (k: string) => storage.get(k) ?? null,
      },
    } satisfies WindowLike;
    expect(readToken(win)).toBe('abc123');
    expect(replaced).toEqual(['/']);
    win.location.hash = '';
    expect(readToken(win)).toBe('abc123');
    expect(webSocketUrl(win.location)).toBe('ws://127.0.0.1:7000/ws');
    expect(webSocketUrl({ ...win.location, protocol: 'https:' })).toBe('wss://127.0.0.1:7000/ws');
  });
});
