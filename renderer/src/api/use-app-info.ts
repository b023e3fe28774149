/** Facts about the program answering (app.info): which host, so desktop-only actions show. */
import { useQuery } from '@tanstack/react-query';
import { useApi } from './api-context.js';

export const APP_INFO_QUERY_KEY = ['app.info'] as const;

/** True in the desktop app (folder picker, show in file manager); false headless or unknown. */
export function useIsDesktop(): boolean {
  const api = useApi();
  const info = useQuery({
    queryKey: APP_INFO_QUERY_KEY,
    queryFn: () => api['app.info']({}),
    staleTime: Infinity,
  });
  return info.data?.host === 'electron';
}
