/** Says so when the window has lost its connection to OSSync (headless host only). */
import { useTranslation } from 'react-i18next';
import { useConnectionState } from '../api/api-context.js';

export function ConnectionBanner() {
  const { t } = useTranslation('common');
  const state = useConnectionState();
  if (state === 'open') return null;
  return (
    <p className="connection-banner" role="status">
      {state === 'connecting' ? t('connection.connecting') : t('connection.lost')}
    </p>
  );
}
