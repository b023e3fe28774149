import { createHash, randomBytes } from 'node:crypto';
import { crc64Combine, crc64ToString, parseCrc64 } from '../../../shared/crc64.js';
import { OssError, errors } from '../errors.js';
import type { OssResponse } from '../http-types.js';
import { validateObjectKey } from '../request.js';
import {
  ConflictError,
  type ObjectRecord,
  type PartRecord,
  type UploadRecord,
} from '../store/metadata-store.js';
import { parseXml, xmlText } from '../xml.js';
import {
  checkBodyLength,
  checkConditions,
  checkContentMd5,
  collectGarbage,
  emptyResponse,
  fileAlreadyExists,
  forbidsOverwrite,
  header,
  intParam,
  isoDate,
  keyEncoder,
  objectHeadersFrom,
  parseCopySource,
  quoted,
  readSmallBody,
  requireBucket,
  requireObject,
  storageClassFrom,
  unquoted,
  xmlResponse,
  type Backend,
  type OpRequest,
} from './common.js';
import { parseRange, writeBody } from './object-ops.js';

/** Every part but the last must be at least this large (checked at Complete). */
export const MIN_PART_SIZE = 100 * 1024;
export const MAX_PART_NUMBER = 10_000;

export function initiateMultipartUpload(backend: Backend, req: OpRequest): OssResponse {
  const bucket = requireBucket(backend, req.bucket);
  const key = req.key as string;
  if (forbidsOverwrite(req.headers) && backend.meta.getObject(bucket.name, key))
    throw fileAlreadyExists();
  const { headers, userMeta } = objectHeadersFrom(req.headers);
  const upload: UploadRecord = {
    uploadId: randomBytes(16).toString('hex').toUpperCase(),
    bucket: bucket.name,
    key,
    initiatedMs: backend.now(),
    storageClass: storageClassFrom(req.headers, bucket.storageClass),
    headers,
    userMeta,
  };
  backend.meta.createUpload(upload);
  const encode = keyEncoder(req.query);
  const encodingType = req.query.get('encoding-type');
  return xmlResponse('InitiateMultipartUploadResult', [
    ['Bucket', bucket.name],
    ['Key', encode(key)],
    ['UploadId', upload.uploadId],
    encodingType === undefined ? undefined : ['EncodingType', encodingType],
  ]);
}

function requireUpload(backend: Backend, req: OpRequest): UploadRecord {
  const uploadId = req.query.get('uploadId') ?? '';
  const upload = backend.meta.getUpload(uploadId);
  if (!upload || upload.bucket !== req.bucket || upload.key !== req.key)
    throw errors.noSuchUpload(uploadId);
  return upload;
}

function partNumberOf(req: OpRequest): number {
  const text = req.query.get('partNumber');
  if (text === undefined)
    throw errors.invalidArgument('The partNumber parameter is required.', 'partNumber', '');
  return intParam(req.query, 'partNumber', 1, MAX_PART_NUMBER, 1);
}

async function storePart(
  backend: Backend,
  upload: UploadRecord,
  partNumber: number,
  blob: { blobId: string; size: number; md5: string; crc64: string },
): Promise<PartRecord> {
  const part: PartRecord = {
    uploadId: upload.uploadId,
    partNumber,
    size: blob.size,
    etag: blob.md5.toUpperCase(),
    md5: blob.md5,
    crc64: blob.crc64,
    lastModifiedMs: backend.now(),
    blobId: blob.blobId,
  };
  let released: string[];
  try {
    released = backend.meta.putPart(part);
  } catch (error) {
    await backend.blobs.remove([blob.blobId]);
    // Aborted or completed while this part was arriving.
    if (error instanceof ConflictError) throw errors.noSuchUpload(upload.uploadId);
    throw error;
  }
  await collectGarbage(backend, released);
  return part;
}

export async function uploadPart(backend: Backend, req: OpRequest): Promise<OssResponse> {
  requireBucket(backend, req.bucket);
  const partNumber = partNumberOf(req);
  const upload = requireUpload(backend, req);
  checkBodyLength(req.headers);
  const blob = await writeBody(backend, req);
  try {
    checkContentMd5(req.headers, blob.md5);
  } catch (error) {
    await backend.blobs.remove([blob.blobId]);
    throw error;
  }
  const part = await storePart(backend, upload, partNumber, blob);
  return emptyResponse(200, {
    ETag: quoted(part.etag),
    'x-oss-hash-crc64ecma': part.crc64,
    'Content-MD5': Buffer.from(part.md5, 'hex').toString('base64'),
  });
}

export async function uploadPartCopy(backend: Backend, req: OpRequest): Promise<OssResponse> {
  requireBucket(backend, req.bucket);
  const partNumber = partNumberOf(req);
  const upload = requireUpload(backend, req);
  const source = parseCopySource(req.headers);
  const sourceBucket = requireBucket(backend, source.bucket);
  validateObjectKey(source.key);
  const object = requireObject(backend, sourceBucket.name, source.key);
  // Unlike CopyObject, every unmet condition of UploadPartCopy is 412 (the OSS API reference,
  // UploadPartCopy request headers): also a matching x-oss-copy-source-if-none-match and a
  // source not modified since x-oss-copy-source-if-modified-since, where CopyObject says 304.
  if (checkConditions(req.headers, object, 'x-oss-copy-source-') === 304) {
    throw new OssError(
      412,
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold.',
      {
        Condition: header(req.headers, 'x-oss-copy-source-if-none-match')
          ? 'x-oss-copy-source-If-None-Match'
          : 'x-oss-copy-source-If-Modified-Since',
      },
    );
  }
  const rangeHeader = header(req.headers, 'x-oss-copy-source-range');
  let start = 0;
  let end = object.size - 1;
  if (rangeHeader !== undefined) {
    const range = parseRange(rangeHeader, object.size, 'standard');
    if (!range)
      throw errors.invalidArgument(
        'Invalid x-oss-copy-source-range.',
        'x-oss-copy-source-range',
        rangeHeader,
      );
    ({ start, end } = range);
  }
  const blob = await backend.blobs.write(backend.blobs.read(object.segments, start, end));
  const part = await storePart(backend, upload, partNumber, blob);
  const response = xmlResponse('CopyPartResult', [
    ['LastModified', isoDate(part.lastModifiedMs)],
    ['ETag', quoted(part.etag)],
  ]);
  // The part's ETag also travels as a header, as on UploadPart: ali-oss's uploadPartCopy
  // (and its multipartUploadCopy) reads only `res.headers.etag` and has nothing to
  // complete the upload with otherwise (docs/oss-wire-notes.md: "UploadPartCopy ... ETag header").
  response.headers['ETag'] = quoted(part.etag);
  response.headers['x-oss-hash-crc64ecma'] = part.crc64;
  return response;
}

interface RequestedPart {
  partNumber: number;
  etag: string;
}

async function requestedParts(req: OpRequest): Promise<RequestedPart[] | 'all'> {
  const body = await readSmallBody(req.body);
  if (header(req.headers, 'x-oss-complete-all')?.toLowerCase() === 'yes') {
    if (body.length > 0) {
      throw errors.invalidArgument(
        'With x-oss-complete-all: yes the request body must be empty.',
        'x-oss-complete-all',
        'yes',
      );
    }
    return 'all';
  }
  checkContentMd5(req.headers, createHash('md5').update(body).digest('hex'));
  const parsed = parseXml(body.toString('utf8'));
  const root = parsed?.['CompleteMultipartUpload'] as { Part?: unknown[] } | undefined;
  if (!root || !Array.isArray(root.Part) || root.Part.length === 0) throw errors.malformedXml();
  return root.Part.map((entry) => {
    const part = entry as { PartNumber?: unknown; ETag?: unknown };
    const number = xmlText(part.PartNumber)?.trim();
    const etag = xmlText(part.ETag);
    if (!number || !/^\d+$/.test(number) || etag === undefined) throw errors.malformedXml();
    return { partNumber: Number(number), etag: unquoted(etag) };
  });
}

export async function completeMultipartUpload(
  backend: Backend,
  req: OpRequest,
): Promise<OssResponse> {
  const bucket = requireBucket(backend, req.bucket);
  const upload = requireUpload(backend, req);
  const wanted = await requestedParts(req);
  const forbid = forbidsOverwrite(req.headers);
  const build = (stored: UploadRecord, parts: Map<number, PartRecord>): ObjectRecord => {
    const chosen = wanted === 'all' ? [...parts.values()] : pickParts(wanted, parts);
    if (chosen.length === 0) throw errors.malformedXml('The upload has no parts to complete.');
    chosen.forEach((part, i) => {
      if (i < chosen.length - 1 && part.size < MIN_PART_SIZE) {
        throw new OssError(
          400,
          'EntityTooSmall',
          'Your proposed upload is smaller than the minimum allowed size.',
          {
            PartNumber: String(part.partNumber),
            MinSizeAllowed: String(MIN_PART_SIZE),
            ProposedSize: String(part.size),
          },
        );
      }
    });
    const md5s = createHash('md5');
    let crc = 0n;
    let size = 0;
    for (const part of chosen) {
      md5s.update(Buffer.from(part.md5, 'hex'));
      crc = crc64Combine(crc, parseCrc64(part.crc64), part.size);
      size += part.size;
    }
    return {
      bucket: stored.bucket,
      key: stored.key,
      size,
      etag: `${md5s.digest('hex').toUpperCase()}-${chosen.length}`,
      crc64: crc64ToString(crc),
      contentMd5: null,
      lastModifiedMs: backend.now(),
      objectType: 'Multipart',
      storageClass: stored.storageClass,
      headers: stored.headers,
      userMeta: stored.userMeta,
      segments: chosen.map((part) => [part.blobId, part.size]),
    };
  };
  let result: { object: ObjectRecord; released: string[] };
  try {
    result = backend.meta.completeUpload(upload.uploadId, build, { forbidOverwrite: forbid });
  } catch (error) {
    if (error instanceof ConflictError && error.reason === 'exists') throw fileAlreadyExists();
    if (error instanceof ConflictError && error.reason === 'missing-upload')
      throw errors.noSuchUpload(upload.uploadId);
    throw error;
  }
  await collectGarbage(backend, result.released);
  const encode = keyEncoder(req.query);
  const encodingType = req.query.get('encoding-type');
  const response = xmlResponse('CompleteMultipartUploadResult', [
    encodingType === undefined ? undefined : ['EncodingType', encodingType],
    [
      'Location',
      `http://${req.host.startsWith(`${bucket.name}.`) ? req.host : `${bucket.name}.${req.host}`}/${encode(result.object.key)}`,
    ],
    ['Bucket', bucket.name],
    ['Key', encode(result.object.key)],
    ['ETag', quoted(result.object.etag)],
  ]);
  response.headers['ETag'] = quoted(result.object.etag);
  response.headers['x-oss-hash-crc64ecma'] = result.object.crc64;
  return response;
}

function pickParts(wanted: RequestedPart[], parts: Map<number, PartRecord>): PartRecord[] {
  return wanted.map((item, i) => {
    const previous = wanted[i - 1];
    if (previous && item.partNumber <= previous.partNumber) {
      throw new OssError(400, 'InvalidPartOrder', 'The list of parts was not in ascending order.', {
        PartNumber: String(item.partNumber),
      });
    }
    const part = parts.get(item.partNumber);
    if (!part || part.etag.toUpperCase() !== item.etag.toUpperCase()) {
      throw new OssError(
        400,
        'InvalidPart',
        "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
        { PartNumber: String(item.partNumber), ETag: quoted(item.etag) },
      );
    }
    return part;
  });
}

export async function abortMultipartUpload(backend: Backend, req: OpRequest): Promise<OssResponse> {
  requireBucket(backend, req.bucket);
  const upload = requireUpload(backend, req);
  const released = backend.meta.abortUpload(upload.uploadId);
  if (released === undefined) throw errors.noSuchUpload(upload.uploadId);
  await collectGarbage(backend, released);
  return emptyResponse(204);
}

export function listParts(backend: Backend, req: OpRequest): OssResponse {
  const bucket = requireBucket(backend, req.bucket);
  const upload = requireUpload(backend, req);
  const maxParts = intParam(req.query, 'max-parts', 1, 1000, 1000);
  const marker = intParam(req.query, 'part-number-marker', 0, MAX_PART_NUMBER, 0);
  const { parts, isTruncated } = backend.meta.listParts(upload.uploadId, marker, maxParts);
  const encode = keyEncoder(req.query);
  const encodingType = req.query.get('encoding-type');
  const last = parts[parts.length - 1];
  return xmlResponse('ListPartsResult', [
    encodingType === undefined ? undefined : ['EncodingType', encodingType],
    ['Bucket', bucket.name],
    ['Key', encode(upload.key)],
    ['UploadId', upload.uploadId],
    ['StorageClass', upload.storageClass],
    ['PartNumberMarker', marker],
    ['NextPartNumberMarker', last ? last.partNumber : marker],
    ['MaxParts', maxParts],
    ['IsTruncated', isTruncated],
    ...parts.map(
      (part) =>
        [
          'Part',
          [
            ['PartNumber', part.partNumber],
            ['LastModified', isoDate(part.lastModifiedMs)],
            ['ETag', quoted(part.etag)],
            ['HashCrc64ecma', part.crc64],
            ['Size', part.size],
          ],
        ] as const,
    ),
  ]);
}

export function listMultipartUploads(backend: Backend, req: OpRequest): OssResponse {
  const bucket = requireBucket(backend, req.bucket);
  const maxUploads = intParam(req.query, 'max-uploads', 1, 1000, 1000);
  const prefix = req.query.get('prefix') ?? '';
  const delimiter = req.query.get('delimiter') ?? '';
  const keyMarker = req.query.get('key-marker') ?? '';
  const uploadIdMarker = keyMarker === '' ? '' : (req.query.get('upload-id-marker') ?? '');
  const page = backend.meta.listUploads(bucket.name, {
    prefix,
    delimiter,
    keyMarker,
    uploadIdMarker,
    maxUploads,
  });
  const encode = keyEncoder(req.query);
  const encodingType = req.query.get('encoding-type');
  return xmlResponse('ListMultipartUploadsResult', [
    encodingType === undefined ? undefined : ['EncodingType', encodingType],
    ['Bucket', bucket.name],
    ['KeyMarker', encode(keyMarker)],
    ['UploadIdMarker', uploadIdMarker],
    ['NextKeyMarker', encode(page.nextKeyMarker)],
    ['NextUploadIdMarker', page.nextUploadIdMarker],
    ['Delimiter', encode(delimiter)],
    ['Prefix', encode(prefix)],
    ['MaxUploads', maxUploads],
    ['IsTruncated', page.isTruncated],
    ...page.uploads.map(
      (upload) =>
        [
          'Upload',
          [
            ['Key', encode(upload.key)],
            ['UploadId', upload.uploadId],
            ['StorageClass', upload.storageClass],
            ['Initiated', isoDate(upload.initiatedMs)],
          ],
        ] as const,
    ),
    ...page.prefixes.map((p) => ['CommonPrefixes', [['Prefix', encode(p)]]] as const),
  ]);
}
