import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import OSS from 'ali-oss';
import type { ResponseHeaders } from './oss-errors.js';
import type { Transport } from './oss-call.js';
import type { RemoteAccount } from './remote-store.js';

/**
 * The slice of the ali-oss 6.23 client the adapter uses, typed from its source (the
 * @types package is loose and partly wrong: listParts' `parts` is an object, not an array,
 * for exactly one part; `_uploadPart` is missing).
 */

/** What every call accepts: our per-call tag (urllib's ctx) and urllib's timeout. */
export interface AliCallOptions {
  ctx: unknown;
  timeout: number;
  headers?: Record<string, string | number>;
  mime?: string;
}

export interface AliResponse {
  status: number;
  headers: ResponseHeaders;
}

export interface AliListedObject {
  name: string;
  lastModified: string;
  etag: string;
  size: number;
  storageClass?: string;
}

export interface AliPart {
  PartNumber: string;
  ETag: string;
  Size: string;
  HashCrc64ecma?: string;
  LastModified?: string;
}

export interface AliOssClient {
  put(name: string, file: Buffer, options: AliCallOptions): Promise<{ res: AliResponse }>;
  putStream(
    name: string,
    stream: Readable,
    options: AliCallOptions & { contentLength: number },
  ): Promise<{ res: AliResponse }>;
  getStream(
    name: string,
    options: AliCallOptions,
  ): Promise<{ stream: IncomingMessage; res: AliResponse }>;
  head(name: string, options: AliCallOptions): Promise<{ status: number; res: AliResponse }>;
  delete(name: string, options: AliCallOptions): Promise<{ res: AliResponse }>;
  copy(
    name: string,
    sourceName: string,
    bucketName: string,
    options: AliCallOptions,
  ): Promise<{ data: { etag?: string } | null; res: AliResponse }>;
  initMultipartUpload(
    name: string,
    options: AliCallOptions,
  ): Promise<{ uploadId: string; res: AliResponse }>;
  _uploadPart(
    name: string,
    uploadId: string,
    partNo: number,
    data: { stream: Readable; size: number },
    options: AliCallOptions,
  ): Promise<{ etag: string; res: AliResponse }>;
  uploadPartCopy(
    name: string,
    uploadId: string,
    partNo: number,
    range: string,
    sourceData: { sourceKey: string; sourceBucketName: string },
    options: AliCallOptions,
  ): Promise<{ etag: string | undefined; res: AliResponse }>;
  completeMultipartUpload(
    name: string,
    uploadId: string,
    parts: { number: number; etag: string }[],
    options: AliCallOptions,
  ): Promise<{ etag: string; res: AliResponse }>;
  abortMultipartUpload(name: string, uploadId: string, options: AliCallOptions): Promise<unknown>;
  listParts(
    name: string,
    uploadId: string,
    query: Record<string, string | number>,
    options: AliCallOptions,
  ): Promise<{
    parts: AliPart | AliPart[] | undefined;
    isTruncated: string | boolean | undefined;
    nextPartNumberMarker: string | undefined;
  }>;
  listUploads(
    query: Record<string, string | number>,
    options: AliCallOptions,
  ): Promise<{
    uploads: { name: string; uploadId: string; initiated: string }[];
    isTruncated: boolean;
    nextKeyMarker: string | undefined;
    nextUploadIdMarker: string | undefined;
  }>;
  listV2(
    query: Record<string, string | number>,
    options: AliCallOptions,
  ): Promise<{
    objects: AliListedObject[];
    prefixes: string[] | null;
    isTruncated: boolean;
    nextContinuationToken: string | null;
  }>;
}

/**
 * A client bound to one bucket (ali-oss reads the bucket from its options on every call,
 * lib/object.js:364-372, and `useBucket` would mutate a shared client). Clients are
 * cheap: they share the transport and its agents.
 */
export function createAliOssClient(
  account: RemoteAccount,
  bucket: string | undefined,
  transport: Transport,
): AliOssClient {
  const options = {
    endpoint: account.endpoint,
    region: account.region,
    accessKeyId: account.accessKeyId,
    accessKeySecret: account.accessKeySecret,
    ...(account.securityToken === undefined
      ? {}
      : {
          stsToken: account.securityToken,
          // Silences the "set refreshSTSToken" console warning (initOptions.js:26); this
          // is the default value and does nothing without refreshSTSToken.
          refreshSTSTokenInterval: 300_000,
        }),
    bucket,
    // ali-oss addresses IP endpoints itself (bucket in the Host header); adding path style
    // on top puts the bucket in the path too, and every signature fails.
    sldEnable: account.pathStyle === true && !isIpEndpoint(account.endpoint),
    authorizationV4: account.authorizationV4 === true,
    // The transfer engine retries with backoff itself.
    retryMax: 0,
    // Only a backstop: every call passes its own timeout.
    timeout: 60_000,
    urllib: transport,
  };
  return new OSS(options) as unknown as AliOssClient;
}

function isIpEndpoint(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return isIP(host.replace(/^\[|\]$/g, '')) !== 0;
  } catch {
    return false;
  }
}
