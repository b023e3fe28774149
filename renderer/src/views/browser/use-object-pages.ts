/**
 * The pages of one prefix: a TanStack infinite query over objects.list continuation tokens
 * (1,000 entries a page, the most OSS gives), flattened into rows: folders, then files, in
 * the order OSS lists them (key order within each page).
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { ObjectSummaryDto } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';

export const LIST_PAGE_SIZE = 1000;

export type BrowserRow = { kind: 'folder'; key: string } | ({ kind: 'file' } & ObjectSummaryDto);

export interface ListTarget {
  accountId: number;
  bucket: string;
  prefix: string;
  namePrefix: string;
}

export const objectsQueryKey = (target: ListTarget) =>
  ['objects.list', target.accountId, target.bucket, target.prefix, target.namePrefix] as const;

/** Everything listed under an account (for invalidating after a change). */
export const objectsQueryRoot = (accountId: number, bucket: string) =>
  ['objects.list', accountId, bucket] as const;

export function useObjectPages(target: ListTarget) {
  const api = useApi();
  const query = useInfiniteQuery({
    queryKey: objectsQueryKey(target),
    queryFn: ({ pageParam }) =>
      api['objects.list']({
        accountId: target.accountId,
        bucket: target.bucket,
        prefix: target.prefix,
        pageSize: LIST_PAGE_SIZE,
        ...(target.namePrefix !== '' ? { namePrefix: target.namePrefix } : {}),
        ...(pageParam !== null ? { continuationToken: pageParam } : {}),
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextContinuationToken,
  });

  const rows = useMemo<BrowserRow[]>(() => {
    const out: BrowserRow[] = [];
    for (const page of query.data?.pages ?? []) {
      for (const key of page.prefixes) out.push({ kind: 'folder', key });
      for (const object of page.objects) out.push({ kind: 'file', ...object });
    }
    return out;
  }, [query.data]);

  return { query, rows };
}
