/**
 * One row of the Transfers list. Memoized, and it reads its live data (progress, pushed job
 * updates) through per-job subscriptions, so a progress event re-renders only the rows
 * whose job it names, at most once per frame.
 */
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import type { TransferDto } from '../../../../shared/contract/index.js';
import { errorMessage, jobErrorToContractError } from '../../components/error-display.js';
import { ProgressBar } from '../../components/progress-bar.js';
import { formatBytes, formatCount, formatDuration, formatSpeed } from '../../format.js';
import { useJobProgress, useLiveJob } from '../../live/live-context.js';
import { jobKey } from '../../live/live-transfers.js';
import { actionsFor, keyName, type TransferAction } from './transfer-actions.js';

export const ROW_HEIGHT = 52;

export const rowDomId = (key: string) => `transfer-row-${key.replace(':', '-')}`;

export interface TransferRowProps {
  job: TransferDto;
  index: number;
  top: number;
  selected: boolean;
  active: boolean;
  onPointerSelect: (index: number, mode: 'only' | 'toggle' | 'range') => void;
  onAction: (action: TransferAction, job: TransferDto) => void;
  onCopyKey: (job: TransferDto) => void;
  /** Desktop only: shows the job's local file in the file manager (undefined headless). */
  onShowInFolder?: ((job: TransferDto) => void) | undefined;
}

function TransferRowImpl({
  job: listed,
  index,
  top,
  selected,
  active,
  onPointerSelect,
  onAction,
  onCopyKey,
  onShowInFolder,
}: TransferRowProps) {
  const { t, i18n } = useTranslation(['transfers', 'common', 'errors']);
  const locale = i18n.language;
  const key = jobKey(listed.accountId, listed.id);
  const job = useLiveJob(key, listed);
  const progress = useJobProgress(key);

  const running = job.state === 'running';
  const total = progress?.bytesTotal ?? job.size;
  const done =
    job.state === 'done' ? (total ?? job.bytesDone) : (progress?.bytesDone ?? job.bytesDone);
  const fraction = total === null ? null : total === 0 ? 1 : done / total;
  const none = t('common:none');
  const name = keyName(job.key);

  return (
    <div
      className={`transfer-row${selected ? ' is-selected' : ''}${active ? ' is-active' : ''}`}
      role="row"
      id={rowDomId(key)}
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-testid="transfer-row"
      data-job-key={key}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
      onClick={(event) =>
        onPointerSelect(
          index,
          event.shiftKey ? 'range' : event.ctrlKey || event.metaKey ? 'toggle' : 'only',
        )
      }
    >
      <div role="gridcell" className="cell cell--check">
        <input
          type="checkbox"
          tabIndex={-1}
          checked={selected}
          aria-label={t('row.select', { name })}
          onClick={(event) => event.stopPropagation()}
          onChange={() => onPointerSelect(index, 'toggle')}
        />
      </div>
      <div role="gridcell" className="cell cell--name" title={`oss://${job.bucket}/${job.key}`}>
        <span className="cell__primary">{name}</span>
        <span className="cell__secondary">{`oss://${job.bucket}/${job.key}`}</span>
      </div>
      <div role="gridcell" className="cell cell--direction">
        {t(`kind.${job.kind}`)}
      </div>
      <div role="gridcell" className="cell cell--size">
        {job.size === null ? none : formatBytes(job.size, locale)}
      </div>
      <div role="gridcell" className="cell cell--progress">
        <ProgressBar value={fraction} label={t('row.progress', { name })} locale={locale} />
      </div>
      <div role="gridcell" className="cell cell--speed">
        {running && progress !== undefined ? formatSpeed(progress.bytesPerSecond, locale) : none}
      </div>
      <div role="gridcell" className="cell cell--eta">
        {running && progress !== undefined && progress.etaSeconds !== null
          ? formatDuration(progress.etaSeconds, locale)
          : none}
      </div>
      <div role="gridcell" className="cell cell--attempts">
        {formatCount(job.attempts, locale)}
      </div>
      <div role="gridcell" className="cell cell--state">
        <span className={`badge badge--${job.state}`}>{t(`state.${job.state}`)}</span>
        {job.error !== null ? (
          <span className="cell__error">{errorMessage(t, jobErrorToContractError(job.error))}</span>
        ) : null}
      </div>
      <div role="gridcell" className="cell cell--actions">
        {actionsFor(job.state).map((action) => (
          <button
            key={action}
            type="button"
            tabIndex={-1}
            className="icon-button"
            aria-label={t(`actions.${action}Named`, { name })}
            title={t(`actions.${action}`)}
            onClick={(event) => {
              event.stopPropagation();
              onAction(action, job);
            }}
          >
            {t(`actions.${action}`)}
          </button>
        ))}
        <button
          type="button"
          tabIndex={-1}
          className="icon-button"
          aria-label={t('actions.copyKeyNamed', { name })}
          onClick={(event) => {
            event.stopPropagation();
            onCopyKey(job);
          }}
        >
          {t('actions.copyKey')}
        </button>
        {onShowInFolder !== undefined && job.localPath !== null ? (
          <button
            type="button"
            tabIndex={-1}
            className="icon-button"
            aria-label={t('actions.showInFolderNamed', { name })}
            onClick={(event) => {
              event.stopPropagation();
              onShowInFolder(job);
            }}
          >
            {t('actions.showInFolder')}
          </button>
        ) : null}
      </div>
    </div>
  );
}

export const TransferRow = memo(TransferRowImpl);

/** A row whose page has not arrived yet. */
export function PlaceholderRow({ index, top }: { index: number; top: number }) {
  const { t } = useTranslation('transfers');
  return (
    <div
      className="transfer-row transfer-row--placeholder"
      role="row"
      aria-rowindex={index + 2}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
    >
      <div role="gridcell" className="cell cell--name">
        {t('row.loading')}
      </div>
    </div>
  );
}
