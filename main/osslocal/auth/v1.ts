/**
 * OSS signature V1 (HMAC-SHA1): the Authorization header form (`OSS ak:sig`) and the
 * presigned URL form (`OSSAccessKeyId`, `Expires`, `Signature`).
 *
 * StringToSign = VERB \n Content-MD5 \n Content-Type \n DATE \n CanonicalizedOSSHeaders
 * CanonicalizedResource, per "在Header中包含V1签名" in the OSS API reference.
 */
import { createHmac } from 'node:crypto';

import { isSubResource, type QueryParam } from './sub-resources.js';

export interface V1SignInput {
  method: string;
  /** Content-MD5 as sent, '' when absent. */
  contentMd5: string;
  /** Content-Type as sent, '' when absent. */
  contentType: string;
  /** Header form: x-oss-date, else Date (the reference: x-oss-date wins). Presigned: Expires. */
  date: string;
  /** Request headers, lower-case names, one value each. */
  headers: Readonly<Record<string, string>>;
  bucket: string | undefined;
  /** Decoded key. */
  key: string | undefined;
  query: readonly QueryParam[];
}

/** Every x-oss-* header, lower-cased name, trimmed value, sorted, `name:value\n` each. */
export function canonicalizedOssHeaders(headers: Readonly<Record<string, string>>): string {
  const names = Object.keys(headers)
    .map((n) => n.toLowerCase())
    .filter((n) => n.startsWith('x-oss-'))
    .sort();
  let out = '';
  for (const name of names) out += `${name}:${(headers[name] ?? '').trim()}\n`;
  return out;
}

/**
 * `/bucket/key` with the decoded key (`/bucket/` bucket-level, `/` service-level), then
 * `?` and the sub-resources present sorted by name, `k=v` with the decoded value or bare
 * `k` when empty (the reference and ali-oss agree; ali-oss only signs what it put in
 * `subres`, which are all sub-resources).
 */
export function canonicalizedResource(
  bucket: string | undefined,
  key: string | undefined,
  query: readonly QueryParam[],
): string {
  let resource = '/';
  if (bucket) resource += `${bucket}/${key ?? ''}`;
  const subs = query
    .filter((p) => isSubResource(p.name))
    .sort((a, b) => compare(a.name, b.name) || compare(a.value, b.value))
    .map((p) => (p.value === '' ? p.name : `${p.name}=${p.value}`));
  return subs.length > 0 ? `${resource}?${subs.join('&')}` : resource;
}

export function v1StringToSign(input: V1SignInput): string {
  return (
    `${input.method.toUpperCase()}\n${input.contentMd5}\n${input.contentType}\n${input.date}\n` +
    canonicalizedOssHeaders(input.headers) +
    canonicalizedResource(input.bucket, input.key, input.query)
  );
}

/** base64(HMAC-SHA1(secret, UTF-8 StringToSign)). */
export function v1Signature(accessKeySecret: string, stringToSign: string): string {
  return createHmac('sha1', accessKeySecret).update(stringToSign, 'utf8').digest('base64');
}

// Code-unit order, like ali-oss's Array.prototype.sort and the SDKs' byte-wise sorts.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
