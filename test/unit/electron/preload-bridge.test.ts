// The preload's bridge with a fake ipcRenderer (Electron cannot run here): it exposes two
// functions, sends only contract names, and hands listeners only valid payloads.
import { describe, expect, it, vi } from 'vitest';
import {
  createBridge,
  MAX_DROPPED_FILES,
  type IpcRendererLike,
} from '../../../main/preload/bridge.js';
import { ContractError } from '../../../shared/contract/index.js';

type Listener = (event: unknown, ...args: unknown[]) => void;

function fakeIpc(reply: (channel: string, ...args: unknown[]) => Promise<unknown>) {
  const listeners = new Map<string, Set<Listener>>();
  const ipc = {
    invoke: vi.fn(reply),
    on: vi.fn((channel: string, listener: Listener) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
    }),
    removeListener: vi.fn((channel: string, listener: Listener) => {
      listeners.get(channel)?.delete(listener);
    }),
  } satisfies IpcRendererLike;
  const emit = (channel: string, message: unknown) => {
    const ipcEvent = { sender: 'the raw ipcRenderer' };
    for (const listener of listeners.get(channel) ?? []) listener(ipcEvent, message);
  };
  const count = (channel: string) => listeners.get(channel)?.size ?? 0;
  return { ipc, emit, count };
}

describe('createBridge', () => {
  it('exposes exactly call, on and pathsForFiles, frozen', () => {
    const bridge = createBridge(fakeIpc(async () => ({ ok: true, value: {} })).ipc);
    expect(Object.keys(bridge).sort()).toEqual(['call', 'on', 'pathsForFiles']);
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(JSON.stringify(Object.getOwnPropertyNames(bridge).sort())).toBe(
      '["call","on","pathsForFiles"]',
    );
  });

  it('sends a contract call on ossync:call and returns the reply', async () => {
    const { ipc } = fakeIpc(async () => ({ ok: true, value: { pairId: 1 } }));
    const bridge = createBridge(ipc);
    await expect(bridge.call('pairs.get', { pairId: 1 })).resolves.toEqual({
      ok: true,
      value: { pairId: 1 },
    });
    await bridge.call('app.status');
    expect(ipc.invoke.mock.calls).toEqual([
      ['ossync:call', { method: 'pairs.get', params: { pairId: 1 } }],
      ['ossync:call', { method: 'app.status', params: {} }],
    ]);
  });

  it.each(['nope', '__proto__', 'constructor', 'toString', '', 42 as unknown as string])(
    'does not send the unknown method %j',
    async (method) => {
      const { ipc } = fakeIpc(async () => ({ ok: true, value: {} }));
      await expect(createBridge(ipc).call(method, {})).resolves.toMatchObject({
        ok: false,
        error: { code: 'unknown-method' },
      });
      expect(ipc.invoke).not.toHaveBeenCalled();
    },
  );

  it('passes a contract error reply through', async () => {
    const error = new ContractError('access-denied').toData();
    const bridge = createBridge(fakeIpc(async () => ({ ok: false, error })).ipc);
    await expect(bridge.call('app.status')).resolves.toEqual({ ok: false, error });
  });

  it.each([
    ['a malformed reply', async () => ({ ok: false, error: { code: 'nope', message: 'x' } })],
    ['a non-reply', async () => 'hello'],
    ['a failed invoke', async () => Promise.reject(new Error('No handler registered for x'))],
  ])('turns %s into the generic error', async (_name, reply) => {
    const result = await createBridge(fakeIpc(reply).ipc).call('app.status');
    expect(result).toMatchObject({ ok: false, error: { code: 'unknown' } });
    expect(JSON.stringify(result)).not.toContain('No handler');
  });

  it('hands listeners only valid payloads of their event, never the IPC event', () => {
    const { ipc, emit, count } = fakeIpc(async () => ({}));
    const bridge = createBridge(ipc);
    const listener = vi.fn();
    const unsubscribe = bridge.on('pairs.removed', listener);

    emit('ossync:event', { event: 'pairs.removed', payload: { pairId: 4 } });
    emit('ossync:event', { event: 'pairs.removed', payload: { pairId: 'x' } });
    emit('ossync:event', { event: 'pairs.removed', payload: { pairId: 5, extra: 1 } });
    emit('ossync:event', { event: 'transfers.listChanged', payload: { added: 1, removed: 0 } });
    emit('ossync:event', null);
    emit('ossync:event', 'pairs.removed');
    emit('other', { event: 'pairs.removed', payload: { pairId: 6 } });
    expect(listener.mock.calls).toEqual([[{ pairId: 4 }]]);

    expect(count('ossync:event')).toBe(1);
    unsubscribe();
    unsubscribe();
    expect(count('ossync:event')).toBe(0);
    expect(ipc.removeListener).toHaveBeenCalledOnce();
    emit('ossync:event', { event: 'pairs.removed', payload: { pairId: 7 } });
    expect(listener).toHaveBeenCalledOnce();
  });

  it.each(['nope', '__proto__', 'ossync:call'])('refuses to listen to %j', (event) => {
    const { ipc } = fakeIpc(async () => ({}));
    expect(() => createBridge(ipc).on(event, () => {})).toThrow(/unknown event/);
    expect(ipc.on).not.toHaveBeenCalled();
  });

  it('refuses a listener that is not a function', () => {
    const { ipc } = fakeIpc(async () => ({}));
    expect(() => createBridge(ipc).on('pairs.removed', 'x' as never)).toThrow(TypeError);
    expect(ipc.on).not.toHaveBeenCalled();
  });
});

describe('pathsForFiles', () => {
  const file = (name: string): unknown => ({ name });
  const nameOf = (f: unknown) => (f as { name: string }).name;
  const ipc = () => fakeIpc(async () => ({ ok: true, value: {} })).ipc;

  it('maps dropped files to their absolute paths, in order, with getPathForFile', () => {
    const getPathForFile = vi.fn((f: unknown) => `/home/u/${nameOf(f)}`);
    const bridge = createBridge(ipc(), getPathForFile);
    expect(bridge.pathsForFiles([file('a.txt'), file('b c.jpg')])).toEqual([
      '/home/u/a.txt',
      '/home/u/b c.jpg',
    ]);
    expect(getPathForFile).toHaveBeenCalledTimes(2);
  });

  it('leaves out files with no path, a throwing lookup and paths with NUL', () => {
    const bridge = createBridge(ipc(), (f) => {
      const name = nameOf(f);
      if (name === 'made-in-page') return '';
      if (name === 'not-a-file') throw new TypeError('not a File');
      if (name === 'nul') return '/tmp/a\0b';
      return `/data/${name}`;
    });
    expect(
      bridge.pathsForFiles([file('made-in-page'), file('x'), file('not-a-file'), file('nul')]),
    ).toEqual(['/data/x']);
  });

  it('refuses a non-array and more than MAX_DROPPED_FILES files', () => {
    const bridge = createBridge(ipc(), (f) => `/d/${nameOf(f)}`);
    expect(() => bridge.pathsForFiles('x' as unknown as unknown[])).toThrow(TypeError);
    const many = Array.from({ length: MAX_DROPPED_FILES + 1 }, (_, i) => file(String(i)));
    expect(() => bridge.pathsForFiles(many)).toThrow(RangeError);
    expect(bridge.pathsForFiles(many.slice(0, MAX_DROPPED_FILES))).toHaveLength(MAX_DROPPED_FILES);
  });

  it('finds no paths without a getPathForFile', () => {
    expect(createBridge(ipc()).pathsForFiles([file('a')])).toEqual([]);
  });
});
