import { Readable } from 'node:stream';
import type { JobStore } from '../db/job-store.js';
import type { Crc64Pool } from '../hash/crc64-pool.js';
import type { LocalFs } from '../fs/local-fs.js';
import type { RemoteStore, UploadBody } from '../remote/remote-store.js';
import type { BandwidthLimiter } from './bandwidth.js';
import type { ProgressTracker } from './progress.js';
import type { Semaphore } from './semaphore.js';

/** What the upload and download procedures work with; the engine owns all of it. */
export interface TransferContext {
  store: JobStore;
  remote: RemoteStore;
  fs: LocalFs;
  crc: Crc64Pool;
  upload: BandwidthLimiter;
  download: BandwidthLimiter;
  progress: ProgressTracker;
  /** Parts in flight across all files. */
  partSlots: Semaphore;
  settings: TransferSettings;
}

export interface TransferSettings {
  /** Files at or above this size go multipart. */
  multipartThreshold: number;
  /** Preferred part size (raised for files that would need more than 10,000 parts). */
  partSize: number;
  /** Parts of one file in flight at once. */
  maxPartsPerFile: number;
  /**
   * Server-side copies of objects larger than this go in parts (UploadPartCopy); CopyObject
   * takes at most 1 GB. Lowered by tests to exercise the copy in parts on small objects.
   */
  maxCopyBytes: number;
  /** Preferred part size of a copy in parts (raised to stay within 10,000 parts). */
  copyPartSize: number;
}

const CHUNK = 64 * 1024;
/** The remote store's default deadline of a body: 60 s plus 64 KiB/s (oss-remote-store.ts). */
const DEADLINE_BASE_MS = 60_000;
const DEADLINE_RATE = 64 * 1024;

/**
 * The deadline of a call that moves `size` bytes through `limiter` while up to `sharers`
 * transfers share it: undefined (the store's default) without a limit. With one, a transfer
 * may get only its share, so the deadline allows for that: otherwise a low limit looks like
 * a dead connection, and the timeouts could even take the engine offline.
 */
export function bodyTimeoutMs(
  limiter: BandwidthLimiter,
  size: number,
  sharers: number,
): number | undefined {
  const rate = limiter.bytesPerSecond;
  if (rate === undefined || rate <= 0) return undefined;
  const share = Math.min(DEADLINE_RATE, rate / Math.max(1, sharers));
  return DEADLINE_BASE_MS + Math.ceil((size / share) * 1000);
}

/**
 * A fresh body stream over bytes already in memory (the bytes that were hashed), in 64 KiB
 * chunks through the upload limiter, counting progress as chunks are handed to the socket.
 * `onBytes` also lets a failed attempt take back what it counted.
 */
export function bodyFrom(
  data: Buffer,
  limiter: BandwidthLimiter,
  onBytes: (bytes: number) => void,
): UploadBody {
  let offset = 0;
  // A plain Readable: Readable.from over a generator costs a promise per chunk, which adds
  // up over thousands of small files.
  const source = new Readable({
    read() {
      if (offset >= data.length) {
        this.push(null);
        return;
      }
      const chunk = data.subarray(offset, offset + CHUNK);
      offset += chunk.length;
      this.push(chunk);
    },
  });
  return { stream: counted(source, limiter, onBytes), size: data.length };
}

/** `source` through the limiter, calling `onBytes` for every chunk that passes. */
export function counted(
  source: Readable,
  limiter: BandwidthLimiter,
  onBytes: (bytes: number) => void,
): Readable {
  const throttle = limiter.throttle(onBytes);
  // Errors travel downstream; destroying the end (an abort) tears down the source too.
  source.on('error', (error) => throttle.destroy(error));
  throttle.on('close', () => source.destroy());
  return source.pipe(throttle);
}
