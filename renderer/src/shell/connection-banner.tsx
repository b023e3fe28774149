/** Says so when the window has lost its connection to OSSync (headless host only). */
import { useTranslation } from 'react-i18next';
import { useConnectionState } from '../api/api-context.js';

export function ConnectionBanner() {
  const { t } = useTranslation(['common', 'errors']);
  const state = useConnectionState();
  if (state === 'open') return null;
  if (state === 'failed') {
    return (
      <p className="connection-banner" role="alert">
        {t('connection.failed')} {t('errors:unauthorized.next')}
      </p>
    );
  }
  return (
    <p className="connection-banner" role="status">
      {state === 'connecting' ? t('connection.connecting') : t('connection.lost')}
    </p>
  );
}
