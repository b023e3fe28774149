/**
 * CRC64 of parts as the transfer engine hashes them: 512 MiB in 8 MiB parts, 4 in flight,
 * through Crc64Pool against inline on the main thread, with the longest event-loop stall of
 * each (what a user feels as a frozen UI or a late socket). Run alone with
 * `npx tsx test/bench/crc64-pool.ts`; the last line printed is JSON.
 */
import { randomFillSync } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { crc64 } from '../../shared/crc64.js';
import { Crc64Pool } from '../../main/core/hash/crc64-pool.js';

const MiB = 1024 * 1024;
const PART = 8 * MiB;
const IN_FLIGHT = 4;

export interface Crc64PoolBenchOptions {
  /** Data hashed per round. */
  mib?: number;
  /** Rounds per variant; the best is kept, as the machines are noisy. */
  rounds?: number;
}

interface Round {
  mibs: number;
  maxDelayMs: number;
}

/**
 * Hashes `count` parts with at most IN_FLIGHT outstanding, while a 1 ms timer records the
 * longest gap between its ticks (the loop's worst stall, timer slack included).
 */
async function measure(
  parts: Uint8Array[],
  count: number,
  hash: (part: Uint8Array) => Promise<string>,
): Promise<Round> {
  let maxGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  const start = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const part = parts[next++ % parts.length]!;
      await hash(part);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const seconds = (performance.now() - start) / 1000;
  clearInterval(timer);
  maxGap = Math.max(maxGap, performance.now() - last);
  return { mibs: (count * PART) / MiB / seconds, maxDelayMs: maxGap };
}

/** Inline, as an engine without the pool would do it: hash, then let the loop run. */
function inlineHash(part: Uint8Array): Promise<string> {
  const crc = crc64(part).toString();
  return new Promise((resolve) => setImmediate(() => resolve(crc)));
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

export async function runCrc64PoolBench(
  options: Crc64PoolBenchOptions = {},
): Promise<Record<string, number>> {
  const mib = options.mib ?? 512;
  const rounds = options.rounds ?? 3;
  const count = Math.max(1, Math.round((mib * MiB) / PART));
  // 64 MiB of distinct parts, cycled: the pool copies every part anyway, so caches see the same.
  const backing = randomFillSync(Buffer.allocUnsafeSlow(Math.min(count, 8) * PART));
  const parts = Array.from({ length: Math.min(count, 8) }, (_, k) =>
    backing.subarray(k * PART, (k + 1) * PART),
  );

  const pool = new Crc64Pool();
  try {
    // Warm-up doubles as a check: a fast wrong answer is worthless.
    for (const part of parts) {
      const [ours, inline] = [await pool.hash(part), crc64(part).toString()];
      if (ours !== inline) throw new Error(`pool crc64 ${ours} differs from inline ${inline}`);
    }
    let pooled: Round = { mibs: 0, maxDelayMs: Infinity };
    let inline: Round = { mibs: 0, maxDelayMs: Infinity };
    // Variants take turns within a round, so a burst of load from elsewhere hits both alike.
    for (let r = 0; r < rounds; r++) {
      const p = await measure(parts, count, (part) => pool.hash(part));
      const i = await measure(parts, count, inlineHash);
      pooled = {
        mibs: Math.max(pooled.mibs, p.mibs),
        maxDelayMs: Math.min(pooled.maxDelayMs, p.maxDelayMs),
      };
      inline = {
        mibs: Math.max(inline.mibs, i.mibs),
        maxDelayMs: Math.min(inline.maxDelayMs, i.maxDelayMs),
      };
    }
    return {
      workers: pool.stats().liveWorkers,
      poolMiBs: round1(pooled.mibs),
      inlineMiBs: round1(inline.mibs),
      poolMaxDelayMs: round1(pooled.maxDelayMs),
      inlineMaxDelayMs: round1(inline.maxDelayMs),
    };
  } finally {
    await pool.close();
  }
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const results = await runCrc64PoolBench();
  console.log(
    `CRC64 pool, 512 MiB in 8 MiB parts, ${IN_FLIGHT} in flight, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`,
  );
  console.log(
    `  pool (${results.workers} workers)  ${results.poolMiBs} MiB/s, event loop stalled at most ${results.poolMaxDelayMs} ms`,
  );
  console.log(
    `  inline            ${results.inlineMiBs} MiB/s, event loop stalled at most ${results.inlineMaxDelayMs} ms`,
  );
  console.log(JSON.stringify(results));
}
