/**
 * The headless host's WebSocket transport, with a real `ws` client against a started host:
 * authentication before the upgrade, Origin checks, request parsing, error mapping, limits
 * and events.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startHost, type HostOptions, type RunningHost } from '../../../main/host/host.js';
import {
  ContractError,
  type ContractApi,
  type PairStatusDto,
} from '../../../shared/contract/index.js';

const PLAIN_ERROR_DETAIL = 'sqlite said: /home/alice/.ossync/state.db is locked (internal detail)';

const PAIR_STATUS: PairStatusDto = {
  pair: {
    id: 1,
    accountId: 1,
    localRoot: '/home/alice/Photos',
    bucket: 'photos',
    prefix: 'phone/',
    mode: 'backup',
    deleteMode: 'trash',
    ignore: [],
    followSymlinks: false,
    trashRetentionDays: 30,
    deleteGuard: { maxFraction: 0.5, maxCount: 100 },
    paused: false,
    createdAt: 1_700_000_000_000,
  },
  state: 'idle',
  detail: null,
  watching: 'events',
  counters: {
    filesPending: 0,
    bytesPending: 0,
    lastSyncedAt: null,
    errors: 0,
    conflicts: 0,
    deletesAwaiting: 0,
  },
};

/**
 * A few methods answered in the test: the real service (main/core/service) does not exist
 * yet, and the transport only needs something that implements ContractApi.
 */
function fakeApi() {
  const calls: string[] = [];
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const api: Partial<ContractApi> = {
    'app.info': async () => {
      calls.push('app.info');
      return { version: '0.1.0', host: 'headless', platform: 'linux' };
    },
    'pairs.get': async ({ pairId }) => {
      calls.push('pairs.get');
      if (pairId !== 1) throw new ContractError('not-found', `no pair ${pairId}`);
      return PAIR_STATUS;
    },
    'pairs.pause': async () => {
      calls.push('pairs.pause');
      throw new Error(PLAIN_ERROR_DETAIL);
    },
    // A result with a field the schema does not know (a secret, say) must not be sent.
    'app.status': async () => {
      calls.push('app.status');
      return { ...PAIR_STATUS, accessKeySecret: 'not-for-the-browser' } as never;
    },
    // Waits until the test releases it, to fill the in-flight limit.
    'pairs.syncNow': async () => {
      calls.push('pairs.syncNow');
      await held;
      return PAIR_STATUS;
    },
  };
  return { api: api as ContractApi, calls, release: () => release() };
}

function eventSource() {
  const listeners = new Set<(name: string, payload: unknown) => void>();
  return {
    on(listener: (name: string, payload: unknown) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(name: string, payload: unknown) {
      for (const listener of listeners) listener(name, payload);
    },
    get size() {
      return listeners.size;
    },
  };
}

type Connected = { ws: WebSocket; status?: undefined } | { ws?: undefined; status: number };

function connect(
  host: RunningHost,
  { origin = host.origin, protocols = ['ossync', `ossync.${host.token}`], path = '/ws' } = {},
): Promise<Connected> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}${path}`, protocols, { origin });
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      response.resume();
    });
    ws.on('error', reject);
  });
}

async function open(host: RunningHost): Promise<WebSocket> {
  const connected = await connect(host);
  if (connected.ws === undefined) throw new Error(`upgrade refused: ${connected.status}`);
  return connected.ws;
}

/** Collects every message a socket receives, parsed. */
function inbox(ws: WebSocket) {
  const messages: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer) => {
    messages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    messages,
    async next(predicate: (message: Record<string, unknown>) => boolean = () => true) {
      for (;;) {
        const found = messages.findIndex(predicate);
        if (found !== -1) return messages.splice(found, 1)[0]!;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

const closed = (ws: WebSocket) =>
  new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));

let host: RunningHost;
let fake: ReturnType<typeof fakeApi>;
let events: ReturnType<typeof eventSource>;
let logLines: string[];

async function start(overrides: Partial<HostOptions> = {}) {
  fake = fakeApi();
  events = eventSource();
  logLines = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  host = await startHost({
    api: fake.api,
    events,
    logger: pino({ level: 'debug' }, sink),
    ...overrides,
  });
}

beforeEach(async () => {
  await start();
});

afterEach(async () => {
  fake.release();
  await host.close();
});

describe('upgrade', () => {
  it('refuses a connection without the token with 401', async () => {
    expect(await connect(host, { protocols: ['ossync'] })).toEqual({ status: 401 });
    expect(await connect(host, { protocols: [] })).toEqual({ status: 401 });
  });

  it('refuses a wrong token with 401', async () => {
    const wrong = `${host.token.slice(0, -1)}${host.token.endsWith('A') ? 'B' : 'A'}`;
    expect(await connect(host, { protocols: ['ossync', `ossync.${wrong}`] })).toEqual({
      status: 401,
    });
    expect(await connect(host, { protocols: ['ossync', 'ossync.x'] })).toEqual({ status: 401 });
  });

  it('refuses a foreign Origin with 403 even with the right token', async () => {
    for (const origin of [
      'http://evil.example',
      `http://evil.example:${host.port}`,
      `https://127.0.0.1:${host.port}`,
      `http://127.0.0.1:${host.port + 1}`,
      'null',
    ]) {
      expect(await connect(host, { origin })).toEqual({ status: 403 });
    }
    expect(fake.calls).toEqual([]);
  });

  it('accepts both loopback spellings of its own origin and selects the plain protocol', async () => {
    for (const origin of [`http://127.0.0.1:${host.port}`, `http://localhost:${host.port}`]) {
      const connected = await connect(host, { origin });
      expect(connected.ws?.protocol).toBe('ossync');
      connected.ws?.close();
    }
  });

  it('upgrades only on /ws', async () => {
    expect(await connect(host, { path: '/metrics' })).toEqual({ status: 404 });
    expect(await connect(host, { path: '/' })).toEqual({ status: 404 });
  });
});

describe('calls', () => {
  it('round-trips a good call and a ContractError', async () => {
    const ws = await open(host);
    const box = inbox(ws);
    ws.send(JSON.stringify({ id: 1, method: 'app.info', params: {} }));
    expect(await box.next()).toEqual({
      id: 1,
      ok: true,
      value: { version: '0.1.0', host: 'headless', platform: 'linux' },
    });
    ws.send(JSON.stringify({ id: 'b', method: 'pairs.get', params: { pairId: 1 } }));
    expect(await box.next()).toEqual({ id: 'b', ok: true, value: PAIR_STATUS });
    ws.send(JSON.stringify({ id: 3, method: 'pairs.get', params: { pairId: 7 } }));
    expect(await box.next()).toEqual({
      id: 3,
      ok: false,
      error: { code: 'not-found', messageKey: 'errors.not-found', message: 'no pair 7' },
    });
    ws.close();
  });

  it('answers malformed requests with invalid-payload or unknown-method and never calls the api', async () => {
    const ws = await open(host);
    const box = inbox(ws);
    const cases: [string, unknown, string][] = [
      ['{ not json', null, 'invalid-payload'],
      ['[1,2]', null, 'invalid-payload'],
      ['"app.info"', null, 'invalid-payload'],
      [JSON.stringify({ method: 'app.info', params: {} }), null, 'invalid-payload'],
      [JSON.stringify({ id: 10, params: {} }), 10, 'invalid-payload'],
      [JSON.stringify({ id: 11, method: 'app.info' }), 11, 'invalid-payload'],
      [JSON.stringify({ id: 12, method: 'app.nothing', params: {} }), 12, 'unknown-method'],
      [JSON.stringify({ id: 13, method: 'toString', params: {} }), 13, 'unknown-method'],
      [JSON.stringify({ id: 14, method: '__proto__', params: {} }), 14, 'unknown-method'],
      [
        JSON.stringify({ id: 15, method: 'pairs.get', params: { pairId: 'one' } }),
        15,
        'invalid-payload',
      ],
      [
        JSON.stringify({ id: 16, method: 'pairs.get', params: { pairId: 1, extra: 1 } }),
        16,
        'invalid-payload',
      ],
      // prototype pollution, in the params and in the envelope
      [
        '{"id":17,"method":"pairs.get","params":{"pairId":1,"__proto__":{"polluted":true}}}',
        17,
        'invalid-payload',
      ],
      [
        '{"id":18,"method":"app.info","params":{"constructor":{"prototype":{"polluted":true}}}}',
        18,
        'invalid-payload',
      ],
      [
        '{"id":19,"method":"app.info","params":{},"__proto__":{"polluted":true}}',
        19,
        'invalid-payload',
      ],
    ];
    for (const [text, id, code] of cases) {
      ws.send(text);
      const answer = await box.next();
      expect(answer, text).toMatchObject({ id, ok: false, error: { code } });
    }
    expect(fake.calls).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    ws.send(Buffer.from('{"id":20}'), { binary: true });
    expect(await box.next()).toMatchObject({
      id: null,
      ok: false,
      error: { code: 'invalid-payload' },
    });
    // the socket survived all of it
    ws.send(JSON.stringify({ id: 21, method: 'app.info', params: {} }));
    expect(await box.next()).toMatchObject({ id: 21, ok: true });
    ws.close();
  });

  it('maps a plain Error to code unknown with the generic message and logs the detail at debug only', async () => {
    const ws = await open(host);
    const box = inbox(ws);
    ws.send(JSON.stringify({ id: 1, method: 'pairs.pause', params: { pairId: 1 } }));
    const answer = await box.next();
    expect(answer).toEqual({
      id: 1,
      ok: false,
      error: {
        code: 'unknown',
        messageKey: 'errors.unknown',
        message: 'Something unexpected went wrong.',
      },
    });
    expect(JSON.stringify(answer)).not.toContain('sqlite');
    expect(JSON.stringify(answer)).not.toContain('stack');
    const detail = logLines.filter((line) => line.includes('sqlite said'));
    expect(detail.length).toBe(1);
    expect(JSON.parse(detail[0]!)).toMatchObject({ level: 20 }); // pino's debug
    ws.close();
  });

  it('does not send a result that fails its schema', async () => {
    const ws = await open(host);
    const box = inbox(ws);
    ws.send(JSON.stringify({ id: 1, method: 'app.status', params: {} }));
    const answer = await box.next();
    expect(answer).toMatchObject({ id: 1, ok: false, error: { code: 'unknown' } });
    expect(JSON.stringify(answer)).not.toContain('not-for-the-browser');
    expect(logLines.join('')).not.toContain('not-for-the-browser');
    ws.close();
  });

  it('answers a method the service lacks with unknown-method', async () => {
    const ws = await open(host);
    const box = inbox(ws);
    ws.send(JSON.stringify({ id: 1, method: 'pairs.list', params: {} }));
    expect(await box.next()).toMatchObject({ id: 1, ok: false, error: { code: 'unknown-method' } });
    ws.close();
  });

  it('closes the socket with 1009 on an oversized message without calling the api', async () => {
    await host.close();
    await start({ limits: { maxPayloadBytes: 4096 } });
    const ws = await open(host);
    const code = closed(ws);
    ws.send(JSON.stringify({ id: 1, method: 'app.info', params: {}, pad: 'x'.repeat(5000) }));
    expect(await code).toBe(1009);
    expect(fake.calls).toEqual([]);
  });

  it('limits the calls in flight per socket', async () => {
    await host.close();
    await start({ limits: { maxInFlight: 2 } });
    const ws = await open(host);
    const box = inbox(ws);
    for (const id of [1, 2, 3]) {
      ws.send(JSON.stringify({ id, method: 'pairs.syncNow', params: { pairId: 1 } }));
    }
    expect(await box.next()).toMatchObject({ id: 3, ok: false, error: { code: 'throttled' } });
    fake.release();
    expect(await box.next((m) => m.id === 1)).toMatchObject({ ok: true });
    expect(await box.next((m) => m.id === 2)).toMatchObject({ ok: true });
    expect(fake.calls).toEqual(['pairs.syncNow', 'pairs.syncNow']);
    ws.close();
  });

  it('never writes the token to its log', async () => {
    const ws = await open(host);
    const box = inbox(ws);
    ws.send(JSON.stringify({ id: 1, method: 'app.info', params: {} }));
    await box.next();
    ws.close();
    await connect(host, { origin: 'http://evil.example' });
    await host.close();
    expect(logLines.length).toBeGreaterThan(3);
    expect(logLines.join('')).not.toContain(host.token);
  });
});

describe('events', () => {
  it('pushes valid events to every socket and drops invalid ones', async () => {
    const first = await open(host);
    const second = await open(host);
    const boxes = [inbox(first), inbox(second)];
    events.emit('pairs.removed', { pairId: 1, secret: 'x' }); // unknown key
    events.emit('pairs.removed', { pairId: -1 });
    events.emit('no.suchEvent', { pairId: 1 });
    events.emit('pairs.removed', { pairId: 2 });
    for (const box of boxes) {
      expect(await box.next()).toEqual({ event: 'pairs.removed', payload: { pairId: 2 } });
      expect(box.messages).toEqual([]);
    }
    events.emit('pairs.statusChanged', PAIR_STATUS);
    for (const box of boxes) {
      expect(await box.next()).toEqual({ event: 'pairs.statusChanged', payload: PAIR_STATUS });
    }
    const metrics = await host.metrics.eventsDropped.get();
    expect(metrics.values.reduce((sum, value) => sum + value.value, 0)).toBe(3);
    first.close();
    second.close();
  });

  it('close() ends the sockets and unsubscribes from the events', async () => {
    const ws = await open(host);
    const code = closed(ws);
    expect(events.size).toBe(1);
    await host.close();
    expect(await code).toBe(1001);
    expect(events.size).toBe(0);
  });

  it('drops a socket that stops answering pings', async () => {
    await host.close();
    await start({ limits: { pingIntervalMs: 50 } });
    const ws = await open(host);
    // ws answers pings automatically; pausing the socket stops it reading them
    const code = closed(ws);
    ws.pause();
    setTimeout(() => ws.resume(), 400);
    expect(await code).toBe(1006);
  });
});
