/**
 * The pages of one of a pair's lists (pending deletes, issues, conflicts): a TanStack
 * infinite query over the method's cursors, flattened, with the total from the last page.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type {
  ConflictDto,
  PendingDeleteDto,
  SyncIssueDto,
} from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';

export interface PairListItems {
  'pairs.pendingDeletes': PendingDeleteDto;
  'pairs.issues': SyncIssueDto;
  'pairs.conflicts': ConflictDto;
}
export type PairListMethod = keyof PairListItems;
export const PAIR_PAGE_SIZE = 200;

export const pairListQueryKey = (method: PairListMethod, pairId: number) =>
  [method, pairId] as const;

interface Page<T> {
  items: T[];
  nextCursor: string | null;
  total: number | null;
}

export function usePairPages<M extends PairListMethod>(method: M, pairId: number) {
  const api = useApi();
  const fetchPage = api[method] as unknown as (params: {
    pairId: number;
    pageSize: number;
    cursor?: string;
  }) => Promise<Page<PairListItems[M]>>;
  const query = useInfiniteQuery({
    queryKey: pairListQueryKey(method, pairId),
    queryFn: ({ pageParam }) =>
      fetchPage({
        pairId,
        pageSize: PAIR_PAGE_SIZE,
        ...(pageParam !== null ? { cursor: pageParam } : {}),
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const items = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  const total = query.data?.pages.at(-1)?.total ?? null;
  return { query, items, total };
}
