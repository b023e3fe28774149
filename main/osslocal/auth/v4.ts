/**
 * OSS signature V4 (OSS4-HMAC-SHA256): canonical request, string to sign and signing key,
 * per "在Header中包含V4签名" in the OSS API reference and the official v2 SDK signers.
 *
 * CanonicalRequest = VERB \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n
 *                    AdditionalHeaders \n HashedPayload
 * StringToSign     = OSS4-HMAC-SHA256 \n TimeStamp \n Scope \n hex(SHA256(CanonicalRequest))
 * SigningKey       = HMAC chain from "aliyun_v4" + secret over date, region, "oss",
 *                    "aliyun_v4_request"
 */
import { createHash, createHmac } from 'node:crypto';

import type { QueryParam } from './sub-resources.js';

export const V4_ALGORITHM = 'OSS4-HMAC-SHA256';
export const V4_PRODUCT = 'oss';
export const V4_TERMINATOR = 'aliyun_v4_request';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/**
 * RFC 3986 encoding of the UTF-8 bytes: only A-Z a-z 0-9 - . _ ~ stay (and `/` when asked).
 * Same set as ali-oss's encodeString and the Go SDK v2's escapePath; never throws.
 */
export function uriEncode(s: string, keepSlash: boolean): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const unreserved =
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      (b >= 0x30 && b <= 0x39) ||
      b === 0x2d ||
      b === 0x2e ||
      b === 0x5f ||
      b === 0x7e ||
      (keepSlash && b === 0x2f);
    out += unreserved
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * `/bucket/key` (`/bucket/`, `/`) encoded with `/` kept, whatever the addressing style the
 * request used: the signer signs the resource, not the URL path.
 */
export function canonicalUri(bucket: string | undefined, key: string | undefined): string {
  return uriEncode(`/${bucket ? `${bucket}/` : ''}${key ?? ''}`, true);
}

/**
 * Every query parameter, name and value re-encoded from their decoded form, sorted by
 * encoded name (then value), `k=v`, or bare `k` when the value is empty.
 *
 * The reference (and the Go/C# v2 SDKs) drop the `=` for an empty value. ali-oss 6.23 keeps
 * it (`k=`) for a `query` value of '' and omits undefined values entirely, while its URL
 * carries `k=` in both cases; such requests fail here as they would on OSS. ali-oss also
 * sorts with localeCompare on decoded names; that order equals code-unit order for every
 * parameter name OSS defines.
 */
export function canonicalQueryString(query: readonly QueryParam[], exclude?: string): string {
  return query
    .filter((p) => p.name !== exclude)
    .map((p) => ({ name: uriEncode(p.name, false), value: uriEncode(p.value, false) }))
    .sort((a, b) => compare(a.name, b.name) || compare(a.value, b.value))
    .map((p) => (p.value === '' ? p.name : `${p.name}=${p.value}`))
    .join('&');
}

/**
 * content-type, content-md5, every x-oss-* header and the additional ones; lower-case
 * names, trimmed values, sorted, `name:value\n` each. A listed additional header the
 * request lacks signs as empty (ali-oss refuses to sign one; the Go SDK drops it).
 */
export function canonicalHeaders(
  headers: Readonly<Record<string, string>>,
  additionalHeaders: readonly string[],
): string {
  const names = new Set<string>(additionalHeaders);
  for (const raw of Object.keys(headers)) {
    const name = raw.toLowerCase();
    if (name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-'))
      names.add(name);
  }
  let out = '';
  for (const name of [...names].sort(compare)) out += `${name}:${(headers[name] ?? '').trim()}\n`;
  return out;
}

export interface V4CanonicalInput {
  method: string;
  bucket: string | undefined;
  /** Decoded key. */
  key: string | undefined;
  query: readonly QueryParam[];
  /** Request headers, lower-case names, one value each. */
  headers: Readonly<Record<string, string>>;
  /** Lower-case, sorted, without the default-signed ones. */
  additionalHeaders: readonly string[];
  /** Presigned form: the query parameter left out of the canonical query (x-oss-signature). */
  excludeQuery?: string;
}

export function v4CanonicalRequest(input: V4CanonicalInput): string {
  return [
    input.method.toUpperCase(),
    canonicalUri(input.bucket, input.key),
    canonicalQueryString(input.query, input.excludeQuery),
    canonicalHeaders(input.headers, input.additionalHeaders),
    input.additionalHeaders.join(';'),
    input.headers['x-oss-content-sha256'] || UNSIGNED_PAYLOAD,
  ].join('\n');
}

/** `<yyyymmdd>/<region>/oss/aliyun_v4_request`. */
export function v4Scope(date: string, region: string): string {
  return `${date}/${region}/${V4_PRODUCT}/${V4_TERMINATOR}`;
}

/** `timestamp` is the request's yyyymmddTHHMMssZ. */
export function v4StringToSign(timestamp: string, scope: string, canonicalRequest: string): string {
  const hashed = createHash('sha256').update(canonicalRequest, 'utf8').digest('hex');
  return `${V4_ALGORITHM}\n${timestamp}\n${scope}\n${hashed}`;
}

export function v4SigningKey(accessKeySecret: string, date: string, region: string): Buffer {
  const kDate = hmac(`aliyun_v4${accessKeySecret}`, date);
  const kRegion = hmac(kDate, region);
  const kProduct = hmac(kRegion, V4_PRODUCT);
  return hmac(kProduct, V4_TERMINATOR);
}

/** hex(HMAC-SHA256(signingKey, StringToSign)). */
export function v4Signature(
  accessKeySecret: string,
  date: string,
  region: string,
  stringToSign: string,
): string {
  return createHmac('sha256', v4SigningKey(accessKeySecret, date, region))
    .update(stringToSign, 'utf8')
    .digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
