import { CoreError, isCoreError, type ErrorCode } from '../errors.js';

/**
 * Maps whatever ali-oss 6.23 (and urllib 2, underneath it) throws to a CoreError with a
 * stable code and a plain-English message naming the bucket and key. See
 * docs/oss-wire-notes.md ("Errors") for the shapes.
 */

/** Headers as Node and urllib hand them over (lower-case names). */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface OssErrorContext {
  /** The OSS operation (PutObject, GetObject, ...), also the RAM action name. */
  op: string;
  bucket?: string;
  key?: string;
  uploadId?: string;
  /**
   * The response headers when the adapter saw them: ali-oss drops them from its error
   * objects, and Retry-After and a HEAD's `x-oss-err` are only found there.
   */
  headers?: ResponseHeaders;
}

interface RawError {
  name?: unknown;
  message?: unknown;
  status?: unknown;
  code?: unknown;
  requestId?: unknown;
  headers?: unknown;
}

const THROTTLE_CODES = new Set([
  'QpsLimitExceeded',
  'TotalQpsLimitExceeded',
  'UploadTrafficRateLimitExceeded',
  'DownloadTrafficRateLimitExceeded',
  'ThrottlingException',
]);

const TIMEOUT_NAMES = new Set([
  'ResponseTimeoutError',
  'ConnectionTimeoutError',
  'SocketAssignTimeoutError',
]);
const TIMEOUT_ERRNOS = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);

const NETWORK_ERRNOS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ECONNABORTED: 'the connection was aborted',
  EPIPE: 'the connection was closed while sending',
  ENOTFOUND: 'the host name could not be resolved',
  EAI_AGAIN: 'the host name could not be resolved',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ENETDOWN: 'the network is down',
  ERR_STREAM_PREMATURE_CLOSE: 'the connection closed early',
};
const NETWORK_NAMES = new Set([
  'RequestError',
  'ResponseError',
  'RemoteSocketClosedError',
  'ConnectionResetError',
  'SocketError',
]);

const LOCAL_ERRNOS: Readonly<Record<string, ErrorCode>> = {
  ENOENT: 'local-not-found',
  EACCES: 'local-permission',
  EPERM: 'local-permission',
  ENOSPC: 'disk-full',
  EDQUOT: 'disk-full',
  EISDIR: 'local-io',
  EMFILE: 'local-io',
  EIO: 'local-io',
};

/**
 * The RAM actions a policy must allow for an OSS operation: OSS names the operation
 * (HeadObject, UploadPart, ...), RAM policies name actions, and several operations share one.
 */
const RAM_ACTIONS: Readonly<Record<string, string>> = {
  HeadObject: 'oss:GetObject',
  ListObjectsV2: 'oss:ListObjects',
  InitiateMultipartUpload: 'oss:PutObject',
  UploadPart: 'oss:PutObject',
  CompleteMultipartUpload: 'oss:PutObject',
  CopyObject: 'oss:PutObject (and oss:GetObject on the source)',
  UploadPartCopy: 'oss:PutObject (and oss:GetObject on the source)',
};

function ramActionsFor(op: string): string {
  return RAM_ACTIONS[op] ?? `oss:${op}`;
}

/** OSS's AccessDenied for a bucket reached through another region's endpoint. */
const WRONG_ENDPOINT = /must be addressed using the specified endpoint/i;

export function toCoreError(error: unknown, context: OssErrorContext): CoreError {
  if (isCoreError(error)) return error;
  const raw: RawError = typeof error === 'object' && error !== null ? error : {};
  const name = typeof raw.name === 'string' ? raw.name : '';
  const message = typeof raw.message === 'string' ? raw.message : String(error);
  const status = typeof raw.status === 'number' ? raw.status : undefined;
  const headers = context.headers ?? (isHeaders(raw.headers) ? raw.headers : undefined);
  const cause = sanitizedCause(error, name, message);
  const where = describeTarget(context);

  if (isAbort(error, name)) {
    return new CoreError('cancelled', `${context.op} of ${where} was cancelled.`, {
      subject: context.key,
      cause,
    });
  }

  // OSS answered with an error status. A HEAD (or a body ali-oss never read) has no XML:
  // ali-oss then guesses NoSuchKey for every 404, but OSS put the real document,
  // base64-encoded, in x-oss-err.
  if (status !== undefined && status >= 300) {
    const fromHeader = decodeOssErrHeader(header(headers, 'x-oss-err'));
    const ossCode =
      fromHeader?.code ?? (typeof raw.code === 'string' && raw.code !== '' ? raw.code : undefined);
    const requestId =
      fromHeader?.requestId ??
      (typeof raw.requestId === 'string' && raw.requestId !== '' ? raw.requestId : undefined) ??
      header(headers, 'x-oss-request-id');
    const ossMessage = fromHeader?.message ?? (ossCode === undefined ? undefined : message);
    return fromOssResponse(status, ossCode, ossMessage, requestId, headers, context, cause);
  }

  const errno = errnoOf(raw, message);
  if (TIMEOUT_NAMES.has(name) || status === -2 || (errno && TIMEOUT_ERRNOS.has(errno))) {
    return new CoreError(
      'timeout',
      `${context.op} of ${where} timed out (${name || errno}): OSS did not answer in time; check the network, it will be retried.`,
      { subject: context.key, cause },
    );
  }
  if (
    status === -1 ||
    NETWORK_NAMES.has(name) ||
    (errno !== undefined && errno in NETWORK_ERRNOS) ||
    /socket hang up/i.test(message)
  ) {
    const what =
      (errno === undefined ? undefined : NETWORK_ERRNOS[errno]) ??
      (/socket hang up/i.test(message)
        ? 'the connection closed unexpectedly (socket hang up)'
        : 'a network error');
    return new CoreError(
      'network',
      `Could not reach OSS for ${context.op} of ${where}: ${what}. Check the network connection and the endpoint; it will be retried.`,
      { subject: context.key, cause },
    );
  }
  const local = errno === undefined ? undefined : LOCAL_ERRNOS[errno];
  if (local !== undefined) {
    return new CoreError(
      local,
      `${context.op} of ${where} failed reading the local data (${errno}).`,
      { subject: context.key, cause },
    );
  }
  return new CoreError('unknown', `${context.op} of ${where} failed: ${firstLine(message)}`, {
    subject: context.key,
    cause,
  });
}

function fromOssResponse(
  status: number,
  ossCode: string | undefined,
  ossMessage: string | undefined,
  requestId: string | undefined,
  headers: ResponseHeaders | undefined,
  context: OssErrorContext,
  cause: Error,
): CoreError {
  const { op, bucket } = context;
  const where = describeTarget(context);
  const shown = ossCode === undefined ? `HTTP ${status}` : `${ossCode}, HTTP ${status}`;
  const details = { ossCode, status, requestId, subject: context.key, cause };
  const make = (code: ErrorCode, text: string, extra: { retryAfterMs?: number } = {}) =>
    new CoreError(code, text, { ...details, ...extra });

  if (
    status === 429 ||
    (ossCode !== undefined && (THROTTLE_CODES.has(ossCode) || /RateLimitExceeded$/.test(ossCode)))
  ) {
    const retryAfterMs = parseRetryAfter(header(headers, 'retry-after'));
    const after = retryAfterMs === undefined ? '' : ` after ${Math.ceil(retryAfterMs / 1000)} s`;
    return make(
      'throttled',
      `OSS is throttling requests (${shown}) for ${where}: too many requests or too much bandwidth; slow down and retry${after}.`,
      retryAfterMs === undefined ? {} : { retryAfterMs },
    );
  }
  switch (ossCode) {
    case 'RequestTimeTooSkewed':
      return make(
        'clock-skew',
        `This computer's clock is more than 15 minutes off OSS's time (RequestTimeTooSkewed): set the system clock correctly.`,
      );
    case 'InvalidAccessKeyId':
      return make(
        'invalid-access-key',
        `OSS does not know this AccessKey ID (InvalidAccessKeyId): check OSS_ACCESS_KEY_ID.`,
      );
    case 'SignatureDoesNotMatch':
      return make(
        'signature-mismatch',
        `The AccessKey secret is wrong (SignatureDoesNotMatch): check OSS_ACCESS_KEY_SECRET.`,
      );
    case 'SecurityTokenExpired':
    case 'InvalidSecurityToken':
      return make(
        'token-expired',
        `The STS security token is expired or invalid (${ossCode}): get new temporary credentials.`,
      );
    case 'AccessDenied':
      if (ossMessage !== undefined && WRONG_ENDPOINT.test(ossMessage))
        return make(
          'access-denied',
          `The bucket "${bucket ?? '?'}" is in another region than this endpoint (${shown}: it must be addressed using its own endpoint): use the endpoint of the bucket's region, shown in the bucket's overview in the OSS console.`,
        );
      return make(
        'access-denied',
        `Access to ${where} was denied (${shown}): the RAM policy of this AccessKey must allow ${ramActionsFor(op)}${bucket === undefined ? '' : ` on bucket "${bucket}"`}.`,
      );
    case 'NoSuchBucket':
      return make(
        'no-such-bucket',
        `The bucket "${bucket ?? '?'}" does not exist (NoSuchBucket): check the bucket name, the region and the endpoint.`,
      );
    case 'NoSuchKey':
      return make(
        'no-such-key',
        `The object ${where} does not exist (NoSuchKey): it may have been deleted or renamed.`,
      );
    case 'NoSuchUpload':
      return make(
        'no-such-upload',
        `The multipart upload${context.uploadId === undefined ? '' : ` ${context.uploadId}`} of ${where} no longer exists (NoSuchUpload): it was completed or aborted; start a new upload.`,
      );
    case 'PreconditionFailed':
      return make(
        'precondition-failed',
        `The object ${where} changed on OSS since it was last seen (PreconditionFailed): read it again.`,
      );
    case 'FileAlreadyExists':
      return make(
        'precondition-failed',
        `The object ${where} already exists and overwriting it was forbidden (FileAlreadyExists).`,
      );
    case 'InvalidDigest':
      return make(
        'checksum-mismatch',
        `The data sent for ${where} was corrupted on the way (InvalidDigest): it will be sent again.`,
      );
    case 'RequestTimeout':
      return make(
        'timeout',
        `OSS timed out waiting for the data of ${where} (${shown}): it will be retried.`,
      );
    case undefined:
      break;
    default:
      break;
  }
  if (status >= 500) {
    return make(
      'server-error',
      `OSS failed ${op} of ${where} with a server error (${shown}): a temporary problem on OSS's side; it will be retried.`,
    );
  }
  if (status === 412) {
    return make(
      'precondition-failed',
      `The object ${where} changed on OSS since it was last seen (${shown}): read it again.`,
    );
  }
  if (status === 404) {
    return make(
      'no-such-key',
      `The object ${where} does not exist (${shown}): it may have been deleted or renamed.`,
    );
  }
  if (status === 403) {
    return make(
      'access-denied',
      `Access to ${where} was denied (${shown}): the RAM policy of this AccessKey must allow ${ramActionsFor(op)}.`,
    );
  }
  const reason = ossMessage === undefined || ossMessage === '' ? '' : `: ${firstLine(ossMessage)}`;
  return make('invalid-request', `OSS rejected ${op} of ${where} (${shown})${reason}`);
}

/** `oss://bucket/key`, `oss://bucket` or `OSS`. */
export function describeTarget(context: { bucket?: string; key?: string }): string {
  if (context.bucket === undefined) return 'OSS';
  return context.key === undefined
    ? `oss://${context.bucket}`
    : `oss://${context.bucket}/${context.key}`;
}

/** Delay-seconds or an HTTP date, as RFC 9110 allows. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The error document OSS puts base64-encoded in x-oss-err when the response has no body. */
export function decodeOssErrHeader(
  value: string | undefined,
): { code?: string; requestId?: string; message?: string } | undefined {
  if (value === undefined || value === '') return undefined;
  const xml = Buffer.from(value, 'base64').toString('utf8');
  if (!xml.includes('<Error>')) return undefined;
  const element = (tag: string): string | undefined => {
    const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
    return match?.[1] === undefined ? undefined : unescapeXml(match[1]);
  };
  return { code: element('Code'), requestId: element('RequestId'), message: element('Message') };
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (entity, body: string) => {
    switch (body.toLowerCase()) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const code =
          body[1] === 'x' || body[1] === 'X'
            ? parseInt(body.slice(2), 16)
            : parseInt(body.slice(1), 10);
        return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
      }
    }
  });
}

function header(headers: ResponseHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

function isHeaders(value: unknown): value is ResponseHeaders {
  return typeof value === 'object' && value !== null;
}

function isAbort(error: unknown, name: string): boolean {
  if (name === 'AbortError' || name === 'cancel' || name === 'abort') return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ABORT_ERR';
}

/**
 * The Node errno (ECONNRESET, ...) of a raw urllib error. ali-oss replaces `code` with the
 * error's name (ResponseError) and keeps only the message, so look there too.
 */
function errnoOf(raw: RawError, message: string): string | undefined {
  if (typeof raw.code === 'string' && /^E[A-Z_]+$/.test(raw.code)) return raw.code;
  const match = /\b(E[A-Z]{3,}|ERR_STREAM_PREMATURE_CLOSE)\b/.exec(message);
  return match?.[1];
}

/**
 * A plain copy of the original error (name, message, status, code). ali-oss errors carry
 * the request params, streams and sockets: keep none of that alive or loggable.
 */
function sanitizedCause(error: unknown, name: string, message: string): Error {
  const copy = new Error(message) as Error & { status?: unknown; code?: unknown };
  copy.name = name || 'Error';
  const raw = (typeof error === 'object' && error !== null ? error : {}) as RawError;
  if (raw.status !== undefined) copy.status = raw.status;
  if (raw.code !== undefined) copy.code = raw.code;
  if (error instanceof Error && error.stack !== undefined) copy.stack = error.stack;
  return copy;
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}
