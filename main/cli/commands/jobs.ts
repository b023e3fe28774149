import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { openDatabase, type Db } from '../../core/db/database.js';
import { JobStore } from '../../core/db/job-store.js';
import { JOB_STATES, type Job, type JobState } from '../../core/db/job-types.js';
import { formatBytes } from '../byte-size.js';
import { usageError } from '../cli-error.js';
import { defaultDataDir, lockDataDir, stateDbPath } from '../data-dir.js';
import { formatOssUrl } from '../oss-url.js';
import { processOutput, type Output } from '../output.js';
import { describeError } from '../progress-display.js';
import { RunMarkers } from '../run-markers.js';
import { addDataDirOption } from '../transfer-options.js';
import { registerJobsResume } from './jobs-resume.js';

interface JobsFlags {
  dataDir?: string;
  state?: JobState;
  limit: number;
  after: number;
  json?: boolean;
}

/** Shown without --state: what still needs attention. */
const DEFAULT_STATES: readonly JobState[] = [
  'running',
  'waiting-retry',
  'queued',
  'paused',
  'failed',
];

function positive(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('Expected a whole number.');
  return n;
}

function jobState(value: string): JobState {
  if (!(JOB_STATES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`Expected one of ${JOB_STATES.join(', ')}.`);
  return value as JobState;
}

export function resolveDataDir(flag: string | undefined): string {
  return path.resolve(flag ?? defaultDataDir());
}

/** The queue in `dataDir`, or undefined when nothing was ever queued there (nothing is created). */
function openQueue(dataDir: string): { db: Db; store: JobStore } | undefined {
  if (!existsSync(stateDbPath(dataDir))) return undefined;
  const db = openDatabase(stateDbPath(dataDir));
  return { db, store: new JobStore(db) };
}

export function registerJobs(program: Command): void {
  const jobs = addDataDirOption(
    program
      .command('jobs')
      .description('show the transfer queue kept in the data directory (no credentials needed)')
      .option('--state <state>', `only jobs in this state (${JOB_STATES.join(', ')})`, jobState)
      .option('--limit <n>', 'jobs shown', positive, 20)
      .option('--after <id>', 'with --state: the page after this job id', positive, 0)
      .option('--json', 'one JSON object per line'),
  )
    // Subcommands take --data-dir from here, wherever it is written on the command line.
    .configureHelp({ showGlobalOptions: true })
    .action((flags: JobsFlags) => {
      listJobs(flags, processOutput());
    });

  jobs
    .command('retry')
    .description('queue failed (or cancelled, paused, waiting) jobs again with fresh attempts')
    .argument('[id...]', 'job ids')
    .option('--failed', 'every failed job')
    .action((ids: string[], _flags: unknown, command: Command) => {
      retryJobs(ids, command.optsWithGlobals(), processOutput());
    });

  jobs
    .command('clear')
    .description('remove finished jobs (done and cancelled) from the queue')
    .action((_flags: unknown, command: Command) => {
      const flags = command.optsWithGlobals<{ dataDir?: string }>();
      const queue = openQueue(resolveDataDir(flags.dataDir));
      if (!queue) return;
      try {
        processOutput().out(`removed ${queue.store.clearFinished()} finished jobs`);
      } finally {
        queue.db.close();
      }
    });

  jobs
    .command('cancel')
    .description(
      'cancel unfinished or failed jobs without running them (multipart uploads they began are aborted by a later put under the same prefix)',
    )
    .argument('[id...]', 'job ids')
    .option('--all', 'every unfinished or failed job')
    .action((ids: string[], _flags: unknown, command: Command) => {
      cancelJobs(ids, command.optsWithGlobals(), processOutput());
    });

  registerJobsResume(jobs);
}

export function jobLineFor(job: Job): string {
  const size = job.size === null ? '?' : formatBytes(job.size);
  const where =
    job.localPath === null ? '' : `  ${job.kind === 'upload' ? '<-' : '->'} ${job.localPath}`;
  return `${String(job.id).padStart(8)}  ${job.state.padEnd(13)}  ${job.kind.padEnd(8)}  ${size.padStart(9)}  ${formatOssUrl(job.bucket, job.key)}${where}`;
}

function printJob(output: Output, job: Job, json: boolean): void {
  if (json) {
    output.out(
      JSON.stringify({
        id: job.id,
        state: job.state,
        kind: job.kind,
        bucket: job.bucket,
        key: job.key,
        localPath: job.localPath,
        size: job.size,
        bytesDone: job.bytesDone,
        attempts: job.attempts,
        batch: job.batch,
        error: job.error,
        updatedAt: new Date(job.updatedAt).toISOString(),
      }),
    );
    return;
  }
  output.out(jobLineFor(job));
  if (job.error && (job.state === 'failed' || job.state === 'waiting-retry'))
    output.out(`          last error: ${describeError(job.error)}`);
}

function listJobs(flags: JobsFlags, output: Output): void {
  const dataDir = resolveDataDir(flags.dataDir);
  const queue = openQueue(dataDir);
  if (!queue) {
    output.out(`no jobs: nothing was queued in ${dataDir} yet`);
    return;
  }
  try {
    const counts = queue.store.counts();
    if (flags.json) output.out(JSON.stringify({ type: 'counts', ...counts }));
    else output.out(JOB_STATES.map((state) => `${state} ${counts[state]}`).join('  '));
    const states = flags.state ? [flags.state] : DEFAULT_STATES;
    let shown = 0;
    for (const state of states) {
      const after = flags.state ? flags.after : 0;
      const page = queue.store.list({ state }, after, Math.max(0, flags.limit - shown));
      for (const job of page) printJob(output, job, flags.json === true);
      shown += page.length;
      const last = page[page.length - 1];
      const more =
        page.length === 0
          ? counts[state]
          : queue.store.list({ state }, last?.id ?? after, 1).length;
      if (more > 0 && !flags.json)
        output.out(
          `  more ${state} jobs: ossync jobs --state ${state}${last ? ` --after ${last.id}` : ''}`,
        );
    }
  } finally {
    queue.db.close();
  }
}

function forEachSelected(
  store: JobStore,
  ids: string[],
  states: readonly JobState[] | undefined,
  action: (job: Job) => void,
): void {
  if (states === undefined) {
    for (const text of ids) {
      const id = Number(text);
      const job = Number.isSafeInteger(id) ? store.get(id) : undefined;
      if (!job) throw usageError(`There is no job ${JSON.stringify(text)}.`);
      action(job);
    }
    return;
  }
  for (const state of states) {
    for (let after = 0; ;) {
      const page = store.list({ state }, after, 500);
      if (page.length === 0) break;
      for (const job of page) action(job);
      after = (page[page.length - 1] as Job).id;
    }
  }
}

function retryJobs(
  ids: string[],
  flags: { dataDir?: string; failed?: boolean },
  output: Output,
): void {
  if ((ids.length === 0) === !flags.failed)
    throw usageError('Name the jobs to retry by id, or pass --failed (not both).');
  const queue = openQueue(resolveDataDir(flags.dataDir));
  if (!queue) throw usageError('There are no jobs to retry.');
  try {
    let retried = 0;
    forEachSelected(queue.store, ids, flags.failed ? ['failed'] : undefined, (job) => {
      if (queue.store.retry(job.id)) retried++;
      else
        output.err(
          `job ${job.id} is ${job.state}: only failed, cancelled, paused or waiting jobs can be retried`,
        );
    });
    output.out(
      `queued again: ${retried} jobs; they run with \`ossync jobs resume\` or the next put or get with this data directory`,
    );
  } finally {
    queue.db.close();
  }
}

const CANCELLABLE: readonly JobState[] = ['queued', 'waiting-retry', 'paused', 'failed', 'running'];

function cancelJobs(
  ids: string[],
  flags: { dataDir?: string; all?: boolean },
  output: Output,
): void {
  if ((ids.length === 0) === !flags.all)
    throw usageError('Name the jobs to cancel by id, or pass --all (not both).');
  const dataDir = resolveDataDir(flags.dataDir);
  const queue = openQueue(dataDir);
  if (!queue) throw usageError('There are no jobs to cancel.');
  // No engine may be running these jobs meanwhile (a `running` job here was left by a crash).
  const release = lockDataDir(dataDir);
  try {
    let cancelled = 0;
    forEachSelected(queue.store, ids, flags.all ? CANCELLABLE : undefined, (job) => {
      if (job.state === 'done' || job.state === 'cancelled') {
        output.err(`job ${job.id} is already ${job.state}`);
        return;
      }
      // The partial file of a download; the engine would remove it on a cancel too.
      if (job.tempPath !== null) {
        rmSync(job.tempPath, { force: true });
        queue.store.setDownload(job.id, null);
      }
      queue.store.setState(job.id, 'cancelled');
      cancelled++;
    });
    // Interrupted commands would otherwise resume their walk after the files just dropped.
    if (flags.all) new RunMarkers(dataDir).removeAll();
    output.out(`cancelled ${cancelled} jobs`);
  } finally {
    queue.db.close();
    release();
  }
}
