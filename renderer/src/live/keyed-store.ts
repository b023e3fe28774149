/**
 * A map of values with one listener set per key, written in batches at most once per
 * animation frame. Writes between frames are coalesced (the last one per key wins); at the
 * flush only the keys whose value actually changed notify their listeners, so with
 * useSyncExternalStore a component re-renders only when its own entry changed.
 */
export type Scheduler = {
  request: (callback: () => void) => number;
  cancel: (handle: number) => void;
};

// Reached through globalThis so the node-side typecheck (tests) compiles this file too.
const frames = globalThis as unknown as {
  requestAnimationFrame(callback: () => void): number;
  cancelAnimationFrame(handle: number): void;
};

export const animationFrameScheduler: Scheduler = {
  request: (callback) => frames.requestAnimationFrame(() => callback()),
  cancel: (handle) => frames.cancelAnimationFrame(handle),
};

/**
 * A scheduler that runs every callback requested before the next frame in that one frame,
 * so several stores fed by one event render together.
 */
export function sharedFrame(base: Scheduler): Scheduler {
  const callbacks = new Map<number, () => void>();
  let next = 1;
  let frame: number | null = null;
  const run = () => {
    frame = null;
    const due = [...callbacks.values()];
    callbacks.clear();
    for (const callback of due) callback();
  };
  return {
    request(callback) {
      const handle = next;
      next += 1;
      callbacks.set(handle, callback);
      frame ??= base.request(run);
      return handle;
    },
    cancel(handle) {
      callbacks.delete(handle);
      if (callbacks.size === 0 && frame !== null) {
        base.cancel(frame);
        frame = null;
      }
    },
  };
}

export class KeyedStore<K, V> {
  readonly #values = new Map<K, V>();
  readonly #pending = new Map<K, V>();
  readonly #listeners = new Map<K, Set<() => void>>();
  readonly #anyListeners = new Set<() => void>();
  readonly #equal: (a: V, b: V) => boolean;
  readonly #scheduler: Scheduler;
  #frame: number | null = null;
  /** Bumped at each flush that changed something (for whole-store subscribers). */
  #version = 0;

  constructor(equal: (a: V, b: V) => boolean, scheduler: Scheduler = animationFrameScheduler) {
    this.#equal = equal;
    this.#scheduler = scheduler;
  }

  get(key: K): V | undefined {
    return this.#values.get(key);
  }

  size(): number {
    return this.#values.size;
  }

  values(): IterableIterator<V> {
    return this.#values.values();
  }

  version(): number {
    return this.#version;
  }

  /** Queues a value; it becomes visible at the next frame. */
  set(key: K, value: V): void {
    this.#pending.set(key, value);
    if (this.#frame === null) this.#frame = this.#scheduler.request(() => this.flush());
  }

  /** Applies the queued values now and notifies the keys that changed. */
  flush(): void {
    if (this.#frame !== null) this.#scheduler.cancel(this.#frame);
    this.#frame = null;
    if (this.#pending.size === 0) return;
    const changed: K[] = [];
    for (const [key, value] of this.#pending) {
      const old = this.#values.get(key);
      if (old !== undefined && this.#equal(old, value)) continue;
      this.#values.set(key, value);
      changed.push(key);
    }
    this.#pending.clear();
    if (changed.length === 0) return;
    this.#version += 1;
    for (const key of changed) {
      const listeners = this.#listeners.get(key);
      if (listeners) for (const listener of [...listeners]) listener();
    }
    for (const listener of [...this.#anyListeners]) listener();
  }

  subscribe(key: K, listener: () => void): () => void {
    let listeners = this.#listeners.get(key);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(key, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.#listeners.delete(key);
    };
  }

  /** Called after each flush that changed any key. */
  subscribeAll(listener: () => void): () => void {
    this.#anyListeners.add(listener);
    return () => {
      this.#anyListeners.delete(listener);
    };
  }

  dispose(): void {
    if (this.#frame !== null) this.#scheduler.cancel(this.#frame);
    this.#frame = null;
    this.#pending.clear();
  }
}
