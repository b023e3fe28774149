/**
 * The headless host's transport: the built renderer over HTTP and the API contract over a
 * WebSocket, on loopback, behind a random access token.
 *
 * The token scheme (this comment is its reference until a docs page for the host exists):
 * - The printed URL carries the token in the fragment (`http://127.0.0.1:P/#token=...`).
 *   Browsers never send a fragment to the server and strip it from Referer, so the token
 *   reaches no request line, server log, proxy log or third-party Referer. The app shell
 *   (static files) is public; the page reads the token from `location.hash` and then
 *   removes it from the address bar.
 * - HTTP routes other than the shell and /healthz want `Authorization: Bearer <token>`.
 * - The WebSocket (`/ws`) is opened with the subprotocols `['ossync', 'ossync.<token>']`:
 *   browsers cannot set headers on a WebSocket, and a query parameter would put the token
 *   in the URL. The server selects `ossync`, so the token is never echoed back. Checking
 *   it before the upgrade lets a wrong token get a plain 401.
 * - The Origin must be the host's own (DNS rebinding and cross-site pages are refused
 *   with 403 before the upgrade); the Host header must name the host too.
 * - `POST /api/upload` (files dropped into the browser, upload.ts) wants the Bearer token,
 *   and a foreign Origin (or `Sec-Fetch-Site: cross-site`) is refused with 403. A request
 *   with no Origin (not a browser) passes on its token alone.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { realpath } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { Registry } from 'prom-client';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  ContractError,
  isEventName,
  isMethodName,
  parseEvent,
  type ContractApi,
} from '../../shared/contract/index.js';
import {
  bearerToken,
  generateToken,
  isUsableToken,
  protocolToken,
  tokensEqual,
  WS_PROTOCOL,
} from './auth.js';
import { silentLogger, type HostLogger } from './logger.js';
import { createHostMetrics, UNKNOWN_METHOD_LABEL, type HostMetrics } from './metrics.js';
import { dispatch, parseEnvelope, reply, type RequestId, type RpcReply } from './rpc.js';
import { contentSecurityPolicy, securityHeaders } from './security-headers.js';
import { serveStatic } from './static-files.js';
import { handleUpload, refuseUpload, UPLOAD_PATH } from './upload.js';
import type { StagingApi } from '../core/service/staging.js';

/** Where events come from: a subscription that returns its unsubscribe function. */
export interface HostEventSource {
  on(listener: (name: string, payload: unknown) => void): () => void;
}

export interface HostLimits {
  /** Largest WebSocket message; a bigger one closes the socket with 1009. */
  readonly maxPayloadBytes: number;
  /** Largest HTTP request body of every route but the upload. */
  readonly maxBodyBytes: number;
  /** Largest file `POST /api/upload` accepts (its Content-Length). */
  readonly maxUploadBytes: number;
  /** A connection that sends or reads nothing for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Calls one socket may have waiting for a reply. */
  readonly maxInFlight: number;
  readonly maxSockets: number;
  /** A socket with more than this queued for sending is too slow and is closed. */
  readonly maxBufferedBytes: number;
  /** Ping every so often; a socket that did not answer the previous ping is dropped. */
  readonly pingIntervalMs: number;
}

export const DEFAULT_LIMITS: HostLimits = {
  maxPayloadBytes: 1024 * 1024,
  maxBodyBytes: 64 * 1024,
  maxUploadBytes: 5 * 1024 * 1024 * 1024,
  idleTimeoutMs: 60_000,
  maxInFlight: 32,
  maxSockets: 64,
  maxBufferedBytes: 16 * 1024 * 1024,
  pingIntervalMs: 30_000,
};

export interface HostOptions {
  readonly api: ContractApi;
  readonly events: HostEventSource;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Address to bind; 127.0.0.1 by default. Anything but loopback needs allowNonLoopback. */
  readonly host?: string;
  readonly allowNonLoopback?: boolean;
  /**
   * Further origins the UI may be opened from (`http://nas.local:8080`), for a
   * non-loopback bind; loopback origins and a non-wildcard bind address are always allowed.
   */
  readonly origins?: readonly string[];
  /** The built renderer (dist/renderer); without it only the API is served. */
  readonly staticDir?: string;
  /** The access token; 32 random bytes, base64url, by default. */
  readonly token?: string;
  readonly metrics?: Registry;
  /** Where dropped files go (the service's staging); without it there is no upload route. */
  readonly staging?: StagingApi;
  readonly logger?: HostLogger;
  readonly limits?: Partial<HostLimits>;
}

export interface RunningHost {
  /** The URL to open, token in the fragment. Print it, never log it. */
  readonly url: string;
  /** The origin the UI is served from (http://127.0.0.1:PORT). */
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  readonly metrics: HostMetrics;
  /** Closes every socket and the server. */
  close(): Promise<void>;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0']);

export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) {
    return name === '::1' || name === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(name);
  }
  return false;
}

const urlHost = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);

/** The path of a request target, without query or fragment. */
function pathOf(url: string | undefined): string {
  const target = url ?? '/';
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}

interface SocketState {
  alive: boolean;
  inFlight: number;
}

export async function startHost(options: HostOptions): Promise<RunningHost> {
  const limits: HostLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const logger = options.logger ?? silentLogger;
  const bindHost = options.host ?? '127.0.0.1';
  if (!isLoopback(bindHost) && options.allowNonLoopback !== true) {
    throw new Error(
      `refusing to bind to ${bindHost}: it is not a loopback address, so other machines could reach OSSync; pass allowNonLoopback (ossync serve --allow-non-loopback) to do it anyway`,
    );
  }
  const token = options.token ?? generateToken();
  if (!isUsableToken(token)) {
    throw new Error('the access token must be 16-512 characters of A-Z, a-z, 0-9, - and _');
  }
  let staticRoot: string | undefined;
  if (options.staticDir !== undefined) {
    try {
      staticRoot = await realpath(options.staticDir);
    } catch {
      throw new Error(`the UI folder does not exist: ${options.staticDir}`);
    }
  }
  const registry = options.metrics ?? new Registry();
  const metrics = createHostMetrics(registry);

  // Known once the port is: the origins the UI may come from and the Host names accepted.
  let allowedOrigins = new Set<string>();
  let allowedHosts = new Set<string>();
  let headers = securityHeaders(contentSecurityPolicy([]));

  const sockets = new Map<WebSocket, SocketState>();
  const authorized = (given: string | undefined) => tokensEqual(token, given);
  const hostAllowed = (request: IncomingMessage) =>
    allowedHosts.has((request.headers.host ?? '').toLowerCase());

  function send(
    response: ServerResponse,
    status: number,
    body: string,
    type = 'text/plain; charset=utf-8',
  ) {
    response.writeHead(status, {
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    response.end(body);
  }

  function unauthorized(response: ServerResponse) {
    response.setHeader('WWW-Authenticate', 'Bearer realm="ossync"');
    send(response, 401, 'unauthorized');
  }

  async function onRequest(request: IncomingMessage, response: ServerResponse) {
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) response.setHeader(name, value);
    }
    const path = pathOf(request.url);
    // The path only: a query string might carry something a client should not have put there.
    response.on('finish', () =>
      logger.debug({ method: request.method, path, status: response.statusCode }, 'http request'),
    );
    if (path === UPLOAD_PATH) return upload(request, response);
    countBody(request, response);
    if (!hostAllowed(request)) return send(response, 421, 'misdirected request');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return send(response, 405, 'method not allowed');
    }
    const declared = Number(request.headers['content-length'] ?? 0);
    if (!(declared <= limits.maxBodyBytes)) {
      response.setHeader('Connection', 'close');
      return send(response, 413, 'request body too large');
    }
    if (path === '/healthz') return send(response, 200, 'ok');
    if (path === '/metrics') {
      if (!authorized(bearerToken(request.headers.authorization))) return unauthorized(response);
      return send(response, 200, await registry.metrics(), registry.contentType);
    }
    if (path === '/ws') {
      if (!authorized(bearerToken(request.headers.authorization))) return unauthorized(response);
      response.setHeader('Upgrade', 'websocket');
      return send(response, 426, 'upgrade required');
    }
    if (staticRoot === undefined) return send(response, 404, 'not found');
    const served = await serveStatic(staticRoot, path, request, response);
    if (served === 400) return send(response, 400, 'bad request');
    if (served === 404) return send(response, 404, 'not found');
  }

  /** The upload route: Host, method, Origin and token, then upload.ts takes over. */
  async function upload(request: IncomingMessage, response: ServerResponse) {
    const refuse = (
      status: number,
      code: 'invalid-argument' | 'unauthorized' | 'access-denied' | 'not-found',
      message: string,
    ) => refuseUpload(request, response, status, new ContractError(code, message));
    if (!hostAllowed(request)) return refuse(421, 'invalid-argument', 'Misdirected request.');
    if (options.staging === undefined)
      return refuse(404, 'not-found', 'This host takes no uploads.');
    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      return refuse(405, 'invalid-argument', 'Upload with POST.');
    }
    const origin = request.headers.origin;
    if (
      (origin !== undefined && !allowedOrigins.has(origin)) ||
      request.headers['sec-fetch-site'] === 'cross-site'
    )
      return refuse(403, 'access-denied', 'Uploads are accepted from the OSSync page only.');
    if (!authorized(bearerToken(request.headers.authorization))) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="ossync"');
      return refuse(401, 'unauthorized', 'The access token is missing or wrong.');
    }
    await handleUpload(request, response, {
      staging: options.staging,
      maxUploadBytes: limits.maxUploadBytes,
      logger,
    });
  }

  /** No route but the upload reads a body; one streamed past the cap (no Content-Length) ends the connection. */
  function countBody(request: IncomingMessage, response: ServerResponse) {
    let received = 0;
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxBodyBytes && !response.headersSent) {
        response.setHeader('Connection', 'close');
        send(response, 413, 'request body too large');
        request.destroy();
      } else if (received > limits.maxBodyBytes) request.destroy();
    });
  }

  const server = createServer({
    // No cap on a whole request (an upload may take hours); an idle connection is closed.
    requestTimeout: 0,
    headersTimeout: 10_000,
    maxHeaderSize: 16 * 1024,
  });
  server.setTimeout(limits.idleTimeoutMs);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    onRequest(request, response).catch((error: unknown) => {
      logger.error({ err: error }, 'http request failed');
      if (!response.headersSent) send(response, 500, 'internal error');
      else response.destroy();
    });
  });
  server.on('clientError', (_error, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxPayloadBytes,
    perMessageDeflate: false,
    clientTracking: false,
    // Select the plain protocol: the one carrying the token is never echoed back.
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });

  function refuseUpgrade(socket: Duplex, status: number) {
    const body = STATUS_CODES[status] ?? 'refused';
    const lines = [
      `HTTP/1.1 ${status} ${body}`,
      'Connection: close',
      'Content-Type: text/plain; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Cache-Control: no-store',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${String(value)}`),
    ];
    if (status === 401) lines.push('WWW-Authenticate: Bearer realm="ossync"');
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = pathOf(request.url);
    let status = 0;
    if (path !== '/ws') status = 404;
    else if (!hostAllowed(request)) status = 421;
    else if (!allowedOrigins.has(request.headers.origin ?? '')) status = 403;
    else if (!authorized(protocolToken(request.headers['sec-websocket-protocol']))) status = 401;
    else if (sockets.size >= limits.maxSockets) status = 503;
    if (status !== 0) {
      logger.debug({ path, status }, 'websocket upgrade refused');
      return refuseUpgrade(socket, status);
    }
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws));
  });

  function sendJson(ws: WebSocket, message: RpcReply | { event: string; payload: unknown }) {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(message));
  }

  function onConnection(ws: WebSocket) {
    const state: SocketState = { alive: true, inFlight: 0 };
    sockets.set(ws, state);
    metrics.openSockets.inc();
    logger.debug({ sockets: sockets.size }, 'websocket opened');
    ws.on('pong', () => {
      state.alive = true;
    });
    // ws reports oversized and malformed frames here after closing with 1009 / 1002.
    ws.on('error', (error) => logger.debug({ err: { message: error.message } }, 'websocket error'));
    ws.on('close', (code) => {
      sockets.delete(ws);
      metrics.openSockets.dec();
      logger.debug({ code, sockets: sockets.size }, 'websocket closed');
    });
    ws.on('message', (data, isBinary) => {
      onMessage(ws, state, data, isBinary).catch((error: unknown) => {
        logger.error({ err: error }, 'websocket message handling failed');
      });
    });
  }

  async function onMessage(ws: WebSocket, state: SocketState, data: RawData, isBinary: boolean) {
    if (isBinary) {
      const error = new ContractError(
        'invalid-payload',
        'request: binary messages are not accepted',
        {
          subject: 'request',
        },
      );
      return sendJson(ws, reply(null, { ok: false, error }));
    }
    const envelope = parseEnvelope(rawText(data));
    if (!envelope.ok) {
      metrics.calls.inc({ method: UNKNOWN_METHOD_LABEL, outcome: envelope.error.code });
      return sendJson(ws, reply(envelope.id, { ok: false, error: envelope.error }));
    }
    const { id, method, params } = envelope.request;
    const label = isMethodName(method) ? method : UNKNOWN_METHOD_LABEL;
    if (state.inFlight >= limits.maxInFlight) {
      metrics.calls.inc({ method: label, outcome: 'throttled' });
      const error = new ContractError('throttled', 'Too many requests at once on this connection.');
      return sendJson(ws, reply(id, { ok: false, error }));
    }
    state.inFlight += 1;
    const stopTimer = metrics.requestDuration.startTimer({ method: label });
    try {
      const outcome = await dispatch(options.api, method, params, logger);
      metrics.calls.inc({ method: label, outcome: outcome.ok ? 'ok' : outcome.error.code });
      sendJson(ws, reply(id satisfies RequestId, outcome));
    } finally {
      stopTimer();
      state.inFlight -= 1;
    }
  }

  const unsubscribe = options.events.on((name, payload) => {
    const parsed = parseEvent(name, payload);
    if (!parsed.ok) {
      const event = isEventName(name) ? name : UNKNOWN_METHOD_LABEL;
      metrics.eventsDropped.inc({ event });
      logger.warn(
        { event, subject: parsed.error.subject },
        'event dropped: payload failed its schema',
      );
      return;
    }
    if (sockets.size === 0) return;
    const text = JSON.stringify({ event: name, payload: parsed.value });
    for (const ws of sockets.keys()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (ws.bufferedAmount > limits.maxBufferedBytes) {
        logger.warn({ buffered: ws.bufferedAmount }, 'websocket too slow: closing it');
        ws.terminate();
        continue;
      }
      ws.send(text);
    }
  });

  const keepalive = setInterval(() => {
    for (const [ws, state] of sockets) {
      if (!state.alive) {
        ws.terminate();
        continue;
      }
      state.alive = false;
      ws.ping();
    }
  }, limits.pingIntervalMs);
  keepalive.unref();

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, bindHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    unsubscribe();
    clearInterval(keepalive);
    throw error;
  }
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the host has no port');
  const port = address.port;

  const origins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`];
  if (!isLoopback(bindHost) && !WILDCARDS.has(bindHost))
    origins.push(`http://${urlHost(bindHost)}:${port}`);
  for (const origin of options.origins ?? []) origins.push(new URL(origin).origin);
  allowedOrigins = new Set(origins);
  allowedHosts = new Set(origins.map((origin) => new URL(origin).host.toLowerCase()));
  headers = securityHeaders(contentSecurityPolicy([...allowedOrigins]));

  const shownHost =
    isLoopback(bindHost) || WILDCARDS.has(bindHost) ? '127.0.0.1' : urlHost(bindHost);
  const origin = `http://${shownHost}:${port}`;
  logger.info({ host: bindHost, port }, 'host listening');

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing ??= (async () => {
      unsubscribe();
      clearInterval(keepalive);
      const closed = [...sockets.keys()].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.close(1001, 'server shutting down');
            setTimeout(() => ws.terminate(), 1000).unref();
          }),
      );
      await Promise.all(closed);
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      logger.info({ port }, 'host stopped');
    })();
    return closing;
  }

  return { url: `${origin}/#token=${token}`, origin, port, token, metrics, close };
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
