/**
 * Byte-level progress per job and in total, with speed and ETA, coalesced into at most one
 * event per interval.
 *
 * Speed is a sliding window: bytes moved in the last SPEED_WINDOW_MS divided by that time
 * (or by the time since the counter started, when younger). A window, unlike an EWMA, says
 * plainly what the number means, follows a rate change within a known time, and reaches
 * exactly 0 once a stalled stream has been quiet for the whole window, which is when the
 * tracker can stop ticking. Samples are taken at each tick, so add() only bumps counters.
 *
 * Only positive add() counts toward speed: set() and a negative add() move bytesDone (a
 * resume skipping ahead, a retry rewinding) without changing what crossed the wire.
 *
 * Totals cover the current batch: the jobs started since the tracker was last idle (no
 * active job), finished ones included, so an overall bar does not run backwards each time a
 * job completes. A job finished before its last byte (failed, cancelled) leaves the batch;
 * it comes back when it starts again.
 */

export interface JobProgress {
  jobId: number;
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  etaSeconds: number | undefined;
}

export interface ProgressSnapshot {
  jobs: JobProgress[];
  totalBytesDone: number;
  totalBytesTotal: number;
  uploadBytesPerSecond: number;
  downloadBytesPerSecond: number;
  etaSeconds: number | undefined;
}

export type TransferDirection = 'up' | 'down';

export interface ProgressTrackerOptions {
  emit: (snapshot: ProgressSnapshot) => void;
  /** Minimum time between two events; default 250 ms (at most 4 events/s). */
  intervalMs?: number;
  /** Monotonic clock in ms; injectable so tests replay. */
  now?: () => number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export const SPEED_WINDOW_MS = 5000;
const DEFAULT_INTERVAL_MS = 250;

/** A ring of (time, cumulative bytes) samples; the rate is read over the last window. */
class RateWindow {
  readonly #times: Float64Array;
  readonly #counts: Float64Array;
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#times = new Float64Array(capacity);
    this.#counts = new Float64Array(capacity);
  }

  record(time: number, count: number): void {
    this.#times[this.#next] = time;
    this.#counts[this.#next] = count;
    this.#next = (this.#next + 1) % this.#times.length;
    if (this.#size < this.#times.length) this.#size += 1;
  }

  /** Bytes per second between the count at `time - windowMs` (interpolated) and `count` now. */
  rate(time: number, count: number, windowMs: number): number {
    const from = time - windowMs;
    let newerTime = time;
    let newerCount = count;
    const length = this.#times.length;
    for (let i = 1; i <= this.#size; i += 1) {
      const at = (this.#next - i + length) % length;
      const sampleTime = this.#times[at]!;
      const sampleCount = this.#counts[at]!;
      if (sampleTime <= from) {
        const base =
          newerTime === sampleTime
            ? sampleCount
            : sampleCount +
              ((newerCount - sampleCount) * (from - sampleTime)) / (newerTime - sampleTime);
        return ((count - base) * 1000) / windowMs;
      }
      newerTime = sampleTime;
      newerCount = sampleCount;
    }
    // The counter is younger than the window: measure from its first sample.
    const span = time - newerTime;
    return span > 0 ? ((count - newerCount) * 1000) / span : 0;
  }
}

interface JobState {
  readonly jobId: number;
  readonly direction: TransferDirection;
  bytesDone: number;
  readonly bytesTotal: number;
  /** Bytes that crossed the wire (add() only), for speed. */
  moved: number;
  readonly window: RateWindow;
}

export class ProgressTracker {
  readonly #emit: (snapshot: ProgressSnapshot) => void;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #setTimer: (callback: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  readonly #windowCapacity: number;
  readonly #jobs = new Map<number, JobState>();
  #activeDone = 0;
  #activeTotal = 0;
  #finishedBytes = 0; // of jobs completed in this batch (done = total for them)
  #movedUp = 0;
  #movedDown = 0;
  readonly #upWindow: RateWindow;
  readonly #downWindow: RateWindow;
  #timer: unknown = undefined;
  #lastTickAt = -Infinity;
  #dirty = false;
  /** The last event showed a non-zero speed, so the next tick has news even if no byte moved. */
  #lastMoving = false;
  #closed = false;
  readonly #tick = (): void => {
    this.#timer = undefined;
    this.#onTick();
  };

  constructor(options: ProgressTrackerOptions) {
    this.#emit = options.emit;
    this.#intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    if (!(this.#intervalMs > 0) || !Number.isFinite(this.#intervalMs))
      throw new RangeError(`intervalMs must be a positive number, got ${options.intervalMs}`);
    this.#now = options.now ?? (() => performance.now());
    this.#setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.#clearTimer =
      options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
    // One sample per tick over the window, plus room for the wake-up samples.
    this.#windowCapacity = Math.ceil(SPEED_WINDOW_MS / this.#intervalMs) + 4;
    this.#upWindow = new RateWindow(this.#windowCapacity);
    this.#downWindow = new RateWindow(this.#windowCapacity);
    const now = this.#now();
    this.#upWindow.record(now, 0);
    this.#downWindow.record(now, 0);
  }

  start(jobId: number, direction: TransferDirection, bytesTotal: number, bytesDone = 0): void {
    this.#wake();
    if (this.#jobs.has(jobId)) this.#remove(jobId);
    if (this.#jobs.size === 0) this.#finishedBytes = 0; // a new batch
    const window = new RateWindow(this.#windowCapacity);
    window.record(this.#now(), 0);
    this.#jobs.set(jobId, { jobId, direction, bytesDone, bytesTotal, moved: 0, window });
    this.#activeDone += bytesDone;
    this.#activeTotal += bytesTotal;
  }

  /**
   * Hot path: bytes that just crossed the wire. Negative bytes take back what a failed
   * attempt counted: bytesDone only, since those bytes did cross the wire (the speed stays
   * true). Bytes of an unknown job are ignored.
   */
  add(jobId: number, bytes: number): void {
    const job = this.#jobs.get(jobId);
    // Late bytes after finish() (a stream flushing as it is torn down) change nothing.
    if (job === undefined) return;
    this.#dirty = true;
    if (this.#timer === undefined) this.#wake();
    job.bytesDone += bytes;
    this.#activeDone += bytes;
    if (bytes <= 0) return;
    job.moved += bytes;
    if (job.direction === 'up') this.#movedUp += bytes;
    else this.#movedDown += bytes;
  }

  /** Moves bytesDone without counting toward speed (a resume, a retry rewinding). */
  set(jobId: number, bytesDone: number): void {
    const job = this.#jobs.get(jobId);
    if (job === undefined) return;
    this.#wake();
    this.#activeDone += bytesDone - job.bytesDone;
    job.bytesDone = bytesDone;
  }

  finish(jobId: number): void {
    const job = this.#jobs.get(jobId);
    if (job === undefined) return;
    this.#wake();
    this.#remove(jobId);
    if (job.bytesDone >= job.bytesTotal) this.#finishedBytes += job.bytesTotal;
  }

  snapshot(): ProgressSnapshot {
    const now = this.#now();
    const jobs: JobProgress[] = [];
    for (const job of this.#jobs.values()) {
      const bytesPerSecond = Math.max(0, job.window.rate(now, job.moved, SPEED_WINDOW_MS));
      jobs.push({
        jobId: job.jobId,
        bytesDone: job.bytesDone,
        bytesTotal: job.bytesTotal,
        bytesPerSecond: Math.round(bytesPerSecond),
        etaSeconds: eta(job.bytesTotal - job.bytesDone, bytesPerSecond),
      });
    }
    const up = Math.max(0, this.#upWindow.rate(now, this.#movedUp, SPEED_WINDOW_MS));
    const down = Math.max(0, this.#downWindow.rate(now, this.#movedDown, SPEED_WINDOW_MS));
    const totalBytesDone = this.#finishedBytes + this.#activeDone;
    const totalBytesTotal = this.#finishedBytes + this.#activeTotal;
    return {
      jobs,
      totalBytesDone,
      totalBytesTotal,
      uploadBytesPerSecond: Math.round(up),
      downloadBytesPerSecond: Math.round(down),
      etaSeconds:
        this.#jobs.size === 0 ? undefined : eta(totalBytesTotal - totalBytesDone, up + down),
    };
  }

  /** Emits what is still pending, then stops; later calls update numbers but emit nothing. */
  close(): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) {
      this.#clearTimer(this.#timer);
      this.#timer = undefined;
    }
    this.#closed = true;
    if (this.#dirty) {
      this.#dirty = false;
      this.#emit(this.snapshot());
    }
  }

  #remove(jobId: number): void {
    const job = this.#jobs.get(jobId)!;
    this.#jobs.delete(jobId);
    this.#activeDone -= job.bytesDone;
    this.#activeTotal -= job.bytesTotal;
  }

  /** Marks a change and makes sure a tick is coming. */
  #wake(): void {
    this.#dirty = true;
    if (this.#timer !== undefined || this.#closed) return;
    // Sampling stopped while nothing moved: pin the flat stretch so the window sees it.
    const now = this.#now();
    this.#sample(now);
    this.#timer = this.#setTimer(
      this.#tick,
      Math.max(0, this.#lastTickAt + this.#intervalMs - now),
    );
  }

  #sample(now: number): void {
    this.#upWindow.record(now, this.#movedUp);
    this.#downWindow.record(now, this.#movedDown);
    for (const job of this.#jobs.values()) job.window.record(now, job.moved);
  }

  #onTick(): void {
    const now = this.#now();
    this.#lastTickAt = now;
    this.#sample(now);
    const snapshot = this.snapshot();
    const moving =
      snapshot.uploadBytesPerSecond > 0 ||
      snapshot.downloadBytesPerSecond > 0 ||
      snapshot.jobs.some((job) => job.bytesPerSecond > 0);
    if (this.#dirty || this.#lastMoving) {
      this.#dirty = false;
      this.#lastMoving = moving;
      this.#emit(snapshot);
    }
    // Keep ticking while speeds are still falling toward 0; then sleep until the next change.
    // (emit may have called back into the tracker and scheduled one already)
    if (moving && !this.#closed && this.#timer === undefined)
      this.#timer = this.#setTimer(this.#tick, this.#intervalMs);
  }
}

function eta(remainingBytes: number, bytesPerSecond: number): number | undefined {
  if (remainingBytes <= 0) return 0;
  return bytesPerSecond > 0 ? Math.ceil(remainingBytes / bytesPerSecond) : undefined;
}
