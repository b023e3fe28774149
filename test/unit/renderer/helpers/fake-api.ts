/**
 * A fake ApiClient for component tests: every contract method is a vi.fn that fails with
 * 'unknown-method' unless the test gives it an implementation, and `emit` pushes events
 * to the listeners the components registered (validated like the real client does).
 */
import { vi, type Mock } from 'vitest';
import {
  ContractError,
  METHODS,
  parseEvent,
  type ContractApi,
  type EventName,
  type EventPayload,
  type MethodName,
} from '../../../../shared/contract/index.js';
import type { ApiClient } from '../../../../renderer/src/api/client.js';
import type { ConnectionState } from '../../../../renderer/src/api/transport.js';

type Impl = { [M in MethodName]?: ContractApi[M] };

export interface FakeApi {
  api: ApiClient;
  calls: { [M in MethodName]: Mock<ContractApi[M]> };
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  setConnection(state: ConnectionState): void;
  listenerCount(event: EventName): number;
}

export function createFakeApi(impl: Impl = {}): FakeApi {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const stateListeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'open';
  const calls = {} as Record<string, Mock>;
  for (const method of Object.keys(METHODS) as MethodName[]) {
    const given = impl[method] as ((params: unknown) => Promise<unknown>) | undefined;
    calls[method] = vi.fn(
      given ?? (async () => Promise.reject(new ContractError('unknown-method', method))),
    );
  }
  const api = {
    ...calls,
    on(event: EventName, listener: (payload: unknown) => void) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      set.add(listener);
      return () => set.delete(listener);
    },
    connectionState: () => state,
    onConnectionState(listener: (next: ConnectionState) => void) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
  } as unknown as ApiClient;
  return {
    api,
    calls: calls as FakeApi['calls'],
    emit(event, payload) {
      const parsed = parseEvent(event, payload);
      if (!parsed.ok) throw parsed.error; // a bad sample is a bug in the test
      for (const listener of [...(listeners.get(event) ?? [])]) listener(parsed.value);
    },
    setConnection(next) {
      state = next;
      for (const listener of [...stateListeners]) listener(next);
    },
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
  };
}
