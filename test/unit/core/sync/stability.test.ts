import { describe, expect, it } from 'vitest';
import { StabilityGate } from '../../../../main/core/sync/stability.js';

/** A clock the test sets by hand (the gate only reads it). */
function clockAt(start: number) {
  let time = start;
  return {
    now: () => time,
    set: (ms: number) => {
      time = ms;
    },
  };
}

const ns = (ms: number): bigint => BigInt(ms) * 1_000_000n;

describe('StabilityGate', () => {
  it('lets a file through at once when its mtime is older than the window', () => {
    const clock = clockAt(100_000);
    const gate = new StabilityGate({ now: clock.now });
    expect(gate.check('old.txt', 10, ns(99_000))).toBeUndefined();
    expect(gate.check('older.txt', 10, ns(1))).toBeUndefined();
    expect(gate.size).toBe(0);
  });

  it('defers a file written just now until its mtime is a window old', () => {
    const clock = clockAt(100_000);
    const gate = new StabilityGate({ now: clock.now });
    expect(gate.check('new.txt', 10, ns(99_700))).toBe(100_700);
    clock.set(100_699);
    expect(gate.check('new.txt', 10, ns(99_700))).toBe(100_700);
    clock.set(100_700);
    expect(gate.check('new.txt', 10, ns(99_700))).toBeUndefined();
    expect(gate.size).toBe(0); // forgotten once stable
  });

  it('restarts the window whenever size or mtime change (a file being copied in)', () => {
    const clock = clockAt(0);
    const gate = new StabilityGate({ now: clock.now });
    let size = 0;
    for (let t = 0; t <= 5000; t += 500) {
      clock.set(t);
      size += 4096;
      // mtime follows the writes
      expect(gate.check('big.iso', size, ns(t))).toBe(t + 1000);
    }
    clock.set(5600); // still within a window of the last write
    expect(gate.check('big.iso', size, ns(5000))).toBe(6000);
    clock.set(6000);
    expect(gate.check('big.iso', size, ns(5000))).toBeUndefined();
  });

  it('a size change alone (same coarse mtime) restarts the window', () => {
    const clock = clockAt(10_000);
    const gate = new StabilityGate({ now: clock.now });
    expect(gate.check('f', 1, ns(9_800))).toBe(10_800);
    clock.set(10_500);
    expect(gate.check('f', 2, ns(9_800))).toBe(10_800); // mtime rule still answers first
    clock.set(10_800);
    expect(gate.check('f', 2, ns(9_800))).toBeUndefined();
  });

  it('a future mtime (clock skew) is stable once the same size and mtime were seen a window ago', () => {
    const clock = clockAt(50_000);
    const gate = new StabilityGate({ now: clock.now });
    const future = ns(3_600_000); // an hour ahead
    expect(gate.check('skewed.txt', 5, future)).toBe(51_000);
    clock.set(50_999);
    expect(gate.check('skewed.txt', 5, future)).toBe(51_000);
    clock.set(51_000);
    expect(gate.check('skewed.txt', 5, future)).toBeUndefined();
  });

  it('with a future mtime, a change restarts the observation window', () => {
    const clock = clockAt(50_000);
    const gate = new StabilityGate({ now: clock.now });
    gate.check('f', 5, ns(3_600_000));
    clock.set(50_900);
    expect(gate.check('f', 6, ns(3_600_001))).toBe(51_900);
    clock.set(51_500);
    expect(gate.check('f', 6, ns(3_600_001))).toBe(51_900);
    clock.set(51_900);
    expect(gate.check('f', 6, ns(3_600_001))).toBeUndefined();
  });

  it('honours a custom window', () => {
    const clock = clockAt(10_000);
    const gate = new StabilityGate({ now: clock.now, windowMs: 3000 });
    expect(gate.windowMs).toBe(3000);
    expect(gate.check('f', 1, ns(9_000))).toBe(12_000);
    clock.set(12_000);
    expect(gate.check('f', 1, ns(9_000))).toBeUndefined();
  });

  it('a window of 0 lets everything through that is not in the future', () => {
    const clock = clockAt(10_000);
    const gate = new StabilityGate({ now: clock.now, windowMs: 0 });
    expect(gate.check('f', 1, ns(10_000))).toBeUndefined();
    expect(gate.check('g', 1, ns(20_000))).toBe(10_000);
    expect(gate.check('g', 1, ns(20_000))).toBeUndefined();
  });

  it('restarts rather than waits when the clock went back', () => {
    const clock = clockAt(1_000_000);
    const gate = new StabilityGate({ now: clock.now });
    gate.check('f', 1, ns(5_000_000));
    clock.set(500_000);
    expect(gate.check('f', 1, ns(5_000_000))).toBe(501_000);
  });

  it('forget() drops a path; the next check starts over', () => {
    const clock = clockAt(100_000);
    const gate = new StabilityGate({ now: clock.now });
    gate.check('f', 1, ns(200_000));
    clock.set(100_900);
    gate.forget('f');
    expect(gate.size).toBe(0);
    clock.set(101_000);
    expect(gate.check('f', 1, ns(200_000))).toBe(102_000);
  });

  it('forgets entries not asked about for forgetAfterMs', () => {
    const clock = clockAt(0);
    const gate = new StabilityGate({ now: clock.now, forgetAfterMs: 10_000 });
    for (let i = 0; i < 100; i += 1) gate.check(`abandoned-${i}`, 1, ns(0));
    clock.set(5_000);
    gate.check('recent', 1, ns(10_000_000));
    expect(gate.size).toBe(101);
    clock.set(10_000);
    gate.check('another', 1, ns(10_000_000));
    expect(gate.size).toBe(2); // the abandoned ones are gone, 'recent' stays
    clock.set(15_000);
    gate.check('third', 1, ns(10_000_000)); // 'recent' was last asked at 5,000
    expect(gate.size).toBe(2); // 'another' and 'third'
  });

  it('keeps at most maxEntries, dropping the least recently asked', () => {
    const clock = clockAt(0);
    const gate = new StabilityGate({ now: clock.now, maxEntries: 3 });
    const future = ns(1_000_000);
    gate.check('a', 1, future);
    gate.check('b', 1, future);
    gate.check('c', 1, future);
    clock.set(500);
    gate.check('a', 1, future); // a is now the most recent
    gate.check('d', 1, future); // b goes
    expect(gate.size).toBe(3);
    clock.set(1000);
    expect(gate.check('a', 1, future)).toBeUndefined(); // kept its first observation
    expect(gate.check('b', 1, future)).toBe(2000); // starts over
  });

  it('stays small over many files that each become stable', () => {
    const clock = clockAt(0);
    const gate = new StabilityGate({ now: clock.now });
    for (let i = 0; i < 10_000; i += 1) {
      clock.set(i);
      gate.check(`f${i}`, 1, ns(i));
    }
    clock.set(20_000);
    for (let i = 0; i < 10_000; i += 1) expect(gate.check(`f${i}`, 1, ns(i))).toBeUndefined();
    expect(gate.size).toBe(0);
  });

  it('rejects nonsensical options', () => {
    expect(() => new StabilityGate({ windowMs: -1 })).toThrow(RangeError);
    expect(() => new StabilityGate({ maxEntries: 0 })).toThrow(RangeError);
  });
});
