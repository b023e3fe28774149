import type { JobStore } from '../db/job-store.js';
import type { SyncStore } from '../db/sync-store.js';
import type { TransferEngine } from '../transfer/engine.js';
import { deletesAllowed } from './deletes.js';
import type { PairConfig, PairState, PairStatus } from './types.js';

/**
 * A pair's state as the UI and the CLI show it: derived from the database (paused, deletions
 * held, jobs pending) and from what its runner, if one runs, is doing. Never stored.
 */

/** Deletions are planned and the guard says ask first. */
export function holdingDeletes(sync: SyncStore, pair: PairConfig): boolean {
  const count = sync.countPendingDeletes(pair.id);
  return count > 0 && !deletesAllowed(pair, count, sync.journalCount(pair.id));
}

/** A pair's status from the database and what its runner (if any) is doing. */
export function pairStatus(
  deps: { sync: SyncStore; jobs: JobStore; engine: TransferEngine },
  pair: PairConfig,
  live: {
    running: boolean;
    error: string | null;
    watchDetail: string | null;
    watching: PairStatus['watching'];
  },
): PairStatus {
  const { sync, jobs, engine } = deps;
  const pending = jobs.pairPending(pair.id);
  let state: PairState;
  if (pair.paused) state = 'paused';
  else if (!live.running && holdingDeletes(sync, pair)) state = 'waiting-for-confirmation';
  else if (live.error !== null) state = 'error';
  else if (engine.connectivity === 'offline') state = 'offline';
  else if (live.running) state = 'scanning';
  else if (pending.files > 0) state = 'syncing';
  else state = 'idle';
  return {
    pair,
    state,
    detail: live.error ?? live.watchDetail,
    watching: live.watching,
    counters: {
      filesPending: pending.files,
      bytesPending: pending.bytes,
      lastSyncedAt: sync.lastSynced(pair.id),
      errors: sync.countIssues(pair.id),
      conflicts: sync.countConflicts(pair.id),
      deletesAwaiting: sync.countPendingDeletes(pair.id),
    },
  };
}
