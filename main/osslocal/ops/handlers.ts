import type { OssResponse } from '../http-types.js';
import type { OssOperation } from '../operations.js';
import {
  deleteBucket,
  getBucketInfo,
  getBucketLocation,
  listBuckets,
  putBucket,
} from './bucket-ops.js';
import type { Backend, OpRequest } from './common.js';
import { listObjects, listObjectsV2 } from './list-ops.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  initiateMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart-ops.js';
import {
  copyObject,
  deleteMultipleObjects,
  deleteObject,
  getObject,
  getObjectMeta,
  putObject,
} from './object-ops.js';

type Handler = (backend: Backend, req: OpRequest) => OssResponse | Promise<OssResponse>;

/** One handler per operation; the Record type makes a missing one a compile error. */
export const OPERATION_HANDLERS: Record<OssOperation, Handler> = {
  ListBuckets: listBuckets,
  PutBucket: putBucket,
  DeleteBucket: deleteBucket,
  GetBucketInfo: getBucketInfo,
  GetBucketLocation: getBucketLocation,
  PutObject: putObject,
  GetObject: getObject,
  HeadObject: getObject,
  GetObjectMeta: getObjectMeta,
  DeleteObject: deleteObject,
  DeleteMultipleObjects: deleteMultipleObjects,
  CopyObject: copyObject,
  ListObjects: listObjects,
  ListObjectsV2: listObjectsV2,
  InitiateMultipartUpload: initiateMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
  ListMultipartUploads: listMultipartUploads,
};
