// The tray's trailing throttle, on fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttleLatest } from '../../../main/electron/throttle.js';

describe('throttleLatest', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const timers = {
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
  };

  it('runs the first call at once and folds a burst into one trailing run with the latest value', () => {
    const fn = vi.fn();
    const throttled = throttleLatest(fn, 500, timers);
    throttled(1);
    expect(fn.mock.calls).toEqual([[1]]);
    throttled(2);
    throttled(3);
    throttled(4);
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(499);
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(fn.mock.calls).toEqual([[1], [4]]);
    // a call right after the trailing run waits for the next interval
    throttled(5);
    expect(fn).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(500);
    expect(fn.mock.calls).toEqual([[1], [4], [5]]);
    // quiet for long enough: immediate again
    vi.advanceTimersByTime(1000);
    throttled(6);
    expect(fn.mock.calls.at(-1)).toEqual([6]);
  });

  it('cancel drops the pending run', () => {
    const fn = vi.fn();
    const throttled = throttleLatest(fn, 500, timers);
    throttled(1);
    throttled(2);
    throttled.cancel();
    vi.advanceTimersByTime(2000);
    expect(fn.mock.calls).toEqual([[1]]);
  });
});
