import { isIP } from 'node:net';
import { CoreError, isCoreError } from '../errors.js';
import {
  createAliOssClient,
  type AliOssClient,
  type AliPart,
  type AliResponse,
} from './ali-oss-client.js';
import { guardDownloadBody, guardUploadBody } from './oss-body.js';
import { describeTarget, type OssErrorContext, type ResponseHeaders } from './oss-errors.js';
import {
  decodeListedKey,
  headerValue,
  metaHeaders,
  objectInfoFromHeaders,
  quoteEtag,
  unquoteEtag,
} from './oss-headers.js';
import type {
  BucketInfo,
  CallOptions,
  CopyOptions,
  GetOptions,
  GetResult,
  ListPage,
  MultipartUploadInfo,
  ObjectInfo,
  PartInfo,
  PresignedUrl,
  PutOptions,
  PutResult,
  RemoteAccount,
  RemoteCatalog,
  RemoteStore,
  UploadBody,
} from './remote-store.js';
import { OssSession, timeoutError, type OssSessionOptions } from './oss-session.js';

export interface OssRemoteStoreOptions extends OssSessionOptions {
  /** Default timeout of a call without a body (default 60 s). */
  baseTimeoutMs?: number;
  /** Slowest transfer rate the default timeout of an upload or download allows (64 KiB/s). */
  minBytesPerSecond?: number;
}

/** Server-side work that can take long on big objects: copy, complete. */
const SLOW_OP_TIMEOUT_MS = 300_000;
const MAX_KEY_BYTES = 1023;
const MAX_LIST_KEYS = 1000;
/** Longest validity of a presigned URL OSS accepts (V4 `x-oss-expires`): 7 days. */
const MAX_PRESIGN_SECONDS = 604_800;
/** Safety stop for ListBuckets paging (OSS allows far fewer buckets per account). */
const MAX_BUCKET_PAGES = 100;

/** The signing-only clients never send anything: a request reaching this is a bug. */
const NO_TRANSPORT = {
  request: () =>
    Promise.reject(new CoreError('unknown', 'A signing-only OSS client tried to send a request.')),
};

type Target = OssErrorContext;

/**
 * The RemoteStore port over ali-oss 6.23: one store per account, with its own keep-alive
 * agents; the bucket is chosen per call. ali-oss never retries (retryMax 0): the transfer
 * engine does. Every failure is a CoreError (oss-errors.ts); abort and timeouts end only
 * the call they belong to (oss-call.ts).
 */
export class OssRemoteStore implements RemoteStore, RemoteCatalog {
  private readonly session: OssSession;
  private readonly baseTimeoutMs: number;
  private readonly minBytesPerSecond: number;
  /** Clients that only sign URLs (presignGet), by bucket. */
  private readonly signers = new Map<string, AliOssClient>();

  constructor(
    private readonly account: RemoteAccount,
    options: OssRemoteStoreOptions = {},
  ) {
    this.session = new OssSession(account, options);
    this.baseTimeoutMs = options.baseTimeoutMs ?? 60_000;
    this.minBytesPerSecond = options.minBytesPerSecond ?? 64 * 1024;
  }

  /** Ends every call in flight (they fail with `cancelled`) and closes the connections. */
  close(): void {
    this.session.close();
  }

  async headObject(
    bucket: string,
    key: string,
    options?: CallOptions,
  ): Promise<ObjectInfo | undefined> {
    const target = this.target('HeadObject', bucket, key);
    try {
      return await this.session.run(target, options, this.baseTimeoutMs, async (client, o) => {
        const result = await client.head(key, o);
        const info = objectInfoFromHeaders(key, result.res.headers);
        const storageClass = headerValue(result.res.headers, 'x-oss-storage-class');
        if (storageClass !== undefined && storageClass !== '') info.storageClass = storageClass;
        return info;
      });
    } catch (error) {
      // Only a missing key: a missing bucket (x-oss-err says NoSuchBucket) still throws.
      if (isCoreError(error) && error.code === 'no-such-key') return undefined;
      throw error;
    }
  }

  async putObject(
    bucket: string,
    key: string,
    body: UploadBody,
    options?: PutOptions,
  ): Promise<PutResult> {
    const target = this.target('PutObject', bucket, key);
    const headers = this.putHeaders(target, options);
    const timeout = this.transferTimeout(body.size);
    return this.session.run(target, options, timeout, async (client, o, call) => {
      const request = {
        ...o,
        headers,
        ...(options?.contentType === undefined ? {} : { mime: options.contentType }),
      };
      const guarded = guardUploadBody(call, body, target);
      let result: { res: AliResponse };
      if (body.size === 0) {
        // ali-oss sends a stream without contentLength (0 is falsy) chunked: send an empty
        // Buffer instead, once the stream proved empty (the guard fails the call if not).
        await drain(guarded);
        result = await client.put(key, Buffer.alloc(0), request);
      } else {
        result = await client.putStream(key, guarded, { ...request, contentLength: body.size });
      }
      return putResult(result.res.headers, headerValue(result.res.headers, 'etag'));
    });
  }

  async getObject(bucket: string, key: string, options?: GetOptions): Promise<GetResult> {
    const target = this.target('GetObject', bucket, key);
    const headers: Record<string, string> = {};
    if (options?.range !== undefined) {
      const { start, end } = options.range;
      headers['Range'] = `bytes=${start}-${end ?? ''}`;
      // Without it OSS ignores an invalid range and sends the whole object with 200.
      headers['x-oss-range-behavior'] = 'standard';
    }
    if (options?.ifMatch !== undefined) headers['If-Match'] = quoteEtag(options.ifMatch);
    return this.session.run(
      target,
      options,
      this.baseTimeoutMs,
      async (client, o, call) => {
        const result = await client.getStream(key, { ...o, headers });
        if (call.failure !== undefined) {
          result.stream.destroy();
          throw call.failure;
        }
        const info = objectInfoFromHeaders(key, result.res.headers);
        const length = headerValue(result.res.headers, 'content-length');
        const expected = length === undefined ? undefined : Number(length);
        // The caller's timeoutMs covers the whole body; the default grows with its size.
        if (options?.timeoutMs === undefined) {
          const timeout = this.transferTimeout(expected ?? 0);
          call.setDeadline(timeout, () => timeoutError(target, timeout));
        }
        return {
          stream: guardDownloadBody(call, result.stream, expected, target),
          info,
          status: result.res.status,
        };
      },
      { outlivesCall: true },
    );
  }

  async deleteObject(bucket: string, key: string, options?: CallOptions): Promise<void> {
    const target = this.target('DeleteObject', bucket, key);
    await this.session.run(target, options, this.baseTimeoutMs, (client, o) =>
      client.delete(key, o),
    );
  }

  async copyObject(
    bucket: string,
    sourceKey: string,
    targetKey: string,
    options?: CopyOptions,
  ): Promise<PutResult> {
    const source = this.target('CopyObject', bucket, sourceKey);
    const target = this.target('CopyObject', bucket, targetKey);
    // ali-oss turns each header into its x-oss-copy-source-* form (and keeps the original,
    // as its documented use of If-Match does): the condition is on the source object.
    const sourceEtag = options?.sourceEtag;
    const headers: Record<string, string> =
      sourceEtag === undefined ? {} : { 'If-Match': quoteEtag(sourceEtag) };
    try {
      return await this.session.run(target, options, SLOW_OP_TIMEOUT_MS, async (client, o) => {
        const result = await client.copy(targetKey, sourceKey, bucket, { ...o, headers });
        return putResult(
          result.res.headers,
          result.data?.etag ?? headerValue(result.res.headers, 'etag'),
        );
      });
    } catch (error) {
      throw copyFailure(error, source, targetKey, sourceEtag);
    }
  }

  async uploadPartCopy(
    bucket: string,
    sourceKey: string,
    targetKey: string,
    uploadId: string,
    partNumber: number,
    range: { start: number; end: number },
    options?: CopyOptions,
  ): Promise<PutResult> {
    const source = this.target('UploadPartCopy', bucket, sourceKey);
    const target = { ...this.target('UploadPartCopy', bucket, targetKey), uploadId };
    if (
      !Number.isSafeInteger(range.start) ||
      !Number.isSafeInteger(range.end) ||
      range.start < 0 ||
      range.end < range.start
    ) {
      throw new CoreError(
        'invalid-request',
        `Bytes ${range.start}-${range.end} of ${describeTarget(source)} are not a range to copy.`,
        { subject: sourceKey },
      );
    }
    // ali-oss's uploadPartCopy sets x-oss-copy-source and x-oss-copy-source-range itself and
    // passes other headers through unchanged (unlike copy): the condition goes in its
    // x-oss-copy-source-* form.
    const sourceEtag = options?.sourceEtag;
    const headers: Record<string, string> =
      sourceEtag === undefined ? {} : { 'x-oss-copy-source-if-match': quoteEtag(sourceEtag) };
    try {
      return await this.session.run(target, options, SLOW_OP_TIMEOUT_MS, async (client, o) => {
        const result = await client.uploadPartCopy(
          targetKey,
          uploadId,
          partNumber,
          `${range.start}-${range.end}`,
          { sourceKey, sourceBucketName: bucket },
          { ...o, headers },
        );
        const etag = result.etag ?? headerValue(result.res.headers, 'etag');
        if (etag === undefined || etag === '') {
          throw new CoreError(
            'unknown',
            `OSS answered UploadPartCopy of part ${partNumber} of ${describeTarget(target)} without the part's ETag.`,
            { subject: targetKey },
          );
        }
        return putResult(result.res.headers, etag);
      });
    } catch (error) {
      throw copyFailure(error, source, targetKey, sourceEtag);
    }
  }

  async initiateMultipartUpload(
    bucket: string,
    key: string,
    options?: PutOptions,
  ): Promise<string> {
    const target = this.target('InitiateMultipartUpload', bucket, key);
    const headers = this.putHeaders(target, options);
    return this.session.run(target, options, this.baseTimeoutMs, async (client, o) => {
      const result = await client.initMultipartUpload(key, {
        ...o,
        headers,
        ...(options?.contentType === undefined ? {} : { mime: options.contentType }),
      });
      return result.uploadId;
    });
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: UploadBody,
    options?: CallOptions,
  ): Promise<PutResult> {
    const target = { ...this.target('UploadPart', bucket, key), uploadId };
    return this.session.run(
      target,
      options,
      this.transferTimeout(body.size),
      async (client, o, call) => {
        const stream = guardUploadBody(call, body, target);
        const result = await client._uploadPart(
          key,
          uploadId,
          partNumber,
          { stream, size: body.size },
          o,
        );
        return putResult(result.res.headers, result.etag);
      },
    );
  }

  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
    options?: CallOptions,
  ): Promise<PutResult> {
    const target = { ...this.target('CompleteMultipartUpload', bucket, key), uploadId };
    // The XML part list keeps the ETags quoted, as OSS sends them.
    const list = parts.map((part) => ({ number: part.partNumber, etag: quoteEtag(part.etag) }));
    return this.session.run(target, options, SLOW_OP_TIMEOUT_MS, async (client, o) => {
      const result = await client.completeMultipartUpload(key, uploadId, list, o);
      return putResult(result.res.headers, result.etag);
    });
  }

  async abortMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    options?: CallOptions,
  ): Promise<void> {
    const target = { ...this.target('AbortMultipartUpload', bucket, key), uploadId };
    await this.session.run(target, options, this.baseTimeoutMs, (client, o) =>
      client.abortMultipartUpload(key, uploadId, o),
    );
  }

  async listParts(
    bucket: string,
    key: string,
    uploadId: string,
    options?: CallOptions,
  ): Promise<PartInfo[]> {
    const target = { ...this.target('ListParts', bucket, key), uploadId };
    const parts: PartInfo[] = [];
    let marker: string | undefined;
    for (;;) {
      // Empty query values are left out: ali-oss signs them `k=` under V4, OSS signs `k`.
      const query = {
        'max-parts': 1000,
        ...(marker === undefined ? {} : { 'part-number-marker': marker }),
      };
      const page = await this.session.run(target, options, this.baseTimeoutMs, (client, o) =>
        client.listParts(key, uploadId, query, o),
      );
      // ali-oss hands back the parsed XML as is: one part is an object, not an array.
      const listed: AliPart[] =
        page.parts === undefined ? [] : Array.isArray(page.parts) ? page.parts : [page.parts];
      for (const part of listed) {
        parts.push({
          partNumber: Number(part.PartNumber),
          size: Number(part.Size),
          etag: unquoteEtag(part.ETag),
          crc64:
            part.HashCrc64ecma === undefined || part.HashCrc64ecma === ''
              ? undefined
              : part.HashCrc64ecma,
        });
      }
      const truncated = page.isTruncated === true || page.isTruncated === 'true';
      if (!truncated) return parts;
      const next = page.nextPartNumberMarker;
      if (next === undefined || next === '' || next === marker) throw noProgress(target);
      marker = next;
    }
  }

  async listMultipartUploads(
    bucket: string,
    prefix: string,
    options?: CallOptions,
  ): Promise<MultipartUploadInfo[]> {
    const target = this.target('ListMultipartUploads', bucket, undefined);
    const uploads: MultipartUploadInfo[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const query = {
        'max-uploads': 1000,
        'encoding-type': 'url',
        ...(prefix === '' ? {} : { prefix }),
        ...(keyMarker === undefined || keyMarker === '' ? {} : { 'key-marker': keyMarker }),
        ...(uploadIdMarker === undefined || uploadIdMarker === ''
          ? {}
          : { 'upload-id-marker': uploadIdMarker }),
      };
      const page = await this.session.run(target, options, this.baseTimeoutMs, (client, o) =>
        client.listUploads(query, o),
      );
      for (const upload of page.uploads) {
        uploads.push({
          key: decodeListedKey(upload.name),
          uploadId: upload.uploadId,
          initiated: new Date(upload.initiated),
        });
      }
      if (!page.isTruncated) return uploads;
      const nextKey =
        page.nextKeyMarker === undefined ? undefined : decodeListedKey(page.nextKeyMarker);
      const nextUploadId = page.nextUploadIdMarker;
      if (
        nextKey === undefined ||
        nextKey === '' ||
        (nextKey === keyMarker && nextUploadId === uploadIdMarker)
      ) {
        throw noProgress(target);
      }
      keyMarker = nextKey;
      uploadIdMarker = nextUploadId;
    }
  }

  async listPage(
    bucket: string,
    query: { prefix?: string; delimiter?: string; token?: string; maxKeys?: number },
    options?: CallOptions,
  ): Promise<ListPage> {
    const target = this.target('ListObjectsV2', bucket, undefined);
    const maxKeys = Math.min(
      MAX_LIST_KEYS,
      Math.max(1, Math.floor(query.maxKeys ?? MAX_LIST_KEYS)),
    );
    // encoding-type=url: keys may hold characters XML 1.0 cannot carry.
    const request: Record<string, string | number> = {
      'max-keys': maxKeys,
      'encoding-type': 'url',
    };
    if (query.prefix !== undefined && query.prefix !== '') request['prefix'] = query.prefix;
    if (query.delimiter !== undefined && query.delimiter !== '')
      request['delimiter'] = query.delimiter;
    if (query.token !== undefined && query.token !== '')
      request['continuation-token'] = query.token;
    const page = await this.session.run(target, options, this.baseTimeoutMs, (client, o) =>
      client.listV2(request, o),
    );
    const nextToken = page.isTruncated ? (page.nextContinuationToken ?? undefined) : undefined;
    if (page.isTruncated && nextToken === undefined) {
      throw new CoreError(
        'unknown',
        `OSS said the listing of ${describeTarget(target)} goes on but gave no continuation token.`,
      );
    }
    return {
      objects: page.objects.map((object) => ({
        key: decodeListedKey(object.name),
        size: object.size,
        etag: unquoteEtag(object.etag),
        lastModified: new Date(object.lastModified),
        ...(object.storageClass === undefined ? {} : { storageClass: object.storageClass }),
      })),
      prefixes: (page.prefixes ?? []).map(decodeListedKey),
      nextToken,
    };
  }

  async listBuckets(options?: CallOptions): Promise<BucketInfo[]> {
    const target: Target = { op: 'ListBuckets' };
    const buckets: BucketInfo[] = [];
    let marker: string | undefined;
    for (let page = 0; page < MAX_BUCKET_PAGES; page++) {
      const query = { 'max-keys': 1000, ...(marker === undefined ? {} : { marker }) };
      const result = await this.session.run(target, options, this.baseTimeoutMs, (client, o) =>
        (client as unknown as AliBucketLister).listBuckets(query, o),
      );
      for (const bucket of result.buckets ?? []) {
        const created = bucket.creationDate === undefined ? NaN : Date.parse(bucket.creationDate);
        buckets.push({
          name: bucket.name,
          ...(bucket.region ? { region: bucket.region } : {}),
          ...(Number.isFinite(created) ? { createdAt: new Date(created) } : {}),
          ...(bucket.storageClass ? { storageClass: bucket.storageClass } : {}),
        });
      }
      if (!result.isTruncated) return buckets;
      const next = result.nextMarker ?? undefined;
      if (next === undefined || next === '' || next === marker) throw noProgress(target);
      marker = next;
    }
    throw noProgress(target);
  }

  async presignGet(bucket: string, key: string, expiresInSeconds: number): Promise<PresignedUrl> {
    const target = this.target('PresignGet', bucket, key);
    if (
      !Number.isSafeInteger(expiresInSeconds) ||
      expiresInSeconds < 1 ||
      expiresInSeconds > MAX_PRESIGN_SECONDS
    ) {
      throw new CoreError(
        'invalid-argument',
        `A share link must be valid for 1 to ${MAX_PRESIGN_SECONDS} seconds, not ${expiresInSeconds}.`,
        { subject: key },
      );
    }
    if (isIpEndpoint(this.account.endpoint)) {
      throw new CoreError(
        'invalid-argument',
        `Share links need an endpoint with a host name, not an IP address (${this.account.endpoint}): change the account's endpoint.`,
        { subject: key },
      );
    }
    const signer = this.signerFor(target);
    const nowSeconds = Math.floor(Date.now() / 1000);
    try {
      const url = this.account.authorizationV4
        ? await (signer as unknown as AliSigner).signatureUrlV4('GET', expiresInSeconds, {}, key)
        : (signer as unknown as AliSigner).signatureUrl(key, {
            method: 'GET',
            expires: expiresInSeconds,
          });
      return {
        url,
        expiresAt: new Date(signedExpiry(url) ?? (nowSeconds + expiresInSeconds) * 1000),
      };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new CoreError(
        'invalid-request',
        `No share link could be signed for ${describeTarget(target)} (${this.redact(detail)}).`,
        { subject: key },
      );
    }
  }

  // -------------------------------------------------------------------------------------

  private signerFor(target: Target): AliOssClient {
    const bucket = target.bucket ?? '';
    let signer = this.signers.get(bucket);
    if (signer === undefined) {
      try {
        signer = createAliOssClient(this.account, bucket, NO_TRANSPORT);
      } catch {
        throw new CoreError(
          'invalid-request',
          `"${bucket}" is not a valid bucket name: use 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit.`,
        );
      }
      this.signers.set(bucket, signer);
    }
    return signer;
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of [this.account.accessKeySecret, this.account.securityToken]) {
      if (secret !== undefined && secret.length >= 6) out = out.split(secret).join('***');
    }
    return out;
  }

  /** Validates the key before ali-oss sees it: it strips leading slashes, and '' is the bucket. */
  private target(op: string, bucket: string, key: string | undefined): Target {
    if (key !== undefined) {
      const problem =
        key === ''
          ? 'it is empty'
          : key.startsWith('/') || key.startsWith('\\')
            ? 'it starts with a slash'
            : Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES
              ? `it is longer than ${MAX_KEY_BYTES} bytes`
              : undefined;
      if (problem !== undefined) {
        throw new CoreError(
          'invalid-request',
          `The object key "${key.slice(0, 100)}" cannot be used in OSS: ${problem}.`,
          { subject: key },
        );
      }
      // URL rules resolve '.' and '..' path segments before the request goes out, so the
      // signed key and the one OSS receives differ (it answered SignatureDoesNotMatch, which
      // told the user their secret was wrong). Such keys come only from other tools.
      if (hasDotSegment(key))
        throw new CoreError(
          'invalid-request',
          `The object key ${JSON.stringify(key.slice(0, 200))} has a "." or ".." segment, which OSSync cannot send to OSS unchanged (the request would name another key). Rename or delete it with a tool that sends keys as they are, such as ossutil.`,
          { subject: key },
        );
    }
    return key === undefined ? { op, bucket } : { op, bucket, key };
  }

  private putHeaders(target: Target, options: PutOptions | undefined): Record<string, string> {
    const headers = metaHeaders(options?.meta, { op: target.op, subject: describeTarget(target) });
    if (options?.forbidOverwrite === true) headers['x-oss-forbid-overwrite'] = 'true';
    return headers;
  }

  private transferTimeout(size: number): number {
    return this.baseTimeoutMs + Math.ceil((size / this.minBytesPerSecond) * 1000);
  }
}

/** Whether a key has a path segment that is exactly '.' or '..'. */
function hasDotSegment(key: string): boolean {
  if (!key.includes('.')) return false;
  return key.split('/').some((segment) => segment === '.' || segment === '..');
}

/**
 * A failed copy (CopyObject or UploadPartCopy) in the source's words: the generic messages
 * would name the target, but a failed condition or a missing key is about the source.
 */
function copyFailure(
  error: unknown,
  source: Target,
  targetKey: string,
  sourceEtag: string | undefined,
): unknown {
  if (!isCoreError(error)) return error;
  const details = {
    ...(error.ossCode === undefined ? {} : { ossCode: error.ossCode }),
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    subject: source.key ?? '',
    cause: error,
  };
  const from = describeTarget(source);
  if (error.code === 'precondition-failed' && sourceEtag !== undefined) {
    return new CoreError(
      'precondition-failed',
      `${from} no longer has ETag ${unquoteEtag(sourceEtag)}: it was changed or replaced since its copy to ${targetKey} was planned, so nothing was copied.`,
      details,
    );
  }
  if (error.code === 'no-such-key') {
    return new CoreError(
      'no-such-key',
      `${from} does not exist (NoSuchKey), so it cannot be copied to ${targetKey}: it was deleted or renamed.`,
      details,
    );
  }
  return error;
}

function putResult(headers: ResponseHeaders, etag: string | undefined): PutResult {
  return {
    etag: unquoteEtag(etag),
    crc64: headerValue(headers, 'x-oss-hash-crc64ecma'),
    requestId: headerValue(headers, 'x-oss-request-id'),
  };
}

/** A truncated listing page must move its marker on, or paging would never end. */
function noProgress(target: Target): CoreError {
  return new CoreError(
    'unknown',
    `OSS said the listing of ${describeTarget(target)} goes on but gave no new marker.`,
  );
}

async function drain(stream: NodeJS.ReadableStream): Promise<void> {
  for await (const _chunk of stream) {
    // the guard fails the call if anything arrives
  }
}

/** ali-oss's ListBuckets, as lib/bucket.js returns it. */
interface AliBucketLister {
  listBuckets(
    query: Record<string, string | number>,
    options: unknown,
  ): Promise<{
    buckets:
      { name: string; region?: string; creationDate?: string; storageClass?: string }[] | null;
    isTruncated: boolean;
    nextMarker: string | null;
  }>;
}

/** ali-oss's URL signing (lib/common/object/signatureUrl.js and signatureUrlV4.js). */
interface AliSigner {
  signatureUrl(name: string, options: { method: string; expires: number }): string;
  signatureUrlV4(
    method: string,
    expires: number,
    request: { headers?: Record<string, string>; queries?: Record<string, string> },
    objectName: string,
  ): Promise<string>;
}

/** When a presigned URL expires, read from the URL itself (V1 `Expires`, V4 date + expires). */
function signedExpiry(url: string): number | undefined {
  const query = new URL(url).searchParams;
  const v1 = query.get('Expires');
  if (v1 !== null && /^[0-9]{1,15}$/.test(v1)) return Number(v1) * 1000;
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('x-oss-date') ?? '');
  const expires = query.get('x-oss-expires');
  if (date === null || expires === null || !/^[0-9]{1,7}$/.test(expires)) return undefined;
  const [y, mo, d, h, mi, s] = date.slice(1).map(Number);
  return Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s) + Number(expires) * 1000;
}

function isIpEndpoint(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return isIP(host.replace(/^\[|\]$/g, '')) !== 0;
  } catch {
    return false;
  }
}
