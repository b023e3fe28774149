import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApiClient } from './api/client.js';
import { pickTransport } from './api/pick-transport.js';
import { App } from './app.js';
import { localeForSetting, systemLocale } from './i18n/locale.js';
import { applyDocumentLanguage, createI18n } from './i18n/setup.js';
import { createQueryClient, Providers } from './providers.js';
import { SETTINGS_QUERY_KEY } from './shell/language-select.js';

const api = createApiClient(pickTransport(window));
const i18n = createI18n(systemLocale(navigator));
const queryClient = createQueryClient();
applyDocumentLanguage(i18n);
i18n.on('languageChanged', () => applyDocumentLanguage(i18n));

// The saved language wins over the system's once settings arrive.
void queryClient
  .fetchQuery({ queryKey: SETTINGS_QUERY_KEY, queryFn: () => api['settings.get']({}) })
  .then((settings) => i18n.changeLanguage(localeForSetting(settings.language, navigator)))
  .catch(() => {
    // Keep the system language; the language switch shows the error if it persists.
  });

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');

createRoot(container).render(
  <StrictMode>
    <Providers api={api} i18n={i18n} queryClient={queryClient}>
      <App />
    </Providers>
  </StrictMode>,
);
