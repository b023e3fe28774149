/**
 * Settings: accounts (with the connection test and "Storage on this computer"), bandwidth
 * limits and concurrency, and the app's preferences (language, launch at login, log level).
 */
import { useTranslation } from 'react-i18next';
import { AccountsSection } from './settings/accounts-section.js';
import { LimitsSection } from './settings/limits-section.js';
import { PreferencesSection } from './settings/preferences-section.js';
import { ViewHeader } from './view-header.js';
import './folders/folders.css';
import './settings/settings.css';

export function SettingsView() {
  const { t } = useTranslation('settings');
  return (
    <>
      <ViewHeader title={t('title')} />
      <AccountsSection />
      <LimitsSection />
      <PreferencesSection />
    </>
  );
}
