import { CoreError } from '../errors.js';
import type { ResponseHeaders } from './oss-errors.js';
import type { ObjectInfo } from './remote-store.js';

/**
 * Object headers both ways: user metadata (x-oss-meta-*), ETags and ObjectInfo.
 *
 * Node refuses header values outside latin1 (and ali-oss sends headers as given), so a
 * metadata value is percent-encoded: every byte of a character outside printable ASCII,
 * `%` itself (so decoding is exact) and leading or trailing spaces (which servers trim).
 */

const META_PREFIX = 'x-oss-meta-';
const META_NAME = /^[a-z0-9_-]+$/;

export function encodeMetaValue(value: string): string {
  const encoded = value.replace(/[^\x20-\x24\x26-\x7e]/gu, (char) => percentEncode(char));
  return encoded.replace(/^ +| +$/g, (spaces) => '%20'.repeat(spaces.length));
}

export function decodeMetaValue(value: string): string {
  // Another tool may have sent raw UTF-8, which Node reads as latin1: undo that.
  if (/[\x80-\xff]/.test(value)) {
    const utf8 = Buffer.from(value, 'latin1').toString('utf8');
    return utf8.includes('\ufffd') ? value : utf8;
  }
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // a literal % written by another tool
  }
}

function percentEncode(char: string): string {
  // Buffer.from turns a lone surrogate into U+FFFD instead of throwing.
  let out = '';
  for (const byte of Buffer.from(char, 'utf8'))
    out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/** x-oss-meta-* request headers; names are lower-cased (OSS and Node store them so). */
export function metaHeaders(
  meta: Readonly<Record<string, string>> | undefined,
  context: { op: string; subject: string },
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(meta ?? {})) {
    const lower = name.toLowerCase();
    if (!META_NAME.test(lower)) {
      throw new CoreError(
        'invalid-request',
        `The metadata name "${name}" of ${context.subject} is not allowed: use letters, digits, "-" and "_" only.`,
        { subject: context.subject },
      );
    }
    headers[`${META_PREFIX}${lower}`] = encodeMetaValue(value);
  }
  return headers;
}

export function metaFromHeaders(headers: ResponseHeaders): Record<string, string> | undefined {
  let meta: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(META_PREFIX) || value === undefined) continue;
    meta ??= {};
    meta[name.slice(META_PREFIX.length)] = decodeMetaValue(
      Array.isArray(value) ? value.join(', ') : value,
    );
  }
  return meta;
}

/** OSS quotes ETags in headers and XML; the port carries them bare. */
export function unquoteEtag(etag: string | undefined): string {
  if (etag === undefined) return '';
  const trimmed = etag.trim().replace(/^W\//, '');
  return trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2
    ? trimmed.slice(1, -1)
    : trimmed;
}

export function quoteEtag(etag: string): string {
  return `"${unquoteEtag(etag)}"`;
}

export function headerValue(
  headers: ResponseHeaders | undefined,
  name: string,
): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * ObjectInfo from HEAD or GET response headers. For a 206 the object's size is the total
 * in Content-Range, not the length of the part served.
 */
export function objectInfoFromHeaders(key: string, headers: ResponseHeaders): ObjectInfo {
  const contentRange = headerValue(headers, 'content-range');
  const total = contentRange === undefined ? undefined : /\/(\d+)\s*$/.exec(contentRange)?.[1];
  const size = Number(total ?? headerValue(headers, 'content-length') ?? 0);
  const lastModified = headerValue(headers, 'last-modified');
  const info: ObjectInfo = {
    key,
    size,
    etag: unquoteEtag(headerValue(headers, 'etag')),
    crc64: headerValue(headers, 'x-oss-hash-crc64ecma'),
    lastModified: lastModified === undefined ? new Date(0) : new Date(lastModified),
  };
  const contentType = headerValue(headers, 'content-type');
  if (contentType !== undefined) info.contentType = contentType;
  const meta = metaFromHeaders(headers);
  if (meta !== undefined) info.meta = meta;
  return info;
}

/** Decodes a key from a listing made with `encoding-type=url` (form encoding, `+` is a space). */
export function decodeListedKey(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
