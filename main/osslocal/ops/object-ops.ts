import { createHash } from 'node:crypto';
import { OssError, errors } from '../errors.js';
import type { OssResponse } from '../http-types.js';
import { validateObjectKey } from '../request.js';
import { BodyTooLargeError } from '../store/blob-store.js';
import { ConflictError, type ObjectRecord } from '../store/metadata-store.js';
import { parseXml, xmlText } from '../xml.js';
import {
  MAX_OBJECT_SIZE,
  checkBodyLength,
  checkConditions,
  checkContentMd5,
  collectGarbage,
  emptyResponse,
  fileAlreadyExists,
  forbidsOverwrite,
  header,
  isoDate,
  keyEncoder,
  objectHeaders,
  objectHeadersFrom,
  parseCopySource,
  quoted,
  readSmallBody,
  requireBucket,
  requireObject,
  storageClassFrom,
  xmlResponse,
  type Backend,
  type OpRequest,
} from './common.js';

/** CopyObject copies objects up to 1 GB; larger ones need UploadPartCopy (OSS API reference). */
const MAX_COPY_OBJECT_SIZE = 1024 ** 3;

export async function putObject(backend: Backend, req: OpRequest): Promise<OssResponse> {
  const bucket = requireBucket(backend, req.bucket);
  const key = req.key as string;
  checkBodyLength(req.headers);
  const forbid = forbidsOverwrite(req.headers);
  if (forbid && backend.meta.getObject(bucket.name, key)) throw fileAlreadyExists();
  const { headers, userMeta } = objectHeadersFrom(req.headers);
  const storageClass = storageClassFrom(req.headers, bucket.storageClass);
  const blob = await writeBody(backend, req);
  const contentMd5 = Buffer.from(blob.md5, 'hex').toString('base64');
  const object: ObjectRecord = {
    bucket: bucket.name,
    key,
    size: blob.size,
    etag: blob.md5.toUpperCase(),
    crc64: blob.crc64,
    contentMd5,
    lastModifiedMs: backend.now(),
    objectType: 'Normal',
    storageClass,
    headers,
    userMeta,
    segments: [[blob.blobId, blob.size]],
  };
  await commitObject(backend, object, forbid, [blob.blobId], () =>
    checkContentMd5(req.headers, blob.md5),
  );
  return emptyResponse(200, {
    ETag: quoted(object.etag),
    'x-oss-hash-crc64ecma': object.crc64,
    'Content-MD5': contentMd5,
  });
}

/** Streams a request body into a new blob, mapping a too-long body to EntityTooLarge. */
export async function writeBody(backend: Backend, req: OpRequest) {
  try {
    return await backend.blobs.write(req.body, MAX_OBJECT_SIZE);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      throw new OssError(
        400,
        'EntityTooLarge',
        'Your proposed upload exceeds the maximum allowed object size.',
      );
    }
    throw error;
  }
}

/**
 * Runs `check` and commits the object; on any failure the new blobs are removed, so a
 * refused write leaves nothing behind.
 */
export async function commitObject(
  backend: Backend,
  object: ObjectRecord,
  forbidOverwrite: boolean,
  newBlobs: string[],
  check: () => void = () => {},
): Promise<void> {
  let released: string[];
  try {
    check();
    released = backend.meta.putObject(object, { forbidOverwrite });
  } catch (error) {
    await backend.blobs.remove(newBlobs);
    if (error instanceof ConflictError && error.reason === 'exists') throw fileAlreadyExists();
    if (error instanceof ConflictError && error.reason === 'missing-bucket')
      throw errors.noSuchBucket(object.bucket);
    throw error;
  }
  await collectGarbage(backend, released);
}

export function getObject(backend: Backend, req: OpRequest): OssResponse {
  const bucket = requireBucket(backend, req.bucket);
  const object = requireObject(backend, bucket.name, req.key as string);
  const headers = objectHeaders(object);
  if (checkConditions(req.headers, object) === 304)
    return emptyResponse(304, pick(headers, ['ETag', 'Last-Modified']));
  for (const [param, name] of RESPONSE_OVERRIDES) {
    const value = req.query.get(param);
    if (value !== undefined) headers[name] = value;
  }
  const range = parseRange(
    header(req.headers, 'range'),
    object.size,
    header(req.headers, 'x-oss-range-behavior'),
  );
  if (req.method === 'HEAD') {
    return { status: 200, headers: { ...headers, 'Content-Length': String(object.size) } };
  }
  if (!range) {
    return {
      status: 200,
      headers: { ...headers, 'Content-Length': String(object.size) },
      body: backend.blobs.read(object.segments, 0, object.size - 1),
    };
  }
  return {
    status: 206,
    headers: {
      ...headers,
      'Content-Length': String(range.end - range.start + 1),
      'Content-Range': `bytes ${range.start}-${range.end}/${object.size}`,
    },
    body: backend.blobs.read(object.segments, range.start, range.end),
  };
}

export function getObjectMeta(backend: Backend, req: OpRequest): OssResponse {
  const bucket = requireBucket(backend, req.bucket);
  const object = requireObject(backend, bucket.name, req.key as string);
  const all = objectHeaders(object);
  return {
    status: 200,
    headers: {
      ...pick(all, ['ETag', 'Last-Modified', 'x-oss-hash-crc64ecma']),
      'Content-Length': String(object.size),
    },
  };
}

const RESPONSE_OVERRIDES: readonly (readonly [string, string])[] = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

function pick(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) if (headers[name] !== undefined) out[name] = headers[name];
  return out;
}

/**
 * OSS range rules: one valid `bytes=a-b`, `bytes=a-` or `bytes=-n` range gives 206; anything
 * else is ignored (whole object) unless `x-oss-range-behavior: standard`, where an end past
 * the size is clipped and a start past the end is 416 InvalidRange.
 *
 * Per the OSS reference ("Use HTTP Range requests to get OSS resources in segments", for a
 * 1000-byte object): with several ranges (`bytes=0-499,500-999`) only the first one is
 * served, and a suffix longer than the object (`bytes=-2000`) is out of range, so ignored.
 */
export function parseRange(
  value: string | undefined,
  size: number,
  behavior: string | undefined,
): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const standard = behavior?.toLowerCase() === 'standard';
  const text = standard ? value.trim() : (value.split(',')[0] ?? '').trim();
  const match = /^bytes=(\d*)-(\d*)$/.exec(text);
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const invalid = (): undefined => {
    if (standard) {
      throw new OssError(416, 'InvalidRange', 'The requested range cannot be satisfied.', {
        RangeRequested: value,
        ActualObjectSize: String(size),
      });
    }
    return undefined;
  };
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return invalid();
    if (suffix > size && !standard) return undefined;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  let end = match[2] === '' ? size - 1 : Number(match[2]);
  if (start >= size) return invalid();
  if (end < start) return standard ? invalid() : undefined;
  if (end >= size) {
    if (!standard && match[2] !== '') return undefined;
    end = size - 1;
  }
  return { start, end };
}

export async function deleteObject(backend: Backend, req: OpRequest): Promise<OssResponse> {
  const bucket = requireBucket(backend, req.bucket);
  await collectGarbage(backend, backend.meta.deleteObjects(bucket.name, [req.key as string]));
  return emptyResponse(204);
}

export async function deleteMultipleObjects(
  backend: Backend,
  req: OpRequest,
): Promise<OssResponse> {
  const bucket = requireBucket(backend, req.bucket);
  const encode = keyEncoder(req.query);
  const body = await readSmallBody(req.body, 2 * 1024 * 1024);
  if (header(req.headers, 'content-md5') === undefined) {
    throw errors.invalidDigest('DeleteMultipleObjects requires a Content-MD5 header.');
  }
  checkContentMd5(req.headers, createHash('md5').update(body).digest('hex'));
  const parsed = parseXml(body.toString('utf8'));
  const root = parsed?.['Delete'] as { Quiet?: unknown; Object?: unknown[] } | undefined;
  if (!root || !Array.isArray(root.Object) || root.Object.length === 0) throw errors.malformedXml();
  if (root.Object.length > 1000)
    throw errors.malformedXml('At most 1000 objects can be deleted in one request.');
  const keys = root.Object.map((entry) => xmlText((entry as { Key?: unknown }).Key));
  if (keys.some((key) => key === undefined || key === ''))
    throw errors.malformedXml('Every Object needs a Key.');
  for (const key of keys) validateObjectKey(key as string);
  const quiet = xmlText(root.Quiet)?.trim().toLowerCase() === 'true';
  await collectGarbage(backend, backend.meta.deleteObjects(bucket.name, keys as string[]));
  const encodingType = req.query.get('encoding-type');
  return xmlResponse('DeleteResult', [
    encodingType === undefined ? undefined : ['EncodingType', encodingType],
    ...(quiet ? [] : keys.map((key) => ['Deleted', [['Key', encode(key as string)]]] as const)),
  ]);
}

export async function copyObject(backend: Backend, req: OpRequest): Promise<OssResponse> {
  const bucket = requireBucket(backend, req.bucket);
  const source = parseCopySource(req.headers);
  const sourceBucket = requireBucket(backend, source.bucket);
  validateObjectKey(source.key);
  const sourceObject = requireObject(backend, sourceBucket.name, source.key);
  if (checkConditions(req.headers, sourceObject, 'x-oss-copy-source-') === 304) {
    throw new OssError(304, 'NotModified', 'Not Modified');
  }
  if (sourceObject.size > MAX_COPY_OBJECT_SIZE) {
    throw new OssError(
      400,
      'InvalidArgument',
      'CopyObject copies objects up to 1 GB; use UploadPartCopy.',
      {
        ArgumentName: 'x-oss-copy-source',
        ArgumentValue: header(req.headers, 'x-oss-copy-source') ?? '',
      },
    );
  }
  const directive = (header(req.headers, 'x-oss-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw errors.invalidArgument(
      'x-oss-metadata-directive must be COPY or REPLACE.',
      'x-oss-metadata-directive',
      directive,
    );
  }
  const forbid = forbidsOverwrite(req.headers);
  const meta = directive === 'REPLACE' ? objectHeadersFrom(req.headers) : sourceObject;
  const object: ObjectRecord = {
    ...sourceObject,
    bucket: bucket.name,
    key: req.key as string,
    lastModifiedMs: backend.now(),
    storageClass: storageClassFrom(req.headers, sourceObject.storageClass),
    headers: { ...meta.headers },
    userMeta: { ...meta.userMeta },
  };
  // The copy shares the source's blobs: each gains a reference, nothing is rewritten.
  await commitObject(backend, object, forbid, []);
  const response = xmlResponse('CopyObjectResult', [
    ['ETag', quoted(object.etag)],
    ['LastModified', isoDate(object.lastModifiedMs)],
  ]);
  response.headers['x-oss-hash-crc64ecma'] = object.crc64;
  return response;
}
