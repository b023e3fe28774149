import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Crc64, crc64, crc64Combine, crc64ToString, parseCrc64 } from '../../../shared/crc64.js';

// crc64-ecma182.js (Emscripten build of a C implementation) is the independent oracle. It is
// CommonJS, wants a Buffer, takes/returns the crc as a decimal string, and copies each call
// into a fixed 16 MiB heap (bigger inputs abort it), hence the 1 MiB chunks.
const require = createRequire(import.meta.url);
const ecma = require('crc64-ecma182.js') as { crc64(buff: Buffer, prev?: string): string };

function oracle(data: Uint8Array, previous = 0n): bigint {
  let crc = previous.toString();
  const chunk = 1024 * 1024;
  let at = 0;
  do {
    const end = Math.min(data.length, at + chunk);
    crc = ecma.crc64(Buffer.from(data.buffer, data.byteOffset + at, end - at), crc);
    at = end;
  } while (at < data.length);
  return BigInt(crc);
}

const POLY = 0xc96c5795d7870f42n;
const MASK64 = (1n << 64n) - 1n;
const GiB = 2 ** 30;
const MiB = 2 ** 20;

// A bit-at-a-time reference straight from the CRC-64/XZ definition, independent of the tables.
function bitwiseCrc64(data: Uint8Array): bigint {
  let crc = MASK64;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
  }
  return crc ^ MASK64;
}

// A second combine, by polynomial arithmetic instead of matrices (the newer zlib
// multmodp/x2nmodp method): crc(A||B) = crc(A) * x^(8*len(B)) mod P ^ crc(B), reflected.
function mulModP(a: bigint, b: bigint): bigint {
  let product = 0n;
  for (let m = 1n << 63n; m !== 0n; m >>= 1n) {
    if (a & m) product ^= b;
    b = b & 1n ? (b >> 1n) ^ POLY : b >> 1n;
  }
  return product;
}

function polynomialCombine(crc1: bigint, crc2: bigint, len2: number): bigint {
  let power = 1n << 63n; // x^0
  let square = 1n << 62n; // x^1, squared as the exponent's bits are walked
  for (let e = BigInt(len2) * 8n; e > 0n; e >>= 1n) {
    if (e & 1n) power = mulModP(power, square);
    square = mulModP(square, square);
  }
  return mulModP(power, crc1) ^ crc2;
}

// Seeded so a failure replays: xorshift32 is plenty for test data.
function makeRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

function randomBytes(next: () => number, length: number, offset = 0): Uint8Array {
  const backing = new Uint8Array(length + offset + 3);
  for (let i = 0; i < backing.length; i++) backing[i] = next() & 0xff;
  return backing.subarray(offset, offset + length);
}

function randomUint64(next: () => number): bigint {
  return (BigInt(next()) << 32n) | BigInt(next());
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('crc64', () => {
  it('gives the CRC-64/XZ check value and 0 for empty input', () => {
    expect(crc64(ascii('123456789'))).toBe(11051210869376104954n);
    expect(new Crc64().update(ascii('123456789')).toString()).toBe('11051210869376104954');
    expect(crc64(new Uint8Array(0))).toBe(0n);
    expect(new Crc64().digest()).toBe(0n);
    expect(new Crc64().toString()).toBe('0');
    expect(oracle(ascii('123456789'))).toBe(11051210869376104954n);
  });

  it('matches the oracle and the bitwise definition on every single byte', () => {
    for (let b = 0; b < 256; b++) {
      const data = Uint8Array.of(b);
      const expected = oracle(data);
      expect(crc64(data), `byte ${b}`).toBe(expected);
      expect(bitwiseCrc64(data), `byte ${b}`).toBe(expected);
    }
  });

  it('matches the oracle on random buffers of many lengths and misaligned views', () => {
    const next = makeRandom(0x5eed);
    const lengths = [
      ...Array.from({ length: 71 }, (_, i) => i),
      127,
      128,
      129,
      1000,
      4101,
      65549,
      MiB + 7,
      3 * MiB + 1,
    ];
    for (const length of lengths) {
      for (let offset = 0; offset < 8; offset++) {
        const data = randomBytes(next, length, offset);
        expect(data.byteOffset).toBe(offset);
        expect(crc64(data), `length ${length} offset ${offset}`).toBe(oracle(data));
        if (length <= 70) expect(crc64(data)).toBe(bitwiseCrc64(data));
      }
    }
  });

  it('accepts Buffers from the pool and views over a SharedArrayBuffer', () => {
    const next = makeRandom(7);
    for (let i = 0; i < 50; i++) {
      const buffer = Buffer.from(randomBytes(next, 100 + (next() % 200)));
      expect(crc64(buffer)).toBe(oracle(buffer));
    }
    const shared = new Uint8Array(new SharedArrayBuffer(4099));
    shared.set(randomBytes(next, 4099));
    const view = shared.subarray(3);
    expect(crc64(view)).toBe(oracle(new Uint8Array(view)));
  });

  it('continues from a previous crc like the oracle does', () => {
    const next = makeRandom(11);
    for (let i = 0; i < 40; i++) {
      const a = randomBytes(next, next() % 300, next() % 8);
      const b = randomBytes(next, next() % 300, next() % 8);
      const crcA = crc64(a);
      expect(crc64(b, crcA)).toBe(crc64(concat(a, b)));
      expect(crc64(b, crcA)).toBe(oracle(b, crcA));
    }
    expect(crc64(new Uint8Array(0), 12345n)).toBe(12345n);
  });

  it('gives the one-shot result for any chunking of incremental updates', () => {
    const next = makeRandom(42);
    for (let round = 0; round < 60; round++) {
      const data = randomBytes(next, round < 30 ? next() % 200 : next() % 300_000, next() % 8);
      const whole = crc64(data);
      const hasher = new Crc64();
      let at = 0;
      while (at < data.length) {
        const size = next() % 4 === 0 ? 0 : 1 + (next() % (round < 30 ? 20 : 70_000));
        expect(hasher.update(data.subarray(at, at + size))).toBe(hasher);
        at += size;
        // Reading mid-stream must not disturb the state.
        expect(hasher.digest()).toBe(crc64(data.subarray(0, Math.min(at, data.length))));
      }
      expect(hasher.digest()).toBe(whole);
      expect(hasher.toString()).toBe(whole.toString());
    }
  });

  it('rejects a previous crc outside uint64', () => {
    expect(() => crc64(new Uint8Array(1), -1n)).toThrow(RangeError);
    expect(() => crc64(new Uint8Array(1), 1n << 64n)).toThrow(RangeError);
  });
});

describe('crc64Combine', () => {
  it('equals the crc of the whole for random splits, including empty halves', () => {
    const next = makeRandom(99);
    for (let round = 0; round < 200; round++) {
      const data = randomBytes(next, next() % (round < 150 ? 100 : 200_000), next() % 8);
      const split = next() % (data.length + 1);
      const a = data.subarray(0, split);
      const b = data.subarray(split);
      const combined = crc64Combine(crc64(a), crc64(b), b.length);
      expect(combined, `length ${data.length} split ${split}`).toBe(oracle(data));
    }
    const crcX = crc64(ascii('123456789'));
    expect(crc64Combine(crcX, 0n, 0)).toBe(crcX);
    expect(crc64Combine(0n, crcX, 9)).toBe(crcX);
  });

  it('agrees with polynomial arithmetic for lengths past 4 GiB', () => {
    const next = makeRandom(1234);
    const lengths = [
      0,
      1,
      8,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 32 + 1,
      5 * GiB + 3,
      2 ** 40 + 12345,
      Number.MAX_SAFE_INTEGER,
    ];
    for (const len2 of lengths) {
      const crc1 = randomUint64(next);
      const crc2 = randomUint64(next);
      expect(crc64Combine(crc1, crc2, len2), `len2 ${len2}`).toBe(
        polynomialCombine(crc1, crc2, len2),
      );
    }
  });

  it('is associative with large lengths', () => {
    const next = makeRandom(77);
    for (const [lenB, lenC] of [
      [5 * GiB + 3, 17],
      [3, 5 * GiB + 3],
      [2 ** 33 + 5, 2 ** 35 - 1],
      [0, 2 ** 32],
    ] as const) {
      const a = randomUint64(next);
      const b = randomUint64(next);
      const c = randomUint64(next);
      const left = crc64Combine(crc64Combine(a, b, lenB), c, lenC);
      const right = crc64Combine(a, crc64Combine(b, c, lenC), lenB + lenC);
      expect(left).toBe(right);
    }
  });

  it('matches streaming over real zeros, with zero crcs from the oracle', () => {
    const next = makeRandom(5);
    const prefix = randomBytes(next, 1000, 3);
    const zeros = new Uint8Array(16 * MiB);
    const zeroCrc = oracle(zeros);
    const zeroCrc3 = oracle(new Uint8Array(3));
    // 4 x 16 MiB + 3 zeros after the prefix, streamed, against combines of oracle crcs.
    const hasher = new Crc64().update(prefix);
    for (let k = 0; k < 4; k++) hasher.update(zeros);
    hasher.update(zeros.subarray(0, 3));
    let zerosCrc = zeroCrc;
    for (let k = 1; k < 4; k++) zerosCrc = crc64Combine(zerosCrc, zeroCrc, zeros.length);
    zerosCrc = crc64Combine(zerosCrc, zeroCrc3, 3);
    expect(crc64Combine(crc64(prefix), zerosCrc, 4 * zeros.length + 3)).toBe(hasher.digest());
  });

  // About 5 s of hashing: opt in with CRC64_SLOW_TESTS=1.
  it.skipIf(!process.env.CRC64_SLOW_TESTS)(
    'matches streaming over 5 GiB + 3 zeros',
    () => {
      const prefix = ascii('123456789');
      const block = new Uint8Array(64 * MiB);
      const blocks = 80; // 80 x 64 MiB = 5 GiB
      const hasher = new Crc64().update(prefix);
      for (let k = 0; k < blocks; k++) hasher.update(block);
      hasher.update(block.subarray(0, 3));
      const blockCrc = oracle(block);
      let zerosCrc = blockCrc;
      for (let k = 1; k < blocks; k++) zerosCrc = crc64Combine(zerosCrc, blockCrc, block.length);
      zerosCrc = crc64Combine(zerosCrc, oracle(new Uint8Array(3)), 3);
      expect(crc64Combine(crc64(prefix), zerosCrc, 5 * GiB + 3)).toBe(hasher.digest());
    },
    120_000,
  );

  it('rejects bad lengths and crcs outside uint64', () => {
    for (const len2 of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => crc64Combine(1n, 2n, len2), `len2 ${len2}`).toThrow(RangeError);
    }
    expect(() => crc64Combine(-1n, 2n, 1)).toThrow(RangeError);
    expect(() => crc64Combine(1n, 1n << 64n, 1)).toThrow(RangeError);
  });
});

describe('parseCrc64 and crc64ToString', () => {
  it('round-trip', () => {
    const next = makeRandom(3);
    const values = [0n, 1n, 11051210869376104954n, MASK64, MASK64 - 1n, 1n << 63n];
    for (let i = 0; i < 200; i++) values.push(randomUint64(next));
    for (const value of values) {
      const text = crc64ToString(value);
      expect(text).toBe(value.toString());
      expect(parseCrc64(text)).toBe(value);
    }
    expect(parseCrc64('18446744073709551615')).toBe(MASK64);
    expect(parseCrc64('000123')).toBe(123n);
    expect(parseCrc64('00000000000000000000000000000018446744073709551615')).toBe(MASK64);
  });

  it('rejects anything that is not a decimal uint64', () => {
    const bad = [
      '',
      '-1',
      '-0',
      '+1',
      '18446744073709551616',
      '99999999999999999999',
      '1e5',
      '0x10',
      '1.0',
      ' 1',
      '1 ',
      '1\n',
      '１２',
      'abc',
      '1'.repeat(10_000),
    ];
    for (const text of bad)
      expect(() => parseCrc64(text), JSON.stringify(text.slice(0, 30))).toThrow(Error);
    expect(() => parseCrc64('18446744073709551616')).toThrow(/2\^64-1/);
    expect(() => parseCrc64(123 as unknown as string)).toThrow(Error);
  });

  it('crc64ToString rejects values outside uint64', () => {
    expect(() => crc64ToString(-1n)).toThrow(RangeError);
    expect(() => crc64ToString(1n << 64n)).toThrow(RangeError);
  });
});
