import type { JobStore } from '../db/job-store.js';
import type { SyncStore } from '../db/sync-store.js';
import type { TransferEngine } from '../transfer/engine.js';
import { deletesAllowed } from './deletes.js';
import type { PairConfig, PairState, PairStatus } from './types.js';

/**
 * A pair's state as the UI and the CLI show it: derived from the database (paused, deletions
 * held, jobs pending) and from what its runner, if one runs, is doing. Never stored.
 */

/**
 * The guard judges the deletions of a window, not of one pass: a big delete whose watcher
 * events arrive in several batches is one delete.
 */
const GUARD_WINDOW_MS = 10 * 60_000;

/** Deletions are planned and the guard says ask first. */
export function holdingDeletes(
  sync: SyncStore,
  jobs: JobStore,
  pair: PairConfig,
  now: number,
): boolean {
  const count = sync.countPendingDeletes(pair.id);
  if (count === 0) return false;
  const recent = jobs.pairRecentRemovals(pair.id, now - GUARD_WINDOW_MS);
  return !deletesAllowed(pair, count + recent.queued, sync.journalCount(pair.id) + recent.done);
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
  else if (!live.running && holdingDeletes(sync, jobs, pair, Date.now()))
    state = 'waiting-for-confirmation';
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
