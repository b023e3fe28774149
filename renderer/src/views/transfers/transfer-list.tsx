/**
 * The Transfers grid of one tab: virtualized rows (TanStack Virtual) over cursor pages
 * (TanStack Query), loading the next page as the end comes into view; a selection with
 * bulk actions; keyboard navigation (arrows, Page Up/Down, Home/End, Space, Shift, Ctrl+A,
 * Escape) with the active row announced through aria-activedescendant.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { TransferDto } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { Loading } from '../../components/loading.js';
import { formatCount } from '../../format.js';
import { jobKey, type JobKey } from '../../live/live-transfers.js';
import { APP_STATUS_QUERY_KEY } from '../status-view.js';
import { BulkToolbar } from './bulk-toolbar.js';
import { runBulkAction, type TransferAction } from './transfer-actions.js';
import { TransferDetails } from './transfer-details.js';
import { PlaceholderRow, ROW_HEIGHT, rowDomId, TransferRow } from './transfer-row.js';
import { type TransferTab, useTransferPages } from './use-transfer-pages.js';
import { useIsDesktop } from '../../api/use-app-info.js';
import { navigationTarget } from '../../components/list-keys.js';
import { useListVirtualizer } from '../../components/use-list-virtualizer.js';

/** Start loading the next page when this many loaded rows are left below the window. */
const PREFETCH_ROWS = 50;

export function TransferList({ tab, labelledBy }: { tab: TransferTab; labelledBy: string }) {
  const api = useApi();
  const { t, i18n } = useTranslation(['transfers', 'common']);
  const locale = i18n.language;
  const queryClient = useQueryClient();
  const { query, rows, total } = useTransferPages(tab);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;

  const [selection, setSelection] = useState<ReadonlySet<JobKey>>(() => new Set());
  const [activeIndex, setActiveIndex] = useState(0);
  const [announcement, setAnnouncement] = useState('');
  const scrollRef = useRef<HTMLDivElement>(null);
  const rowsRef = useRef(rows);
  /** Where a Shift range starts: the last row chosen without Shift. */
  const anchorRef = useRef(0);
  rowsRef.current = rows;

  const count = hasNextPage ? Math.max(total ?? 0, rows.length + 1) : rows.length;
  // Keep the active row inside what exists.
  const active = Math.min(activeIndex, Math.max(0, count - 1));

  const virtualizer = useListVirtualizer({
    scrollRef,
    rows,
    count,
    rowHeight: ROW_HEIGHT,
    overscan: 8,
    active,
    keyOf: (job) => jobKey(job.accountId, job.id),
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? -1;

  useEffect(() => {
    if (!hasNextPage || isFetchingNextPage) return;
    if (lastIndex >= rows.length - PREFETCH_ROWS) void fetchNextPage();
  }, [lastIndex, rows.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  const keyAt = (index: number): JobKey | null => {
    const job = rowsRef.current[index];
    return job === undefined ? null : jobKey(job.accountId, job.id);
  };

  const selectRange = (from: number, to: number, base: ReadonlySet<JobKey>) => {
    const next = new Set(base);
    for (let i = Math.min(from, to); i <= Math.max(from, to); i += 1) {
      const key = keyAt(i);
      if (key !== null) next.add(key);
    }
    return next;
  };

  const onPointerSelect = useCallback((index: number, mode: 'only' | 'toggle' | 'range') => {
    const job = rowsRef.current[index];
    if (job === undefined) return;
    const key = jobKey(job.accountId, job.id);
    setActiveIndex(index);
    if (mode === 'range') {
      const from = anchorRef.current;
      setSelection((current) => {
        const next = new Set(current);
        for (let i = Math.min(from, index); i <= Math.max(from, index); i += 1) {
          const other = rowsRef.current[i];
          if (other !== undefined) next.add(jobKey(other.accountId, other.id));
        }
        return next;
      });
      return;
    }
    anchorRef.current = index;
    setSelection((current) => {
      if (mode === 'only') return new Set([key]);
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  }, []);

  const action = useMutation({
    mutationFn: ({ kind, jobs }: { kind: TransferAction; jobs: TransferDto[] }) =>
      runBulkAction(api, kind, jobs),
    onSuccess: (changed) => {
      setAnnouncement(t('announce.changed', { count: changed }));
      void queryClient.invalidateQueries({ queryKey: ['transfers.list'] });
      void queryClient.invalidateQueries({ queryKey: APP_STATUS_QUERY_KEY });
    },
  });
  const mutateAction = action.mutate;

  const onAction = useCallback(
    (kind: TransferAction, job: TransferDto) => mutateAction({ kind, jobs: [job] }),
    [mutateAction],
  );

  const onCopyKey = useCallback(
    (job: TransferDto) => {
      const clipboard = navigator.clipboard as Clipboard | undefined;
      if (clipboard === undefined) {
        setAnnouncement(t('announce.copyFailed'));
        return;
      }
      clipboard.writeText(job.key).then(
        () => setAnnouncement(t('announce.copied', { key: job.key })),
        () => setAnnouncement(t('announce.copyFailed')),
      );
    },
    [t],
  );

  const desktop = useIsDesktop();
  const onShowInFolder = useCallback(
    (job: TransferDto) => {
      if (job.localPath === null) return;
      api['app.showInFolder']({ path: job.localPath }).then(
        () => undefined,
        () => setAnnouncement(t('announce.showInFolderFailed', { path: job.localPath })),
      );
    },
    [api, t],
  );

  const selectedJobs = useMemo(
    () => rows.filter((job) => selection.has(jobKey(job.accountId, job.id))),
    [rows, selection],
  );

  const moveTo = (index: number, extend: boolean) => {
    const target = Math.min(Math.max(0, index), Math.max(0, count - 1));
    setActiveIndex(target);
    const from = anchorRef.current;
    if (extend) setSelection((current) => selectRange(from, target, current));
    else anchorRef.current = target;
    virtualizer.scrollToIndex(target, { align: 'auto' });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.target !== event.currentTarget) return;
    const extend = event.shiftKey;
    const target = navigationTarget(event.key, active, count);
    if (target !== undefined) {
      event.preventDefault();
      moveTo(target, extend);
      return;
    }
    switch (event.key) {
      case ' ':
        onPointerSelect(active, 'toggle');
        break;
      case 'Escape':
        setSelection(new Set());
        break;
      case 'a':
      case 'A':
        if (!(event.ctrlKey || event.metaKey)) return;
        setSelection(new Set(rowsRef.current.map((job) => jobKey(job.accountId, job.id))));
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  if (query.isPending) return <Loading label={t('loading')} />;
  if (query.isError) {
    return (
      <ErrorDisplay
        error={query.error}
        title={t('loadFailed')}
        onRetry={() => void query.refetch()}
      />
    );
  }
  if (rows.length === 0) {
    return <p className="empty">{t(`empty.${tab}`)}</p>;
  }

  const activeKey = keyAt(active);
  const activeJob = rows[active];
  const allSelected = rows.length > 0 && selection.size >= rows.length;

  return (
    <div className="transfer-list">
      <BulkToolbar
        tab={tab}
        selected={selectedJobs}
        busy={action.isPending}
        onAction={(kind) => mutateAction({ kind, jobs: selectedJobs })}
        onClearSelection={() => setSelection(new Set())}
      />
      {action.isError ? (
        <ErrorDisplay
          error={action.error}
          title={t('actionFailed')}
          actions={
            <button type="button" onClick={() => action.reset()}>
              {t('common:actions.dismiss')}
            </button>
          }
        />
      ) : null}
      <p className="transfer-list__count" data-testid="transfer-count">
        {total !== null
          ? t('count.total', {
              loaded: formatCount(rows.length, locale),
              total: formatCount(total, locale),
              count: total,
            })
          : t('count.loaded', { loaded: formatCount(rows.length, locale), count: rows.length })}
      </p>
      <div
        className="grid"
        role="grid"
        tabIndex={0}
        aria-labelledby={labelledBy}
        aria-rowcount={count + 1}
        aria-multiselectable
        aria-activedescendant={activeKey !== null ? rowDomId(activeKey) : undefined}
        onKeyDown={onKeyDown}
      >
        <div role="rowgroup" className="grid__head">
          <div role="row" aria-rowindex={1} className="transfer-row transfer-row--head">
            <div role="columnheader" className="cell cell--check">
              <input
                type="checkbox"
                tabIndex={-1}
                checked={allSelected}
                aria-label={t('selectAllLoaded')}
                onChange={() =>
                  setSelection(
                    allSelected
                      ? new Set()
                      : new Set(rows.map((job) => jobKey(job.accountId, job.id))),
                  )
                }
              />
            </div>
            <div role="columnheader" className="cell cell--name">
              {t('columns.name')}
            </div>
            <div role="columnheader" className="cell cell--direction">
              {t('columns.direction')}
            </div>
            <div role="columnheader" className="cell cell--size">
              {t('columns.size')}
            </div>
            <div role="columnheader" className="cell cell--progress">
              {t('columns.progress')}
            </div>
            <div role="columnheader" className="cell cell--speed">
              {t('columns.speed')}
            </div>
            <div role="columnheader" className="cell cell--eta">
              {t('columns.eta')}
            </div>
            <div role="columnheader" className="cell cell--attempts">
              {t('columns.attempts')}
            </div>
            <div role="columnheader" className="cell cell--state">
              {t('columns.state')}
            </div>
            <div role="columnheader" className="cell cell--actions">
              {t('columns.actions')}
            </div>
          </div>
        </div>
        <div role="rowgroup" className="grid__body" ref={scrollRef} data-testid="transfer-scroll">
          <div className="grid__sizer" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const job = rows[item.index];
              if (job === undefined) {
                return <PlaceholderRow key={item.key} index={item.index} top={item.start} />;
              }
              const key = jobKey(job.accountId, job.id);
              return (
                <TransferRow
                  key={item.key}
                  job={job}
                  index={item.index}
                  top={item.start}
                  selected={selection.has(key)}
                  active={item.index === active}
                  onPointerSelect={onPointerSelect}
                  onAction={onAction}
                  onCopyKey={onCopyKey}
                  onShowInFolder={desktop ? onShowInFolder : undefined}
                />
              );
            })}
          </div>
        </div>
      </div>
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      {activeJob !== undefined ? <TransferDetails job={activeJob} /> : null}
    </div>
  );
}
