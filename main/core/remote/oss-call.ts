import type { Agent as HttpAgent, ClientRequest, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type { CoreError } from '../errors.js';
import type { ResponseHeaders } from './oss-errors.js';

/**
 * One OSS call in flight, and the HTTP transport ali-oss sends it through.
 *
 * ali-oss has no per-request abort (its `cancel()` stops every upload of the client), and
 * its errors drop the response headers. So the adapter hands ali-oss its own `urllib`
 * (the `urllib` client option, lib/client.js:37) that wraps the real urllib, finds the
 * call by the `ctx` ali-oss passes through to urllib, and records the request, the
 * response headers and a raw network error on it. Ending a call (cancel, timeout, a bad
 * body) destroys its request and streams at once and rejects whatever is pending.
 */

/** What ali-oss passes as `ctx` (it may deep-copy it, so only an id travels). */
export interface CallTag {
  ossyncCallId: number;
}

export class OssCall {
  readonly tag: CallTag;
  /** Status and headers of the last response, when one came. */
  response: { status: number; headers: ResponseHeaders } | undefined;
  /** The raw urllib error when no usable response came (ali-oss rewraps it lossily). */
  transportError: unknown;
  /** Set when the adapter ended the call: cancelled, timed out, bad body, store closed. */
  failure: CoreError | undefined;

  private request: ClientRequest | undefined;
  private rejectPending: ((error: Error) => void) | undefined;
  /** Streams to destroy when the call ends early; `true` passes them the error. */
  private readonly streams = new Map<Readable, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort: () => void;
  private disposed = false;

  constructor(
    id: number,
    private readonly signal: AbortSignal | undefined,
    private readonly onDispose: (call: OssCall) => void,
    makeCancelled: () => CoreError,
  ) {
    this.tag = { ossyncCallId: id };
    this.onAbort = () => this.fail(makeCancelled());
    if (signal?.aborted) this.failure = makeCancelled();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** (Re)arms the whole-call deadline, counted from now. */
  setDeadline(ms: number, makeTimeout: () => CoreError): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fail(makeTimeout()), Math.max(1, ms));
    this.timer.unref();
  }

  /**
   * Streams to destroy when the call ends early: the caller's upload body (quietly) and
   * the download handed to the caller (with the error, so its reader sees why).
   */
  track(stream: Readable, passError: boolean): void {
    this.streams.set(stream, passError);
  }

  /** Ends the call with `error`: destroys its request and streams, rejects what is pending. */
  fail(error: CoreError): void {
    if (this.failure !== undefined || this.disposed) return;
    this.failure = error;
    this.rejectPending?.(error);
    this.rejectPending = undefined;
    this.teardown(error);
    this.dispose();
  }

  /** The call is over: stop its timer and listeners. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.onDispose(this);
  }

  /** After an error the rest of an upload is useless: drop the connection and the body. */
  abandon(): void {
    this.teardown(undefined);
  }

  attach(request: ClientRequest, reject: (error: Error) => void): void {
    this.request = request;
    this.rejectPending = reject;
  }

  settled(): void {
    this.rejectPending = undefined;
  }

  private teardown(error: CoreError | undefined): void {
    const request = this.request;
    if (request !== undefined && !request.destroyed) request.destroy();
    for (const [stream, passError] of this.streams) stream.destroy(passError ? error : undefined);
    this.streams.clear();
  }
}

// ---------------------------------------------------------------------------------------
// The urllib wrapper
// ---------------------------------------------------------------------------------------

/** The part of urllib@2 (ali-oss's HTTP client) used here. */
interface Urllib {
  requestWithCallback(
    url: string,
    args: Record<string, unknown>,
    callback: (error: unknown, data: unknown, res: UrllibResponse | undefined) => void,
  ): ClientRequest;
}

/** urllib's response: its own object, or the IncomingMessage itself when streaming. */
interface UrllibResponse {
  statusCode: number;
  headers: ResponseHeaders;
}

export interface Transport {
  request(url: string, args: Record<string, unknown>): Promise<unknown>;
}

/** ali-oss's own urllib (a dependency of ali-oss, not of OSSync), so it behaves as shipped. */
function loadUrllib(): Urllib {
  const require = createRequire(import.meta.url);
  const fromAliOss = createRequire(require.resolve('ali-oss'));
  return fromAliOss('urllib') as Urllib;
}

let urllib: Urllib | undefined;

/** Error bodies of streamed responses are small XML documents; never buffer more than this. */
const MAX_ERROR_BODY = 64 * 1024;

export function createTransport(
  findCall: (tag: unknown) => OssCall | undefined,
  agents: { http: HttpAgent; https: HttpsAgent },
): Transport {
  urllib ??= loadUrllib();
  const client = urllib;
  return {
    request(url, args) {
      const call = findCall(args['ctx']);
      return new Promise((resolve, reject) => {
        if (call?.failure) {
          reject(call.failure);
          return;
        }
        const streaming = args['streaming'] === true || args['customResponse'] === true;
        // `settled` only once ali-oss has its answer: a call ended meanwhile (say, while a
        // streamed error body trickles in) must still reject the pending promise.
        const succeed = (value: unknown): void => {
          call?.settled();
          resolve(value);
        };
        const failWith = (error: Error): void => {
          call?.settled();
          reject(error);
        };
        const finish = (error: unknown, data: unknown, res: UrllibResponse | undefined): void => {
          if (res !== undefined && call !== undefined) {
            call.response = { status: res.statusCode, headers: res.headers };
          }
          if (error !== undefined && error !== null) {
            if (call !== undefined && res === undefined) call.transportError = error;
            failWith(error instanceof Error ? error : new Error('urllib failed without an Error'));
            return;
          }
          if (res === undefined) {
            failWith(new Error('urllib returned no response'));
            return;
          }
          const status = res.statusCode;
          if (streaming && status >= 300 && status !== 304) {
            // ali-oss never reads a streamed error body (it guesses NoSuchKey for a 404 and
            // "UnknownError" otherwise); read it here so it can parse the real code.
            void readSome(res as unknown as IncomingMessage, MAX_ERROR_BODY).then((body) =>
              succeed({ data: body, status, headers: res.headers, res }),
            );
            return;
          }
          succeed({ data, status, headers: res.headers, res });
        };
        let request: ClientRequest;
        try {
          request = client.requestWithCallback(
            url,
            { ...args, agent: agents.http, httpsAgent: agents.https },
            finish,
          );
        } catch (error) {
          reject(error instanceof Error ? error : new Error('urllib failed to start the request'));
          return;
        }
        if (args['stream'] !== undefined && args['stream'] !== null)
          reportUploadErrorsOnce(request);
        call?.attach(request, reject);
      });
    },
  };
}

/**
 * urllib pipes an upload body into the request with pump and also listens for the
 * request's errors itself: a request that fails mid-body (refused, reset, destroyed)
 * reaches its done() twice, and the second prints "callback twice!!!" with a stack on
 * stderr. While the body is being sent pump's own listener reports every request error,
 * so urllib's is set aside until the body is sent.
 */
function reportUploadErrorsOnce(request: ClientRequest): void {
  const own = request
    .listeners('error')
    .filter((listener) => listener.name === 'handleRequestError');
  if (own.length === 0) return; // another urllib: leave it alone
  for (const listener of own) request.removeListener('error', listener as (error: Error) => void);
  request.on('error', () => undefined); // pump's listener has it
  request.once('finish', () => {
    for (const listener of own) request.on('error', listener as (error: Error) => void);
  });
}

function readSome(stream: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => resolve(Buffer.concat(chunks));
    stream.on('data', (chunk: Buffer) => {
      if (size < limit) chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
    });
    stream.once('end', done);
    stream.once('error', done);
    stream.once('close', done);
  });
}
