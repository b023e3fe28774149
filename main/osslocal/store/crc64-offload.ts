import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Crc64 } from '../../../shared/crc64.js';
import type { CrcReply, CrcRequest } from './crc64-worker.js';

/** Bodies up to this size are hashed inline: a worker round trip would cost more. */
const INLINE_LIMIT = 1024 * 1024;

/**
 * Starts a worker from a module next to `base`: the compiled `.js` when there is one
 * (dist/), else the `.ts` source through tsx's loader (tests and `tsx` runs, where the
 * worker thread does not inherit the parent's TypeScript transform).
 */
function startWorker(base: string): Worker {
  const js = new URL(`./${base}.js`, import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  const ts = new URL(`./${base}.ts`, import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/**
 * One worker thread shared by every stream of a server. Unref'd, so it never keeps the
 * process alive; `close()` terminates it.
 */
export class Crc64Offload {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (crc: string) => void; reject: (error: Error) => void }
  >();

  /** An incremental CRC64 that moves to the worker once a stream passes INLINE_LIMIT. */
  stream(): Crc64Stream {
    return new Crc64Stream(this);
  }

  /** @internal */
  post(message: CrcRequest, transfer: ArrayBuffer[] = []): void {
    this.ensureWorker().postMessage(message, transfer);
  }

  /** @internal */
  allocate(): number {
    return this.nextId++;
  }

  /** @internal */
  result(id: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.ensureWorker().ref();
      this.post({ id, kind: 'end' });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    for (const waiter of this.waiting.values())
      waiter.reject(new Error('The CRC64 worker was stopped.'));
    this.waiting.clear();
    if (worker) await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker('crc64-worker');
    worker.unref();
    worker.on('message', (reply: CrcReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      waiter?.resolve(reply.crc64);
    });
    worker.on('error', (error) => {
      // Never expected: fail the waiting writes rather than answer with a wrong CRC.
      this.worker = undefined;
      for (const waiter of this.waiting.values())
        waiter.reject(new Error(`CRC64 worker failed: ${error.message}`));
      this.waiting.clear();
    });
    this.worker = worker;
    return worker;
  }
}

/** Chunks go to the worker in batches of about this size: one copy, few messages. */
const BATCH = 1024 * 1024;

export class Crc64Stream {
  private inline: Crc64 | undefined = new Crc64();
  private inlineBytes = 0;
  private id = 0;
  private batch: Uint8Array[] = [];
  private batchBytes = 0;

  constructor(private readonly offload: Crc64Offload) {}

  update(chunk: Uint8Array): void {
    if (this.inline && this.inlineBytes + chunk.length <= INLINE_LIMIT) {
      this.inline.update(chunk);
      this.inlineBytes += chunk.length;
      return;
    }
    if (this.inline) {
      this.id = this.offload.allocate();
      this.offload.post({ id: this.id, kind: 'start', seed: this.inline.toString() });
      this.inline = undefined;
    }
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    if (this.batchBytes >= BATCH) this.flush();
  }

  /** Copies the batch into one buffer (the caller's buffers are still being written to disk) and transfers it. */
  private flush(): void {
    if (this.batchBytes === 0) return;
    const data = new Uint8Array(this.batchBytes);
    let offset = 0;
    for (const chunk of this.batch) {
      data.set(chunk, offset);
      offset += chunk.length;
    }
    this.batch = [];
    this.batchBytes = 0;
    this.offload.post({ id: this.id, kind: 'chunk', data }, [data.buffer]);
  }

  digest(): Promise<string> {
    if (this.inline) return Promise.resolve(this.inline.toString());
    this.flush();
    return this.offload.result(this.id);
  }

  /** Forget a stream that will not be finished (the body failed). */
  abandon(): void {
    if (!this.inline) this.offload.post({ id: this.id, kind: 'drop' });
  }
}
