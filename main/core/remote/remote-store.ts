import type { Readable } from 'node:stream';

/**
 * The RemoteStore port: everything the core asks of OSS. One real adapter (ali-oss,
 * oss-remote-store.ts); tests run it against the local OSS server. Every method throws
 * CoreError (../errors.ts) with a stable code, the OSS code and the request id.
 */

export interface ObjectInfo {
  key: string;
  size: number;
  /** Without quotes, as OSS sends it (upper-case hex, or `HEX-N` for multipart). */
  etag: string;
  /** Decimal uint64 from x-oss-hash-crc64ecma; undefined if the server sent none. */
  crc64: string | undefined;
  lastModified: Date;
  contentType?: string;
  /** x-oss-meta-* without the prefix, values decoded. */
  meta?: Record<string, string>;
  /** x-oss-storage-class (Standard, IA, Archive, ...), when the server sent it. */
  storageClass?: string;
}

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
  storageClass?: string;
}

export interface ListPage {
  objects: ListedObject[];
  prefixes: string[];
  /** Pass back to get the next page; undefined on the last page. */
  nextToken: string | undefined;
}

export interface UploadBody {
  /** A fresh stream of exactly `size` bytes (the engine makes a new one per attempt). */
  stream: Readable;
  size: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Whole-request timeout in ms (ali-oss's timeout covers the body too). */
  timeoutMs?: number;
}

export interface PutOptions extends CallOptions {
  contentType?: string;
  meta?: Record<string, string>;
  forbidOverwrite?: boolean;
}

export interface CopyOptions extends CallOptions {
  /**
   * Copy only if the source object still has this ETag (x-oss-copy-source-if-match); fails
   * with precondition-failed, copying nothing, if it changed.
   */
  sourceEtag?: string;
}

export interface PutResult {
  etag: string;
  crc64: string | undefined;
  requestId: string | undefined;
}

export interface GetOptions extends CallOptions {
  /** Inclusive byte range; end omitted means to the end. */
  range?: { start: number; end?: number };
  /** Fail with precondition-failed unless the object still has this ETag. */
  ifMatch?: string;
}

export interface GetResult {
  stream: Readable;
  info: ObjectInfo;
  /** 206 when a range was served. */
  status: number;
}

export interface PartInfo {
  partNumber: number;
  size: number;
  etag: string;
  crc64: string | undefined;
}

export interface MultipartUploadInfo {
  key: string;
  uploadId: string;
  initiated: Date;
}

export interface RemoteStore {
  headObject(bucket: string, key: string, options?: CallOptions): Promise<ObjectInfo | undefined>;
  putObject(
    bucket: string,
    key: string,
    body: UploadBody,
    options?: PutOptions,
  ): Promise<PutResult>;
  getObject(bucket: string, key: string, options?: GetOptions): Promise<GetResult>;
  /** Succeeds for a missing key too. */
  deleteObject(bucket: string, key: string, options?: CallOptions): Promise<void>;
  /**
   * Server-side copy within a bucket; up to 1 GB (larger objects need uploadPartCopy). A
   * missing source fails with no-such-key.
   */
  copyObject(
    bucket: string,
    sourceKey: string,
    targetKey: string,
    options?: CopyOptions,
  ): Promise<PutResult>;
  initiateMultipartUpload(bucket: string, key: string, options?: PutOptions): Promise<string>;
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: UploadBody,
    options?: CallOptions,
  ): Promise<PutResult>;
  /**
   * UploadPartCopy: bytes `range.start` to `range.end` (inclusive) of `sourceKey`, in the same
   * bucket, become part `partNumber` of the multipart upload of `targetKey`. With
   * `sourceEtag`, only if the source still has that ETag (precondition-failed otherwise); a
   * missing source fails with no-such-key. The result's crc64 is undefined when the server
   * sends none for the part.
   */
  uploadPartCopy(
    bucket: string,
    sourceKey: string,
    targetKey: string,
    uploadId: string,
    partNumber: number,
    range: { start: number; end: number },
    options?: CopyOptions,
  ): Promise<PutResult>;
  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
    options?: CallOptions,
  ): Promise<PutResult>;
  abortMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    options?: CallOptions,
  ): Promise<void>;
  /** Every part of the upload (all pages). */
  listParts(
    bucket: string,
    key: string,
    uploadId: string,
    options?: CallOptions,
  ): Promise<PartInfo[]>;
  /** Every unfinished upload under the prefix (all pages). */
  listMultipartUploads(
    bucket: string,
    prefix: string,
    options?: CallOptions,
  ): Promise<MultipartUploadInfo[]>;
  /** One page of a listing (ListObjectsV2). */
  listPage(
    bucket: string,
    query: { prefix?: string; delimiter?: string; token?: string; maxKeys?: number },
    options?: CallOptions,
  ): Promise<ListPage>;
}

export interface BucketInfo {
  name: string;
  /** The bucket's location, e.g. oss-cn-hangzhou. */
  region?: string;
  createdAt?: Date;
  storageClass?: string;
}

export interface PresignedUrl {
  url: string;
  /** When the URL stops working (the signature's own clock, to the second). */
  expiresAt: Date;
}

/**
 * What browsing a bucket needs beyond the transfer port: the account's buckets and share
 * links. Kept apart from RemoteStore so stores that only transfer need not implement it.
 */
export interface RemoteCatalog {
  /** Every bucket the account can list (all pages). */
  listBuckets(options?: CallOptions): Promise<BucketInfo[]>;
  /** A presigned GET URL for `key`, valid for `expiresInSeconds` (1 .. 604800). */
  presignGet(bucket: string, key: string, expiresInSeconds: number): Promise<PresignedUrl>;
}

export interface RemoteAccount {
  endpoint: string;
  region: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  /** Path-style requests (`/bucket/key`), as for the local OSS server. */
  pathStyle?: boolean;
  authorizationV4?: boolean;
}
