// The IPC transport's main side as plain functions: sender check, envelope and params
// validation, the call into the service, and a reply that never throws and never leaks.
import type { IpcMainInvokeEvent } from 'electron';
import {
  ContractError,
  contractErrorSchema,
  fallbackMessage,
  isMethodName,
  parseEvent,
  parseParams,
  parseResult,
  type ContractApi,
  type ContractErrorData,
  type EventName,
  type EventPayload,
} from '../../shared/contract/index.js';
import {
  validateIpcSender,
  type IpcSenderInfo,
  type IpcSenderPolicy,
} from './security-handlers.js';

/** Requests: `ipcRenderer.invoke(IPC_CALL_CHANNEL, { method, params })`. */
export const IPC_CALL_CHANNEL = 'ossync:call';
/** Events: `webContents.send(IPC_EVENT_CHANNEL, { event, payload })`. */
export const IPC_EVENT_CHANNEL = 'ossync:event';

export type IpcReply = { ok: true; value: unknown } | { ok: false; error: ContractErrorData };

export interface IpcEventMessage<E extends EventName = EventName> {
  event: E;
  payload: EventPayload<E>;
}

export interface IpcCallOptions extends IpcSenderPolicy {
  /** Check every result against the contract (development and tests). */
  validateResults?: boolean;
  /** Told about errors that reach the renderer only as the generic 'unknown'. */
  onInternalError?: (error: unknown, method: string) => void;
}

/** The error shown for anything that is not a ContractError: no message, no stack. */
export function genericErrorData(): ContractErrorData {
  return new ContractError('unknown', fallbackMessage('unknown')).toData();
}

/** A ContractError as plain data when it is well-formed, else the generic error. */
export function toErrorData(error: unknown): ContractErrorData {
  if (error instanceof ContractError) {
    const data = contractErrorSchema.safeParse(error.toData());
    if (data.success) return data.data;
  }
  return genericErrorData();
}

const fail = (error: ContractError): IpcReply => ({ ok: false, error: toErrorData(error) });

/** { method, params } as a plain object with no other keys; else undefined. */
function readEnvelope(raw: unknown): { method: unknown; params: unknown } | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const proto = Object.getPrototypeOf(raw) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  const keys = Reflect.ownKeys(raw);
  if (!keys.includes('method') || keys.some((key) => key !== 'method' && key !== 'params')) {
    return undefined;
  }
  const record = raw as Record<string, unknown>;
  return { method: record.method, params: record.params };
}

/**
 * Answers one `ossync:call`: checks the sender, the envelope, the method name and the
 * params, calls the service and wraps the outcome. Never throws; an error that is not a
 * ContractError reaches the renderer as code 'unknown' with the generic message.
 */
export async function handleIpcCall(
  sender: IpcSenderInfo,
  raw: unknown,
  api: ContractApi,
  options: IpcCallOptions,
): Promise<IpcReply> {
  let method = '?';
  try {
    if (!validateIpcSender(sender, options)) {
      return fail(new ContractError('unauthorized', fallbackMessage('unauthorized')));
    }
    const envelope = readEnvelope(raw);
    if (!envelope) {
      return fail(
        new ContractError('invalid-payload', 'The request must be { method, params }.', {
          subject: 'request',
        }),
      );
    }
    if (!isMethodName(envelope.method)) {
      return fail(new ContractError('unknown-method', fallbackMessage('unknown-method')));
    }
    method = envelope.method;
    const parsed = parseParams(envelope.method, envelope.params);
    if (!parsed.ok) return fail(parsed.error);
    const fn = api[envelope.method] as unknown;
    if (typeof fn !== 'function') {
      return fail(new ContractError('unknown-method', fallbackMessage('unknown-method')));
    }
    const value: unknown = await (fn as (params: unknown) => Promise<unknown>).call(
      api,
      parsed.value,
    );
    if (options.validateResults) {
      const checked = parseResult(envelope.method, value);
      if (!checked.ok) {
        options.onInternalError?.(checked.error, method);
        return { ok: false, error: genericErrorData() };
      }
    }
    return { ok: true, value };
  } catch (error) {
    if (!(error instanceof ContractError)) options.onInternalError?.(error, method);
    return { ok: false, error: toErrorData(error) };
  }
}

/** What validateIpcSender needs, read from Electron's event. */
export function senderInfoFromEvent(
  event: Pick<IpcMainInvokeEvent, 'senderFrame'> & { sender: { id: number } },
): IpcSenderInfo {
  let frame: IpcMainInvokeEvent['senderFrame'];
  try {
    frame = event.senderFrame; // the getter throws once the frame is destroyed
  } catch {
    frame = null;
  }
  return {
    frameUrl: frame?.url,
    isMainFrame: frame !== null && frame.parent === null,
    webContentsId: event.sender.id,
  };
}

/** The listener for `ipcMain.handle(IPC_CALL_CHANNEL, ...)`. */
export function createIpcCallHandler(
  api: ContractApi,
  options: IpcCallOptions,
): (event: IpcMainInvokeEvent, raw: unknown) => Promise<IpcReply> {
  return (event, raw) => handleIpcCall(senderInfoFromEvent(event), raw, api, options);
}

/**
 * The message main sends on IPC_EVENT_CHANNEL; throws on a payload the contract refuses
 * (a bug in main, caught before the renderer drops it).
 */
export function ipcEventMessage<E extends EventName>(
  event: E,
  payload: EventPayload<E>,
  validate = false,
): IpcEventMessage<E> {
  if (validate) {
    const checked = parseEvent(event, payload);
    if (!checked.ok) throw checked.error;
  }
  return { event, payload };
}
