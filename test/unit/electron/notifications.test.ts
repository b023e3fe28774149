// Notification texts from the 'notifications' namespace (with the key as the fallback), and
// the gate that limits a burst.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { createMainI18n, loadLocales } from '../../../main/electron/i18n.js';
import {
  createNotificationGate,
  notificationContent,
} from '../../../main/electron/notifications.js';
import type { NotificationDto } from '../../../shared/contract/index.js';

const resources = {
  en: {
    notifications: {
      transferFailed: { title: 'Upload failed', body: '{{name}} could not be sent: {{reason}}' },
    },
  },
  'zh-CN': {
    notifications: { transferFailed: { title: '上传失败', body: '{{name}} 无法发送：{{reason}}' } },
  },
};

function notification(overrides: Partial<NotificationDto> = {}): NotificationDto {
  return {
    id: 'n-1',
    at: 1_700_000_000_000,
    kind: 'transfer-failed',
    level: 'error',
    titleKey: 'transferFailed.title',
    bodyKey: 'transferFailed.body',
    values: [
      { name: 'name', value: 'a<b>.txt' },
      { name: 'reason', value: 'access denied' },
    ],
    ...overrides,
  };
}

describe('notificationContent', () => {
  it('translates title and body with the values, unescaped', () => {
    const content = notificationContent(notification(), createMainI18n(resources, 'en'));
    expect(content).toEqual({
      title: 'Upload failed',
      body: 'a<b>.txt could not be sent: access denied',
      urgency: 'critical',
    });
  });

  it('in Chinese', () => {
    const content = notificationContent(notification(), createMainI18n(resources, 'zh-CN'));
    expect(content.title).toBe('上传失败');
    expect(content.body).toBe('a<b>.txt 无法发送：access denied');
  });

  it('accepts keys written with the namespace in front', () => {
    const content = notificationContent(
      notification({ titleKey: 'notifications.transferFailed.title', level: 'info' }),
      createMainI18n(resources, 'en'),
    );
    expect(content.title).toBe('Upload failed');
    expect(content.urgency).toBe('normal');
  });

  it('falls back to the key when nobody translated it', () => {
    const content = notificationContent(
      notification({ titleKey: 'nothing.here', bodyKey: 'notifications.nor.here' }),
      createMainI18n(resources, 'zh-CN'),
    );
    expect(content.title).toBe('nothing.here');
    expect(content.body).toBe('notifications.nor.here');
  });
});

describe('with the shipped notifications.json', () => {
  const shipped = loadLocales(path.resolve('shared/i18n/locales'));
  const failedMany = notification({
    titleKey: 'transferFailed.many.title',
    bodyKey: 'transferFailed.many.body',
    values: [
      { name: 'count', value: '3' },
      { name: 'name', value: 'a.txt' },
      { name: 'more', value: '2' },
    ],
  });

  it('renders the service keys in English and Chinese', () => {
    expect(notificationContent(failedMany, createMainI18n(shipped, 'en')).title).toBe(
      '3 transfers failed',
    );
    const zh = notificationContent(failedMany, createMainI18n(shipped, 'zh-CN'));
    expect(zh.title).toBe('3 个传输失败');
    expect(zh.body).toContain('a.txt');
    expect(zh.body).not.toContain('{{');
  });
});

describe('createNotificationGate', () => {
  it('lets max through per window, then again once the window slides', () => {
    let now = 0;
    const gate = createNotificationGate({ max: 2, windowMs: 1000, now: () => now });
    expect([gate.allow(), gate.allow(), gate.allow()]).toEqual([true, true, false]);
    now = 999;
    expect(gate.allow()).toBe(false);
    now = 1000;
    expect(gate.allow()).toBe(true);
    expect(gate.allow()).toBe(true);
    expect(gate.allow()).toBe(false);
  });
});
