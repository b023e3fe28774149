// Every namespace under shared/i18n/locales has the same keys in English and Chinese (plural
// forms compared per language's CLDR categories), no empty texts, and every contract error
// code has a message and a next step in both.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTRACT_ERROR_CODES } from '../../../shared/contract/index.js';
import { LOCALES } from '../../../renderer/src/i18n/locale.js';

const root = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../shared/i18n/locales',
);
const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

function flatten(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      for (const [k, v] of flatten(inner, prefix === '' ? key : `${prefix}.${key}`)) out.set(k, v);
    }
  } else out.set(prefix, value);
  return out;
}

function load(locale: string, namespace: string): Map<string, unknown> {
  return flatten(JSON.parse(readFileSync(path.join(root, locale, `${namespace}.json`), 'utf8')));
}

/** Keys with plural suffixes folded: 'a.b_one', 'a.b_other' -> 'a.b'. */
function baseKeys(keys: Iterable<string>): Set<string> {
  return new Set([...keys].map((key) => key.replace(PLURAL_SUFFIX, '')));
}

const namespaces = (locale: string) =>
  readdirSync(path.join(root, locale))
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .sort();

describe('translations', () => {
  it('have the same namespaces in every locale', () => {
    const english = namespaces('en');
    expect(english).toEqual(expect.arrayContaining(['common', 'errors', 'status', 'transfers']));
    for (const locale of LOCALES) expect(namespaces(locale), locale).toEqual(english);
  });

  for (const namespace of namespaces('en')) {
    it(`${namespace}: the same keys in every locale, all non-empty, plural forms complete`, () => {
      const english = load('en', namespace);
      for (const locale of LOCALES) {
        const keys = load(locale, namespace);
        expect([...baseKeys(keys.keys())].sort(), `${locale}/${namespace}`).toEqual(
          [...baseKeys(english.keys())].sort(),
        );
        for (const [key, text] of keys) {
          expect(
            typeof text === 'string' && text.trim() !== '',
            `${locale}/${namespace}: ${key}`,
          ).toBe(true);
        }
        const categories = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
        const plurals = new Set(
          [...keys.keys()]
            .filter((key) => PLURAL_SUFFIX.test(key))
            .map((key) => key.replace(PLURAL_SUFFIX, '')),
        );
        for (const base of plurals) {
          for (const category of categories) {
            expect(
              keys.has(`${base}_${category}`),
              `${locale}/${namespace}: ${base}_${category}`,
            ).toBe(true);
          }
        }
      }
    });
  }

  it('explain every contract error code with a message and a next step in every locale', () => {
    for (const locale of LOCALES) {
      const errors = load(locale, 'errors');
      for (const code of CONTRACT_ERROR_CODES) {
        for (const part of ['message', 'next']) {
          const text = errors.get(`${code}.${part}`);
          expect(typeof text === 'string' && text.length > 0, `${locale}: ${code}.${part}`).toBe(
            true,
          );
        }
      }
      // nothing but error codes in the errors namespace
      const codes = new Set<string>(CONTRACT_ERROR_CODES);
      for (const key of errors.keys()) expect(codes.has(key.split('.')[0] ?? ''), key).toBe(true);
    }
  });

  it('are really translated: no Chinese text is the English one, but for a few names', () => {
    // Texts that read the same in both languages: the product's name, a dash, language names.
    const same = new Set(['common:productName', 'common:none', 'common:language.en']);
    for (const namespace of namespaces('zh-CN')) {
      const english = load('en', namespace);
      for (const [key, text] of load('zh-CN', namespace)) {
        if (same.has(`${namespace}:${key}`)) continue;
        const translated = /\p{Script=Han}/u.test(String(text)) || text !== english.get(key);
        expect(translated, `zh-CN/${namespace}: ${key}`).toBe(true);
      }
    }
  });
});
