/**
 * The activity part of the service contract suite (service-contract.test.ts runs it on both
 * transports): a real mirror pair on the local OSS server (uploads, a conflict, a trashed
 * file, held deletes) and engine jobs (a download, a failure, a delete, a move), then every
 * filter and paging of activity.list, the activity.appended events, the notifications and
 * the app status counts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import type {
  ActivityEntryDto,
  AppStatusDto,
  NotificationDto,
  PairStatusDto,
  Params,
} from '../../../shared/contract/index.js';
import { refused, type SuiteContext } from './suite-context.js';

interface Seen {
  name?: string;
  event?: string;
  payload?: unknown;
}

export function activityTests(get: () => SuiteContext): void {
  const tag = randomBytes(3).toString('hex');
  const prefix = `${tag}-act/`;
  let folder: string;
  let pairId: number;
  let started: number;
  const jobs: Record<'download' | 'missing' | 'delete' | 'move' | 'noBucket', number> = {
    download: 0,
    missing: 0,
    delete: 0,
    move: 0,
    noBucket: 0,
  };

  async function until(done: (status: PairStatusDto) => boolean): Promise<PairStatusDto> {
    let status = await get().call('pairs.get', { pairId });
    for (let i = 0; i < 400 && !done(status); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = await get().call('pairs.get', { pairId });
    }
    expect(done(status), JSON.stringify(status)).toBe(true);
    return status;
  }

  const settledIdle = (status: PairStatusDto) =>
    status.state === 'idle' &&
    status.counters.filesPending === 0 &&
    status.counters.lastSyncedAt !== null;

  /** Every entry matching `params`, walking the pages. */
  async function all(params: Params<'activity.list'>): Promise<ActivityEntryDto[]> {
    const out: ActivityEntryDto[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 1000; i++) {
      const page = await get().call('activity.list', {
        ...params,
        ...(cursor === undefined ? {} : { cursor }),
      });
      out.push(...page.items);
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    return out;
  }

  function events<T>(name: string): T[] {
    return get()
      .seen.map((text) => JSON.parse(text) as Seen)
      .filter((message) => (message.event ?? message.name) === name)
      .map((message) => message.payload as T);
  }

  async function eventually<T>(read: () => T | undefined, what: string): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const value = read();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  async function finished(id: number): Promise<string> {
    const runtime = await get().service.runtime();
    for (let i = 0; i < 400; i++) {
      const state = runtime!.store.get(id)?.state;
      if (state === 'done' || state === 'failed' || state === 'cancelled') return state;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`job ${id} did not finish`);
  }

  it('logs a pair: uploads, a conflict, a trashed file, held deletes', async () => {
    const { call, accountId, bucket, work, oss } = get();
    started = Date.now();
    const client = oss.client();
    client.useBucket(bucket);
    // An object the pair never synced, under the name of a local file: a conflict.
    await client.put(`${prefix}c.txt`, Buffer.from('the remote version'));
    folder = await mkdtemp(path.join(work, 'activity-'));
    for (const name of ['a.txt', 'b.txt', 'c.txt', 'd.txt', '50%_off.txt'])
      await writeFile(path.join(folder, name), `local ${name}`);
    pairId = (
      await call('pairs.add', { accountId, localRoot: folder, bucket, prefix, mode: 'mirror' })
    ).pair.id;
    const synced = await until(settledIdle);
    expect(synced.counters.conflicts).toBe(1);

    // One deletion of five goes through (into the trash) ...
    await rm(path.join(folder, 'd.txt'));
    await call('pairs.syncNow', { pairId });
    await until((status) => settledIdle(status) && status.counters.deletesAwaiting === 0);
    // ... all the others trip the delete guard.
    for (const name of ['a.txt', 'b.txt', 'c.txt', '50%_off.txt'])
      await rm(path.join(folder, name));
    await call('pairs.syncNow', { pairId });
    await until((status) => status.state === 'waiting-for-confirmation');

    let entries: ActivityEntryDto[] = [];
    for (let i = 0; i < 100; i++) {
      entries = await all({ pairId, accountId, since: started });
      if (entries.some((entry) => entry.kind === 'deletes-held')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const byKind = (kind: string) => entries.filter((entry) => entry.kind === kind);
    expect(
      byKind('uploaded')
        .map((entry) => entry.key)
        .sort(),
    ).toEqual(
      ['50%_off.txt', 'a.txt', 'b.txt', 'c.txt', 'd.txt'].map((name) => `${prefix}${name}`),
    );
    expect(byKind('uploaded')[0]).toMatchObject({ accountId, pairId, bucket, error: null });
    expect(byKind('uploaded').find((entry) => entry.key === `${prefix}a.txt`)).toMatchObject({
      localPath: path.join(folder, 'a.txt'),
      size: 'local a.txt'.length,
    });
    expect(byKind('conflict')).toEqual([
      expect.objectContaining({
        key: `${prefix}c.txt`,
        localPath: path.join(folder, 'c.txt'),
        pairId,
        accountId,
      }),
    ]);
    expect(byKind('trashed')).toEqual([
      expect.objectContaining({ key: `${prefix}d.txt`, localPath: path.join(folder, 'd.txt') }),
    ]);
    expect(byKind('deletes-held')).toEqual([
      expect.objectContaining({ key: prefix, localPath: folder, pairId }),
    ]);
    expect(byKind('error')).toEqual([]);

    // The app status counts the waiting pair and its conflict.
    const status = await call('app.status', {});
    expect(status.counts.pairsAwaitingConfirmation).toBe(1);
    expect(status.counts.conflicts).toBeGreaterThanOrEqual(1);
    // ... and says so when the pair's status changes those counts.
    await eventually(
      () =>
        events<AppStatusDto>('app.statusChanged').find(
          (pushed) => pushed.counts.pairsAwaitingConfirmation === 1,
        ),
      'app.statusChanged with the waiting pair',
    );

    // Notifications: the conflict and the held deletes, naming the pair.
    const conflict = await eventually(
      () =>
        events<NotificationDto>('app.notification').find(
          (n) => n.kind === 'conflict' && n.pairId === pairId,
        ),
      'the conflict notification',
    );
    expect(conflict).toMatchObject({
      level: 'warning',
      titleKey: 'conflict.one.title',
      bodyKey: 'conflict.one.body',
    });
    expect(conflict.values).toContainEqual({ name: 'name', value: 'c.txt' });
    const deletes = events<NotificationDto>('app.notification').find(
      (n) => n.kind === 'deletes-held' && n.pairId === pairId,
    );
    expect(deletes).toMatchObject({ titleKey: 'deletesHeld.many.title' });
    expect(deletes?.values).toContainEqual({ name: 'count', value: '4' });
  });

  it('logs engine jobs: a download, a failure with its code, a delete, a move', async () => {
    const { bucket, work, oss } = get();
    const runtime = (await get().service.runtime())!;
    const client = oss.client();
    client.useBucket(bucket);
    await client.put(`${prefix}loose/x.bin`, Buffer.alloc(1000, 1));
    await client.put(`${prefix}loose/y.bin`, Buffer.alloc(10, 2));
    await client.put(`${prefix}loose/z.bin`, Buffer.alloc(20, 3));
    const target = path.join(work, `${tag}-x.bin`);
    const source = path.join(work, `${tag}-up.bin`);
    await writeFile(source, 'upload me');
    const notifiedBefore = events<NotificationDto>('app.notification').filter(
      (n) => n.kind === 'transfer-failed',
    ).length;
    [jobs.download, jobs.missing, jobs.delete, jobs.move, jobs.noBucket] = runtime.engine.add([
      { kind: 'download', bucket, key: `${prefix}loose/x.bin`, localPath: target },
      {
        kind: 'download',
        bucket,
        key: `${prefix}loose/missing.bin`,
        localPath: path.join(work, `${tag}-missing.bin`),
      },
      { kind: 'delete', bucket, key: `${prefix}loose/y.bin` },
      {
        kind: 'copy',
        bucket,
        key: `${prefix}moved/z.bin`,
        sourceKey: `${prefix}loose/z.bin`,
        deleteSource: true,
      },
      {
        kind: 'upload',
        bucket: `${tag}-no-bucket`,
        key: `${prefix}loose/up.bin`,
        localPath: source,
      },
    ]) as [number, number, number, number, number];
    expect(await finished(jobs.download)).toBe('done');
    expect(await finished(jobs.missing)).toBe('failed');
    expect(await finished(jobs.delete)).toBe('done');
    expect(await finished(jobs.move)).toBe('done');
    expect(await finished(jobs.noBucket)).toBe('failed');

    const { items } = await get().call('activity.list', {
      search: `${prefix}loose/`,
      pageSize: 10,
    });
    const byKey = new Map(items.map((entry) => [`${entry.kind}:${entry.key}`, entry]));
    expect(byKey.get(`downloaded:${prefix}loose/x.bin`)).toMatchObject({
      localPath: target,
      size: 1000,
      pairId: null,
      accountId: get().accountId,
    });
    const failure = byKey.get(`error:${prefix}loose/missing.bin`);
    expect(failure?.error).toMatchObject({ code: 'no-such-key' });
    expect(failure?.error?.message).toContain('missing.bin');
    const noBucket = byKey.get(`error:${prefix}loose/up.bin`);
    expect(noBucket).toMatchObject({ bucket: `${tag}-no-bucket`, localPath: source });
    expect(noBucket?.error).toMatchObject({ code: 'no-such-bucket' });
    expect(noBucket?.error?.requestId).toMatch(/^[0-9A-F]{8,}/i);
    expect(byKey.get(`deleted:${prefix}loose/y.bin`)).toBeDefined();
    const moved = await get().call('activity.list', {
      kinds: ['moved'],
      search: `${prefix}moved/`,
    });
    expect(moved.items.map((entry) => entry.key)).toEqual([`${prefix}moved/z.bin`]);

    // The two failures make one coalesced notification with their count.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const notified = events<NotificationDto>('app.notification')
      .filter((n) => n.kind === 'transfer-failed')
      .slice(notifiedBefore);
    expect(notified).toHaveLength(1);
    expect(notified[0]).toMatchObject({ level: 'error', titleKey: 'transferFailed.many.title' });
    expect(notified[0]?.values).toContainEqual({ name: 'count', value: '2' });
    expect(notified[0]?.jobId).toBeUndefined();

    // Every entry logged was also announced.
    const appended = await eventually(() => {
      const announced = events<{ entries: ActivityEntryDto[] }>('activity.appended').flatMap(
        (payload) => payload.entries,
      );
      return announced.some((entry) => entry.key === `${prefix}moved/z.bin`)
        ? announced
        : undefined;
    }, 'activity.appended');
    for (const entry of [...items, ...moved.items])
      expect(appended.map((announced) => announced.id)).toContain(entry.id);
    for (const payload of events<{ entries: unknown[] }>('activity.appended'))
      expect(payload.entries.length).toBeLessThanOrEqual(1000);
  });

  it('filters by kinds, account, pair, time and search (LIKE characters are literal)', async () => {
    const { call, accountId } = get();
    const errors = await all({ kinds: ['error'], search: prefix });
    expect(errors.map((entry) => entry.key).sort()).toEqual([
      `${prefix}loose/missing.bin`,
      `${prefix}loose/up.bin`,
    ]);
    const two = await all({ kinds: ['trashed', 'conflict'], search: prefix });
    expect(two.map((entry) => entry.kind).sort()).toEqual(['conflict', 'trashed']);

    expect(await call('activity.list', { accountId: 9999 })).toEqual({
      items: [],
      nextCursor: null,
      total: 0,
    });
    const ours = await all({ accountId, search: prefix });
    expect(ours.length).toBeGreaterThanOrEqual(13);
    expect(ours.every((entry) => entry.accountId === accountId)).toBe(true);

    const ofPair = await all({ pairId, search: prefix });
    expect(ofPair.every((entry) => entry.pairId === pairId)).toBe(true);
    expect(ofPair.some((entry) => entry.key?.includes('loose/'))).toBe(false);
    expect(ofPair.length).toBe(8); // 5 uploaded, 1 conflict, 1 trashed, 1 deletes-held

    const now = Date.now();
    expect((await call('activity.list', { since: now + 60_000 })).items).toEqual([]);
    expect(await all({ until: started, search: prefix })).toEqual([]);
    const window = await all({ since: started, until: now + 1, search: prefix });
    expect(window.map((entry) => entry.id).sort()).toEqual(ours.map((entry) => entry.id).sort());
    expect(window.every((entry) => entry.at >= started && entry.at <= now)).toBe(true);

    // '%' and '_' match only themselves: the one file with both in its name.
    const literal = await all({ search: '0%_o' });
    expect(literal.length).toBeGreaterThanOrEqual(1);
    expect(literal.every((entry) => entry.key?.includes('50%_off.txt'))).toBe(true);
    expect(await all({ search: `${tag}%` })).toEqual([]);
    expect(await all({ search: `${tag}_act` })).toEqual([]);
    // A substring of the local path finds entries whose key does not contain it.
    const byFolder = await all({ search: path.basename(folder) });
    expect(byFolder.length).toBe(ofPair.length);
  });

  it('pages newest first with a keyset cursor, and refuses a bad one', async () => {
    const { call } = get();
    const whole = await call('activity.list', { search: prefix, pageSize: 1000 });
    expect(whole.nextCursor).toBeNull();
    expect(whole.total).toBeNull(); // with a search, the service does not count
    const paged: ActivityEntryDto[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call('activity.list', {
        search: prefix,
        pageSize: 3,
        ...(cursor === undefined ? {} : { cursor }),
      });
      expect(page.items.length).toBeLessThanOrEqual(3);
      paged.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor !== undefined);
    expect(pages).toBe(Math.ceil(whole.items.length / 3));
    expect(paged.map((entry) => entry.id)).toEqual(whole.items.map((entry) => entry.id));
    for (let i = 1; i < paged.length; i++) {
      const [a, b] = [paged[i - 1]!, paged[i]!];
      expect(a.at > b.at || (a.at === b.at && a.id > b.id)).toBe(true);
    }
    const counted = await call('activity.list', { pairId, since: started, pageSize: 2 });
    expect(counted.total).toBe(8);
    expect(counted.items).toHaveLength(2);
    await refused(call('activity.list', { cursor: 'nonsense' }), 'invalid-payload');
    await refused(call('activity.list', { kinds: [] as never }), 'invalid-payload');
  });

  it('clears the held deletes and the pair', async () => {
    const { call } = get();
    await call('pairs.rejectDeletes', { pairId });
    await call('pairs.remove', { pairId });
    const status = await call('app.status', {});
    expect(status.counts.pairsAwaitingConfirmation).toBe(0);
    // The log outlives the pair, as entries of no pair (a new pair may get its id).
    expect(await all({ pairId, search: prefix })).toEqual([]);
    const kept = await all({ search: path.basename(folder) });
    expect(kept).toHaveLength(8);
    expect(kept.every((entry) => entry.pairId === null)).toBe(true);
  });
}
