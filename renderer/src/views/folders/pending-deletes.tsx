/**
 * The delete guard of a pair waiting for confirmation: what would go (paged, virtualized),
 * then confirm (a dialog stating the count, sent as expectedCount so main refuses if the set
 * changed) or keep the objects (reject).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PairStatusDto, PendingDeleteDto } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { Loading } from '../../components/loading.js';
import { formatBytes, formatCount } from '../../format.js';
import { ConfirmDialog } from '../../components/dialog.js';
import { pairListQueryKey, usePairPages } from './use-pair-pages.js';
import { VirtualList } from './virtual-list.js';

export const PENDING_ROW_HEIGHT = 36;

export function PendingDeletes({
  status,
  onStatus,
}: {
  status: PairStatusDto;
  onStatus: (status: PairStatusDto) => void;
}) {
  const api = useApi();
  const { t, i18n } = useTranslation(['folders', 'common']);
  const locale = i18n.language;
  const queryClient = useQueryClient();
  const { pair } = status;
  const { query, items, total } = usePairPages('pairs.pendingDeletes', pair.id);
  const [asking, setAsking] = useState<'confirm' | 'reject' | null>(null);
  const known = total ?? (query.hasNextPage ? null : items.length);

  const reload = () =>
    queryClient.invalidateQueries({ queryKey: pairListQueryKey('pairs.pendingDeletes', pair.id) });

  const decide = useMutation({
    mutationFn: (choice: 'confirm' | 'reject') =>
      choice === 'confirm'
        ? api['pairs.confirmDeletes']({ pairId: pair.id, expectedCount: known ?? 0 })
        : api['pairs.rejectDeletes']({ pairId: pair.id }),
    onSuccess: (next) => {
      setAsking(null);
      onStatus(next);
      void reload();
    },
    onError: () => void reload(),
  });

  const where = `oss://${pair.bucket}/${pair.prefix}`;
  const countText = known === null ? '' : formatCount(known, locale);

  return (
    <section className="guard" aria-labelledby={`guard-${pair.id}`}>
      <h4 id={`guard-${pair.id}`}>{t('guard.title')}</h4>
      <p>
        {known === null
          ? t('guard.explainUnknown', { where })
          : t('guard.explain', { count: known, formatted: countText, where })}
      </p>
      <p className="muted">
        {t(`guard.what.${pair.mode === 'mirror' ? pair.deleteMode : 'trash'}`, {
          days: pair.trashRetentionDays,
        })}
      </p>
      {query.isPending ? <Loading label={t('guard.loading')} /> : null}
      {query.isError ? (
        <ErrorDisplay
          error={query.error}
          title={t('guard.loadFailed')}
          onRetry={() => void query.refetch()}
        />
      ) : null}
      {query.isSuccess && items.length === 0 ? <p className="empty">{t('guard.empty')}</p> : null}
      {items.length > 0 ? (
        <VirtualList<PendingDeleteDto>
          items={items}
          total={total}
          hasNextPage={query.hasNextPage}
          isFetchingNextPage={query.isFetchingNextPage}
          fetchNextPage={query.fetchNextPage}
          itemKey={(item) => item.key}
          label={t('guard.listLabel', { where })}
          rowHeight={PENDING_ROW_HEIGHT}
          testId={`pending-deletes-${pair.id}`}
          loadingRowLabel={t('common:loading')}
          renderItem={(item) => (
            <div className="pending-row" data-testid="pending-row">
              <span className="pending-row__path">{item.path}</span>
              <span className="pending-row__size">
                {item.size === null ? t('common:none') : formatBytes(item.size, locale)}
              </span>
            </div>
          )}
        />
      ) : null}
      {decide.isError && asking === null ? (
        <ErrorDisplay
          error={decide.error}
          title={t('guard.decideFailed')}
          actions={
            <button type="button" onClick={() => decide.reset()}>
              {t('common:actions.dismiss')}
            </button>
          }
        />
      ) : null}
      <div className="actions">
        <button
          type="button"
          className="button button--danger"
          disabled={known === null || known === 0 || decide.isPending}
          onClick={() => {
            decide.reset();
            setAsking('confirm');
          }}
        >
          {known === null
            ? t('guard.confirmUnknown')
            : t('guard.confirm', { count: known, formatted: countText })}
        </button>
        <button
          type="button"
          className="button"
          disabled={decide.isPending}
          onClick={() => {
            decide.reset();
            setAsking('reject');
          }}
        >
          {t('guard.reject')}
        </button>
      </div>
      {asking === 'confirm' && known !== null ? (
        <ConfirmDialog
          title={t('guard.confirmTitle', { count: known, formatted: countText })}
          confirmLabel={t('guard.confirm', { count: known, formatted: countText })}
          cancelLabel={t('guard.cancel')}
          danger
          busy={decide.isPending}
          onConfirm={() => decide.mutate('confirm')}
          onCancel={() => setAsking(null)}
          error={
            decide.isError ? (
              <ErrorDisplay error={decide.error} title={t('guard.decideFailed')} />
            ) : null
          }
        >
          <p>{t('guard.confirmBody', { count: known, formatted: countText, where })}</p>
          <p>
            {t(`guard.what.${pair.mode === 'mirror' ? pair.deleteMode : 'trash'}`, {
              days: pair.trashRetentionDays,
            })}
          </p>
        </ConfirmDialog>
      ) : null}
      {asking === 'reject' ? (
        <ConfirmDialog
          title={t('guard.rejectTitle')}
          confirmLabel={t('guard.reject')}
          cancelLabel={t('guard.cancel')}
          busy={decide.isPending}
          onConfirm={() => decide.mutate('reject')}
          onCancel={() => setAsking(null)}
          error={
            decide.isError ? (
              <ErrorDisplay error={decide.error} title={t('guard.decideFailed')} />
            ) : null
          }
        >
          <p>{t('guard.rejectBody', { where })}</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
