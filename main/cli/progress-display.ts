/**
 * What a transfer command shows while it runs. On a terminal: one status line, redrawn at
 * most four times a second from the engine's progress snapshots (files done/total, bytes,
 * speed, ETA), with failures printed above it. Elsewhere (a pipe, a log file, CI): one plain
 * line per finished or failed job, nothing that needs a terminal to read.
 *
 * The formatting is pure (statusLine, jobLine); ProgressDisplay only decides when to draw.
 */
import type { Job } from '../core/db/job-types.js';
import type { ProgressSnapshot } from '../core/transfer/progress.js';
import { formatBytes } from './byte-size.js';
import { printable, type Output } from './output.js';

/** The batch as the command knows it: what it queued and what has finished. */
export interface BatchTotals {
  filesTotal: number;
  filesDone: number;
  filesFailed: number;
  bytesTotal: number;
  /** Bytes of the files already done (in-flight bytes come from the snapshot). */
  bytesFinished: number;
  /** Still walking the folders or listing the bucket: the totals are still growing. */
  scanning: boolean;
}

export function emptyTotals(): BatchTotals {
  return {
    filesTotal: 0,
    filesDone: 0,
    filesFailed: 0,
    bytesTotal: 0,
    bytesFinished: 0,
    scanning: false,
  };
}

/** `45s`, `2m13s`, `1h02m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const hours = Math.floor(s / 3600);
  return `${hours}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** The status line for a terminal, cut to `width` columns (a wrapped line cannot be redrawn). */
export function statusLine(
  totals: BatchTotals,
  snapshot: ProgressSnapshot | undefined,
  width: number,
): string {
  const inFlight = snapshot?.jobs.reduce((sum, job) => sum + job.bytesDone, 0) ?? 0;
  const bytesDone = Math.min(totals.bytesTotal, totals.bytesFinished + inFlight);
  const speed = snapshot ? snapshot.uploadBytesPerSecond + snapshot.downloadBytesPerSecond : 0;
  const finished = totals.filesDone + totals.filesFailed;
  const parts = [
    `${finished}/${totals.filesTotal}${totals.scanning ? '+' : ''} files`,
    `${formatBytes(bytesDone)} of ${formatBytes(totals.bytesTotal)}${totals.scanning ? '+' : ''}`,
    formatRate(speed),
  ];
  if (totals.scanning) parts.push('scanning');
  else {
    const remaining = totals.bytesTotal - bytesDone;
    parts.push(
      remaining <= 0 ? 'ETA 0s' : speed > 0 ? `ETA ${formatDuration(remaining / speed)}` : 'ETA --',
    );
  }
  if (totals.filesFailed > 0) parts.push(`${totals.filesFailed} failed`);
  const line = parts.join('  ');
  const max = Math.max(10, width - 1);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `code: message (request id X)`, the way every failure is reported. */
export function describeError(error: {
  code: string;
  message: string;
  requestId?: string;
}): string {
  const request = error.requestId === undefined ? '' : ` (request id ${error.requestId})`;
  return `${error.code}: ${error.message}${request}`;
}

export interface JobLine {
  stream: 'out' | 'err';
  text: string;
}

/** The plain line for a job that reached `done`, `failed` or `waiting-retry`; else undefined. */
export function jobLine(job: Job, now: number): JobLine | undefined {
  const key = printable(job.key);
  switch (job.state) {
    case 'done': {
      const verb =
        job.kind === 'upload'
          ? 'uploaded'
          : job.kind === 'download'
            ? 'downloaded'
            : job.kind === 'delete'
              ? 'deleted'
              : 'copied';
      const size = job.size === null || job.kind === 'delete' ? '' : `${formatBytes(job.size)} `;
      return { stream: 'out', text: `${verb} ${size}${key}` };
    }
    case 'failed':
      return {
        stream: 'err',
        text: `failed ${key}: ${job.error ? describeError(job.error) : 'unknown error'}`,
      };
    case 'waiting-retry': {
      const wait = Math.max(0, job.nextAttemptAt - now) / 1000;
      const why = job.error ? `: ${describeError(job.error)}` : '';
      return {
        stream: 'err',
        text: `retrying ${key} in ${formatDuration(wait)} (attempt ${job.attempts} failed)${why}`,
      };
    }
    case 'queued':
    case 'running':
    case 'paused':
    case 'cancelled':
      return undefined;
  }
}

export interface ProgressDisplayOptions {
  output: Output;
  /** Only jobs of this batch are counted and reported (undefined: every job). */
  batch: string | undefined;
  totals: BatchTotals;
  /** Minimum time between two redraws of the status line; default 250 ms. */
  intervalMs?: number;
  now?: () => number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class ProgressDisplay {
  readonly totals: BatchTotals;
  private readonly output: Output;
  private readonly batch: string | undefined;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private snapshot: ProgressSnapshot | undefined;
  private lastDrawAt = -Infinity;
  private timer: unknown = undefined;
  /** The status line currently on screen, if any. */
  private shown = false;
  private closed = false;

  constructor(options: ProgressDisplayOptions) {
    this.output = options.output;
    this.batch = options.batch;
    this.totals = options.totals;
    this.intervalMs = options.intervalMs ?? 250;
    this.now = options.now ?? Date.now;
    this.setTimer =
      options.setTimer ??
      ((callback, ms) => {
        const handle = setTimeout(callback, ms);
        handle.unref();
        return handle;
      });
    this.clearTimer =
      options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  /** The command queued more files (the walk or listing goes on). */
  added(files: number, bytes: number): void {
    this.totals.filesTotal += files;
    this.totals.bytesTotal += bytes;
    this.changed();
  }

  setScanning(scanning: boolean): void {
    this.totals.scanning = scanning;
    this.changed();
  }

  onJob(job: Job): void {
    if ((this.batch !== undefined && job.batch !== this.batch) || this.closed) return;
    if (job.state === 'done') {
      this.totals.filesDone++;
      this.totals.bytesFinished += job.size ?? 0;
    } else if (job.state === 'failed') {
      this.totals.filesFailed++;
    }
    if (job.state !== 'running' && this.snapshot) {
      // The last snapshot predates this: its bytes now count as finished (or not at all).
      const jobs = this.snapshot.jobs.filter((entry) => entry.jobId !== job.id);
      this.snapshot = { ...this.snapshot, jobs };
    }
    const line = jobLine(job, this.now());
    // On a terminal the status line counts finished files; only problems get a line of their own.
    if (line && (!this.output.tty || line.stream === 'err')) this.print(line);
    this.changed();
  }

  onProgress(snapshot: ProgressSnapshot): void {
    this.snapshot = snapshot;
    this.changed();
  }

  /** A line of its own (a warning, a skipped file), above the status line on a terminal. */
  note(text: string, stream: 'out' | 'err' = 'err'): void {
    this.print({ stream, text });
  }

  /** Removes the status line for good; later events print nothing more. */
  close(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
    this.erase();
    this.closed = true;
  }

  private print(line: JobLine): void {
    this.erase();
    if (line.stream === 'out') this.output.out(line.text);
    else this.output.err(line.text);
    // Redrawn within the same limit as progress: a burst of failures is not a burst of redraws.
    this.changed();
  }

  private changed(): void {
    if (!this.output.tty || this.closed || this.timer !== undefined) return;
    const wait = this.lastDrawAt + this.intervalMs - this.now();
    if (wait <= 0) this.draw();
    else
      this.timer = this.setTimer(() => {
        this.timer = undefined;
        if (!this.closed) this.draw();
      }, wait);
  }

  private draw(): void {
    this.lastDrawAt = this.now();
    const line = statusLine(this.totals, this.snapshot, this.output.columns());
    this.output.raw(`\r${line}\x1b[K`);
    this.shown = true;
  }

  private erase(): void {
    if (!this.shown) return;
    this.output.raw('\r\x1b[K');
    this.shown = false;
  }
}
