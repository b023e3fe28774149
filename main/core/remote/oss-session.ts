import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { CoreError } from '../errors.js';
import { createAliOssClient, type AliCallOptions, type AliOssClient } from './ali-oss-client.js';
import { OssCall, createTransport, type Transport } from './oss-call.js';
import { describeTarget, toCoreError, type OssErrorContext } from './oss-errors.js';
import type { CallOptions, RemoteAccount } from './remote-store.js';

export interface OssSessionOptions {
  /** Connections per host (default 16): the transfer engine's concurrency should fit. */
  maxSockets?: number;
  /**
   * How long an idle keep-alive connection is kept (default 15 s). It must stay under the
   * server's keep-alive timeout, or a request can race the server closing the socket.
   */
  freeSocketTimeoutMs?: number;
  /** Told about every call once it ends (metrics); it must not throw or block. */
  observer?: OssCallObserver;
}

/** One finished OSS call: the operation, how long it took, and its error code if it failed. */
export interface OssCallReport {
  /** The OSS operation (PutObject, UploadPart, GetObject, ...). */
  op: string;
  durationMs: number;
  /** The CoreError code of a failed call; undefined when it succeeded. */
  errorCode?: string;
}

export type OssCallObserver = (report: OssCallReport) => void;

/** urllib's own timers stay behind ours, so ours (with its clear message) fires first. */
const BACKSTOP_MS = 5_000;

/**
 * What the calls of one account share: keep-alive agents, the transport ali-oss sends
 * through, one ali-oss client per bucket, and the calls in flight. `run` turns one request
 * into a call with its own deadline and abort signal, and every failure into a CoreError.
 */
export class OssSession {
  private readonly agents: { http: HttpAgent; https: HttpsAgent };
  private readonly transport: Transport;
  private readonly clients = new Map<string, AliOssClient>();
  private readonly calls = new Map<number, OssCall>();
  private nextCallId = 1;
  private closed = false;
  private readonly observer: OssCallObserver | undefined;

  constructor(
    private readonly account: RemoteAccount,
    options: OssSessionOptions = {},
  ) {
    this.observer = options.observer;
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? 16,
      maxFreeSockets: options.maxSockets ?? 16,
      // For a free socket this is its idle lifetime (Node's agent destroys it on timeout);
      // Node also lowers it to the server's `Keep-Alive: timeout=N` hint.
      timeout: options.freeSocketTimeoutMs ?? 15_000,
      scheduling: 'lifo' as const,
    };
    this.agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
    this.transport = createTransport((tag) => this.findCall(tag), this.agents);
    try {
      createAliOssClient(account, undefined, this.transport); // checks the account now
    } catch (error) {
      this.close();
      const message = error instanceof Error ? error.message : String(error);
      throw /accessKeyId|accessKeySecret/.test(message)
        ? new CoreError(
            'invalid-access-key',
            'The AccessKey ID and secret are required: set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET.',
          )
        : new CoreError(
            'invalid-request',
            `The OSS endpoint or region is not valid (${this.redact(message)}): check the account settings.`,
          );
    }
  }

  /** Ends every call in flight (they fail with `cancelled`) and closes the connections. */
  close(): void {
    this.closed = true;
    for (const call of [...this.calls.values()]) {
      call.fail(
        new CoreError('cancelled', 'The OSS connection was closed while a request was in flight.'),
      );
    }
    this.clients.clear();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /**
   * Runs one request as a call: its own deadline (`options.timeoutMs`, else
   * `defaultTimeoutMs`) and abort signal, errors mapped to CoreError. With `outlivesCall`
   * the result (a download) ends the call itself.
   */
  async run<T>(
    target: OssErrorContext,
    options: CallOptions | undefined,
    defaultTimeoutMs: number,
    send: (client: AliOssClient, aliOptions: AliCallOptions, call: OssCall) => Promise<T>,
    { outlivesCall = false } = {},
  ): Promise<T> {
    const where = describeTarget(target);
    if (this.closed) {
      throw new CoreError(
        'cancelled',
        `${target.op} of ${where} was not sent: the OSS connection is closed.`,
      );
    }
    const timeout = options?.timeoutMs ?? defaultTimeoutMs;
    const id = this.nextCallId++;
    const call = new OssCall(
      id,
      options?.signal,
      () => this.calls.delete(id),
      () =>
        new CoreError('cancelled', `${target.op} of ${where} was cancelled.`, {
          subject: target.key,
        }),
    );
    this.calls.set(id, call);
    call.setDeadline(timeout, () => timeoutError(target, timeout));
    const started = performance.now();
    try {
      if (call.failure !== undefined) throw call.failure;
      const client = this.clientFor(target.bucket ?? '');
      const result = await send(client, { ctx: call.tag, timeout: timeout + BACKSTOP_MS }, call);
      if (!outlivesCall) call.dispose();
      // A download's call goes on while its body streams: this is the time to its answer.
      this.report({ op: target.op, durationMs: performance.now() - started });
      return result;
    } catch (error) {
      const mapped =
        call.failure ??
        toCoreError(call.transportError ?? error, {
          ...target,
          ...(call.response ? { headers: call.response.headers } : {}),
        });
      call.abandon();
      call.dispose();
      this.report({
        op: target.op,
        durationMs: performance.now() - started,
        errorCode: mapped.code,
      });
      throw this.redactError(mapped);
    }
  }

  private report(report: OssCallReport): void {
    if (this.observer === undefined) return;
    try {
      this.observer(report);
    } catch {
      // metrics must never fail a call
    }
  }

  private findCall(tag: unknown): OssCall | undefined {
    const id = (tag as { ossyncCallId?: unknown } | null | undefined)?.ossyncCallId;
    return typeof id === 'number' ? this.calls.get(id) : undefined;
  }

  private clientFor(bucket: string): AliOssClient {
    let client = this.clients.get(bucket);
    if (client === undefined) {
      try {
        client = createAliOssClient(this.account, bucket, this.transport);
      } catch {
        throw new CoreError(
          'invalid-request',
          `"${bucket}" is not a valid bucket name: use 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit.`,
        );
      }
      this.clients.set(bucket, client);
    }
    return client;
  }

  /** A last guard: no message ever carries the secret or the STS token. */
  private redactError(error: CoreError): CoreError {
    const message = this.redact(error.message);
    if (message === error.message) return error;
    return new CoreError(error.code, message, {
      ossCode: error.ossCode,
      status: error.status,
      requestId: error.requestId,
      retryAfterMs: error.retryAfterMs,
      subject: error.subject,
    });
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of [this.account.accessKeySecret, this.account.securityToken]) {
      if (secret !== undefined && secret.length >= 6) out = out.split(secret).join('***');
    }
    return out;
  }
}

export function timeoutError(target: OssErrorContext, ms: number): CoreError {
  return new CoreError(
    'timeout',
    `${target.op} of ${describeTarget(target)} took longer than ${formatMs(ms)} and was stopped: check the network connection; it will be retried.`,
    { subject: target.key },
  );
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
