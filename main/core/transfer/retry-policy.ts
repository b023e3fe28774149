import { noJitterGenerator, type IExponentialBackoffOptions } from 'cockatiel';
import type { CoreError } from '../errors.js';

/**
 * When to retry a failed job, and after how long.
 *
 * Exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS Architecture
 * Blog): delay = random(0, min(maxDelay, initialDelay * 2^(attempt - 1))), so the first
 * retry waits up to initialDelay. Full jitter spreads the retries of many jobs that failed
 * together (a dropped link fails them all at once) instead of sending them back in waves.
 *
 * The decision is a pure function of (error, attempt, random()): the engine persists the
 * resulting nextAttemptAt and the attempt count, and a restart carries on from them. That is
 * why cockatiel's ExponentialBackoff chains and its jitter generators are not used as they
 * are: a chain keeps its position in memory (lost on restart), fullJitterGenerator calls
 * Math.random (no replay), and decorrelated jitter depends on the previous delay. Only the
 * pure, stateless part fits, noJitterGenerator, which gives the cap for an attempt number.
 */

export type RetryDecision =
  { retry: true; delayMs: number } | { retry: false; reason: 'permanent' | 'attempts-exhausted' };

export interface RetryPolicyOptions {
  /** Attempts in all, the first one included; default 10. */
  maxAttempts?: number;
  /** Cap of the first retry's delay; default 1 s. */
  initialDelayMs?: number;
  /** Cap of every delay (a server's Retry-After may exceed it); default 5 min. */
  maxDelayMs?: number;
  /** [0, 1); injectable so a seeded run replays the same delays. */
  random?: () => number;
}

export class RetryPolicy {
  readonly #maxAttempts: number;
  readonly #random: () => number;
  readonly #backoff: IExponentialBackoffOptions<number>;

  constructor(options: RetryPolicyOptions = {}) {
    const maxAttempts = options.maxAttempts ?? 10;
    if (!(maxAttempts >= 1) || (!Number.isInteger(maxAttempts) && maxAttempts !== Infinity))
      throw new RangeError(`maxAttempts must be an integer >= 1, got ${maxAttempts}`);
    const initialDelay = options.initialDelayMs ?? 1000;
    const maxDelay = options.maxDelayMs ?? 5 * 60_000;
    if (!(initialDelay >= 0) || !(maxDelay >= 0) || !Number.isFinite(maxDelay))
      throw new RangeError('initialDelayMs and maxDelayMs must be finite numbers >= 0');
    this.#maxAttempts = maxAttempts;
    this.#random = options.random ?? Math.random;
    this.#backoff = { generator: noJitterGenerator, initialDelay, maxDelay, exponent: 2 };
  }

  /** `attempt`: how many attempts have failed so far (1 = the first attempt just failed). */
  decide(error: CoreError, attempt: number): RetryDecision {
    if (!Number.isInteger(attempt) || attempt < 1)
      throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
    if (!error.retryable) return { retry: false, reason: 'permanent' };
    if (attempt >= this.#maxAttempts) return { retry: false, reason: 'attempts-exhausted' };
    const [cap] = noJitterGenerator(attempt - 1, this.#backoff);
    const jittered = Math.floor(this.#random() * cap);
    // Retry-After is the server telling us when it can take us again: never earlier.
    return { retry: true, delayMs: Math.max(jittered, error.retryAfterMs ?? 0) };
  }
}
