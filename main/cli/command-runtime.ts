/**
 * What the commands that drive the engine share (put and get in transfer-run.ts, sync in
 * sync-run.ts): the data directory taken for the whole run, the account, the runtime, the
 * handling of Ctrl+C, and the notes about connectivity and orphaned uploads.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { JobState } from '../core/db/job-types.js';
import { isCoreError } from '../core/errors.js';
import { createTransferRuntime, type TransferRuntime } from '../core/runtime.js';
import type { TransferEngine } from '../core/transfer/engine.js';
import { resolveAccount } from './account.js';
import { EXIT } from './cli-error.js';
import { defaultDataDir, lockDataDir } from './data-dir.js';
import { engineOptions, type TransferFlags } from './transfer-options.js';

/** Jobs in these states are not finished: a stopped command leaves them queued. */
export const ACTIVE_STATES: readonly JobState[] = ['queued', 'running', 'waiting-retry', 'paused'];

export function activeCount(counts: Record<JobState, number>): number {
  return ACTIVE_STATES.reduce((sum, state) => sum + counts[state], 0);
}

export interface EngineRun {
  runtime: TransferRuntime;
  dataDir: string;
  /** The account without its secret (data-dir.ts checkQueueAccount). */
  fingerprint: string;
  endpoint: string;
}

/**
 * Resolves the account, takes the data directory's lock and opens the runtime for `run`;
 * afterwards stops the engine (running jobs go back to the queue) and releases both.
 */
export async function withEngineRuntime<T>(
  flags: TransferFlags,
  run: (context: EngineRun) => Promise<T>,
): Promise<T> {
  const { account, fingerprint } = resolveAccount(flags);
  const options = engineOptions(flags);
  const dataDir = path.resolve(flags.dataDir ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const release = lockDataDir(dataDir);
  let runtime: TransferRuntime | undefined;
  try {
    runtime = createTransferRuntime({ dataDir, account, engine: options });
    return await run({ runtime, dataDir, fingerprint, endpoint: account.endpoint });
  } finally {
    await runtime?.close();
    release();
  }
}

export interface Interrupts {
  /** Aborted by the first Ctrl+C or SIGTERM. */
  readonly signal: AbortSignal;
  /** Resolves with that first signal. */
  readonly stopped: Promise<void>;
  /** Stops listening for the signals. */
  dispose(): void;
}

/**
 * The first Ctrl+C (or SIGTERM) asks the command to stop cleanly (`onFirst` says so); a
 * second one quits at once with exit code 130 after `onAgain` has said so. The queue is
 * consistent either way.
 */
export function trapInterrupts(handlers: { onFirst(): void; onAgain(): void }): Interrupts {
  const controller = new AbortController();
  const stopped = new Promise<void>((resolve) =>
    controller.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  const onSignal = (): void => {
    if (controller.signal.aborted) {
      handlers.onAgain();
      process.exit(EXIT.interrupted);
    }
    handlers.onFirst();
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    stopped,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The line shown when the engine goes offline or comes back. */
export function connectivityNote(
  state: 'online' | 'offline',
  endpoint: string,
  resume: string,
): string {
  return state === 'offline'
    ? `offline: cannot reach ${endpoint}; waiting for it to answer again (Ctrl+C stops; ${resume})`
    : 'back online';
}

/**
 * Aborts multipart uploads under `prefix` that no job owns (left by a crash before they were
 * recorded). Cleaning up is a courtesy: an account that may upload but not list uploads
 * still works, and `note` says what was not done.
 */
export async function abortOrphanUploads(
  engine: TransferEngine,
  bucket: string,
  prefix: string,
  note: (text: string) => void,
): Promise<void> {
  try {
    await engine.abortOrphanUploads(bucket, prefix);
  } catch (error) {
    if (!isCoreError(error) || error.code !== 'access-denied') throw error;
    note(
      `note: not allowed to list unfinished multipart uploads, so orphaned ones were not cleaned up (${error.message})`,
    );
  }
}
