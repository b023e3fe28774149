/**
 * The activity log as a TanStack infinite query over activity.list's keyset cursors, for
 * the chosen filters, with new entries from `activity.appended` put in front when they
 * match (lists for other filters are marked stale and reload when shown again).
 */
import { useInfiniteQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useMemo } from 'react';
import type {
  ACTIVITY_KINDS,
  ActivityEntryDto,
  Params,
  Result,
} from '../../../../shared/contract/index.js';
import { useApi, useEvent } from '../../api/api-context.js';

export type ActivityKind = (typeof ACTIVITY_KINDS)[number];
export const ACTIVITY_PAGE_SIZE = 100;

export interface ActivityFilters {
  /** Empty: every kind. */
  kinds: readonly ActivityKind[];
  search: string;
  accountId: number | null;
  pairId: number | null;
}

export const NO_FILTERS: ActivityFilters = { kinds: [], search: '', accountId: null, pairId: null };

type ListParams = Omit<Params<'activity.list'>, 'cursor' | 'pageSize'>;

/** The activity.list params for the filters (only what is set). */
export function paramsOf(filters: ActivityFilters): ListParams {
  const search = filters.search.trim();
  return {
    ...(filters.kinds.length > 0 ? { kinds: [...filters.kinds] } : {}),
    ...(search !== '' ? { search } : {}),
    ...(filters.accountId !== null ? { accountId: filters.accountId } : {}),
    ...(filters.pairId !== null ? { pairId: filters.pairId } : {}),
  };
}

export const activityQueryKey = (params: ListParams) => ['activity.list', params] as const;

/** Whether an entry belongs to the list for these params, as the service would decide. */
export function matches(entry: ActivityEntryDto, params: ListParams): boolean {
  if (params.kinds !== undefined && !params.kinds.includes(entry.kind)) return false;
  if (params.accountId !== undefined && entry.accountId !== params.accountId) return false;
  if (params.pairId !== undefined && entry.pairId !== params.pairId) return false;
  if (params.search !== undefined) {
    // ASCII letters ignore case, like the service; other characters match as they are.
    const lower = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());
    const needle = lower(params.search);
    const inKey = entry.key !== null && lower(entry.key).includes(needle);
    const inPath = entry.localPath !== null && lower(entry.localPath).includes(needle);
    if (!inKey && !inPath) return false;
  }
  return true;
}

const newestFirst = (a: ActivityEntryDto, b: ActivityEntryDto) => b.at - a.at || b.id - a.id;

type Page = Result<'activity.list'>;

/** The pages with the matching new entries in front (none twice). */
export function prepend(
  data: InfiniteData<Page, string | null> | undefined,
  entries: readonly ActivityEntryDto[],
  params: ListParams,
): InfiniteData<Page, string | null> | undefined {
  if (data === undefined || data.pages.length === 0) return data;
  const known = new Set(data.pages.flatMap((page) => page.items.map((item) => item.id)));
  const fresh = entries.filter((entry) => !known.has(entry.id) && matches(entry, params));
  if (fresh.length === 0) return data;
  const head = [...fresh].sort(newestFirst);
  // Every page carries the total (the last page's is shown): all grow by what came in.
  const pages = data.pages.map((page, index) => ({
    ...page,
    items: index === 0 ? head.concat(page.items) : page.items,
    total: page.total === null ? null : page.total + fresh.length,
  }));
  return { ...data, pages };
}

export function useActivityPages(filters: ActivityFilters) {
  const api = useApi();
  const queryClient = useQueryClient();
  const params = useMemo(() => paramsOf(filters), [filters]);
  const queryKey = useMemo(() => activityQueryKey(params), [params]);
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) =>
      api['activity.list']({
        ...params,
        pageSize: ACTIVITY_PAGE_SIZE,
        ...(pageParam !== null ? { cursor: pageParam } : {}),
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });

  useEvent('activity.appended', ({ entries }) => {
    queryClient.setQueryData<InfiniteData<Page, string | null>>(queryKey, (data) =>
      prepend(data, entries, params),
    );
    const current = JSON.stringify(queryKey);
    void queryClient.invalidateQueries({
      queryKey: ['activity.list'],
      refetchType: 'none',
      predicate: (cached) => JSON.stringify(cached.queryKey) !== current,
    });
  });

  const items = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);
  const total = query.data?.pages.at(-1)?.total ?? null;
  return { query, items, total, params };
}
