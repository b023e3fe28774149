// Translations for the main process (tray menu, notifications, the shell's dialogs): the same JSON
// files as the renderer (shared/i18n/locales/<lng>/<namespace>.json), read with fs and fed
// to an i18next instance of our own. Plain functions, tested under Node.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import i18next, { type i18n as I18n, type Resource, type ResourceLanguage } from 'i18next';
import type { SettingsDto } from '../../shared/contract/index.js';
import type { Translate } from './tray-model.js';

export const MAIN_LANGUAGES = ['en', 'zh-CN'] as const;
export type MainLanguage = (typeof MAIN_LANGUAGES)[number];

/** The namespaces main uses; a missing file is an empty namespace (keys show as keys). */
export const MAIN_NAMESPACES = ['tray', 'notifications'] as const;
export type MainNamespace = (typeof MAIN_NAMESPACES)[number];

/**
 * The language to show: the setting, or for 'system' the OS locale (`app.getLocale()`):
 * any Chinese locale (zh, zh-CN, zh-Hans-SG, zh-TW) is zh-CN, anything else English.
 */
export function resolveLanguage(
  setting: SettingsDto['language'],
  systemLocale: string,
): MainLanguage {
  if (setting !== 'system') return setting;
  return /^zh(?:[-_]|$)/i.test(systemLocale.trim()) ? 'zh-CN' : 'en';
}

export interface LoadLocalesOptions {
  languages?: readonly string[];
  namespaces?: readonly string[];
  /** Told about a file that exists but is not a JSON object (the namespace stays empty). */
  onError?: (file: string, error: unknown) => void;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads `<dir>/<lng>/<ns>.json` for every language and namespace that has a file. */
export function loadLocales(dir: string, options: LoadLocalesOptions = {}): Resource {
  const languages = options.languages ?? MAIN_LANGUAGES;
  const namespaces = options.namespaces ?? MAIN_NAMESPACES;
  const resources: Resource = {};
  for (const language of languages) {
    const byNamespace: ResourceLanguage = {};
    for (const namespace of namespaces) {
      const file = path.join(dir, language, `${namespace}.json`);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.onError?.(file, error);
        continue;
      }
      try {
        const parsed: unknown = JSON.parse(text);
        if (!isPlainObject(parsed)) throw new Error('not a JSON object');
        byNamespace[namespace] = parsed;
      } catch (error) {
        options.onError?.(file, error);
      }
    }
    resources[language] = byNamespace;
  }
  return resources;
}

export interface MainI18n {
  readonly language: MainLanguage;
  setLanguage(language: MainLanguage): void;
  /** A key of one namespace; the key itself when no language has it. */
  t(namespace: MainNamespace, key: string, vars?: Readonly<Record<string, unknown>>): string;
  /** Whether the key exists in the current language or the English fallback. */
  has(namespace: MainNamespace, key: string): boolean;
  /** The tray model's t(): `tray.*` keys and `transfers.state.*` from tray.json. */
  tray: Translate;
}

export function createMainI18n(resources: Resource, language: MainLanguage): MainI18n {
  const instance: I18n = i18next.createInstance();
  void instance.init({
    resources,
    lng: language,
    fallbackLng: 'en',
    supportedLngs: [...MAIN_LANGUAGES],
    ns: [...MAIN_NAMESPACES],
    defaultNS: 'tray',
    initAsync: false,
    // Native menus and notifications are not HTML: nothing to escape.
    interpolation: { escapeValue: false },
    returnNull: false,
    returnEmptyString: false,
  });

  const t: MainI18n['t'] = (namespace, key, vars) => {
    const text = instance.t(key, { ...vars, ns: namespace, defaultValue: key });
    return typeof text === 'string' ? text : key;
  };
  const has: MainI18n['has'] = (namespace, key) => instance.exists(key, { ns: namespace });

  const tray: Translate = (key, vars) => {
    if (key.startsWith('tray.')) return t('tray', key.slice('tray.'.length), vars);
    if (key.startsWith('transfers.state.')) {
      return t('tray', `transferState.${key.slice('transfers.state.'.length)}`, vars);
    }
    return key;
  };

  return {
    get language() {
      return instance.language as MainLanguage;
    },
    setLanguage(next) {
      void instance.changeLanguage(next);
    },
    t,
    has,
    tray,
  };
}
