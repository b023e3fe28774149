/** One entry of the activity log: time, kind, the key or path, size, and the error if any. */
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import type { ActivityEntryDto } from '../../../../shared/contract/index.js';
import { errorMessage, jobErrorToContractError } from '../../components/error-display.js';
import { formatBytes, formatDateTime } from '../../format.js';
import type { ActivityKind } from './use-activity-pages.js';

export const ACTIVITY_ROW_HEIGHT = 56;

/** A glyph per kind, beside its label (decorative: the label says it). */
export const KIND_ICONS: Record<ActivityKind, string> = {
  uploaded: '↑',
  downloaded: '↓',
  deleted: '✕',
  trashed: '⊖',
  moved: '→',
  conflict: '⇄',
  'deletes-held': '‖',
  error: '!',
};

function ActivityRowImpl({
  entry,
  onDetails,
}: {
  entry: ActivityEntryDto;
  onDetails: (entry: ActivityEntryDto) => void;
}) {
  const { t, i18n } = useTranslation(['activity', 'common', 'errors']);
  const locale = i18n.language;
  const where =
    entry.key !== null && entry.bucket !== null
      ? `oss://${entry.bucket}/${entry.key}`
      : (entry.key ?? entry.localPath ?? (entry.bucket !== null ? `oss://${entry.bucket}/` : null));
  const secondary = entry.key !== null ? entry.localPath : null;
  return (
    <div className={`activity-row activity-row--${entry.kind}`} data-testid="activity-row">
      <time className="activity-row__time" dateTime={new Date(entry.at).toISOString()}>
        {formatDateTime(entry.at, locale)}
      </time>
      <span className="activity-row__kind">
        <span className="activity-row__icon" aria-hidden="true">
          {KIND_ICONS[entry.kind]}
        </span>
        {t(`kind.${entry.kind}`)}
      </span>
      <span className="activity-row__where">
        <span className="activity-row__key">{where ?? t('common:none')}</span>
        {entry.error !== null ? (
          <span className="activity-row__error">
            {errorMessage(t, jobErrorToContractError(entry.error))}{' '}
            <button type="button" className="link" tabIndex={-1} onClick={() => onDetails(entry)}>
              {t('row.details')}
            </button>
          </span>
        ) : secondary !== null ? (
          <span className="activity-row__path">{secondary}</span>
        ) : null}
      </span>
      <span className="activity-row__size">
        {entry.size === null ? t('common:none') : formatBytes(entry.size, locale)}
      </span>
    </div>
  );
}

export const ActivityRow = memo(ActivityRowImpl);
