import { describe, expect, it } from 'vitest';
import { CoreError, isCoreError } from '../../../../main/core/errors.js';
import {
  OfflineMonitor,
  type Connectivity,
  type OfflineMonitorOptions,
} from '../../../../main/core/transfer/offline-monitor.js';
import { manualClock } from '../../../helpers/manual-clock.js';

const network = (): CoreError => new CoreError('network', 'socket hang up');
const serverError = (): CoreError =>
  new CoreError('server-error', 'InternalError', { status: 500 });

function setup(options: Partial<OfflineMonitorOptions> = {}) {
  const clock = manualClock();
  const probes: number[] = [];
  let answer: () => Promise<void> = () => Promise.reject(network());
  const monitor = new OfflineMonitor({
    probe: () => {
      probes.push(clock.now());
      return answer();
    },
    random: () => 0.5,
    ...clock,
    ...options,
  });
  const changes: Connectivity[] = [];
  monitor.onChange((state) => changes.push(state));
  return {
    clock,
    monitor,
    probes,
    changes,
    answer: (next: () => Promise<void>) => {
      answer = next;
    },
  };
}

describe('OfflineMonitor', () => {
  it('goes offline after `threshold` consecutive unreachable failures', () => {
    const { monitor, changes, clock } = setup();
    for (let i = 0; i < 4; i += 1) monitor.recordFailure(network());
    expect(monitor.state).toBe('online');
    monitor.recordSuccess(); // resets the count
    for (let i = 0; i < 4; i += 1) monitor.recordFailure(new CoreError('timeout', 'timeout'));
    expect(monitor.state).toBe('online');
    monitor.recordFailure(network());
    expect(monitor.state).toBe('offline');
    expect(changes).toEqual(['offline']);
    monitor.recordFailure(network()); // already offline: no second event
    expect(changes).toEqual(['offline']);
    expect(clock.pending()).toBe(1); // the first probe
    monitor.close();
  });

  it('never counts an error that is not about reachability', () => {
    const { monitor } = setup({ threshold: 2 });
    for (let i = 0; i < 10; i += 1) monitor.recordFailure(serverError());
    for (let i = 0; i < 10; i += 1)
      monitor.recordFailure(new CoreError('access-denied', 'AccessDenied', { status: 403 }));
    expect(monitor.state).toBe('online');
    // An answer from OSS, even an error, proves the endpoint is reachable: the streak ends.
    monitor.recordFailure(network());
    monitor.recordFailure(serverError());
    monitor.recordFailure(network());
    expect(monitor.state).toBe('online');
    // A local error says nothing either way: the streak goes on.
    monitor.recordFailure(new CoreError('disk-full', 'ENOSPC'));
    monitor.recordFailure(network());
    expect(monitor.state).toBe('offline');
    monitor.close();
  });

  it('probes with growing, jittered delays until a probe succeeds, then goes online', async () => {
    const { monitor, clock, probes, changes, answer } = setup();
    for (let i = 0; i < 5; i += 1) monitor.recordFailure(network());
    let online = false;
    void monitor.whenOnline().then(() => (online = true));
    await clock.advance(60_000);
    // equal jitter with random() = 0.5: 3/4 of each cap; caps 1 s, 2 s, 4 s ... 30 s
    const gaps = probes.map((at, i) => at - (probes[i - 1] ?? 0));
    expect(gaps).toEqual([750, 1500, 3000, 6000, 12_000, 22_500]);
    expect(monitor.state).toBe('offline');
    expect(online).toBe(false);

    answer(() => Promise.resolve());
    await clock.advance(22_500);
    expect(probes).toHaveLength(7);
    expect(monitor.state).toBe('online');
    expect(changes).toEqual(['offline', 'online']);
    expect(online).toBe(true);
    expect(clock.pending()).toBe(0);

    // the next offline spell starts its schedule over
    probes.length = 0;
    answer(() => Promise.reject(network()));
    for (let i = 0; i < 5; i += 1) monitor.recordFailure(network());
    await clock.advance(750);
    expect(probes).toEqual([clock.now()]);
    monitor.close();
  });

  it('jitters with the injected random', async () => {
    const gapsWith = async (random: () => number): Promise<number[]> => {
      const { monitor, clock, probes } = setup({ random, threshold: 1 });
      monitor.recordFailure(network());
      await clock.advance(10_000);
      monitor.close();
      return probes.map((at, i) => at - (probes[i - 1] ?? 0));
    };
    expect(await gapsWith(() => 0)).toEqual([500, 1000, 2000, 4000]);
    expect(await gapsWith(() => 0.999)).toEqual([1000, 1999, 3998]);
  });

  it('counts a probe that gets any answer other than unreachable as online', async () => {
    const { monitor, clock, answer } = setup({ threshold: 1 });
    answer(() => Promise.reject(new CoreError('access-denied', 'AccessDenied', { status: 403 })));
    monitor.recordFailure(network());
    await clock.advance(750);
    expect(monitor.state).toBe('online');
    monitor.close();
  });

  it('goes online on recordSuccess, cancelling the probe schedule and a running probe', async () => {
    const { monitor, clock, probes, changes } = setup({ threshold: 1 });
    let probeSignal: AbortSignal | undefined;
    const monitorWithSignal = new OfflineMonitor({
      probe: (signal) => {
        probeSignal = signal;
        return new Promise<void>(() => {}); // hangs until aborted
      },
      threshold: 1,
      ...clock,
    });
    monitorWithSignal.recordFailure(network());
    await clock.advance(1000);
    expect(probeSignal?.aborted).toBe(false);
    monitorWithSignal.recordSuccess();
    expect(monitorWithSignal.state).toBe('online');
    expect(probeSignal?.aborted).toBe(true);
    expect(isCoreError(probeSignal?.reason) && probeSignal.reason.code).toBe('cancelled');
    monitorWithSignal.close();

    monitor.recordFailure(network());
    expect(clock.pending()).toBe(1);
    monitor.recordSuccess();
    expect(clock.pending()).toBe(0);
    expect(changes).toEqual(['offline', 'online']);
    await clock.advance(60_000);
    expect(probes).toEqual([]);
    monitor.close();
  });

  it('whenOnline: resolves at once while online, rejects on abort and on close', async () => {
    const { monitor } = setup({ threshold: 1 });
    await expect(monitor.whenOnline()).resolves.toBeUndefined();
    monitor.recordFailure(network());

    const controller = new AbortController();
    const aborted = monitor.whenOnline(controller.signal);
    const reason = new Error('user cancelled');
    controller.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    await expect(monitor.whenOnline(controller.signal)).rejects.toBe(reason);

    const pending = monitor.whenOnline();
    monitor.close();
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    await expect(monitor.whenOnline()).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('lets listeners unsubscribe', () => {
    const { monitor, changes } = setup({ threshold: 1 });
    const other: Connectivity[] = [];
    const unsubscribe = monitor.onChange((state) => other.push(state));
    monitor.recordFailure(network());
    unsubscribe();
    monitor.recordSuccess();
    expect(other).toEqual(['offline']);
    expect(changes).toEqual(['offline', 'online']);
    monitor.close();
  });

  it('does nothing after close', async () => {
    const { monitor, clock, probes } = setup({ threshold: 1 });
    monitor.close();
    monitor.recordFailure(network());
    expect(monitor.state).toBe('online');
    await clock.advance(10_000);
    expect(probes).toEqual([]);
  });
});
