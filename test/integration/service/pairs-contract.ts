/**
 * The pairs.* part of the service contract suite (service-contract.test.ts runs it on both
 * transports): real folders, the local OSS server, an independent ali-oss client.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { parseEvent, type PairStatusDto } from '../../../shared/contract/index.js';
import { refused, type SuiteContext } from './suite-context.js';

export type PairsSuiteContext = SuiteContext;

export function pairsTests(get: () => PairsSuiteContext) {
  const tag = randomBytes(3).toString('hex');
  let folderA: string;
  let folderB: string;
  let pairA: number;
  let pairB: number;

  async function keys(prefix: string): Promise<string[]> {
    const { oss, bucket } = get();
    const client = oss.client();
    client.useBucket(bucket);
    const page = await client.listV2({ prefix, 'max-keys': '1000' }, {});
    return (page.objects ?? []).map((object) => object.name.slice(prefix.length)).sort();
  }

  async function until(
    pairId: number,
    done: (status: PairStatusDto) => boolean,
  ): Promise<PairStatusDto> {
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

  it('adds a pair, syncs it now, and its files reach the bucket', async () => {
    const { call, accountId, bucket, work } = get();
    folderA = await mkdtemp(path.join(work, 'pair-a-'));
    await writeFile(path.join(folderA, 'one.txt'), 'one');
    await mkdir(path.join(folderA, 'sub'));
    await writeFile(path.join(folderA, 'sub', 'two.txt'), 'two!');
    // Symlinks are not followed by default: each is a 'skipped-special' issue.
    for (const name of ['l1', 'l2', 'l3']) await symlink('one.txt', path.join(folderA, name));
    const added = await call('pairs.add', {
      accountId,
      localRoot: folderA,
      bucket,
      prefix: `${tag}-a/`,
    });
    pairA = added.pair.id;
    expect(added.pair).toMatchObject({ accountId, bucket, prefix: `${tag}-a/`, mode: 'backup' });
    await call('pairs.syncNow', { pairId: pairA });
    const status = await until(pairA, settledIdle);
    expect(status.counters).toMatchObject({ errors: 3, conflicts: 0, deletesAwaiting: 0 });
    expect(await keys(`${tag}-a/`)).toEqual(['one.txt', 'sub/two.txt']);
    const { pairs } = await call('pairs.list', {});
    expect(pairs.map((pair) => pair.pair.id)).toContain(pairA);
  });

  it('updates, pauses and resumes a pair', async () => {
    const { call } = get();
    const updated = await call('pairs.update', {
      pairId: pairA,
      changes: { mode: 'mirror', ignore: ['*.tmp'] },
    });
    expect(updated.pair).toMatchObject({ mode: 'mirror', ignore: ['*.tmp'] });
    const paused = await call('pairs.pause', { pairId: pairA });
    expect(paused).toMatchObject({ state: 'paused', pair: { paused: true } });
    const resumed = await call('pairs.resume', { pairId: pairA });
    expect(resumed.pair.paused).toBe(false);
    await until(pairA, settledIdle);
  });

  it('holds back a mirror delete: lists, rejects, refuses a stale count, confirms', async () => {
    const { call, accountId, bucket, work } = get();
    folderB = await mkdtemp(path.join(work, 'pair-b-'));
    const names = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => `${name}.txt`);
    for (const name of names) await writeFile(path.join(folderB, name), name);
    pairB = (
      await call('pairs.add', {
        accountId,
        localRoot: folderB,
        bucket,
        prefix: `${tag}-b/`,
        mode: 'mirror',
      })
    ).pair.id;
    await until(pairB, settledIdle);
    expect(await keys(`${tag}-b/`)).toEqual(names);

    for (const name of names.slice(0, 4)) await rm(path.join(folderB, name));
    await call('pairs.syncNow', { pairId: pairB });
    await until(pairB, (status) => status.state === 'waiting-for-confirmation');
    const first = await call('pairs.pendingDeletes', { pairId: pairB, pageSize: 3 });
    expect(first.total).toBe(4);
    expect(first.items).toHaveLength(3);
    expect(first.items[0]).toEqual({ path: 'a.txt', key: `${tag}-b/a.txt`, size: 5 });
    const second = await call('pairs.pendingDeletes', {
      pairId: pairB,
      pageSize: 3,
      cursor: first.nextCursor!,
    });
    expect(second).toMatchObject({ items: [{ path: 'd.txt' }], nextCursor: null });

    const kept = await call('pairs.rejectDeletes', { pairId: pairB });
    expect(kept.counters.deletesAwaiting).toBe(0);
    await call('pairs.syncNow', { pairId: pairB });
    await until(pairB, settledIdle);
    expect(await keys(`${tag}-b/`)).toEqual(names);

    for (const name of names.slice(4)) await rm(path.join(folderB, name));
    await call('pairs.syncNow', { pairId: pairB });
    const waiting = await until(pairB, (status) => status.state === 'waiting-for-confirmation');
    expect(waiting.counters.deletesAwaiting).toBe(2);
    const stale = await refused(
      call('pairs.confirmDeletes', { pairId: pairB, expectedCount: 3 }),
      'precondition-failed',
    );
    expect(stale.message).toContain('2 deletions');
    await call('pairs.confirmDeletes', { pairId: pairB, expectedCount: 2 });
    await until(pairB, settledIdle);
    const after = await keys(`${tag}-b/`);
    expect(after.filter((key) => !key.startsWith('.ossync-'))).toEqual(names.slice(0, 4));
    const trashed = after.filter((key) => key.startsWith('.ossync-trash/'));
    expect(trashed.some((key) => key.endsWith('e.txt'))).toBe(true);
    expect(trashed.some((key) => key.endsWith('f.txt'))).toBe(true);
  });

  it('pages issues and conflicts', async () => {
    const { call } = get();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call('pairs.issues', {
        pairId: pairA,
        pageSize: 1,
        ...(cursor === undefined ? {} : { cursor }),
      });
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((item) => `${item.code}:${item.path}`));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(['skipped-special:l1', 'skipped-special:l2', 'skipped-special:l3']);
    const full = await call('pairs.issues', { pairId: pairA });
    expect(full.nextCursor).toBeNull();
    expect(full.items[0]?.message).toContain('symbolic link');
    const conflicts = await call('pairs.conflicts', { pairId: pairB, pageSize: 1 });
    expect(conflicts).toEqual({ items: [], nextCursor: null, total: 0 });
    await refused(
      call('pairs.conflicts', { pairId: pairB, cursor: 'nonsense' }),
      'invalid-payload',
    );
  });

  it('refuses a relative or missing folder, naming it', async () => {
    const { call, accountId, bucket, work } = get();
    const relative = await refused(
      call('pairs.add', { accountId, localRoot: 'some/relative', bucket, prefix: `${tag}-x/` }),
      'invalid-argument',
    );
    expect(relative.message).toContain('some/relative');
    expect(relative.subject).toBe('params.localRoot');
    const missing = path.join(work, `missing-${tag}`);
    const error = await refused(
      call('pairs.add', { accountId, localRoot: missing, bucket, prefix: `${tag}-x/` }),
      'invalid-argument',
    );
    expect(error.message).toContain(missing);
    await refused(
      call('pairs.add', { accountId, localRoot: folderA, bucket, prefix: `${tag}-y/` }),
      'invalid-argument',
    );
    await refused(call('pairs.get', { pairId: 9999 }), 'not-found');
  });

  it('removes pairs without touching files or objects', async () => {
    const { call, seen } = get();
    for (const pairId of [pairA, pairB]) expect(await call('pairs.remove', { pairId })).toEqual({});
    expect((await call('pairs.list', {})).pairs).toEqual([]);
    await refused(call('pairs.get', { pairId: pairA }), 'not-found');
    expect(existsSync(path.join(folderA, 'sub', 'two.txt'))).toBe(true);
    expect(await keys(`${tag}-a/`)).toEqual(['one.txt', 'sub/two.txt']);

    const events = seen
      .map((text) => JSON.parse(text) as { event?: string; name?: string; payload?: unknown })
      .filter((message) => (message.event ?? message.name)?.startsWith('pairs.'));
    const changed = events.filter(
      (message) => (message.event ?? message.name) === 'pairs.statusChanged',
    );
    expect(changed.length).toBeGreaterThan(0);
    for (const message of changed)
      expect(parseEvent('pairs.statusChanged', message.payload).ok).toBe(true);
    const removed = events.filter((message) => (message.event ?? message.name) === 'pairs.removed');
    expect(removed.map((message) => message.payload)).toEqual([
      { pairId: pairA },
      { pairId: pairB },
    ]);
  });
}
