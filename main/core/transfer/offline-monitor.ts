import { ExponentialBackoff, noJitterGenerator, type GeneratorFn, type IBackoff } from 'cockatiel';
import { CoreError, isCoreError } from '../errors.js';

/**
 * Tells whether the endpoint can be reached. After `threshold` consecutive unreachable
 * failures (network, timeout) across all jobs it goes offline: the engine then stops
 * starting transfers (it waits on whenOnline) so no job burns its attempts against a dead
 * link, and the monitor alone probes, with backoff, until the endpoint answers.
 *
 * Evidence of reachability is any answer from the endpoint: a success, and also an OSS
 * error (it has an HTTP status). Local errors (disk full, file changed) say nothing either
 * way and are ignored.
 */

export type Connectivity = 'online' | 'offline';

export interface OfflineMonitorOptions {
  /**
   * A cheap request; throws an unreachable CoreError (network, timeout) while the endpoint
   * cannot be reached. Any other outcome, another error included, counts as an answer. The
   * signal aborts a probe still running when the monitor goes online or closes.
   */
  probe: (signal: AbortSignal) => Promise<void>;
  /** Consecutive unreachable failures that mean offline; default 5. */
  threshold?: number;
  /** Cap of the first probe delay; default 1 s. */
  probeInitialMs?: number;
  /** Cap of every probe delay; default 30 s. */
  probeMaxMs?: number;
  /** [0, 1); injectable so a seeded run replays the same probe times. */
  random?: () => number;
  /** Accepted so every transfer module takes the same clock; the monitor only needs timers. */
  now?: () => number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class OfflineMonitor {
  readonly #probe: (signal: AbortSignal) => Promise<void>;
  readonly #threshold: number;
  readonly #backoff: ExponentialBackoff<number>;
  readonly #setTimer: (callback: () => void, ms: number) => unknown;
  readonly #clearTimer: (handle: unknown) => void;
  #state: Connectivity = 'online';
  #failures = 0;
  /** Position in the probe schedule; the schedule lives only as long as one offline spell. */
  #nextProbe: IBackoff<unknown> | undefined;
  #timer: unknown = undefined;
  #probing: AbortController | undefined;
  readonly #listeners = new Set<(state: Connectivity) => void>();
  readonly #waiters = new Set<Waiter>();
  #closed = false;

  constructor(options: OfflineMonitorOptions) {
    this.#probe = options.probe;
    this.#threshold = options.threshold ?? 5;
    if (!Number.isInteger(this.#threshold) || this.#threshold < 1)
      throw new RangeError(`threshold must be an integer >= 1, got ${options.threshold}`);
    const random = options.random ?? Math.random;
    // Unlike a job's retry schedule this one is never persisted, so cockatiel's in-memory
    // backoff chain fits. Its own jitter generators call Math.random, hence this one: equal
    // jitter, i.e. between half the cap and the cap, so a dead endpoint is not hammered by
    // near-zero delays and many clients still spread out.
    const generator: GeneratorFn<number> = (attempt, backoffOptions) => {
      const [cap, next] = noJitterGenerator(attempt, backoffOptions);
      return [Math.round(cap / 2 + (random() * cap) / 2), next];
    };
    this.#backoff = new ExponentialBackoff({
      generator,
      initialDelay: options.probeInitialMs ?? 1000,
      maxDelay: options.probeMaxMs ?? 30_000,
    });
    this.#setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.#clearTimer =
      options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  get state(): Connectivity {
    return this.#state;
  }

  /** Called on every change of state; returns the function that unsubscribes. */
  onChange(listener: (state: Connectivity) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Any successful request: the endpoint is reachable. */
  recordSuccess(): void {
    if (this.#closed) return;
    this.#failures = 0;
    if (this.#state === 'offline') this.#goOnline();
  }

  recordFailure(error: CoreError): void {
    if (this.#closed) return;
    if (error.unreachable) {
      if (this.#state === 'offline') return; // already known; the probes decide now
      this.#failures += 1;
      if (this.#failures >= this.#threshold) this.#goOffline();
    } else if (error.status !== undefined) {
      this.recordSuccess(); // the endpoint answered, if only with an error
    }
  }

  /** Resolves at once while online, else when back online; rejects with the signal's reason. */
  whenOnline(signal?: AbortSignal): Promise<void> {
    if (this.#state === 'online') return Promise.resolve();
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#closed) return Promise.reject(closedError());
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          if (this.#waiters.delete(waiter)) reject(abortReason(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.add(waiter);
    });
  }

  /** Stops probing; pending whenOnline() calls reject with a `cancelled` CoreError. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopProbing();
    this.#listeners.clear();
    this.#settleWaiters(closedError());
  }

  #goOffline(): void {
    this.#state = 'offline';
    this.#failures = 0;
    this.#nextProbe = this.#backoff.next();
    this.#scheduleProbe();
    this.#notify();
  }

  #goOnline(): void {
    this.#state = 'online';
    this.#failures = 0;
    this.#stopProbing();
    this.#settleWaiters(undefined);
    this.#notify();
  }

  #scheduleProbe(): void {
    const backoff = this.#nextProbe!;
    this.#timer = this.#setTimer(() => {
      this.#timer = undefined;
      this.#runProbe();
    }, backoff.duration);
    this.#nextProbe = backoff.next(undefined);
  }

  #runProbe(): void {
    const controller = new AbortController();
    this.#probing = controller;
    // Through then() so a probe that throws synchronously counts as a rejected one.
    Promise.resolve(controller.signal)
      .then((signal) => this.#probe(signal))
      .then(
        () => this.#onProbeDone(controller, undefined),
        (error: unknown) => this.#onProbeDone(controller, error),
      );
  }

  #onProbeDone(controller: AbortController, error: unknown): void {
    // A probe overtaken by recordSuccess() or close() has nothing more to say.
    if (this.#probing !== controller) return;
    this.#probing = undefined;
    if (isCoreError(error) && error.unreachable) this.#scheduleProbe();
    else this.#goOnline();
  }

  #stopProbing(): void {
    if (this.#timer !== undefined) {
      this.#clearTimer(this.#timer);
      this.#timer = undefined;
    }
    this.#probing?.abort(new CoreError('cancelled', 'The probe is no longer needed'));
    this.#probing = undefined;
    this.#nextProbe = undefined;
  }

  #settleWaiters(error: CoreError | undefined): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) {
      if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }

  #notify(): void {
    const state = this.#state;
    for (const listener of [...this.#listeners]) listener(state);
  }
}

function closedError(): CoreError {
  return new CoreError('cancelled', 'The offline monitor was closed');
}

// Rejects with the signal's own reason, as Node's APIs do, so the caller can tell its aborts
// apart; typed Error because a reason is one in practice (AbortError or the caller's own).
function abortReason(signal: AbortSignal): Error {
  return signal.reason as Error;
}
