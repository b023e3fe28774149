/**
 * Activity: what happened, newest first (uploaded, downloaded, deleted, moved to trash,
 * conflicts, held deletions, errors), filtered by kind, text, account and folder; a paged,
 * virtualized log that new entries join at the top as they happen.
 */
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ActivityEntryDto } from '../../../shared/contract/index.js';
import { ErrorDisplay, jobErrorToContractError } from '../components/error-display.js';
import { Loading } from '../components/loading.js';
import { formatCount, formatDateTime } from '../format.js';
import { ActivityFilters } from './activity/activity-filters.js';
import { ACTIVITY_ROW_HEIGHT, ActivityRow } from './activity/activity-row.js';
import {
  NO_FILTERS,
  useActivityPages,
  type ActivityFilters as Filters,
} from './activity/use-activity-pages.js';
import { VirtualList } from './folders/virtual-list.js';
import { ViewHeader } from './view-header.js';
import './folders/folders.css';
import './activity/activity.css';

export function ActivityView() {
  const { t, i18n } = useTranslation(['activity', 'common']);
  const locale = i18n.language;
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [details, setDetails] = useState<ActivityEntryDto | null>(null);
  const { query, items, total } = useActivityPages(filters);
  const onDetails = useCallback((entry: ActivityEntryDto) => setDetails(entry), []);
  const onFilters = useCallback((next: Filters) => {
    setFilters(next);
    setDetails(null);
  }, []);
  const filtered =
    filters !== NO_FILTERS &&
    (filters.kinds.length > 0 ||
      filters.search.trim() !== '' ||
      filters.accountId !== null ||
      filters.pairId !== null);

  return (
    <>
      <ViewHeader title={t('title')} />
      <ActivityFilters filters={filters} onChange={onFilters} />
      {query.isPending ? <Loading label={t('loading')} /> : null}
      {query.isError ? (
        <ErrorDisplay
          error={query.error}
          title={t('loadFailed')}
          onRetry={() => void query.refetch()}
        />
      ) : null}
      {query.isSuccess && items.length === 0 ? (
        <p className="empty">{filtered ? t('emptyFiltered') : t('empty')}</p>
      ) : null}
      {items.length > 0 ? (
        <>
          <p className="activity-count" data-testid="activity-count" aria-live="polite">
            {total !== null
              ? t('count.total', { count: total, formatted: formatCount(total, locale) })
              : t('count.loaded', {
                  count: items.length,
                  formatted: formatCount(items.length, locale),
                })}
          </p>
          <VirtualList<ActivityEntryDto>
            items={items}
            total={total}
            hasNextPage={query.hasNextPage}
            isFetchingNextPage={query.isFetchingNextPage}
            fetchNextPage={query.fetchNextPage}
            itemKey={(entry) => String(entry.id)}
            label={t('listLabel')}
            rowHeight={ACTIVITY_ROW_HEIGHT}
            className="activity-list"
            testId="activity-scroll"
            loadingRowLabel={t('common:loading')}
            onActivate={(entry) => {
              if (entry.error !== null) setDetails(entry);
            }}
            renderItem={(entry) => <ActivityRow entry={entry} onDetails={onDetails} />}
          />
          {query.isFetchNextPageError ? (
            <ErrorDisplay
              error={query.error}
              title={t('moreFailed')}
              onRetry={() => void query.fetchNextPage()}
            />
          ) : null}
        </>
      ) : null}
      {details !== null && details.error !== null ? (
        <section className="activity-details" aria-labelledby="activity-details-title">
          <h2 id="activity-details-title">
            {t('details.title', { when: formatDateTime(details.at, locale) })}
          </h2>
          <ErrorDisplay
            error={jobErrorToContractError(details.error)}
            title={t(`kind.${details.kind}`)}
            actions={
              <button
                type="button"
                onClick={() => {
                  setDetails(null);
                  // Back to the row the details were about (the list's tab stop).
                  document
                    .querySelector<HTMLElement>('.activity-list [role="article"][tabindex="0"]')
                    ?.focus();
                }}
              >
                {t('details.close')}
              </button>
            }
          />
        </section>
      ) : null}
    </>
  );
}
