/**
 * Live transfer state fed by events: per-job progress (`transfers.progress`), per-job
 * updates (`transfers.jobChanged`) and per-account totals. Rows and the Status view read it
 * through hooks that re-render only for their own entry, at most once per frame.
 */
import type { ProgressSnapshotDto, TransferDto } from '../../../shared/contract/index.js';
import { KeyedStore, type Scheduler, animationFrameScheduler, sharedFrame } from './keyed-store.js';

/** (accountId, jobId) names a job: ids are per account. */
export type JobKey = string;
export const jobKey = (accountId: number, jobId: number): JobKey => `${accountId}:${jobId}`;

export interface JobProgress {
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface AccountTotals {
  totalBytesDone: number;
  totalBytesTotal: number;
  uploadBytesPerSecond: number;
  downloadBytesPerSecond: number;
  etaSeconds: number | null;
}

const sameProgress = (a: JobProgress, b: JobProgress) =>
  a.bytesDone === b.bytesDone &&
  a.bytesTotal === b.bytesTotal &&
  a.bytesPerSecond === b.bytesPerSecond &&
  a.etaSeconds === b.etaSeconds;

const sameTotals = (a: AccountTotals, b: AccountTotals) =>
  a.totalBytesDone === b.totalBytesDone &&
  a.totalBytesTotal === b.totalBytesTotal &&
  a.uploadBytesPerSecond === b.uploadBytesPerSecond &&
  a.downloadBytesPerSecond === b.downloadBytesPerSecond &&
  a.etaSeconds === b.etaSeconds;

const sameJob = (a: TransferDto, b: TransferDto) =>
  a.updatedAt === b.updatedAt && a.state === b.state && a.bytesDone === b.bytesDone;

export interface TotalSpeeds {
  upload: number;
  download: number;
  /** false until the first progress event: the numbers are then just 0. */
  reported: boolean;
}

export class LiveTransfers {
  readonly progress: KeyedStore<JobKey, JobProgress>;
  readonly jobs: KeyedStore<JobKey, TransferDto>;
  readonly totals: KeyedStore<number, AccountTotals>;

  constructor(base: Scheduler = animationFrameScheduler) {
    // One frame for all three stores: an event touching progress and totals renders once.
    const scheduler = sharedFrame(base);
    this.progress = new KeyedStore(sameProgress, scheduler);
    this.jobs = new KeyedStore(sameJob, scheduler);
    this.totals = new KeyedStore(sameTotals, scheduler);
  }

  applyProgress(snapshot: ProgressSnapshotDto): void {
    for (const job of snapshot.jobs) {
      this.progress.set(jobKey(snapshot.accountId, job.jobId), {
        bytesDone: job.bytesDone,
        bytesTotal: job.bytesTotal,
        bytesPerSecond: job.bytesPerSecond,
        etaSeconds: job.etaSeconds,
      });
    }
    this.totals.set(snapshot.accountId, {
      totalBytesDone: snapshot.totalBytesDone,
      totalBytesTotal: snapshot.totalBytesTotal,
      uploadBytesPerSecond: snapshot.uploadBytesPerSecond,
      downloadBytesPerSecond: snapshot.downloadBytesPerSecond,
      etaSeconds: snapshot.etaSeconds,
    });
  }

  applyJob(job: TransferDto): void {
    this.jobs.set(jobKey(job.accountId, job.id), job);
  }

  #speeds: { version: number; value: TotalSpeeds } | null = null;

  /** Upload and download speed over all accounts (the same object until a total changes). */
  speeds(): TotalSpeeds {
    const version = this.totals.version();
    if (this.#speeds?.version === version) return this.#speeds.value;
    let upload = 0;
    let download = 0;
    for (const totals of this.totals.values()) {
      upload += totals.uploadBytesPerSecond;
      download += totals.downloadBytesPerSecond;
    }
    this.#speeds = { version, value: { upload, download, reported: this.totals.size() > 0 } };
    return this.#speeds.value;
  }

  dispose(): void {
    this.progress.dispose();
    this.jobs.dispose();
    this.totals.dispose();
  }
}
