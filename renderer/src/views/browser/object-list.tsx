/**
 * The listing of one prefix: virtualized rows (TanStack Virtual) over continuation-token
 * pages (TanStack Query), loading the next page as the end comes into view; sorting of the
 * loaded rows with a notice while more remain; multi-select with the mouse (click, Shift,
 * Ctrl/Cmd) and the keyboard (arrows, Page Up/Down, Home/End, Space, Shift, Ctrl+A,
 * Escape, Enter opens a folder or a file's details); the actions on the selection; and
 * dropping files or folders on it to upload them here.
 */
import { useQueryClient } from '@tanstack/react-query';
import {
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type DragEvent,
  type KeyboardEvent,
} from 'react';
import { useTranslation } from 'react-i18next';
import { MAX_BATCH } from '../../../../shared/contract/index.js';
import { useApi, useEvent } from '../../api/api-context.js';
import { readToken } from '../../api/pick-transport.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { Loading } from '../../components/loading.js';
import { formatCount } from '../../format.js';
import { useNavigation } from '../../shell/navigation.js';
import { CreateFolderDialog } from './create-folder-dialog.js';
import { DeleteDialog } from './delete-dialog.js';
import { DetailsPanel } from './details-panel.js';
import { DownloadDialog } from './download-dialog.js';
import {
  collectDropped,
  electronPaths,
  uploadPaths,
  uploadThroughHost,
  type UploadTarget,
} from './drop-upload.js';
import { ObjectRow, PlaceholderRow, ROW_HEIGHT, rowDomId, type PointerMode } from './object-row.js';
import { ShareDialog } from './share-dialog.js';
import { nextOrder, SORT_FIELDS, sortRows, type SortField, type SortOrder } from './sort.js';
import { objectsQueryRoot, useObjectPages, type BrowserRow } from './use-object-pages.js';
import { navigationTarget } from '../../components/list-keys.js';
import { useListVirtualizer } from '../../components/use-list-virtualizer.js';

/** Start loading the next page when this many loaded rows are left below the window. */
const PREFETCH_ROWS = 100;
const PAGE_STEP = 15;
/** Finished uploads and deletes under this prefix reload the listing at most this often. */
export const RELOAD_THROTTLE_MS = 3000;

type Open =
  | { dialog: 'delete' | 'download'; keys: string[] }
  | { dialog: 'share'; key: string }
  | { dialog: 'createFolder' }
  | null;

type UploadState =
  | { state: 'idle' }
  | { state: 'sending'; done: number; total: number }
  | { state: 'done'; queued: number }
  | { state: 'failed'; error: unknown; queued: number };

export interface ObjectListProps {
  accountId: number;
  bucket: string;
  prefix: string;
  namePrefix: string;
  onOpenPrefix: (prefix: string) => void;
}

export function ObjectList({
  accountId,
  bucket,
  prefix,
  namePrefix,
  onOpenPrefix,
}: ObjectListProps) {
  const api = useApi();
  const { t, i18n } = useTranslation(['browser', 'common']);
  const locale = i18n.language;
  const queryClient = useQueryClient();
  const { navigate } = useNavigation();
  const { query, rows: listed } = useObjectPages({ accountId, bucket, prefix, namePrefix });
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;

  const [order, setOrder] = useState<SortOrder | null>(null);
  const rows = useMemo(() => sortRows(listed, order), [listed, order]);
  const [selection, setSelection] = useState<ReadonlySet<string>>(() => new Set());
  const [activeIndex, setActiveIndex] = useState(0);
  const [detailsKey, setDetailsKey] = useState<string | null>(null);
  const [open, setOpen] = useState<Open>(null);
  const [announcement, setAnnouncement] = useState('');
  const [queuedNote, setQueuedNote] = useState<{ kind: string; count: number } | null>(null);
  const [upload, setUpload] = useState<UploadState>({ state: 'idle' });
  const [dropping, setDropping] = useState(false);
  const scrollRef = useRef<HTMLDivElement>(null);
  const gridRef = useRef<HTMLDivElement>(null);
  const rowsRef = useRef(rows);
  const anchorRef = useRef(0);
  rowsRef.current = rows;

  const count = hasNextPage ? rows.length + 1 : rows.length;
  const active = Math.min(activeIndex, Math.max(0, count - 1));

  const virtualizer = useListVirtualizer({
    scrollRef,
    rows,
    count,
    rowHeight: ROW_HEIGHT,
    overscan: 10,
    active,
    keyOf: (row) => row.key,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? -1;

  useEffect(() => {
    if (!hasNextPage || isFetchingNextPage) return;
    if (lastIndex >= rows.length - PREFETCH_ROWS) void fetchNextPage();
  }, [lastIndex, rows.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  const refresh = useCallback(
    () => queryClient.invalidateQueries({ queryKey: objectsQueryRoot(accountId, bucket) }),
    [queryClient, accountId, bucket],
  );

  // Uploads and deletes finishing here change the listing: reload, at most every few seconds.
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (reloadTimer.current !== null) clearTimeout(reloadTimer.current);
    },
    [],
  );
  useEvent('transfers.jobChanged', (job) => {
    if (job.state !== 'done' || (job.kind !== 'upload' && job.kind !== 'delete')) return;
    if (job.accountId !== accountId || job.bucket !== bucket || !job.key.startsWith(prefix)) return;
    if (reloadTimer.current !== null) return;
    reloadTimer.current = setTimeout(() => {
      reloadTimer.current = null;
      void refresh();
    }, RELOAD_THROTTLE_MS);
  });

  const openRow = useCallback(
    (index: number) => {
      const row = rowsRef.current[index];
      if (row === undefined) return;
      if (row.kind === 'folder') onOpenPrefix(row.key);
      else {
        setActiveIndex(index);
        setDetailsKey(row.key);
      }
    },
    [onOpenPrefix],
  );

  const onPointerSelect = useCallback((index: number, mode: PointerMode) => {
    const row = rowsRef.current[index];
    if (row === undefined) return;
    setActiveIndex(index);
    if (mode === 'range') {
      const from = anchorRef.current;
      setSelection((current) => {
        const next = new Set(current);
        for (let i = Math.min(from, index); i <= Math.max(from, index); i += 1) {
          const other = rowsRef.current[i];
          if (other !== undefined) next.add(other.key);
        }
        return next;
      });
      return;
    }
    anchorRef.current = index;
    if (mode === 'only' && row.kind === 'file') setDetailsKey(row.key);
    setSelection((current) => {
      if (mode === 'only') return new Set([row.key]);
      const next = new Set(current);
      if (next.has(row.key)) next.delete(row.key);
      else next.add(row.key);
      return next;
    });
  }, []);

  const moveTo = (index: number, extend: boolean) => {
    const target = Math.min(Math.max(0, index), Math.max(0, count - 1));
    setActiveIndex(target);
    const from = anchorRef.current;
    if (extend) {
      setSelection((current) => {
        const next = new Set(current);
        for (let i = Math.min(from, target); i <= Math.max(from, target); i += 1) {
          const row = rowsRef.current[i];
          if (row !== undefined) next.add(row.key);
        }
        return next;
      });
    } else anchorRef.current = target;
    virtualizer.scrollToIndex(target, { align: 'auto' });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.target !== event.currentTarget) return;
    const extend = event.shiftKey;
    const target = navigationTarget(event.key, active, count, PAGE_STEP);
    if (target !== undefined) {
      event.preventDefault();
      moveTo(target, extend);
      return;
    }
    switch (event.key) {
      case ' ':
        onPointerSelect(active, 'toggle');
        break;
      case 'Enter':
        openRow(active);
        break;
      case 'Escape':
        setSelection(new Set());
        break;
      case 'Delete':
        if (selection.size > 0) setOpen({ dialog: 'delete', keys: selectedKeys() });
        break;
      case 'a':
      case 'A':
        if (!(event.ctrlKey || event.metaKey)) return;
        setSelection(new Set(rowsRef.current.map((row) => row.key)));
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  const selectedKeys = () => rows.filter((row) => selection.has(row.key)).map((row) => row.key);
  const selectedRows = useMemo(
    () => rows.filter((row) => selection.has(row.key)),
    [rows, selection],
  );
  const singleFile =
    selectedRows.length === 1 && selectedRows[0]?.kind === 'file' ? selectedRows[0] : null;
  const tooMany = selectedRows.length > MAX_BATCH;

  const closeDialog = () => setOpen(null);
  const onQueued = (kind: 'download' | 'delete') => (jobs: number) => {
    setOpen(null);
    setQueuedNote({ kind, count: jobs });
    setAnnouncement(t(`queued.${kind}`, { count: jobs, formatted: formatCount(jobs, locale) }));
    if (kind === 'delete') {
      setSelection(new Set());
      void refresh();
    }
  };

  const target: UploadTarget = { accountId, bucket, prefix };
  const uploadFiles = async (data: DataTransfer | FileList) => {
    const files = data instanceof FileList ? Array.from(data) : Array.from(data.files);
    const paths = electronPaths(window);
    try {
      if (paths !== null) {
        const local = paths(files);
        if (local.length === 0) return;
        setUpload({ state: 'sending', done: 0, total: local.length });
        const { queued } = await uploadPaths(api, target, local);
        setUpload({ state: 'done', queued });
        return;
      }
      const dropped =
        data instanceof FileList
          ? files.map((file) => ({ file, path: file.name }))
          : await collectDropped(data);
      if (dropped.length === 0) return;
      setUpload({ state: 'sending', done: 0, total: dropped.length });
      let sent = 0;
      try {
        const { queued } = await uploadThroughHost(target, dropped, {
          token: readToken(window) ?? '',
          onProgress: (done) => {
            sent = done;
            setUpload({ state: 'sending', done, total: dropped.length });
          },
        });
        setUpload({ state: 'done', queued });
      } catch (error) {
        setUpload({ state: 'failed', error, queued: sent });
      }
    } catch (error) {
      setUpload({ state: 'failed', error, queued: 0 });
    }
  };

  // dragenter/dragleave fire for every child crossed: count them to know when it left.
  const dragDepth = useRef(0);
  const carriesFiles = (event: DragEvent<HTMLDivElement>) =>
    Array.from(event.dataTransfer.types).includes('Files');
  const onDragEnter = (event: DragEvent<HTMLDivElement>) => {
    if (!carriesFiles(event)) return;
    dragDepth.current += 1;
    setDropping(true);
  };
  const onDragLeave = (event: DragEvent<HTMLDivElement>) => {
    if (!carriesFiles(event)) return;
    dragDepth.current = Math.max(0, dragDepth.current - 1);
    if (dragDepth.current === 0) setDropping(false);
  };
  const onDragOver = (event: DragEvent<HTMLDivElement>) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setDropping(true);
  };
  const onDrop = (event: DragEvent<HTMLDivElement>) => {
    event.preventDefault();
    dragDepth.current = 0;
    setDropping(false);
    void uploadFiles(event.dataTransfer);
  };

  const toolbar = (
    <div className="toolbar" role="toolbar" aria-label={t('toolbar.label')}>
      <span className="toolbar__count" aria-live="polite">
        {t('toolbar.selected', {
          count: selectedRows.length,
          formatted: formatCount(selectedRows.length, locale),
        })}
      </span>
      <button
        type="button"
        className="button"
        disabled={selectedRows.length === 0 || tooMany}
        onClick={() => setOpen({ dialog: 'download', keys: selectedKeys() })}
      >
        {t('actions.download')}
      </button>
      <button
        type="button"
        className="button"
        disabled={selectedRows.length === 0 || tooMany}
        onClick={() => setOpen({ dialog: 'delete', keys: selectedKeys() })}
      >
        {t('actions.delete')}
      </button>
      <button
        type="button"
        className="button"
        disabled={singleFile === null}
        onClick={() => singleFile !== null && setOpen({ dialog: 'share', key: singleFile.key })}
      >
        {t('actions.share')}
      </button>
      <button type="button" className="button" onClick={() => setOpen({ dialog: 'createFolder' })}>
        {t('actions.createFolder')}
      </button>
      <label className="button browser-upload">
        {t('actions.upload')}
        <input
          type="file"
          multiple
          className="visually-hidden"
          onChange={(event) => {
            if (event.target.files !== null) void uploadFiles(event.target.files);
            event.target.value = '';
          }}
        />
      </label>
      <button type="button" className="button" onClick={() => void refresh()}>
        {t('actions.refresh')}
      </button>
      {tooMany ? (
        <span className="browser-hint" role="status">
          {t('toolbar.tooMany', { max: formatCount(MAX_BATCH, locale) })}
        </span>
      ) : null}
    </div>
  );

  const notes = (
    <>
      {queuedNote !== null ? (
        <div className="notice" role="status" data-testid="queued-note">
          <p>
            {t(`queued.${queuedNote.kind}`, {
              count: queuedNote.count,
              formatted: formatCount(queuedNote.count, locale),
            })}{' '}
            <button type="button" className="link" onClick={() => navigate('transfers')}>
              {t('queued.openTransfers')}
            </button>
          </p>
        </div>
      ) : null}
      {upload.state === 'sending' ? (
        <p className="notice" role="status" data-testid="upload-status">
          {t('upload.sending', {
            done: formatCount(upload.done, locale),
            total: formatCount(upload.total, locale),
          })}
        </p>
      ) : null}
      {upload.state === 'done' ? (
        <div className="notice" role="status" data-testid="upload-status">
          <p>
            {t('upload.queued', {
              count: upload.queued,
              formatted: formatCount(upload.queued, locale),
            })}{' '}
            <button type="button" className="link" onClick={() => navigate('transfers')}>
              {t('queued.openTransfers')}
            </button>
          </p>
        </div>
      ) : null}
      {upload.state === 'failed' ? (
        <ErrorDisplay
          error={upload.error}
          title={t('upload.failed', {
            count: upload.queued,
            formatted: formatCount(upload.queued, locale),
          })}
          actions={
            <button type="button" onClick={() => setUpload({ state: 'idle' })}>
              {t('common:actions.dismiss')}
            </button>
          }
        />
      ) : null}
    </>
  );

  const dialogs = (
    <>
      {open?.dialog === 'delete' ? (
        <DeleteDialog
          accountId={accountId}
          bucket={bucket}
          keys={open.keys}
          onClose={closeDialog}
          onQueued={onQueued('delete')}
        />
      ) : null}
      {open?.dialog === 'download' ? (
        <DownloadDialog
          accountId={accountId}
          bucket={bucket}
          keys={open.keys}
          onClose={closeDialog}
          onQueued={onQueued('download')}
        />
      ) : null}
      {open?.dialog === 'share' ? (
        <ShareDialog
          accountId={accountId}
          bucket={bucket}
          objectKey={open.key}
          onClose={closeDialog}
        />
      ) : null}
      {open?.dialog === 'createFolder' ? (
        <CreateFolderDialog
          accountId={accountId}
          bucket={bucket}
          prefix={prefix}
          onClose={closeDialog}
          onCreated={(key) => {
            setOpen(null);
            setAnnouncement(t('createFolder.created', { name: key }));
            void refresh();
          }}
        />
      ) : null}
    </>
  );

  let body;
  if (query.isPending) body = <Loading label={t('list.loading')} />;
  else if (query.isError && query.data === undefined)
    body = (
      <ErrorDisplay
        error={query.error}
        title={t('list.failed')}
        onRetry={() => void query.refetch()}
      />
    );
  else if (rows.length === 0)
    body = (
      <div className="empty browser-empty" data-testid="browser-empty">
        <p>{namePrefix !== '' ? t('list.noMatch', { filter: namePrefix }) : t('list.empty')}</p>
        <p className="browser-hint">{t('list.dropHint')}</p>
      </div>
    );
  else {
    const activeRow = rows[active];
    const ariaSort = (field: SortField) =>
      order?.field === field ? (order.direction === 'asc' ? 'ascending' : 'descending') : 'none';
    body = (
      <>
        <p className="transfer-list__count" data-testid="browser-count">
          {hasNextPage
            ? t('list.countMore', {
                count: rows.length,
                formatted: formatCount(rows.length, locale),
              })
            : t('list.count', { count: rows.length, formatted: formatCount(rows.length, locale) })}
        </p>
        {order !== null && hasNextPage ? (
          <p className="notice notice--warning" role="status" data-testid="sort-notice">
            {t('sort.partial', { formatted: formatCount(rows.length, locale) })}
          </p>
        ) : null}
        <div
          ref={gridRef}
          className="grid browser-grid"
          role="grid"
          tabIndex={0}
          aria-label={t('list.label', { where: `oss://${bucket}/${prefix}` })}
          aria-rowcount={count + 1}
          aria-multiselectable
          aria-activedescendant={activeRow !== undefined ? rowDomId(active) : undefined}
          onKeyDown={onKeyDown}
        >
          <div role="rowgroup" className="grid__head">
            <div role="row" aria-rowindex={1} className="browser-row browser-row--head">
              <div role="columnheader" className="cell cell--check">
                <input
                  type="checkbox"
                  tabIndex={-1}
                  checked={rows.length > 0 && selectedRows.length === rows.length}
                  aria-label={t('list.selectAllLoaded')}
                  onChange={() =>
                    setSelection(
                      selectedRows.length === rows.length
                        ? new Set()
                        : new Set(rows.map((row: BrowserRow) => row.key)),
                    )
                  }
                />
              </div>
              {SORT_FIELDS.map((field) => (
                <div
                  key={field}
                  role="columnheader"
                  className={`cell cell--${field}`}
                  aria-sort={ariaSort(field)}
                >
                  <button
                    type="button"
                    className="browser-sort"
                    onClick={() => setOrder((current) => nextOrder(current, field))}
                  >
                    {t(`columns.${field}`)}
                    {order?.field === field ? (
                      <span className="visually-hidden">{t(`sort.${order.direction}`)}</span>
                    ) : null}
                    <span
                      aria-hidden="true"
                      className={`browser-sort-mark browser-sort-mark--${order?.field === field ? order.direction : 'none'}`}
                    />
                  </button>
                </div>
              ))}
              <div role="columnheader" className="cell cell--class">
                {t('columns.storageClass')}
              </div>
            </div>
          </div>
          <div role="rowgroup" className="grid__body" ref={scrollRef} data-testid="browser-scroll">
            <div className="grid__sizer" style={{ height: virtualizer.getTotalSize() }}>
              {items.map((item) => {
                const row = rows[item.index];
                if (row === undefined)
                  return <PlaceholderRow key={item.key} index={item.index} top={item.start} />;
                return (
                  <ObjectRow
                    key={item.key}
                    row={row}
                    prefix={prefix}
                    index={item.index}
                    top={item.start}
                    selected={selection.has(row.key)}
                    active={item.index === active}
                    onPointerSelect={onPointerSelect}
                    onOpen={openRow}
                  />
                );
              })}
            </div>
          </div>
        </div>
        {isFetchingNextPage ? <Loading label={t('list.loadingMore')} /> : null}
        {query.isFetchNextPageError || query.isRefetchError ? (
          <ErrorDisplay
            error={query.error}
            title={t('list.failed')}
            onRetry={() => void (query.isRefetchError ? query.refetch() : fetchNextPage())}
          />
        ) : null}
      </>
    );
  }

  return (
    <div
      className={`browser-list${dropping ? ' is-dropping' : ''}`}
      data-testid="browser-drop"
      onDragEnter={onDragEnter}
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
    >
      {toolbar}
      {notes}
      <div className={`browser-main${detailsKey !== null ? ' has-details' : ''}`}>
        <div className="browser-main__list">{body}</div>
        {detailsKey !== null ? (
          <DetailsPanel
            key={detailsKey}
            accountId={accountId}
            bucket={bucket}
            objectKey={detailsKey}
            onClose={() => setDetailsKey(null)}
            onShare={() => setOpen({ dialog: 'share', key: detailsKey })}
          />
        ) : null}
      </div>
      {dropping ? (
        <p className="browser-list__drop" aria-hidden="true">
          {t('upload.dropHere', { where: `oss://${bucket}/${prefix}` })}
        </p>
      ) : null}
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      {dialogs}
    </div>
  );
}
