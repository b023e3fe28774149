/**
 * The built renderer, served read-only from one folder. A request path is refused before
 * it touches the file system if it could name anything outside: encoded separators or
 * NUL, backslashes, dot segments, dot files, drive letters and stream names (':'). What is
 * left is resolved, its real path (symlinks followed) must still lie inside the folder's
 * real path, and only regular files are served.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
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
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
};

export function contentType(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** The folder-relative segments a URL path names, or the status to refuse it with. */
export function staticSegments(rawPath: string): string[] | 400 | 404 {
  if (!rawPath.startsWith('/')) return 400;
  // Encoded '/', '\' and NUL are never legitimate in the app's file names.
  if (/%(?:2f|5c|00)/i.test(rawPath) || rawPath.includes('\\') || rawPath.includes('\0')) {
    return 400;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return 400;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return 400;
  if (decoded === '/') return ['index.html'];
  const segments = decoded.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '.' || segment === '..') return 400;
    if (segment === '' || segment.startsWith('.') || segment.includes(':')) return 404;
  }
  return segments;
}

const isInside = (root: string, path: string) => path.startsWith(root + sep);

/**
 * Serves one file below `root` (already a real path). Returns false when there is nothing
 * to serve, for the caller to answer 404; 400 for a path that is refused outright.
 */
export async function serveStatic(
  root: string,
  rawPath: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<true | 400 | 404> {
  const segments = staticSegments(rawPath);
  if (typeof segments === 'number') return segments;
  const candidate = resolve(root, ...segments);
  if (!isInside(root, candidate)) return 404;
  let file: string;
  try {
    file = await realpath(candidate);
  } catch {
    return 404;
  }
  if (!isInside(root, file)) return 404; // a symlink pointing out
  let handle;
  try {
    // O_NOFOLLOW: the real path has no symlink left; if one appeared since, refuse it.
    handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return 404;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      return 404;
    }
    const isShell = segments.length === 1 && segments[0] === 'index.html';
    response.writeHead(200, {
      'Content-Type': contentType(file),
      'Content-Length': stats.size,
      // The shell must always be fresh (it names the current asset files).
      'Cache-Control': isShell ? 'no-store' : 'no-cache',
    });
    if (request.method === 'HEAD') {
      await handle.close();
      response.end();
      return true;
    }
    const stream = handle.createReadStream(); // closes the handle when done
    stream.on('error', () => response.destroy());
    stream.pipe(response);
    return true;
  } catch {
    await handle.close().catch(() => undefined);
    return 404;
  }
}
