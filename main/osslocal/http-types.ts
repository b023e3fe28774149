import type { Readable } from 'node:stream';

/** What an operation handler returns; the server writes it (and applies faults on the way). */
export interface OssResponse {
  status: number;
  headers: Record<string, string>;
  /** A whole body, a stream of known length (`headers['Content-Length']` set), or none. */
  body?: Buffer | Readable;
}
