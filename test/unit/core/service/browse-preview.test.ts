// objects.preview: HEAD then a ranged GET of at most 256 KiB, base64; empty objects need no
// GET; a folder key and a missing key are refused with the contract's codes.
import { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import {
  ContractError,
  MAX_PREVIEW_BYTES,
  parseResult,
} from '../../../../shared/contract/index.js';
import { createPreview } from '../../../../main/core/service/browse-preview.js';
import type { ServiceContext } from '../../../../main/core/service/context.js';
import type {
  GetOptions,
  GetResult,
  ObjectInfo,
} from '../../../../main/core/remote/remote-store.js';

function setup(objects: Record<string, { body: Buffer; contentType?: string }>) {
  const info = (key: string): ObjectInfo | undefined => {
    const object = objects[key];
    if (object === undefined) return undefined;
    return {
      key,
      size: object.body.length,
      etag: 'E1',
      crc64: undefined,
      lastModified: new Date(0),
      ...(object.contentType !== undefined ? { contentType: object.contentType } : {}),
    };
  };
  const remote = {
    headObject: vi.fn(async (_bucket: string, key: string) => info(key)),
    getObject: vi.fn(async (_bucket: string, key: string, options?: GetOptions) => {
      const object = objects[key]!;
      const start = options?.range?.start ?? 0;
      const end = options?.range?.end ?? object.body.length - 1;
      const slice = object.body.subarray(start, end + 1);
      let sent = 0;
      // Sent in 64 KiB chunks, as a socket would.
      const stream = new Readable({
        read() {
          if (sent >= slice.length) {
            this.push(null);
            return;
          }
          const chunk = slice.subarray(sent, sent + 65_536);
          sent += chunk.length;
          this.push(chunk);
        },
      });
      return { stream, info: info(key)!, status: 206 } satisfies GetResult;
    }),
  };
  const runtimeFor = vi.fn(async () => ({ remote }));
  const ctx = { runtimeFor } as unknown as ServiceContext;
  return { preview: createPreview(ctx), remote, runtimeFor };
}

const where = { accountId: 1, bucket: 'b' };

describe('objects.preview', () => {
  it('returns a small object whole, with its type, as a contract-valid result', async () => {
    const { preview, remote } = setup({
      'notes/a.txt': { body: Buffer.from('hello 你好'), contentType: 'text/plain' },
    });
    const result = await preview({ ...where, key: 'notes/a.txt' });
    expect(Buffer.from(result.data, 'base64').toString('utf8')).toBe('hello 你好');
    expect(result).toMatchObject({ contentType: 'text/plain', size: 12, truncated: false });
    expect(parseResult('objects.preview', result).ok).toBe(true);
    expect(remote.getObject).toHaveBeenCalledWith('b', 'notes/a.txt', {
      range: { start: 0, end: 11 },
      ifMatch: 'E1',
      timeoutMs: 30_000,
    });
  });

  it('reads only the first 256 KiB of a large object and says it is truncated', async () => {
    const body = Buffer.alloc(MAX_PREVIEW_BYTES * 4, 7);
    body[MAX_PREVIEW_BYTES - 1] = 9;
    const { preview, remote } = setup({ 'big.bin': { body } });
    const result = await preview({ ...where, key: 'big.bin' });
    const bytes = Buffer.from(result.data, 'base64');
    expect(bytes.length).toBe(MAX_PREVIEW_BYTES);
    expect(bytes[MAX_PREVIEW_BYTES - 1]).toBe(9);
    expect(result).toMatchObject({ contentType: null, size: body.length, truncated: true });
    expect(remote.getObject.mock.calls[0]?.[2]?.range).toEqual({
      start: 0,
      end: MAX_PREVIEW_BYTES - 1,
    });
    expect(parseResult('objects.preview', result).ok).toBe(true);
  });

  it('answers an empty object without a GET (a range on it is invalid)', async () => {
    const { preview, remote } = setup({ 'empty.txt': { body: Buffer.alloc(0) } });
    const result = await preview({ ...where, key: 'empty.txt' });
    expect(result).toEqual({ contentType: null, size: 0, truncated: false, data: '' });
    expect(remote.getObject).not.toHaveBeenCalled();
  });

  it('refuses a folder key and a missing key with the contract codes', async () => {
    const { preview, runtimeFor } = setup({});
    const folder = await preview({ ...where, key: 'photos/' }).catch((e: unknown) => e);
    expect(folder).toBeInstanceOf(ContractError);
    expect((folder as ContractError).code).toBe('invalid-argument');
    expect(runtimeFor).not.toHaveBeenCalled();
    const missing = await preview({ ...where, key: 'gone.txt' }).catch((e: unknown) => e);
    expect((missing as ContractError).code).toBe('no-such-key');
    expect((missing as ContractError).subject).toBe('gone.txt');
  });
});
