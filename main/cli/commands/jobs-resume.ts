import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import type { Job, JobState } from '../../core/db/job-types.js';
import { createTransferRuntime, type TransferRuntime } from '../../core/runtime.js';
import { resolveAccount } from '../account.js';
import { EXIT } from '../cli-error.js';
import { checkQueueAccount, lockDataDir } from '../data-dir.js';
import { errorText } from '../error-text.js';
import { processOutput } from '../output.js';
import { describeError, emptyTotals, ProgressDisplay } from '../progress-display.js';
import {
  addAccountOptions,
  addEngineOptions,
  engineOptions,
  type TransferFlags,
} from '../transfer-options.js';
import { resolveDataDir } from './jobs.js';

const ACTIVE: readonly JobState[] = ['queued', 'running', 'waiting-retry', 'paused'];
const SHOWN_FAILURES = 20;

export function registerJobsResume(jobs: Command): void {
  // --data-dir belongs to `jobs` (see jobs.ts); the rest is this command's own.
  addEngineOptions(
    addAccountOptions(
      jobs
        .command('resume')
        .description(
          'run every unfinished job in the data directory (interrupted commands, retried jobs) until done',
        ),
    ),
  ).action(async (_flags: unknown, command: Command) => {
    process.exitCode = await resumeQueue(command.optsWithGlobals<TransferFlags>());
  });
}

async function resumeQueue(flags: TransferFlags): Promise<number> {
  const output = processOutput();
  const { account, fingerprint } = resolveAccount(flags);
  const dataDir = resolveDataDir(flags.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const release = lockDataDir(dataDir);
  let runtime: TransferRuntime | undefined;
  try {
    runtime = createTransferRuntime({ dataDir, account, engine: engineOptions(flags) });
    const { engine, store } = runtime;
    const countActive = (): number => {
      const counts = store.counts();
      return ACTIVE.reduce((sum, state) => sum + counts[state], 0);
    };
    const unfinished = countActive();
    checkQueueAccount(dataDir, fingerprint, unfinished);
    if (unfinished === 0) {
      output.out('nothing to resume: no unfinished jobs');
      return EXIT.ok;
    }
    // Resuming the queue resumes paused jobs too; one still `running` was left by a crash
    // and start() queues it again.
    store.resumeAllPaused();
    // The engine wakes waiters per batch: collect the batches that have unfinished jobs.
    const batches = new Set<string>();
    for (const state of ACTIVE) {
      for (let after = 0; ;) {
        const page = store.list({ state }, after, 1000);
        if (page.length === 0) break;
        for (const job of page) if (job.batch !== null) batches.add(job.batch);
        after = page[page.length - 1]?.id ?? after;
      }
    }
    const display = new ProgressDisplay({
      output,
      batch: undefined,
      totals: { ...emptyTotals(), filesTotal: unfinished },
    });
    const failures: Job[] = [];
    let failed = 0;
    engine.on('job', (job) => {
      display.onJob(job);
      if (job.state !== 'failed') return;
      failed++;
      if (failures.length < SHOWN_FAILURES) failures.push(job);
    });
    engine.on('progress', (snapshot) => display.onProgress(snapshot));
    let interrupted = false;
    let onSignal = (): void => {};
    const stop = new Promise<void>((resolve) => {
      onSignal = () => {
        if (interrupted) process.exit(EXIT.interrupted);
        interrupted = true;
        display.note('interrupting: stopping the transfers (Ctrl+C again to quit at once)');
        resolve();
      };
    });
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      engine.start();
      await Promise.race([
        (async () => {
          for (const batch of batches) await engine.waitForBatch(batch);
        })(),
        stop,
      ]);
    } catch (error) {
      display.close();
      output.err(`ossync: ${errorText(error)}`);
      return EXIT.failed;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    await engine.stop();
    display.close();
    const left = countActive();
    if (interrupted) {
      output.err(`interrupted: ${left} jobs queued; run ossync jobs resume again to go on`);
      return EXIT.interrupted;
    }
    output.out(
      `resumed ${unfinished} jobs: ${display.totals.filesDone} done${failed > 0 ? `, ${failed} failed` : ''}${left > 0 ? `, ${left} still queued` : ''}`,
    );
    for (const job of failures)
      output.err(`  failed ${job.key}: ${job.error ? describeError(job.error) : 'unknown error'}`);
    return failed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    await runtime?.close();
    release();
  }
}
