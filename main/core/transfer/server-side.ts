import type { Job } from '../db/job-types.js';
import { CoreError, isCoreError } from '../errors.js';
import type { ObjectInfo, PutResult } from '../remote/remote-store.js';
import type { TransferContext } from './context.js';
import { choosePartSize, partCount } from './part-size.js';
import { abortUnrecordedUploads, type TransferResult } from './upload.js';

/**
 * Jobs OSS carries out by itself, with no bytes through this computer: copies (and moves,
 * a copy then a delete of the source) and deletes, each optionally conditional on the
 * ETag the planner saw, so an object someone changed since is never moved or deleted.
 */

/** CopyObject's limit (OSS documents 1 GB; the local server enforces 1 GiB). */
export const MAX_COPY_BYTES = 1024 ** 3;
/** Default part of a copy in parts: OSS copies it server-side, so large parts cost little. */
export const DEFAULT_COPY_PART_SIZE = 64 * 1024 ** 2;

const NOTHING: TransferResult = { etag: '', crc64: '' };

export async function runCopy(
  ctx: TransferContext,
  job: Job,
  signal: AbortSignal,
): Promise<TransferResult> {
  const sourceKey = job.sourceKey as string;
  // An upload left by an earlier attempt of a copy in parts (stopped, or the process died):
  // its parts may be of another version of the source, so it is aborted, never resumed.
  if (job.uploadId !== null) await abandonCopyUpload(ctx, job, signal);
  let size = job.size;
  let source: ObjectInfo | undefined;
  if (size === null) {
    // A missing source is left to the copy, which says so (or finds the move done earlier).
    source = await ctx.remote.headObject(job.bucket, sourceKey, { signal });
    size = source?.size ?? null;
  }
  if (size !== null && size > ctx.settings.maxCopyBytes) {
    return copyInParts(ctx, job, sourceKey, source, signal);
  }
  let copied: PutResult;
  try {
    copied = await ctx.remote.copyObject(job.bucket, sourceKey, job.key, {
      signal,
      ...(job.remoteEtag === null ? {} : { sourceEtag: job.remoteEtag }),
    });
  } catch (error) {
    if (job.deleteSource && isCoreError(error) && error.code === 'no-such-key') {
      const done = await movedEarlier(ctx, job, signal);
      if (done) return done;
    }
    throw error;
  }
  const crc64 =
    copied.crc64 ?? (await ctx.remote.headObject(job.bucket, job.key, { signal }))?.crc64;
  return finishCopy(ctx, job, sourceKey, { etag: copied.etag, crc64 }, signal);
}

/** A move deletes its source once the copy is recorded; a copy is done as it is. */
async function finishCopy(
  ctx: TransferContext,
  job: Job,
  sourceKey: string,
  copied: { etag: string; crc64: string | undefined },
  signal: AbortSignal,
): Promise<TransferResult> {
  if (job.deleteSource) {
    // Recorded before the delete: if its answer is lost, the retry recognises its own copy.
    ctx.store.setCopied(job.id, copied);
    await ctx.remote.deleteObject(job.bucket, sourceKey, { signal });
  }
  return { etag: copied.etag, crc64: copied.crc64 ?? '' };
}

/**
 * A copy of an object over CopyObject's limit: InitiateMultipartUpload on the target,
 * UploadPartCopy of each range of the source (a few at once, within the engine's part
 * limits), CompleteMultipartUpload. Every part is conditional on the same source ETag (the
 * planned one, else the one a HEAD just saw), so the parts are all of one version: a source
 * changed meanwhile fails the copy with precondition-failed and the upload is aborted. The
 * upload id is recorded before the first part, so an attempt cut short (a stop, a crash)
 * leaves an upload the next attempt aborts. The completed object's CRC64 must equal the
 * source's when both are known.
 */
async function copyInParts(
  ctx: TransferContext,
  job: Job,
  sourceKey: string,
  headed: ObjectInfo | undefined,
  signal: AbortSignal,
): Promise<TransferResult> {
  // A retry may follow an Initiate whose answer (or whose recording) was lost.
  if (job.attempts > 1 || job.error !== null) await abortUnrecordedUploads(ctx, job, signal);
  // The source's ETag and CRC64 now (the HEAD that found its size, if there was one).
  const source = headed ?? (await ctx.remote.headObject(job.bucket, sourceKey, { signal }));
  if (source === undefined) {
    if (job.deleteSource) {
      const done = await movedEarlier(ctx, job, signal);
      if (done) return done;
    }
    throw new CoreError(
      'no-such-key',
      `oss://${job.bucket}/${sourceKey} does not exist (NoSuchKey), so it cannot be copied to ${job.key}: it was deleted or renamed.`,
      { subject: sourceKey, ossCode: 'NoSuchKey' },
    );
  }
  if (job.remoteEtag !== null && !sameEtag(source.etag, job.remoteEtag)) {
    throw new CoreError(
      'precondition-failed',
      `oss://${job.bucket}/${sourceKey} no longer has ETag ${job.remoteEtag}: it was changed or replaced since its copy to ${job.key} was planned, so nothing was copied.`,
      { subject: sourceKey, ossCode: 'PreconditionFailed' },
    );
  }
  const sourceEtag = job.remoteEtag ?? source.etag;
  const partSize = choosePartSize(source.size, ctx.settings.copyPartSize);
  const total = partCount(source.size, partSize);
  const uploadId = await ctx.remote.initiateMultipartUpload(job.bucket, job.key, { signal });
  // Recorded before any part: from here on an interrupted attempt leaves an upload we own.
  ctx.store.setCopyUpload(job.id, { uploadId, partSize });

  const parts: { partNumber: number; etag: string }[] = [];
  const copyPart = async (partNumber: number, partSignal: AbortSignal): Promise<void> => {
    const start = (partNumber - 1) * partSize;
    const end = Math.min(start + partSize, source.size) - 1;
    const result = await ctx.remote.uploadPartCopy(
      job.bucket,
      sourceKey,
      job.key,
      uploadId,
      partNumber,
      { start, end },
      { signal: partSignal, sourceEtag },
    );
    parts.push({ partNumber, etag: result.etag });
  };
  let completed: PutResult;
  try {
    // An empty source still needs one part: a multipart upload cannot complete without one.
    await inParallel(ctx, total, copyPart, signal);
    parts.sort((a, b) => a.partNumber - b.partNumber);
    completed = await ctx.remote.completeMultipartUpload(job.bucket, job.key, uploadId, parts, {
      signal,
    });
  } catch (error) {
    // A stop (pause, shutdown, cancel) leaves the recorded upload to the next attempt or to
    // the cancel; any other failure aborts it now, so a job that fails for good leaks none.
    if (!signal.aborted) await abandonCopyUpload(ctx, { ...job, uploadId }).catch(() => {});
    throw error;
  }
  ctx.store.setCopyUpload(job.id, null);
  const crc64 =
    completed.crc64 ?? (await ctx.remote.headObject(job.bucket, job.key, { signal }))?.crc64;
  if (crc64 !== undefined && source.crc64 !== undefined && crc64 !== source.crc64) {
    throw new CoreError(
      'checksum-mismatch',
      `The copy of oss://${job.bucket}/${sourceKey} to ${job.key} in ${total} parts has CRC64 ${crc64}, not the source's ${source.crc64}: the copy is wrong${job.deleteSource ? ' and the source was kept' : ''}; it will be copied again.`,
      {
        subject: job.key,
        ...(completed.requestId === undefined ? {} : { requestId: completed.requestId }),
      },
    );
  }
  return finishCopy(ctx, job, sourceKey, { etag: completed.etag, crc64 }, signal);
}

/**
 * Runs `work` for parts 1..total, at most maxPartsPerFile at once (read again as parts end)
 * and each holding one of the engine's part slots; the first failure stops the others and
 * is thrown once none runs any more.
 */
async function inParallel(
  ctx: TransferContext,
  total: number,
  work: (partNumber: number, signal: AbortSignal) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const fileAbort = new AbortController();
  const onAbort = (): void => fileAbort.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) fileAbort.abort();
  let failure: Error | undefined;
  let next = 1;
  let active = 0;
  const run = async (partNumber: number): Promise<void> => {
    const release = await ctx.partSlots.acquire(fileAbort.signal);
    try {
      await work(partNumber, fileAbort.signal);
    } finally {
      release();
    }
  };
  try {
    await new Promise<void>((resolve) => {
      const fill = (): void => {
        while (
          failure === undefined &&
          next <= total &&
          active < Math.max(1, ctx.settings.maxPartsPerFile)
        ) {
          active++;
          void run(next++)
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
}

/** Aborts the multipart upload of a copy in parts (a missing one is fine) and forgets it. */
export async function abandonCopyUpload(
  ctx: TransferContext,
  job: Pick<Job, 'id' | 'bucket' | 'key' | 'uploadId'>,
  signal?: AbortSignal,
): Promise<void> {
  if (job.uploadId) {
    try {
      await ctx.remote.abortMultipartUpload(
        job.bucket,
        job.key,
        job.uploadId,
        signal === undefined ? {} : { signal },
      );
    } catch (error) {
      if (!isCoreError(error) || error.code !== 'no-such-upload') throw error;
    }
  }
  ctx.store.setCopyUpload(job.id, null);
}

/**
 * A retried move whose source is gone: done if the target is still the copy an earlier
 * attempt made (the ETag it recorded before its delete), so only the delete's answer was
 * lost. Any other target (someone else's object, or no record because the earlier attempt
 * never got to its delete) is not ours to claim: the move fails and the next pass decides.
 */
async function movedEarlier(
  ctx: TransferContext,
  job: Job,
  signal: AbortSignal,
): Promise<TransferResult | undefined> {
  if (job.resultEtag === null) return undefined;
  const target = await ctx.remote.headObject(job.bucket, job.key, { signal });
  if (target === undefined || !sameEtag(target.etag, job.resultEtag)) return undefined;
  return { etag: target.etag, crc64: target.crc64 ?? job.resultCrc64 ?? '' };
}

export async function runDelete(
  ctx: TransferContext,
  job: Job,
  signal: AbortSignal,
): Promise<TransferResult> {
  if (job.remoteEtag !== null) {
    // OSS has no conditional DeleteObject: a HEAD just before narrows the window to one
    // round trip, instead of the time since the listing the deletion was planned from.
    const object = await ctx.remote.headObject(job.bucket, job.key, { signal });
    if (object === undefined) return NOTHING;
    if (!sameEtag(object.etag, job.remoteEtag)) {
      throw new CoreError(
        'precondition-failed',
        `oss://${job.bucket}/${job.key} changed since its deletion was planned (ETag ${object.etag}, not ${job.remoteEtag}), so it was not deleted.`,
        { subject: job.key },
      );
    }
  }
  await ctx.remote.deleteObject(job.bucket, job.key, { signal });
  return NOTHING;
}

function sameEtag(a: string, b: string): boolean {
  return a.toUpperCase() === b.toUpperCase();
}
