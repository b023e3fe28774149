/**
 * The pages of one Transfers tab: a TanStack infinite query over transfers.list cursors
 * (newest first), reloaded (throttled) when events say the loaded rows changed.
 */
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef } from 'react';
import { TRANSFER_TABS, type TransferDto } from '../../../../shared/contract/index.js';
import { useApi, useEvent } from '../../api/api-context.js';
import { jobKey } from '../../live/live-transfers.js';

export type TransferTab = keyof typeof TRANSFER_TABS;
export const PAGE_SIZE = 200;
/** Reloads caused by events are at most this often (a busy queue changes all the time). */
export const RELOAD_THROTTLE_MS = 1500;

export const transfersQueryKey = (tab: TransferTab) => ['transfers.list', tab] as const;

export function useTransferPages(tab: TransferTab) {
  const api = useApi();
  const queryClient = useQueryClient();
  const states = TRANSFER_TABS[tab];
  const query = useInfiniteQuery({
    queryKey: transfersQueryKey(tab),
    queryFn: ({ pageParam }) =>
      api['transfers.list']({
        states: [...states],
        pageSize: PAGE_SIZE,
        ...(pageParam !== null ? { cursor: pageParam } : {}),
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });

  const rows = useMemo<TransferDto[]>(
    () => query.data?.pages.flatMap((page) => page.items) ?? [],
    [query.data],
  );
  const loadedKeys = useMemo(
    () => new Set(rows.map((job) => jobKey(job.accountId, job.id))),
    [rows],
  );
  const total = query.data?.pages.at(-1)?.total ?? null;

  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const reloadSoon = () => {
    if (timer.current !== null) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void queryClient.invalidateQueries({ queryKey: transfersQueryKey(tab) });
    }, RELOAD_THROTTLE_MS);
  };
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );

  useEvent('transfers.listChanged', reloadSoon);
  useEvent('transfers.jobChanged', (job) => {
    const belongs = (states as readonly string[]).includes(job.state);
    const loaded = loadedKeys.has(jobKey(job.accountId, job.id));
    if (loaded && !belongs) return reloadSoon(); // it left this tab
    if (!belongs || loaded) return;
    // It entered this tab. The list is newest first (id descending, keyset pages): reload
    // only when it sorts among the loaded rows; otherwise its page has not been asked for.
    const last = rows.at(-1);
    if (last === undefined || !query.hasNextPage) return reloadSoon();
    if (job.accountId === last.accountId && job.id > last.id) reloadSoon();
  });

  return { query, rows, total };
}
