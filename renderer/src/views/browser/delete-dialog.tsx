/**
 * Deleting the selection. The dialog states what goes before anything is deleted: plain
 * files are counted here; with folders in the selection main counts everything under them
 * first (objects.delete without a token answers `needs-confirmation` with the count and a
 * token), and the second call with that token queues the deletes.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { Loading } from '../../components/loading.js';
import { formatCount } from '../../format.js';
import { Dialog } from '../../components/dialog.js';

export interface DeleteDialogProps {
  accountId: number;
  bucket: string;
  keys: readonly string[];
  onClose: () => void;
  /** Called with how many delete jobs were queued. */
  onQueued: (jobs: number) => void;
}

export function DeleteDialog({ accountId, bucket, keys, onClose, onQueued }: DeleteDialogProps) {
  const api = useApi();
  const { t, i18n } = useTranslation(['browser', 'common']);
  const locale = i18n.language;
  const folders = keys.filter((key) => key.endsWith('/')).length;
  const files = keys.length - folders;

  // With folders, main counts first (nothing is deleted by this call).
  const count = useQuery({
    queryKey: ['objects.delete.count', accountId, bucket, ...keys],
    queryFn: async () => {
      const answer = await api['objects.delete']({ accountId, bucket, keys: [...keys] });
      if (answer.status === 'queued')
        return { token: null, count: answer.jobsQueued, queued: answer };
      return { token: answer.confirmationToken, count: answer.count, queued: null };
    },
    enabled: folders > 0,
    gcTime: 0,
    staleTime: Infinity,
  });

  const remove = useMutation({
    mutationFn: async () => {
      const token = count.data?.token ?? undefined;
      const answer = await api['objects.delete']({
        accountId,
        bucket,
        keys: [...keys],
        ...(token !== undefined ? { confirmationToken: token } : {}),
      });
      if (answer.status !== 'queued') throw new Error('delete was not confirmed');
      return answer.jobsQueued;
    },
    onSuccess: (jobs) => onQueued(jobs),
  });

  const total = folders > 0 ? (count.data?.count ?? null) : files;
  const ready = total !== null && !remove.isPending;

  return (
    <Dialog title={t('delete.title')} onClose={onClose} testId="delete-dialog">
      {folders > 0 && count.isPending ? <Loading label={t('delete.counting')} /> : null}
      {count.isError ? (
        <ErrorDisplay
          error={count.error}
          title={t('delete.countFailed')}
          onRetry={() => void count.refetch()}
        />
      ) : null}
      {total !== null ? (
        <p className="dialog__message" data-testid="delete-count">
          {folders > 0
            ? t('delete.confirmWithFolders', {
                count: total,
                formatted: formatCount(total, locale),
              })
            : t('delete.confirm', { count: total, formatted: formatCount(total, locale) })}
        </p>
      ) : null}
      {total !== null ? <p className="dialog__note">{t('delete.irreversible')}</p> : null}
      {remove.isError ? (
        <ErrorDisplay
          error={remove.error}
          title={t('delete.failed')}
          {...(folders > 0
            ? { onRetry: () => void count.refetch().then(() => remove.reset()) }
            : {})}
        />
      ) : null}
      <div className="dialog__actions">
        <button type="button" className="button" onClick={onClose} data-autofocus>
          {t('actions.cancel')}
        </button>
        <button
          type="button"
          className="button browser-button--danger"
          disabled={!ready || total === 0}
          onClick={() => remove.mutate()}
        >
          {total !== null
            ? t('delete.action', { count: total, formatted: formatCount(total, locale) })
            : t('delete.actionUnknown')}
        </button>
      </div>
    </Dialog>
  );
}
