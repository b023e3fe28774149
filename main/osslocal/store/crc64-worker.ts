/**
 * Worker thread that computes CRC64 for streams the main thread is busy hashing with MD5,
 * so the two run on two cores. Messages are processed in order, per stream id.
 */
import { parentPort } from 'node:worker_threads';
import { crc64 } from '../../../shared/crc64.js';

export type CrcRequest =
  | { id: number; kind: 'chunk'; data: Uint8Array }
  | { id: number; kind: 'start'; seed: string }
  | { id: number; kind: 'end' }
  | { id: number; kind: 'drop' };
export interface CrcReply {
  id: number;
  crc64: string;
}

const port = parentPort;
if (port) {
  const streams = new Map<number, bigint>();
  port.on('message', (message: CrcRequest) => {
    switch (message.kind) {
      case 'start':
        streams.set(message.id, BigInt(message.seed));
        break;
      case 'chunk':
        streams.set(message.id, crc64(message.data, streams.get(message.id) ?? 0n));
        break;
      case 'end':
        port.postMessage({
          id: message.id,
          crc64: (streams.get(message.id) ?? 0n).toString(),
        } satisfies CrcReply);
        streams.delete(message.id);
        break;
      case 'drop':
        streams.delete(message.id);
        break;
    }
  });
}
