/**
 * The access token: generated per start, compared in constant time, read from an
 * `Authorization: Bearer` header (HTTP) or from a WebSocket subprotocol (browsers cannot
 * set headers on a WebSocket, and a subprotocol keeps the token out of the URL).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The subprotocol the server selects; clients offer it next to the token protocol. */
export const WS_PROTOCOL = 'ossync';
/** Prefix of the subprotocol that carries the token: `ossync.<token>`. */
export const WS_TOKEN_PREFIX = 'ossync.';

/** 32 random bytes, base64url: every character is valid in a subprotocol name. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens must be usable as a subprotocol (RFC 7230 token characters) and not trivial. */
export function isUsableToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{16,512}$/.test(token);
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time comparison; hashing first makes the time independent of the lengths too. */
export function tokensEqual(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(expected), digest(given));
}

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/** The token of a `Sec-WebSocket-Protocol: ossync, ossync.<token>` header, if there is one. */
export function protocolToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(',')) {
    const protocol = part.trim();
    if (protocol.startsWith(WS_TOKEN_PREFIX)) return protocol.slice(WS_TOKEN_PREFIX.length);
  }
  return undefined;
}
