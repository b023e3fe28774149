/** Everything a view needs around it: the api, i18n, the query cache and live transfers. */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { i18n } from 'i18next';
import type { ReactNode } from 'react';
import { I18nextProvider } from 'react-i18next';
import { ApiProvider } from './api/api-context.js';
import type { ApiClient } from './api/client.js';
import { LiveTransfersProvider } from './live/live-context.js';
import type { LiveTransfers } from './live/live-transfers.js';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Events keep the data fresh; refetching on focus would only add load.
        refetchOnWindowFocus: false,
        staleTime: 30_000,
        // A ContractError is an answer, not a glitch: show it instead of retrying quietly.
        retry: false,
      },
    },
  });
}

export interface ProvidersProps {
  api: ApiClient;
  i18n: i18n;
  queryClient: QueryClient;
  live?: LiveTransfers;
  children: ReactNode;
}

export function Providers({ api, i18n, queryClient, live, children }: ProvidersProps) {
  return (
    <ApiProvider value={api}>
      <I18nextProvider i18n={i18n}>
        <QueryClientProvider client={queryClient}>
          <LiveTransfersProvider {...(live !== undefined ? { store: live } : {})}>
            {children}
          </LiveTransfersProvider>
        </QueryClientProvider>
      </I18nextProvider>
    </ApiProvider>
  );
}
