/** Actions on the selected transfers, and clearing finished ones on the finished tabs. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { TransferDto } from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { formatCount } from '../../format.js';
import { TRANSFER_ACTIONS, actionsFor, type TransferAction } from './transfer-actions.js';
import type { TransferTab } from './use-transfer-pages.js';

export interface BulkToolbarProps {
  tab: TransferTab;
  selected: readonly TransferDto[];
  busy: boolean;
  onAction: (action: TransferAction) => void;
  onClearSelection: () => void;
}

export function BulkToolbar({ tab, selected, busy, onAction, onClearSelection }: BulkToolbarProps) {
  const api = useApi();
  const { t, i18n } = useTranslation(['transfers', 'common']);
  const queryClient = useQueryClient();
  const clear = useMutation({
    mutationFn: () =>
      api['transfers.clearFinished']({
        states: tab === 'failed' ? ['failed'] : ['done', 'cancelled'],
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['transfers.list'] }),
  });
  const possible = new Set(selected.flatMap((job) => actionsFor(job.state)));
  return (
    <div className="toolbar" role="toolbar" aria-label={t('bulk.label')}>
      <span className="toolbar__count" aria-live="polite">
        {t('bulk.selected', {
          count: selected.length,
          formatted: formatCount(selected.length, i18n.language),
        })}
      </span>
      {TRANSFER_ACTIONS.map((action) => (
        <button
          key={action}
          type="button"
          className="button"
          disabled={busy || !possible.has(action)}
          onClick={() => onAction(action)}
        >
          {t(`actions.${action}`)}
        </button>
      ))}
      <button
        type="button"
        className="button"
        disabled={selected.length === 0}
        onClick={onClearSelection}
      >
        {t('bulk.clearSelection')}
      </button>
      {tab === 'completed' || tab === 'failed' ? (
        <button
          type="button"
          className="button"
          disabled={clear.isPending}
          onClick={() => clear.mutate()}
        >
          {t(`bulk.clearFinished.${tab}`)}
        </button>
      ) : null}
      {clear.isError ? (
        <ErrorDisplay
          error={clear.error}
          title={t('actionFailed')}
          actions={
            <button type="button" onClick={() => clear.reset()}>
              {t('common:actions.dismiss')}
            </button>
          }
        />
      ) : null}
    </div>
  );
}
