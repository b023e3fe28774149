/** The OSS API operations the local server implements, named as in the OSS API reference. */
export const OSS_OPERATIONS = [
  'ListBuckets',
  'PutBucket',
  'DeleteBucket',
  'GetBucketInfo',
  'GetBucketLocation',
  'PutObject',
  'GetObject',
  'HeadObject',
  'GetObjectMeta',
  'DeleteObject',
  'DeleteMultipleObjects',
  'CopyObject',
  'ListObjects',
  'ListObjectsV2',
  'InitiateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'ListParts',
  'ListMultipartUploads',
] as const;

export type OssOperation = (typeof OSS_OPERATIONS)[number];

export function isOssOperation(value: string): value is OssOperation {
  return (OSS_OPERATIONS as readonly string[]).includes(value);
}
