/**
 * The activity log under load and the connectivity notifications, through a real service:
 * the local OSS server, the real ali-oss client, real SQLite.
 * - A burst of 2,000 finished jobs is written and announced in a few batches (events of at
 *   most 1000 entries), and the table stays bounded to its newest rows.
 * - The endpoint going away and coming back gives one `offline` and one `online`
 *   notification, and the jobs queued meanwhile finish.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivityStore } from '../../../main/core/db/activity-store.js';
import { openDatabase } from '../../../main/core/db/database.js';
import { createService, type Service } from '../../../main/core/service/service.js';
import type {
  ActivityEntryDto,
  EventName,
  NotificationDto,
} from '../../../shared/contract/index.js';
import { startLocalOss, type LocalOss } from '../../helpers/osslocal.js';
import { MemorySecretStore, localAccountParams } from '../../helpers/service.js';

const BUCKET = 'activity-log';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'ossync-activity-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function openService(
  oss: LocalOss,
  name: string,
  maxRows?: number,
  flushMs?: number,
): Promise<{ service: Service; events: { name: EventName; payload: unknown }[] }> {
  const service = createService({
    dataDir: path.join(work, name),
    secrets: new MemorySecretStore(),
    activity: {
      failedWindowMs: 200,
      ...(maxRows === undefined ? {} : { maxRows }),
      ...(flushMs === undefined ? {} : { flushMs }),
    },
  });
  const events: { name: EventName; payload: unknown }[] = [];
  service.events.on((event, payload) => events.push({ name: event, payload }));
  await service.api['accounts.add']!(localAccountParams(oss, BUCKET, `Account ${name}`));
  return { service, events };
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 30_000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('activity log', () => {
  it('writes a burst of 2,000 jobs in batches, announces them in bounded events, keeps the newest rows', async () => {
    const oss = await startLocalOss();
    const { service, events } = await openService(oss, 'burst', 1500);
    try {
      await oss.client().putBucket(BUCKET);
      await service.api['transfers.setLimits']!({ maxFiles: 16 });
      const runtime = (await service.runtime())!;
      const ids = runtime.engine.add(
        Array.from({ length: 2000 }, (_, i) => ({
          kind: 'delete' as const,
          bucket: BUCKET,
          key: `burst/${String(i).padStart(4, '0')}.bin`,
        })),
      );
      await waitFor(() => runtime.store.counts().done === ids.length, 'the burst', 120_000);
      // The last batch is announced within a flush interval.
      await waitFor(
        () =>
          events
            .filter((event) => event.name === 'activity.appended')
            .reduce(
              (sum, event) => sum + (event.payload as { entries: unknown[] }).entries.length,
              0,
            ) >= 2000,
        'the announcements',
      );
      const appended = events
        .filter((event) => event.name === 'activity.appended')
        .map((event) => (event.payload as { entries: ActivityEntryDto[] }).entries);
      const announced = appended.flat();
      expect(announced).toHaveLength(2000);
      expect(new Set(announced.map((entry) => entry.id)).size).toBe(2000);
      expect(announced.every((entry) => entry.kind === 'deleted')).toBe(true);
      for (const entries of appended) expect(entries.length).toBeLessThanOrEqual(1000);
      // One event per flush (every 250 ms), not one per job.
      expect(appended.length).toBeLessThan(200);

      // Bounded: the newest 1,500 rows stay.
      const first = await service.api['activity.list']!({ pageSize: 1000 });
      expect(first.total).toBe(1500);
      const second = await service.api['activity.list']!({
        pageSize: 1000,
        cursor: first.nextCursor!,
      });
      expect(second.nextCursor).toBeNull();
      const kept = [...first.items, ...second.items].map((entry) => entry.id);
      expect(kept).toHaveLength(1500);
      const newest = Math.max(...announced.map((entry) => entry.id));
      expect(Math.max(...kept)).toBe(newest);
      expect(Math.min(...kept)).toBe(newest - 1499);
      // kinds filter on a big table
      expect((await service.api['activity.list']!({ kinds: ['uploaded'] })).total).toBe(0);
      expect((await service.api['activity.list']!({ kinds: ['deleted'] })).total).toBe(1500);
    } finally {
      await service.close();
      await oss.close();
    }
  }, 180_000);

  it('announces a batch bigger than a page in events of at most 1000 entries', async () => {
    const oss = await startLocalOss();
    // Entries wait for a minute unless something (activity.list) asks for them.
    const { service, events } = await openService(oss, 'chunks', undefined, 60_000);
    try {
      await oss.client().putBucket(BUCKET);
      await service.api['transfers.setLimits']!({ maxFiles: 16 });
      const runtime = (await service.runtime())!;
      const ids = runtime.engine.add(
        Array.from({ length: 1500 }, (_, i) => ({
          kind: 'delete' as const,
          bucket: BUCKET,
          key: `chunks/${i}.bin`,
        })),
      );
      await waitFor(() => runtime.store.counts().done === ids.length, 'the jobs', 120_000);
      const appended = () =>
        events
          .filter((event) => event.name === 'activity.appended')
          .map((event) => (event.payload as { entries: ActivityEntryDto[] }).entries.length);
      expect(appended()).toEqual([]);
      const page = await service.api['activity.list']!({ pageSize: 10 });
      expect(page.total).toBe(1500);
      expect(appended()).toEqual([1000, 500]);
    } finally {
      await service.close();
      await oss.close();
    }
  }, 180_000);

  it('ActivityStore trims to its bound across batches and escapes LIKE patterns', () => {
    const db = openDatabase(path.join(work, 'store.db'));
    try {
      const store = new ActivityStore(db, 10);
      const entry = (key: string, at: number) => ({
        at,
        kind: 'uploaded' as const,
        accountId: 1,
        pairId: null,
        bucket: 'b-1',
        key,
        localPath: null,
        size: 1,
        error: null,
      });
      for (let batch = 0; batch < 5; batch++)
        store.append(Array.from({ length: 7 }, (_, i) => entry(`k${batch}-${i}`, batch * 10 + i)));
      expect(store.count({})).toBe(10);
      const page = store.page({}, undefined, 100);
      expect(page.map((row) => row.key)).toEqual([
        'k4-6',
        'k4-5',
        'k4-4',
        'k4-3',
        'k4-2',
        'k4-1',
        'k4-0',
        'k3-6',
        'k3-5',
        'k3-4',
      ]);
      store.append([entry('a_b%c\\d', 100), entry('axbyc', 101)]);
      expect(store.page({ search: '_b%c\\' }, undefined, 10).map((row) => row.key)).toEqual([
        'a_b%c\\d',
      ]);
      expect(store.page({ search: 'a_b' }, undefined, 10).map((row) => row.key)).toEqual([
        'a_b%c\\d',
      ]);
      // since is inclusive, until exclusive.
      expect(store.page({ since: 100 }, undefined, 10).map((row) => row.at)).toEqual([101, 100]);
      expect(store.page({ until: 101 }, undefined, 1).map((row) => row.at)).toEqual([100]);
      // Entries of the same millisecond page by id without loss or repeats.
      const ties = store.append(Array.from({ length: 5 }, (_, i) => entry(`tie${i}`, 150)));
      const seen: number[] = [];
      let after: { at: number; id: number } | undefined;
      for (;;) {
        const rows = store.page({ since: 150, until: 151 }, after, 2);
        seen.push(...rows.map((row) => row.id));
        const last = rows.at(-1);
        if (rows.length < 2 || last === undefined) break;
        after = { at: last.at, id: last.id };
      }
      expect(seen).toEqual(ties.map((row) => row.id).reverse());
      // A reopened store trims from where the table is.
      const again = new ActivityStore(db, 5);
      again.append([entry('last', 200)]);
      expect(again.count({})).toBe(5);
      expect(again.page({}, undefined, 10).map((row) => row.key)).toEqual([
        'last',
        'tie4',
        'tie3',
        'tie2',
        'tie1',
      ]);
    } finally {
      db.close();
    }
  });

  it('logs a conflict and held deletes once, also across a restart', async () => {
    const oss = await startLocalOss();
    const secrets = new MemorySecretStore();
    const dataDir = path.join(work, 'restart');
    let service = createService({ dataDir, secrets, pairRunner: { stabilityMs: 0 } });
    try {
      await oss.client().putBucket(BUCKET);
      const client = oss.client();
      client.useBucket(BUCKET);
      await client.put('r/c.txt', Buffer.from('remote'));
      const folder = await mkdtemp(path.join(work, 'restart-pair-'));
      await writeFile(path.join(folder, 'a.txt'), 'a');
      await writeFile(path.join(folder, 'c.txt'), 'local c');
      const account = await service.api['accounts.add']!(
        localAccountParams(oss, BUCKET, 'Restart'),
      );
      const { pair } = await service.api['pairs.add']!({
        accountId: account.id,
        localRoot: folder,
        bucket: BUCKET,
        prefix: 'r/',
        mode: 'mirror',
      });
      const state = async () => (await service.api['pairs.get']!({ pairId: pair.id })).state;
      await waitFor(
        async () =>
          (await service.api['pairs.get']!({ pairId: pair.id })).counters.lastSyncedAt !== null &&
          (await state()) === 'idle',
        'the first sync',
      );
      await rm(path.join(folder, 'a.txt'));
      await rm(path.join(folder, 'c.txt'));
      await service.api['pairs.syncNow']!({ pairId: pair.id });
      await waitFor(async () => (await state()) === 'waiting-for-confirmation', 'the guard');
      const logged = async (kind: 'conflict' | 'deletes-held') =>
        (await service.api['activity.list']!({ kinds: [kind] })).total;
      await waitFor(async () => (await logged('deletes-held')) === 1, 'the held deletes entry');
      expect(await logged('conflict')).toBe(1);

      await service.close();
      service = createService({ dataDir, secrets, pairRunner: { stabilityMs: 0 } });
      const events: string[] = [];
      service.events.on((name, payload) => events.push(JSON.stringify({ name, payload })));
      await service.runtime();
      await waitFor(async () => (await state()) === 'waiting-for-confirmation', 'the restart');
      // The pair's status events after the restart (coalesced) have come and gone.
      await waitFor(
        () => events.some((text) => text.includes('"pairs.statusChanged"')),
        'a status event',
      );
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await logged('deletes-held')).toBe(1);
      expect(await logged('conflict')).toBe(1);
      expect(events.some((text) => text.includes('"app.notification"'))).toBe(false);
    } finally {
      await service.close();
      await oss.close();
    }
  }, 60_000);

  it('notifies offline once when OSS goes away and online once when it is back', async () => {
    const root = await mkdtemp(path.join(work, 'oss-root-'));
    let oss = await startLocalOss({ root });
    const port = oss.server.port;
    const { service, events } = await openService(oss, 'offline');
    try {
      await oss.client().putBucket(BUCKET);
      const runtime = (await service.runtime())!;
      await oss.server.close();
      const files = await Promise.all(
        Array.from({ length: 6 }, async (_, i) => {
          const file = path.join(work, `offline-${i}.txt`);
          await writeFile(file, `file ${i}`);
          return file;
        }),
      );
      const ids = runtime.engine.add(
        files.map((file, i) => ({
          kind: 'upload' as const,
          bucket: BUCKET,
          key: `offline/${i}.txt`,
          localPath: file,
        })),
      );
      const notifications = () =>
        events
          .filter((event) => event.name === 'app.notification')
          .map((event) => event.payload as NotificationDto);
      await waitFor(
        () => notifications().some((n) => n.kind === 'offline'),
        'the offline notification',
      );
      expect(runtime.engine.connectivity).toBe('offline');
      oss = await startLocalOss({ root, port });
      await waitFor(
        () => notifications().some((n) => n.kind === 'online'),
        'the online notification',
      );
      await waitFor(() => ids.every((id) => runtime.store.get(id)?.state === 'done'), 'the jobs');
      const kinds = notifications().map((n) => n.kind);
      expect(kinds.filter((kind) => kind === 'offline')).toHaveLength(1);
      expect(kinds.filter((kind) => kind === 'online')).toHaveLength(1);
      expect(kinds).not.toContain('transfer-failed');
      const offline = notifications().find((n) => n.kind === 'offline')!;
      expect(offline).toMatchObject({
        level: 'warning',
        titleKey: 'offline.title',
        bodyKey: 'offline.body',
      });
      expect(offline.values).toEqual([{ name: 'account', value: 'Account offline' }]);
      expect(notifications().find((n) => n.kind === 'online')).toMatchObject({
        level: 'info',
        titleKey: 'online.title',
      });
      const logged = await service.api['activity.list']!({ search: 'offline/' });
      expect(logged.items.map((entry) => entry.kind)).toEqual(Array(6).fill('uploaded'));
    } finally {
      await service.close();
      await oss.close();
    }
  }, 60_000);
});
