/**
 * Building blocks of the contract's schemas: bounded strings, ids, OSS names, pages.
 *
 * Every object in the contract is a `z.strictObject` (unknown keys are refused, which also
 * refuses `__proto__` and `constructor` keys that `JSON.parse` produces), every string and
 * array is bounded, and counts are integers. No schema transforms or defaults its input, so
 * a value's parsed type is its input type and a payload survives a JSON round trip as is.
 * Maps are arrays of `{ name, value }`, never records: zod silently drops a `__proto__`
 * record key instead of refusing it.
 */
import { z } from 'zod';

/** Longest page a paged method returns or accepts. */
export const MAX_PAGE_SIZE = 1000;
/** Longest list of ids or keys one request may carry. */
export const MAX_BATCH = 1000;
/** OSS limit on an object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1023;
/** Longest local path accepted (longer than any OS allows). */
export const MAX_LOCAL_PATH = 4096;

/** UTF-8 length of a string without TextEncoder (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** A string of 1..max characters. */
export const text = (max: number) => z.string().min(1).max(max);
/** A string of 0..max characters. */
export const optionalText = (max: number) => z.string().max(max);

/** A record id (account, pair, job, activity entry): a positive safe integer. */
export const id = () => z.int().min(1);
/** A count of things or bytes: a non-negative safe integer. */
export const count = () => z.int().min(0);
/** Milliseconds since the Unix epoch. */
export const timestamp = () => z.int().min(0);
/** Bytes per second; null means unlimited. */
export const rate = () => z.int().min(1).nullable();

/** Bucket names per the OSS rules: 3-63 of a-z, 0-9 and '-', starting and ending alphanumeric. */
export const bucketName = () =>
  z.string().regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, { error: 'not a valid OSS bucket name' });

const keyBytes = (value: string) => utf8Length(value) <= MAX_KEY_BYTES;
const noLeadingSlash = (value: string) => !value.startsWith('/') && !value.startsWith('\\');

/** An object key: 1..1023 UTF-8 bytes, not starting with '/' or '\'. A key ending in '/' is a folder. */
export const ossKey = () =>
  z
    .string()
    .min(1)
    .max(MAX_KEY_BYTES)
    .refine(keyBytes, { error: `longer than ${MAX_KEY_BYTES} UTF-8 bytes` })
    .refine(noLeadingSlash, { error: "must not start with '/' or '\\'" });

/** A prefix: '' (the whole bucket) or a key ending in '/'. */
export const ossPrefix = () =>
  z
    .string()
    .max(MAX_KEY_BYTES)
    .refine(keyBytes, { error: `longer than ${MAX_KEY_BYTES} UTF-8 bytes` })
    .refine(noLeadingSlash, { error: "must not start with '/' or '\\'" })
    .refine((value) => value === '' || value.endsWith('/'), {
      error: "must be '' or end with '/'",
    });

/**
 * A local path as the user gave it: non-empty, bounded, no NUL. Whether it is absolute,
 * exists, and is not a traversal out of an allowed root is checked in main, which knows the
 * platform; the contract cannot.
 */
export const localPath = () =>
  z
    .string()
    .min(1)
    .max(MAX_LOCAL_PATH)
    .refine((value) => !value.includes('\0'), { error: 'must not contain NUL' });

/** A page size: 1..1000 (the service picks a default when it is omitted). */
export const pageSize = () => z.int().min(1).max(MAX_PAGE_SIZE);
/** An opaque cursor the service returned for the next page. */
export const cursor = () => text(1024);

/** Params of a paged method: an optional cursor (from the previous page) and page size. */
export const pageParams = {
  cursor: cursor().optional(),
  pageSize: pageSize().optional(),
};

/** A page of items: the items, the cursor of the next page (null at the end), and the total. */
export const page = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    items: z.array(item).max(MAX_PAGE_SIZE),
    nextCursor: cursor().nullable(),
    /** All items matching, when the service knows it cheaply; null otherwise. */
    total: count().nullable(),
  });

/** `{ name, value }` pairs, the contract's form of a string map. */
export const namedValues = (maxItems: number, maxName: number, maxValue: number) =>
  z.array(z.strictObject({ name: text(maxName), value: optionalText(maxValue) })).max(maxItems);

/** Params of a method that takes nothing. */
export const noParams = () => z.strictObject({});
/** Result of a method that returns nothing. */
export const noResult = () => z.strictObject({});

/** Params naming up to 1000 records by id (bulk actions). */
export const idsParams = () => z.strictObject({ ids: z.array(id()).min(1).max(MAX_BATCH) });
