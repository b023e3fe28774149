/**
 * Language (applied at once, as the banner's switch does, and saved), launch at login (only
 * the desktop app can; the headless host says why not) and the log level.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import {
  LANGUAGES,
  LOG_LEVELS,
  type Params,
  type SettingsDto,
} from '../../../../shared/contract/index.js';
import { useApi } from '../../api/api-context.js';
import { ErrorDisplay } from '../../components/error-display.js';
import { Loading } from '../../components/loading.js';
import { localeForSetting } from '../../i18n/locale.js';
import { SETTINGS_QUERY_KEY } from '../../shell/language-select.js';
import { APP_INFO_QUERY_KEY } from './queries.js';

export function PreferencesSection() {
  const api = useApi();
  const { t, i18n } = useTranslation(['settings', 'common']);
  const queryClient = useQueryClient();
  const baseId = useId();
  const settings = useQuery({
    queryKey: SETTINGS_QUERY_KEY,
    queryFn: () => api['settings.get']({}),
  });
  const info = useQuery({ queryKey: APP_INFO_QUERY_KEY, queryFn: () => api['app.info']({}) });
  const update = useMutation({
    mutationFn: (changes: Params<'settings.update'>) => api['settings.update'](changes),
    onSuccess: (saved: SettingsDto) => queryClient.setQueryData(SETTINGS_QUERY_KEY, saved),
  });
  const headless = info.data?.host === 'headless';
  const pending = update.isPending ? update.variables : undefined;
  const current = settings.data;

  return (
    <section className="settings-section" aria-labelledby={`${baseId}-title`}>
      <h2 id={`${baseId}-title`}>{t('preferences.title')}</h2>
      {settings.isPending ? <Loading label={t('preferences.loading')} /> : null}
      {settings.isError ? (
        <ErrorDisplay
          error={settings.error}
          title={t('preferences.loadFailed')}
          onRetry={() => void settings.refetch()}
        />
      ) : null}
      {current !== undefined ? (
        <div className="form">
          <div className="form-field">
            <label htmlFor={`${baseId}-language`}>{t('preferences.language')}</label>
            <select
              id={`${baseId}-language`}
              value={pending?.language ?? current.language}
              onChange={(event) => {
                const language = LANGUAGES.find((entry) => entry === event.target.value);
                if (language === undefined) return;
                void i18n.changeLanguage(localeForSetting(language, navigator));
                update.mutate({ language });
              }}
            >
              {LANGUAGES.map((language) => (
                <option key={language} value={language}>
                  {t(`common:language.${language}`)}
                </option>
              ))}
            </select>
          </div>

          <div className="form-field">
            <div className="choice">
              <input
                type="checkbox"
                id={`${baseId}-login`}
                checked={pending?.launchAtLogin ?? current.launchAtLogin}
                disabled={headless || info.isPending}
                aria-describedby={`${baseId}-login-hint`}
                onChange={(event) => update.mutate({ launchAtLogin: event.target.checked })}
              />
              <label htmlFor={`${baseId}-login`}>{t('preferences.launchAtLogin')}</label>
              <p className="hint" id={`${baseId}-login-hint`}>
                {headless
                  ? t('preferences.launchAtLoginHeadless')
                  : t('preferences.launchAtLoginHint')}
              </p>
            </div>
          </div>

          <div className="form-field">
            <label htmlFor={`${baseId}-log`}>{t('preferences.logLevel')}</label>
            <select
              id={`${baseId}-log`}
              value={pending?.logLevel ?? current.logLevel}
              aria-describedby={`${baseId}-log-hint`}
              onChange={(event) => {
                const logLevel = LOG_LEVELS.find((entry) => entry === event.target.value);
                if (logLevel !== undefined) update.mutate({ logLevel });
              }}
            >
              {LOG_LEVELS.map((level) => (
                <option key={level} value={level}>
                  {t(`preferences.logLevels.${level}`)}
                </option>
              ))}
            </select>
            <p className="hint" id={`${baseId}-log-hint`}>
              {t('preferences.logLevelHint')}
            </p>
          </div>
          {update.isError ? (
            <ErrorDisplay
              error={update.error}
              title={t('preferences.saveFailed')}
              actions={
                <button type="button" onClick={() => update.reset()}>
                  {t('common:actions.dismiss')}
                </button>
              }
            />
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
