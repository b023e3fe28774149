// The live stores: writes coalesce into one flush per frame, only changed keys notify,
// and several stores share one frame.
import { describe, expect, it, vi } from 'vitest';
import { KeyedStore, sharedFrame, type Scheduler } from '../../../renderer/src/live/keyed-store.js';
import { jobKey, LiveTransfers } from '../../../renderer/src/live/live-transfers.js';

function manual() {
  const callbacks = new Map<number, () => void>();
  let next = 1;
  const scheduler: Scheduler = {
    request: (callback) => {
      callbacks.set(next, callback);
      next += 1;
      return next - 1;
    },
    cancel: (handle) => void callbacks.delete(handle),
  };
  const run = () => {
    const due = [...callbacks.values()];
    callbacks.clear();
    for (const callback of due) callback();
  };
  return { scheduler, run, pending: () => callbacks.size };
}

describe('KeyedStore', () => {
  it('applies writes at the next frame, the last write per key winning', () => {
    const frames = manual();
    const store = new KeyedStore<string, number>((a, b) => a === b, frames.scheduler);
    const a = vi.fn();
    const b = vi.fn();
    store.subscribe('a', a);
    store.subscribe('b', b);
    store.set('a', 1);
    store.set('a', 2);
    store.set('a', 3);
    expect(store.get('a')).toBeUndefined();
    expect(frames.pending()).toBe(1);
    frames.run();
    expect(store.get('a')).toBe(3);
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).not.toHaveBeenCalled();
  });

  it('does not notify when the value is equal to the current one', () => {
    const frames = manual();
    const store = new KeyedStore<string, { n: number }>((x, y) => x.n === y.n, frames.scheduler);
    const listener = vi.fn();
    const all = vi.fn();
    store.subscribe('k', listener);
    store.subscribeAll(all);
    store.set('k', { n: 1 });
    frames.run();
    const first = store.get('k');
    store.set('k', { n: 1 });
    frames.run();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(all).toHaveBeenCalledTimes(1);
    expect(store.get('k')).toBe(first); // same object: useSyncExternalStore sees no change
  });

  it('stops notifying after unsubscribe', () => {
    const frames = manual();
    const store = new KeyedStore<string, number>((a, b) => a === b, frames.scheduler);
    const listener = vi.fn();
    const off = store.subscribe('k', listener);
    off();
    store.set('k', 1);
    frames.run();
    expect(listener).not.toHaveBeenCalled();
  });
});

describe('sharedFrame', () => {
  it('runs every request made before a frame in that one frame', () => {
    const frames = manual();
    const shared = sharedFrame(frames.scheduler);
    const one = vi.fn();
    const two = vi.fn();
    shared.request(one);
    const handle = shared.request(two);
    expect(frames.pending()).toBe(1);
    shared.cancel(handle);
    frames.run();
    expect(one).toHaveBeenCalledTimes(1);
    expect(two).not.toHaveBeenCalled();
  });
});

describe('LiveTransfers', () => {
  it('keeps progress per (account, job) and sums speeds over accounts in one frame', () => {
    const frames = manual();
    const live = new LiveTransfers(frames.scheduler);
    const snapshot = (accountId: number, up: number) => ({
      accountId,
      jobs: [{ jobId: 7, bytesDone: 10, bytesTotal: 20, bytesPerSecond: up, etaSeconds: 1 }],
      totalBytesDone: 10,
      totalBytesTotal: 20,
      uploadBytesPerSecond: up,
      downloadBytesPerSecond: 5,
      etaSeconds: 1,
    });
    expect(live.speeds()).toEqual({ upload: 0, download: 0, reported: false });
    live.applyProgress(snapshot(1, 100));
    live.applyProgress(snapshot(2, 50));
    expect(frames.pending()).toBe(1);
    frames.run();
    expect(live.progress.get(jobKey(1, 7))?.bytesPerSecond).toBe(100);
    expect(live.progress.get(jobKey(2, 7))?.bytesPerSecond).toBe(50);
    const speeds = live.speeds();
    expect(speeds).toEqual({ upload: 150, download: 10, reported: true });
    expect(live.speeds()).toBe(speeds);
  });
});
