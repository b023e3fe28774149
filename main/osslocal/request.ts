import { errors } from './errors.js';
import type { OssOperation } from './operations.js';

const VHOST = /^(.+)\.oss-[^.]+\.aliyuncs\.com$/i;
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export interface Addressed {
  bucket: string | undefined;
  key: string | undefined;
  /** The query string as received, without '?'. */
  rawQuery: string;
  /** Decoded query parameters; a bare `k` has the value ''. The first occurrence wins. */
  query: Map<string, string>;
}

/**
 * Takes the bucket from a virtual-host style Host (`bucket.oss-<region>.aliyuncs.com`),
 * else from the first path segment; the rest of the path is the key, percent-decoded.
 */
export function addressRequest(url: string, host: string | undefined): Addressed {
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const hostname = (host ?? '').replace(/:\d+$/, '');
  const vhost = VHOST.exec(hostname);
  let bucket: string | undefined;
  let rawKey: string;
  if (vhost) {
    bucket = vhost[1];
    rawKey = rawPath.slice(1);
  } else {
    const slash = rawPath.indexOf('/', 1);
    const first = slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash);
    bucket = first === '' ? undefined : decode(first, 'bucket');
    rawKey = slash < 0 ? '' : rawPath.slice(slash + 1);
  }
  const key = rawKey === '' ? undefined : decode(rawKey, 'key');
  return { bucket, key, rawQuery, query: parseQuery(rawQuery) };
}

export function parseQuery(rawQuery: string): Map<string, string> {
  const query = new Map<string, string>();
  if (rawQuery === '') return query;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq), 'query');
    const value = eq < 0 ? '' : decode(part.slice(eq + 1), 'query');
    if (!query.has(name)) query.set(name, value);
  }
  return query;
}

function decode(text: string, what: 'bucket' | 'key' | 'query'): string {
  try {
    return decodeURIComponent(text);
  } catch {
    if (what === 'key')
      throw errors.invalidObjectName('The object name is not valid percent-encoded UTF-8.');
    throw errors.invalidArgument(`The request ${what} is not valid percent-encoded UTF-8.`);
  }
}

export function validateBucketName(bucket: string): void {
  // OSS: 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit.
  if (!BUCKET_NAME.test(bucket)) throw errors.invalidBucketName(bucket);
}

/**
 * OSS: 1..1023 bytes of UTF-8 (decoding already refused invalid UTF-8), not starting with
 * '/' or '\'. Anything else is a valid key, `../x` included: keys never become paths here.
 */
export function validateObjectKey(key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > 1023)
    throw errors.invalidObjectName(`The object name is ${bytes} bytes long; the limit is 1023.`);
  if (key.startsWith('/') || key.startsWith('\\')) {
    throw errors.invalidObjectName('The object name must not start with "/" or "\\".');
  }
}

/** Sub-resources this server does not implement: refuse them rather than act as if absent. */
const UNSUPPORTED_SUBRESOURCES = [
  'acl',
  'append',
  'tagging',
  'symlink',
  'restore',
  'cors',
  'lifecycle',
  'logging',
  'website',
  'referer',
  'policy',
  'versioning',
  'versions',
  'versionId',
  'encryption',
  'inventory',
  'worm',
  'replication',
  'x-oss-process',
];

export function routeOperation(
  method: string,
  addressed: Addressed,
  copySource: boolean,
): OssOperation {
  const { bucket, key, query } = addressed;
  for (const name of UNSUPPORTED_SUBRESOURCES) {
    if (query.has(name)) throw errors.notImplemented(`The "${name}" sub-resource`);
  }
  if (bucket === undefined) {
    if (method === 'GET') return 'ListBuckets';
    throw errors.methodNotAllowed(method);
  }
  if (key === undefined) {
    switch (method) {
      case 'GET':
        if (query.has('uploads')) return 'ListMultipartUploads';
        if (query.has('bucketInfo')) return 'GetBucketInfo';
        if (query.has('location')) return 'GetBucketLocation';
        if (query.get('list-type') === '2') return 'ListObjectsV2';
        return 'ListObjects';
      case 'PUT':
        return 'PutBucket';
      case 'DELETE':
        return 'DeleteBucket';
      case 'POST':
        if (query.has('delete')) return 'DeleteMultipleObjects';
        break;
    }
    throw errors.methodNotAllowed(method);
  }
  switch (method) {
    case 'PUT':
      if (query.has('uploadId') || query.has('partNumber'))
        return copySource ? 'UploadPartCopy' : 'UploadPart';
      return copySource ? 'CopyObject' : 'PutObject';
    case 'GET':
      return query.has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return query.has('objectMeta') ? 'GetObjectMeta' : 'HeadObject';
    case 'DELETE':
      return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      if (query.has('uploads')) return 'InitiateMultipartUpload';
      if (query.has('uploadId')) return 'CompleteMultipartUpload';
      break;
  }
  throw errors.methodNotAllowed(method);
}
