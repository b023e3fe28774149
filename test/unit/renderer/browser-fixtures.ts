/** Contract-valid accounts, buckets and listings for the Browser view's tests. */
import type {
  AccountDto,
  ObjectSummaryDto,
  Params,
  Result,
} from '../../../shared/contract/index.js';
import { NOW } from './helpers/samples.js';

export function account(id: number, overrides: Partial<AccountDto> = {}): AccountDto {
  return {
    id,
    kind: 'aliyun',
    name: `Account ${id}`,
    endpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
    region: 'cn-hangzhou',
    defaultBucket: null,
    accessKeyIdMasked: 'LTAI****wxyz',
    hasSecret: true,
    hasSecurityToken: false,
    securityTokenExpiresAt: null,
    createdAt: NOW - 86_400_000,
    ...overrides,
  };
}

export const bucketsOf =
  (...names: string[]) =>
  async () => ({
    buckets: names.map((name) => ({ name, region: null, createdAt: null, storageClass: null })),
  });

export function object(key: string, overrides: Partial<ObjectSummaryDto> = {}): ObjectSummaryDto {
  return {
    key,
    size: 1000,
    lastModified: NOW - 3_600_000,
    etag: 'D41D8CD98F00B204E9800998ECF8427E',
    storageClass: 'Standard',
    ...overrides,
  };
}

/**
 * objects.list over `folders` sub-prefixes and `files` objects under any prefix, in key
 * order, paged by `pageSize` (prefixes and objects counted together, as OSS does); the
 * continuation token is the offset. `namePrefix` filters like the server.
 */
export function listing(files: number, folders = 0) {
  return async (params: Params<'objects.list'>): Promise<Result<'objects.list'>> => {
    const offset = params.continuationToken === undefined ? 0 : Number(params.continuationToken);
    const size = params.pageSize ?? 200;
    const pad = (i: number) => String(i).padStart(6, '0');
    const all: { key: string; folder: boolean; i: number }[] = [];
    for (let i = 0; i < folders; i += 1)
      all.push({ key: `${params.prefix}dir-${pad(i)}/`, folder: true, i });
    for (let i = 0; i < files; i += 1)
      all.push({ key: `${params.prefix}file-${pad(i)}.txt`, folder: false, i });
    const wanted = params.prefix + (params.namePrefix ?? '');
    const matching = all.filter((entry) => entry.key.startsWith(wanted));
    const slice = matching.slice(offset, offset + size);
    const end = offset + slice.length;
    return {
      prefixes: slice.filter((e) => e.folder).map((e) => e.key),
      objects: slice
        .filter((e) => !e.folder)
        .map((e) =>
          object(e.key, { size: (e.i * 7919) % 100_000, lastModified: NOW - e.i * 60_000 }),
        ),
      nextContinuationToken: end < matching.length ? String(end) : null,
    };
  };
}
