/** A pair's open issues and recorded conflicts, each a paged, virtualized list. */
import { useTranslation } from 'react-i18next';
import type { ConflictDto, SyncIssueDto } from '../../../../shared/contract/index.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { Loading } from '../../components/loading.js';
import { formatDateTime } from '../../format.js';
import { usePairPages } from './use-pair-pages.js';
import { VirtualList } from './virtual-list.js';

export const PROBLEM_ROW_HEIGHT = 48;

export function PairIssues({ pairId }: { pairId: number }) {
  const { t } = useTranslation(['folders', 'common']);
  const { query, items, total } = usePairPages('pairs.issues', pairId);
  if (query.isPending) return <Loading label={t('issues.loading')} />;
  if (query.isError)
    return (
      <ErrorDisplay
        error={query.error}
        title={t('issues.loadFailed')}
        onRetry={() => void query.refetch()}
      />
    );
  if (items.length === 0) return <p className="empty">{t('issues.empty')}</p>;
  return (
    <VirtualList<SyncIssueDto>
      items={items}
      total={total}
      hasNextPage={query.hasNextPage}
      isFetchingNextPage={query.isFetchingNextPage}
      fetchNextPage={query.fetchNextPage}
      itemKey={(item) => `${item.code}:${item.path}`}
      label={t('issues.title')}
      rowHeight={PROBLEM_ROW_HEIGHT}
      testId={`issues-${pairId}`}
      loadingRowLabel={t('common:loading')}
      renderItem={(item) => (
        <div className="problem-row" data-testid="issue-row">
          <span className="problem-row__path">{item.path}</span>
          <span className="problem-row__what">
            <strong>{t(`issues.code.${item.code}`)}</strong>{' '}
            <span className="muted">{item.message}</span>
          </span>
        </div>
      )}
    />
  );
}

export function PairConflicts({ pairId }: { pairId: number }) {
  const { t, i18n } = useTranslation(['folders', 'common']);
  const { query, items, total } = usePairPages('pairs.conflicts', pairId);
  if (query.isPending) return <Loading label={t('conflicts.loading')} />;
  if (query.isError)
    return (
      <ErrorDisplay
        error={query.error}
        title={t('conflicts.loadFailed')}
        onRetry={() => void query.refetch()}
      />
    );
  if (items.length === 0) return <p className="empty">{t('conflicts.empty')}</p>;
  return (
    <VirtualList<ConflictDto>
      items={items}
      total={total}
      hasNextPage={query.hasNextPage}
      isFetchingNextPage={query.isFetchingNextPage}
      fetchNextPage={query.fetchNextPage}
      itemKey={(item) => `${item.at}:${item.path}`}
      label={t('conflicts.title')}
      rowHeight={PROBLEM_ROW_HEIGHT}
      testId={`conflicts-${pairId}`}
      loadingRowLabel={t('common:loading')}
      renderItem={(item) => (
        <div className="problem-row" data-testid="conflict-row">
          <span className="problem-row__path">{item.path}</span>
          <span className="problem-row__what">
            <time dateTime={new Date(item.at).toISOString()}>
              {formatDateTime(item.at, i18n.language)}
            </time>{' '}
            {item.keptAs !== null
              ? t(`conflicts.${item.resolution}.kept`, { key: item.keptAs })
              : t(`conflicts.${item.resolution}.plain`)}
          </span>
        </div>
      )}
    />
  );
}
