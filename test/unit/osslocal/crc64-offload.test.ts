import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { Crc64Offload } from '../../../main/osslocal/store/crc64-offload.js';

// An independent implementation as the oracle; it takes at most 16 MiB per call.
const oracle = createRequire(import.meta.url)('crc64-ecma182.js') as {
  crc64: (data: Buffer, previous?: string) => string;
};
function expected(data: Buffer): string {
  let crc = '0';
  for (let offset = 0; offset < data.length; offset += 1 << 20)
    crc = oracle.crc64(data.subarray(offset, offset + (1 << 20)), crc);
  return crc;
}

describe('Crc64Offload', () => {
  const offload = new Crc64Offload();
  afterAll(() => offload.close());

  it('gives the CRC64 of streams below, at and past the inline limit, fed in odd chunks', async () => {
    for (const size of [0, 1, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 5 * 1024 * 1024 + 7]) {
      const data = randomBytes(size);
      const stream = offload.stream();
      for (let offset = 0; offset < size;) {
        const length = Math.min(size - offset, 1 + Math.floor(Math.random() * 300_000));
        stream.update(data.subarray(offset, offset + length));
        offset += length;
      }
      expect(await stream.digest(), `size ${size}`).toBe(expected(data));
    }
  });

  it('keeps interleaved streams apart, and an abandoned one does not disturb the others', async () => {
    const bodies = [0, 1, 2].map(() => randomBytes(3 * 1024 * 1024 + 11));
    const streams = bodies.map(() => offload.stream());
    const dropped = offload.stream();
    for (let offset = 0; offset < bodies[0]!.length; offset += 65536) {
      bodies.forEach((body, i) => streams[i]!.update(body.subarray(offset, offset + 65536)));
      dropped.update(randomBytes(65536));
    }
    dropped.abandon();
    const digests = await Promise.all(streams.map((stream) => stream.digest()));
    expect(digests).toEqual(bodies.map(expected));
  });

  it("leaves the caller's buffers intact (they are still being written to disk)", async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const copy = Buffer.from(data);
    const stream = offload.stream();
    stream.update(data.subarray(0, 1024 * 1024));
    stream.update(data.subarray(1024 * 1024));
    await stream.digest();
    expect(data.equals(copy)).toBe(true);
  });
});
