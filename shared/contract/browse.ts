/** Browsing a bucket: buckets, pages of a prefix, object details, folders, share links. */
import { z } from 'zod';
import {
  bucketName,
  count,
  id,
  localPath,
  MAX_BATCH,
  MAX_PAGE_SIZE,
  namedValues,
  ossKey,
  ossPrefix,
  pageSize,
  text,
  timestamp,
} from './dto.js';

/** Share-link expiries the UI offers; a custom one is any whole number of seconds up to 7 days. */
export const SHARE_LINK_PRESETS = { hour: 3600, day: 86_400, week: 604_800 } as const;
export const MAX_SHARE_LINK_SECONDS = SHARE_LINK_PRESETS.week;

/** objects.preview returns at most this many bytes from the start of an object. */
export const MAX_PREVIEW_BYTES = 256 * 1024;

const storageClass = () => text(32);
const etag = () => text(128);
/** CRC64-ECMA as OSS writes it: a decimal uint64. */
const crc64 = () => z.string().regex(/^[0-9]{1,20}$/);
const continuationToken = () => text(4096);

export const bucketSchema = z.strictObject({
  name: bucketName(),
  region: text(64).nullable(),
  createdAt: timestamp().nullable(),
  storageClass: storageClass().nullable(),
});
export type BucketDto = z.infer<typeof bucketSchema>;

export const objectSummarySchema = z.strictObject({
  key: ossKey(),
  size: count(),
  lastModified: timestamp(),
  etag: etag(),
  storageClass: storageClass().nullable(),
});
export type ObjectSummaryDto = z.infer<typeof objectSummarySchema>;

export const objectDetailsSchema = z.strictObject({
  key: ossKey(),
  size: count(),
  lastModified: timestamp(),
  etag: etag(),
  /** null when the object has no x-oss-hash-crc64ecma (very old objects). */
  crc64: crc64().nullable(),
  storageClass: storageClass().nullable(),
  contentType: text(255).nullable(),
  /** x-oss-meta-* headers, without the prefix. */
  userMetadata: namedValues(100, 128, 8192),
});
export type ObjectDetailsDto = z.infer<typeof objectDetailsSchema>;

/** Something inside a chosen folder that an upload left out (never followed or read). */
export const skippedPathSchema = z.strictObject({
  path: localPath(),
  reason: z.enum(['symlink', 'special']),
});
export type SkippedPathDto = z.infer<typeof skippedPathSchema>;

/**
 * Jobs queued by one user action (reported together in Transfers under `batch`), plus the
 * folders it made at once and what it left out.
 */
const queuedWithFolders = z.strictObject({
  batch: text(64),
  jobsQueued: count(),
  /** Folder objects (upload) or local folders (download) created at once for empty folders. */
  foldersCreated: count().optional(),
  /** Upload only: symlinks and special files found in chosen folders (the first 1000). */
  skipped: z.array(skippedPathSchema).max(MAX_BATCH).optional(),
  /** Upload only: how many were skipped in all. */
  skippedTotal: count().optional(),
});

const where = { accountId: id(), bucket: bucketName() };

export const browseMethods = {
  'buckets.list': {
    params: z.strictObject({ accountId: id() }),
    result: z.strictObject({ buckets: z.array(bucketSchema).max(10_000) }),
  },
  /** One page of a prefix, delimited by '/': its sub-prefixes and objects, in key order. */
  'objects.list': {
    params: z.strictObject({
      ...where,
      prefix: ossPrefix(),
      /** Only names (after `prefix`) starting with this. */
      namePrefix: z.string().max(1023).optional(),
      continuationToken: continuationToken().optional(),
      pageSize: pageSize().optional(),
    }),
    result: z.strictObject({
      prefixes: z.array(ossPrefix()).max(MAX_PAGE_SIZE),
      objects: z.array(objectSummarySchema).max(MAX_PAGE_SIZE),
      /** null when this was the last page. */
      nextContinuationToken: continuationToken().nullable(),
    }),
  },
  'objects.details': {
    params: z.strictObject({ ...where, key: ossKey() }),
    result: objectDetailsSchema,
  },
  /** The first bytes of an object (at most MAX_PREVIEW_BYTES), for image and text previews. */
  'objects.preview': {
    params: z.strictObject({ ...where, key: ossKey() }),
    result: z.strictObject({
      contentType: text(255).nullable(),
      /** The whole object's size. */
      size: count(),
      /** true when `data` is only the start of the object. */
      truncated: z.boolean(),
      /** Base64 of the first min(size, MAX_PREVIEW_BYTES) bytes. */
      data: z
        .string()
        .max(Math.ceil(MAX_PREVIEW_BYTES / 3) * 4)
        .regex(/^[A-Za-z0-9+/]*={0,2}$/),
    }),
  },
  /** Creates an empty folder object (`prefix` ends with '/'). */
  'objects.createFolder': {
    params: z.strictObject({ ...where, prefix: ossPrefix().refine((p) => p !== '') }),
    result: z.strictObject({ key: ossKey() }),
  },
  /**
   * Queues uploads of local files and folders (recursively) under `prefix`: each file's key
   * is `prefix` + its name (+ its path inside a chosen folder, '/'-separated, NFC). Symlinks
   * inside folders and special files are skipped (reported in `skipped`); empty folders
   * become folder objects at once. A missing or unreadable path, a relative path or one with
   * '..', a chosen symlink or special file, a key over 1023 bytes, a name with a control
   * character or two files with the same key refuses the whole call (nothing queued).
   */
  'objects.upload': {
    params: z.strictObject({
      ...where,
      prefix: ossPrefix(),
      /** Absolute local paths; main checks they are absolute and readable. */
      localPaths: z.array(localPath()).min(1).max(MAX_BATCH),
    }),
    result: queuedWithFolders,
  },
  /**
   * Queues downloads of keys, and of everything under keys ending in '/', into `targetDir`:
   * each key lands at its path relative to the folder holding what was chosen. A key that
   * would leave `targetDir` or cannot be a portable file name refuses the whole call.
   */
  'objects.download': {
    params: z.strictObject({
      ...where,
      keys: z.array(ossKey()).min(1).max(MAX_BATCH),
      /** Absolute local folder; main checks it and that no key escapes it. */
      targetDir: localPath(),
    }),
    result: queuedWithFolders,
  },
  /**
   * Deletes keys. Keys ending in '/' delete everything under them, which takes two calls:
   * the first (no token) returns the count and a confirmation token; the second, with the
   * same keys and the token, queues the deletes. When every key is a plain key they are
   * queued on the first call. The token is valid for 5 minutes, for exactly these keys in
   * this bucket, and only while the count is unchanged.
   */
  'objects.delete': {
    params: z.strictObject({
      ...where,
      keys: z.array(ossKey()).min(1).max(MAX_BATCH),
      confirmationToken: text(256).optional(),
    }),
    result: z.discriminatedUnion('status', [
      z.strictObject({
        status: z.literal('needs-confirmation'),
        /** Objects that would be deleted. */
        count: count(),
        confirmationToken: text(256),
        expiresAt: timestamp(),
      }),
      z.strictObject({ status: z.literal('queued'), batch: text(64), jobsQueued: count() }),
    ]),
  },
  /** A presigned GET URL valid for `expiresInSeconds` (1 s .. 7 days). */
  'objects.shareLink': {
    params: z.strictObject({
      ...where,
      key: ossKey(),
      expiresInSeconds: z.int().min(1).max(MAX_SHARE_LINK_SECONDS),
    }),
    result: z.strictObject({ url: z.url().max(8192), expiresAt: timestamp() }),
  },
} as const;
