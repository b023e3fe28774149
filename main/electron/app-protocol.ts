// The renderer's own origin: `app://ossync/`, a custom protocol registered as standard and
// secure, served from dist/renderer with the strict CSP. Plain functions (electron is imported
// for types only) so the resolver and the handler run under Node's fetch Response in tests.
import { realpath, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CustomScheme } from 'electron';
import { CONTENT_SECURITY_POLICY } from './window-options.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'ossync';
/** The origin every app page lives under; navigation and IPC are allowed only here. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}/`;
/** The page the window loads. */
export const APP_INDEX_URL = `${APP_ORIGIN}index.html`;

/**
 * For `protocol.registerSchemesAsPrivileged` (before 'ready'): standard (real origin,
 * relative URLs, localStorage), secure (like https: no mixed-content downgrade), fetch for
 * the renderer's own assets. No CORS, no service workers, no CSP bypass.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = Object.freeze({
  scheme: APP_SCHEME,
  privileges: Object.freeze({
    standard: true,
    secure: true,
    supportFetchAPI: true,
    corsEnabled: false,
    bypassCSP: false,
    allowServiceWorkers: false,
    stream: true,
  }),
});

const MIME_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
});

export function mimeTypeFor(file: string): string {
  return MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

const MAX_URL_LENGTH = 4096;

/**
 * True when the URL as written has a '.' or '..' segment, plain or percent-encoded: the URL
 * parser would fold it silently (`app://ossync/../x` is `app://ossync/x`), and a request
 * that tries to climb is refused rather than guessed at.
 */
function hasDotSegment(rawUrl: string): boolean {
  const rawPath = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/\\?#]*([^?#]*)/.exec(rawUrl)?.[1] ?? '';
  return rawPath.split(/[/\\]/).some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment));
}

/**
 * The file under `rootDir` an app URL names, or undefined for anything that is not a plain
 * path inside it: another scheme or host, credentials, '.' or '..' segments (also encoded),
 * backslashes, encoded slashes, NUL, drive letters, malformed escapes. `/` is index.html.
 * The URL parser already folds `..`; the decoded segments are checked again so nothing
 * depends on how a given parser treats a custom scheme.
 */
export function resolveAppPath(rootDir: string, requestUrl: string): string | undefined {
  if (typeof requestUrl !== 'string' || requestUrl.length > MAX_URL_LENGTH) return undefined;
  if (hasDotSegment(requestUrl)) return undefined;
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host.toLowerCase() !== APP_HOST) return undefined;
  if (url.username || url.password || url.port) return undefined;
  const rawSegments = url.pathname.split('/').slice(1);
  const segments: string[] = [];
  for (const raw of rawSegments) {
    if (/%2f|%5c|%00/i.test(raw)) return undefined;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '.' || segment === '..') return undefined;
    // eslint-disable-next-line no-control-regex
    if (/[\\/:\u0000-\u001f]/.test(segment)) return undefined;
    segments.push(segment);
  }
  // Only the last segment may be empty ('/' or 'dir/'), meaning its index.html.
  if (segments.slice(0, -1).some((segment) => segment === '')) return undefined;
  if (segments.length === 0 || segments.at(-1) === '') {
    segments.splice(segments.length === 0 ? 0 : -1, 1, 'index.html');
  }
  const root = path.resolve(rootDir);
  const file = path.resolve(root, ...segments);
  const relative = path.relative(root, file);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return file;
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** Headers on every answer of the app protocol. */
export function appResponseHeaders(contentType?: string): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  };
  if (contentType !== undefined) headers['Content-Type'] = contentType;
  return headers;
}

export interface AppProtocolHandlerOptions {
  /** dist/renderer. */
  rootDir: string;
}

/**
 * For `protocol.handle(APP_SCHEME, ...)`: GET and HEAD of files inside rootDir (symbolic
 * links that lead out are refused too), 404 for anything else that is not there, 405 for
 * other methods. Never throws.
 */
export function createAppProtocolHandler(
  options: AppProtocolHandlerOptions,
): (request: Request) => Promise<Response> {
  const rootPromise = realpath(path.resolve(options.rootDir)).catch(() =>
    path.resolve(options.rootDir),
  );
  const notFound = () =>
    new Response('Not found', { status: 404, headers: appResponseHeaders('text/plain') });
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response('Method not allowed', {
        status: 405,
        headers: { ...appResponseHeaders('text/plain'), Allow: 'GET, HEAD' },
      });
    }
    const root = await rootPromise;
    const file = resolveAppPath(root, request.url);
    if (file === undefined) return notFound();
    try {
      const real = await realpath(file);
      if (!isInside(root, real) || !(await stat(real)).isFile()) return notFound();
      const body = request.method === 'HEAD' ? null : await readFile(real);
      return new Response(body, { status: 200, headers: appResponseHeaders(mimeTypeFor(real)) });
    } catch {
      return notFound();
    }
  };
}
