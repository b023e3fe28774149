/**
 * One folder pair on the Folders view: where it syncs, its state, what its mode does to
 * deletions, its counters, the actions (pause or resume, sync now, ignore patterns,
 * remove), the delete guard when it waits for confirmation, and its issues and conflicts.
 */
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PairStatusDto } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { formatBytes, formatCount, formatDateTime, formatRelative } from '../../format.js';
import { ConfirmDialog } from '../../components/dialog.js';
import { IgnoreEditor } from './ignore-editor.js';
import { ModeEditor } from './mode-editor.js';
import { PairConflicts, PairIssues } from './pair-problems.js';
import { PendingDeletes } from './pending-deletes.js';

type PairAction = 'pause' | 'resume' | 'syncNow';

export interface PairCardProps {
  status: PairStatusDto;
  onStatus: (status: PairStatusDto) => void;
  onRemoved: (pairId: number) => void;
}

/** The sentence saying what a pair's mode does when a file is deleted locally. */
export function modeSentenceKey(pair: PairStatusDto['pair']): string {
  if (pair.mode === 'backup') return 'mode.backup.short';
  return pair.deleteMode === 'permanent' ? 'mode.mirror.shortPermanent' : 'mode.mirror.shortTrash';
}

export function PairCard({ status, onStatus, onRemoved }: PairCardProps) {
  const api = useApi();
  const { t, i18n } = useTranslation(['folders', 'status', 'common']);
  const locale = i18n.language;
  const { pair, counters } = status;
  const [editing, setEditing] = useState<'ignore' | 'mode' | null>(null);
  const [removing, setRemoving] = useState(false);
  const [open, setOpen] = useState<'issues' | 'conflicts' | null>(null);
  const headingId = `pair-${pair.id}-title`;

  const action = useMutation({
    mutationFn: (kind: PairAction) =>
      kind === 'pause'
        ? api['pairs.pause']({ pairId: pair.id })
        : kind === 'resume'
          ? api['pairs.resume']({ pairId: pair.id })
          : api['pairs.syncNow']({ pairId: pair.id }),
    onSuccess: onStatus,
  });
  const remove = useMutation({
    mutationFn: () => api['pairs.remove']({ pairId: pair.id }),
    // The card (and the dialog in it) goes with the pair; the dialog then moves the focus to
    // the view's heading, since the button that opened it is gone.
    onSuccess: () => onRemoved(pair.id),
  });

  const where = `oss://${pair.bucket}/${pair.prefix}`;
  const waiting = status.state === 'waiting-for-confirmation' || counters.deletesAwaiting > 0;

  return (
    <article
      className="pair-card"
      aria-labelledby={headingId}
      data-testid={`pair-card-${pair.id}`}
      tabIndex={-1}
    >
      <header className="pair-card__head">
        <h3 id={headingId} className="cell-path">
          {pair.localRoot}
        </h3>
        <span className={`badge badge--${status.state}`}>
          {t(`status:pairState.${status.state}`)}
        </span>
      </header>
      <p className="cell-path">
        <span className="muted">{t('card.syncsTo')}</span> {where}
      </p>
      {status.detail !== null && status.detail !== '' ? (
        <p className="cell-detail">{status.detail}</p>
      ) : null}
      <p>
        <strong>{t(`mode.${pair.mode}.name`)}</strong>{' '}
        {t(modeSentenceKey(pair), { days: pair.trashRetentionDays })}
      </p>
      <dl className="pair-card__facts">
        <div>
          <dt>{t('card.pending')}</dt>
          <dd>
            {counters.filesPending === 0
              ? t('card.nothingPending')
              : t('status:pairs.pending', {
                  files: formatCount(counters.filesPending, locale),
                  bytes: formatBytes(counters.bytesPending, locale),
                })}
          </dd>
        </div>
        <div>
          <dt>{t('card.lastSync')}</dt>
          <dd>
            {counters.lastSyncedAt === null ? (
              t('status:pairs.never')
            ) : (
              <time
                dateTime={new Date(counters.lastSyncedAt).toISOString()}
                title={formatDateTime(counters.lastSyncedAt, locale)}
              >
                {formatRelative(counters.lastSyncedAt, locale)}
              </time>
            )}
          </dd>
        </div>
        <div>
          <dt>{t('card.ignore')}</dt>
          <dd>
            {pair.ignore.length === 0
              ? t('card.noIgnore')
              : t('card.ignoreCount', { count: pair.ignore.length })}
          </dd>
        </div>
      </dl>

      <div
        className="actions"
        role="group"
        aria-label={t('card.actions', { folder: pair.localRoot })}
      >
        {pair.paused ? (
          <button
            type="button"
            className="button"
            disabled={action.isPending}
            onClick={() => action.mutate('resume')}
          >
            {t('card.resume')}
          </button>
        ) : (
          <button
            type="button"
            className="button"
            disabled={action.isPending}
            onClick={() => action.mutate('pause')}
          >
            {t('card.pause')}
          </button>
        )}
        <button
          type="button"
          className="button"
          disabled={action.isPending || pair.paused || waiting}
          onClick={() => action.mutate('syncNow')}
        >
          {t('card.syncNow')}
        </button>
        <button
          type="button"
          className="button"
          aria-expanded={editing === 'mode'}
          onClick={() => setEditing(editing === 'mode' ? null : 'mode')}
        >
          {t('card.editMode')}
        </button>
        <button
          type="button"
          className="button"
          aria-expanded={editing === 'ignore'}
          onClick={() => setEditing(editing === 'ignore' ? null : 'ignore')}
        >
          {t('card.editIgnore')}
        </button>
        <button type="button" className="button" onClick={() => setRemoving(true)}>
          {t('card.remove')}
        </button>
      </div>
      {action.isError ? (
        <ErrorDisplay
          error={action.error}
          title={t('card.actionFailed')}
          actions={
            <button type="button" onClick={() => action.reset()}>
              {t('common:actions.dismiss')}
            </button>
          }
        />
      ) : null}

      {editing === 'ignore' ? (
        <IgnoreEditor status={status} onSaved={onStatus} onClose={() => setEditing(null)} />
      ) : null}
      {editing === 'mode' ? (
        <ModeEditor status={status} onSaved={onStatus} onClose={() => setEditing(null)} />
      ) : null}

      {waiting ? <PendingDeletes status={status} onStatus={onStatus} /> : null}

      <div className="pair-card__problems">
        <button
          type="button"
          className="link"
          aria-expanded={open === 'issues'}
          aria-controls={`pair-${pair.id}-issues`}
          onClick={() => setOpen(open === 'issues' ? null : 'issues')}
        >
          {t('card.issues', {
            count: counters.errors,
            formatted: formatCount(counters.errors, locale),
          })}
        </button>
        <button
          type="button"
          className="link"
          aria-expanded={open === 'conflicts'}
          aria-controls={`pair-${pair.id}-conflicts`}
          onClick={() => setOpen(open === 'conflicts' ? null : 'conflicts')}
        >
          {t('card.conflicts', {
            count: counters.conflicts,
            formatted: formatCount(counters.conflicts, locale),
          })}
        </button>
      </div>
      {open === 'issues' ? (
        <div id={`pair-${pair.id}-issues`}>
          <PairIssues pairId={pair.id} />
        </div>
      ) : null}
      {open === 'conflicts' ? (
        <div id={`pair-${pair.id}-conflicts`}>
          <PairConflicts pairId={pair.id} />
        </div>
      ) : null}

      {removing ? (
        <ConfirmDialog
          title={t('remove.title', { folder: pair.localRoot })}
          confirmLabel={t('remove.confirm')}
          cancelLabel={t('remove.cancel')}
          busy={remove.isPending}
          onConfirm={() => remove.mutate()}
          onCancel={() => {
            remove.reset();
            setRemoving(false);
          }}
          error={
            remove.isError ? <ErrorDisplay error={remove.error} title={t('remove.failed')} /> : null
          }
        >
          <p>{t('remove.body', { folder: pair.localRoot, where })}</p>
          <p>
            <strong>{t('remove.safe')}</strong>
          </p>
        </ConfirmDialog>
      ) : null}
    </article>
  );
}
