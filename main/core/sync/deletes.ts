import { randomBytes } from 'node:crypto';
import type { NewJob } from '../db/job-types.js';
import type { SyncStore } from '../db/sync-store.js';
import type { TransferEngine } from '../transfer/engine.js';
import { trashKey } from './special-keys.js';
import type { PairConfig } from './types.js';

const PAGE = 500;

/** Whether the deletions waiting for the pair may go without asking (the delete guard). */
export function deletesAllowed(pair: PairConfig, deletes: number, synced: number): boolean {
  const { maxCount, maxFraction } = pair.deleteGuard;
  return deletes <= maxCount && deletes <= maxFraction * synced;
}

/** The job that carries out one deletion: a move into the trash, or a delete. */
export function deleteJob(
  pair: PairConfig,
  pending: { path: string; etag: string },
  batch: string,
  at: number,
): NewJob {
  const journal = { pairId: pair.id, path: pending.path, journal: 'remove' as const };
  if (pair.deleteMode === 'permanent')
    return {
      kind: 'delete',
      bucket: pair.bucket,
      key: pair.prefix + pending.path,
      batch,
      expectEtag: pending.etag,
      pair: journal,
    };
  return {
    kind: 'copy',
    bucket: pair.bucket,
    key: trashKey(pair.prefix, pending.path, at),
    sourceKey: pair.prefix + pending.path,
    batch,
    expectEtag: pending.etag,
    deleteSource: true,
    pair: journal,
  };
}

/**
 * Queues the pair's pending deletions as jobs. Returns how many. `confirmed`: the user said
 * yes, so the guard does not count them again (the batch name says so).
 */
export function queuePendingDeletes(
  sync: SyncStore,
  engine: TransferEngine,
  pair: PairConfig,
  at: number,
  confirmed: boolean,
): number {
  const batch = `sync-${pair.id}-deletes-${confirmed ? 'confirmed-' : ''}${randomBytes(3).toString('hex')}`;
  let count = 0;
  for (;;) {
    const page = sync.pendingDeletesPage(pair.id, undefined, PAGE);
    if (page.length === 0) return count;
    // Off the table first: a crash in between loses the plan (the next pass makes it again)
    // rather than carrying it out twice.
    sync.removePendingDeletes(
      pair.id,
      page.map((row) => row.path),
    );
    engine.add(page.map((row) => deleteJob(pair, row, batch, at)));
    count += page.length;
  }
}

/**
 * The user said no to the pair's pending deletions: the objects stay, and the pair stops
 * treating them as its own (their journal rows go), so no later pass plans them again.
 */
export function keepPendingDeletes(sync: SyncStore, pairId: number): number {
  let count = 0;
  for (;;) {
    const page = sync.pendingDeletesPage(pairId, undefined, PAGE);
    if (page.length === 0) return count;
    sync.forgetPendingDeletes(
      pairId,
      page.map((row) => row.path),
    );
    count += page.length;
  }
}
