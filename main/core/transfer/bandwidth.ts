import { Transform, type TransformCallback } from 'node:stream';

/**
 * A token bucket shared by every transfer of one direction. Waiters queue FIFO, so a
 * transfer that asks first passes first and a small request cannot overtake a big one that
 * is already waiting. The rate can change at any time; waiting transfers follow it.
 */

export interface BandwidthLimiterOptions {
  /** 0 or undefined: unlimited. */
  bytesPerSecond?: number;
  /** Monotonic clock in ms; injectable so tests replay. */
  now?: () => number;
  /** Bucket size as time at the current rate: how much an idle bucket lets through at once. */
  burstMs?: number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

interface Waiter {
  bytes: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const DEFAULT_BURST_MS = 100;
// A slice holds the bucket for about this long, whatever the rate: short enough that two
// transfers interleave smoothly, long enough that a fast link is not sliced into crumbs.
const SLICE_MS = 20;
const MIN_SLICE_BYTES = 1024;
const MAX_SLICE_BYTES = 1024 * 1024;
// Waking up for less is wasted work at high rates: the refill after a longer nap lets several
// slices through at once, and the bucket (burstMs) keeps what accrues meanwhile.
const MIN_WAIT_MS = 4;

export class BandwidthLimiter {
  #rate: number | undefined;
  readonly #burstMs: number;
  readonly #now: () => number;
  readonly #setTimer: (callback: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  #capacity = 0;
  #tokens = 0;
  #refilledAt = 0;
  readonly #queue: Waiter[] = [];
  #timer: unknown = undefined;
  readonly #pump = (): void => {
    this.#timer = undefined;
    this.#drain();
  };

  constructor(options: BandwidthLimiterOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.#clearTimer =
      options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
    const burstMs = options.burstMs ?? DEFAULT_BURST_MS;
    if (!(burstMs > 0) || !Number.isFinite(burstMs))
      throw new RangeError(`burstMs must be a positive number, got ${burstMs}`);
    this.#burstMs = burstMs;
    this.setRate(options.bytesPerSecond);
  }

  get bytesPerSecond(): number | undefined {
    return this.#rate;
  }

  /** Changes the rate now, for waiting transfers too. 0 or undefined: unlimited. */
  setRate(bytesPerSecond: number | undefined): void {
    if (bytesPerSecond !== undefined && (Number.isNaN(bytesPerSecond) || bytesPerSecond < 0))
      throw new RangeError(`bytesPerSecond must be >= 0, got ${bytesPerSecond}`);
    const rate =
      bytesPerSecond === undefined || bytesPerSecond === 0 || bytesPerSecond === Infinity
        ? undefined
        : bytesPerSecond;
    const now = this.#now();
    if (this.#rate === undefined) {
      // Coming from unlimited: start with a full bucket, as an idle limiter would have.
      this.#tokens = rate === undefined ? 0 : (rate * this.#burstMs) / 1000;
    } else {
      this.#refill(now); // what accrued so far accrued at the old rate
    }
    this.#rate = rate;
    this.#refilledAt = now;
    this.#capacity = rate === undefined ? 0 : (rate * this.#burstMs) / 1000;
    this.#tokens = Math.min(this.#tokens, this.#capacity);
    this.#drain();
  }

  /**
   * Resolves when `bytes` may pass. FIFO between callers. Rejects with `signal.reason` when
   * the signal aborts while waiting (the bytes are then not taken).
   */
  take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (!(bytes >= 0) || !Number.isFinite(bytes))
      return Promise.reject(new RangeError(`bytes must be a finite number >= 0, got ${bytes}`));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#tryTake(bytes)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { bytes, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const at = this.#queue.indexOf(waiter);
          if (at === -1) return;
          this.#queue.splice(at, 1);
          reject(abortReason(signal));
          if (at === 0) this.#drain(); // the timer was sized for this waiter
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      if (this.#queue.length === 1) this.#drain();
    });
  }

  /**
   * A pass-through stream that takes every chunk from the bucket, in slices so one transfer
   * cannot hold the queue for long. While unlimited, chunks go straight through: no timer,
   * no promise. Destroying the stream gives up its place in the queue. `onBytes` (progress)
   * is told of every chunk or slice as it passes, so no separate counting stream is needed.
   */
  throttle(onBytes?: (bytes: number) => void): Transform {
    // Made on first wait only: most streams never wait (unlimited), and an AbortController
    // made and aborted per stream is a measurable part of a small file's cost.
    let abort: AbortController | undefined;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the Transform's methods get their own `this`
    const limiter = this;
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        if (limiter.#rate === undefined) {
          onBytes?.(chunk.length);
          callback(null, chunk);
          return;
        }
        abort ??= new AbortController();
        limiter.#pass(this, chunk, abort.signal, callback, onBytes);
      },
      destroy(error, callback) {
        abort?.abort(error ?? new Error('The throttled stream was destroyed'));
        callback(error);
      },
    });
  }

  #pass(
    stream: Transform,
    chunk: Buffer,
    signal: AbortSignal,
    callback: TransformCallback,
    onBytes: ((bytes: number) => void) | undefined,
  ): void {
    let offset = 0;
    const push = (part: Buffer): void => {
      onBytes?.(part.length);
      stream.push(part);
    };
    const step = (): void => {
      while (offset < chunk.length) {
        if (this.#rate === undefined) {
          push(offset === 0 ? chunk : chunk.subarray(offset));
          break;
        }
        const part = chunk.subarray(offset, offset + this.#sliceBytes());
        offset += part.length;
        // Synchronous while the bucket has tokens: a promise only when we must wait.
        if (!this.#tryTake(part.length)) {
          this.take(part.length, signal).then(
            () => {
              push(part);
              step();
            },
            (error: unknown) => {
              if (!stream.destroyed) callback(error as Error);
            },
          );
          return;
        }
        push(part);
      }
      callback();
    };
    step();
  }

  #sliceBytes(): number {
    const rate = this.#rate ?? 0;
    return Math.min(MAX_SLICE_BYTES, Math.max(MIN_SLICE_BYTES, (rate * SLICE_MS) / 1000)) | 0;
  }

  #refill(now: number): void {
    if (this.#rate === undefined) return;
    const elapsed = Math.max(0, now - this.#refilledAt);
    this.#refilledAt = now;
    this.#tokens = Math.min(this.#capacity, this.#tokens + (elapsed * this.#rate) / 1000);
  }

  /**
   * Takes at once if nobody waits and the bucket allows it. A request bigger than the bucket
   * waits for a full bucket and leaves it in debt, which later requests wait off: the
   * long-run rate stays exact and big requests never starve.
   */
  #tryTake(bytes: number): boolean {
    if (this.#rate === undefined) return true;
    if (this.#queue.length > 0) return false;
    this.#refill(this.#now());
    if (this.#tokens < Math.min(bytes, this.#capacity)) return false;
    this.#tokens -= bytes;
    return true;
  }

  /** Lets through as many waiters as the bucket allows, then sleeps until the next fits. */
  #drain(): void {
    if (this.#timer !== undefined) {
      this.#clearTimer(this.#timer);
      this.#timer = undefined;
    }
    const rate = this.#rate;
    if (rate !== undefined) this.#refill(this.#now());
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (rate !== undefined) {
        const deficit = Math.min(head.bytes, this.#capacity) - this.#tokens;
        if (deficit > 0) {
          const waitMs = Math.max(
            Math.ceil((deficit * 1000) / rate),
            Math.min(MIN_WAIT_MS, this.#burstMs),
          );
          this.#timer = this.#setTimer(this.#pump, waitMs);
          return;
        }
        this.#tokens -= head.bytes;
      }
      this.#queue.shift();
      if (head.onAbort !== undefined) head.signal?.removeEventListener('abort', head.onAbort);
      head.resolve();
    }
  }
}

// Rejects with the signal's own reason, as Node's APIs do, so the caller can tell its aborts
// apart; typed Error because a reason is one in practice (AbortError or the caller's own).
function abortReason(signal: AbortSignal): Error {
  return signal.reason as Error;
}
