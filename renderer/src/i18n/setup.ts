/** One i18next instance for the window, with every namespace loaded up front (they are small). */
import i18next, { type i18n, type Resource } from 'i18next';
import { initReactI18next } from 'react-i18next';
import type { Locale } from './locale.js';
import { namespacesOf, RESOURCES } from './resources.js';

export const DEFAULT_NAMESPACE = 'common';

export function createI18n(locale: Locale, resources: Resource = RESOURCES): i18n {
  const instance = i18next.createInstance();
  void instance.use(initReactI18next).init({
    resources,
    lng: locale,
    fallbackLng: 'en',
    ns: namespacesOf(resources),
    defaultNS: DEFAULT_NAMESPACE,
    // React escapes; the values are never HTML.
    interpolation: { escapeValue: false },
    initAsync: false,
  });
  return instance;
}

/** Sets <html lang> and the title to the active language (screen readers pick the voice). */
export function applyDocumentLanguage(instance: i18n, doc: Document = document): void {
  doc.documentElement.lang = instance.language;
  doc.title = instance.t('common:productName');
}
