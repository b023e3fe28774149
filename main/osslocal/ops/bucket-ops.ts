import { OssError, errors } from '../errors.js';
import type { OssResponse } from '../http-types.js';
import { ConflictError } from '../store/metadata-store.js';
import { parseXml, xmlText } from '../xml.js';
import {
  STORAGE_CLASSES,
  emptyResponse,
  intParam,
  isoDate,
  readSmallBody,
  requireBucket,
  xmlResponse,
  type Backend,
  type OpRequest,
} from './common.js';

export function listBuckets(backend: Backend, req: OpRequest): OssResponse {
  const prefix = req.query.get('prefix') ?? '';
  const marker = req.query.get('marker') ?? '';
  const maxKeys = intParam(req.query, 'max-keys', 1, 1000, 100);
  const { buckets, isTruncated } = backend.meta.listBuckets(prefix, marker, maxKeys);
  const last = buckets[buckets.length - 1];
  return xmlResponse('ListAllMyBucketsResult', [
    ['Prefix', prefix],
    ['Marker', marker],
    ['MaxKeys', maxKeys],
    ['IsTruncated', isTruncated],
    isTruncated && last ? ['NextMarker', last.name] : undefined,
    ['Owner', ownerXml(backend)],
    [
      'Buckets',
      buckets.map((bucket) => [
        'Bucket',
        [
          ['CreationDate', isoDate(bucket.createdMs)],
          ['ExtranetEndpoint', `${bucket.location}.aliyuncs.com`],
          ['IntranetEndpoint', `${bucket.location}-internal.aliyuncs.com`],
          ['Location', bucket.location],
          ['Name', bucket.name],
          ['Region', bucket.location.replace(/^oss-/, '')],
          ['StorageClass', bucket.storageClass],
        ],
      ]),
    ],
  ]);
}

function ownerXml(backend: Backend) {
  return [
    ['ID', backend.owner.id],
    ['DisplayName', backend.owner.displayName],
  ] as const;
}

export async function putBucket(backend: Backend, req: OpRequest): Promise<OssResponse> {
  const name = req.bucket as string;
  const body = await readSmallBody(req.body, 64 * 1024);
  let storageClass = 'Standard';
  if (body.length > 0) {
    const parsed = parseXml(body.toString('utf8'));
    const config = parsed?.['CreateBucketConfiguration'];
    if (config === undefined) throw errors.malformedXml();
    const requested = xmlText((config as { StorageClass?: unknown }).StorageClass);
    if (requested !== undefined && requested !== '') {
      const match = STORAGE_CLASSES.find((c) => c.toLowerCase() === requested.toLowerCase());
      if (!match) throw errors.invalidArgument('Invalid storage class.', 'StorageClass', requested);
      storageClass = match;
    }
  }
  const created = backend.meta.createBucket({
    name,
    location: backend.region,
    storageClass,
    createdMs: backend.now(),
  });
  if (!created) {
    throw new OssError(409, 'BucketAlreadyExists', 'The requested bucket name is not available.', {
      BucketName: name,
    });
  }
  return emptyResponse(200, { Location: `/${name}` });
}

export function deleteBucket(backend: Backend, req: OpRequest): OssResponse {
  const bucket = requireBucket(backend, req.bucket);
  try {
    backend.meta.deleteBucket(bucket.name);
  } catch (error) {
    if (error instanceof ConflictError && error.reason === 'not-empty') {
      throw new OssError(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty.', {
        BucketName: bucket.name,
      });
    }
    throw error;
  }
  return emptyResponse(204);
}

export function getBucketInfo(backend: Backend, req: OpRequest): OssResponse {
  const bucket = requireBucket(backend, req.bucket);
  return xmlResponse('BucketInfo', [
    [
      'Bucket',
      [
        ['AccessMonitor', 'Disabled'],
        ['CreationDate', isoDate(bucket.createdMs)],
        ['CrossRegionReplication', 'Disabled'],
        ['DataRedundancyType', 'LRS'],
        ['ExtranetEndpoint', `${bucket.location}.aliyuncs.com`],
        ['IntranetEndpoint', `${bucket.location}-internal.aliyuncs.com`],
        ['Location', bucket.location],
        ['Name', bucket.name],
        ['ResourceGroupId', 'rg-default'],
        ['StorageClass', bucket.storageClass],
        ['TransferAcceleration', 'Disabled'],
        ['Owner', ownerXml(backend)],
        ['AccessControlList', [['Grant', 'private']]],
        ['ServerSideEncryptionRule', [['SSEAlgorithm', 'None']]],
        [
          'BucketPolicy',
          [
            ['LogBucket', ''],
            ['LogPrefix', ''],
          ],
        ],
      ],
    ],
  ]);
}

export function getBucketLocation(backend: Backend, req: OpRequest): OssResponse {
  return xmlResponse('LocationConstraint', requireBucket(backend, req.bucket).location);
}
