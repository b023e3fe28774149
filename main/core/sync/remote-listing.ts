import type { RemoteStore } from '../remote/remote-store.js';
import type { RemoteEntry } from './types.js';

const PAGE = 1000;

/**
 * The pair's objects, page by page in key order, as pair-relative paths. Folder markers
 * (`dir/`) are not files and are left out; so is what `skip` says (ignored paths, and the
 * pair's own trash and conflict areas).
 */
export async function* listRemote(
  remote: RemoteStore,
  bucket: string,
  prefix: string,
  skip: (path: string) => boolean,
  signal?: AbortSignal,
): AsyncGenerator<RemoteEntry[]> {
  let token: string | undefined;
  do {
    const page = await remote.listPage(bucket, { prefix, token, maxKeys: PAGE }, { signal });
    const entries: RemoteEntry[] = [];
    for (const object of page.objects) {
      const path = object.key.slice(prefix.length);
      if (path === '' || path.endsWith('/') || skip(path)) continue;
      entries.push({
        path,
        size: object.size,
        etag: object.etag,
        lastModified: object.lastModified.getTime(),
      });
    }
    if (entries.length > 0) yield entries;
    token = page.nextToken;
  } while (token !== undefined);
}
