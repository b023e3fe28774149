import { Transform, type TransformCallback } from 'node:stream';

/** `code` of the error a tripped tripwire ends with, so a truncated body is never committed. */
export const FAULT_RESET_CODE = 'ERR_OSSLOCAL_FAULT_RESET';

// Slices of about 10 ms of data keep the output smooth without a timer per few bytes.
const SLICE_MS = 10;
const MAX_SLICE_BYTES = 64 * 1024;
// Timers fire late; up to this much lag is caught up in a burst so the average holds the cap.
const CATCH_UP_MS = 20;

/**
 * Caps throughput at `bytesPerSecond` on average (a token bucket, kept as the time at which
 * the bytes sent so far would have been sent at exactly the cap). Chunks are split into small
 * slices and delayed with timers. Backpressure is Transform's own: the write callback is held
 * until the whole chunk is out, so upstream pauses while a chunk is being metered.
 */
export function createThrottle(bytesPerSecond: number): Transform {
  if (!(Number.isFinite(bytesPerSecond) && bytesPerSecond > 0)) {
    throw new RangeError(
      `Bandwidth cap must be a positive number of bytes per second, got ${bytesPerSecond}`,
    );
  }
  const sliceBytes = Math.max(
    1,
    Math.min(MAX_SLICE_BYTES, Math.floor((bytesPerSecond * SLICE_MS) / 1000)),
  );
  const msPerByte = 1000 / bytesPerSecond;
  let due = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let pending: TransformCallback | undefined;

  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      let offset = 0;
      pending = callback;
      const pump = (): void => {
        timer = undefined;
        while (offset < chunk.length) {
          const now = performance.now();
          // Start metering at the first byte; later, forget idle time beyond the catch-up
          // window, since a cap must not bank a long burst.
          if (due === -Infinity) due = now;
          else if (due < now - CATCH_UP_MS) due = now - CATCH_UP_MS;
          if (due > now) {
            timer = setTimeout(pump, Math.max(1, Math.ceil(due - now)));
            return;
          }
          const size = Math.min(sliceBytes, chunk.length - offset);
          this.push(chunk.subarray(offset, offset + size));
          offset += size;
          due += size * msPerByte;
        }
        pending = undefined;
        callback();
      };
      pump();
    },
    destroy(error, callback) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      // Settle the held write as failed: it was not passed on in full.
      const held = pending;
      pending = undefined;
      held?.(
        error ??
          Object.assign(new Error('Stream destroyed while throttled'), {
            code: 'ERR_STREAM_DESTROYED',
          }),
      );
      callback(error);
    },
  });
}

/**
 * Passes exactly the first `limitBytes` bytes (splitting the chunk that crosses the limit),
 * then calls `onTrip` once and passes nothing more. It never ends cleanly after tripping: the
 * stream fails with FAULT_RESET_CODE at its end, so a consumer that outlives the connection
 * reset cannot mistake a truncated body for a complete one. A limit of 0 trips on the first
 * data, or at the end of an empty body.
 */
export function createTripwire(limitBytes: number, onTrip: () => void): Transform {
  if (!(Number.isSafeInteger(limitBytes) && limitBytes >= 0)) {
    throw new RangeError(`Tripwire limit must be a non-negative integer, got ${limitBytes}`);
  }
  let passed = 0;
  let tripped = false;

  const trip = (): Error | undefined => {
    tripped = true;
    try {
      onTrip();
      return undefined;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (tripped) {
        callback();
        return;
      }
      const room = limitBytes - passed;
      if (chunk.length < room) {
        passed += chunk.length;
        callback(null, chunk);
        return;
      }
      if (room > 0) this.push(chunk.subarray(0, room));
      passed = limitBytes;
      callback(trip());
    },
    flush(callback) {
      const failure = !tripped && passed >= limitBytes ? trip() : undefined;
      if (!tripped) {
        callback();
        return;
      }
      const error =
        failure ??
        Object.assign(new Error('Connection reset by fault injection'), { code: FAULT_RESET_CODE });
      callback(error);
    },
  });
}
