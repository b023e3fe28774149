/** The api client for the component tree, and hooks for events and the connection state. */
import { createContext, useContext, useEffect, useRef, useSyncExternalStore } from 'react';
import type { EventName, EventPayload } from '../../../shared/contract/index.js';
import type { ApiClient } from './client.js';
import type { ConnectionState } from './transport.js';

const ApiContext = createContext<ApiClient | null>(null);

export const ApiProvider = ApiContext.Provider;

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (api === null) throw new Error('useApi outside an ApiProvider');
  return api;
}

/**
 * Calls `listener` for each `event` while the component is mounted. The latest listener is
 * used without resubscribing, so an inline function does not churn subscriptions.
 */
export function useEvent<E extends EventName>(
  event: E,
  listener: (payload: EventPayload<E>) => void,
): void {
  const api = useApi();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => api.on(event, (payload) => latest.current(payload)), [api, event]);
}

export function useConnectionState(): ConnectionState {
  const api = useApi();
  return useSyncExternalStore(
    (notify) => api.onConnectionState(notify),
    () => api.connectionState(),
  );
}
