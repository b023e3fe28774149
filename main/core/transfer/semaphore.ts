import { CoreError } from '../errors.js';

/** An async semaphore whose limit can change while holders and waiters exist. FIFO. */
export class Semaphore {
  private held = 0;
  private readonly waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(private limit: number) {}

  setLimit(limit: number): void {
    this.limit = Math.max(1, limit);
    this.drain();
  }

  get size(): number {
    return this.limit;
  }

  get inUse(): number {
    return this.held;
  }

  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw new CoreError('cancelled', 'Stopped before it started.');
    if (this.held < this.limit && this.waiters.length === 0) {
      this.held++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new CoreError('cancelled', 'Stopped while waiting for a transfer slot.'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held--;
      this.drain();
    };
  }

  private drain(): void {
    while (this.held < this.limit && this.waiters.length > 0) {
      this.held++;
      (this.waiters.shift() as { resolve: () => void }).resolve();
    }
  }
}
