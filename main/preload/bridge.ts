// The object the preload exposes as `window.ossync`, built from an ipcRenderer-like
// object so tests run it under Node. The renderer gets two functions and nothing else: no
// ipcRenderer, no IPC event objects (whose `sender` would be ipcRenderer itself).
import {
  contractErrorSchema,
  ContractError,
  fallbackMessage,
  isEventName,
  isMethodName,
  parseEvent,
  type ContractErrorData,
} from '../../shared/contract/index.js';

/** Kept equal to main/electron/ipc.ts (a test checks); the preload may not import main. */
export const IPC_CALL_CHANNEL = 'ossync:call';
export const IPC_EVENT_CHANNEL = 'ossync:event';

/** A call's outcome; the renderer's api module turns an error into a ContractError. */
export type BridgeReply = { ok: true; value: unknown } | { ok: false; error: ContractErrorData };

type IpcListener = (event: unknown, ...args: unknown[]) => void;

/** The part of Electron's ipcRenderer the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: IpcListener): unknown;
  removeListener(channel: string, listener: IpcListener): unknown;
}

export interface OssyncBridge {
  /** Calls a contract method; always resolves, with the result or a contract error. */
  call(method: string, params?: unknown): Promise<BridgeReply>;
  /** Listens to a contract event, with payloads that passed the event's schema. */
  on(event: string, listener: (payload: unknown) => void): () => void;
}

const errorReply = (code: 'unknown' | 'unknown-method'): BridgeReply => ({
  ok: false,
  error: new ContractError(code, fallbackMessage(code)).toData(),
});

/** Main's reply if it has the reply's shape, else the generic error. */
function checkReply(reply: unknown): BridgeReply {
  if (typeof reply === 'object' && reply !== null) {
    const record = reply as Record<string, unknown>;
    if (record.ok === true && 'value' in record) return { ok: true, value: record.value };
    if (record.ok === false) {
      const error = contractErrorSchema.safeParse(record.error);
      if (error.success) return { ok: false, error: error.data };
    }
  }
  return errorReply('unknown');
}

export function createBridge(ipc: IpcRendererLike): OssyncBridge {
  const call = async (method: string, params?: unknown): Promise<BridgeReply> => {
    if (!isMethodName(method)) return errorReply('unknown-method');
    try {
      return checkReply(await ipc.invoke(IPC_CALL_CHANNEL, { method, params: params ?? {} }));
    } catch {
      // Electron's own failure (no handler, window closing): nothing useful to show.
      return errorReply('unknown');
    }
  };

  const on = (event: string, listener: (payload: unknown) => void): (() => void) => {
    if (!isEventName(event)) throw new Error(`unknown event: ${String(event).slice(0, 100)}`);
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const forward: IpcListener = (_ipcEvent, message) => {
      if (typeof message !== 'object' || message === null) return;
      const { event: name, payload } = message as Record<string, unknown>;
      if (name !== event) return;
      const parsed = parseEvent(event, payload);
      if (parsed.ok) listener(parsed.value);
    };
    ipc.on(IPC_EVENT_CHANNEL, forward);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      ipc.removeListener(IPC_EVENT_CHANNEL, forward);
    };
  };

  return Object.freeze({ call, on });
}
