import { describe, expect, it } from 'vitest';
import { CoreError, ERROR_CODES, type ErrorCode } from '../../../../main/core/errors.js';
import { RetryPolicy, type RetryDecision } from '../../../../main/core/transfer/retry-policy.js';
import { createRandom } from '../../../../main/osslocal/faults/random.js';

const error = (code: ErrorCode, retryAfterMs?: number): CoreError =>
  new CoreError(code, code, retryAfterMs === undefined ? {} : { retryAfterMs });

function delays(policy: RetryPolicy, code: ErrorCode, attempts: number): number[] {
  return Array.from({ length: attempts }, (_, i) => {
    const decision = policy.decide(error(code), i + 1);
    if (!decision.retry) throw new Error(`attempt ${i + 1}: ${decision.reason}`);
    return decision.delayMs;
  });
}

describe('RetryPolicy', () => {
  it('fails at once on codes that are not retryable, without drawing a random number', () => {
    const policy = new RetryPolicy({
      random: () => {
        throw new Error('random() must not be called for a permanent error');
      },
    });
    const permanent = ERROR_CODES.filter((code) => !error(code).retryable);
    expect(permanent).toContain('access-denied');
    expect(permanent).toContain('disk-full');
    for (const code of permanent) {
      expect(policy.decide(error(code), 1)).toEqual({ retry: false, reason: 'permanent' });
    }
  });

  it('backs off with caps doubling from initialDelayMs up to maxDelayMs', () => {
    // random() just below 1 shows the cap of each attempt
    const policy = new RetryPolicy({
      maxAttempts: 20,
      initialDelayMs: 1000,
      maxDelayMs: 60_000,
      random: () => 0.999999,
    });
    expect(delays(policy, 'network', 9)).toEqual([
      999, 1999, 3999, 7999, 15_999, 31_999, 59_999, 59_999, 59_999,
    ]);
    const none = new RetryPolicy({ random: () => 0 });
    expect(delays(none, 'server-error', 5)).toEqual([0, 0, 0, 0, 0]); // full jitter reaches 0
  });

  it('uses full jitter: with a seeded random the delays replay and stay within their caps', () => {
    const seeded = (): RetryPolicy => new RetryPolicy({ random: createRandom(42) });
    const first = delays(seeded(), 'timeout', 9);
    expect(delays(seeded(), 'timeout', 9)).toEqual(first);
    expect(delays(new RetryPolicy({ random: createRandom(43) }), 'timeout', 9)).not.toEqual(first);
    first.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(1000 * 2 ** i);
    });
    // spread over the whole range, not bunched at the cap
    const many = new RetryPolicy({ random: createRandom(7), maxAttempts: Infinity });
    const fractions = Array.from({ length: 2000 }, () => {
      const decision = many.decide(error('throttled'), 20);
      return decision.retry ? decision.delayMs / 300_000 : NaN;
    });
    const mean = fractions.reduce((sum, x) => sum + x, 0) / fractions.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(Math.min(...fractions)).toBeLessThan(0.01);
    expect(Math.max(...fractions)).toBeGreaterThan(0.99);
  });

  it('is a pure function of (error, attempt, random): order of calls does not matter', () => {
    const policy = new RetryPolicy({ random: () => 0.5 });
    const late = policy.decide(error('network'), 7);
    policy.decide(error('network'), 1);
    expect(policy.decide(error('network'), 7)).toEqual(late);
    expect(late).toEqual({ retry: true, delayMs: 32_000 });
  });

  it('never retries sooner than Retry-After, even beyond maxDelayMs', () => {
    const policy = new RetryPolicy({ random: () => 0, maxDelayMs: 10_000 });
    expect(policy.decide(error('throttled', 20_000), 1)).toEqual({ retry: true, delayMs: 20_000 });
    const high = new RetryPolicy({ random: () => 0.9 });
    // the backoff already waits longer than Retry-After: keep the longer one
    expect(high.decide(error('throttled', 500), 5)).toEqual({ retry: true, delayMs: 14_400 });
  });

  it('gives up once maxAttempts attempts have failed', () => {
    const policy = new RetryPolicy({ maxAttempts: 3, random: () => 0.5 });
    const decide = (attempt: number): RetryDecision => policy.decide(error('network'), attempt);
    expect(decide(1).retry).toBe(true);
    expect(decide(2).retry).toBe(true);
    expect(decide(3)).toEqual({ retry: false, reason: 'attempts-exhausted' });
    expect(decide(4)).toEqual({ retry: false, reason: 'attempts-exhausted' });
    // permanent wins: the reason the user must act on
    expect(policy.decide(error('access-denied'), 3)).toEqual({ retry: false, reason: 'permanent' });
    expect(new RetryPolicy().decide(error('network'), 9).retry).toBe(true);
    expect(new RetryPolicy().decide(error('network'), 10).retry).toBe(false);
  });

  it('rejects nonsense arguments', () => {
    expect(() => new RetryPolicy().decide(error('network'), 0)).toThrow(RangeError);
    expect(() => new RetryPolicy({ maxAttempts: 0 })).toThrow(RangeError);
  });
});
