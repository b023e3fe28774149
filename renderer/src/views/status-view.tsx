/**
 * Status (home): the app's state with the offline case explained, total speeds, global
 * pause/resume, the queue's counts, and one row per folder pair with its state, pending
 * files and bytes, last sync and problems. Kept fresh by pairs.* and app.* events.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { AppStatusDto, PairStatusDto } from '../../../shared/contract/index.js';
import { useApi, useEvent } from '../api/api-context.js';
import { ErrorDisplay } from '../components/error-display.js';
import { Loading } from '../components/loading.js';
import { formatCount, formatSpeed } from '../format.js';
import { useTotalSpeeds } from '../live/live-context.js';
import { useNavigation } from '../shell/navigation.js';
import { PairsTable } from './status/pairs-table.js';
import { ViewHeader } from './view-header.js';

export const PAIRS_QUERY_KEY = ['pairs.list'] as const;
export const APP_STATUS_QUERY_KEY = ['app.status'] as const;

type PairsData = { pairs: PairStatusDto[] };

function upsertPair(data: PairsData | undefined, status: PairStatusDto): PairsData | undefined {
  if (data === undefined) return data;
  const index = data.pairs.findIndex((entry) => entry.pair.id === status.pair.id);
  const pairs = [...data.pairs];
  if (index === -1) pairs.push(status);
  else pairs[index] = status;
  return { pairs };
}

export function StatusView() {
  const api = useApi();
  const { t, i18n } = useTranslation('status');
  const queryClient = useQueryClient();
  const { navigate } = useNavigation();

  const pairs = useQuery({ queryKey: PAIRS_QUERY_KEY, queryFn: () => api['pairs.list']({}) });
  const app = useQuery({
    queryKey: APP_STATUS_QUERY_KEY,
    queryFn: () => api['app.status']({}),
    // Speeds in app.status are a moment's; until progress events take over (they stop once
    // the speeds reach 0), ask again so a speed read just as transfers ended falls to 0.
    refetchInterval: (query) => {
      const data = query.state.data;
      return data !== undefined && data.uploadBytesPerSecond + data.downloadBytesPerSecond > 0
        ? 2000
        : false;
    },
  });

  useEvent('pairs.statusChanged', (status) =>
    queryClient.setQueryData<PairsData>(PAIRS_QUERY_KEY, (data) => upsertPair(data, status)),
  );
  useEvent('pairs.removed', ({ pairId }) =>
    queryClient.setQueryData<PairsData>(PAIRS_QUERY_KEY, (data) =>
      data === undefined ? data : { pairs: data.pairs.filter((p) => p.pair.id !== pairId) },
    ),
  );
  useEvent('app.statusChanged', (status) =>
    queryClient.setQueryData<AppStatusDto>(APP_STATUS_QUERY_KEY, status),
  );

  const pauseAll = useMutation({
    mutationFn: (pause: boolean) =>
      pause ? api['transfers.pauseAll']({}) : api['transfers.resumeAll']({}),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: APP_STATUS_QUERY_KEY }),
  });

  return (
    <>
      <ViewHeader title={t('title')}>
        {app.data !== undefined ? (
          <button
            type="button"
            className="button button--primary"
            disabled={pauseAll.isPending}
            onClick={() => pauseAll.mutate(!app.data.paused)}
          >
            {app.data.paused ? t('resumeAll') : t('pauseAll')}
          </button>
        ) : null}
      </ViewHeader>

      {pauseAll.isError ? (
        <ErrorDisplay
          error={pauseAll.error}
          title={t('pauseFailed')}
          actions={
            <button type="button" onClick={() => pauseAll.reset()}>
              {t('common:actions.dismiss')}
            </button>
          }
        />
      ) : null}

      <section className="status-summary" aria-labelledby="status-summary-title">
        <h2 id="status-summary-title">{t('summary')}</h2>
        {app.isPending ? <Loading /> : null}
        {app.isError ? (
          <ErrorDisplay
            error={app.error}
            title={t('loadStatusFailed')}
            onRetry={() => void app.refetch()}
          />
        ) : null}
        {app.data !== undefined ? <AppSummary status={app.data} locale={i18n.language} /> : null}
      </section>

      <section className="status-pairs" aria-labelledby="status-pairs-title">
        <h2 id="status-pairs-title">{t('pairs.title')}</h2>
        {pairs.isPending ? <Loading label={t('pairs.loading')} /> : null}
        {pairs.isError ? (
          <ErrorDisplay
            error={pairs.error}
            title={t('pairs.loadFailed')}
            onRetry={() => void pairs.refetch()}
          />
        ) : null}
        {pairs.data !== undefined && pairs.data.pairs.length === 0 ? (
          <div className="empty">
            <p>{t('pairs.empty')}</p>
            <button type="button" className="button" onClick={() => navigate('folders')}>
              {t('pairs.add')}
            </button>
          </div>
        ) : null}
        {pairs.data !== undefined && pairs.data.pairs.length > 0 ? (
          <PairsTable pairs={pairs.data.pairs} />
        ) : null}
      </section>
    </>
  );
}

function AppSummary({ status, locale }: { status: AppStatusDto; locale: string }) {
  const { t } = useTranslation('status');
  const live = useTotalSpeeds();
  // Progress events are fresher; app.status covers the time before the first one.
  const upload = live.reported ? live.upload : status.uploadBytesPerSecond;
  const download = live.reported ? live.download : status.downloadBytesPerSecond;
  const { navigate } = useNavigation();
  return (
    <>
      <p className={`app-state app-state--${status.state}`} data-testid="app-state">
        {t(`appState.${status.state}`)}
      </p>
      {status.offline ? (
        <div className="notice notice--warning" role="status">
          <p>
            <strong>{t('offline.title')}</strong>
          </p>
          <p>{t('offline.explanation')}</p>
        </div>
      ) : null}
      {status.paused ? (
        <p className="notice" role="status">
          {t('pausedExplanation')}
        </p>
      ) : null}
      <dl className="stats">
        <div>
          <dt>{t('speeds.upload')}</dt>
          <dd data-testid="speed-upload">{formatSpeed(upload, locale)}</dd>
        </div>
        <div>
          <dt>{t('speeds.download')}</dt>
          <dd data-testid="speed-download">{formatSpeed(download, locale)}</dd>
        </div>
        <div>
          <dt>{t('counts.active')}</dt>
          <dd>{formatCount(status.counts.active, locale)}</dd>
        </div>
        <div>
          <dt>{t('counts.queued')}</dt>
          <dd>{formatCount(status.counts.queued, locale)}</dd>
        </div>
        <div>
          <dt>{t('counts.failed')}</dt>
          <dd>
            {status.counts.failed > 0 ? (
              <button
                type="button"
                className="link"
                onClick={() => navigate('transfers', { tab: 'failed' })}
              >
                {formatCount(status.counts.failed, locale)}
              </button>
            ) : (
              formatCount(status.counts.failed, locale)
            )}
          </dd>
        </div>
        <div>
          <dt>{t('counts.conflicts')}</dt>
          <dd>{formatCount(status.counts.conflicts, locale)}</dd>
        </div>
      </dl>
    </>
  );
}
