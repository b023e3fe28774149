/**
 * objects.preview: the first bytes of an object (at most MAX_PREVIEW_BYTES) for the Browser's
 * image and text previews. A HEAD gives the size and type (and `no-such-key`); a ranged GET
 * through the account's RemoteStore then reads only the bytes shown, so previewing a
 * 50 GB object costs 256 KiB. An empty object needs no GET (a range on it is invalid).
 */
import type { Readable } from 'node:stream';
import { ContractError, MAX_PREVIEW_BYTES } from '../../../shared/contract/index.js';
import type { Handler, ServiceContext } from './context.js';

/** The whole preview read has this long (HEAD and ranged GET each). */
export const PREVIEW_TIMEOUT_MS = 30_000;

const shown = (value: string) =>
  JSON.stringify(value.length > 300 ? `${value.slice(0, 300)}...` : value);

/** Reads at most `limit` bytes of `stream`, then stops it. */
async function readUpTo(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      const room = limit - length;
      chunks.push(buffer.length > room ? buffer.subarray(0, room) : buffer);
      length += Math.min(buffer.length, room);
      if (length >= limit) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks, length);
}

export function createPreview(ctx: ServiceContext): Handler<'objects.preview'> {
  return async ({ accountId, bucket, key }) => {
    if (key.endsWith('/'))
      throw new ContractError(
        'invalid-argument',
        `${shown(key)} is a folder: only files have a preview.`,
        { subject: key },
      );
    const runtime = await ctx.runtimeFor(accountId, 'params.accountId');
    const info = await runtime.remote.headObject(bucket, key, { timeoutMs: PREVIEW_TIMEOUT_MS });
    if (info === undefined)
      throw new ContractError(
        'no-such-key',
        `${shown(key)} does not exist in bucket ${bucket} (deleted or renamed?): refresh the list.`,
        { subject: key, ossCode: 'NoSuchKey' },
      );
    const contentType = info.contentType ? info.contentType.slice(0, 255) : null;
    const wanted = Math.min(info.size, MAX_PREVIEW_BYTES);
    if (wanted === 0) return { contentType, size: info.size, truncated: false, data: '' };
    const got = await runtime.remote.getObject(bucket, key, {
      range: { start: 0, end: wanted - 1 },
      // The object it read: a GET between a change and our HEAD would mix two versions.
      ...(info.etag !== '' ? { ifMatch: info.etag } : {}),
      timeoutMs: PREVIEW_TIMEOUT_MS,
    });
    const bytes = await readUpTo(got.stream, wanted);
    return {
      contentType,
      size: info.size,
      truncated: bytes.length < info.size,
      data: bytes.toString('base64'),
    };
  };
}
