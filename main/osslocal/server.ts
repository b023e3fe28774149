import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { handleAdmin } from './admin.js';
import type { Credential, StsCredential } from './auth/types.js';
import { verifyRequest } from './auth/verify.js';
import { OssError, ecFor, errors } from './errors.js';
import { FaultInjector, type FaultPlan } from './faults/injector.js';
import type { FaultRule } from './faults/rules.js';
import { createThrottle, createTripwire } from './faults/streams.js';
import type { OssResponse } from './http-types.js';
import type { OssOperation } from './operations.js';
import { OPERATION_HANDLERS } from './ops/handlers.js';
import type { Backend, OpRequest } from './ops/common.js';
import {
  addressRequest,
  routeOperation,
  validateBucketName,
  validateObjectKey,
} from './request.js';
import { BlobStore } from './store/blob-store.js';
import { MetadataStore } from './store/metadata-store.js';
import { xmlDocument } from './xml.js';

export interface OssLocalServerOptions {
  /** Directory for object data and metadata; created if missing. */
  root: string;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  credentials?: Credential[];
  stsCredentials?: StsCredential[];
  /** Buckets created at start when missing. */
  buckets?: string[];
  region?: string;
  faults?: FaultRule[];
  seed?: number;
  /** Token for the `/-/` admin endpoint; random when not given. */
  adminToken?: string;
  /** Injected clock (ms since epoch) for signatures, expiry and timestamps. */
  now?: () => number;
  owner?: { id: string; displayName: string };
}

/** One finished request, as emitted in the `request` event and counted in `stats()`. */
export interface RequestRecord {
  requestId: string;
  op: OssOperation | 'Admin' | 'Unknown';
  method: string;
  bucket: string | undefined;
  key: string | undefined;
  status: number;
  code: string | undefined;
  durationMs: number;
  /** Rule ids of the faults injected into this request. */
  faults: string[];
}

export interface OssLocalStats {
  requests: number;
  byOperation: Record<string, { count: number; byStatus: Record<string, number> }>;
  errorsByCode: Record<string, number>;
}

const NO_FAULTS: FaultPlan = { latencyMs: 0, dropResponse: false, injected: [] };
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/**
 * A local OSS-compatible server: the app's "storage on this computer" and our test double.
 * Start with `OssLocalServer.start(options)`; stop with `close()`.
 */
export class OssLocalServer extends EventEmitter<{ request: [RequestRecord] }> {
  readonly faults: FaultInjector;
  readonly adminToken: string;
  readonly region: string;
  private readonly backend: Backend;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly stats_: OssLocalStats = { requests: 0, byOperation: {}, errorsByCode: {} };
  private readonly authConfig;
  private closed = false;
  private inFlight = 0;

  private constructor(private readonly options: OssLocalServerOptions) {
    super();
    const now = options.now ?? Date.now;
    this.region = options.region ?? 'oss-cn-hangzhou';
    mkdirSync(options.root, { recursive: true });
    const meta = new MetadataStore(path.join(options.root, 'meta.db'));
    const blobs = new BlobStore(options.root);
    this.backend = {
      meta,
      blobs,
      now,
      region: this.region,
      owner: options.owner ?? { id: '1000000000000000', displayName: '1000000000000000' },
    };
    this.authConfig = {
      credentials: options.credentials ?? [],
      stsCredentials: options.stsCredentials ?? [],
      now,
    };
    this.faults = new FaultInjector({ rules: options.faults ?? [], seed: options.seed ?? 1 });
    this.adminToken = options.adminToken ?? randomBytes(24).toString('base64url');
    this.server = createServer(
      { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 },
      (req, res) => {
        void this.handle(req, res);
      },
    );
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: OssLocalServerOptions): Promise<OssLocalServer> {
    const server = new OssLocalServer(options);
    try {
      await server.recover();
      for (const name of options.buckets ?? []) {
        validateBucketName(name);
        server.backend.meta.createBucket({
          name,
          location: server.region,
          storageClass: 'Standard',
          createdMs: server.backend.now(),
        });
      }
      await new Promise<void>((resolve, reject) => {
        server.server.once('error', reject);
        server.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
          server.server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      // A bad bucket name or a port in use: do not leave the database open. Its state stays
      // 'running', which only costs the next start a sweep.
      server.backend.meta.close();
      await server.backend.blobs.close();
      throw error;
    }
    return server;
  }

  /** After an unclean stop, drop blob files no metadata refers to; always finish pending garbage. */
  private async recover(): Promise<void> {
    const { meta, blobs } = this.backend;
    if (meta.getMeta('state') === 'running') blobs.sweepUnreferenced((id) => meta.hasBlob(id));
    meta.setMeta('state', 'running');
    const garbage = meta.takeGarbage();
    await blobs.remove(garbage);
    meta.forgetGarbage(garbage);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  /** Base URL for path-style clients. */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}`;
  }

  /** The metadata store, for tests and benchmarks that seed or inspect state directly. */
  get metadata(): MetadataStore {
    return this.backend.meta;
  }

  stats(): OssLocalStats {
    return structuredClone(this.stats_);
  }

  resetStats(): void {
    this.stats_.requests = 0;
    this.stats_.byOperation = {};
    this.stats_.errorsByCode = {};
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // Give in-flight requests a moment, then cut whatever is left.
      setTimeout(() => {
        for (const socket of this.sockets) socket.destroy();
      }, 200).unref();
    });
    // Requests still in flight may be between a blob's rename and its commit: only a stop
    // with none left is clean; otherwise the next start sweeps unreferenced blobs.
    const deadline = Date.now() + 2000;
    while (this.inFlight > 0 && Date.now() < deadline) await sleep(10);
    this.backend.meta.setMeta('state', this.inFlight === 0 ? 'stopped' : 'running');
    this.backend.meta.close();
    await this.backend.blobs.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    try {
      await this.handleRequest(req, res);
    } finally {
      this.inFlight--;
    }
  }

  private async handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = randomBytes(12).toString('hex').toUpperCase();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    res.setHeader('x-oss-request-id', requestId);
    res.setHeader('Server', 'AliyunOSS');
    const record: RequestRecord = {
      requestId,
      op: 'Unknown',
      method,
      bucket: undefined,
      key: undefined,
      status: 0,
      code: undefined,
      durationMs: 0,
      faults: [],
    };
    const finish = (status: number, code: string | undefined): void => {
      record.status = status;
      record.code = code;
      record.durationMs = performance.now() - started;
      this.count(record);
      this.emit('request', record);
    };

    if (url.startsWith('/-/')) {
      record.op = 'Admin';
      const status = await handleAdmin(req, res, {
        token: this.adminToken,
        loopback: LOOPBACK.test(req.socket.remoteAddress ?? ''),
        faults: this.faults,
        stats: () => this.stats(),
        resetStats: () => this.resetStats(),
      });
      finish(status, undefined);
      return;
    }

    let plan = NO_FAULTS;
    let response: OssResponse;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    try {
      const addressed = addressRequest(url, req.headers.host);
      record.bucket = addressed.bucket;
      record.key = addressed.key;
      const op = routeOperation(method, addressed, req.headers['x-oss-copy-source'] !== undefined);
      record.op = op;
      if (this.faults.active) {
        plan = this.faults.plan({ op, method, bucket: addressed.bucket, key: addressed.key });
        record.faults = plan.injected;
        if (plan.latencyMs > 0) await sleep(plan.latencyMs);
        if (plan.error) {
          const { status, code, message, retryAfterSeconds } = plan.error;
          throw new OssError(
            status,
            code,
            message,
            {},
            retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) },
          );
        }
      }
      if (addressed.bucket !== undefined) validateBucketName(addressed.bucket);
      if (addressed.key !== undefined) validateObjectKey(addressed.key);
      verifyRequest(
        {
          method,
          bucket: addressed.bucket,
          key: addressed.key,
          rawQuery: addressed.rawQuery,
          headers: req.headers,
        },
        this.authConfig,
      );
      const opRequest: OpRequest = {
        op,
        method,
        bucket: addressed.bucket,
        key: addressed.key,
        query: addressed.query,
        headers: req.headers,
        body: this.wrapRequestBody(req, plan),
        host,
      };
      response = await OPERATION_HANDLERS[op](this.backend, opRequest);
    } catch (error) {
      response = this.errorResponse(error, requestId, method, host, record);
    }
    if (plan.dropResponse) {
      // The operation committed; the client never hears about it. A GET's body stream
      // already holds the blob file open: close it, or every dropped GET leaks a descriptor.
      if (response.body instanceof Readable) response.body.destroy();
      req.socket.destroy();
      finish(0, 'DroppedResponse');
      return;
    }
    await this.send(req, res, response, plan);
    finish(response.status, record.code);
  }

  private wrapRequestBody(req: IncomingMessage, plan: FaultPlan): Readable {
    const stages: Transform[] = [];
    if (plan.bandwidthBytesPerSecond !== undefined)
      stages.push(createThrottle(plan.bandwidthBytesPerSecond));
    if (plan.resetRequestAfterBytes !== undefined) {
      stages.push(createTripwire(plan.resetRequestAfterBytes, () => req.socket.destroy()));
    }
    if (stages.length === 0) return req;
    let stream: Readable = req;
    for (const stage of stages) {
      stream.on('error', (error) => stage.destroy(error));
      stream = stream.pipe(stage);
    }
    // The fault may trip before the handler starts reading (it is still opening its temp
    // file): the stage then errors with nobody listening, which would crash the server.
    // The handler still sees the error when it reads the destroyed stream.
    stream.on('error', () => {});
    return stream;
  }

  private errorResponse(
    error: unknown,
    requestId: string,
    method: string,
    host: string,
    record: RequestRecord,
  ): OssResponse {
    const ossError = error instanceof OssError ? error : toOssError(error);
    record.code = ossError.code;
    if (ossError.status === 304) return { status: 304, headers: { 'Content-Length': '0' } };
    const xml = xmlDocument('Error', [
      ['Code', ossError.code],
      ['Message', ossError.message],
      ['RequestId', requestId],
      ['HostId', host],
      ...Object.entries(ossError.extra).map(([name, value]) => [name, value] as const),
      ['EC', ecFor(ossError.code)],
      ['RecommendDoc', `https://api.aliyun.com/troubleshoot?q=${ecFor(ossError.code)}`],
    ]);
    const headers: Record<string, string> = {
      'Content-Type': 'application/xml',
      'x-oss-ec': ecFor(ossError.code),
      ...ossError.headers,
    };
    if (method === 'HEAD') {
      // HEAD has no body: OSS carries the error document base64-encoded in a header.
      headers['x-oss-err'] = Buffer.from(xml, 'utf8').toString('base64');
      headers['Content-Length'] = '0';
      return { status: ossError.status, headers };
    }
    const body = Buffer.from(xml, 'utf8');
    headers['Content-Length'] = String(body.length);
    return { status: ossError.status, headers, body };
  }

  private async send(
    req: IncomingMessage,
    res: ServerResponse,
    response: OssResponse,
    plan: FaultPlan,
  ): Promise<void> {
    if (res.destroyed) {
      if (response.body instanceof Readable) response.body.destroy();
      return;
    }
    res.writeHead(response.status, response.headers);
    const body = response.body;
    if (body === undefined || req.method === 'HEAD') {
      if (body instanceof Readable) body.destroy();
      res.end();
      return;
    }
    const stages: Transform[] = [];
    if (plan.bandwidthBytesPerSecond !== undefined)
      stages.push(createThrottle(plan.bandwidthBytesPerSecond));
    if (plan.resetResponseAfterBytes !== undefined) {
      stages.push(createTripwire(plan.resetResponseAfterBytes, () => res.socket?.destroy()));
    }
    if (Buffer.isBuffer(body) && stages.length === 0) {
      res.end(body);
      return;
    }
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
    try {
      await pipeline([source, ...stages, res]);
    } catch {
      // The client went away (or a fault cut it off): nothing more to send.
      source.destroy();
      res.destroy();
    }
  }

  private count(record: RequestRecord): void {
    const stats = this.stats_;
    stats.requests++;
    const entry = (stats.byOperation[record.op] ??= { count: 0, byStatus: {} });
    entry.count++;
    entry.byStatus[String(record.status)] = (entry.byStatus[String(record.status)] ?? 0) + 1;
    if (record.code !== undefined)
      stats.errorsByCode[record.code] = (stats.errorsByCode[record.code] ?? 0) + 1;
  }
}

function toOssError(error: unknown): OssError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ECONNABORTED') {
    // The client stopped sending mid-body: OSS answers 400 IncompleteBody (the client is gone anyway).
    return new OssError(
      400,
      'IncompleteBody',
      'You did not provide the number of bytes specified by the Content-Length HTTP header.',
    );
  }
  return errors.internal(error instanceof Error ? `Internal error: ${error.message}` : undefined);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
