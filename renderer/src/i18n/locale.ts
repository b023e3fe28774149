/** The UI's languages and how the system language maps onto them. */
import type { LANGUAGES } from '../../../shared/contract/index.js';

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
/** The language setting: a locale, or 'system' to follow the browser / OS. */
export type LanguageSetting = (typeof LANGUAGES)[number];

/**
 * The first supported locale among the browser's preferred languages (`navigator.languages`),
 * matching on the language when the region differs (`zh`, `zh-Hans-CN` -> zh-CN); else English.
 */
export function pickLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const exact = LOCALES.find((locale) => locale.toLowerCase() === tag.toLowerCase());
    if (exact) return exact;
    const language = tag.split('-')[0]?.toLowerCase();
    const sameLanguage = LOCALES.find((locale) => locale.split('-')[0] === language);
    if (sameLanguage) return sameLanguage;
  }
  return 'en';
}

/** The part of `navigator` that says the system language. */
export interface LanguageSource {
  readonly language: string;
  readonly languages: readonly string[];
}

export function systemLocale(nav: LanguageSource): Locale {
  return pickLocale(nav.languages.length > 0 ? nav.languages : [nav.language]);
}

export function localeForSetting(setting: LanguageSetting, nav: LanguageSource): Locale {
  return setting === 'system' ? systemLocale(nav) : setting;
}
