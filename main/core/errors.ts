/**
 * Errors of the core, with a stable code the UI and the CLI translate, the OSS details when
 * the error came from OSS, and how the transfer engine should treat it.
 */
export const ERROR_CODES = [
  // retried with backoff
  'network', // connection refused, reset, DNS, socket hang up (no HTTP status)
  'timeout', // connect or response timeout
  'server-error', // 5xx
  'throttled', // 429, 503 QpsLimit / TrafficRateLimit
  'clock-skew', // 403 RequestTimeTooSkewed
  'file-changed', // the local file changed while it was read
  'checksum-mismatch', // CRC64 of what was sent or received differs from the server's
  'incomplete-body', // a download ended early
  'worker-crashed', // a hashing worker thread died mid-job (a new one takes its place)
  'database', // the state database refused a write (SQLITE_IOERR, SQLITE_FULL): tried again later
  // fail at once: the user must fix something
  'invalid-access-key', // 403 InvalidAccessKeyId
  'signature-mismatch', // 403 SignatureDoesNotMatch (wrong secret)
  'token-expired', // 403 SecurityTokenExpired / InvalidSecurityToken
  'access-denied', // 403 AccessDenied
  'no-such-bucket', // 404 NoSuchBucket
  'no-such-key', // 404 NoSuchKey
  'no-such-upload', // 404 NoSuchUpload (retried: the job forgets the upload and starts over)
  'precondition-failed', // 412, 409 FileAlreadyExists
  'invalid-request', // other 4xx
  'local-not-found', // ENOENT on a local path
  'local-permission', // EACCES / EPERM
  'disk-full', // ENOSPC / EDQUOT
  'local-io', // other local errors
  'invalid-key', // an object key that cannot be a local path
  'invalid-argument', // a setting or argument the user gave is not usable (the message says why)
  'not-found', // no such folder pair (or other record the user named)
  'cancelled',
  'unknown',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const RETRYABLE: ReadonlySet<ErrorCode> = new Set([
  'network',
  'timeout',
  'server-error',
  'throttled',
  'clock-skew',
  'file-changed',
  'checksum-mismatch',
  'incomplete-body',
  'worker-crashed',
  // The write is tried again with the job: what it would have recorded is done again.
  'database',
  // The job has forgotten the vanished upload by then: the next attempt starts a new one.
  'no-such-upload',
]);

/** Failures that mean "the endpoint is unreachable", counted toward going offline. */
const UNREACHABLE: ReadonlySet<ErrorCode> = new Set(['network', 'timeout']);

export interface CoreErrorDetails {
  /** The OSS error code (e.g. NoSuchKey) when OSS answered. */
  ossCode?: string;
  /** HTTP status when OSS answered. */
  status?: number;
  /** x-oss-request-id when OSS answered: quote it to Aliyun support. */
  requestId?: string;
  /** From a Retry-After header, in ms. */
  retryAfterMs?: number;
  /** The local path or object key the error is about. */
  subject?: string;
  cause?: unknown;
}

export class CoreError extends Error {
  readonly code: ErrorCode;
  readonly ossCode: string | undefined;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly subject: string | undefined;

  constructor(code: ErrorCode, message: string, details: CoreErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'CoreError';
    this.code = code;
    this.ossCode = details.ossCode;
    this.status = details.status;
    this.requestId = details.requestId;
    this.retryAfterMs = details.retryAfterMs;
    this.subject = details.subject;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }

  get unreachable(): boolean {
    return UNREACHABLE.has(this.code);
  }
}

export function isCoreError(error: unknown): error is CoreError {
  return error instanceof CoreError;
}

/** SQLite's codes for a disk or lock that failed, not for a wrong statement (those are bugs). */
const DATABASE_FAULT = /^SQLITE_(IOERR|FULL|BUSY|LOCKED|CANTOPEN|NOMEM|PROTOCOL)(_|$)/;

/**
 * A state database that failed to write or read (better-sqlite3's SqliteError with an I/O,
 * disk-full or lock code) as a retryable `database` error; anything else: undefined.
 */
export function fromDatabaseError(error: unknown): CoreError | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (!(error instanceof Error) || typeof code !== 'string' || !DATABASE_FAULT.test(code))
    return undefined;
  return new CoreError(
    'database',
    `OSSync could not update its state database (${code}: ${error.message}); it tries again.`,
    { cause: error },
  );
}
