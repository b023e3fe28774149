/** Contract-valid sample data for the renderer tests. */
import type {
  AppStatusDto,
  PairStatusDto,
  TransferDto,
} from '../../../../shared/contract/index.js';

export const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

export function transfer(id: number, overrides: Partial<TransferDto> = {}): TransferDto {
  return {
    id,
    accountId: 1,
    kind: 'upload',
    state: 'running',
    batch: null,
    bucket: 'photos-bucket',
    key: `albums/2026/file-${id}.jpg`,
    localPath: `/home/user/photos/file-${id}.jpg`,
    sourceKey: null,
    size: 1_000_000 + id,
    bytesDone: 0,
    attempts: 1,
    nextAttemptAt: null,
    error: null,
    pairId: null,
    createdAt: NOW - 60_000,
    updatedAt: NOW - 60_000,
    finishedAt: null,
    ...overrides,
  };
}

export function appStatus(overrides: Partial<AppStatusDto> = {}): AppStatusDto {
  return {
    state: 'idle',
    paused: false,
    offline: false,
    counts: {
      active: 0,
      queued: 0,
      failed: 0,
      pairs: 0,
      pairsWithErrors: 0,
      pairsAwaitingConfirmation: 0,
      conflicts: 0,
    },
    uploadBytesPerSecond: 0,
    downloadBytesPerSecond: 0,
    recent: [],
    ...overrides,
  };
}

export function pairStatus(id: number, overrides: Partial<PairStatusDto> = {}): PairStatusDto {
  return {
    pair: {
      id,
      accountId: 1,
      localRoot: `/home/user/folder-${id}`,
      bucket: 'photos-bucket',
      prefix: `backup-${id}/`,
      mode: 'backup',
      deleteMode: 'trash',
      ignore: [],
      followSymlinks: false,
      trashRetentionDays: 30,
      deleteGuard: { maxFraction: 0.5, maxCount: 1000 },
      paused: false,
      createdAt: NOW - 86_400_000,
    },
    state: 'idle',
    detail: null,
    watching: 'events',
    counters: {
      filesPending: 0,
      bytesPending: 0,
      lastSyncedAt: null,
      errors: 0,
      conflicts: 0,
      deletesAwaiting: 0,
    },
    ...overrides,
  };
}
