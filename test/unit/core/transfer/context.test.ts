import { describe, expect, it } from 'vitest';
import { BandwidthLimiter } from '../../../../main/core/transfer/bandwidth.js';
import { bodyTimeoutMs } from '../../../../main/core/transfer/context.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('bodyTimeoutMs', () => {
  it("leaves the store's default deadline alone without a limit", () => {
    expect(bodyTimeoutMs(new BandwidthLimiter({}), 8 * MiB, 8)).toBeUndefined();
  });

  it('allows for the share of a low limit each transfer gets when every slot is busy', () => {
    // 256 KiB/s over 8 parts: 32 KiB/s each, so an 8 MiB part needs 256 s; the store's
    // default (60 s + size at 64 KiB/s = 188 s) would time it out.
    const limiter = new BandwidthLimiter({ bytesPerSecond: 256 * KiB });
    expect(bodyTimeoutMs(limiter, 8 * MiB, 8)).toBe(60_000 + 256_000);
  });

  it('never gives less time than the default floor of 64 KiB/s', () => {
    const limiter = new BandwidthLimiter({ bytesPerSecond: 100 * MiB });
    expect(bodyTimeoutMs(limiter, 8 * MiB, 8)).toBe(60_000 + 128_000);
  });

  it('follows a limit changed at run time', () => {
    const limiter = new BandwidthLimiter({ bytesPerSecond: 100 * MiB });
    limiter.setRate(64 * KiB);
    expect(bodyTimeoutMs(limiter, MiB, 4)).toBe(60_000 + 64_000);
    limiter.setRate(undefined);
    expect(bodyTimeoutMs(limiter, MiB, 4)).toBeUndefined();
  });
});
