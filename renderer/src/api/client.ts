/**
 * The renderer's one way to reach the app: every contract method as a typed function whose
 * result is checked with parseResult, every event checked with parseEvent, every failure a
 * ContractError. The transport underneath is IPC or the WebSocket; nothing above this file
 * can tell which.
 */
import {
  ContractError,
  METHODS,
  parseEvent,
  parseResult,
  type ContractApi,
  type EventName,
  type EventPayload,
  type MethodName,
} from '../../../shared/contract/index.js';
import type { ConnectionState, Transport } from './transport.js';

export type EventListener<E extends EventName> = (payload: EventPayload<E>) => void;

export interface ApiEvents {
  /** Listens to one event; payloads that fail the event's schema are dropped (and counted). */
  on<E extends EventName>(event: E, listener: EventListener<E>): () => void;
  connectionState(): ConnectionState;
  onConnectionState(listener: (state: ConnectionState) => void): () => void;
}

/** What views use: the contract's methods plus events and the connection state. */
export type ApiClient = ContractApi & ApiEvents;

export interface ApiClientOptions {
  /** Told about a result or event payload that failed its schema (a bug in main). */
  onInvalid?: (error: ContractError) => void;
}

export function createApiClient(transport: Transport, options: ApiClientOptions = {}): ApiClient {
  const onInvalid = options.onInvalid ?? ((error) => console.error(error.message));

  const call = async (method: MethodName, params: unknown): Promise<unknown> => {
    const reply = await transport.call(method, params ?? {});
    if (!reply.ok) throw ContractError.fromData(reply.error);
    const parsed = parseResult(method, reply.value);
    if (!parsed.ok) {
      onInvalid(parsed.error);
      throw parsed.error;
    }
    return parsed.value;
  };

  const methods = Object.fromEntries(
    (Object.keys(METHODS) as MethodName[]).map((method) => [
      method,
      (params: unknown) => call(method, params),
    ]),
  ) as ContractApi;

  const events: ApiEvents = {
    on(event, listener) {
      return transport.on(event, (payload) => {
        const parsed = parseEvent(event, payload);
        if (parsed.ok) listener(parsed.value);
        else onInvalid(parsed.error);
      });
    },
    connectionState: () => transport.connectionState(),
    onConnectionState: (listener) => transport.onConnectionState(listener),
  };

  return Object.freeze({ ...methods, ...events });
}
