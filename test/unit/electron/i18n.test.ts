// The main process's translations: language choice, loading the shared locale files, and
// the tray menu in both languages with every key it can produce present.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createMainI18n,
  loadLocales,
  MAIN_LANGUAGES,
  resolveLanguage,
} from '../../../main/electron/i18n.js';
import { trayMenuModel } from '../../../main/electron/tray-model.js';
import {
  APP_STATES,
  TRANSFER_KINDS,
  TRANSFER_STATES,
  type AppStatusDto,
} from '../../../shared/contract/index.js';

const LOCALES_DIR = path.resolve('shared/i18n/locales');

describe('resolveLanguage', () => {
  it.each([
    ['en', 'zh-CN', 'en'],
    ['zh-CN', 'en-US', 'zh-CN'],
    ['system', 'zh-CN', 'zh-CN'],
    ['system', 'zh', 'zh-CN'],
    ['system', 'zh-TW', 'zh-CN'],
    ['system', 'zh_Hans_SG', 'zh-CN'],
    ['system', 'en-GB', 'en'],
    ['system', 'de', 'en'],
    ['system', 'zu', 'en'], // Zulu starts with z, not zh
    ['system', '', 'en'],
  ] as const)('%s with OS locale %s -> %s', (setting, locale, expected) => {
    expect(resolveLanguage(setting, locale)).toBe(expected);
  });
});

function status(state: AppStatusDto['state'], recent: AppStatusDto['recent']): AppStatusDto {
  return {
    state,
    paused: state === 'paused',
    offline: state === 'offline',
    counts: {
      active: 2,
      queued: 10,
      failed: state === 'error' ? 1 : 0,
      pairs: 2,
      pairsWithErrors: 0,
      pairsAwaitingConfirmation: 1,
      conflicts: 3,
    },
    uploadBytesPerSecond: 3_000_000,
    downloadBytesPerSecond: 400_000,
    recent,
  };
}

/** Every state, every kind of recent transfer with every state: all the keys the tray uses. */
function allModels(t: Parameters<typeof trayMenuModel>[1]) {
  const recent = TRANSFER_KINDS.flatMap((kind, k) =>
    TRANSFER_STATES.map((state, s) => ({
      id: k * 100 + s + 1,
      kind,
      state,
      bucket: 'b-1',
      key: `photos/${kind}-${state}.jpg`,
      finishedAt: null,
    })),
  );
  const models = [];
  // the model shows 5 recent transfers: slide the window over all of them
  for (let start = 0; start < recent.length; start += 5) {
    for (const state of APP_STATES) {
      models.push(trayMenuModel(status(state, recent.slice(start, start + 5)), t));
    }
  }
  // one error state per kind of error line
  models.push(
    trayMenuModel(
      {
        ...status('error', []),
        counts: { ...status('error', []).counts, failed: 0, pairsWithErrors: 2 },
      },
      t,
    ),
    trayMenuModel(
      { ...status('error', []), counts: { ...status('error', []).counts, failed: 0 } },
      t,
    ),
  );
  return models;
}

describe('the tray in every language', () => {
  const resources = loadLocales(LOCALES_DIR);

  it.each(MAIN_LANGUAGES)('%s: every label the tray can show is translated', (language) => {
    const i18n = createMainI18n(resources, language);
    const missing = new Set<string>();
    const t: typeof i18n.tray = (key, vars) => {
      const text = i18n.tray(key, vars);
      if (text === key || text.includes('{{') || /^(tray|transferState|status)\./.test(text)) {
        missing.add(key);
      }
      return text;
    };
    allModels(t);
    expect([...missing]).toEqual([]);
  });

  it('English: the status line reads like a sentence, with plurals', () => {
    const i18n = createMainI18n(resources, 'en');
    expect(i18n.tray('tray.status.syncing', { count: 12, speed: '3.4 MB/s' })).toBe(
      'Syncing 12 files, 3.4 MB/s',
    );
    expect(i18n.tray('tray.status.syncing', { count: 1, speed: '1 kB/s' })).toBe(
      'Syncing 1 file, 1 kB/s',
    );
    const model = trayMenuModel(status('syncing', []), i18n.tray);
    expect(model.tooltip).toBe('Syncing 12 files, 3.4 MB/s');
    expect(model.items.map((item) => (item.type === 'normal' ? item.label : '-'))).toContain(
      'Quit OSSync',
    );
  });

  it('Chinese: real Chinese text, and names are not HTML-escaped', () => {
    const i18n = createMainI18n(resources, 'zh-CN');
    expect(i18n.tray('tray.status.syncing', { count: 12, speed: '3.4 MB/s' })).toBe(
      '正在同步 12 个文件，3.4 MB/s',
    );
    expect(i18n.tray('tray.quit')).toBe('退出 OSSync');
    expect(
      i18n.tray('tray.recent.upload', {
        name: 'a&b<c>.txt',
        state: i18n.tray('transfers.state.done'),
      }),
    ).toBe('↑ a&b<c>.txt（已完成）');
  });

  it('switches language at run time', () => {
    const i18n = createMainI18n(resources, 'en');
    expect(i18n.tray('tray.openWindow')).toBe('Open OSSync');
    i18n.setLanguage('zh-CN');
    expect(i18n.language).toBe('zh-CN');
    expect(i18n.tray('tray.openWindow')).toBe('打开 OSSync');
  });

  it('both languages have the same tray keys (plural forms aside)', () => {
    const keys = (value: unknown, prefix = ''): string[] =>
      typeof value === 'object' && value !== null
        ? Object.entries(value).flatMap(([k, v]) => keys(v, `${prefix}${k}.`))
        : [prefix.slice(0, -1).replace(/_(zero|one|two|few|many|other)$/, '')];
    const en = new Set(keys(resources.en?.tray));
    const zh = new Set(keys(resources['zh-CN']?.tray));
    expect(en.size).toBeGreaterThan(20);
    expect([...zh].sort()).toEqual([...en].sort());
  });

  it('an unknown key shows as the key, in any namespace', () => {
    const i18n = createMainI18n(resources, 'zh-CN');
    expect(i18n.t('notifications', 'no.such.key')).toBe('no.such.key');
    expect(i18n.has('notifications', 'no.such.key')).toBe(false);
    expect(i18n.tray('other.key')).toBe('other.key');
  });
});

describe('loadLocales', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ossync-locales-'));
    await mkdir(path.join(dir, 'en'));
    await mkdir(path.join(dir, 'zh-CN'));
    await writeFile(path.join(dir, 'en', 'tray.json'), '{"quit":"Quit"}');
    await writeFile(path.join(dir, 'en', 'notifications.json'), '{"broken":');
    await writeFile(path.join(dir, 'zh-CN', 'tray.json'), '["not an object"]');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads what is there, skips missing files quietly and reports broken ones', () => {
    const onError = vi.fn();
    const resources = loadLocales(dir, { onError });
    expect(resources).toEqual({ en: { tray: { quit: 'Quit' } }, 'zh-CN': {} });
    expect(onError.mock.calls.map(([file]) => path.relative(dir, file as string)).sort()).toEqual(
      [path.join('en', 'notifications.json'), path.join('zh-CN', 'tray.json')].sort(),
    );
  });

  it('falls back to English for a key the language lacks', () => {
    const i18n = createMainI18n(loadLocales(dir), 'zh-CN');
    expect(i18n.t('tray', 'quit')).toBe('Quit');
  });
});
