/**
 * Worker thread of Crc64Pool: hashes byte slices the pool hands over (views on shared memory,
 * so nothing is copied here) and file ranges it reads itself. One message at a time, in order.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { Crc64 } from '../../../shared/crc64.js';

export type PoolRequest =
  | { id: number; kind: 'bytes'; data: Uint8Array }
  /** `end` exclusive; undefined: to the end of the file. */
  | { id: number; kind: 'file'; path: string; start: number; end: number | undefined }
  /** Tests only: dies on purpose, so the pool's crash handling can be checked for real. */
  | { id: number; kind: 'crash'; how: 'throw' | 'exit' };

export interface PoolErrorDetails {
  message: string;
  code: string | undefined;
  errno: number | undefined;
  syscall: string | undefined;
}

export type PoolReply =
  | { id: number; ok: true; crc64: bigint; size: number }
  | { id: number; ok: false; error: PoolErrorDetails };

/** Read size for hashFile: big enough for few syscalls, small enough to stay in L2/L3. */
const READ_CHUNK = 1024 * 1024;

let readBuffer: Buffer | undefined;

/** Sync reads: this thread has nothing else to do meanwhile, and they are cheaper than async ones. */
function hashFile(path: string, start: number, end: number | undefined): PoolReply & { ok: true } {
  const buffer = (readBuffer ??= Buffer.allocUnsafeSlow(READ_CHUNK));
  const hasher = new Crc64();
  // Non-blocking open: a named pipe would block this thread until a writer came, forever.
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  let size = 0;
  try {
    if (!fstatSync(fd).isFile())
      throw Object.assign(new Error('it is not a regular file (a pipe, socket or device)'), {
        code: 'EFTYPE',
        syscall: 'read',
      });
    for (;;) {
      const want = end === undefined ? READ_CHUNK : Math.min(READ_CHUNK, end - start - size);
      if (want <= 0) break;
      const got = readSync(fd, buffer, 0, want, start + size);
      if (got === 0) break; // end of file before `end`: the caller compares `size`
      hasher.update(buffer.subarray(0, got));
      size += got;
    }
  } finally {
    closeSync(fd);
  }
  return { id: 0, ok: true, crc64: hasher.digest(), size };
}

function errorDetails(error: unknown): PoolErrorDetails {
  const e = error as NodeJS.ErrnoException;
  return {
    message: e instanceof Error ? e.message : String(error),
    code: typeof e?.code === 'string' ? e.code : undefined,
    errno: typeof e?.errno === 'number' ? e.errno : undefined,
    syscall: typeof e?.syscall === 'string' ? e.syscall : undefined,
  };
}

/**
 * Linux schedules each thread on its own, so this lowers only this thread: when cores are
 * short the main thread (sockets, IPC, timers) runs first. On 2 cores with 2 workers busy it
 * cut the longest event-loop stall from about 30 to 20 ms and sped hashing up (the main thread
 * hands out the next part sooner). On macOS and Windows the call would lower the whole process.
 */
function lowerThreadPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(Math.min(19, getPriority() + 10));
  } catch {
    // Only a scheduling preference: hashing works the same without it.
  }
}

const port = parentPort;
if (port) {
  lowerThreadPriority();
  port.on('message', (request: PoolRequest) => {
    let reply: PoolReply;
    try {
      switch (request.kind) {
        case 'bytes':
          reply = {
            id: request.id,
            ok: true,
            crc64: new Crc64().update(request.data).digest(),
            size: request.data.length,
          };
          break;
        case 'file':
          reply = { ...hashFile(request.path, request.start, request.end), id: request.id };
          break;
        case 'crash':
          if (request.how === 'exit') process.exit(70);
          throw new Error('crash requested by a test');
      }
    } catch (error) {
      if (request.kind === 'crash') throw error;
      reply = { id: request.id, ok: false, error: errorDetails(error) };
    }
    port.postMessage(reply);
  });
}
