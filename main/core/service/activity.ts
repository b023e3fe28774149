/**
 * The activity log: `activity.list` and the `activity.appended` event, over the `activity`
 * table of the service's state database (ActivityStore, migration 4).
 *
 * What is logged, from every account runtime as it starts (ctx.onRuntime) and from the
 * pairs' status events (ctx.onEvent):
 * - a job done: uploaded, downloaded, deleted; a copy is `moved`, or `trashed` when its
 *   target is under the pair's `.ossync-trash/` (the entry names the trashed key);
 * - a job failed: `error`, with its code, message (secrets redacted) and request id;
 * - a pair's conflict records (each once: the last id taken is kept per pair);
 * - a pair's delete guard tripping: `deletes-held` (once per trip, also across restarts).
 * When a pair is removed its entries stay, with `pairId` null: the account's database may
 * give its id to the next pair.
 *
 * Entries are gathered and written every `flushMs` (250 ms) in one transaction, then sent
 * as `activity.appended` events of at most MAX_PAGE_SIZE entries; a burst of 10,000 jobs is
 * a few transactions, not 10,000. The table keeps the newest `maxRows` (100,000). Pages are
 * newest first (time, then id) with a keyset cursor `<at>.<id>`.
 */
import path from 'node:path';
import {
  ContractError,
  MAX_PAGE_SIZE,
  activityEntrySchema,
  type ActivityEntryDto,
  type PairStatusDto,
} from '../../../shared/contract/index.js';
import {
  ActivityStore,
  type ActivityKind,
  type ActivityRow,
  type NewActivity,
} from '../db/activity-store.js';
import type { Job } from '../db/job-types.js';
import type { TransferRuntime } from '../runtime.js';
import { redact } from '../secrets/secret-registry.js';
import { TRASH_DIR } from '../sync/special-keys.js';
import type { Handlers, ServiceContext } from './context.js';
import { isContractCode } from './errors.js';
import { createNotifier, type NotifierOptions } from './notifications.js';

export interface ActivityOptions extends NotifierOptions {
  /** How often gathered entries are written and announced (default 250 ms). */
  flushMs?: number;
  /** Rows kept (default 100,000): the oldest go. */
  maxRows?: number;
}

const DEFAULT_PAGE = 100;
/** Jobs whose last logged state is remembered, so a repeated event is not logged twice. */
const REMEMBERED_JOBS = 10_000;

function badCursor(): ContractError {
  return new ContractError('invalid-payload', 'params.cursor: not a cursor', {
    subject: 'params.cursor',
  });
}

function decodeCursor(cursor: string | undefined): { at: number; id: number } | undefined {
  if (cursor === undefined) return undefined;
  const match = /^([0-9]{1,16})\.([0-9]{1,16})$/.exec(cursor);
  if (match === null) throw badCursor();
  const at = Number(match[1]);
  const id = Number(match[2]);
  if (!Number.isSafeInteger(at) || !Number.isSafeInteger(id)) throw badCursor();
  return { at, id };
}

/** A row as the contract's entry, or undefined when it would not pass the schema. */
export function toActivityDto(row: ActivityRow): ActivityEntryDto | undefined {
  let error: ActivityEntryDto['error'] = null;
  if (row.error !== null) {
    error = {
      code: isContractCode(row.error.code) ? row.error.code : 'unknown',
      message: redact(row.error.message).slice(0, 2000) || row.error.code || 'error',
    };
    if (row.error.requestId) error.requestId = row.error.requestId.slice(0, 128);
  }
  const dto: ActivityEntryDto = {
    id: row.id,
    at: Math.max(0, Math.round(row.at)),
    kind: row.kind,
    accountId: row.accountId,
    pairId: row.pairId,
    bucket: row.bucket,
    key: row.key === '' ? null : row.key,
    localPath: row.localPath === '' ? null : row.localPath,
    size: row.size === null || row.size < 0 ? null : row.size,
    error,
  };
  return activityEntrySchema.safeParse(dto).success ? dto : undefined;
}

export function createActivity(ctx: ServiceContext, options: ActivityOptions = {}) {
  const store = new ActivityStore(ctx.db, options.maxRows);
  const notifier = createNotifier(ctx, options);
  const flushMs = options.flushMs ?? 250;
  const runtimes = new Map<number, TransferRuntime>();
  let pending: NewActivity[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function add(entry: NewActivity): void {
    if (closed) return;
    pending.push(entry);
    if (timer === undefined) {
      timer = setTimeout(flush, flushMs);
      timer.unref();
    }
  }

  /** Writes what is gathered in one transaction and announces it. */
  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    let rows: ActivityRow[];
    try {
      rows = store.append(batch);
    } catch (error) {
      ctx.logger.warn({ detail: redact(String(error)) }, 'activity entries were not written');
      return;
    }
    const entries = rows
      .map(toActivityDto)
      .filter((entry): entry is ActivityEntryDto => entry !== undefined);
    for (let i = 0; i < entries.length; i += MAX_PAGE_SIZE)
      ctx.emit('activity.appended', { entries: entries.slice(i, i + MAX_PAGE_SIZE) });
  }

  function jobEntry(accountId: number, runtime: TransferRuntime, job: Job): NewActivity | null {
    let kind: ActivityKind;
    const pair = job.pair === null ? undefined : runtime.sync.getPair(job.pair.pairId);
    let key = job.key;
    if (job.state === 'failed') kind = 'error';
    else if (job.state !== 'done') return null;
    else if (job.kind === 'upload') kind = 'uploaded';
    else if (job.kind === 'download') kind = 'downloaded';
    else if (job.kind === 'delete') kind = 'deleted';
    else if (isTrash(job.key, pair?.prefix)) {
      kind = 'trashed';
      key = job.sourceKey ?? job.key;
    } else kind = 'moved';
    const localPath =
      job.localPath ??
      (pair !== undefined && job.pair !== null
        ? path.join(pair.localRoot, ...job.pair.path.split('/'))
        : null);
    return {
      at: job.finishedAt ?? job.updatedAt,
      kind,
      accountId,
      pairId: job.pair?.pairId ?? null,
      bucket: job.bucket,
      key,
      localPath,
      size: job.size,
      error:
        kind === 'error' && job.error !== null
          ? {
              code: job.error.code,
              message: redact(job.error.message),
              ...(job.error.requestId ? { requestId: job.error.requestId } : {}),
            }
          : null,
    };
  }

  function watchRuntime(accountId: number, runtime: TransferRuntime): () => void {
    runtimes.set(accountId, runtime);
    const logged = new Map<number, string>();
    const onJob = (job: Job): void => {
      if (job.state !== 'done' && job.state !== 'failed') return;
      const mark = `${job.state}:${job.updatedAt}`;
      if (logged.get(job.id) === mark) return;
      logged.delete(job.id);
      logged.set(job.id, mark);
      if (logged.size > REMEMBERED_JOBS) {
        const oldest = logged.keys().next().value;
        if (oldest !== undefined) logged.delete(oldest);
      }
      const entry = jobEntry(accountId, runtime, job);
      if (entry === null) return;
      add(entry);
      if (entry.kind === 'error') notifier.transferFailed(job.id, job.localPath ?? job.key);
    };
    const onConnectivity = (state: 'online' | 'offline'): void =>
      notifier.connectivity(accountId, state, ctx.accounts.get(accountId)?.name ?? '');
    runtime.engine.on('job', onJob);
    runtime.engine.on('connectivity', onConnectivity);
    // Conflicts recorded while the service was not running are picked up now.
    for (const pair of runtime.sync.listPairs(0, 1000)) takeConflicts(accountId, runtime, pair.id);
    return () => {
      runtime.engine.off('job', onJob);
      runtime.engine.off('connectivity', onConnectivity);
      if (runtimes.get(accountId) === runtime) runtimes.delete(accountId);
    };
  }

  /** Logs the pair's conflicts recorded since the last one taken; returns their paths. */
  function takeConflicts(accountId: number, runtime: TransferRuntime, pairId: number): string[] {
    const pair = runtime.sync.getPair(pairId);
    if (pair === undefined) return [];
    const mark = store.mark(accountId, pairId);
    const paths: string[] = [];
    let last = mark.lastConflictId;
    for (;;) {
      const page = runtime.sync.conflictsPage(pairId, last, 500);
      for (const conflict of page) {
        paths.push(conflict.path);
        add({
          at: conflict.at,
          kind: 'conflict',
          accountId,
          pairId,
          bucket: pair.bucket,
          key: `${pair.prefix}${conflict.path}`,
          localPath: path.join(pair.localRoot, ...conflict.path.split('/')),
          size: null,
          error: null,
        });
        last = conflict.id;
      }
      if (page.length < 500) break;
    }
    if (last !== mark.lastConflictId)
      store.setMark(accountId, pairId, { ...mark, lastConflictId: last });
    return paths;
  }

  function pairChanged(status: PairStatusDto): void {
    const { pair, state, counters } = status;
    const runtime = runtimes.get(pair.accountId);
    if (runtime === undefined) return;
    if (counters.conflicts > 0) {
      const paths = takeConflicts(pair.accountId, runtime, pair.id);
      notifier.conflicts(pair.id, pair.localRoot, paths);
    }
    const mark = store.mark(pair.accountId, pair.id);
    if (state === 'waiting-for-confirmation' && !mark.holdingDeletes) {
      store.setMark(pair.accountId, pair.id, { ...mark, holdingDeletes: true });
      add({
        at: ctx.now(),
        kind: 'deletes-held',
        accountId: pair.accountId,
        pairId: pair.id,
        bucket: pair.bucket,
        key: pair.prefix === '' ? null : pair.prefix,
        localPath: pair.localRoot,
        size: null,
        error: null,
      });
      notifier.deletesHeld(pair.id, pair.localRoot, counters.deletesAwaiting);
    } else if (
      mark.holdingDeletes &&
      counters.deletesAwaiting === 0 &&
      state !== 'waiting-for-confirmation'
    ) {
      store.setMark(pair.accountId, pair.id, { ...mark, holdingDeletes: false });
    }
  }

  const stopRuntimes = ctx.onRuntime(watchRuntime);
  const stopEvents = ctx.onEvent((name, payload) => {
    try {
      if (name === 'pairs.statusChanged') pairChanged(payload as PairStatusDto);
      else if (name === 'pairs.removed') {
        const accountId = ctx.activeAccount()?.id;
        if (accountId !== undefined) {
          flush();
          store.forgetPair(accountId, (payload as { pairId: number }).pairId);
        }
      }
    } catch (error) {
      ctx.logger.warn({ detail: redact(String(error)) }, 'activity could not follow a pair');
    }
  });

  const handlers: Handlers<'activity.'> = {
    'activity.list': async (params) => {
      flush();
      const limit = params.pageSize ?? DEFAULT_PAGE;
      const filter = {
        ...(params.kinds === undefined ? {} : { kinds: params.kinds }),
        ...(params.accountId === undefined ? {} : { accountId: params.accountId }),
        ...(params.pairId === undefined ? {} : { pairId: params.pairId }),
        ...(params.since === undefined ? {} : { since: params.since }),
        ...(params.until === undefined ? {} : { until: params.until }),
        ...(params.search === undefined ? {} : { search: params.search }),
      };
      const rows = store.page(filter, decodeCursor(params.cursor), limit + 1);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page
          .map(toActivityDto)
          .filter((entry): entry is ActivityEntryDto => entry !== undefined),
        nextCursor: rows.length > limit && last !== undefined ? `${last.at}.${last.id}` : null,
        total: params.search === undefined ? store.count(filter) : null,
      };
    },
  };

  return {
    handlers,
    /** Writes and announces what is gathered now, and sends the gathered notifications. */
    flush(): void {
      flush();
      notifier.flush();
    },
    async close() {
      stopRuntimes();
      stopEvents();
      flush();
      notifier.close();
      closed = true;
      runtimes.clear();
    },
  };
}

function isTrash(key: string, prefix: string | undefined): boolean {
  if (prefix !== undefined) return key.startsWith(`${prefix}${TRASH_DIR}/`);
  return key.split('/').includes(TRASH_DIR);
}
