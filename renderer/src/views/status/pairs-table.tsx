/** The folder pairs on the Status view: one row each (at most 1000, so no virtualization). */
import { useTranslation } from 'react-i18next';
import type { PairStatusDto } from '../../../../shared/contract/index.js';
import { formatBytes, formatCount, formatDateTime, formatRelative } from '../../format.js';

export function PairsTable({ pairs }: { pairs: readonly PairStatusDto[] }) {
  const { t } = useTranslation('status');
  return (
    <table className="table pairs-table">
      <caption className="visually-hidden">{t('pairs.caption')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('pairs.columns.folder')}</th>
          <th scope="col">{t('pairs.columns.destination')}</th>
          <th scope="col">{t('pairs.columns.state')}</th>
          <th scope="col">{t('pairs.columns.pending')}</th>
          <th scope="col">{t('pairs.columns.lastSync')}</th>
          <th scope="col">{t('pairs.columns.problems')}</th>
        </tr>
      </thead>
      <tbody>
        {pairs.map((status) => (
          <PairRow key={status.pair.id} status={status} />
        ))}
      </tbody>
    </table>
  );
}

function PairRow({ status }: { status: PairStatusDto }) {
  const { t, i18n } = useTranslation('status');
  const locale = i18n.language;
  const { pair, counters } = status;
  const problems: string[] = [];
  if (counters.errors > 0) problems.push(t('pairs.errors', { count: counters.errors }));
  if (counters.conflicts > 0) problems.push(t('pairs.conflicts', { count: counters.conflicts }));
  if (counters.deletesAwaiting > 0)
    problems.push(t('pairs.deletesAwaiting', { count: counters.deletesAwaiting }));
  return (
    <tr data-testid={`pair-${pair.id}`}>
      <th scope="row" className="cell-path">
        {pair.localRoot}
      </th>
      <td className="cell-path">{`oss://${pair.bucket}/${pair.prefix}`}</td>
      <td>
        <span className={`badge badge--${status.state}`}>{t(`pairState.${status.state}`)}</span>
        {status.detail !== null && status.detail !== '' ? (
          <span className="cell-detail">{status.detail}</span>
        ) : null}
      </td>
      <td>
        {counters.filesPending === 0
          ? t('pairs.upToDate')
          : t('pairs.pending', {
              files: formatCount(counters.filesPending, locale),
              bytes: formatBytes(counters.bytesPending, locale),
            })}
      </td>
      <td>
        {counters.lastSyncedAt === null ? (
          t('pairs.never')
        ) : (
          <time
            dateTime={new Date(counters.lastSyncedAt).toISOString()}
            title={formatDateTime(counters.lastSyncedAt, locale)}
          >
            {formatRelative(counters.lastSyncedAt, locale)}
          </time>
        )}
      </td>
      <td>{problems.length === 0 ? t('pairs.noProblems') : problems.join(' · ')}</td>
    </tr>
  );
}
