import { LOCALES, type Locale, messages, type Messages } from './messages.js';

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

export function messagesFor(locale: Locale): Messages {
  return messages[locale];
}
