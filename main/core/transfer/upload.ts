import { createHash } from 'node:crypto';
import { crc64Combine, crc64ToString, parseCrc64 } from '../../../shared/crc64.js';
import type { Job, SourceIdentity, StoredPart } from '../db/job-types.js';
import { CoreError, isCoreError } from '../errors.js';
import type { FileIdentity } from '../fs/local-fs.js';
import { bodyFrom, bodyTimeoutMs, type TransferContext } from './context.js';
import { choosePartSize, partCount } from './part-size.js';

export interface TransferResult {
  etag: string;
  crc64: string;
  /** An upload: the identity of the local file whose bytes were sent (a pair's journal needs it). */
  source?: SourceIdentity;
}

/**
 * Uploads `job.localPath` to `job.key`, verified end to end: the CRC64 of the bytes read
 * (and sent) must equal the server's. Small files go in one PUT; large ones in parts
 * recorded as they land, so an interrupted upload resumes where it was.
 */
export async function runUpload(
  ctx: TransferContext,
  job: Job,
  signal: AbortSignal,
): Promise<TransferResult> {
  const path = job.localPath as string;
  const source = await ctx.fs.identity(path);
  if (job.size !== source.size) ctx.store.setSize(job.id, source.size);
  ctx.progress.start(job.id, 'up', source.size, 0);
  let result: TransferResult;
  if (source.size < ctx.settings.multipartThreshold) {
    if (job.uploadId) await abandonUpload(ctx, job);
    result = await putWhole(ctx, job, path, source, signal);
  } else {
    result = await putMultipart(ctx, job, path, source, signal);
  }
  // Both paths checked that the file still had this identity once its bytes were sent (a
  // resumed multipart upload, that its parts came from it), so this is what landed.
  return { ...result, source: toSourceIdentity(source) };
}

async function putWhole(
  ctx: TransferContext,
  job: Job,
  path: string,
  source: FileIdentity,
  signal: AbortSignal,
): Promise<TransferResult> {
  const data = await ctx.fs.readRange(path, 0, source.size);
  if (job.pair !== null)
    ctx.store.setPutIntent(
      job.id,
      createHash('md5').update(data).digest('hex').toUpperCase(),
      toSourceIdentity(source),
    );
  const crc = ctx.crc.hash(data);
  crc.catch(() => {}); // awaited below, unless the PUT fails first (then the pool may reject it)
  let sent = 0;
  try {
    const result = await ctx.remote.putObject(
      job.bucket,
      job.key,
      bodyFrom(data, ctx.upload, (bytes) => {
        sent += bytes;
        ctx.progress.add(job.id, bytes);
      }),
      { signal, timeoutMs: bodyTimeoutMs(ctx.upload, data.length, ctx.partSlots.size) },
    );
    const expected = await crc;
    checkCrc(result.crc64, expected, job, result.requestId);
    try {
      await checkUnchanged(ctx, path, source);
    } catch (error) {
      // Deleted after its bytes were read and landed: the object is that whole version, so the
      // upload is done (a pair then sees the file gone and applies its delete rules to it,
      // instead of leaving an object no journal row knows).
      if (!isCoreError(error) || error.code !== 'local-not-found') throw error;
    }
    return { etag: result.etag, crc64: expected };
  } catch (error) {
    ctx.progress.add(job.id, -sent);
    throw error;
  }
}

async function putMultipart(
  ctx: TransferContext,
  job: Job,
  path: string,
  source: FileIdentity,
  signal: AbortSignal,
): Promise<TransferResult> {
  const partSize = choosePartSize(source.size, ctx.settings.partSize);
  const total = partCount(source.size, partSize);
  const done = new Map<number, StoredPart>();
  let uploadId = job.uploadId;

  if (uploadId !== null && sameSource(job, source) && job.partSize === partSize) {
    const resumed = await reconcile(ctx, job, uploadId, path, partSize, source.size);
    if (resumed === 'completed') return completedEarlier(ctx, job);
    if (resumed === 'gone') uploadId = null;
    else for (const part of resumed) done.set(part.partNumber, part);
  } else if (uploadId !== null) {
    // The file changed (or the part size did) since this upload began: its parts are stale.
    await abandonUpload(ctx, job);
    uploadId = null;
  }
  if (uploadId === null) {
    // A retry (or a restart after a crash) may follow an Initiate whose answer was lost.
    if (job.attempts > 1 || job.error !== null) await abortUnrecordedUploads(ctx, job, signal);
    uploadId = await ctx.remote.initiateMultipartUpload(job.bucket, job.key, { signal });
    // Recorded before any part is sent: a crash from here on resumes this upload.
    ctx.store.setUpload(job.id, { uploadId, partSize, source: toSourceIdentity(source) });
  }

  let bytesDone = [...done.values()].reduce((n, part) => n + part.size, 0);
  ctx.progress.set(job.id, bytesDone);
  const fileAbort = new AbortController();
  const onAbort = (): void => fileAbort.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let failure: Error | undefined;
  const todo = Array.from({ length: total }, (_, i) => i + 1).filter((n) => !done.has(n));
  const sendPart = async (partNumber: number): Promise<void> => {
    const release = await ctx.partSlots.acquire(fileAbort.signal);
    let sent = 0;
    try {
      const start = (partNumber - 1) * partSize;
      const length = Math.min(partSize, source.size - start);
      const data = await ctx.fs.readRange(path, start, length);
      const crc = ctx.crc.hash(data);
      crc.catch(() => {}); // awaited below, unless the part fails first (then the pool may reject it)
      const result = await ctx.remote.uploadPart(
        job.bucket,
        job.key,
        uploadId,
        partNumber,
        bodyFrom(data, ctx.upload, (bytes) => {
          sent += bytes;
          ctx.progress.add(job.id, bytes);
        }),
        {
          signal: fileAbort.signal,
          timeoutMs: bodyTimeoutMs(ctx.upload, length, ctx.partSlots.size),
        },
      );
      const expected = await crc;
      checkCrc(result.crc64, expected, job, result.requestId, partNumber);
      const part = { partNumber, size: length, etag: result.etag, crc64: expected };
      done.set(partNumber, part);
      bytesDone += length;
      ctx.store.addPart(job.id, part, bytesDone);
    } catch (error) {
      ctx.progress.add(job.id, -sent);
      throw error;
    } finally {
      release();
    }
  };
  // Up to maxPartsPerFile parts of this file at once; the first failure stops the rest. The
  // limit is read again each time a part ends, so setLimits applies to a file under way.
  let next = 0;
  let active = 0;
  try {
    await new Promise<void>((resolve) => {
      const fill = (): void => {
        while (
          failure === undefined &&
          next < todo.length &&
          active < Math.max(1, ctx.settings.maxPartsPerFile)
        ) {
          const partNumber = todo[next++] as number;
          active++;
          void sendPart(partNumber)
            .catch((error: unknown) => {
              failure ??= error instanceof Error ? error : new Error(String(error));
              fileAbort.abort();
            })
            .finally(() => {
              active--;
              fill();
            });
        }
        if (active === 0) resolve();
      };
      fill();
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure;

  await checkUnchanged(ctx, path, source);
  const parts = [...done.values()].sort((a, b) => a.partNumber - b.partNumber);
  const crc64 = combinedCrc(parts);
  let result;
  try {
    result = await ctx.remote.completeMultipartUpload(job.bucket, job.key, uploadId, parts, {
      signal,
    });
  } catch (error) {
    // A previous Complete may have landed with its answer lost (a timeout, a dropped
    // response): then the upload is gone and the object is ours. Never complete twice.
    if (isCoreError(error) && error.code === 'no-such-upload') return completedEarlier(ctx, job);
    throw error;
  }
  checkCrc(result.crc64, crc64, job, result.requestId);
  return { etag: result.etag, crc64 };
}

/** OSS refuses requests from a clock more than 15 minutes off, so its clock is that close to ours. */
const CLOCK_SLACK_MS = 15 * 60_000;

/**
 * InitiateMultipartUpload is not idempotent: when its answer is lost (the connection dropped
 * after OSS committed it, or the process died before the id was recorded), OSS keeps an
 * upload whose id nobody knows, and stores (and bills) its parts until it is aborted. So a
 * job that is not on its first try aborts, before it starts an upload, the uploads of its key
 * that no job owns and that began since the job was created (give or take the clock skew
 * OSS allows).
 */
export async function abortUnrecordedUploads(
  ctx: TransferContext,
  job: Job,
  signal: AbortSignal,
): Promise<void> {
  const uploads = await ctx.remote.listMultipartUploads(job.bucket, job.key, { signal });
  const owned = new Set(ctx.store.ownedUploads().map((upload) => upload.uploadId));
  for (const upload of uploads) {
    if (upload.key !== job.key || owned.has(upload.uploadId)) continue;
    if (upload.initiated.getTime() < job.createdAt - CLOCK_SLACK_MS) continue;
    try {
      await ctx.remote.abortMultipartUpload(job.bucket, job.key, upload.uploadId, { signal });
    } catch (error) {
      if (!isCoreError(error) || error.code !== 'no-such-upload') throw error;
    }
  }
}

/**
 * Resuming: the stored parts that the server still has (same ETag, size and CRC64) are
 * kept. A part the server has but the database missed (the process died before recording
 * it) is kept if the local bytes hash to the server's CRC64, so nothing is sent twice.
 */
async function reconcile(
  ctx: TransferContext,
  job: Job,
  uploadId: string,
  path: string,
  partSize: number,
  size: number,
): Promise<StoredPart[] | 'completed' | 'gone'> {
  let remoteParts;
  try {
    remoteParts = await ctx.remote.listParts(job.bucket, job.key, uploadId);
  } catch (error) {
    if (!isCoreError(error) || error.code !== 'no-such-upload') throw error;
    const object = await ctx.remote.headObject(job.bucket, job.key);
    const stored = ctx.store.parts(job.id);
    if (
      object &&
      stored.length === partCount(size, partSize) &&
      object.etag === multipartEtag(stored)
    ) {
      return 'completed';
    }
    ctx.store.setUpload(job.id, null);
    return 'gone';
  }
  const stored = new Map(ctx.store.parts(job.id).map((part) => [part.partNumber, part]));
  const kept: StoredPart[] = [];
  for (const remote of remoteParts) {
    const start = (remote.partNumber - 1) * partSize;
    const expectedSize = Math.min(partSize, size - start);
    if (remote.size !== expectedSize || remote.crc64 === undefined) continue;
    const mine = stored.get(remote.partNumber);
    if (mine && mine.etag === remote.etag && mine.crc64 === remote.crc64) {
      kept.push(mine);
      continue;
    }
    const local = await ctx.crc.hashFile(path, start, start + expectedSize);
    if (local.crc64 === remote.crc64) {
      const part = {
        partNumber: remote.partNumber,
        size: expectedSize,
        etag: remote.etag,
        crc64: remote.crc64,
      };
      kept.push(part);
    }
  }
  ctx.store.replaceParts(job.id, kept);
  return kept;
}

/** The upload was completed by an earlier attempt whose answer never arrived. */
async function completedEarlier(ctx: TransferContext, job: Job): Promise<TransferResult> {
  const stored = ctx.store.parts(job.id);
  const object = await ctx.remote.headObject(job.bucket, job.key);
  const crc64 = combinedCrc(stored);
  if (
    !object ||
    object.etag !== multipartEtag(stored) ||
    (object.crc64 !== undefined && object.crc64 !== crc64)
  ) {
    ctx.store.setUpload(job.id, null);
    throw new CoreError(
      'no-such-upload',
      `The multipart upload of ${job.key} disappeared from bucket ${job.bucket} (aborted outside OSSync?); it will start over.`,
      { subject: job.key, ossCode: 'NoSuchUpload' },
    );
  }
  return { etag: object.etag, crc64 };
}

/**
 * What a folder pair's upload sent before its file went away, if it landed: a crash after OSS
 * committed the object and before the job was marked done, or a file deleted just after its
 * last byte was read. Known by the PUT's ETag recorded before sending (setPutIntent), or by
 * the recorded parts of a multipart upload that was completed. Undefined when it did not land.
 */
export async function landedEarlier(
  ctx: TransferContext,
  job: Job,
): Promise<TransferResult | undefined> {
  const source = job.source;
  if (source === null) return undefined;
  let expected: { etag: string; crc64: string | undefined };
  if (job.uploadId !== null && job.partSize !== null) {
    const stored = ctx.store.parts(job.id);
    if (stored.length !== partCount(source.size, job.partSize)) return undefined;
    expected = { etag: multipartEtag(stored), crc64: combinedCrc(stored) };
  } else if (job.resultEtag !== null) {
    expected = { etag: job.resultEtag, crc64: undefined };
  } else return undefined;
  const object = await ctx.remote.headObject(job.bucket, job.key);
  if (
    object === undefined ||
    object.size !== source.size ||
    object.etag.toUpperCase() !== expected.etag.toUpperCase() ||
    object.crc64 === undefined ||
    (expected.crc64 !== undefined && object.crc64 !== expected.crc64)
  )
    return undefined;
  return { etag: object.etag, crc64: object.crc64, source };
}

/** Aborts the job's multipart upload on the server (a missing one is fine) and forgets it. */
export async function abandonUpload(
  ctx: TransferContext,
  job: Pick<Job, 'id' | 'bucket' | 'key' | 'uploadId'>,
): Promise<void> {
  if (job.uploadId) {
    try {
      await ctx.remote.abortMultipartUpload(job.bucket, job.key, job.uploadId);
    } catch (error) {
      if (!isCoreError(error) || error.code !== 'no-such-upload') throw error;
    }
  }
  ctx.store.setUpload(job.id, null);
}

function checkCrc(
  server: string | undefined,
  expected: string,
  job: Job,
  requestId: string | undefined,
  partNumber?: number,
): void {
  if (server === undefined || server === expected) return;
  const what = partNumber === undefined ? job.key : `part ${partNumber} of ${job.key}`;
  throw new CoreError(
    'checksum-mismatch',
    `The server's CRC64 of ${what} (${server}) differs from the CRC64 of the bytes sent (${expected}); it will be sent again.`,
    { subject: job.key, ...(requestId === undefined ? {} : { requestId }) },
  );
}

async function checkUnchanged(
  ctx: TransferContext,
  path: string,
  before: FileIdentity,
): Promise<void> {
  const after = await ctx.fs.identity(path);
  if (after.size !== before.size || after.mtimeNs !== before.mtimeNs || after.ino !== before.ino) {
    throw new CoreError(
      'file-changed',
      `${path} changed while it was uploaded; it will be uploaded again once it is stable.`,
      {
        subject: path,
      },
    );
  }
}

function sameSource(job: Job, source: FileIdentity): boolean {
  return (
    job.source !== null &&
    job.source.size === source.size &&
    job.source.mtimeNs === source.mtimeNs &&
    job.source.ino === source.ino
  );
}

function toSourceIdentity(source: FileIdentity): SourceIdentity {
  return { size: source.size, mtimeNs: source.mtimeNs, ino: source.ino };
}

export function combinedCrc(parts: readonly StoredPart[]): string {
  let crc = 0n;
  for (const part of parts) crc = crc64Combine(crc, parseCrc64(part.crc64), part.size);
  return crc64ToString(crc);
}

/** The ETag OSS gives a completed multipart upload: MD5 of the parts' binary MD5s, then -N. */
export function multipartEtag(parts: readonly StoredPart[]): string {
  const md5 = createHash('md5');
  for (const part of parts) md5.update(Buffer.from(part.etag, 'hex'));
  return `${md5.digest('hex').toUpperCase()}-${parts.length}`;
}
