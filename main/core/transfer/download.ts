import { crc64Combine, crc64ToString, parseCrc64 } from '../../../shared/crc64.js';
import type { Job } from '../db/job-types.js';
import { CoreError, isCoreError } from '../errors.js';
import type { TempFile } from '../fs/local-fs.js';
import { bodyTimeoutMs, counted, type TransferContext } from './context.js';
import type { TransferResult } from './upload.js';

/** Received bytes are written and hashed in batches of this size. */
const BATCH = 4 * 1024 * 1024;
/**
 * Batches whose hash may still be pending. When the CRC64 workers fall behind the network
 * (a busy machine), the download waits for them instead of holding every batch in memory:
 * unbounded, a 1 GiB download reached 580 MiB of RSS on the 2-core bench machine.
 */
const MAX_PENDING_HASHES = 4;

/**
 * Downloads `job.key` to `job.localPath` through a temp file beside it: resumed with a
 * Range request while the object's ETag is unchanged, verified against the object's CRC64,
 * fsynced, then renamed over the target. A partial file never has the final name.
 */
export async function runDownload(
  ctx: TransferContext,
  job: Job,
  signal: AbortSignal,
): Promise<TransferResult> {
  const target = job.localPath as string;
  const info = await ctx.remote.headObject(job.bucket, job.key, { signal });
  if (!info) {
    throw new CoreError(
      'no-such-key',
      `${job.key} does not exist in bucket ${job.bucket} (deleted after it was queued?).`,
      {
        subject: job.key,
        ossCode: 'NoSuchKey',
      },
    );
  }
  if (job.size !== info.size) ctx.store.setSize(job.id, info.size);

  let temp: TempFile | undefined;
  let offset = 0;
  let crc = 0n;
  if (job.tempPath !== null && job.remoteEtag === info.etag) {
    try {
      temp = await ctx.fs.openTempForResume(job.tempPath);
      offset = await temp.size();
      if (offset > info.size) {
        await temp.truncate(0);
        offset = 0;
      } else if (offset > 0) {
        crc = parseCrc64((await ctx.crc.hashFile(job.tempPath, 0, offset)).crc64);
      }
    } catch (error) {
      if (!isCoreError(error) || error.code !== 'local-not-found') throw error;
      temp = undefined;
      offset = 0;
    }
  } else if (job.tempPath !== null) {
    // The object changed since the partial download began: its bytes are of no use.
    await ctx.fs.remove(job.tempPath);
  }
  if (!temp) {
    // A temp file of this target that no job recorded (the process died between creating it
    // and recording it) would otherwise stay forever.
    await ctx.fs.removeStaleTemps(target, job.tempPath ?? undefined);
    temp = await ctx.fs.openTemp(target).catch((error: unknown) => {
      throw namingTarget(error, job, target, undefined);
    });
    try {
      ctx.store.setDownload(job.id, {
        tempPath: temp.path,
        remoteEtag: info.etag,
        size: info.size,
      });
    } catch (error) {
      // Not recorded, so no retry would find it: it goes now.
      await temp.close().catch(() => {});
      await ctx.fs.remove(temp.path).catch(() => {});
      throw error;
    }
  }

  ctx.progress.start(job.id, 'down', info.size, offset);
  try {
    if (offset < info.size) {
      let response;
      try {
        response = await ctx.remote.getObject(job.bucket, job.key, {
          signal,
          // Downloads share the limit too (at most as many as there are part slots).
          timeoutMs: bodyTimeoutMs(ctx.download, info.size - offset, ctx.partSlots.size),
          ifMatch: info.etag,
          ...(offset > 0 ? { range: { start: offset } } : {}),
        });
      } catch (error) {
        if (isCoreError(error) && error.code === 'precondition-failed') {
          ctx.store.setDownload(job.id, null);
          await temp.close();
          await ctx.fs.remove(temp.path);
          throw new CoreError(
            'incomplete-body',
            `${job.key} changed while it was downloaded; it will start over.`,
            {
              subject: job.key,
            },
          );
        }
        throw error;
      }
      const body = counted(response.stream, ctx.download, (bytes) =>
        ctx.progress.add(job.id, bytes),
      );
      // Hashes run on the pool while the next batch arrives; they are combined in order.
      let chain = Promise.resolve(crc);
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const hashing: Promise<unknown>[] = [];
      const flush = async (): Promise<void> => {
        if (pendingBytes === 0) return;
        const batch =
          pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        const hash = ctx.crc.hash(batch);
        hash.catch(() => {}); // awaited in the chain, unless an earlier link failed first
        chain = chain.then(async (previous) =>
          crc64Combine(previous, parseCrc64(await hash), batch.length),
        );
        chain.catch(() => {}); // awaited below
        hashing.push(hash);
        await temp.write(batch);
        offset += batch.length;
        while (hashing.length >= MAX_PENDING_HASHES) await hashing.shift();
      };
      for await (const chunk of body as AsyncIterable<Buffer>) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= BATCH) await flush();
      }
      await flush();
      crc = await chain;
    }
    if (offset !== info.size) {
      throw new CoreError(
        'incomplete-body',
        `${job.key} arrived short (${offset} of ${info.size} bytes); it will resume.`,
        {
          subject: job.key,
        },
      );
    }
    const crc64 = crc64ToString(crc);
    if (info.crc64 !== undefined && info.crc64 !== crc64) {
      ctx.store.setDownload(job.id, null);
      await temp.close();
      await ctx.fs.remove(temp.path);
      throw new CoreError(
        'checksum-mismatch',
        `The CRC64 of the bytes received for ${job.key} (${crc64}) differs from the object's (${info.crc64}); it will be downloaded again.`,
        { subject: job.key },
      );
    }
    await temp.commit(target);
    return { etag: info.etag, crc64 };
  } catch (error) {
    await temp.close().catch(() => {});
    throw namingTarget(error, job, target, temp.path);
  }
}

/**
 * A full disk names the temp file; the user knows the file they download. The bytes received
 * stay in the temp file for the retry (unless there is none yet).
 */
function namingTarget(
  error: unknown,
  job: Job,
  target: string,
  tempPath: string | undefined,
): unknown {
  if (!isCoreError(error) || error.code !== 'disk-full') return error;
  const kept =
    tempPath === undefined
      ? ''
      : ` What arrived so far is kept in ${JSON.stringify(tempPath)}, and the download goes on from there.`;
  return new CoreError(
    'disk-full',
    `Could not download ${job.key} to ${JSON.stringify(target)}: the disk is full. Free some space, then retry the transfer.${kept}`,
    { subject: target, cause: error },
  );
}
