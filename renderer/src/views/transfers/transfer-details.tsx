/** Everything about the active transfer, with its last error explained in full. */
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import type { TransferDto } from '../../../../shared/contract/index.js';
import { ErrorDisplay, jobErrorToContractError } from '../../components/error-display.js';
import { formatBytes, formatDateTime } from '../../format.js';
import { useLiveJob } from '../../live/live-context.js';
import { jobKey } from '../../live/live-transfers.js';

function TransferDetailsImpl({ job: listed }: { job: TransferDto }) {
  const { t, i18n } = useTranslation(['transfers', 'common']);
  const locale = i18n.language;
  const job = useLiveJob(jobKey(listed.accountId, listed.id), listed);
  const none = t('common:none');
  return (
    <section className="transfer-details" aria-labelledby="transfer-details-title">
      <h2 id="transfer-details-title">{t('details.title')}</h2>
      <dl className="facts">
        <dt>{t('details.key')}</dt>
        <dd className="cell-path">{`oss://${job.bucket}/${job.key}`}</dd>
        <dt>{t('details.localPath')}</dt>
        <dd className="cell-path">{job.localPath ?? none}</dd>
        <dt>{t('columns.direction')}</dt>
        <dd>{t(`kind.${job.kind}`)}</dd>
        <dt>{t('columns.state')}</dt>
        <dd>{t(`state.${job.state}`)}</dd>
        <dt>{t('columns.size')}</dt>
        <dd>{job.size === null ? none : formatBytes(job.size, locale)}</dd>
        <dt>{t('details.created')}</dt>
        <dd>{formatDateTime(job.createdAt, locale)}</dd>
        <dt>{t('details.finished')}</dt>
        <dd>{job.finishedAt === null ? none : formatDateTime(job.finishedAt, locale)}</dd>
        {job.nextAttemptAt !== null ? (
          <>
            <dt>{t('details.nextAttempt')}</dt>
            <dd>{formatDateTime(job.nextAttemptAt, locale)}</dd>
          </>
        ) : null}
      </dl>
      {job.error !== null ? <ErrorDisplay error={jobErrorToContractError(job.error)} /> : null}
    </section>
  );
}

export const TransferDetails = memo(TransferDetailsImpl);
