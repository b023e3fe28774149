/** The body of a view that is not built yet: its title and a plain note. */
import { useTranslation } from 'react-i18next';
import { ViewHeader } from './view-header.js';

export function Placeholder({ titleKey }: { titleKey: string }) {
  const { t } = useTranslation('common');
  return (
    <>
      <ViewHeader title={t(titleKey)} />
      <p className="placeholder">{t('placeholder')}</p>
    </>
  );
}
