import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64Offload } from './crc64-offload.js';
import type { Segment } from './metadata-store.js';

/** While a blob is written, flush it every this many bytes so the final fsync is short. */
const SYNC_EVERY = 32 * 1024 * 1024;

export interface WrittenBlob {
  blobId: string;
  size: number;
  /** Lower-case hex. */
  md5: string;
  /** Decimal uint64. */
  crc64: string;
}

/** Thrown when a body is longer than the caller allowed; nothing is kept. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`body exceeds ${limit} bytes`);
  }
}

/**
 * Object data as immutable files named by random ids, never by object key, so no key can
 * reach outside the root. A blob is written under tmp/, fsynced, then renamed into
 * blobs/xx/; only after that does the metadata commit make it visible.
 */
export class BlobStore {
  private readonly blobDir: string;
  private readonly tmpDir: string;
  private readonly crc = new Crc64Offload();

  constructor(readonly root: string) {
    this.blobDir = path.join(root, 'blobs');
    this.tmpDir = path.join(root, 'tmp');
    mkdirSync(this.blobDir, { recursive: true });
    // Whatever is in tmp/ was being written when the server last stopped: never visible.
    rmSync(this.tmpDir, { recursive: true, force: true });
    mkdirSync(this.tmpDir, { recursive: true });
    for (let i = 0; i < 256; i++) mkdirSync(path.join(this.blobDir, hex2(i)), { recursive: true });
  }

  pathOf(blobId: string): string {
    return path.join(this.blobDir, blobId.slice(0, 2), blobId);
  }

  /**
   * Streams `body` into a new blob, hashing on the way: MD5 here, CRC64 on a worker thread
   * for large bodies, so the two use both cores. Rejects (and keeps nothing) on error.
   */
  async write(body: Readable, limit = Number.POSITIVE_INFINITY): Promise<WrittenBlob> {
    const blobId = randomBytes(16).toString('hex');
    const tmpPath = path.join(this.tmpDir, blobId);
    const md5 = createHash('md5');
    const crc = this.crc.stream();
    let size = 0;
    const hasher = new Transform({
      // Room to keep hashing while the disk write of earlier chunks is pending.
      highWaterMark: 8 << 20,
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > limit) {
          callback(new BodyTooLargeError(limit));
          return;
        }
        md5.update(chunk);
        crc.update(chunk);
        callback(null, chunk);
      },
    });
    const file = await open(tmpPath, 'w');
    try {
      // The sink fsyncs before it finishes, so a rename never publishes unwritten bytes.
      await pipeline(body, hasher, new FileSink(file));
      await file.close();
      // Every hash is known before the blob leaves tmp/: nothing half-done reaches blobs/.
      const crc64 = await crc.digest();
      await rename(tmpPath, this.pathOf(blobId));
      return { blobId, size, md5: md5.digest('hex'), crc64 };
    } catch (error) {
      crc.abandon();
      await file.close().catch(() => {});
      await rm(tmpPath, { force: true });
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.crc.close();
  }

  /** Reads bytes [start, end] (inclusive) of an object made of `segments`. */
  read(segments: readonly Segment[], start: number, end: number): Readable {
    if (end < start) return Readable.from([]);
    const pieces: { file: string; start: number; end: number }[] = [];
    let offset = 0;
    for (const [blobId, size] of segments) {
      const segStart = offset;
      const segEnd = offset + size - 1;
      offset += size;
      if (size === 0 || segEnd < start || segStart > end) continue;
      pieces.push({
        file: this.pathOf(blobId),
        start: Math.max(start, segStart) - segStart,
        end: Math.min(end, segEnd) - segStart,
      });
    }
    if (pieces.length === 1) {
      const only = pieces[0] as (typeof pieces)[number];
      return createReadStream(only.file, {
        start: only.start,
        end: only.end,
        highWaterMark: 1 << 20,
      });
    }
    // A generator keeps backpressure and stops reading when the consumer goes away.
    async function* concat(): AsyncGenerator<Buffer> {
      for (const piece of pieces) {
        yield* createReadStream(piece.file, {
          start: piece.start,
          end: piece.end,
          highWaterMark: 1 << 20,
        });
      }
    }
    return Readable.from(concat(), { objectMode: false });
  }

  async remove(blobIds: readonly string[]): Promise<void> {
    await Promise.all(blobIds.map((id) => unlink(this.pathOf(id)).catch(ignoreMissing)));
  }

  /**
   * After an unclean stop: blob files that no metadata refers to (renamed into place, then
   * the process died before the commit). Costs one directory walk, so it only runs then.
   */
  sweepUnreferenced(isReferenced: (blobId: string) => boolean): number {
    let removed = 0;
    for (let i = 0; i < 256; i++) {
      const dir = path.join(this.blobDir, hex2(i));
      for (const name of readdirSync(dir)) {
        if (!isReferenced(name)) {
          rmSync(path.join(dir, name), { force: true });
          removed++;
        }
      }
    }
    return removed;
  }
}

function hex2(i: number): string {
  return i.toString(16).padStart(2, '0');
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}

/**
 * Writes to an open file and fsyncs it before finishing. Every SYNC_EVERY bytes it starts
 * an fdatasync in the background, so the disk works while the body is still arriving.
 */
class FileSink extends Writable {
  private written = 0;
  private syncedAt = 0;
  private background: Promise<void> = Promise.resolve();

  constructor(private readonly file: FileHandle) {
    super({ highWaterMark: 8 << 20 });
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    this._writev([{ chunk }], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    writeAll(
      this.file,
      chunks.map((c) => c.chunk),
    ).then((bytes) => {
      this.written += bytes;
      if (this.written - this.syncedAt >= SYNC_EVERY) {
        this.syncedAt = this.written;
        this.background = this.background.then(() => this.file.datasync());
        this.background.catch(() => {}); // surfaced by _final
      }
      callback();
    }, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.background.then(() => this.file.sync()).then(() => callback(), callback);
  }
}

async function writeAll(file: FileHandle, buffers: Buffer[]): Promise<number> {
  const total = buffers.reduce((n, b) => n + b.length, 0);
  const { bytesWritten } = await file.writev(buffers);
  // Regular files take whole writes in practice; finish a short one anyway.
  if (bytesWritten < total) {
    const rest = Buffer.concat(buffers).subarray(bytesWritten);
    for (let offset = 0; offset < rest.length;) {
      offset += (await file.write(rest, offset)).bytesWritten;
    }
  }
  return total;
}
