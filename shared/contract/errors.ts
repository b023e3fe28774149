/**
 * Errors crossing the contract: a stable code, an i18n key for the UI, an English fallback,
 * and, when there is one, the OSS request id and the path or key the error is about.
 *
 * The codes are main/core/errors.ts ERROR_CODES (kept in step here; shared imports nothing
 * from core, and the service layer maps a CoreError to a ContractError) plus the
 * contract-level ones. A test in core can assert that every core code is listed here.
 */
import { z } from 'zod';
import { optionalText, text } from './dto.js';

/** Codes a CoreError can carry (main/core/errors.ts ERROR_CODES). */
export const CORE_ERROR_CODES = [
  'network',
  'timeout',
  'server-error',
  'throttled',
  'clock-skew',
  'file-changed',
  'checksum-mismatch',
  'incomplete-body',
  'worker-crashed',
  'database',
  'invalid-access-key',
  'signature-mismatch',
  'token-expired',
  'access-denied',
  'no-such-bucket',
  'no-such-key',
  'no-such-upload',
  'precondition-failed',
  'invalid-request',
  'local-not-found',
  'local-permission',
  'disk-full',
  'local-io',
  'invalid-key',
  'invalid-argument',
  'not-found',
  'cancelled',
  'unknown',
] as const;

/** Codes only the contract produces ('not-found' is shared with core). */
export const CONTRACT_ONLY_ERROR_CODES = [
  // a params, result or event payload failed its schema (the message names the field)
  'invalid-payload',
  // the caller is not allowed (missing or wrong token, foreign sender)
  'unauthorized',
  // a method name nobody declared
  'unknown-method',
  // a confirmation token that is unknown, used, or expired
  'confirmation-expired',
] as const;

export const CONTRACT_ERROR_CODES = [...CORE_ERROR_CODES, ...CONTRACT_ONLY_ERROR_CODES] as const;
export type ContractErrorCode = (typeof CONTRACT_ERROR_CODES)[number];
export const errorCodeSchema = z.enum(CONTRACT_ERROR_CODES);

/** English fallbacks, shown when a translation is missing; the UI translates messageKey. */
const FALLBACK: Record<ContractErrorCode, string> = {
  network: 'The storage service could not be reached.',
  timeout: 'The storage service did not answer in time.',
  'server-error': 'The storage service had an internal error.',
  throttled: 'The storage service asked us to slow down.',
  'clock-skew': "This computer's clock is too far from the server's time.",
  'file-changed': 'The local file changed while it was being read.',
  'checksum-mismatch': 'The data did not arrive intact (CRC64 mismatch).',
  'incomplete-body': 'The download ended early.',
  'worker-crashed': 'A hashing worker stopped unexpectedly; retrying should work.',
  database: 'OSSync could not write its state database.',
  'invalid-access-key': 'The AccessKey ID is not known to the service.',
  'signature-mismatch': 'The AccessKey secret is wrong.',
  'token-expired': 'The security token has expired.',
  'access-denied': 'Access denied: the key lacks permission for this.',
  'no-such-bucket': 'The bucket does not exist.',
  'no-such-key': 'The object does not exist.',
  'no-such-upload': 'The multipart upload no longer exists.',
  'precondition-failed': 'The object changed in the meantime.',
  'invalid-request': 'The storage service refused the request.',
  'local-not-found': 'The local file or folder does not exist.',
  'local-permission': 'No permission to read or write the local file.',
  'disk-full': 'The disk is full.',
  'local-io': 'A local file error occurred.',
  'invalid-key': 'The object key cannot be used as a local file name.',
  'invalid-argument': 'A value given is not usable.',
  'not-found': 'The item no longer exists.',
  cancelled: 'Cancelled.',
  unknown: 'Something unexpected went wrong.',
  'invalid-payload': 'The request was malformed.',
  unauthorized: 'Not authorized.',
  'unknown-method': 'Unknown request.',
  'confirmation-expired': 'The confirmation expired; ask again.',
};

/** The i18n key of a code: 'errors.<code>'. */
export function errorMessageKey(code: ContractErrorCode): string {
  return `errors.${code}`;
}

export function fallbackMessage(code: ContractErrorCode): string {
  return FALLBACK[code];
}

/** An error as it crosses a transport (plain data). */
export const contractErrorSchema = z.strictObject({
  code: errorCodeSchema,
  /** i18n key, e.g. 'errors.access-denied'. */
  messageKey: text(128).regex(/^[a-zA-Z0-9_.-]+$/),
  /** English fallback; never contains a secret. */
  message: text(2000),
  /** x-oss-request-id, for Aliyun support. */
  requestId: text(128).optional(),
  /** The OSS error code (NoSuchKey, ...), for the details shown on demand. */
  ossCode: text(128).optional(),
  /** The field, key or local path the error is about. */
  subject: optionalText(4096).optional(),
});
export type ContractErrorData = z.infer<typeof contractErrorSchema>;

/** A failed job's last error, as stored (code and message from core, maybe a request id). */
export const jobErrorSchema = z.strictObject({
  code: errorCodeSchema,
  message: text(2000),
  requestId: text(128).optional(),
});
export type JobErrorDto = z.infer<typeof jobErrorSchema>;

export class ContractError extends Error {
  readonly code: ContractErrorCode;
  readonly messageKey: string;
  readonly requestId: string | undefined;
  readonly ossCode: string | undefined;
  readonly subject: string | undefined;

  constructor(
    code: ContractErrorCode,
    message: string = fallbackMessage(code),
    details: { requestId?: string; ossCode?: string; subject?: string; messageKey?: string } = {},
  ) {
    super(message);
    this.name = 'ContractError';
    this.code = code;
    this.messageKey = details.messageKey ?? errorMessageKey(code);
    this.requestId = details.requestId;
    this.ossCode = details.ossCode;
    this.subject = details.subject;
  }

  /** The plain form sent over a transport. */
  toData(): ContractErrorData {
    const data: ContractErrorData = {
      code: this.code,
      messageKey: this.messageKey,
      message: this.message,
    };
    if (this.requestId !== undefined) data.requestId = this.requestId;
    if (this.ossCode !== undefined) data.ossCode = this.ossCode;
    if (this.subject !== undefined) data.subject = this.subject;
    return data;
  }

  static fromData(data: ContractErrorData): ContractError {
    const details: { requestId?: string; ossCode?: string; subject?: string; messageKey: string } =
      { messageKey: data.messageKey };
    if (data.requestId !== undefined) details.requestId = data.requestId;
    if (data.ossCode !== undefined) details.ossCode = data.ossCode;
    if (data.subject !== undefined) details.subject = data.subject;
    return new ContractError(data.code, data.message, details);
  }
}

export function isContractError(value: unknown): value is ContractError {
  return value instanceof ContractError;
}
