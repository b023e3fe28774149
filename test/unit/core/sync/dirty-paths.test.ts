import { describe, expect, it } from 'vitest';
import { DirtyPaths, type DirtyPathsOptions } from '../../../../main/core/sync/dirty-paths.js';
import { manualClock } from '../../../helpers/manual-clock.js';

function setup(options: Partial<DirtyPathsOptions> = {}) {
  const clock = manualClock();
  const flushes: { at: number; scopes: string[] }[] = [];
  const dirty = new DirtyPaths({
    onFlush: (scopes) => flushes.push({ at: clock.now(), scopes }),
    ...clock,
    ...options,
  });
  return { clock, dirty, flushes };
}

const range = (count: number, name: (i: number) => string): string[] =>
  Array.from({ length: count }, (_, i) => name(i));

describe('DirtyPaths', () => {
  it('flushes once, debounceMs after the last event, de-duplicated and sorted', async () => {
    const { clock, dirty, flushes } = setup();
    dirty.add(['b.txt', 'a.txt']);
    await clock.advance(60);
    dirty.add(['a.txt', 'c/d.txt']);
    await clock.advance(99);
    expect(flushes).toEqual([]);
    await clock.advance(1);
    expect(flushes).toEqual([{ at: 160, scopes: ['a.txt', 'b.txt', 'c/d.txt'] }]);
    expect(dirty.size).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('never waits more than maxDelayMs after the first event of a batch', async () => {
    const { clock, dirty, flushes } = setup();
    for (let i = 0; i < 30; i += 1) {
      dirty.add([`f${i}`]);
      await clock.advance(50); // a steady trickle, never 100 ms quiet
    }
    expect(flushes.map((flush) => flush.at)).toEqual([1000]);
    expect(flushes[0]!.scopes).toHaveLength(20);
    // The next batch starts its own clock at its first event.
    await clock.advance(200);
    expect(flushes.map((flush) => flush.at)).toEqual([1000, 1450 + 100]);
  });

  it('honours custom debounce and max delay', async () => {
    const { clock, dirty, flushes } = setup({ debounceMs: 10, maxDelayMs: 25 });
    dirty.add(['x']);
    await clock.advance(9);
    dirty.add(['y']);
    await clock.advance(9);
    dirty.add(['z']);
    await clock.advance(7);
    expect(flushes).toEqual([{ at: 25, scopes: ['x', 'y', 'z'] }]);
  });

  it('covers a path under a dirty folder, and a folder replaces the paths under it', async () => {
    const { clock, dirty, flushes } = setup();
    dirty.add(['docs/a.txt', 'docs/sub/b.txt', 'docsx/c.txt', 'other.txt']);
    expect(dirty.size).toBe(4);
    dirty.add(['docs']);
    expect(dirty.size).toBe(3);
    dirty.add(['docs/sub/new.txt', 'docs']);
    expect(dirty.size).toBe(3);
    await clock.advance(100);
    expect(flushes[0]!.scopes).toEqual(['docs', 'docsx/c.txt', 'other.txt']);
  });

  it("'' is the whole tree and covers everything", async () => {
    const { clock, dirty, flushes } = setup();
    dirty.add(['a/b', 'c']);
    dirty.add(['']);
    dirty.add(['d/e']);
    expect(dirty.size).toBe(1);
    await clock.advance(100);
    expect(flushes[0]!.scopes).toEqual(['']);
  });

  it('collapses more than the threshold of dirty entries in one folder to the folder', () => {
    const { dirty } = setup({ collapseThreshold: 256 });
    dirty.add(range(256, (i) => `photos/2024/img${i}.jpg`));
    dirty.add(['notes.txt']);
    expect(dirty.size).toBe(257);
    dirty.add(['photos/2024/one-more.jpg']);
    expect(dirty.flush()).toEqual(['notes.txt', 'photos/2024']);
  });

  it('counts subfolders holding dirty paths as entries of their folder', () => {
    const { dirty } = setup({ collapseThreshold: 4 });
    dirty.add(range(5, (i) => `data/d${i}/file.bin`));
    expect(dirty.flush()).toEqual(['data']);
    // Entries of different folders do not add up.
    dirty.add([...range(4, (i) => `a/f${i}`), ...range(4, (i) => `b/f${i}`)]);
    expect(dirty.size).toBe(8);
  });

  it('collapses to the whole tree past maxPaths scopes', () => {
    const { dirty } = setup({ collapseThreshold: 10, maxPaths: 50 });
    dirty.add(range(50, (i) => `d${i % 10}/f${Math.floor(i / 10)}`));
    expect(dirty.size).toBe(50);
    dirty.add(['d0/another']);
    expect(dirty.flush()).toEqual(['']);
  });

  it('handles a burst of 2,000 events in one folder as one scope', async () => {
    const { clock, dirty, flushes } = setup();
    for (let i = 0; i < 2000; i += 1) dirty.add([`inbox/file-${i}.txt`]);
    expect(dirty.size).toBe(1);
    await clock.advance(100);
    expect(flushes).toEqual([{ at: 100, scopes: ['inbox'] }]);
  });

  it('sorts by code point (UTF-8 byte) order, not UTF-16 units', () => {
    const { dirty } = setup();
    // U+FF21 (fullwidth A) < U+1F600 (emoji) in UTF-8, but not in UTF-16 units.
    dirty.add(['\u{1F600}.txt', '\uFF21.txt', 'a/b', 'a-b', 'Z']);
    expect(dirty.flush()).toEqual(['Z', 'a-b', 'a/b', '\uFF21.txt', '\u{1F600}.txt']);
  });

  it('tolerates stray slashes', () => {
    const { dirty } = setup();
    dirty.add(['/a//b/', 'a/b']);
    expect(dirty.flush()).toEqual(['a/b']);
  });

  it('flush() takes the batch early and cancels the timer; close() drops and stops', async () => {
    const { clock, dirty, flushes } = setup();
    dirty.add(['a']);
    expect(dirty.flush()).toEqual(['a']);
    expect(clock.pending()).toBe(0);
    await clock.advance(2000);
    expect(flushes).toEqual([]);
    expect(dirty.flush()).toEqual([]);

    dirty.add(['b']);
    dirty.close();
    dirty.add(['c']);
    await clock.advance(2000);
    expect(flushes).toEqual([]);
    expect(clock.pending()).toBe(0);
  });

  it('restarts the debounce for events covered by a pending folder (activity goes on)', async () => {
    const { clock, dirty, flushes } = setup();
    dirty.add(['dir']);
    await clock.advance(80);
    dirty.add(['dir/x']);
    await clock.advance(80);
    expect(flushes).toEqual([]);
    await clock.advance(20);
    expect(flushes).toEqual([{ at: 180, scopes: ['dir'] }]);
  });

  it('rejects nonsensical options', () => {
    expect(() => new DirtyPaths({ collapseThreshold: 0 })).toThrow(RangeError);
    expect(() => new DirtyPaths({ debounceMs: -1 })).toThrow(RangeError);
    expect(() => new DirtyPaths({ maxPaths: 1.5 })).toThrow(RangeError);
  });
});
