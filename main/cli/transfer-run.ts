/**
 * What `put` and `get` share: open the queue in the data directory, queue the command's jobs
 * as one batch while the engine already works through them, show progress, wait for the
 * batch, print a summary and choose the exit code. Ctrl+C (or SIGTERM) stops the engine
 * cleanly: unfinished jobs stay queued and the same command resumes them (run-markers.ts).
 */
import { randomBytes } from 'node:crypto';
import type { JobStore } from '../core/db/job-store.js';
import type { Job, NewJob } from '../core/db/job-types.js';
import type { RemoteStore } from '../core/remote/remote-store.js';
import type { TransferRuntime } from '../core/runtime.js';
import { formatBytes } from './byte-size.js';
import { EXIT } from './cli-error.js';
import {
  abortOrphanUploads,
  ACTIVE_STATES,
  activeCount,
  connectivityNote,
  trapInterrupts,
  withEngineRuntime,
} from './command-runtime.js';
import { checkQueueAccount } from './data-dir.js';
import { errorText } from './error-text.js';
import type { Output } from './output.js';
import {
  describeError,
  emptyTotals,
  formatDuration,
  formatRate,
  ProgressDisplay,
  type BatchTotals,
} from './progress-display.js';
import { RunMarkers, type RunMarker } from './run-markers.js';
import type { TransferFlags } from './transfer-options.js';

/** Where a command's producer sends what it finds. */
export interface JobSink {
  /** Queues jobs in one transaction and records `cursor`: a rerun goes on from there. */
  add(jobs: readonly Omit<NewJob, 'batch'>[], cursor: unknown): void;
  /** A file or key that cannot be transferred: reported now, counted, exit code 1. */
  refuse(text: string): void;
  /** Something left out on purpose (a symbolic link): reported, not an error. */
  skip(text: string): void;
  /** Information only. */
  note(text: string): void;
}

export interface TransferCommand {
  name: 'put' | 'get';
  bucket: string;
  /** What makes two invocations the same command (resumed rather than started afresh). */
  identity: unknown;
  /** For put: multipart uploads under this prefix that no job owns are aborted first. */
  orphanPrefix?: string;
  /** Walks or lists, queuing jobs through `sink`, from `cursor` (undefined: the start). */
  produce(sink: JobSink, cursor: unknown, signal: AbortSignal, remote: RemoteStore): Promise<void>;
}

const SHOWN_FAILURES = 20;

function files(n: number): string {
  return n === 1 ? '1 file' : `${n} files`;
}

/**
 * Totals of a batch queued by an earlier, interrupted run: its files as counted, its bytes
 * those still to move (this run's). Pages by state, not by batch: the state index serves
 * those pages, while a page by batch sorts the whole batch each time.
 */
function batchTotals(store: JobStore, batch: string): BatchTotals {
  const counts = store.counts(batch);
  const totals: BatchTotals = {
    ...emptyTotals(),
    filesTotal: Object.values(counts).reduce((sum, n) => sum + n, 0) - counts.done - counts.failed,
  };
  for (const state of ACTIVE_STATES) {
    for (let after = 0; ;) {
      const page = store.list({ state }, after, 1000);
      if (page.length === 0) break;
      for (const job of page) if (job.batch === batch) totals.bytesTotal += job.size ?? 0;
      after = (page[page.length - 1] as Job).id;
    }
  }
  return totals;
}

/** The failed jobs of a batch, at most `limit` (failed jobs of all batches are indexed by state). */
function failedJobs(store: JobStore, batch: string, limit: number): Job[] {
  const found: Job[] = [];
  for (let after = 0; found.length < limit;) {
    const page = store.list({ state: 'failed' }, after, 500);
    if (page.length === 0) break;
    for (const job of page) if (job.batch === batch && found.length < limit) found.push(job);
    after = (page[page.length - 1] as Job).id;
  }
  return found;
}

export async function runTransfer(
  command: TransferCommand,
  flags: TransferFlags,
  output: Output,
): Promise<number> {
  return withEngineRuntime(flags, ({ runtime, dataDir, fingerprint, endpoint }) =>
    drive(command, runtime, { dataDir, fingerprint, endpoint, output }),
  );
}

async function drive(
  command: TransferCommand,
  runtime: TransferRuntime,
  context: { dataDir: string; fingerprint: string; endpoint: string; output: Output },
): Promise<number> {
  const { engine, store, remote } = runtime;
  const { dataDir, output } = context;
  checkQueueAccount(dataDir, context.fingerprint, activeCount(store.counts()));

  const markers = new RunMarkers(dataDir);
  const runId = RunMarkers.idFor({ account: context.fingerprint, ...(command.identity as object) });
  const previous = markers.read(runId);
  const resumed =
    previous !== undefined && (!previous.walkDone || activeCount(store.counts(previous.batch)) > 0);
  const marker: RunMarker = resumed
    ? previous
    : {
        batch: `${command.name}-${new Date().toISOString()}-${randomBytes(3).toString('hex')}`,
        cursor: undefined,
        walkDone: false,
      };
  markers.write(runId, marker);
  const batch = marker.batch;

  const earlier = resumed ? store.counts(batch) : undefined;
  const display = new ProgressDisplay({
    output,
    batch,
    totals: resumed ? batchTotals(store, batch) : emptyTotals(),
  });
  const totals = display.totals;
  if (earlier)
    display.note(
      `resuming an interrupted ${command.name}: ${earlier.done} of ${Object.values(earlier).reduce((sum, n) => sum + n, 0)} files done so far`,
      'out',
    );

  const interrupts = trapInterrupts({
    onFirst: () =>
      display.note('interrupting: stopping the transfers (Ctrl+C again to quit at once)'),
    onAgain: () =>
      output.err(
        'ossync: interrupted again: quitting now; the queue resumes from its last saved state',
      ),
  });

  let refused = 0;
  let skipped = 0;
  let fatal: unknown;
  const started = performance.now();
  const onJob = (job: Job): void => display.onJob(job);
  engine.on('job', onJob);
  engine.on('progress', (snapshot) => display.onProgress(snapshot));
  engine.on('connectivity', (state) =>
    display.note(connectivityNote(state, context.endpoint, 'the same command resumes')),
  );

  try {
    if (command.orphanPrefix !== undefined)
      await abortOrphanUploads(engine, command.bucket, command.orphanPrefix, (text) =>
        display.note(text),
      );
    if (!interrupts.signal.aborted) engine.start();
    if (!marker.walkDone && !interrupts.signal.aborted) {
      display.setScanning(true);
      const sink: JobSink = {
        add(jobs, cursor) {
          if (jobs.length > 0) engine.add(jobs.map((job) => ({ ...job, batch })));
          marker.cursor = cursor;
          markers.write(runId, marker);
          display.added(
            jobs.length,
            jobs.reduce((sum, job) => sum + (job.size ?? 0), 0),
          );
        },
        refuse(text) {
          refused++;
          display.note(text);
        },
        skip(text) {
          skipped++;
          display.note(text);
        },
        note(text) {
          display.note(text);
        },
      };
      await command.produce(sink, marker.cursor, interrupts.signal, remote);
      display.setScanning(false);
      if (!interrupts.signal.aborted) {
        marker.walkDone = true;
        markers.write(runId, marker);
      }
    }
    if (!interrupts.signal.aborted)
      await Promise.race([engine.waitForBatch(batch), interrupts.stopped]);
  } catch (error) {
    fatal = error;
  } finally {
    interrupts.dispose();
  }

  // Running jobs go back to the queue; their finished parts are kept for the resume.
  await engine.stop();
  engine.off('job', onJob);
  display.close();
  const counts = store.counts(batch);
  const unfinished = activeCount(counts);
  const anything = Object.values(counts).some((n) => n > 0);

  if (fatal !== undefined || interrupts.signal.aborted) {
    if (!anything) markers.remove(runId);
    if (fatal !== undefined) output.err(`ossync: ${errorText(fatal)}`);
    if (anything && (unfinished > 0 || !marker.walkDone))
      output.err(
        `${fatal === undefined ? 'interrupted: ' : ''}${files(unfinished)} queued; run the same command to resume`,
      );
    else if (fatal === undefined) output.err('interrupted');
    return fatal === undefined ? EXIT.interrupted : EXIT.failed;
  }

  markers.remove(runId);
  const seconds = (performance.now() - started) / 1000;
  const verb = command.name === 'put' ? 'uploaded' : 'downloaded';
  const elapsed = seconds < 60 ? `${seconds.toFixed(1)}s` : formatDuration(seconds);
  const rate =
    seconds >= 0.5 && totals.bytesFinished > 0
      ? `, ${formatRate(totals.bytesFinished / seconds)}`
      : '';
  const parts = [
    `${command.name}: ${files(counts.done)} ${verb}${earlier ? `, ${counts.done - earlier.done} of them in this run` : ''} (${formatBytes(totals.bytesFinished)} in ${elapsed}${rate})`,
  ];
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  if (counts.cancelled > 0) parts.push(`${counts.cancelled} cancelled`);
  if (refused > 0) parts.push(`${refused} refused`);
  if (skipped > 0) parts.push(`${skipped} skipped`);
  output.out(parts.join(', '));
  if (counts.failed > 0) {
    for (const job of failedJobs(store, batch, SHOWN_FAILURES))
      output.err(`  failed ${job.key}: ${job.error ? describeError(job.error) : 'unknown error'}`);
    if (counts.failed > SHOWN_FAILURES)
      output.err(
        `  ... and ${counts.failed - SHOWN_FAILURES} more: ossync jobs --state failed --data-dir ${JSON.stringify(dataDir)}`,
      );
  }
  return counts.failed > 0 || counts.cancelled > 0 || refused > 0 ? EXIT.failed : EXIT.ok;
}
