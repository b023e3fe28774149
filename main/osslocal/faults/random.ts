/**
 * Seeded pseudo-random numbers for fault decisions. Not cryptographic: the point is that the
 * same seed and the same request sequence replay the same faults.
 */

/** The seed used when none is given, so a failing run is reproducible without extra setup. */
export const DEFAULT_FAULT_SEED = 1;

const TWO_POW_32 = 4294967296;

/** Folds any safe integer (negative or above 2^32 included) into 32 bits. */
export function normalizeSeed(seed: number): number {
  if (!Number.isSafeInteger(seed))
    throw new RangeError(`Fault seed must be a safe integer, got ${seed}`);
  const low = seed >>> 0;
  const high = Math.floor(seed / TWO_POW_32) >>> 0;
  return (low ^ Math.imul(high, 0x9e3779b1)) >>> 0;
}

// splitmix32: spreads small or similar seeds (1, 2, 3...) over the whole state space.
function splitmix32(state: number): () => number {
  let s = state | 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
}

/** sfc32 seeded through splitmix32; returns numbers in [0, 1). */
export function createRandom(seed: number): () => number {
  const mix = splitmix32(normalizeSeed(seed));
  let a = mix() | 0;
  let b = mix() | 0;
  let c = mix() | 0;
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / TWO_POW_32;
  };
  // Recommended warm-up so the first outputs do not echo the seeding.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/**
 * A sub-seed for one named stream (one per fault rule), so adding or removing a rule does
 * not shift the decisions of the others. FNV-1a over the label, mixed with the seed.
 */
export function deriveSeed(seed: number, label: string): number {
  let hash = 0x811c9dc5 ^ normalizeSeed(seed);
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
