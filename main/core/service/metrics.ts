/**
 * The service's Prometheus metrics, on the registry that `ossync serve` serves on /metrics
 * (the host adds its own transport metrics there, main/host/metrics.ts). Labels are bounded:
 * job states, pair states, OSS operation names and error codes are fixed lists in the code;
 * no key, path, bucket or account name ever becomes a label.
 *
 * - ossync_transfers{state}: jobs by state, read from every started runtime at scrape.
 * - ossync_pairs{state}: folder pairs by state, from their last status, at scrape.
 * - ossync_uploaded_bytes_total, ossync_downloaded_bytes_total: bytes sent and received by
 *   transfers (from the engines' progress, completed by each job's final count).
 * - ossync_transfer_errors_total{code}: failed attempts (a job waiting to retry or failed).
 * - ossync_transfer_retries_total: attempts that will be retried.
 * - ossync_oss_request_duration_seconds{operation}: time of each OSS call (for a download,
 *   to its response; the body streams after).
 * - ossync_oss_request_errors_total{operation,code}: OSS calls that failed, by error code.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JOB_STATES, type Job, type JobKind } from '../db/job-types.js';
import type { OssCallObserver } from '../remote/oss-session.js';
import type { TransferRuntime } from '../runtime.js';
import { PAIR_STATES } from '../sync/types.js';
import type { ServiceContext } from './context.js';
import { lastPairStatuses } from './pairs.js';

/** Jobs whose bytes are being counted: what was counted so far and which way they go. */
interface Tracked {
  kind: JobKind;
  counted: number;
}

/** Jobs whose last state is remembered (more than can run at once, by far). */
const REMEMBERED_JOBS = 10_000;
/** Label values of codes: a code longer than this, or odd, becomes 'other'. */
const CODE_LABEL = /^[a-z0-9-]{1,64}$/;
const OP_LABEL = /^[A-Za-z0-9]{1,64}$/;

export function createServiceMetrics(ctx: ServiceContext) {
  const registry = new Registry();
  const registers = [registry];
  const runtimes = new Map<number, TransferRuntime>();

  new Gauge({
    name: 'ossync_transfers',
    help: 'Transfer jobs by state, over every started account',
    labelNames: ['state'],
    registers,
    collect() {
      const totals = Object.fromEntries(JOB_STATES.map((state) => [state, 0]));
      for (const runtime of runtimes.values()) {
        try {
          const counts = runtime.store.counts();
          for (const state of JOB_STATES) totals[state] = (totals[state] ?? 0) + counts[state];
        } catch {
          // a runtime closing while scraped: its jobs are not counted this time
        }
      }
      for (const state of JOB_STATES) this.set({ state }, totals[state] ?? 0);
    },
  });

  new Gauge({
    name: 'ossync_pairs',
    help: 'Folder pairs by state, over every started account',
    labelNames: ['state'],
    registers,
    collect() {
      const totals = new Map<string, number>(PAIR_STATES.map((state) => [state, 0]));
      for (const runtime of runtimes.values())
        for (const status of lastPairStatuses(runtime))
          totals.set(status.state, (totals.get(status.state) ?? 0) + 1);
      for (const [state, value] of totals) this.set({ state }, value);
    },
  });

  const uploaded = new Counter({
    name: 'ossync_uploaded_bytes_total',
    help: 'Bytes sent by uploads',
    registers,
  });
  const downloaded = new Counter({
    name: 'ossync_downloaded_bytes_total',
    help: 'Bytes received by downloads',
    registers,
  });
  const errors = new Counter({
    name: 'ossync_transfer_errors_total',
    help: 'Failed transfer attempts (a job waiting to retry, or failed), by error code',
    labelNames: ['code'],
    registers,
  });
  const retries = new Counter({
    name: 'ossync_transfer_retries_total',
    help: 'Failed transfer attempts that will be retried',
    registers,
  });
  const latency = new Histogram({
    name: 'ossync_oss_request_duration_seconds',
    help: 'Time of each OSS call, by operation (a download: to its response)',
    labelNames: ['operation'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const requestErrors = new Counter({
    name: 'ossync_oss_request_errors_total',
    help: 'OSS calls that failed, by operation and error code',
    labelNames: ['operation', 'code'],
    registers,
  });

  const codeLabel = (code: string) => (CODE_LABEL.test(code) ? code : 'other');
  const opLabel = (op: string) => (OP_LABEL.test(op) ? op : 'other');

  const ossObserver: OssCallObserver = (report) => {
    const operation = opLabel(report.op);
    latency.observe({ operation }, Math.max(0, report.durationMs) / 1000);
    if (report.errorCode !== undefined)
      requestErrors.inc({ operation, code: codeLabel(report.errorCode) });
  };

  function count(kind: JobKind, bytes: number): void {
    if (!(bytes > 0)) return;
    if (kind === 'upload') uploaded.inc(bytes);
    else if (kind === 'download') downloaded.inc(bytes);
  }

  const stopRuntime = ctx.onRuntime((accountId, runtime) => {
    runtimes.set(accountId, runtime);
    const tracked = new Map<number, Tracked>();
    /** Each job's last state seen, so a repeated event is not counted twice. */
    const lastState = new Map<number, string>();

    const onJob = (job: Job): void => {
      if (lastState.get(job.id) === job.state) return;
      lastState.delete(job.id); // re-inserted last: the map forgets the least recent first
      lastState.set(job.id, job.state);
      if (lastState.size > REMEMBERED_JOBS) {
        const oldest = lastState.keys().next().value;
        if (oldest !== undefined) lastState.delete(oldest);
      }

      if (job.state === 'running') {
        if (job.kind === 'upload' || job.kind === 'download')
          tracked.set(job.id, { kind: job.kind, counted: job.bytesDone });
        return;
      }
      const entry = tracked.get(job.id);
      if (entry !== undefined) {
        tracked.delete(job.id);
        if (job.state === 'done') count(entry.kind, job.bytesDone - entry.counted);
      }
      if ((job.state === 'waiting-retry' || job.state === 'failed') && job.error !== null) {
        errors.inc({ code: codeLabel(job.error.code) });
        if (job.state === 'waiting-retry') retries.inc();
      }
    };
    const onProgress = (snapshot: { jobs: { jobId: number; bytesDone: number }[] }): void => {
      for (const progress of snapshot.jobs) {
        const entry = tracked.get(progress.jobId);
        if (entry === undefined) continue;
        const done = Math.round(progress.bytesDone);
        // A retried attempt starts again from fewer bytes: what it sends again is counted.
        if (done > entry.counted) count(entry.kind, done - entry.counted);
        entry.counted = done;
      }
    };
    runtime.engine.on('job', onJob);
    runtime.engine.on('progress', onProgress);
    return () => {
      runtime.engine.off('job', onJob);
      runtime.engine.off('progress', onProgress);
      if (runtimes.get(accountId) === runtime) runtimes.delete(accountId);
    };
  });

  return {
    registry,
    /** Hand to each runtime's OSS adapter (createTransferRuntime's `remote.observer`). */
    ossObserver,
    close() {
      stopRuntime();
      runtimes.clear();
    },
  };
}
