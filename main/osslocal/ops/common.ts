import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { OssError, errors } from '../errors.js';
import type { OssResponse } from '../http-types.js';
import type { OssOperation } from '../operations.js';
import type { BlobStore } from '../store/blob-store.js';
import type { BucketRecord, MetadataStore, ObjectRecord } from '../store/metadata-store.js';
import { xmlDocument, type XmlValue } from '../xml.js';

export const MAX_OBJECT_SIZE = 5 * 1024 ** 3;
export const MAX_XML_BODY = 5 * 1024 * 1024;
export const STORAGE_CLASSES = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'];

/** What every handler works with. */
export interface Backend {
  meta: MetadataStore;
  blobs: BlobStore;
  now: () => number;
  region: string;
  owner: { id: string; displayName: string };
}

export interface OpRequest {
  op: OssOperation;
  method: string;
  bucket: string | undefined;
  key: string | undefined;
  query: Map<string, string>;
  headers: IncomingHttpHeaders;
  /** The request body, already wrapped by any injected fault. */
  body: Readable;
  /** Host header without port, for Location and HostId values. */
  host: string;
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function requireBucket(backend: Backend, name: string | undefined): BucketRecord {
  const bucket = name === undefined ? undefined : backend.meta.getBucket(name);
  if (!bucket) throw errors.noSuchBucket(name ?? '');
  return bucket;
}

export function requireObject(backend: Backend, bucket: string, key: string): ObjectRecord {
  const object = backend.meta.getObject(bucket, key);
  if (!object) throw errors.noSuchKey(key);
  return object;
}

/** Reads a small (XML) body; larger than `limit` is refused. */
export async function readSmallBody(body: Readable, limit = MAX_XML_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      throw new OssError(400, 'EntityTooLarge', `The request body is larger than ${limit} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** PutObject and UploadPart need a length: Content-Length or a chunked body. */
export function checkBodyLength(headers: IncomingHttpHeaders, max = MAX_OBJECT_SIZE): void {
  const length = header(headers, 'content-length');
  if (length === undefined) {
    if (header(headers, 'transfer-encoding') === undefined) {
      throw new OssError(
        411,
        'MissingContentLength',
        'You must provide the Content-Length HTTP header.',
      );
    }
    return;
  }
  if (Number(length) > max) {
    throw new OssError(
      400,
      'EntityTooLarge',
      'Your proposed upload exceeds the maximum allowed object size.',
      {
        MaxSizeAllowed: String(max),
        ProposedSize: length,
      },
    );
  }
}

/** Compares a Content-MD5 header (base64) with the MD5 of what arrived (hex). */
export function checkContentMd5(headers: IncomingHttpHeaders, md5Hex: string): void {
  const expected = header(headers, 'content-md5');
  if (expected === undefined) return;
  const decoded = Buffer.from(expected, 'base64');
  if (decoded.length !== 16)
    throw errors.invalidDigest('The Content-MD5 you specified is not a valid base64 MD5.');
  if (decoded.toString('hex') !== md5Hex) {
    throw errors.invalidDigest('The Content-MD5 you specified did not match what was received.');
  }
}

export function forbidsOverwrite(headers: IncomingHttpHeaders): boolean {
  return header(headers, 'x-oss-forbid-overwrite')?.toLowerCase() === 'true';
}

export function fileAlreadyExists(): OssError {
  return new OssError(
    409,
    'FileAlreadyExists',
    'The object you specified already exists and can not be overwritten.',
  );
}

export function storageClassFrom(headers: IncomingHttpHeaders, fallback: string): string {
  const value = header(headers, 'x-oss-storage-class');
  if (value === undefined) return fallback;
  const match = STORAGE_CLASSES.find((c) => c.toLowerCase() === value.toLowerCase());
  if (!match) throw errors.invalidArgument('Invalid storage class.', 'x-oss-storage-class', value);
  return match;
}

const STORED_HEADERS = [
  'content-type',
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
];

/** The standard headers and `x-oss-meta-*` a client sets on an object. */
export function objectHeadersFrom(headers: IncomingHttpHeaders): {
  headers: Record<string, string>;
  userMeta: Record<string, string>;
} {
  const stored: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = header(headers, name);
    if (value !== undefined) stored[name] = value;
  }
  stored['content-type'] ??= 'application/octet-stream';
  const userMeta: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-oss-meta-') && value !== undefined) {
      userMeta[name] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  const metaBytes = Object.entries(userMeta).reduce(
    (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
  if (metaBytes > 8 * 1024) {
    throw errors.invalidArgument(
      'The user metadata (x-oss-meta-*) exceeds 8 KB.',
      'x-oss-meta-*',
      String(metaBytes),
    );
  }
  return { headers: stored, userMeta };
}

export function quoted(etag: string): string {
  return `"${etag}"`;
}

export function unquoted(etag: string): string {
  return etag.trim().replace(/^"(.*)"$/, '$1');
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** The headers that describe an object on GET, HEAD and GetObjectMeta. */
export function objectHeaders(object: ObjectRecord): Record<string, string> {
  const headers: Record<string, string> = {
    ETag: quoted(object.etag),
    'Last-Modified': httpDate(object.lastModifiedMs),
    'x-oss-hash-crc64ecma': object.crc64,
    'x-oss-object-type': object.objectType,
    'x-oss-storage-class': object.storageClass,
    'Accept-Ranges': 'bytes',
  };
  if (object.contentMd5) headers['Content-MD5'] = object.contentMd5;
  for (const [name, value] of Object.entries(object.headers)) headers[name] = value;
  for (const [name, value] of Object.entries(object.userMeta)) headers[name] = value;
  return headers;
}

/** An integer query parameter in [min, max], or the default; anything else is InvalidArgument. */
export function intParam(
  query: Map<string, string>,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const text = query.get(name);
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw errors.invalidArgument(
      `Argument ${name} must be an integer between ${min} and ${max}.`,
      name,
      text,
    );
  }
  return value;
}

export function xmlResponse(root: string, value: XmlValue, status = 200): OssResponse {
  const body = Buffer.from(xmlDocument(root, value), 'utf8');
  return {
    status,
    headers: { 'Content-Type': 'application/xml', 'Content-Length': String(body.length) },
    body,
  };
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): OssResponse {
  return { status, headers: { 'Content-Length': '0', ...headers } };
}

/** With `encoding-type=url`, keys and prefixes in a response are URL-encoded. */
export function keyEncoder(query: Map<string, string>): (text: string) => string {
  const type = query.get('encoding-type');
  if (type === undefined) return (text) => text;
  if (type !== 'url')
    throw errors.invalidArgument('The encoding-type must be "url".', 'encoding-type', type);
  return (text) => encodeURIComponent(text);
}

/** Unlinks the files of blobs a commit released, then forgets them. */
export async function collectGarbage(backend: Backend, released: readonly string[]): Promise<void> {
  if (released.length === 0) return;
  await backend.blobs.remove(released);
  backend.meta.forgetGarbage(released);
}

/** Parses `x-oss-copy-source: /bucket/url-encoded-key`. */
export function parseCopySource(headers: IncomingHttpHeaders): { bucket: string; key: string } {
  const raw = header(headers, 'x-oss-copy-source') ?? '';
  const path = raw.split('?')[0] ?? '';
  const trimmed = path.startsWith('/') ? path.slice(1) : path;
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) {
    throw errors.invalidArgument(
      'x-oss-copy-source must be /bucket/key.',
      'x-oss-copy-source',
      raw,
    );
  }
  try {
    return {
      bucket: decodeURIComponent(trimmed.slice(0, slash)),
      key: decodeURIComponent(trimmed.slice(slash + 1)),
    };
  } catch {
    throw errors.invalidArgument(
      'x-oss-copy-source is not valid percent-encoded UTF-8.',
      'x-oss-copy-source',
      raw,
    );
  }
}

/**
 * If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since (or their
 * x-oss-copy-source-* forms). Returns 304 when not modified; throws 412 on a failed precondition.
 * The copy forms answer the same way: per the OSS API reference (CopyObject request headers),
 * a matching x-oss-copy-source-if-none-match or an unmet x-oss-copy-source-if-modified-since
 * gives 304 Not Modified, not 412 as in S3; the callers turn 304 into a NotModified reply.
 */
export function checkConditions(
  headers: IncomingHttpHeaders,
  object: ObjectRecord,
  prefix: '' | 'x-oss-copy-source-' = '',
): 304 | undefined {
  const etag = object.etag.toUpperCase();
  const failed = (name: string): OssError =>
    new OssError(
      412,
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold.',
      {
        Condition: name,
      },
    );
  const ifMatch = header(headers, `${prefix}if-match`);
  if (ifMatch !== undefined && !etagMatches(ifMatch, etag)) throw failed(`${prefix}If-Match`);
  const ifUnmodified = dateHeader(headers, `${prefix}if-unmodified-since`);
  if (
    ifUnmodified !== undefined &&
    ifMatch === undefined &&
    object.lastModifiedMs > ifUnmodified + 999
  ) {
    throw failed(`${prefix}If-Unmodified-Since`);
  }
  const ifNoneMatch = header(headers, `${prefix}if-none-match`);
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, etag)) return 304;
  const ifModified = dateHeader(headers, `${prefix}if-modified-since`);
  if (
    ifModified !== undefined &&
    ifNoneMatch === undefined &&
    object.lastModifiedMs <= ifModified + 999
  ) {
    return 304;
  }
  return undefined;
}

function etagMatches(list: string, etag: string): boolean {
  return list.split(',').some((item) => {
    const value = unquoted(item.trim().replace(/^W\//, ''));
    return value === '*' || value.toUpperCase() === etag;
  });
}

function dateHeader(headers: IncomingHttpHeaders, name: string): number | undefined {
  const text = header(headers, name);
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
