/**
 * `POST /api/upload?accountId=&bucket=&prefix=&path=`: a file dropped into the browser UI,
 * its bytes as the body. host.ts checks the Host, the Origin and the token first; this
 * module checks the length and the query, lets the service's staging (main/core/service/
 * staging.ts) check the rest before any byte is read, then streams the body into it. The
 * answer is JSON: 201 `{ accountId, batch, jobId, bucket, key, size }`, or an error status
 * with `{ error: { code, messageKey, message, subject? } }` (the contract's error shape).
 *
 * | status | when |
 * | --- | --- |
 * | 400 | a bad or missing query parameter (traversal, backslash, NUL, bad bucket, ...), a body shorter or longer than its Content-Length |
 * | 404 | no such account |
 * | 411 | no Content-Length (chunked bodies are refused) |
 * | 413 | Content-Length over the host's limit |
 * | 507 | not enough free disk space to stage the file |
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ContractError, type ContractErrorData } from '../../shared/contract/index.js';
import type { StagingApi } from '../core/service/staging.js';
import type { HostLogger } from './logger.js';

export const UPLOAD_PATH = '/api/upload';

/** A refused request's body is read and dropped up to this many bytes, so the client sees the answer. */
const DRAIN_MAX_BYTES = 8 * 1024 * 1024;

const QUERY_NAMES = new Set(['accountId', 'bucket', 'prefix', 'path']);

const STATUS_OF: Partial<Record<string, number>> = {
  'invalid-argument': 400,
  'invalid-payload': 400,
  'incomplete-body': 400,
  'not-found': 404,
  'disk-full': 507,
};

export interface UploadRouteOptions {
  staging: StagingApi;
  maxUploadBytes: number;
  logger: HostLogger;
  /** The host's security headers are set already; this writes the status and body. */
}

function json(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  value: unknown,
  close: boolean,
): void {
  if (response.headersSent || response.destroyed) return;
  const body = JSON.stringify(value);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...(close ? { Connection: 'close' } : {}),
  });
  response.end(body);
  if (!close) return;
  // The body was not read: drain a small one so the client gets to read the answer, cut a big one.
  const declared = Number(request.headers['content-length'] ?? 0);
  if (!request.complete && declared <= DRAIN_MAX_BYTES) {
    let drained = 0;
    request.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > DRAIN_MAX_BYTES) request.destroy();
    });
    request.resume();
  } else if (!request.complete) response.once('finish', () => request.destroy());
}

/** Answers a refused upload with the contract's error shape, closing the connection. */
export function refuseUpload(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  error: ContractError,
): void {
  json(request, response, status, { error: error.toData() satisfies ContractErrorData }, true);
}

const bad = (subject: string, message: string) =>
  new ContractError('invalid-argument', message, { subject });

interface Query {
  accountId: string;
  bucket: string;
  prefix: string;
  path: string;
}

function parseQuery(url: string | undefined): Query {
  const params = new URL(url ?? '/', 'http://host.invalid').searchParams;
  const seen = new Map<string, string>();
  for (const [name, value] of params) {
    if (!QUERY_NAMES.has(name))
      throw bad(
        name,
        `Unknown query parameter "${name}": give accountId, bucket, prefix and path.`,
      );
    if (seen.has(name)) throw bad(name, `The query parameter "${name}" is given twice.`);
    seen.set(name, value);
  }
  for (const name of ['accountId', 'bucket', 'path'])
    if (!seen.has(name)) throw bad(name, `The query parameter "${name}" is missing.`);
  return {
    accountId: seen.get('accountId') ?? '',
    bucket: seen.get('bucket') ?? '',
    prefix: seen.get('prefix') ?? '',
    path: seen.get('path') ?? '',
  };
}

/** The declared body length, or an answer already sent. */
function declaredLength(
  request: IncomingMessage,
  response: ServerResponse,
  maxUploadBytes: number,
): number | undefined {
  const length = request.headers['content-length'];
  if (request.headers['transfer-encoding'] !== undefined || length === undefined) {
    refuseUpload(
      request,
      response,
      411,
      bad(
        'Content-Length',
        'Send the file with a Content-Length header; chunked bodies are not accepted.',
      ),
    );
    return undefined;
  }
  const size = /^\d{1,16}$/.test(length) ? Number(length) : Number.NaN;
  if (!Number.isSafeInteger(size)) {
    refuseUpload(
      request,
      response,
      400,
      bad('Content-Length', 'The Content-Length is not a number of bytes.'),
    );
    return undefined;
  }
  if (size > maxUploadBytes) {
    refuseUpload(
      request,
      response,
      413,
      bad(
        'Content-Length',
        `The file is ${size} bytes; this host accepts at most ${maxUploadBytes} bytes per file.`,
      ),
    );
    return undefined;
  }
  return size;
}

/** Handles a POST to UPLOAD_PATH that passed the host's Host, Origin and token checks. */
export async function handleUpload(
  request: IncomingMessage,
  response: ServerResponse,
  options: UploadRouteOptions,
): Promise<void> {
  const size = declaredLength(request, response, options.maxUploadBytes);
  if (size === undefined) return;
  let query: Query;
  try {
    query = parseQuery(request.url);
    await options.staging.check({ ...query, size });
  } catch (error) {
    return answerError(request, response, error, options.logger);
  }
  try {
    const staged = await options.staging.stage({ ...query, size, body: request });
    json(request, response, 201, staged, false);
  } catch (error) {
    answerError(request, response, error, options.logger);
  }
}

function answerError(
  request: IncomingMessage,
  response: ServerResponse,
  error: unknown,
  logger: HostLogger,
): void {
  if (!(error instanceof ContractError)) {
    logger.error({ err: error }, 'upload failed');
    return refuseUpload(request, response, 500, new ContractError('unknown'));
  }
  if (error.code === 'cancelled') {
    // The client went away mid-body: there is nobody to answer.
    logger.debug({ code: error.code }, 'upload aborted by the client');
    if (!response.headersSent) response.destroy();
    return;
  }
  const status = STATUS_OF[error.code] ?? 500;
  logger.debug({ code: error.code, subject: error.subject, status }, 'upload refused');
  refuseUpload(request, response, status, error);
}
