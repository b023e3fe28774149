// The tray menu built from a status, per state, with a t() that echoes keys and values:
// the model holds i18n keys only, so every label is a key here.
import { describe, expect, it } from 'vitest';
import {
  displayName,
  formatRate,
  trayIconName,
  trayMenuModel,
  type Translate,
} from '../../../main/electron/tray-model.js';
import { APP_STATES, type AppStatusDto } from '../../../shared/contract/index.js';

const t: Translate = (key, vars) => (vars ? `${key}${JSON.stringify(vars)}` : key);

function status(change: Partial<AppStatusDto> = {}, counts: Partial<AppStatusDto['counts']> = {}) {
  return {
    state: 'idle',
    paused: false,
    offline: false,
    counts: {
      active: 0,
      queued: 0,
      failed: 0,
      pairs: 2,
      pairsWithErrors: 0,
      pairsAwaitingConfirmation: 0,
      conflicts: 0,
      ...counts,
    },
    uploadBytesPerSecond: 0,
    downloadBytesPerSecond: 0,
    recent: [],
    ...change,
  } satisfies AppStatusDto;
}

const ids = (model: ReturnType<typeof trayMenuModel>) => model.items.map((item) => item.id);

describe('trayIconName', () => {
  it('names one icon per state', () => {
    expect(APP_STATES.map(trayIconName)).toEqual([
      'tray-idle',
      'tray-syncing',
      'tray-paused',
      'tray-offline',
      'tray-error',
    ]);
  });
});

describe('trayMenuModel', () => {
  it('idle: status line, open, pause all, quit', () => {
    const model = trayMenuModel(status(), t);
    expect(model).toEqual({
      icon: 'tray-idle',
      tooltip: 'tray.status.idle',
      items: [
        { type: 'normal', id: 'status', label: 'tray.status.idle', enabled: false },
        { type: 'separator', id: 'separator-status' },
        {
          type: 'normal',
          id: 'open-window',
          label: 'tray.openWindow',
          enabled: true,
          action: 'open-window',
        },
        {
          type: 'normal',
          id: 'pause-all',
          label: 'tray.pauseAll',
          enabled: true,
          action: 'pause-all',
        },
        { type: 'separator', id: 'separator-quit' },
        { type: 'normal', id: 'quit', label: 'tray.quit', enabled: true, action: 'quit' },
      ],
    });
  });

  it('syncing: files left and the combined speed', () => {
    const model = trayMenuModel(
      status(
        { state: 'syncing', uploadBytesPerSecond: 3_000_000, downloadBytesPerSecond: 400_000 },
        { active: 4, queued: 8 },
      ),
      t,
    );
    expect(model.icon).toBe('tray-syncing');
    expect(model.items[0]).toEqual({
      type: 'normal',
      id: 'status',
      label: 'tray.status.syncing{"count":12,"speed":"3.4 MB/s"}',
      enabled: false,
    });
    expect(model.tooltip).toBe(model.items[0]!.type === 'normal' ? model.items[0]!.label : '');
  });

  it('paused: resume all instead of pause all', () => {
    const model = trayMenuModel(status({ state: 'paused', paused: true }, { queued: 3 }), t);
    expect(model.icon).toBe('tray-paused');
    expect(model.tooltip).toBe('tray.status.paused{"count":3}');
    expect(ids(model)).toContain('resume-all');
    expect(ids(model)).not.toContain('pause-all');
    expect(model.items.find((item) => item.id === 'resume-all')).toMatchObject({
      label: 'tray.resumeAll',
      enabled: true,
      action: 'resume-all',
    });
  });

  it('paused flag wins over another state (paused while offline)', () => {
    const model = trayMenuModel(status({ state: 'offline', offline: true, paused: true }), t);
    expect(model.icon).toBe('tray-offline');
    expect(model.tooltip).toBe('tray.status.offline{"count":0}');
    expect(ids(model)).toContain('resume-all');
  });

  it.each<[Partial<AppStatusDto['counts']>, string]>([
    [{ failed: 2, pairsWithErrors: 1 }, 'tray.status.errorTransfers{"count":2}'],
    [{ pairsWithErrors: 1 }, 'tray.status.errorPairs{"count":1}'],
    [{}, 'tray.status.error'],
  ])('error %j: %s', (counts, line) => {
    const model = trayMenuModel(status({ state: 'error' }, counts), t);
    expect(model.icon).toBe('tray-error');
    expect(model.tooltip).toBe(line);
  });

  it('lists up to five recent transfers by file name, each showing its job', () => {
    const recent = Array.from({ length: 7 }, (_, i) => ({
      id: i + 1,
      kind: i % 2 === 0 ? ('upload' as const) : ('download' as const),
      state: 'done' as const,
      bucket: 'photos',
      key: `2024/trip/img-${i + 1}.jpg`,
      finishedAt: 1_700_000_000_000 + i,
    }));
    const model = trayMenuModel(status({ recent }), t);
    const transfers = model.items.filter((item) => item.id.startsWith('transfer:'));
    expect(transfers).toHaveLength(5);
    expect(transfers[0]).toEqual({
      type: 'normal',
      id: 'transfer:1',
      label: 'tray.recent.upload{"name":"img-1.jpg","state":"transfers.state.done"}',
      enabled: true,
      action: 'show-transfer',
      transferId: 1,
    });
    const second = transfers[1];
    expect(second?.type === 'normal' ? second.label : '').toMatch(/^tray\.recent\.download/);
    expect(ids(model)).toEqual([
      'status',
      'separator-status',
      'open-window',
      'pause-all',
      'separator-recent',
      'recent-header',
      'transfer:1',
      'transfer:2',
      'transfer:3',
      'transfer:4',
      'transfer:5',
      'separator-quit',
      'quit',
    ]);
  });

  it('offers what waits for the user: held deletes and conflicts', () => {
    const model = trayMenuModel(status({}, { pairsAwaitingConfirmation: 1, conflicts: 3 }), t);
    expect(model.items.slice(1, 3)).toEqual([
      {
        type: 'normal',
        id: 'deletes-held',
        label: 'tray.deletesHeld{"count":1}',
        enabled: true,
        action: 'open-window',
      },
      {
        type: 'normal',
        id: 'conflicts',
        label: 'tray.conflicts{"count":3}',
        enabled: true,
        action: 'open-window',
      },
    ]);
  });

  it.each(APP_STATES)('%s: every label is an i18n key, ids are unique', (state) => {
    const model = trayMenuModel(
      status(
        {
          state,
          recent: [
            { id: 9, kind: 'delete', state: 'failed', bucket: 'b-1', key: 'a/', finishedAt: null },
          ],
        },
        { failed: 1, conflicts: 1, pairsAwaitingConfirmation: 1 },
      ),
      t,
    );
    for (const item of model.items) {
      if (item.type === 'normal') expect(item.label).toMatch(/^tray\.[a-zA-Z.]+(\{.*\})?$/);
    }
    expect(new Set(ids(model)).size).toBe(model.items.length);
    expect(ids(model).at(-1)).toBe('quit');
  });
});

describe('helpers', () => {
  it.each([
    [0, '0 B/s'],
    [999, '999 B/s'],
    [1500, '1.5 kB/s'],
    [3_400_000, '3.4 MB/s'],
    [123_456_789, '123 MB/s'],
    [5e12, '5000 GB/s'],
  ])('formatRate(%d) = %s', (bytes, shown) => {
    expect(formatRate(bytes)).toBe(shown);
  });

  it.each([
    ['photos/2024/a.jpg', 'a.jpg'],
    ['folder/', 'folder'],
    ['top.txt', 'top.txt'],
    [`${'x'.repeat(60)}.txt`, `${'x'.repeat(23)}…${'x'.repeat(19)}.txt`],
  ])('displayName(%j) = %j', (key, name) => {
    expect(displayName(key)).toBe(name);
  });
});
