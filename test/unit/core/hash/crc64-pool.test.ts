import { execFile } from 'node:child_process';
import { randomBytes, randomFillSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../../../../shared/crc64.js';
import { CoreError } from '../../../../main/core/errors.js';
import { Crc64Pool } from '../../../../main/core/hash/crc64-pool.js';

// An independent implementation as the oracle; it takes at most 16 MiB per call, so chain it.
const oracle = createRequire(import.meta.url)('crc64-ecma182.js') as {
  crc64: (data: Buffer, previous?: string) => string;
};
function expected(data: Uint8Array): string {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.length);
  let crc = '0';
  for (let at = 0; at < buffer.length; at += 8 * MiB)
    crc = oracle.crc64(buffer.subarray(at, at + 8 * MiB), crc);
  return crc;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const INLINE = 256 * KiB;

/** Runs `work` while a 10 ms interval timer records the gaps between its ticks. */
async function timerGapsDuring<T>(
  work: () => Promise<T>,
): Promise<{ result: T; max: number; gaps: number[] }> {
  const gaps: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 10);
  try {
    const result = await work();
    gaps.push(performance.now() - last);
    return { result, max: Math.max(...gaps), gaps };
  } finally {
    clearInterval(timer);
  }
}

async function rejection(promise: Promise<unknown>): Promise<CoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CoreError);
  return error as CoreError;
}

describe('Crc64Pool', () => {
  const pool = new Crc64Pool();
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ossync-crc64-pool-'));
  });
  afterAll(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('matches crc64-ecma182.js for 0, 1, inline limit -1/0/+1, 8 MiB and 64 MiB', async () => {
    for (const size of [0, 1, INLINE - 1, INLINE, INLINE + 1, 8 * MiB, 64 * MiB]) {
      const data = randomBytes(size);
      expect(await pool.hash(data), `size ${size}`).toBe(expected(data));
    }
    expect(await pool.hash(Buffer.from('123456789'))).toBe('11051210869376104954');
  });

  it('hashes views at odd offsets into a bigger buffer, and sizes just off slice borders', async () => {
    const backing = randomBytes(20 * MiB + 13);
    for (const [start, length] of [
      [3, 8 * MiB - 1],
      [5, 8 * MiB + 1],
      [7, 16 * MiB + 3],
      [1, INLINE + 5],
    ] as const) {
      const view = backing.subarray(start, start + length);
      expect(await pool.hash(view), `${start}+${length}`).toBe(expected(view));
    }
  });

  it('keeps many concurrent calls apart, bytes and files interleaved', async () => {
    const bodies = Array.from({ length: 40 }, (_, k) =>
      randomBytes(k % 5 === 0 ? 3 : INLINE + Math.floor(Math.random() * 3 * MiB)),
    );
    const files = await Promise.all(
      [0, 1, 2, 3].map(async (k) => {
        const body = randomBytes(2 * MiB + k * 777);
        const file = path.join(dir, `concurrent-${k}`);
        await writeFile(file, body);
        return { file, body };
      }),
    );
    const [hashes, fileHashes] = await Promise.all([
      Promise.all(bodies.map((body) => pool.hash(body))),
      Promise.all(files.map(({ file }) => pool.hashFile(file))),
    ]);
    expect(hashes).toEqual(bodies.map(expected));
    expect(fileHashes).toEqual(
      files.map(({ body }) => ({ crc64: expected(body), size: body.length })),
    );
    expect(pool.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it("leaves the caller's buffer unchanged, attached and usable", async () => {
    const data = randomBytes(12 * MiB);
    const copy = Buffer.from(data);
    const crc = await pool.hash(data);
    expect(data.buffer.byteLength).toBeGreaterThan(0); // not detached (transferred away)
    expect(data.equals(copy)).toBe(true);
    data[0] = data[0]! ^ 0xff; // still writable
    expect(await pool.hash(data)).not.toBe(crc);
    expect(await pool.hash(copy)).toBe(crc);
  });

  it('hashes SharedArrayBuffer-backed data without copying it, leaving it unchanged', async () => {
    const shared = new Uint8Array(new SharedArrayBuffer(10 * MiB));
    randomFillSync(shared);
    const copy = Buffer.from(shared);
    expect(await pool.hash(shared)).toBe(expected(copy));
    expect(copy.equals(shared)).toBe(true);
  });

  it('hashes file ranges, and reports a short file by its size', async () => {
    const body = randomBytes(5 * MiB + 321);
    const file = path.join(dir, 'ranges');
    await writeFile(file, body);
    const cases: [number | undefined, number | undefined][] = [
      [undefined, undefined],
      [0, 0],
      [0, 1],
      [7, 7 + 3 * MiB],
      [MiB, MiB + 1],
      [MiB - 1, 4 * MiB + 1],
      [4 * MiB, undefined],
      [body.length, undefined],
    ];
    for (const [start, end] of cases) {
      const slice = body.subarray(start ?? 0, end ?? body.length);
      expect(await pool.hashFile(file, start, end), `${start}..${end}`).toEqual({
        crc64: expected(slice),
        size: slice.length,
      });
    }
    // Past the end: what is there, and a size that tells the caller it is short.
    expect(await pool.hashFile(file, body.length - 10, body.length + 100)).toEqual({
      crc64: expected(body.subarray(body.length - 10)),
      size: 10,
    });
    expect(await pool.hashFile(file, body.length + 5)).toEqual({ crc64: '0', size: 0 });
  });

  it('maps file errors to CoreErrors naming the path', async () => {
    const missing = path.join(dir, 'no-such-file');
    const error = await rejection(pool.hashFile(missing));
    expect(error.code).toBe('local-not-found');
    expect(error.subject).toBe(missing);
    expect(error.message).toContain(missing);
    await expect(pool.hashFile(missing, -1)).rejects.toThrow(RangeError);
    await expect(pool.hashFile(missing, 10, 5)).rejects.toThrow(RangeError);
  });

  it.each(['throw', 'exit'] as const)(
    'a worker crash (%s) rejects its pending calls clearly, and a new worker takes over',
    async (how) => {
      const single = new Crc64Pool({ workers: 1 });
      try {
        const data = randomBytes(2 * MiB);
        expect(await single.hash(data)).toBe(expected(data));
        // The crash job goes first; a hash queued behind it on the same worker dies with it.
        const crash = rejection(single.crashWorkerForTest(how));
        const behind = rejection(single.hash(data));
        for (const error of await Promise.all([crash, behind])) {
          expect(error.code).toBe('worker-crashed');
          expect(error.retryable).toBe(true);
          expect(error.message).toMatch(/CRC64 worker thread 0 stopped unexpectedly/);
        }
        expect((await behind).message).toContain(`${data.length} bytes`);
        expect(await single.hash(data)).toBe(expected(data));
        expect(single.stats()).toMatchObject({ liveWorkers: 1, inFlight: 0 });
      } finally {
        await single.close();
      }
    },
  );

  it('close() rejects pending calls with cancelled, and later calls too', async () => {
    const closing = new Crc64Pool({ workers: 1 });
    const data = randomBytes(24 * MiB);
    const pending = [
      closing.hash(data),
      closing.hash(data),
      closing.hashFile(fileURLToPath(import.meta.url)),
    ];
    const outcomes = pending.map(rejection); // handlers attached before close() rejects them
    await closing.close();
    for (const error of await Promise.all(outcomes)) expect(error.code).toBe('cancelled');
    expect((await rejection(closing.hash(data))).code).toBe('cancelled');
    expect((await rejection(closing.hash(new Uint8Array(3)))).code).toBe('cancelled');
    expect(closing.stats()).toMatchObject({ liveWorkers: 0, inFlight: 0, queued: 0 });
  });

  it('keeps the event loop responsive while 256 MiB is hashed in the pool', async () => {
    const data = randomBytes(256 * MiB);
    const parts = Array.from({ length: 32 }, (_, k) =>
      data.subarray(k * 8 * MiB, (k + 1) * 8 * MiB),
    );
    await pool.hash(data.subarray(0, 16 * MiB)); // workers started and warm
    // As the transfer engine does (8 MiB parts, all in flight), then the whole buffer at once.
    const hashAll = async (hasher: Crc64Pool): Promise<string[]> => [
      ...(await Promise.all(parts.map((part) => hasher.hash(part)))),
      await hasher.hash(data),
    ];

    // The same measurement catches blocking: everything inline stalls the loop for long.
    // Measured in this run, so a loaded machine slows both sides alike.
    const inline = new Crc64Pool({ inlineBelow: Number.MAX_SAFE_INTEGER });
    const blocked = await timerGapsDuring(() => hashAll(inline));
    await inline.close();
    expect(blocked.result[32]).toBe(crc64(data).toString());
    expect(blocked.max).toBeGreaterThan(100);

    // Best of 3: another process can stall any thread for a while; blocking fails every time.
    const bound = blocked.max / 3;
    let best: { max: number; gaps: number[] } | undefined;
    for (let attempt = 0; attempt < 3 && !(best && best.max < bound); attempt++) {
      const { result, max, gaps } = await timerGapsDuring(() => hashAll(pool));
      expect(result[0]).toBe(expected(parts[0]!));
      expect(result[32]).toBe(crc64(data).toString());
      expect(gaps.length).toBeGreaterThan(5);
      if (!best || max < best.max) best = { max, gaps };
    }
    expect(
      best!.max,
      `pool timer gaps (ms): ${best!.gaps.map(Math.round).join(' ')}; inline stalled ${Math.round(blocked.max)} ms`,
    ).toBeLessThan(bound);
  });

  it('never keeps the process alive: a script that forgets close() still exits', async () => {
    const moduleUrl = pathToFileURL(
      path.resolve(fileURLToPath(import.meta.url), '../../../../../main/core/hash/crc64-pool.ts'),
    ).href;
    const script = path.join(dir, 'forgets-close.mts');
    await writeFile(
      script,
      `import { Crc64Pool } from ${JSON.stringify(moduleUrl)};
const pool = new Crc64Pool();
console.log(await pool.hash(new Uint8Array(1024 * 1024)));
`,
    );
    // If the workers kept it alive, the child would hang until the timeout kills it and this fails.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      cwd: path.resolve(fileURLToPath(import.meta.url), '../../../../..'),
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe(expected(new Uint8Array(1024 * 1024)));
  });
});
