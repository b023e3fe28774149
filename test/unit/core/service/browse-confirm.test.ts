/**
 * Delete confirmation tokens (objects.delete): bound to the account, the bucket, the exact
 * set of keys and the count shown; refused once expired, when tampered with, and by
 * another service instance (a restart).
 */
import { describe, expect, it } from 'vitest';
import {
  CONFIRMATION_TTL_MS,
  DeleteConfirmations,
} from '../../../../main/core/service/browse-confirm.js';
import { ContractError } from '../../../../shared/contract/index.js';

const scope = { accountId: 1, bucket: 'my-bucket', keys: ['photos/', 'docs/'] };

function refusal(run: () => unknown): ContractError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractError);
    return error as ContractError;
  }
  throw new Error('not refused');
}

describe('DeleteConfirmations', () => {
  it('accepts its own token for the same scope, whatever the key order or repeats', () => {
    let now = 1_000_000;
    const confirmations = new DeleteConfirmations(() => now);
    const { token, expiresAt } = confirmations.issue(scope, 42);
    expect(expiresAt).toBe(1_000_000 + CONFIRMATION_TTL_MS);
    expect(token).toMatch(/^v1\.\d+\.42\.[A-Za-z0-9_-]{43}$/);
    now += CONFIRMATION_TTL_MS; // the last valid millisecond
    expect(confirmations.check({ ...scope, keys: ['docs/', 'photos/', 'docs/'] }, token)).toEqual({
      count: 42,
      expiresAt,
    });
  });

  it('refuses an expired token with confirmation-expired', () => {
    let now = 5_000;
    const confirmations = new DeleteConfirmations(() => now);
    const { token } = confirmations.issue(scope, 3);
    now += CONFIRMATION_TTL_MS + 1;
    const error = refusal(() => confirmations.check(scope, token));
    expect(error.code).toBe('confirmation-expired');
    expect(error.subject).toBe('params.confirmationToken');
  });

  it('refuses other keys, another bucket or account, a changed count or expiry, garbage', () => {
    const confirmations = new DeleteConfirmations(() => 10_000);
    const { token } = confirmations.issue(scope, 7);
    const [, expiry, count, mac] = token.split('.');
    const cases: [typeof scope, string][] = [
      [{ ...scope, keys: ['photos/'] }, token],
      [{ ...scope, keys: [...scope.keys, 'x'] }, token],
      [{ ...scope, bucket: 'other-bucket' }, token],
      [{ ...scope, accountId: 2 }, token],
      [scope, `v1.${expiry}.${Number(count) + 1}.${mac}`],
      [scope, `v1.${Number(expiry) + 60_000}.${count}.${mac}`],
      // The first character: the last one of base64url carries bits the decoder drops, so
      // changing it can leave the same MAC (it did, one run in about 64).
      [scope, `v1.${expiry}.${count}.${mac!.startsWith('A') ? 'B' : 'A'}${mac!.slice(1)}`],
      [scope, 'garbage'],
      [scope, `v2.${expiry}.${count}.${mac}`],
    ];
    for (const [where, given] of cases) {
      const error = refusal(() => confirmations.check(where, given));
      expect(error.code, given).toBe('invalid-argument');
      expect(error.message).toMatch(/ask to delete again/);
    }
  });

  it('refuses a token issued by another instance (the key is random per service)', () => {
    const first = new DeleteConfirmations(() => 0);
    const second = new DeleteConfirmations(() => 0);
    const { token } = first.issue(scope, 1);
    expect(refusal(() => second.check(scope, token)).code).toBe('invalid-argument');
  });
});
