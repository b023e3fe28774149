import { errors } from '../errors.js';
import type { OssResponse } from '../http-types.js';
import type { ListEntry, ListEntryObject } from '../store/metadata-store.js';
import type { XmlChild } from '../xml.js';
import {
  intParam,
  isoDate,
  keyEncoder,
  quoted,
  requireBucket,
  xmlResponse,
  type Backend,
  type OpRequest,
} from './common.js';

function contents(
  entry: ListEntryObject,
  encode: (s: string) => string,
  owner: XmlChild,
): XmlChild {
  return [
    'Contents',
    [
      ['Key', encode(entry.key)],
      ['LastModified', isoDate(entry.lastModifiedMs)],
      ['ETag', quoted(entry.etag)],
      ['Type', entry.objectType],
      ['Size', entry.size],
      ['StorageClass', entry.storageClass],
      owner,
    ],
  ];
}

function entriesXml(
  entries: readonly ListEntry[],
  encode: (s: string) => string,
  owner: XmlChild,
): XmlChild[] {
  const objects: XmlChild[] = [];
  const prefixes: XmlChild[] = [];
  for (const entry of entries) {
    if (entry.kind === 'object') objects.push(contents(entry, encode, owner));
    else prefixes.push(['CommonPrefixes', [['Prefix', encode(entry.prefix)]]]);
  }
  return [...objects, ...prefixes];
}

function ownerElement(backend: Backend): XmlChild {
  return [
    'Owner',
    [
      ['ID', backend.owner.id],
      ['DisplayName', backend.owner.displayName],
    ],
  ];
}

/** ListObjects (v1): marker based; Owner is always present (ali-oss reads it unconditionally). */
export function listObjects(backend: Backend, req: OpRequest): OssResponse {
  const bucket = requireBucket(backend, req.bucket);
  const prefix = req.query.get('prefix') ?? '';
  const delimiter = req.query.get('delimiter') ?? '';
  const marker = req.query.get('marker') ?? '';
  const maxKeys = intParam(req.query, 'max-keys', 1, 1000, 100);
  const encode = keyEncoder(req.query);
  const encodingType = req.query.get('encoding-type');
  const page = backend.meta.listObjects(bucket.name, { prefix, delimiter, after: marker, maxKeys });
  return xmlResponse('ListBucketResult', [
    ['Name', bucket.name],
    ['Prefix', encode(prefix)],
    ['Marker', encode(marker)],
    ['MaxKeys', maxKeys],
    ['Delimiter', encode(delimiter)],
    encodingType === undefined ? undefined : ['EncodingType', encodingType],
    ['IsTruncated', page.isTruncated],
    page.next === undefined ? undefined : ['NextMarker', encode(page.next)],
    ...entriesXml(page.entries, encode, ownerElement(backend)),
  ]);
}

/** ListObjectsV2: continuation tokens are opaque to clients; ours encode the last entry returned. */
export function listObjectsV2(backend: Backend, req: OpRequest): OssResponse {
  const bucket = requireBucket(backend, req.bucket);
  const prefix = req.query.get('prefix') ?? '';
  const delimiter = req.query.get('delimiter') ?? '';
  const startAfter = req.query.get('start-after');
  const token = req.query.get('continuation-token');
  const maxKeys = intParam(req.query, 'max-keys', 1, 1000, 100);
  const fetchOwner = req.query.get('fetch-owner') === 'true';
  const encode = keyEncoder(req.query);
  const encodingType = req.query.get('encoding-type');
  const after = token !== undefined ? decodeToken(token) : (startAfter ?? '');
  const page = backend.meta.listObjects(bucket.name, { prefix, delimiter, after, maxKeys });
  return xmlResponse('ListBucketResult', [
    ['Name', bucket.name],
    ['Prefix', encode(prefix)],
    startAfter === undefined ? undefined : ['StartAfter', encode(startAfter)],
    token === undefined ? undefined : ['ContinuationToken', token],
    ['MaxKeys', maxKeys],
    ['Delimiter', encode(delimiter)],
    encodingType === undefined ? undefined : ['EncodingType', encodingType],
    ['IsTruncated', page.isTruncated],
    ['KeyCount', page.entries.length],
    page.next === undefined ? undefined : ['NextContinuationToken', encodeToken(page.next)],
    ...entriesXml(page.entries, encode, fetchOwner ? ownerElement(backend) : undefined),
  ]);
}

function encodeToken(after: string): string {
  return Buffer.from(`v1:${after}`, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith('v1:') || Buffer.from(text, 'utf8').toString('base64url') !== token) {
    throw errors.invalidArgument(
      'The continuation token provided is incorrect.',
      'continuation-token',
      token,
    );
  }
  return text.slice(3);
}
