/** A polite "loading" line for a region that is waiting for data. */
import { useTranslation } from 'react-i18next';

export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation('common');
  return (
    <p className="loading" role="status" aria-live="polite">
      {label ?? t('loading')}
    </p>
  );
}
