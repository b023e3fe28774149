/**
 * Confirmation tokens for deleting folders (objects.delete): stateless, so nothing is kept
 * between the two calls. A token is `v1.<expiresAt ms>.<count>.<mac>` where mac is an
 * HMAC-SHA256, under a random key made once per service, over the account, the bucket, the
 * sorted distinct keys, the count shown and the expiry. A restart makes every token invalid.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ContractError } from '../../../shared/contract/index.js';

/** How long a delete confirmation stays valid. */
export const CONFIRMATION_TTL_MS = 5 * 60 * 1000;

export interface ConfirmationScope {
  accountId: number;
  bucket: string;
  keys: readonly string[];
}

export interface CheckedConfirmation {
  /** The number of objects the user was shown. */
  count: number;
  expiresAt: number;
}

const TOKEN = /^v1\.([0-9]{1,15})\.([0-9]{1,15})\.([A-Za-z0-9_-]{43})$/;
const SUBJECT = 'params.confirmationToken';

export class DeleteConfirmations {
  private readonly key = randomBytes(32);

  constructor(private readonly now: () => number) {}

  issue(scope: ConfirmationScope, count: number): { token: string; expiresAt: number } {
    const expiresAt = this.now() + CONFIRMATION_TTL_MS;
    return { token: `v1.${expiresAt}.${count}.${this.mac(scope, count, expiresAt)}`, expiresAt };
  }

  /** Throws a ContractError unless `token` was issued by this service for exactly `scope`. */
  check(scope: ConfirmationScope, token: string): CheckedConfirmation {
    const match = TOKEN.exec(token);
    if (match === null) {
      throw new ContractError(
        'invalid-argument',
        'The confirmation token is not one this app issued: ask to delete again and confirm the new count.',
        { subject: SUBJECT },
      );
    }
    const expiresAt = Number(match[1]);
    const count = Number(match[2]);
    const given = Buffer.from(match[3]!, 'base64url');
    const expected = Buffer.from(this.mac(scope, count, expiresAt), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ContractError(
        'invalid-argument',
        'The confirmation token does not match this account, bucket and these keys (or the app restarted since it was issued): ask to delete again and confirm the new count.',
        { subject: SUBJECT },
      );
    }
    if (this.now() > expiresAt) {
      throw new ContractError(
        'confirmation-expired',
        `The confirmation expired at ${new Date(expiresAt).toISOString()}: ask to delete again and confirm the new count.`,
        { subject: SUBJECT },
      );
    }
    return { count, expiresAt };
  }

  private mac(scope: ConfirmationScope, count: number, expiresAt: number): string {
    const keys = [...new Set(scope.keys)].sort();
    const payload = JSON.stringify([
      'objects.delete',
      scope.accountId,
      scope.bucket,
      keys,
      count,
      expiresAt,
    ]);
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
