// The main side of the IPC transport: who may call, what may be sent, and what comes back
// when the service fails (a contract error as is, anything else as a generic 'unknown').
import { describe, expect, it, vi } from 'vitest';
import {
  createIpcCallHandler,
  handleIpcCall,
  IPC_CALL_CHANNEL,
  IPC_EVENT_CHANNEL,
  ipcEventMessage,
  type IpcCallOptions,
} from '../../../main/electron/ipc.js';
import type { IpcSenderInfo } from '../../../main/electron/security-handlers.js';
import * as bridge from '../../../main/preload/bridge.js';
import {
  ContractError,
  contractErrorSchema,
  type AppStatusDto,
  type ContractApi,
} from '../../../shared/contract/index.js';

const STATUS: AppStatusDto = {
  state: 'idle',
  paused: false,
  offline: false,
  counts: {
    active: 0,
    queued: 0,
    failed: 0,
    pairs: 1,
    pairsWithErrors: 0,
    pairsAwaitingConfirmation: 0,
    conflicts: 0,
  },
  uploadBytesPerSecond: 0,
  downloadBytesPerSecond: 0,
  recent: [],
};

const SENDER: IpcSenderInfo = {
  frameUrl: 'ossync://app/index.html',
  isMainFrame: true,
  webContentsId: 1,
};

function setup(methods: Record<string, (params: unknown) => Promise<unknown>> = {}) {
  const calls: [string, unknown][] = [];
  const api = new Proxy(
    {},
    {
      get: (_target, name: string) => async (params: unknown) => {
        calls.push([name, params]);
        const method = methods[name];
        return method ? method(params) : {};
      },
    },
  ) as ContractApi;
  const onInternalError = vi.fn();
  const options: IpcCallOptions = {
    appOrigin: 'ossync://app',
    isOurWebContents: (id) => id === 1,
    validateResults: true,
    onInternalError,
  };
  return { api, calls, options, onInternalError };
}

describe('channels', () => {
  it('are one for calls and one for events, the same in main and preload', () => {
    expect(IPC_CALL_CHANNEL).toBe('ossync:call');
    expect(IPC_EVENT_CHANNEL).toBe('ossync:event');
    expect(bridge.IPC_CALL_CHANNEL).toBe(IPC_CALL_CHANNEL);
    expect(bridge.IPC_EVENT_CHANNEL).toBe(IPC_EVENT_CHANNEL);
  });
});

describe('handleIpcCall', () => {
  it('calls the method with the validated params and returns its result', async () => {
    const { api, calls, options } = setup({ 'app.status': async () => STATUS });
    const reply = await handleIpcCall(SENDER, { method: 'app.status', params: {} }, api, options);
    expect(reply).toEqual({ ok: true, value: STATUS });
    expect(calls).toEqual([['app.status', {}]]);
  });

  it.each<[string, Partial<IpcSenderInfo>]>([
    ['a foreign page', { frameUrl: 'https://evil.example/' }],
    ['an iframe', { isMainFrame: false }],
    ['another window', { webContentsId: 2 }],
    ['a destroyed frame', { frameUrl: undefined }],
  ])('refuses %s as unauthorized without calling the service', async (_name, change) => {
    const { api, calls, options } = setup();
    const reply = await handleIpcCall(
      { ...SENDER, ...change },
      { method: 'app.status', params: {} },
      api,
      options,
    );
    expect(reply).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(calls).toEqual([]);
  });

  it.each([
    ['nope', 'unknown-method'],
    ['__proto__', 'unknown-method'],
    ['constructor', 'unknown-method'],
    ['toString', 'unknown-method'],
    ['hasOwnProperty', 'unknown-method'],
    [42, 'unknown-method'],
  ])('refuses the method %j', async (method, code) => {
    const { api, calls, options } = setup();
    const reply = await handleIpcCall(SENDER, { method, params: {} }, api, options);
    expect(reply).toMatchObject({ ok: false, error: { code } });
    expect(calls).toEqual([]);
  });

  it.each([
    ['not an object', 'app.status'],
    ['null', null],
    ['an array', [{ method: 'app.status', params: {} }]],
    ['an extra key', { method: 'app.status', params: {}, extra: 1 }],
    ['no method', { params: {} }],
    [
      'a class instance',
      new (class {
        method = 'app.status';
        params = {};
      })(),
    ],
  ])('refuses a request that is %s', async (_name, raw) => {
    const { api, calls, options } = setup();
    const reply = await handleIpcCall(SENDER, raw, api, options);
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect(calls).toEqual([]);
  });

  it.each([
    ['a __proto__ key', JSON.parse('{"pairId": 1, "__proto__": {"polluted": true}}') as unknown],
    [
      'a constructor key',
      JSON.parse('{"pairId": 1, "constructor": {"prototype": {"polluted": true}}}') as unknown,
    ],
    ['a prototype key', { pairId: 1, prototype: { polluted: true } }],
    ['a wrong type', { pairId: '1' }],
    ['a missing field', {}],
    ['no params', undefined],
  ])('refuses params with %s', async (_name, params) => {
    const { api, calls, options } = setup();
    const reply = await handleIpcCall(SENDER, { method: 'pairs.get', params }, api, options);
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-payload' } });
    expect(calls).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('hides a non-contract error: generic message, no stack, reported to main', async () => {
    const secret = 'LTAI-secret-in-a-message';
    const { api, options, onInternalError } = setup({
      'pairs.get': async () => {
        throw new Error(`database at /home/u/.ossync failed: ${secret}`);
      },
    });
    const reply = await handleIpcCall(
      SENDER,
      { method: 'pairs.get', params: { pairId: 1 } },
      api,
      options,
    );
    expect(reply).toEqual({
      ok: false,
      error: {
        code: 'unknown',
        messageKey: 'errors.unknown',
        message: 'Something unexpected went wrong.',
      },
    });
    expect(JSON.stringify(reply)).not.toContain(secret);
    expect(onInternalError).toHaveBeenCalledOnce();
  });

  it.each([
    ['a string', 'boom'],
    ['undefined', undefined],
    ['an object with a code', { code: 'access-denied', message: 'fake' }],
  ])('maps a thrown %s to the generic error', async (_name, thrown) => {
    const { api, options } = setup({
      'app.status': async () => {
        // non-Error throws happen in third-party code; the transport must cope
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw thrown;
      },
    });
    const reply = await handleIpcCall(SENDER, { method: 'app.status', params: {} }, api, options);
    expect(reply).toMatchObject({
      ok: false,
      error: { code: 'unknown', messageKey: 'errors.unknown' },
    });
  });

  it('passes a ContractError through as data', async () => {
    const error = new ContractError('access-denied', 'Access denied', {
      requestId: '5C1F0A',
      ossCode: 'AccessDenied',
      subject: 'photos/a.jpg',
    });
    const { api, options, onInternalError } = setup({
      'pairs.get': async () => {
        throw error;
      },
    });
    const reply = await handleIpcCall(
      SENDER,
      { method: 'pairs.get', params: { pairId: 1 } },
      api,
      options,
    );
    expect(reply).toEqual({ ok: false, error: error.toData() });
    expect(contractErrorSchema.safeParse(reply.ok ? null : reply.error).success).toBe(true);
    expect(onInternalError).not.toHaveBeenCalled();
  });

  it('replaces a ContractError the contract would refuse with the generic error', async () => {
    const { api, options } = setup({
      'app.status': async () => {
        throw new ContractError('network', 'x'.repeat(5000));
      },
    });
    const reply = await handleIpcCall(SENDER, { method: 'app.status', params: {} }, api, options);
    expect(reply).toMatchObject({ ok: false, error: { code: 'unknown' } });
  });

  it('checks results when asked and hides a bad one', async () => {
    const bad = { ...STATUS, secretField: 'x' };
    const { api, options, onInternalError } = setup({ 'app.status': async () => bad });
    const checked = await handleIpcCall(SENDER, { method: 'app.status', params: {} }, api, options);
    expect(checked).toMatchObject({ ok: false, error: { code: 'unknown' } });
    expect(onInternalError).toHaveBeenCalledOnce();

    const unchecked = await handleIpcCall(SENDER, { method: 'app.status', params: {} }, api, {
      ...options,
      validateResults: false,
    });
    expect(unchecked).toEqual({ ok: true, value: bad });
  });
});

describe('createIpcCallHandler', () => {
  const event = (frame: unknown, id = 1) => ({ senderFrame: frame, sender: { id } }) as never;

  it('reads the sender from the event', async () => {
    const { api, options } = setup({ 'app.status': async () => STATUS });
    const handler = createIpcCallHandler(api, options);
    const request = { method: 'app.status', params: {} };
    const main = { url: 'ossync://app/index.html', parent: null };
    await expect(handler(event(main), request)).resolves.toEqual({ ok: true, value: STATUS });
    const child = { url: 'ossync://app/index.html', parent: main };
    await expect(handler(event(child), request)).resolves.toMatchObject({ ok: false });
    await expect(handler(event(null), request)).resolves.toMatchObject({ ok: false });
    const gone = {
      get senderFrame(): never {
        throw new Error('Render frame was disposed');
      },
      sender: { id: 1 },
    } as never;
    await expect(handler(gone, request)).resolves.toMatchObject({
      ok: false,
      error: { code: 'unauthorized' },
    });
  });
});

describe('ipcEventMessage', () => {
  it('wraps a payload and, when asked, refuses one the contract refuses', () => {
    expect(ipcEventMessage('pairs.removed', { pairId: 3 }, true)).toEqual({
      event: 'pairs.removed',
      payload: { pairId: 3 },
    });
    expect(() => ipcEventMessage('pairs.removed', { pairId: -1 }, true)).toThrow(ContractError);
  });
});
