/** Core records as contract DTOs: accounts (masked), jobs, progress, the app status. */
import {
  type AccountDto,
  type AppStatusDto,
  type ProgressSnapshotDto,
  type TransferDto,
} from '../../../shared/contract/index.js';
import type { AccountRow } from '../db/account-store.js';
import type { Job } from '../db/job-types.js';
import type { TransferRuntime } from '../runtime.js';
import type { ProgressSnapshot } from '../transfer/progress.js';
import { isContractCode } from './errors.js';
import { lastPairStatuses } from './pairs.js';

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

export function toTransferDto(job: Job, accountId: number): TransferDto {
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
    accountId,
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

export function toProgressDto(snapshot: ProgressSnapshot, accountId: number): ProgressSnapshotDto {
  return {
    accountId,
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

const RECENT = 5;

/**
 * The tray's status from the account in use's runtime. `pausedAll` is the saved global
 * pause (transfers.pauseAll), which holds even before any runtime exists.
 */
export function appStatus(runtime: TransferRuntime | undefined, pausedAll: boolean): AppStatusDto {
  const counts = runtime?.store.counts();
  const active = (counts?.running ?? 0) + (counts?.['waiting-retry'] ?? 0);
  const queued = counts?.queued ?? 0;
  const failed = counts?.failed ?? 0;
  const paused = runtime?.engine.isPaused ?? pausedAll;
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
  const statuses = runtime === undefined ? [] : lastPairStatuses(runtime);
  let pairsWithErrors = 0;
  let pairsAwaitingConfirmation = 0;
  let conflicts = 0;
  for (const { state, counters } of statuses) {
    if (state === 'error' || counters.errors > 0) pairsWithErrors += 1;
    if (state === 'waiting-for-confirmation' || counters.deletesAwaiting > 0)
      pairsAwaitingConfirmation += 1;
    conflicts += counters.conflicts;
  }
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
      pairsWithErrors,
      pairsAwaitingConfirmation,
      conflicts,
    },
    uploadBytesPerSecond: whole(progress?.uploadBytesPerSecond ?? 0),
    downloadBytesPerSecond: whole(progress?.downloadBytesPerSecond ?? 0),
    recent,
  };
}
