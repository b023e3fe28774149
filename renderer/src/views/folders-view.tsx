/**
 * Folders: every folder pair with its state and actions, adding a pair, editing its ignore
 * patterns, the delete guard's confirm or reject, and its issues and conflicts. Kept fresh
 * by the pairs.statusChanged and pairs.removed events (the same cache as Status).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PairStatusDto } from '../../../shared/contract/index.js';
import { useApi, useEvent } from '../api/api-context.js';
import { ErrorDisplay } from '../components/error-display.js';
import { Loading } from '../components/loading.js';
import { useNavigation } from '../shell/navigation.js';
import { AddPairForm } from './folders/add-pair-form.js';
import { PairCard } from './folders/pair-card.js';
import { pairListQueryKey } from './folders/use-pair-pages.js';
import { PAIRS_QUERY_KEY } from './status-view.js';
import { ViewHeader } from './view-header.js';
import './folders/folders.css';

type PairsData = { pairs: PairStatusDto[] };

export function upsertPair(
  data: PairsData | undefined,
  status: PairStatusDto,
): PairsData | undefined {
  if (data === undefined) return data;
  const index = data.pairs.findIndex((entry) => entry.pair.id === status.pair.id);
  const pairs = [...data.pairs];
  if (index === -1) pairs.push(status);
  else pairs[index] = status;
  return { pairs };
}

export function FoldersView() {
  const api = useApi();
  const { t } = useTranslation(['folders', 'common']);
  const queryClient = useQueryClient();
  const [adding, setAdding] = useState(false);
  const [announcement, setAnnouncement] = useState('');

  const pairs = useQuery({ queryKey: PAIRS_QUERY_KEY, queryFn: () => api['pairs.list']({}) });

  const onStatus = useCallback(
    (status: PairStatusDto) =>
      queryClient.setQueryData<PairsData>(PAIRS_QUERY_KEY, (data) => upsertPair(data, status)),
    [queryClient],
  );
  const onRemoved = useCallback(
    (pairId: number) =>
      queryClient.setQueryData<PairsData>(PAIRS_QUERY_KEY, (data) =>
        data === undefined ? data : { pairs: data.pairs.filter((p) => p.pair.id !== pairId) },
      ),
    [queryClient],
  );

  useEvent('pairs.statusChanged', (status) => {
    onStatus(status);
    // The guard's list and the problem lists may have changed with the status (only the
    // lists on screen reload).
    for (const method of ['pairs.pendingDeletes', 'pairs.issues', 'pairs.conflicts'] as const)
      void queryClient.invalidateQueries({ queryKey: pairListQueryKey(method, status.pair.id) });
  });
  useEvent('pairs.removed', ({ pairId }) => onRemoved(pairId));

  const list = pairs.data?.pairs ?? [];
  // Opened for one pair (a notification's "Show"): bring its card into view and focus it.
  const { params } = useNavigation();
  // A pair just added takes the focus the same way (the form it came from is gone).
  const [added, setAdded] = useState<string | undefined>(undefined);
  const target = added ?? params?.pair;
  const loaded = pairs.isSuccess;
  const shown = list.some((status) => String(status.pair.id) === target);
  useEffect(() => {
    if (target === undefined || !loaded || !shown) return;
    const card = document.querySelector<HTMLElement>(`[data-testid="pair-card-${target}"]`);
    card?.scrollIntoView?.({ block: 'start' });
    card?.focus();
  }, [target, loaded, shown]);
  const showForm = adding || (pairs.isSuccess && list.length === 0);

  return (
    <>
      <ViewHeader title={t('title')}>
        {!showForm && pairs.isSuccess ? (
          <button type="button" className="button button--primary" onClick={() => setAdding(true)}>
            {t('add.open')}
          </button>
        ) : null}
      </ViewHeader>
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>

      {pairs.isPending ? <Loading label={t('loading')} /> : null}
      {pairs.isError ? (
        <ErrorDisplay
          error={pairs.error}
          title={t('loadFailed')}
          onRetry={() => void pairs.refetch()}
        />
      ) : null}

      {pairs.isSuccess && list.length === 0 ? <p className="empty">{t('empty')}</p> : null}

      {showForm ? (
        <AddPairForm
          onAdded={(status) => {
            onStatus(status);
            setAdding(false);
            setAnnouncement(t('add.added', { folder: status.pair.localRoot }));
            setAdded(String(status.pair.id));
          }}
          {...(list.length > 0 ? { onCancel: () => setAdding(false) } : {})}
        />
      ) : null}

      {list.length > 0 ? (
        <section aria-labelledby="folders-list-title" className="pair-cards">
          <h2 id="folders-list-title">{t('listTitle', { count: list.length })}</h2>
          {list.map((status) => (
            <PairCard
              key={status.pair.id}
              status={status}
              onStatus={onStatus}
              onRemoved={onRemoved}
            />
          ))}
        </section>
      ) : null}
    </>
  );
}
