/**
 * Every notification the service sends names keys that exist in both locales, with every
 * interpolation they use among its values, and passes the contract's schema; failures in
 * one window make one notification with their count.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNotifier } from '../../../../main/core/service/notifications.js';
import { parseEvent, type NotificationDto } from '../../../../shared/contract/index.js';

const LOCALES = ['en', 'zh-CN'];

function load(locale: string): Record<string, unknown> {
  const file = path.join(
    import.meta.dirname,
    '../../../../shared/i18n/locales',
    locale,
    'notifications.json',
  );
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function lookup(tree: Record<string, unknown>, key: string): unknown {
  let node: unknown = tree;
  for (const part of key.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  return node;
}

function collect(): { sent: NotificationDto[]; notifier: ReturnType<typeof createNotifier> } {
  const sent: NotificationDto[] = [];
  const notifier = createNotifier(
    {
      now: () => 1_700_000_000_000,
      emit: (name, payload) => {
        const parsed = parseEvent(name, payload);
        expect(parsed.ok, JSON.stringify(payload)).toBe(true);
        sent.push(payload as NotificationDto);
      },
    },
    { failedWindowMs: 20 },
  );
  return { sent, notifier };
}

describe('notifications', () => {
  it('use keys both locales have, with the values their texts interpolate', async () => {
    const { sent, notifier } = collect();
    notifier.transferFailed(7, '/home/me/a.txt');
    notifier.flush();
    notifier.transferFailed(8, 'photos/b.jpg');
    notifier.transferFailed(9, 'photos/c.jpg');
    notifier.flush();
    notifier.deletesHeld(3, '/home/me/Docs', 1);
    notifier.deletesHeld(3, '/home/me/Docs', 40);
    notifier.conflicts(3, '/home/me/Docs', ['x/report.docx']);
    notifier.conflicts(3, '/home/me/Docs', ['a', 'b']);
    notifier.conflicts(3, '/home/me/Docs', []);
    notifier.connectivity(1, 'online', 'Acme'); // not offline before: nothing
    notifier.connectivity(1, 'offline', 'Acme');
    notifier.connectivity(1, 'offline', 'Acme'); // already offline: nothing
    notifier.connectivity(1, 'online', 'Acme');
    expect(sent.map((n) => `${n.kind}:${n.titleKey}`)).toEqual([
      'transfer-failed:transferFailed.one.title',
      'transfer-failed:transferFailed.many.title',
      'deletes-held:deletesHeld.one.title',
      'deletes-held:deletesHeld.many.title',
      'conflict:conflict.one.title',
      'conflict:conflict.many.title',
      'offline:offline.title',
      'online:online.title',
    ]);
    expect(sent[0]).toMatchObject({ jobId: 7, level: 'error' });
    expect(sent[0]?.values).toContainEqual({ name: 'name', value: 'a.txt' });
    expect(sent[1]?.values).toEqual([
      { name: 'count', value: '2' },
      { name: 'name', value: 'b.jpg' },
      { name: 'more', value: '1' },
    ]);
    expect(new Set(sent.map((n) => n.id)).size).toBe(sent.length);

    for (const locale of LOCALES) {
      const tree = load(locale);
      for (const notification of sent) {
        const names = new Set(notification.values.map((value) => value.name));
        for (const key of [notification.titleKey, notification.bodyKey]) {
          const text = lookup(tree, key);
          expect(typeof text, `${locale}: ${key}`).toBe('string');
          for (const [, name] of (text as string).matchAll(/\{\{(\w+)\}\}/g))
            expect(names.has(name!), `${locale}: ${key} uses {{${name}}}`).toBe(true);
        }
      }
    }
    notifier.close();
  });

  it('gathers the failures of one window into one notification', async () => {
    const { sent, notifier } = collect();
    for (let i = 1; i <= 50; i++) notifier.transferFailed(i, `f/${i}.bin`);
    expect(sent).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.values).toContainEqual({ name: 'count', value: '50' });
    notifier.transferFailed(51, 'f/51.bin');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatchObject({ jobId: 51, titleKey: 'transferFailed.one.title' });
    notifier.close();
  });
});
