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

/** `webUtils.getPathForFile`: the absolute path of a dropped file, '' when it has none. */
export type GetPathForFile = (file: unknown) => string;

/** The most paths one drop hands over (objects.upload takes at most 1000 a call). */
export const MAX_DROPPED_FILES = 1000;

export interface OssyncBridge {
  /** Calls a contract method; always resolves, with the result or a contract error. */
  call(method: string, params?: unknown): Promise<BridgeReply>;
  /** Listens to a contract event, with payloads that passed the event's schema. */
  on(event: string, listener: (payload: unknown) => void): () => void;
  /**
   * The absolute local paths of files dropped on the window, in order, for objects.upload;
   * files with no path on disk (made in the page) are left out. Throws on a non-array.
   */
  pathsForFiles(files: readonly unknown[]): string[];
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

export function createBridge(
  ipc: IpcRendererLike,
  getPathForFile: GetPathForFile = () => '',
): OssyncBridge {
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

  const pathsForFiles = (files: readonly unknown[]): string[] => {
    if (!Array.isArray(files)) throw new TypeError('files must be an array of File');
    if (files.length > MAX_DROPPED_FILES) {
      throw new RangeError(`at most ${MAX_DROPPED_FILES} files at a time`);
    }
    const paths: string[] = [];
    for (const file of files) {
      let filePath: unknown;
      try {
        filePath = getPathForFile(file);
      } catch {
        continue; // not a File (webUtils throws): nothing to upload
      }
      if (typeof filePath === 'string' && filePath !== '' && !filePath.includes('\0')) {
        paths.push(filePath);
      }
    }
    return paths;
  };

  return Object.freeze({ call, on, pathsForFiles });
}
