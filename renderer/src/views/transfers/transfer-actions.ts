/** What can be done to a transfer in each state, and bulk calls grouped per account. */
import {
  MAX_BATCH,
  type TransferDto,
  type TransferState,
} from '../../../../shared/contract/index.js';
import type { ApiClient } from '../../api/client.js';

export const TRANSFER_ACTIONS = ['pause', 'resume', 'retry', 'cancel'] as const;
export type TransferAction = (typeof TRANSFER_ACTIONS)[number];

/** The actions that make sense for a job in `state` (main skips the others anyway). */
export function actionsFor(state: TransferState): TransferAction[] {
  switch (state) {
    case 'queued':
    case 'running':
      return ['pause', 'cancel'];
    case 'waiting-retry':
      return ['pause', 'retry', 'cancel'];
    case 'paused':
      return ['resume', 'cancel'];
    case 'failed':
      return ['retry', 'cancel'];
    case 'cancelled':
      return ['retry'];
    case 'done':
      return [];
    default:
      return assertNever(state);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected transfer state: ${String(value)}`);
}

export type JobRef = Pick<TransferDto, 'accountId' | 'id'>;

/**
 * Runs `action` on the jobs, one call per account and per 1000 ids; returns how many
 * changed. A failing call rejects with its ContractError after the others were sent.
 */
export async function runBulkAction(
  api: ApiClient,
  action: TransferAction,
  jobs: readonly JobRef[],
): Promise<number> {
  const byAccount = new Map<number, number[]>();
  for (const job of jobs) {
    const ids = byAccount.get(job.accountId) ?? [];
    ids.push(job.id);
    byAccount.set(job.accountId, ids);
  }
  const calls: Promise<{ changed: number }>[] = [];
  for (const [accountId, ids] of byAccount) {
    for (let start = 0; start < ids.length; start += MAX_BATCH) {
      const batch = { accountId, ids: ids.slice(start, start + MAX_BATCH) };
      calls.push(api[`transfers.${action}`](batch));
    }
  }
  const results = await Promise.allSettled(calls);
  let changed = 0;
  for (const result of results) {
    if (result.status === 'rejected') throw result.reason;
    changed += result.value.changed;
  }
  return changed;
}

/** The last path segment of a key, for the Name column ('photos/a.jpg' -> 'a.jpg'). */
export function keyName(key: string): string {
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  const slash = trimmed.lastIndexOf('/');
  return slash === -1 ? key : key.slice(slash + 1);
}
