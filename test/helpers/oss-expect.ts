import { createHash } from 'node:crypto';
import { expect } from 'vitest';

/** What ali-oss throws for an OSS error response. */
export interface OssClientError extends Error {
  status: number;
  code: string;
  requestId: string;
  ecCode: string;
  hostId: string;
}

export const REQUEST_ID = /^[0-9A-F]{24}$/;

/** Resolves to the error `promise` rejects with; fails the test if it succeeds. */
export async function failure(promise: Promise<unknown>): Promise<OssClientError> {
  try {
    await promise;
  } catch (error) {
    return error as OssClientError;
  }
  throw new Error('expected the request to fail, it succeeded');
}

/** Asserts that `promise` fails with this status and OSS code, and carries a request id. */
export async function expectOssError(
  promise: Promise<unknown>,
  status: number,
  code: string,
): Promise<OssClientError> {
  const error = await failure(promise);
  expect({ status: error.status, code: error.code }).toEqual({ status, code });
  expect(error.requestId).toMatch(REQUEST_ID);
  return error;
}

/** OSS orders keys by their UTF-8 bytes. */
export function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The OSS multipart ETag (unquoted): MD5 of the parts' binary MD5s, then `-N`. */
export function multipartEtag(parts: readonly Buffer[]): string {
  const digest = createHash('md5');
  for (const part of parts) digest.update(createHash('md5').update(part).digest());
  return `${digest.digest('hex').toUpperCase()}-${parts.length}`;
}

/** Text of every `<name>` element in an XML document (no nesting inside). */
export function xmlElements(xml: string, name: string): string[] {
  const re = new RegExp(`<${name}>([^<]*)</${name}>`, 'g');
  return [...xml.matchAll(re)].map((m) => m[1] ?? '');
}
