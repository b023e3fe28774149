/**
 * The language switch: changes the UI at once and persists the choice with
 * settings.update({ language }). 'system' follows the browser / OS language.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, type SettingsDto } from '../../../shared/contract/index.js';
import { useApi } from '../api/api-context.js';
import { ErrorDisplay } from '../components/error-display.js';
import { localeForSetting, type LanguageSetting } from '../i18n/locale.js';

export const SETTINGS_QUERY_KEY = ['settings.get'] as const;

function isLanguage(value: string): value is LanguageSetting {
  return (LANGUAGES as readonly string[]).includes(value);
}

export function LanguageSelect() {
  const api = useApi();
  const { t, i18n } = useTranslation('common');
  const queryClient = useQueryClient();
  const id = useId();
  const settings = useQuery({
    queryKey: SETTINGS_QUERY_KEY,
    queryFn: () => api['settings.get']({}),
  });
  const update = useMutation({
    mutationFn: (language: LanguageSetting) => api['settings.update']({ language }),
    onSuccess: (saved: SettingsDto) => queryClient.setQueryData(SETTINGS_QUERY_KEY, saved),
  });
  const current: LanguageSetting = update.isPending
    ? (update.variables ?? 'system')
    : (settings.data?.language ?? 'system');

  const onChange = (value: string) => {
    if (!isLanguage(value)) return;
    void i18n.changeLanguage(localeForSetting(value, navigator));
    update.mutate(value);
  };

  return (
    <div className="language-select">
      <label htmlFor={id}>{t('language.label')}</label>
      <select id={id} value={current} onChange={(event) => onChange(event.target.value)}>
        {LANGUAGES.map((language) => (
          <option key={language} value={language}>
            {t(`language.${language}`)}
          </option>
        ))}
      </select>
      {update.isError ? (
        <ErrorDisplay
          error={update.error}
          title={t('language.saveFailed')}
          actions={
            <button type="button" onClick={() => update.reset()}>
              {t('actions.dismiss')}
            </button>
          }
        />
      ) : null}
    </div>
  );
}
