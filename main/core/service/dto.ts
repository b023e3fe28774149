/** Core records as contract DTOs: accounts (masked), jobs, progress, the app status. */
import {
  ContractError,
  type AccountDto,
  type AppStatusDto,
  type Params,
  type ProgressSnapshotDto,
  type Result,
  type TransferDto,
} from '../../../shared/contract/index.js';
import type { AccountRow } from '../db/account-store.js';
import type { Job } from '../db/job-types.js';
import type { TransferRuntime } from '../runtime.js';
import type { ProgressSnapshot } from '../transfer/progress.js';
import { isContractCode } from './errors.js';

/** At most the first 4 and last 4 characters, the rest as '*' (short ids: all but 2). */
export function maskAccessKeyId(id: string): string {
  if (id.length <= 4) return '*'.repeat(id.length);
  const shown = id.length >= 12 ? 4 : Math.floor((id.length - 2) / 2);
  return `${id.slice(0, shown)}${'*'.repeat(id.length - 2 * shown)}${id.slice(id.length - shown)}`;
}

export function toAccountDto(row: AccountRow): AccountDto {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    endpoint: row.endpoint,
    region: row.region,
    defaultBucket: row.defaultBucket,
    accessKeyIdMasked: maskAccessKeyId(row.accessKeyId),
    hasSecret: row.hasSecret,
    hasSecurityToken: row.hasSecurityToken,
    securityTokenExpiresAt: row.securityTokenExpiresAt,
    createdAt: row.createdAt,
  };
}

export function toTransferDto(job: Job): TransferDto {
  let error: TransferDto['error'] = null;
  if (job.error !== null) {
    error = {
      code: isContractCode(job.error.code) ? job.error.code : 'unknown',
      message: job.error.message.slice(0, 2000) || 'error',
    };
    if (job.error.requestId) error.requestId = job.error.requestId.slice(0, 128);
  }
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    batch: job.batch,
    bucket: job.bucket,
    key: job.key,
    localPath: job.localPath,
    sourceKey: job.sourceKey,
    size: job.size,
    bytesDone: job.bytesDone,
    attempts: job.attempts,
    nextAttemptAt: job.state === 'waiting-retry' ? job.nextAttemptAt : null,
    error,
    pairId: job.pair?.pairId ?? null,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    finishedAt: job.finishedAt,
  };
}

const whole = (value: number) => Math.max(0, Math.round(value));

export function toProgressDto(snapshot: ProgressSnapshot): ProgressSnapshotDto {
  return {
    jobs: snapshot.jobs.slice(0, 1000).map((job) => ({
      jobId: job.jobId,
      bytesDone: whole(job.bytesDone),
      bytesTotal: whole(job.bytesTotal),
      bytesPerSecond: Math.max(0, job.bytesPerSecond),
      etaSeconds: job.etaSeconds ?? null,
    })),
    totalBytesDone: whole(snapshot.totalBytesDone),
    totalBytesTotal: whole(snapshot.totalBytesTotal),
    uploadBytesPerSecond: Math.max(0, snapshot.uploadBytesPerSecond),
    downloadBytesPerSecond: Math.max(0, snapshot.downloadBytesPerSecond),
    etaSeconds: snapshot.etaSeconds ?? null,
  };
}

const DEFAULT_PAGE = 100;

/** A page of jobs in the given states, newest first; the cursor is the last id shown. */
export function listTransfers(
  runtime: TransferRuntime,
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
    .map(toTransferDto);
  const last = items.at(-1);
  return {
    items,
    nextCursor: ids.length > size && last !== undefined ? String(last.id) : null,
    total,
  };
}

const RECENT = 5;

export function appStatus(runtime: TransferRuntime | undefined, _now: () => number): AppStatusDto {
  const counts = runtime?.store.counts();
  const active = (counts?.running ?? 0) + (counts?.['waiting-retry'] ?? 0);
  const queued = counts?.queued ?? 0;
  const failed = counts?.failed ?? 0;
  const paused = runtime?.engine.isPaused ?? false;
  const offline = runtime?.engine.connectivity === 'offline';
  const recentRows =
    runtime === undefined
      ? []
      : (runtime.db
          .prepare(
            `SELECT id FROM jobs WHERE state IN ('done', 'failed', 'cancelled') ORDER BY finished_at DESC, id DESC LIMIT ${RECENT}`,
          )
          .all() as { id: number }[]);
  const recent = recentRows
    .map((row) => runtime?.store.get(row.id))
    .filter((job): job is Job => job !== undefined)
    .map((job) => ({
      id: job.id,
      kind: job.kind,
      state: job.state,
      bucket: job.bucket,
      key: job.key,
      finishedAt: job.finishedAt,
    }));
  const pairs = runtime === undefined ? [] : runtime.sync.listPairs(0, 1000);
  const progress = runtime?.engine.progress();
  return {
    state: paused
      ? 'paused'
      : offline
        ? 'offline'
        : active + queued > 0
          ? 'syncing'
          : failed > 0
            ? 'error'
            : 'idle',
    paused,
    offline,
    counts: {
      active,
      queued,
      failed,
      pairs: pairs.length,
      pairsWithErrors: 0,
      pairsAwaitingConfirmation: 0,
      conflicts: 0,
    },
    uploadBytesPerSecond: whole(progress?.uploadBytesPerSecond ?? 0),
    downloadBytesPerSecond: whole(progress?.downloadBytesPerSecond ?? 0),
    recent,
  };
}
