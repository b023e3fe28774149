/**
 * The buckets.* and objects.* methods: browsing a bucket of an account, and the transfers
 * a user starts from there (docs/contract.md, "Browsing"). Listing, details, folders and
 * share links call OSS directly through the account's RemoteStore; uploads, downloads and
 * deletes are queued on the account's transfer engine as one batch. Every path or key the
 * user gives is checked before anything is queued or written (browse-local.ts); deleting a
 * folder takes a confirmation token (browse-confirm.ts).
 */
import { randomUUID } from 'node:crypto';
import { lstat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  bucketName,
  ContractError,
  MAX_BATCH,
  MAX_KEY_BYTES,
  utf8Length,
  type BucketDto,
  type ObjectDetailsDto,
  type ObjectSummaryDto,
} from '../../../shared/contract/index.js';
import type { NewJob } from '../db/job-types.js';
import { isCoreError } from '../errors.js';
import { sameFileTwins } from '../fs/local-paths.js';
import type { ListedObject, ObjectInfo } from '../remote/remote-store.js';
import type { TransferRuntime } from '../runtime.js';
import { DeleteConfirmations } from './browse-confirm.js';
import { createPreview } from './browse-preview.js';
import {
  checkNoLinkBetween,
  checkTargetDir,
  downloadPath,
  MAX_BROWSE_FILES,
  parentOfKey,
  planUpload,
} from './browse-local.js';
import type { Handlers, ServiceContext } from './context.js';

/** objects.list page size when the caller gives none. */
export const DEFAULT_LIST_PAGE = 200;

const shown = (value: string) =>
  JSON.stringify(value.length > 300 ? `${value.slice(0, 300)}...` : value);

const ms = (date: Date | undefined): number | null => {
  const time = date?.getTime();
  return time === undefined || !Number.isFinite(time) || time < 0 ? null : time;
};

/**
 * A folder key the user wants to create or upload into: no empty, '.' or '..' segment, no
 * backslash or control character (such keys could never be downloaded or synced back).
 */
function checkFolderKey(prefix: string, doing = 'created'): void {
  const segments = prefix.slice(0, -1).split('/');
  // eslint-disable-next-line no-control-regex
  const unwanted = /[\\\u0000-\u001f\u007f]/;
  const bad = segments.find((s) => s === '' || s === '.' || s === '..' || unwanted.test(s));
  if (bad !== undefined)
    throw new ContractError(
      'invalid-argument',
      `The folder ${shown(prefix)} cannot be ${doing}: ${bad === '' ? 'it has an empty name ("//")' : `the name ${shown(bad)} is not allowed (".", "..", backslashes and control characters are refused)`}.`,
      { subject: prefix },
    );
}

function summary(object: ListedObject): ObjectSummaryDto {
  return {
    key: object.key,
    size: object.size,
    lastModified: ms(object.lastModified) ?? 0,
    etag: object.etag === '' ? '-' : object.etag.slice(0, 128),
    storageClass: object.storageClass ? object.storageClass.slice(0, 32) : null,
  };
}

function details(info: ObjectInfo): ObjectDetailsDto {
  const userMetadata = Object.entries(info.meta ?? {})
    .filter(([name, value]) => name.length >= 1 && name.length <= 128 && value.length <= 8192)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, 100)
    .map(([name, value]) => ({ name, value }));
  return {
    key: info.key,
    size: info.size,
    lastModified: ms(info.lastModified) ?? 0,
    etag: info.etag === '' ? '-' : info.etag.slice(0, 128),
    crc64: info.crc64 !== undefined && /^[0-9]{1,20}$/.test(info.crc64) ? info.crc64 : null,
    storageClass: info.storageClass ? info.storageClass.slice(0, 32) : null,
    contentType: info.contentType ? info.contentType.slice(0, 255) : null,
    userMetadata,
  };
}

/** Every object under `prefix` (all pages, no delimiter), refusing more than `limit`. */
async function listAll(
  runtime: TransferRuntime,
  bucket: string,
  prefix: string,
  limit: number,
  doing: string,
): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await runtime.remote.listPage(bucket, {
      prefix,
      ...(token === undefined ? {} : { token }),
      maxKeys: 1000,
    });
    out.push(...page.objects);
    if (out.length > limit)
      throw new ContractError(
        'invalid-argument',
        `There are more than ${limit} objects under ${shown(prefix)}: ${doing} fewer at a time (choose sub-folders), or use a folder pair or the command line for this much.`,
        { subject: prefix },
      );
    token = page.nextToken;
  } while (token !== undefined);
  return out;
}

export function createBrowse(ctx: ServiceContext) {
  const confirmations = new DeleteConfirmations(ctx.now);
  const runtimeOf = (accountId: number) => ctx.runtimeFor(accountId, 'params.accountId');

  function queue(runtime: TransferRuntime, jobs: NewJob[]): number {
    if (jobs.length === 0) return 0;
    const ids = runtime.engine.add(jobs);
    ctx.emit('transfers.listChanged', { added: ids.length, removed: 0 });
    return ids.length;
  }

  const handlers: Handlers<'buckets.'> & Handlers<'objects.'> = {
    async 'buckets.list'({ accountId }) {
      const runtime = await runtimeOf(accountId);
      const valid = bucketName();
      const buckets: BucketDto[] = [];
      for (const bucket of await runtime.remote.listBuckets()) {
        if (!valid.safeParse(bucket.name).success) {
          ctx.logger.debug(
            { bucket: bucket.name.slice(0, 80) },
            'bucket name outside the OSS rules left out',
          );
          continue;
        }
        buckets.push({
          name: bucket.name,
          region: bucket.region ? bucket.region.slice(0, 64) : null,
          createdAt: ms(bucket.createdAt),
          storageClass: bucket.storageClass ? bucket.storageClass.slice(0, 32) : null,
        });
      }
      return { buckets: buckets.slice(0, 10_000) };
    },

    async 'objects.list'(params) {
      const namePrefix = params.namePrefix ?? '';
      if (namePrefix.includes('/'))
        throw new ContractError(
          'invalid-argument',
          `The name filter ${shown(namePrefix)} contains "/": it matches names inside ${shown(params.prefix || '/')}, not paths; open the folder instead.`,
          { subject: 'params.namePrefix' },
        );
      const prefix = params.prefix + namePrefix;
      if (utf8Length(prefix) > MAX_KEY_BYTES)
        throw new ContractError(
          'invalid-argument',
          `The folder and name filter together are longer than ${MAX_KEY_BYTES} UTF-8 bytes: no key can match.`,
          { subject: 'params.namePrefix' },
        );
      const runtime = await runtimeOf(params.accountId);
      const page = await runtime.remote.listPage(params.bucket, {
        prefix,
        delimiter: '/',
        ...(params.continuationToken === undefined ? {} : { token: params.continuationToken }),
        maxKeys: params.pageSize ?? DEFAULT_LIST_PAGE,
      });
      return {
        // The folder's own marker object (its key is the prefix) is the folder, not an entry.
        prefixes: page.prefixes.filter((p) => p !== params.prefix && p.endsWith('/')),
        objects: page.objects.filter((o) => o.key !== params.prefix).map(summary),
        nextContinuationToken: page.nextToken ?? null,
      };
    },

    async 'objects.details'(params) {
      const runtime = await runtimeOf(params.accountId);
      const info = await runtime.remote.headObject(params.bucket, params.key);
      if (info === undefined)
        throw new ContractError(
          'no-such-key',
          `${shown(params.key)} does not exist in bucket ${params.bucket} (deleted or renamed?): refresh the list.`,
          { subject: params.key, ossCode: 'NoSuchKey' },
        );
      return details(info);
    },

    'objects.preview': createPreview(ctx),

    async 'objects.createFolder'(params) {
      checkFolderKey(params.prefix);
      const runtime = await runtimeOf(params.accountId);
      try {
        await runtime.remote.putObject(
          params.bucket,
          params.prefix,
          { stream: Readable.from([]), size: 0 },
          // Never replace an existing object of that name (it may, oddly, hold data).
          { forbidOverwrite: true },
        );
      } catch (error) {
        if (!isCoreError(error) || error.code !== 'precondition-failed') throw error;
        // It exists already: the folder is there.
      }
      return { key: params.prefix };
    },

    async 'objects.upload'(params) {
      if (params.prefix !== '') checkFolderKey(params.prefix, 'uploaded into');
      const plan = await planUpload(params.prefix, params.localPaths);
      const runtime = await runtimeOf(params.accountId);
      const batch = `upload-${randomUUID()}`;
      // Folder objects first: if one fails, nothing is queued.
      for (const key of plan.folders) {
        try {
          await runtime.remote.putObject(
            params.bucket,
            key,
            { stream: Readable.from([]), size: 0 },
            { forbidOverwrite: true },
          );
        } catch (error) {
          if (!isCoreError(error) || error.code !== 'precondition-failed') throw error;
        }
      }
      const jobsQueued = queue(
        runtime,
        plan.files.map((file) => ({
          kind: 'upload',
          bucket: params.bucket,
          key: file.key,
          localPath: file.localPath,
          size: file.size,
          batch,
        })),
      );
      return {
        batch,
        jobsQueued,
        foldersCreated: plan.folders.length,
        skipped: plan.skipped.slice(0, MAX_BATCH),
        skippedTotal: plan.skipped.length,
      };
    },

    async 'objects.download'(params) {
      const targetDir = await checkTargetDir(params.targetDir);
      const runtime = await runtimeOf(params.accountId);
      const files = new Map<string, { key: string; size: number | undefined }>();
      const folders = new Map<string, string>();
      const claim = (localPath: string, key: string, size: number | undefined) => {
        const other =
          files.get(localPath) ??
          (folders.has(localPath) ? { key: folders.get(localPath)! } : undefined);
        if (other !== undefined && other.key !== key)
          throw new ContractError(
            'invalid-argument',
            `${shown(other.key)} and ${shown(key)} would both be downloaded to ${shown(localPath)}: download them to different folders. Nothing was queued.`,
            { subject: key },
          );
        files.set(localPath, { key, size });
        if (files.size > MAX_BROWSE_FILES)
          throw new ContractError(
            'invalid-argument',
            `More than ${MAX_BROWSE_FILES} objects were chosen: download fewer at a time, or use a folder pair for this much.`,
            { subject: key },
          );
      };
      for (const key of new Set(params.keys)) {
        const parent = parentOfKey(key);
        if (!key.endsWith('/')) {
          claim(downloadPath(targetDir, key, parent), key, undefined);
          continue;
        }
        const objects = await listAll(runtime, params.bucket, key, MAX_BROWSE_FILES, 'download');
        if (objects.length === 0)
          throw new ContractError(
            'no-such-key',
            `There is nothing under ${shown(key)} in bucket ${params.bucket} (deleted or renamed?): refresh the list. Nothing was queued.`,
            { subject: key, ossCode: 'NoSuchKey' },
          );
        folders.set(downloadPath(targetDir, key, parent), key);
        for (const object of objects) {
          const local = downloadPath(targetDir, object.key, parent);
          if (object.key.endsWith('/')) {
            if (files.has(local))
              throw new ContractError(
                'invalid-argument',
                `${shown(object.key)} and ${shown(files.get(local)!.key)} would both be downloaded to ${shown(local)}. Nothing was queued.`,
                { subject: object.key },
              );
            folders.set(local, object.key);
          } else claim(local, object.key, object.size);
        }
      }
      // Names that differ only in case (or, on macOS, in Unicode normalisation) are one file
      // on Windows and macOS: the second download would silently replace the first.
      const twins = sameFileTwins([...files].map(([local, { key }]) => [local, key] as const));
      if (twins !== undefined)
        throw new ContractError(
          'invalid-argument',
          `${shown(twins.keys[0])} and ${shown(twins.keys[1])} would both be downloaded to ${shown(twins.path)}: file names on this computer ${twins.why}. Download one of them to another folder. Nothing was queued.`,
          { subject: twins.keys[1] },
        );
      // A file cannot also be the folder of another file or of a folder object.
      for (const [local, { key }] of files) {
        for (let up = path.dirname(local); up.length > targetDir.length; up = path.dirname(up)) {
          const holder = files.get(up);
          if (holder !== undefined)
            throw new ContractError(
              'invalid-argument',
              `${shown(holder.key)} would be a file where ${shown(key)} needs a folder (${shown(up)}): download them to different folders. Nothing was queued.`,
              { subject: key },
            );
          if (up === path.dirname(up)) break;
        }
      }
      for (const [local, key] of folders) {
        for (let up = local; up.length > targetDir.length; up = path.dirname(up)) {
          const holder = files.get(up);
          if (holder !== undefined)
            throw new ContractError(
              'invalid-argument',
              `${shown(holder.key)} would be a file where the folder ${shown(key)} goes: download them to different folders. Nothing was queued.`,
              { subject: key },
            );
          if (up === path.dirname(up)) break;
        }
      }
      // No write may go through a symlink (or a file) already inside the target folder, nor
      // replace a folder with a file.
      const checked = new Set<string>();
      for (const [local, { key }] of files) {
        await checkNoLinkBetween(targetDir, local, key, checked);
        const existing = await lstat(local).catch(() => undefined);
        if (existing?.isDirectory())
          throw new ContractError(
            'invalid-argument',
            `${shown(key)} would replace the folder ${shown(local)} with a file: download to another folder or move that folder away. Nothing was queued.`,
            { subject: key },
          );
      }
      for (const [local, key] of folders)
        await checkNoLinkBetween(targetDir, path.join(local, 'x'), key, checked);
      for (const local of folders.keys()) await mkdir(local, { recursive: true });
      const batch = `download-${randomUUID()}`;
      const jobsQueued = queue(
        runtime,
        [...files].map(([localPath, { key, size }]) => ({
          kind: 'download',
          bucket: params.bucket,
          key,
          localPath,
          ...(size === undefined ? {} : { size }),
          batch,
        })),
      );
      return { batch, jobsQueued, foldersCreated: folders.size };
    },

    async 'objects.delete'(params) {
      const keys = [...new Set(params.keys)];
      const folderKeys = keys.filter((key) => key.endsWith('/'));
      const scope = { accountId: params.accountId, bucket: params.bucket, keys };
      // A token is checked before anything is listed: a wrong or stale one changes nothing.
      const confirmed =
        params.confirmationToken === undefined
          ? undefined
          : confirmations.check(scope, params.confirmationToken);
      const runtime = await runtimeOf(params.accountId);
      const targets = new Set(keys.filter((key) => !key.endsWith('/')));
      for (const folder of folderKeys) {
        const objects = await listAll(runtime, params.bucket, folder, MAX_BROWSE_FILES, 'delete');
        for (const object of objects) targets.add(object.key);
        if (targets.size > MAX_BROWSE_FILES)
          throw new ContractError(
            'invalid-argument',
            `More than ${MAX_BROWSE_FILES} objects were chosen: delete fewer at a time.`,
            { subject: folder },
          );
      }
      if (folderKeys.length > 0 && confirmed === undefined) {
        const { token, expiresAt } = confirmations.issue(scope, targets.size);
        return {
          status: 'needs-confirmation',
          count: targets.size,
          confirmationToken: token,
          expiresAt,
        };
      }
      if (confirmed !== undefined && confirmed.count !== targets.size)
        throw new ContractError(
          'precondition-failed',
          `The folders changed since the confirmation: ${targets.size} objects would be deleted now, not the ${confirmed.count} confirmed. Nothing was deleted: ask to delete again and confirm the new count.`,
          { subject: 'params.confirmationToken' },
        );
      const batch = `delete-${randomUUID()}`;
      const jobsQueued = queue(
        runtime,
        [...targets].sort().map((key) => ({ kind: 'delete', bucket: params.bucket, key, batch })),
      );
      return { status: 'queued', batch, jobsQueued };
    },

    async 'objects.shareLink'(params) {
      if (params.key.endsWith('/'))
        throw new ContractError(
          'invalid-argument',
          `${shown(params.key)} is a folder: share links are for files.`,
          { subject: params.key },
        );
      const runtime = await runtimeOf(params.accountId);
      const info = await runtime.remote.headObject(params.bucket, params.key);
      if (info === undefined)
        throw new ContractError(
          'no-such-key',
          `${shown(params.key)} does not exist in bucket ${params.bucket} (deleted or renamed?): refresh the list.`,
          { subject: params.key, ossCode: 'NoSuchKey' },
        );
      const link = await runtime.remote.presignGet(
        params.bucket,
        params.key,
        params.expiresInSeconds,
      );
      return { url: link.url, expiresAt: link.expiresAt.getTime() };
    },
  };
  return { handlers };
}
