/** Headers every response carries, whatever the route or status. */
import type { OutgoingHttpHeaders } from 'node:http';

/**
 * A strict CSP: only the host's own scripts and styles, images from the host, data: and
 * blob: (previews); WebSocket connections to
 * the host itself (spelled out, as 'self' does not cover ws: in every browser). CSP has no
 * syntax for IPv6 literals (Chromium reports `ws://[::1]:port` as invalid and ignores it),
 * so those origins are left to 'self', which CSP Level 3 browsers apply to ws: too.
 */
export function contentSecurityPolicy(origins: readonly string[]): string {
  const sockets = origins
    .filter((origin) => !origin.includes('['))
    .map((origin) => origin.replace(/^http:/, 'ws:'))
    .join(' ');
  return [
    "default-src 'self'",
    `connect-src 'self' ${sockets}`.trimEnd(),
    "script-src 'self'",
    // Previews show an object's bytes through a blob: URL (the Browser view).
    "img-src 'self' data: blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(csp: string): OutgoingHttpHeaders {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
