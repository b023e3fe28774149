import { describe, expect, it } from 'vitest';
import { formatBytes, parseByteSize } from '../../../main/cli/byte-size.js';
import type { Output } from '../../../main/cli/output.js';
import {
  emptyTotals,
  formatDuration,
  jobLine,
  ProgressDisplay,
  statusLine,
  type BatchTotals,
} from '../../../main/cli/progress-display.js';
import type { Job } from '../../../main/core/db/job-types.js';
import type { ProgressSnapshot } from '../../../main/core/transfer/progress.js';

function job(overrides: Partial<Job>): Job {
  return {
    id: 1,
    kind: 'upload',
    state: 'done',
    batch: 'b1',
    bucket: 'bkt',
    key: 'photos/a.jpg',
    localPath: '/home/me/photos/a.jpg',
    sourceKey: null,
    size: 12_300_000,
    bytesDone: 12_300_000,
    attempts: 1,
    nextAttemptAt: 0,
    error: null,
    uploadId: null,
    partSize: null,
    source: null,
    tempPath: null,
    remoteEtag: null,
    resultEtag: null,
    resultCrc64: null,
    createdAt: 0,
    updatedAt: 0,
    finishedAt: null,
    pair: null,
    deleteSource: false,
    ...overrides,
  };
}

function snapshot(overrides: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return {
    jobs: [],
    totalBytesDone: 0,
    totalBytesTotal: 0,
    uploadBytesPerSecond: 0,
    downloadBytesPerSecond: 0,
    etaSeconds: undefined,
    ...overrides,
  };
}

function totals(overrides: Partial<BatchTotals>): BatchTotals {
  return { ...emptyTotals(), ...overrides };
}

describe('byte sizes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.00 kB'],
    [1234, '1.23 kB'],
    [12_300_000, '12.3 MB'],
    [123_456_789, '123 MB'],
    [999_999, '1.00 MB'],
    [1.5e9, '1.50 GB'],
    [48.8e12, '48.8 TB'],
  ])('formatBytes(%d) = %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    ['1500', 1500],
    ['500k', 500_000],
    ['500K', 500_000],
    ['1.5M', 1_500_000],
    ['2MB', 2_000_000],
    ['8Mi', 8 * 1024 * 1024],
    ['1GiB', 1024 ** 3],
    ['0.5k', 500],
    [' 3 M ', 3_000_000],
  ])('parseByteSize(%j) = %d', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['', 'M', '1.5X', '-1', '1e3', '1,5M', 'ten'])(
    'parseByteSize(%j) is undefined',
    (text) => {
      expect(parseByteSize(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [0.2, '1s'],
    [45, '45s'],
    [60, '1m00s'],
    [133, '2m13s'],
    [3600, '1h00m'],
    [3 * 3600 + 125, '3h02m'],
  ])('%d s -> %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('statusLine', () => {
  it('shows files done/total, bytes with in-flight ones, speed and ETA', () => {
    const line = statusLine(
      totals({ filesTotal: 340, filesDone: 12, bytesTotal: 3.4e9, bytesFinished: 1.1e9 }),
      snapshot({
        jobs: [{ jobId: 7, bytesDone: 0.1e9, bytesTotal: 0.5e9, bytesPerSecond: 0, etaSeconds: 1 }],
        uploadBytesPerSecond: 10e6,
      }),
      200,
    );
    // (3.4 GB - 1.2 GB) / 10 MB/s = 220 s
    expect(line).toBe('12/340 files  1.20 GB of 3.40 GB  10.0 MB/s  ETA 3m40s');
  });

  it('counts failed files as finished and says how many failed', () => {
    const line = statusLine(
      totals({ filesTotal: 3, filesDone: 1, filesFailed: 1, bytesTotal: 300, bytesFinished: 100 }),
      undefined,
      200,
    );
    expect(line).toBe('2/3 files  100 B of 300 B  0 B/s  ETA --  1 failed');
  });

  it('marks growing totals while scanning, without an ETA', () => {
    const line = statusLine(
      totals({ filesTotal: 1000, bytesTotal: 5e6, scanning: true }),
      snapshot({ downloadBytesPerSecond: 1e6 }),
      200,
    );
    expect(line).toBe('0/1000+ files  0 B of 5.00 MB+  1.00 MB/s  scanning');
  });

  it('never shows more bytes done than in total, and ETA 0s at the end', () => {
    const line = statusLine(
      totals({ filesTotal: 1, filesDone: 1, bytesTotal: 100, bytesFinished: 100 }),
      snapshot({
        jobs: [{ jobId: 1, bytesDone: 100, bytesTotal: 100, bytesPerSecond: 0, etaSeconds: 0 }],
      }),
      200,
    );
    expect(line).toBe('1/1 files  100 B of 100 B  0 B/s  ETA 0s');
  });

  it('fits the terminal width (a wrapped line could not be redrawn in place)', () => {
    const line = statusLine(totals({ filesTotal: 340, bytesTotal: 3.4e9 }), undefined, 20);
    expect(line).toHaveLength(19);
    expect(line.endsWith('…')).toBe(true);
  });
});

describe('jobLine', () => {
  it('one plain line per finished job', () => {
    expect(jobLine(job({}), 0)).toEqual({ stream: 'out', text: 'uploaded 12.3 MB photos/a.jpg' });
    expect(jobLine(job({ kind: 'download', size: 5 }), 0)).toEqual({
      stream: 'out',
      text: 'downloaded 5 B photos/a.jpg',
    });
  });

  it('a failed job with its error code, message and request id, on stderr', () => {
    const line = jobLine(
      job({
        state: 'failed',
        error: { code: 'access-denied', message: 'Access denied.', requestId: 'REQ123' },
      }),
      0,
    );
    expect(line).toEqual({
      stream: 'err',
      text: 'failed photos/a.jpg: access-denied: Access denied. (request id REQ123)',
    });
  });

  it('a retry says when and why', () => {
    const line = jobLine(
      job({
        state: 'waiting-retry',
        attempts: 2,
        nextAttemptAt: 5_000,
        error: { code: 'network', message: 'reset' },
      }),
      2_000,
    );
    expect(line).toEqual({
      stream: 'err',
      text: 'retrying photos/a.jpg in 3s (attempt 2 failed): network: reset',
    });
  });

  it('control characters in a key are escaped, not sent to the terminal', () => {
    const line = jobLine(job({ key: 'a\u001b[2Jb\nc' }), 0);
    expect(line?.text).toBe('uploaded 12.3 MB a\\u001b[2Jb\\nc');
  });

  it.each(['queued', 'running', 'paused', 'cancelled'] as const)('no line for %s', (state) => {
    expect(jobLine(job({ state }), 0)).toBeUndefined();
  });
});

/** An Output that records what is written, and a clock the test moves. */
function fakeTerminal(tty: boolean) {
  const writes: { stream: 'out' | 'err' | 'raw'; text: string }[] = [];
  let time = 0;
  const timers: { at: number; callback: () => void }[] = [];
  const output: Output = {
    out: (text) => writes.push({ stream: 'out', text }),
    err: (text) => writes.push({ stream: 'err', text }),
    raw: (text) => writes.push({ stream: 'raw', text }),
    tty,
    columns: () => 120,
  };
  return {
    output,
    writes,
    now: () => time,
    setTimer: (callback: () => void, ms: number): unknown => {
      const timer = { at: time + ms, callback };
      timers.push(timer);
      return timer;
    },
    clearTimer: (handle: unknown): void => {
      timers.splice(timers.indexOf(handle as (typeof timers)[number]), 1);
    },
    advance(ms: number): void {
      time += ms;
      for (const timer of timers.filter((t) => t.at <= time)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.callback();
      }
    },
    draws: () =>
      writes.filter((w) => w.stream === 'raw' && w.text.startsWith('\r') && w.text.length > 4),
  };
}

function display(term: ReturnType<typeof fakeTerminal>, batch = 'b1') {
  return new ProgressDisplay({
    output: term.output,
    batch,
    totals: totals({ filesTotal: 2, bytesTotal: 24_600_000 }),
    now: term.now,
    setTimer: term.setTimer,
    clearTimer: term.clearTimer,
  });
}

describe('ProgressDisplay', () => {
  it('not on a terminal: plain lines per finished or failed job, no status line', () => {
    const term = fakeTerminal(false);
    const shown = display(term);
    shown.onProgress(snapshot({ uploadBytesPerSecond: 1e6 }));
    shown.onJob(job({ state: 'running' }));
    shown.onJob(job({}));
    shown.onJob(job({ id: 2, state: 'failed', error: { code: 'network', message: 'reset' } }));
    shown.close();
    expect(term.writes).toEqual([
      { stream: 'out', text: 'uploaded 12.3 MB photos/a.jpg' },
      { stream: 'err', text: 'failed photos/a.jpg: network: reset' },
    ]);
    expect(shown.totals).toMatchObject({ filesDone: 1, filesFailed: 1, bytesFinished: 12_300_000 });
  });

  it('ignores jobs of other batches (left queued by other commands)', () => {
    const term = fakeTerminal(false);
    const shown = display(term);
    shown.onJob(job({ batch: 'other' }));
    expect(term.writes).toEqual([]);
    expect(shown.totals.filesDone).toBe(0);
  });

  it('on a terminal: one status line redrawn in place, at most 4 times a second', () => {
    const term = fakeTerminal(true);
    const shown = display(term);
    for (let i = 0; i < 40; i++) {
      shown.onProgress(
        snapshot({
          jobs: [
            {
              jobId: 1,
              bytesDone: i * 100_000,
              bytesTotal: 12_300_000,
              bytesPerSecond: 1e6,
              etaSeconds: 1,
            },
          ],
          uploadBytesPerSecond: 1e6,
        }),
      );
      term.advance(25); // 40 events a second
    }
    // 1 s of events: the first draw at once, then one every 250 ms.
    expect(term.draws().length).toBeLessThanOrEqual(5);
    expect(term.draws().length).toBeGreaterThanOrEqual(4);
    for (const draw of term.draws()) {
      expect(draw.text.startsWith('\r')).toBe(true);
      expect(draw.text.endsWith('\u001b[K')).toBe(true);
    }
    // The last state is drawn once the interval allows, even without another event.
    term.advance(250);
    expect(term.draws().at(-1)?.text).toContain('3.90 MB of 24.6 MB');
    expect(term.writes.some((w) => w.stream === 'out')).toBe(false);
  });

  it('on a terminal: finished files only move the counter; a failure gets a line above the status line', () => {
    const term = fakeTerminal(true);
    const shown = display(term);
    shown.onJob(job({}));
    expect(term.writes.filter((w) => w.stream !== 'raw')).toEqual([]);
    term.advance(300);
    shown.onJob(job({ id: 2, state: 'failed', error: { code: 'access-denied', message: 'no' } }));
    const failure = term.writes.findIndex((w) => w.stream === 'err');
    expect(term.writes[failure]?.text).toBe('failed photos/a.jpg: access-denied: no');
    // The status line is erased before the failure is printed, then drawn again below it.
    expect(term.writes[failure - 1]).toEqual({ stream: 'raw', text: '\r\x1b[K' });
    term.advance(300);
    expect(term.draws().at(-1)?.text).toContain('2/2 files  12.3 MB of 24.6 MB');
    expect(term.draws().at(-1)?.text).toContain('1 failed');
    shown.close();
    expect(term.writes.at(-1)).toEqual({ stream: 'raw', text: '\r\x1b[K' });
  });

  it('does not count a finished job twice when the last snapshot still lists it', () => {
    const term = fakeTerminal(true);
    const shown = display(term);
    shown.onProgress(
      snapshot({
        jobs: [
          {
            jobId: 1,
            bytesDone: 12_300_000,
            bytesTotal: 12_300_000,
            bytesPerSecond: 0,
            etaSeconds: 0,
          },
        ],
      }),
    );
    term.advance(300);
    shown.onJob(job({}));
    term.advance(300);
    expect(term.draws().at(-1)?.text).toContain('1/2 files  12.3 MB of 24.6 MB');
  });
});
