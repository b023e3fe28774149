/**
 * What `ossync sync` shows while it runs. Each finished transfer of a pair is a plain line
 * (`uploaded 12 B photos/a.jpg`, `trashed photos/b.jpg -> photos/.ossync-trash/...`); with
 * --watch, each change of a pair's state is one too (`pair 1: syncing 3 files (1.20 MB)`).
 * On a terminal the status line of ProgressDisplay sums up the pairs (files, bytes, speed),
 * a one-shot sync prints only problems above it, and a watch prints the notable states
 * (error, offline, waiting for confirmation) and every finished transfer.
 */
import type { Job } from '../core/db/job-types.js';
import { TRASH_DIR } from '../core/sync/special-keys.js';
import type { PairConfig, PairState, PairStatus } from '../core/sync/types.js';
import type { ProgressSnapshot } from '../core/transfer/progress.js';
import { formatBytes } from './byte-size.js';
import type { Output } from './output.js';
import { emptyTotals, jobLine, ProgressDisplay } from './progress-display.js';

/** What the jobs of one pair did during this run. */
export interface PairTally {
  uploaded: number;
  /** Server-side copies of a renamed file (backup keeps the old object). */
  copied: number;
  /** Renames in mirror: copied, then the old object deleted. */
  moved: number;
  deleted: number;
  /** Moved under the pair's trash prefix. */
  trashed: number;
  failed: number;
  /** Bytes uploaded. */
  bytes: number;
}

type Outcome = Exclude<keyof PairTally, 'failed' | 'bytes'>;

function emptyTally(): PairTally {
  return { uploaded: 0, copied: 0, moved: 0, deleted: 0, trashed: 0, failed: 0, bytes: 0 };
}

/** `3 uploaded`, `1 moved to the trash`, ...: what the tally holds, nothing for zeros. */
export function describeTally(tally: PairTally): string[] {
  const parts: [number, string][] = [
    [tally.uploaded, 'uploaded'],
    [tally.copied, 'copied'],
    [tally.moved, 'moved'],
    [tally.trashed, 'moved to the trash'],
    [tally.deleted, 'deleted'],
    [tally.failed, 'failed'],
  ];
  return parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
}

/** `1 file`, `3 files`: `n` and the noun, plural unless one (`plural` for the irregular). */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

export function files(n: number): string {
  return count(n, 'file');
}

/** What a finished job of `pair` did, by the shape of the job. */
function outcomeOf(job: Job, pair: PairConfig): Outcome {
  switch (job.kind) {
    // Backup and mirror never download; a two-way mode would add its own outcome.
    case 'upload':
    case 'download':
      return 'uploaded';
    case 'delete':
      return 'deleted';
    case 'copy':
      if (job.deleteSource && job.key.startsWith(`${pair.prefix}${TRASH_DIR}/`)) return 'trashed';
      return job.deleteSource ? 'moved' : 'copied';
  }
}

/** The plain line for a finished job of a pair. */
function doneLine(job: Job, outcome: Outcome): string {
  switch (outcome) {
    case 'uploaded':
      return `uploaded ${formatBytes(job.size ?? 0)} ${job.key}`;
    case 'deleted':
      return `deleted ${job.key}`;
    case 'trashed':
    case 'moved':
    case 'copied':
      return `${outcome} ${job.sourceKey ?? '?'} -> ${job.key}`;
  }
}

/** Notable states get a line of their own even on a terminal. */
const NOTABLE: readonly PairState[] = ['error', 'offline', 'paused', 'waiting-for-confirmation'];

/** The state of a pair in words, with what to do about it. */
function stateText(status: PairStatus, hint: string): string {
  const { pair, counters } = status;
  switch (status.state) {
    case 'idle':
      return 'idle';
    case 'scanning':
      return 'scanning';
    case 'syncing':
      return `syncing ${files(counters.filesPending)} (${formatBytes(counters.bytesPending)})`;
    case 'paused':
      return `paused (ossync pairs resume ${pair.id}${hint})`;
    case 'offline':
      return 'offline: waiting for the endpoint to answer again';
    case 'error':
      return `error: ${status.detail ?? 'unknown error'}`;
    case 'waiting-for-confirmation':
      return `waiting for confirmation: ${count(counters.deletesAwaiting, 'deletion')} held back by the delete guard, nothing deleted; stop this command, then run ossync pairs confirm ${pair.id}${hint} to carry them out, or ossync pairs reject ${pair.id}${hint} to keep the objects`;
  }
}

function watchingText(status: PairStatus): string | undefined {
  switch (status.watching) {
    case 'events':
      return 'watching for changes';
    case 'polling':
      return 'watching for changes (polling)';
    case 'periodic-scan':
      return status.detail ?? 'watching failed; scanning periodically instead';
    case 'off':
      return undefined;
  }
}

export class SyncDisplay {
  private readonly progress: ProgressDisplay;
  private readonly pairs = new Map<number, PairConfig>();
  private readonly tallies = new Map<number, PairTally>();
  private readonly shown = new Map<
    number,
    { state: PairState; detail: string | null; watching: string | undefined }
  >();
  private readonly pending = new Map<number, { files: number; bytes: number }>();
  private readonly scanning = new Set<number>();

  constructor(
    private readonly output: Output,
    pairs: readonly PairConfig[],
    private readonly watch: boolean,
    /** ` --data-dir "..."` for the hints, when the command was given one. */
    private readonly hint: string,
  ) {
    for (const pair of pairs) {
      this.pairs.set(pair.id, pair);
      this.tallies.set(pair.id, emptyTally());
    }
    this.progress = new ProgressDisplay({ output, batch: undefined, totals: emptyTotals() });
  }

  tally(pairId: number): PairTally {
    return this.tallies.get(pairId) ?? emptyTally();
  }

  onJob(job: Job): void {
    const pair = job.pair ? this.pairs.get(job.pair.pairId) : undefined;
    const tally = pair && this.tallies.get(pair.id);
    if (!pair || !tally) return;
    const totals = this.progress.totals;
    if (job.state === 'done') {
      const outcome = outcomeOf(job, pair);
      tally[outcome]++;
      if (outcome === 'uploaded') {
        tally.bytes += job.size ?? 0;
        totals.bytesFinished += job.size ?? 0;
      }
      totals.filesDone++;
      if (this.watch || !this.output.tty) this.progress.note(doneLine(job, outcome), 'out');
    } else if (job.state === 'failed') {
      tally.failed++;
      totals.filesFailed++;
    }
    const pending = this.pending.get(pair.id);
    if (pending && (job.state === 'done' || job.state === 'failed')) {
      // Until the pair's next status (a quarter second at most) says so itself.
      pending.files = Math.max(0, pending.files - 1);
      pending.bytes = Math.max(0, pending.bytes - (job.size ?? 0));
    }
    const line = job.state === 'done' ? undefined : jobLine(job, Date.now());
    if (line) this.progress.note(line.text, line.stream);
    this.redraw();
  }

  onProgress(snapshot: ProgressSnapshot): void {
    this.progress.onProgress(snapshot);
  }

  onStatus(status: PairStatus): void {
    const id = status.pair.id;
    if (!this.pairs.has(id)) return;
    this.pending.set(id, {
      files: status.counters.filesPending,
      bytes: status.counters.bytesPending,
    });
    if (status.state === 'scanning') this.scanning.add(id);
    else this.scanning.delete(id);
    this.redraw();
    if (!this.watch) return;
    const before = this.shown.get(id);
    const watching = watchingText(status);
    this.shown.set(id, { state: status.state, detail: status.detail, watching });
    // A change of state, not of its numbers: "syncing 3 files" then "syncing 2 files" is none.
    const changed =
      before?.state !== status.state ||
      (status.state === 'error' && before.detail !== status.detail);
    const wasNotable = before !== undefined && NOTABLE.includes(before.state);
    if (
      changed &&
      (!this.output.tty ||
        NOTABLE.includes(status.state) ||
        (status.state === 'idle' && wasNotable))
    )
      this.progress.note(
        `pair ${id}: ${stateText(status, this.hint)}`,
        status.state === 'error' ? 'err' : 'out',
      );
    if (watching !== undefined && watching !== before?.watching)
      this.progress.note(
        `pair ${id}: ${watching}`,
        status.watching === 'periodic-scan' ? 'err' : 'out',
      );
  }

  note(text: string, stream: 'out' | 'err' = 'err'): void {
    this.progress.note(text, stream);
  }

  close(): void {
    this.progress.close();
  }

  private redraw(): void {
    const totals = this.progress.totals;
    let files = 0;
    let bytes = 0;
    for (const pending of this.pending.values()) {
      files += pending.files;
      bytes += pending.bytes;
    }
    totals.filesTotal = totals.filesDone + totals.filesFailed + files;
    totals.bytesTotal = totals.bytesFinished + bytes;
    // setScanning also redraws the status line (at most four times a second).
    this.progress.setScanning(this.scanning.size > 0);
  }
}
