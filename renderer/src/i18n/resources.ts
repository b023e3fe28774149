/**
 * The translations: shared/i18n/locales/<locale>/<namespace>.json, shared with the main
 * process (notifications, tray). Every JSON file there is bundled, so a namespace another
 * part of the app adds is available here without a change.
 */
import type { Resource } from 'i18next';
import { LOCALES, type Locale } from './locale.js';

const files = import.meta.glob<Record<string, unknown>>('../../../shared/i18n/locales/*/*.json', {
  eager: true,
  import: 'default',
});

/** `{ en: { common: {...}, errors: {...} }, 'zh-CN': {...} }` from the file paths. */
export function buildResources(modules: Record<string, Record<string, unknown>>): Resource {
  const resources: Resource = {};
  for (const [path, content] of Object.entries(modules)) {
    const match = /\/locales\/([^/]+)\/([^/]+)\.json$/.exec(path);
    if (!match) continue;
    const [, locale, namespace] = match as unknown as [string, string, string];
    if (!(LOCALES as readonly string[]).includes(locale)) continue;
    (resources[locale] ??= {})[namespace] = content;
  }
  return resources;
}

export const RESOURCES = buildResources(files);

export function namespacesOf(resources: Resource, locale: Locale = 'en'): string[] {
  return Object.keys(resources[locale] ?? {});
}
