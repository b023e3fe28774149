/**
 * The pairs.* methods and events: one SyncManager per account runtime (watching by default),
 * its PairConfig / PairStatus mapped to the contract's DTOs with the account's id added.
 *
 * Limitation: a pair belongs to the account in use (the service's current rule, the first
 * account), and pair ids are per account database, so `pairId` names a pair of that account.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  ContractError,
  SYNC_ISSUE_CODES,
  type EventName,
  type EventPayload,
  type MethodName,
  type PairStatusDto,
  type Params,
  type Result,
} from '../../../shared/contract/index.js';
import { isCoreError } from '../errors.js';
import type { TransferRuntime } from '../runtime.js';
import { redact } from '../secrets/secret-registry.js';
import type { RunnerOptions } from '../sync/pair-runner.js';
import { WHOLE_PAIR } from '../sync/scope.js';
import { SyncManager } from '../sync/sync-manager.js';
import type { PairStatus } from '../sync/types.js';

type Handler<M extends MethodName> = (params: Params<M>) => Promise<Result<M>>;
export type PairHandlers = { [M in MethodName & `pairs.${string}`]: Handler<M> };

export interface PairsContext {
  dataDir: (accountId: number) => string;
  runnerOptions: Partial<RunnerOptions>;
  /** The account in use and its runtime (undefined without accounts). */
  active(): Promise<{ accountId: number; runtime: TransferRuntime } | undefined>;
  emit<E extends EventName>(name: E, payload: EventPayload<E>): void;
}

const DEFAULT_PAGE = 100;
const MAX_CURSOR = 1024;
const MAX_REMEMBERED = 1000;

/**
 * The last status of each pair of each started runtime (from its SyncManager's status
 * events), so the app status can count pairs with errors, awaiting confirmation and
 * conflicts without asking the database on every job event.
 */
const LAST_STATUSES = new WeakMap<TransferRuntime, Map<number, PairStatus>>();

/** The last known status of every pair of `runtime` (none before its pairs started). */
export function lastPairStatuses(runtime: TransferRuntime): PairStatus[] {
  return [...(LAST_STATUSES.get(runtime)?.values() ?? [])];
}

export function toPairStatusDto(status: PairStatus, accountId: number): PairStatusDto {
  const { pair, counters } = status;
  return {
    pair: {
      id: pair.id,
      accountId,
      localRoot: pair.localRoot,
      bucket: pair.bucket,
      prefix: pair.prefix,
      mode: pair.mode,
      deleteMode: pair.deleteMode,
      ignore: [...pair.ignore],
      followSymlinks: pair.followSymlinks,
      trashRetentionDays: pair.trashRetentionDays,
      deleteGuard: { ...pair.deleteGuard },
      paused: pair.paused,
      createdAt: pair.createdAt,
    },
    state: status.state,
    detail: status.detail === null ? null : redact(status.detail).slice(0, 2000),
    watching: status.watching,
    counters: {
      filesPending: counters.filesPending,
      bytesPending: counters.bytesPending,
      lastSyncedAt: counters.lastSyncedAt,
      errors: counters.errors,
      conflicts: counters.conflicts,
      deletesAwaiting: counters.deletesAwaiting,
    },
  };
}

/**
 * Cursors: the keyset value itself when it fits the contract's 1024 characters, otherwise a
 * random token remembered in memory (the last 1000; an old or unknown one is refused).
 */
class Cursors {
  private readonly remembered = new Map<string, string>();

  encode(value: string): string {
    if (value.length + 2 <= MAX_CURSOR) return `v:${value}`;
    const token = `m:${randomBytes(16).toString('hex')}`;
    this.remembered.set(token, value);
    if (this.remembered.size > MAX_REMEMBERED) {
      const oldest = this.remembered.keys().next().value;
      if (oldest !== undefined) this.remembered.delete(oldest);
    }
    return token;
  }

  decode(cursor: string | undefined): string | undefined {
    if (cursor === undefined) return undefined;
    const value = cursor.startsWith('v:') ? cursor.slice(2) : this.remembered.get(cursor);
    if (value === undefined || value === '') throw badCursor();
    return value;
  }
}

function badCursor(): ContractError {
  return new ContractError('invalid-payload', 'params.cursor: not a cursor (or expired)', {
    subject: 'params.cursor',
  });
}

/** A core refusal of a pair's settings, with its message (it names the user's own path). */
function invalidPair(error: unknown, subject: string): unknown {
  if (!isCoreError(error) || error.code !== 'invalid-argument') return error;
  return new ContractError('invalid-argument', redact(error.message).slice(0, 2000), { subject });
}

function checkFolder(given: string): void {
  const subject = 'params.localRoot';
  if (!path.isAbsolute(given))
    throw new ContractError(
      'invalid-argument',
      `${given}: give the folder as an absolute path.`.slice(0, 2000),
      { subject },
    );
  if (!existsSync(given))
    throw new ContractError('invalid-argument', `${given} does not exist.`.slice(0, 2000), {
      subject,
    });
  if (!statSync(given).isDirectory())
    throw new ContractError('invalid-argument', `${given} is not a folder.`.slice(0, 2000), {
      subject,
    });
}

export function createPairs(context: PairsContext) {
  const managers = new Map<TransferRuntime, SyncManager>();
  const cursors = new Cursors();

  /** Starts the account's SyncManager with its runtime (all its pairs run). */
  async function attach(accountId: number, runtime: TransferRuntime): Promise<void> {
    const manager = new SyncManager(
      {
        sync: runtime.sync,
        jobs: runtime.store,
        engine: runtime.engine,
        remote: runtime.remote,
        crc: runtime.crc,
        dataDir: context.dataDir(accountId),
      },
      { watch: true, ...context.runnerOptions },
    );
    const last = new Map<number, PairStatus>();
    LAST_STATUSES.set(runtime, last);
    manager.on('status', (status) => {
      if (runtime.sync.getPair(status.pair.id) === undefined) last.delete(status.pair.id);
      else last.set(status.pair.id, status);
      context.emit('pairs.statusChanged', toPairStatusDto(status, accountId));
    });
    managers.set(runtime, manager);
    await manager.start();
    for (const status of manager.statuses()) last.set(status.pair.id, status);
  }

  /** Stops the runtime's SyncManager (before the runtime closes). */
  async function detach(runtime: TransferRuntime): Promise<void> {
    const manager = managers.get(runtime);
    managers.delete(runtime);
    LAST_STATUSES.delete(runtime);
    await manager?.stop();
  }

  async function current() {
    const active = await context.active();
    const manager = active && managers.get(active.runtime);
    if (active === undefined || manager === undefined)
      throw new ContractError('not-found', 'There is no account in use, so no folder pairs.', {
        subject: 'params.pairId',
      });
    return { ...active, manager };
  }

  /** The account in use, its manager, and the pair (not-found naming the id otherwise). */
  async function withPair(pairId: number) {
    const active = await current();
    if (active.runtime.sync.getPair(pairId) === undefined)
      throw new ContractError('not-found', `There is no folder pair ${pairId}.`, {
        subject: 'params.pairId',
      });
    return active;
  }

  function statusDto(active: Awaited<ReturnType<typeof current>>, pairId: number) {
    const status =
      active.manager.runner(pairId)?.status() ??
      active.manager.statuses().find((candidate) => candidate.pair.id === pairId);
    if (status === undefined)
      throw new ContractError('not-found', `There is no folder pair ${pairId}.`, {
        subject: 'params.pairId',
      });
    LAST_STATUSES.get(active.runtime)?.set(pairId, status);
    return toPairStatusDto(status, active.accountId);
  }

  function announce(active: Awaited<ReturnType<typeof current>>, pairId: number) {
    const dto = statusDto(active, pairId);
    context.emit('pairs.statusChanged', dto);
    return dto;
  }

  const pageSize = (size: number | undefined) => size ?? DEFAULT_PAGE;

  const handlers: PairHandlers = {
    'pairs.list': async () => {
      const active = await context.active();
      const manager = active && managers.get(active.runtime);
      if (active === undefined || manager === undefined) return { pairs: [] };
      return {
        pairs: manager
          .statuses()
          .slice(0, 1000)
          .map((status) => toPairStatusDto(status, active.accountId)),
      };
    },

    'pairs.get': async ({ pairId }) => statusDto(await withPair(pairId), pairId),

    'pairs.add': async ({ accountId, ...input }) => {
      const active = await current();
      if (accountId !== active.accountId)
        throw new ContractError(
          'invalid-argument',
          `Folder pairs can only be added to the account in use (${active.accountId}).`,
          { subject: 'params.accountId' },
        );
      checkFolder(input.localRoot);
      let pairId: number;
      try {
        pairId = active.manager.addPair(input).id;
      } catch (error) {
        throw invalidPair(error, 'params.localRoot');
      }
      await active.manager.start([pairId]);
      return announce(active, pairId);
    },

    'pairs.update': async ({ pairId, changes }) => {
      const active = await withPair(pairId);
      try {
        // A running pair restarts: its watcher and a fresh full pass take the new rules.
        await active.manager.updatePair(pairId, changes);
      } catch (error) {
        throw invalidPair(error, 'params.changes');
      }
      return announce(active, pairId);
    },

    'pairs.remove': async ({ pairId }) => {
      const active = await withPair(pairId);
      await active.manager.removePair(pairId);
      LAST_STATUSES.get(active.runtime)?.delete(pairId);
      context.emit('pairs.removed', { pairId });
      return {};
    },

    'pairs.pause': async ({ pairId }) => {
      const active = await withPair(pairId);
      active.manager.pause(pairId);
      return announce(active, pairId);
    },

    'pairs.resume': async ({ pairId }) => {
      const active = await withPair(pairId);
      active.manager.resume(pairId);
      return announce(active, pairId);
    },

    'pairs.syncNow': async ({ pairId }) => {
      const active = await withPair(pairId);
      const runner = active.manager.runner(pairId);
      if (runner === undefined) await active.manager.start([pairId]);
      else runner.requestPass(WHOLE_PAIR, true);
      return announce(active, pairId);
    },

    'pairs.pendingDeletes': async ({ pairId, cursor, pageSize: size }) => {
      const { runtime } = await withPair(pairId);
      const limit = pageSize(size);
      const rows = runtime.sync.pendingDeletesPage(pairId, cursors.decode(cursor), limit + 1);
      const pair = runtime.sync.getPair(pairId);
      const items = rows.slice(0, limit).map((row) => ({
        path: row.path,
        key: `${pair?.prefix ?? ''}${row.path}`,
        size: row.size,
      }));
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? cursors.encode(last.path) : null,
        total: runtime.sync.countPendingDeletes(pairId),
      };
    },

    'pairs.confirmDeletes': async ({ pairId, expectedCount }) => {
      const active = await withPair(pairId);
      const pending = active.runtime.sync.countPendingDeletes(pairId);
      if (pending !== expectedCount)
        throw new ContractError(
          'precondition-failed',
          `${pending} deletions are waiting now, not the ${expectedCount} shown: review them again.`,
          { subject: 'params.expectedCount' },
        );
      if (pending > 0) active.manager.confirmDeletes(pairId);
      return announce(active, pairId);
    },

    'pairs.rejectDeletes': async ({ pairId }) => {
      const active = await withPair(pairId);
      active.manager.rejectDeletes(pairId);
      return announce(active, pairId);
    },

    'pairs.issues': async ({ pairId, cursor, pageSize: size }) => {
      const { runtime } = await withPair(pairId);
      const limit = pageSize(size);
      const decoded = cursors.decode(cursor);
      let after: { path: string; code: (typeof SYNC_ISSUE_CODES)[number] } | undefined;
      if (decoded !== undefined) {
        const split = decoded.indexOf(':');
        const code = decoded.slice(0, split) as (typeof SYNC_ISSUE_CODES)[number];
        if (split < 0 || !SYNC_ISSUE_CODES.includes(code)) throw badCursor();
        after = { code, path: decoded.slice(split + 1) };
      }
      const rows = runtime.sync.issuesPage(pairId, after, limit + 1);
      const items = rows.slice(0, limit).map((row) => ({
        path: row.path,
        code: row.code,
        message: redact(row.message).slice(0, 2000) || row.code,
      }));
      const last = items.at(-1);
      return {
        items,
        nextCursor:
          rows.length > limit && last ? cursors.encode(`${last.code}:${last.path}`) : null,
        total: null,
      };
    },

    'pairs.conflicts': async ({ pairId, cursor, pageSize: size }) => {
      const { runtime } = await withPair(pairId);
      const limit = pageSize(size);
      const decoded = cursors.decode(cursor);
      const afterId = decoded === undefined ? 0 : Number(decoded);
      if (!/^[0-9]+$/.test(decoded ?? '0') || !Number.isSafeInteger(afterId)) throw badCursor();
      const rows = runtime.sync.conflictsPage(pairId, afterId, limit + 1);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((row) => ({
          path: row.path,
          keptAs: row.keptAs,
          resolution: row.resolution,
          remoteEtag: row.remoteEtag === null ? null : row.remoteEtag.slice(0, 128) || null,
          at: row.at,
        })),
        nextCursor: rows.length > limit && last ? cursors.encode(String(last.id)) : null,
        total: runtime.sync.countConflicts(pairId),
      };
    },
  };

  return { handlers, attach, detach };
}
