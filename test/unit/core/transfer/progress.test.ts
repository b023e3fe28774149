import { describe, expect, it } from 'vitest';
import {
  ProgressTracker,
  SPEED_WINDOW_MS,
  type ProgressSnapshot,
} from '../../../../main/core/transfer/progress.js';
import { manualClock } from '../../../helpers/manual-clock.js';

function setup(intervalMs?: number) {
  const clock = manualClock();
  const emits: ProgressSnapshot[] = [];
  const tracker = new ProgressTracker({
    emit: (snapshot) => emits.push(snapshot),
    ...clock,
    ...(intervalMs === undefined ? {} : { intervalMs }),
  });
  return { clock, emits, tracker, last: () => emits.at(-1)! };
}

/** `bytesPerSecond` in steps of 10 ms for `ms`. */
async function stream(
  tracker: ProgressTracker,
  clock: ReturnType<typeof manualClock>,
  jobId: number,
  bytesPerSecond: number,
  ms: number,
): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    tracker.add(jobId, bytesPerSecond / 100);
    await clock.advance(10);
  }
}

describe('ProgressTracker', () => {
  it('coalesces 100,000 add() calls into a handful of events, the final state included', async () => {
    const { clock, emits, tracker, last } = setup();
    tracker.start(1, 'up', 10_000_000);
    for (let i = 0; i < 100_000; i += 1) {
      tracker.add(1, 100);
      if (i % 1000 === 999) await clock.advance(10); // 1 s in all
    }
    await clock.advance(250);
    expect(emits.length).toBeGreaterThanOrEqual(4);
    expect(emits.length).toBeLessThanOrEqual(6); // 250 ms apart over ~1.25 s
    expect(last().jobs).toEqual([
      expect.objectContaining({ jobId: 1, bytesDone: 10_000_000, bytesTotal: 10_000_000 }),
    ]);

    tracker.finish(1);
    await clock.advance(250);
    expect(last()).toMatchObject({ jobs: [], totalBytesDone: 10_000_000 });
    expect(last().totalBytesTotal).toBe(10_000_000);
    tracker.close();
  });

  it('emits at most once per interval and nothing while nothing changes', async () => {
    const { clock, emits, tracker } = setup(1000);
    tracker.start(1, 'down', 1000);
    await clock.advance(0);
    expect(emits).toHaveLength(1); // leading edge: the start shows at once
    tracker.set(1, 100);
    tracker.set(1, 200);
    await clock.advance(999);
    expect(emits).toHaveLength(1);
    await clock.advance(1);
    expect(emits).toHaveLength(2);
    expect(emits[1]!.jobs[0]!.bytesDone).toBe(200);
    await clock.advance(60_000);
    expect(emits).toHaveLength(2);
    expect(clock.pending()).toBe(0); // asleep until the next change
    tracker.close();
  });

  it('reports speed and ETA of a steady stream, and follows a change within the window', async () => {
    const { clock, tracker, last } = setup();
    tracker.start(7, 'down', 20_000_000);
    await stream(tracker, clock, 7, 1_000_000, 6000);
    let job = last().jobs[0]!;
    expect(job.bytesDone).toBe(6_000_000);
    expect(job.bytesPerSecond).toBeGreaterThan(990_000);
    expect(job.bytesPerSecond).toBeLessThan(1_010_000);
    expect(job.etaSeconds).toBe(14);
    expect(last().downloadBytesPerSecond).toBe(job.bytesPerSecond);
    expect(last().uploadBytesPerSecond).toBe(0);
    expect(last().etaSeconds).toBe(14);

    await stream(tracker, clock, 7, 2_000_000, SPEED_WINDOW_MS);
    job = last().jobs[0]!;
    expect(job.bytesPerSecond).toBeGreaterThan(1_980_000);
    expect(job.bytesPerSecond).toBeLessThan(2_020_000);
    expect(job.etaSeconds).toBe(2); // 4 MB left at 2 MB/s
    tracker.close();
  });

  it('lets speed fall to exactly 0 when a stream stalls, then stops ticking', async () => {
    const { clock, tracker, emits, last } = setup();
    tracker.start(1, 'up', 10_000_000);
    await stream(tracker, clock, 1, 1_000_000, 2000);
    await clock.advance(SPEED_WINDOW_MS / 2);
    expect(last().jobs[0]!.bytesPerSecond).toBeGreaterThan(0);
    expect(last().jobs[0]!.bytesPerSecond).toBeLessThan(1_000_000);
    await clock.advance(SPEED_WINDOW_MS);
    expect(last().jobs[0]!).toMatchObject({ bytesPerSecond: 0, etaSeconds: undefined });
    expect(last()).toMatchObject({ uploadBytesPerSecond: 0, etaSeconds: undefined });
    const count = emits.length;
    await clock.advance(60_000);
    expect(emits).toHaveLength(count);
    expect(clock.pending()).toBe(0);

    // waking up after the quiet spell: the quiet time is not averaged into the new rate
    await stream(tracker, clock, 1, 1_000_000, 1000);
    expect(last().jobs[0]!.bytesPerSecond).toBeGreaterThan(190_000); // 1 MB over the 5 s window
    expect(last().jobs[0]!.bytesPerSecond).toBeLessThan(210_000);
    tracker.close();
  });

  it('keeps set() and negative add() out of the speed: they move bytesDone only', async () => {
    const { clock, tracker, last } = setup();
    tracker.start(1, 'up', 1000, 400); // resumed
    await clock.advance(250);
    expect(last()).toMatchObject({ totalBytesDone: 400, totalBytesTotal: 1000 });
    tracker.add(1, 300);
    await clock.advance(250);
    tracker.set(1, 0); // the retry starts over
    await clock.advance(250);
    const job = last().jobs[0]!;
    expect(job.bytesDone).toBe(0);
    expect(job.bytesPerSecond).toBe(400); // 300 bytes in the 0.75 s since start, never negative
    expect(last().totalBytesDone).toBe(0);

    tracker.add(1, 500);
    tracker.add(1, -500); // a failed attempt takes back what it counted
    await clock.advance(250);
    expect(last().jobs[0]!).toMatchObject({ bytesDone: 0, bytesPerSecond: 800 }); // 800 B in 1 s
    tracker.close();
  });

  it('totals the batch: completed jobs stay counted, failed ones leave, idle starts anew', async () => {
    const { clock, tracker, last } = setup();
    tracker.start(1, 'up', 100);
    tracker.start(2, 'down', 300);
    tracker.start(3, 'up', 1000);
    tracker.add(1, 100);
    tracker.add(2, 50);
    tracker.add(3, 10);
    tracker.finish(1); // complete
    tracker.finish(2); // failed half-way
    await clock.advance(250);
    expect(last()).toMatchObject({ totalBytesDone: 110, totalBytesTotal: 1100 });
    expect(last().jobs.map((job) => job.jobId)).toEqual([3]);
    tracker.start(2, 'down', 300); // retried within the batch
    await clock.advance(250);
    expect(last()).toMatchObject({ totalBytesDone: 110, totalBytesTotal: 1400 });
    tracker.set(2, 300);
    tracker.set(3, 1000);
    tracker.finish(2);
    tracker.finish(3);
    await clock.advance(250);
    expect(last()).toMatchObject({ jobs: [], totalBytesDone: 1400, totalBytesTotal: 1400 });
    tracker.start(4, 'up', 10);
    await clock.advance(250);
    expect(last()).toMatchObject({ totalBytesDone: 0, totalBytesTotal: 10 });
    tracker.close();
  });

  it('keeps upload and download speeds apart', async () => {
    const { clock, tracker, last } = setup();
    tracker.start(1, 'up', 1e9);
    tracker.start(2, 'down', 1e9);
    for (let t = 0; t < 6000; t += 10) {
      tracker.add(1, 1000);
      tracker.add(2, 3000);
      await clock.advance(10);
    }
    expect(last().uploadBytesPerSecond).toBeCloseTo(100_000, -3);
    expect(last().downloadBytesPerSecond).toBeCloseTo(300_000, -3);
    tracker.close();
  });

  it('ignores bytes of unknown or finished jobs, and emits what is pending on close', async () => {
    const { clock, tracker, emits, last } = setup();
    tracker.add(99, 100);
    tracker.set(99, 100);
    tracker.finish(99);
    await clock.advance(1000);
    expect(emits).toHaveLength(0);
    tracker.start(1, 'up', 100);
    await clock.advance(250);
    tracker.add(1, 100);
    tracker.close();
    expect(last().jobs[0]!.bytesDone).toBe(100);
    expect(clock.pending()).toBe(0);
    const count = emits.length;
    tracker.add(1, 1);
    await clock.advance(1000);
    expect(emits).toHaveLength(count);
  });
});
