/**
 * CRC-64/XZ, which OSS calls CRC64-ECMA (`x-oss-hash-crc64ecma`, a decimal uint64): the
 * ECMA-182 polynomial reflected (0xC96C5795D7870F42), init and final xor all ones.
 *
 * Pure and dependency-free so both the Node side and the browser can use it. The per-byte
 * work keeps the 64-bit state as two 32-bit halves in plain numbers: BigInt is far too slow
 * for a hot loop and is only used at the API edges and in `crc64Combine`.
 */

const POLY_LO = 0xd7870f42;
const POLY_HI = 0xc96c5795;
const UINT64_MAX = 0xffffffffffffffffn;

/** The raw (pre-final-xor) register; a plain object so the kernel can write both halves back. */
interface State {
  lo: number;
  hi: number;
}

/**
 * Slicing-by-8 tables: lo[k][b] / hi[k][b] are the halves of the register after feeding byte b
 * followed by k zero bytes. One 256-entry Uint32Array per slice and half measured a little
 * faster than flat tables with offsets; slicing-by-16 was no faster and needs twice the
 * tables (32 KiB, a whole L1 here), so by-8 (16 KiB) it is.
 */
interface Tables {
  lo: Uint32Array[];
  hi: Uint32Array[];
}

type Kernel = (state: State, data: Uint8Array) => void;

let kernel: Kernel | undefined;

function buildTables(): Tables {
  const buffer = new ArrayBuffer(2 * 8 * 256 * 4);
  const lo: Uint32Array[] = [];
  const hi: Uint32Array[] = [];
  for (let k = 0; k < 8; k++) {
    lo.push(new Uint32Array(buffer, k * 2048, 256));
    hi.push(new Uint32Array(buffer, k * 2048 + 1024, 256));
  }
  const lo0 = lo[0]!;
  const hi0 = hi[0]!;
  for (let b = 0; b < 256; b++) {
    let l = b;
    let h = 0;
    for (let bit = 0; bit < 8; bit++) {
      const mask = -(l & 1);
      l = ((l >>> 1) | (h << 31)) ^ (POLY_LO & mask);
      h = (h >>> 1) ^ (POLY_HI & mask);
    }
    lo0[b] = l;
    hi0[b] = h;
  }
  for (let k = 1; k < 8; k++) {
    const prevLo = lo[k - 1]!;
    const prevHi = hi[k - 1]!;
    const curLo = lo[k]!;
    const curHi = hi[k]!;
    for (let b = 0; b < 256; b++) {
      const l = prevLo[b]!;
      const h = prevHi[b]!;
      const x = l & 0xff;
      curLo[b] = lo0[x]! ^ ((l >>> 8) | (h << 24));
      curHi[b] = hi0[x]! ^ (h >>> 8);
    }
  }
  return { lo, hi };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Below this many bytes, creating a Uint32Array view costs more than it saves. */
const MIN_WORD_PATH = 64;

/**
 * Built on first use. The tables are captured as closure constants: loading the 16 tables
 * into locals on each call made V8 run the same loop at about a third of the speed.
 */
function getKernel(): Kernel {
  if (kernel !== undefined) return kernel;
  const t = buildTables();
  type Eight = [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  const [L0, L1, L2, L3, L4, L5, L6, L7] = t.lo as Eight;
  const [H0, H1, H2, H3, H4, H5, H6, H7] = t.hi as Eight;

  // The `!` on table reads only silence noUncheckedIndexedAccess: every index is within 0..255.
  const update: Kernel = (state, data) => {
    let lo = state.lo;
    let hi = state.hi;
    const n = data.length;
    let i = 0;

    if (n >= MIN_WORD_PATH && LITTLE_ENDIAN) {
      // Bytes one at a time up to a 4-byte boundary, so the bulk can be read as aligned words.
      const head = (4 - (data.byteOffset & 3)) & 3;
      for (; i < head; i++) {
        const x = (lo ^ data[i]!) & 0xff;
        lo = L0[x]! ^ ((lo >>> 8) | (hi << 24));
        hi = H0[x]! ^ (hi >>> 8);
      }
      const words = ((n - i) >>> 3) << 1;
      const w = new Uint32Array(data.buffer, data.byteOffset + i, words);
      for (let j = 0; j < words; j += 2) {
        const a = lo ^ w[j]!;
        const b = hi ^ w[j + 1]!;
        const a0 = a & 0xff;
        const a1 = (a >>> 8) & 0xff;
        const a2 = (a >>> 16) & 0xff;
        const a3 = a >>> 24;
        const b0 = b & 0xff;
        const b1 = (b >>> 8) & 0xff;
        const b2 = (b >>> 16) & 0xff;
        const b3 = b >>> 24;
        lo = L7[a0]! ^ L6[a1]! ^ L5[a2]! ^ L4[a3]! ^ L3[b0]! ^ L2[b1]! ^ L1[b2]! ^ L0[b3]!;
        hi = H7[a0]! ^ H6[a1]! ^ H5[a2]! ^ H4[a3]! ^ H3[b0]! ^ H2[b1]! ^ H1[b2]! ^ H0[b3]!;
      }
      i += words * 4;
    } else if (n >= MIN_WORD_PATH) {
      // Big-endian hosts: same slicing, little-endian words assembled from bytes.
      const end = n - (n & 7);
      for (; i < end; i += 8) {
        const a =
          lo ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
        const b =
          hi ^ (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24));
        const a0 = a & 0xff;
        const a1 = (a >>> 8) & 0xff;
        const a2 = (a >>> 16) & 0xff;
        const a3 = a >>> 24;
        const b0 = b & 0xff;
        const b1 = (b >>> 8) & 0xff;
        const b2 = (b >>> 16) & 0xff;
        const b3 = b >>> 24;
        lo = L7[a0]! ^ L6[a1]! ^ L5[a2]! ^ L4[a3]! ^ L3[b0]! ^ L2[b1]! ^ L1[b2]! ^ L0[b3]!;
        hi = H7[a0]! ^ H6[a1]! ^ H5[a2]! ^ H4[a3]! ^ H3[b0]! ^ H2[b1]! ^ H1[b2]! ^ H0[b3]!;
      }
    }

    for (; i < n; i++) {
      const x = (lo ^ data[i]!) & 0xff;
      lo = L0[x]! ^ ((lo >>> 8) | (hi << 24));
      hi = H0[x]! ^ (hi >>> 8);
    }
    state.lo = lo;
    state.hi = hi;
  };
  // Feed every path (misaligned head, words, tail) before real data arrives. Otherwise V8 could
  // optimize the kernel on-stack in the middle of a first big buffer, with no type feedback yet
  // for the code after the loop, and then deoptimize at the end of every later call: about half
  // the runs here stayed at 300 MiB/s instead of 800+. Several calls, because V8 only starts
  // collecting feedback for a function after it has run a while (lazy feedback allocation).
  const sample = new Uint8Array(2 * MIN_WORD_PATH + 3).subarray(1);
  for (let k = 0; k < 32; k++) update({ lo: 0, hi: 0 }, sample);
  kernel = update;
  return update;
}

function updateState(state: State, data: Uint8Array): void {
  (kernel ?? getKernel())(state, data);
}

function assertUint64(value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > UINT64_MAX) {
    throw new RangeError(`${what} must be a uint64 bigint, got ${String(value)}`);
  }
}

/** Register for continuing after a finished crc: undo the final xor. */
function stateFrom(crc: bigint): State {
  return { lo: ~Number(crc & 0xffffffffn), hi: ~Number(crc >> 32n) };
}

function stateToCrc(state: State): bigint {
  return (BigInt(~state.hi >>> 0) << 32n) | BigInt(~state.lo >>> 0);
}

/** Incremental CRC64-ECMA: feed chunks with `update`, read with `digest` or `toString`. */
export class Crc64 {
  private readonly state: State = { lo: ~0, hi: ~0 };

  update(data: Uint8Array): this {
    updateState(this.state, data);
    return this;
  }

  /** The crc of everything fed so far; more `update` calls may follow. */
  digest(): bigint {
    return stateToCrc(this.state);
  }

  /** Decimal, as in `x-oss-hash-crc64ecma`. */
  toString(): string {
    return this.digest().toString(10);
  }
}

/** CRC64-ECMA of `data`, or of previous-data || `data` when `previous` is the crc so far. */
export function crc64(data: Uint8Array, previous = 0n): bigint {
  assertUint64(previous, 'previous crc64');
  const state = stateFrom(previous);
  updateState(state, data);
  return stateToCrc(state);
}

export function crc64ToString(value: bigint): string {
  assertUint64(value, 'crc64');
  return value.toString(10);
}

/** Parses a decimal uint64 (the `x-oss-hash-crc64ecma` form); anything else throws. */
export function parseCrc64(text: string): bigint {
  const shown = JSON.stringify(String(text).slice(0, 40));
  if (typeof text !== 'string' || !/^[0-9]+$/.test(text)) {
    throw new Error(`Invalid crc64 ${shown}: expected a decimal unsigned 64-bit integer`);
  }
  // Length check first so a huge string never reaches BigInt parsing.
  const significant = text.replace(/^0+(?=.)/, '');
  const value = significant.length <= 20 ? BigInt(significant) : UINT64_MAX + 1n;
  if (value > UINT64_MAX) throw new Error(`Invalid crc64 ${shown}: larger than 2^64-1`);
  return value;
}

/**
 * GF(2) 64x64 matrices as 128 numbers: column c is (m[2c] lo, m[2c+1] hi), the image of bit c.
 * Numbers rather than BigInt because a combine per part can run thousands of times per file.
 */
type Matrix = Uint32Array;

function matrixTimes(m: Matrix, vLo: number, vHi: number, out: State): void {
  let lo = 0;
  let hi = 0;
  for (let c = 0; c < 32 && vLo !== 0; c++, vLo >>>= 1) {
    if (vLo & 1) {
      lo ^= m[2 * c]!;
      hi ^= m[2 * c + 1]!;
    }
  }
  for (let c = 32; c < 64 && vHi !== 0; c++, vHi >>>= 1) {
    if (vHi & 1) {
      lo ^= m[2 * c]!;
      hi ^= m[2 * c + 1]!;
    }
  }
  out.lo = lo;
  out.hi = hi;
}

function matrixSquare(m: Matrix): Matrix {
  const sq = new Uint32Array(128);
  const col: State = { lo: 0, hi: 0 };
  for (let c = 0; c < 64; c++) {
    matrixTimes(m, m[2 * c]!, m[2 * c + 1]!, col);
    sq[2 * c] = col.lo;
    sq[2 * c + 1] = col.hi;
  }
  return sq;
}

/**
 * zeroOperators[k] advances a raw register over 2^k zero bytes (the zlib crc32_combine matrices).
 * They never depend on the input, so each is squared once and kept.
 */
const zeroOperators: Matrix[] = [];

function zeroOperator(k: number): Matrix {
  if (zeroOperators.length === 0) {
    // One zero bit: shift right, folding the polynomial in when bit 0 falls off.
    let m: Matrix = new Uint32Array(128);
    m[0] = POLY_LO;
    m[1] = POLY_HI;
    for (let c = 1; c < 64; c++) {
      if (c - 1 < 32) m[2 * c] = 2 ** (c - 1);
      else m[2 * c + 1] = 2 ** (c - 33);
    }
    for (let s = 0; s < 3; s++) m = matrixSquare(m); // 1 -> 2 -> 4 -> 8 bits
    zeroOperators.push(m);
  }
  while (zeroOperators.length <= k)
    zeroOperators.push(matrixSquare(zeroOperators[zeroOperators.length - 1]!));
  return zeroOperators[k]!;
}

/**
 * crc64(A || B) from crc64(A), crc64(B) and B's length: lets parts be hashed in parallel and
 * compared with the whole-object crc OSS returns. `len2` is any safe integer (5 GiB and beyond).
 */
export function crc64Combine(crc1: bigint, crc2: bigint, len2: number): bigint {
  assertUint64(crc1, 'crc1');
  assertUint64(crc2, 'crc2');
  if (!Number.isSafeInteger(len2) || len2 < 0) {
    throw new RangeError(`len2 must be a non-negative safe integer, got ${len2}`);
  }
  // The init and final xors cancel out (as in zlib), so crc1 is shifted as a raw register.
  const v: State = { lo: Number(crc1 & 0xffffffffn), hi: Number(crc1 >> 32n) };
  let len = len2;
  for (let k = 0; len > 0; k++) {
    if (len % 2 === 1) matrixTimes(zeroOperator(k), v.lo >>> 0, v.hi >>> 0, v);
    len = Math.floor(len / 2);
  }
  return ((BigInt(v.hi >>> 0) << 32n) | BigInt(v.lo >>> 0)) ^ crc2;
}
