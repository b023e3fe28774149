/**
 * The transfers.* methods: one account's queue at a time (the account in use unless the
 * params name one), the global pause and the engine limits shared by every account.
 */
import {
  ContractError,
  type Params,
  type Result,
  type TransferLimits,
} from '../../../shared/contract/index.js';
import type { Job } from '../db/job-types.js';
import type { TransferRuntime } from '../runtime.js';
import { DEFAULT_LIMITS } from '../transfer/engine.js';
import { limitsToDto, limitsToEngine } from './config.js';
import type { Handlers, ServiceContext } from './context.js';
import { toTransferDto } from './dto.js';

const SETTING_LIMITS = 'transfers.limits';
export const SETTING_PAUSED = 'transfers.pausedAll';

const DEFAULT_PAGE = 100;

/** A page of jobs in the given states, newest first; the cursor is the last id shown. */
function listTransfers(
  runtime: TransferRuntime,
  accountId: number,
  params: Params<'transfers.list'>,
): Result<'transfers.list'> {
  const where = [`state IN (${params.states.map(() => '?').join(', ')})`];
  const args: unknown[] = [...params.states];
  if (params.pairId !== undefined) {
    where.push('pair_id = ?');
    args.push(params.pairId);
  }
  if (params.batch !== undefined) {
    where.push('batch = ?');
    args.push(params.batch);
  }
  const total = (
    runtime.db
      .prepare(`SELECT COUNT(*) AS n FROM jobs WHERE ${where.join(' AND ')}`)
      .get(...args) as {
      n: number;
    }
  ).n;
  if (params.cursor !== undefined) {
    const after = Number(params.cursor);
    if (!Number.isSafeInteger(after) || after < 1 || !/^[0-9]+$/.test(params.cursor))
      throw new ContractError('invalid-payload', 'params.cursor: not a cursor', {
        subject: 'params.cursor',
      });
    where.push('id < ?');
    args.push(after);
  }
  const size = params.pageSize ?? DEFAULT_PAGE;
  const ids = runtime.db
    .prepare(`SELECT id FROM jobs WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`)
    .all(...args, size + 1) as { id: number }[];
  const items = ids
    .slice(0, size)
    .map((row) => runtime.store.get(row.id))
    .filter((job): job is Job => job !== undefined)
    .map((job) => toTransferDto(job, accountId));
  const last = items.at(-1);
  return {
    items,
    nextCursor: ids.length > size && last !== undefined ? String(last.id) : null,
    total,
  };
}

export function createTransfers(ctx: ServiceContext) {
  const { settings } = ctx;

  function limits(): TransferLimits {
    const stored = settings.get(SETTING_LIMITS) as Partial<TransferLimits> | undefined;
    return { ...limitsToDto(DEFAULT_LIMITS), ...(stored ?? {}) };
  }

  async function applyLimits(changes: Partial<TransferLimits>): Promise<TransferLimits> {
    const next = { ...limits(), ...changes };
    if (next.maxPartsPerFile > next.maxParts)
      throw new ContractError(
        'invalid-argument',
        'Parts per file cannot exceed parts in flight overall.',
        { subject: 'params.maxPartsPerFile' },
      );
    settings.set(SETTING_LIMITS, next);
    for (const runtime of (await ctx.startedRuntimes()).values())
      runtime.engine.setLimits(limitsToEngine(next));
    return next;
  }

  /** The named account's runtime, or the one in use; undefined without accounts. */
  async function queueOf(
    accountId: number | undefined,
  ): Promise<{ accountId: number; runtime: TransferRuntime } | undefined> {
    if (accountId !== undefined)
      return { accountId, runtime: await ctx.runtimeFor(accountId, 'params.accountId') };
    const row = ctx.activeAccount();
    const runtime = await ctx.activeRuntime();
    return row === undefined || runtime === undefined ? undefined : { accountId: row.id, runtime };
  }

  async function eachJob(
    { ids, accountId }: { ids: readonly number[]; accountId?: number | undefined },
    action: (runtime: TransferRuntime, id: number, job: Job) => Promise<boolean> | boolean,
  ) {
    const queue = await queueOf(accountId);
    let changed = 0;
    if (queue !== undefined)
      for (const id of ids) {
        const job = queue.runtime.store.get(id);
        if (job === undefined) continue;
        if (await action(queue.runtime, id, job)) changed += 1;
      }
    return { changed };
  }

  async function setPausedAll(paused: boolean): Promise<void> {
    settings.set(SETTING_PAUSED, paused);
    for (const runtime of (await ctx.startedRuntimes()).values()) {
      if (paused) runtime.engine.pauseAll();
      else runtime.engine.resumeAll();
    }
    ctx.emit('app.statusChanged', await ctx.status());
  }

  const handlers: Handlers<'transfers.'> = {
    'transfers.list': async (params) => {
      const queue = await queueOf(params.accountId);
      if (queue === undefined) return { items: [], nextCursor: null, total: 0 };
      return listTransfers(queue.runtime, queue.accountId, params);
    },

    'transfers.pause': async (params) =>
      eachJob(params, (runtime, id, job) => {
        runtime.engine.pause(id);
        return ['queued', 'running', 'waiting-retry'].includes(job.state);
      }),

    'transfers.resume': async (params) =>
      eachJob(params, (runtime, id, job) => {
        if (job.state !== 'paused') return false;
        runtime.engine.resume(id);
        return true;
      }),

    'transfers.retry': async (params) =>
      eachJob(params, (runtime, id) => runtime.engine.retryJob(id)),

    'transfers.cancel': async (params) =>
      eachJob(params, async (runtime, id, job) => {
        if (['done', 'cancelled'].includes(job.state)) return false;
        await runtime.engine.cancel(id);
        return true;
      }),

    'transfers.clearFinished': async ({ accountId, states }) => {
      const queue = await queueOf(accountId);
      if (queue === undefined) return { removed: 0 };
      const chosen = states ?? ['done', 'failed', 'cancelled'];
      const removed = queue.runtime.db
        .prepare(`DELETE FROM jobs WHERE state IN (${chosen.map(() => '?').join(', ')})`)
        .run(...chosen).changes;
      if (removed > 0) ctx.emit('transfers.listChanged', { added: 0, removed });
      return { removed };
    },

    'transfers.pauseAll': async () => {
      await setPausedAll(true);
      return {};
    },

    'transfers.resumeAll': async () => {
      await setPausedAll(false);
      return {};
    },

    'transfers.getLimits': async () => limits(),

    'transfers.setLimits': async (params) => applyLimits(params),
  };

  return { handlers, limits, applyLimits };
}
