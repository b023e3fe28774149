import type { Job } from '../db/job-types.js';
import { CoreError, isCoreError } from '../errors.js';
import type { PutResult } from '../remote/remote-store.js';
import type { TransferContext } from './context.js';
import type { TransferResult } from './upload.js';

/**
 * Jobs OSS carries out by itself, with no bytes through this computer: copies (and moves,
 * a copy then a delete of the source) and deletes, each optionally conditional on the
 * ETag the planner saw, so an object someone changed since is never moved or deleted.
 */

/** CopyObject's limit (OSS documents 1 GB; the local server enforces 1 GiB). */
export const MAX_COPY_BYTES = 1024 ** 3;

const NOTHING: TransferResult = { etag: '', crc64: '' };

export async function runCopy(
  ctx: TransferContext,
  job: Job,
  signal: AbortSignal,
): Promise<TransferResult> {
  const sourceKey = job.sourceKey as string;
  let size = job.size;
  // A missing source is left to the copy, which says so (or finds the move done earlier).
  size ??= (await ctx.remote.headObject(job.bucket, sourceKey, { signal }))?.size ?? null;
  if (size !== null && size > MAX_COPY_BYTES) {
    throw new CoreError(
      'invalid-request',
      `oss://${job.bucket}/${sourceKey} is ${size} bytes: a server-side copy (CopyObject) takes at most 1 GB, and copying bigger objects in parts (UploadPartCopy) is not supported yet, so it was not ${job.deleteSource ? 'moved' : 'copied'} to ${job.key}.`,
      { subject: sourceKey },
    );
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
  if (job.deleteSource) {
    // Recorded before the delete: if its answer is lost, the retry recognises its own copy.
    ctx.store.setCopied(job.id, { etag: copied.etag, crc64 });
    await ctx.remote.deleteObject(job.bucket, sourceKey, { signal });
  }
  return { etag: copied.etag, crc64: crc64 ?? '' };
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
