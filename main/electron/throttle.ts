// A trailing throttle: the first call runs at once, later ones within `intervalMs` are
// folded into one run with the latest value when the interval ends. For tray rebuilds on
// app.statusChanged, which can come many times a second.

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export interface Throttled<T> {
  (value: T): void;
  /** Drops a pending run. */
  cancel(): void;
}

export function throttleLatest<T>(
  fn: (value: T) => void,
  intervalMs: number,
  timers: Timers = realTimers,
): Throttled<T> {
  let lastRun = -Infinity;
  let pending: { value: T } | undefined;
  let handle: unknown;

  const run = (value: T) => {
    lastRun = timers.now();
    fn(value);
  };

  const throttled = ((value: T) => {
    const wait = lastRun + intervalMs - timers.now();
    if (wait <= 0 && handle === undefined) {
      run(value);
      return;
    }
    pending = { value };
    handle ??= timers.setTimeout(
      () => {
        handle = undefined;
        const next = pending;
        pending = undefined;
        if (next !== undefined) run(next.value);
      },
      Math.max(0, wait),
    );
  }) as Throttled<T>;

  throttled.cancel = () => {
    if (handle !== undefined) timers.clearTimeout(handle);
    handle = undefined;
    pending = undefined;
  };
  return throttled;
}
