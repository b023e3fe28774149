/**
 * Drives `ossync sync`: takes the data directory for the whole run, chooses the pairs
 * (creating or updating one, see commands/sync.ts), starts the engine and the pairs' runners,
 * then either waits until every pair has settled and reports (one-shot), or runs until Ctrl+C
 * or SIGTERM (--watch). Stopping leaves unfinished jobs queued; the next sync goes on.
 */
import type { SyncStore } from '../core/db/sync-store.js';
import type { RemoteStore } from '../core/remote/remote-store.js';
import type { PairRunner } from '../core/sync/pair-runner.js';
import { SyncManager } from '../core/sync/sync-manager.js';
import type { PairConfig, PairStatus } from '../core/sync/types.js';
import type { WatchBackendName } from '../core/sync/watcher.js';
import { EXIT } from './cli-error.js';
import {
  abortOrphanUploads,
  activeCount,
  connectivityNote,
  trapInterrupts,
  withEngineRuntime,
  type EngineRun,
} from './command-runtime.js';
import { checkQueueAccount } from './data-dir.js';
import { errorText } from './error-text.js';
import type { Output } from './output.js';
import { describeTally, files, SyncDisplay } from './sync-display.js';
import { dataDirHint, pairName, pairSettingError } from './sync-state.js';
import { conflictMark, reportPair, type ConflictMark } from './sync-summary.js';
import type { TransferFlags } from './transfer-options.js';

export type WatchBackend = WatchBackendName | 'auto';

/** What choosing the pairs of a run may use. */
export interface PairChoice {
  manager: SyncManager;
  sync: SyncStore;
  remote: RemoteStore;
  output: Output;
}

export interface SyncRequest {
  /** Chooses the pairs to run (creating or updating one), inside the data directory's lock. */
  select(context: PairChoice): Promise<PairConfig[]>;
  /** The pair was named on the command line: paused, it is an error rather than skipped. */
  named: boolean;
  watch: boolean;
  backend: WatchBackend;
}

export function runSync(
  request: SyncRequest,
  flags: TransferFlags,
  output: Output,
): Promise<number> {
  return withEngineRuntime(flags, (context) => drive(request, context, flags, output));
}

/**
 * Resolves once the runner has nothing left to do. Held deletions or a failed pass stop the
 * passes (runner.settled() returns), not the transfers already queued: those are waited for,
 * except after a failed pass, which ends the run at once.
 */
async function settle(runner: PairRunner): Promise<PairStatus> {
  for (;;) {
    const status = await runner.settled();
    if (status.counters.filesPending === 0 || ['paused', 'error'].includes(status.state))
      return status;
    await new Promise<void>((resolve) => runner.once('status', () => resolve()));
  }
}

async function drive(
  request: SyncRequest,
  context: EngineRun,
  flags: TransferFlags,
  output: Output,
): Promise<number> {
  const { runtime, dataDir } = context;
  const { engine, store, sync } = runtime;
  checkQueueAccount(dataDir, context.fingerprint, activeCount(store.counts()));
  const hint = dataDirHint(flags.dataDir, dataDir);
  const manager = new SyncManager(
    { sync, jobs: store, engine, remote: runtime.remote, crc: runtime.crc, dataDir },
    // One-shot: the start pass only (it lists the bucket), no periodic rescans.
    request.watch ? { watch: true, backend: request.backend } : { watch: false, rescanMs: 0 },
  );

  let chosen: PairConfig[];
  try {
    chosen = await request.select({ manager, sync, remote: runtime.remote, output });
  } catch (error) {
    throw pairSettingError(error);
  }
  const pairs = chosen.filter((pair) => !pair.paused);
  for (const pair of chosen)
    if (pair.paused)
      output.err(
        `${pairName(pair)} is paused${request.named ? '' : ', skipped'}: ossync pairs resume ${pair.id}${hint} to sync it again`,
      );
  if (pairs.length === 0) return request.named && chosen.length > 0 ? EXIT.failed : EXIT.ok;

  const display = new SyncDisplay(output, pairs, request.watch, hint);
  const interrupts = trapInterrupts({
    onFirst: () =>
      display.note(
        request.watch
          ? 'stopping (Ctrl+C again to quit at once)'
          : 'interrupting: stopping the sync (Ctrl+C again to quit at once)',
      ),
    onAgain: () =>
      output.err(
        'ossync: interrupted again: quitting now; the queue resumes from its last saved state',
      ),
  });
  const onJob = display.onJob.bind(display);
  engine.on('job', onJob);
  engine.on('progress', (snapshot) => display.onProgress(snapshot));
  engine.on('connectivity', (state) =>
    display.note(connectivityNote(state, context.endpoint, 'the next ossync sync goes on')),
  );
  manager.on('status', (status) => display.onStatus(status));

  const marks = new Map<number, ConflictMark>(
    pairs.map((pair) => [pair.id, conflictMark(sync, pair.id)]),
  );
  const settled = new Map<number, PairStatus>();
  const started = performance.now();
  let fatal: unknown;
  try {
    for (const pair of pairs) {
      if (interrupts.signal.aborted) break;
      try {
        await abortOrphanUploads(engine, pair.bucket, pair.prefix, (text) => display.note(text));
      } catch (error) {
        // Not this run's failure: the pair's pass meets the same problem and reports it.
        display.note(
          `pair ${pair.id}: unfinished multipart uploads were not cleaned up (${errorText(error)})`,
        );
      }
    }
    if (!interrupts.signal.aborted) {
      engine.start();
      if (request.watch)
        for (const pair of pairs) display.note(`watching ${pairName(pair)}; Ctrl+C stops`, 'out');
      await manager.start(pairs.map((pair) => pair.id));
    }
    if (request.watch) await interrupts.stopped;
    else if (!interrupts.signal.aborted)
      await Promise.race([
        Promise.all(
          pairs.map(async (pair) => {
            const runner = manager.runner(pair.id);
            if (runner) settled.set(pair.id, await settle(runner));
          }),
        ),
        interrupts.stopped,
      ]);
  } catch (error) {
    fatal = error;
  } finally {
    interrupts.dispose();
  }

  // Passes stop where they are; running transfers go back to the queue with their parts.
  await manager.stop();
  await engine.stop();
  engine.off('job', onJob);
  display.close();
  const queued = pairs.reduce((sum, pair) => sum + store.pairPending(pair.id).files, 0);

  if (fatal !== undefined) {
    output.err(`ossync: ${errorText(fatal)}`);
    if (queued > 0) output.err(`${files(queued)} queued: the next ossync sync goes on with them`);
    return EXIT.failed;
  }
  if (request.watch) {
    for (const pair of pairs) {
      const parts = describeTally(display.tally(pair.id)).join(', ');
      output.out(
        `stopped watching ${pairName(pair)}${parts === '' ? '' : `: ${parts} during this run`}`,
      );
    }
    if (queued > 0) output.err(`${files(queued)} queued: the next ossync sync goes on with them`);
    return EXIT.ok;
  }
  if (interrupts.signal.aborted) {
    output.err(
      queued > 0
        ? `interrupted: ${files(queued)} queued; run the same command to go on`
        : 'interrupted',
    );
    return EXIT.interrupted;
  }

  const seconds = (performance.now() - started) / 1000;
  let clean = true;
  for (const pair of pairs) {
    const ok = reportPair(
      output,
      { sync, jobs: store },
      {
        pair: sync.getPair(pair.id) ?? pair,
        status: settled.get(pair.id),
        tally: display.tally(pair.id),
        conflicts: marks.get(pair.id) ?? { lastId: 0, count: 0 },
        seconds,
        hint,
      },
    );
    clean &&= ok;
  }
  return clean ? EXIT.ok : EXIT.failed;
}
