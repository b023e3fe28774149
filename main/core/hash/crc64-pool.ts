/**
 * CRC64-ECMA off the main thread: a few worker threads hash the parts the transfer engine has
 * in memory (and file ranges, read in the worker), so the event loop keeps serving sockets,
 * IPC and timers while hundreds of MiB are checked.
 *
 * How bytes reach a worker, measured here (Node 20, 2 cores, 8 MiB parts, 4 in flight; main
 * thread time per part): copy into a reused SharedArrayBuffer 0.7-1.3 ms; copy into a fresh
 * buffer and transfer it 1.2-3.6 ms (page faults of a new allocation every time); structured
 * clone 3-3.8 ms; a fresh SharedArrayBuffer per part 5-15 ms. So parts are copied into a small
 * set of reused shared buffers. That also never detaches an ArrayBuffer in this isolate,
 * which would make V8's typed-array reads slower for good (see test/bench/crc64.ts). A caller
 * whose data already lives in a SharedArrayBuffer skips the copy.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { crc64, crc64Combine } from '../../../shared/crc64.js';
import { CoreError } from '../errors.js';
import { localError } from '../fs/local-fs.js';
import type { PoolReply, PoolRequest } from './crc64-pool-worker.js';

export interface Crc64PoolOptions {
  /** Worker threads; default min(2, os.availableParallelism()). */
  workers?: number;
  /** Buffers shorter than this are hashed inline: a worker round trip costs more. Default 256 KiB. */
  inlineBelow?: number;
}

export interface Crc64PoolStats {
  /** Worker threads currently running (they start on first use and after a crash). */
  liveWorkers: number;
  /** Jobs posted to a worker and not answered yet. */
  inFlight: number;
  /** Jobs waiting for a worker. */
  queued: number;
  /** Shared buffers kept for reuse. */
  retainedBytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const DEFAULT_INLINE_BELOW = 256 * KiB;
/**
 * Bigger buffers are cut into slices of this size, hashed in parallel and combined: a single
 * 64 MiB part then uses every worker, and no single copy blocks the loop for long.
 */
const SLICE = 8 * MiB;
/** Per worker: one being hashed plus one waiting in its message queue, so it never idles. */
const MAX_IN_FLIGHT = 2;
/** Shared buffers are dropped after this long without work, so an idle app gives memory back. */
const RELEASE_AFTER_MS = 10_000;
/** Cost estimate of a file job without an end: keeps other jobs away from that worker. */
const UNKNOWN_FILE_COST = 1024 * MiB;

interface Job {
  request:
    | { kind: 'bytes'; data: Uint8Array }
    | { kind: 'file'; path: string; start: number; end: number | undefined }
    | { kind: 'crash'; how: 'throw' | 'exit' };
  /** Bytes, for least-busy placement. */
  cost: number;
  /** For error messages. */
  what: string;
  resolve: (reply: { crc64: bigint; size: number }) => void;
  reject: (error: Error) => void;
  /** Set while posted: the shared buffer the job's bytes were copied into. */
  lease?: SharedArrayBuffer | undefined;
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  inFlight: Map<number, Job>;
  load: number;
}

/**
 * Starts the worker from the compiled `.js` beside this file when there is one (dist/), else
 * from the `.ts` source through tsx's loader: under tsx and vitest a worker thread does not
 * inherit the parent's TypeScript transform.
 */
function startWorker(): Worker {
  const js = new URL('./crc64-pool-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  const ts = new URL('./crc64-pool-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(bootstrap, { eval: true });
}

function cancelled(what: string): CoreError {
  return new CoreError('cancelled', `CRC64 of ${what} was not computed: the hashing pool closed.`);
}

function isShared(data: Uint8Array): boolean {
  return typeof SharedArrayBuffer === 'function' && data.buffer instanceof SharedArrayBuffer;
}

export class Crc64Pool {
  private readonly slots: Slot[];
  private readonly inlineBelow: number;
  private readonly queue: Job[] = [];
  /** Reused SLICE-sized shared buffers; at most workers * MAX_IN_FLIGHT are ever needed. */
  private readonly spare: SharedArrayBuffer[] = [];
  private releaseTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private nextSlot = 0;
  private closed = false;

  constructor(options: Crc64PoolOptions = {}) {
    const workers = options.workers ?? Math.min(2, availableParallelism());
    if (!Number.isInteger(workers) || workers < 1)
      throw new RangeError(`workers must be a positive integer, got ${workers}`);
    const inlineBelow = options.inlineBelow ?? DEFAULT_INLINE_BELOW;
    if (!Number.isSafeInteger(inlineBelow) || inlineBelow < 0)
      throw new RangeError(`inlineBelow must be a non-negative integer, got ${inlineBelow}`);
    this.inlineBelow = inlineBelow;
    this.slots = Array.from({ length: workers }, (_, index) => ({
      index,
      worker: undefined,
      inFlight: new Map(),
      load: 0,
    }));
  }

  /**
   * CRC64 of `data` as a decimal uint64. `data` is only read, never detached or changed, but it
   * is read until the promise settles (slices are copied as workers free up): do not modify it
   * meanwhile.
   */
  async hash(data: Uint8Array): Promise<string> {
    if (this.closed) throw cancelled(`${data.length} bytes`);
    if (data.length < this.inlineBelow) return crc64(data).toString();
    const slices: Promise<{ crc64: bigint; size: number }>[] = [];
    for (let at = 0; at < data.length; at += SLICE) {
      const slice = data.subarray(at, Math.min(data.length, at + SLICE));
      slices.push(
        this.submit({ kind: 'bytes', data: slice }, slice.length, `${data.length} bytes`),
      );
    }
    const parts = await Promise.all(slices);
    let crc = parts[0]!.crc64;
    for (let k = 1; k < parts.length; k++) crc = crc64Combine(crc, parts[k]!.crc64, parts[k]!.size);
    return crc.toString();
  }

  /**
   * CRC64 of the bytes from `start` to `end` (exclusive; default: the end of the file), read by
   * the worker. `size` is how many bytes there were: less than `end - start` if the file is
   * shorter. Errors are CoreErrors (local-not-found, local-permission, local-io).
   */
  async hashFile(path: string, start = 0, end?: number): Promise<{ crc64: string; size: number }> {
    if (!Number.isSafeInteger(start) || start < 0)
      throw new RangeError(`hashFile start must be a non-negative integer, got ${start}`);
    if (end !== undefined && (!Number.isSafeInteger(end) || end < start))
      throw new RangeError(`hashFile end must be an integer >= start (${start}), got ${end}`);
    if (this.closed) throw cancelled(JSON.stringify(path));
    const result = await this.submit(
      { kind: 'file', path, start, end },
      end === undefined ? UNKNOWN_FILE_COST : end - start,
      JSON.stringify(path),
    );
    return { crc64: result.crc64.toString(), size: result.size };
  }

  /** Terminates the workers; calls still pending reject with CoreError('cancelled'). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(cancelled(job.what));
    const exits: Promise<number>[] = [];
    for (const slot of this.slots) {
      for (const job of slot.inFlight.values()) job.reject(cancelled(job.what));
      slot.inFlight.clear();
      slot.load = 0;
      if (slot.worker) exits.push(slot.worker.terminate());
      slot.worker = undefined;
    }
    this.releaseSpares();
    await Promise.all(exits);
  }

  stats(): Crc64PoolStats {
    let inFlight = 0;
    for (const slot of this.slots) inFlight += slot.inFlight.size;
    return {
      liveWorkers: this.slots.filter((slot) => slot.worker !== undefined).length,
      inFlight,
      queued: this.queue.length,
      retainedBytes: this.spare.reduce((sum, buffer) => sum + buffer.byteLength, 0),
    };
  }

  /**
   * @internal Tests only: makes a worker die (an uncaught exception, or process.exit) while
   * handling this call, to check that a crash fails that worker's calls and nothing else.
   */
  crashWorkerForTest(how: 'throw' | 'exit'): Promise<never> {
    if (this.closed) return Promise.reject(cancelled('a crash test'));
    return this.submit({ kind: 'crash', how }, 0, 'a crash test') as Promise<never>;
  }

  private submit(
    request: Job['request'],
    cost: number,
    what: string,
  ): Promise<{ crc64: bigint; size: number }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, cost, what, resolve, reject });
      this.pump();
    });
  }

  /** Hands queued jobs to the least-loaded workers that have room. */
  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      const slot = this.pickSlot();
      if (!slot) return;
      this.post(slot, this.queue.shift()!);
    }
  }

  /** Least load in bytes; ties go round-robin so equal parts spread evenly. */
  private pickSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (let k = 0; k < this.slots.length; k++) {
      const slot = this.slots[(this.nextSlot + k) % this.slots.length]!;
      if (slot.inFlight.size >= MAX_IN_FLIGHT) continue;
      if (!best || slot.load < best.load) best = slot;
    }
    if (best) this.nextSlot = (best.index + 1) % this.slots.length;
    return best;
  }

  private post(slot: Slot, job: Job): void {
    let worker: Worker;
    try {
      worker = this.ensureWorker(slot);
    } catch (error) {
      // new Worker() itself failed (out of threads or memory): fail this call, not the loop.
      job.reject(
        new CoreError('unknown', `CRC64 of ${job.what} failed: no worker thread could start.`, {
          cause: error,
        }),
      );
      return;
    }
    const id = this.nextId++;
    let message: PoolRequest;
    if (job.request.kind === 'bytes' && !isShared(job.request.data)) {
      const lease = this.lease();
      const view = new Uint8Array(lease, 0, job.request.data.length);
      view.set(job.request.data);
      job.lease = lease;
      message = { id, kind: 'bytes', data: view };
    } else {
      message = { id, ...job.request };
    }
    if (slot.inFlight.size === 0) worker.ref(); // pending work keeps the process alive
    slot.inFlight.set(id, job);
    slot.load += job.cost;
    worker.postMessage(message);
  }

  private ensureWorker(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const worker = startWorker();
    worker.unref();
    worker.on('message', (reply: PoolReply) => this.onReply(slot, worker, reply));
    worker.on('error', (error) => this.onCrash(slot, worker, error.message));
    worker.on('exit', (code) => this.onCrash(slot, worker, `exit code ${code}`));
    slot.worker = worker;
    return worker;
  }

  private finish(slot: Slot, id: number): Job | undefined {
    const job = slot.inFlight.get(id);
    if (!job) return undefined;
    slot.inFlight.delete(id);
    slot.load -= job.cost;
    if (job.lease) {
      this.giveBack(job.lease);
      job.lease = undefined;
    }
    return job;
  }

  private onReply(slot: Slot, worker: Worker, reply: PoolReply): void {
    if (slot.worker !== worker) return;
    const job = this.finish(slot, reply.id);
    if (slot.inFlight.size === 0) worker.unref();
    if (job) {
      if (reply.ok) {
        job.resolve({ crc64: reply.crc64, size: reply.size });
      } else if (job.request.kind === 'file') {
        const cause = Object.assign(new Error(reply.error.message), reply.error);
        job.reject(
          localError(cause, reply.error.syscall === 'open' ? 'open' : 'read', job.request.path),
        );
      } else {
        job.reject(new CoreError('unknown', `CRC64 of ${job.what} failed: ${reply.error.message}`));
      }
    }
    this.pump();
  }

  /** Fails the jobs the dead worker held; the slot gets a new worker with the next job. */
  private onCrash(slot: Slot, worker: Worker, reason: string): void {
    if (slot.worker !== worker) return; // the other of 'error'/'exit', or terminated by close()
    slot.worker = undefined;
    const jobs = [...slot.inFlight.keys()].map((id) => this.finish(slot, id)!);
    for (const job of jobs) {
      job.reject(
        new CoreError(
          'worker-crashed',
          `CRC64 worker thread ${slot.index} stopped unexpectedly (${reason}) while hashing ${job.what}; a new worker takes its place, so retrying should work.`,
        ),
      );
    }
    this.pump();
  }

  private lease(): SharedArrayBuffer {
    if (this.releaseTimer) {
      clearTimeout(this.releaseTimer);
      this.releaseTimer = undefined;
    }
    return this.spare.pop() ?? new SharedArrayBuffer(SLICE);
  }

  private giveBack(buffer: SharedArrayBuffer): void {
    if (this.closed) return;
    this.spare.push(buffer);
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.releaseTimer = setTimeout(() => this.releaseSpares(), RELEASE_AFTER_MS);
    this.releaseTimer.unref();
  }

  private releaseSpares(): void {
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
    this.spare.length = 0;
  }
}
