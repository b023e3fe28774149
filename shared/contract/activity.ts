/** The activity log: what happened, newest first, paged and filtered. */
import { z } from 'zod';
import {
  bucketName,
  count,
  id,
  localPath,
  MAX_PAGE_SIZE,
  ossKey,
  page,
  pageParams,
  text,
  timestamp,
} from './dto.js';
import { jobErrorSchema } from './errors.js';

export const ACTIVITY_KINDS = [
  'uploaded',
  'downloaded',
  'deleted',
  'trashed',
  'moved',
  'conflict',
  'deletes-held',
  'error',
] as const;

export const activityEntrySchema = z.strictObject({
  id: id(),
  at: timestamp(),
  kind: z.enum(ACTIVITY_KINDS),
  accountId: id().nullable(),
  pairId: id().nullable(),
  bucket: bucketName().nullable(),
  key: ossKey().nullable(),
  localPath: localPath().nullable(),
  size: count().nullable(),
  /** kind 'error' (and failed actions): what went wrong. */
  error: jobErrorSchema.nullable(),
});
export type ActivityEntryDto = z.infer<typeof activityEntrySchema>;

export const activityMethods = {
  'activity.list': {
    params: z.strictObject({
      kinds: z.array(z.enum(ACTIVITY_KINDS)).min(1).max(ACTIVITY_KINDS.length).optional(),
      accountId: id().optional(),
      pairId: id().optional(),
      /** Entries at or after / before these times. */
      since: timestamp().optional(),
      until: timestamp().optional(),
      /** Substring of the key or local path. */
      search: text(256).optional(),
      ...pageParams,
    }),
    result: page(activityEntrySchema),
  },
} as const;

/** Payload of the activity.appended event: entries added since the last one. */
export const activityAppendedSchema = z.strictObject({
  entries: z.array(activityEntrySchema).min(1).max(MAX_PAGE_SIZE),
});
