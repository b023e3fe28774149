/**
 * Files and folders dropped on the listing, uploaded to the shown prefix. In Electron the
 * preload names each dropped item's local path (`window.ossync.pathsForFiles`) and
 * objects.upload queues them (folders recursively, in main). In a browser the page has no
 * paths: folders are walked here (DataTransferItem.webkitGetAsEntry) and each file's bytes
 * go to the headless host's `POST /api/upload` with the session's token, which stages them
 * and queues an ordinary upload job (docs/contract.md, "Dropped files").
 */
import {
  ContractError,
  contractErrorSchema,
  MAX_BATCH,
} from '../../../../shared/contract/index.js';
import type { ApiClient } from '../../api/client.js';

export interface DroppedFile {
  file: File;
  /** Path relative to the drop, '/'-separated: 'a.jpg', 'photos/2024/b.jpg'. */
  path: string;
}

export interface UploadTarget {
  accountId: number;
  bucket: string;
  prefix: string;
}

export interface UploadOutcome {
  /** Upload jobs queued. */
  queued: number;
}

/** The bridge's pathsForFiles, when the page runs in Electron; else null. */
export function electronPaths(win: unknown): ((files: readonly File[]) => string[]) | null {
  const bridge = (win as { ossync?: unknown }).ossync;
  if (typeof bridge !== 'object' || bridge === null) return null;
  const paths = (bridge as { pathsForFiles?: unknown }).pathsForFiles;
  if (typeof paths !== 'function') return null;
  return (files) => (paths as (files: readonly unknown[]) => string[]).call(bridge, files);
}

/** Electron: the dropped items' local paths, queued with objects.upload (1000 a call). */
export async function uploadPaths(
  api: ApiClient,
  target: UploadTarget,
  paths: readonly string[],
): Promise<UploadOutcome> {
  let queued = 0;
  for (let start = 0; start < paths.length; start += MAX_BATCH) {
    const result = await api['objects.upload']({
      ...target,
      localPaths: paths.slice(start, start + MAX_BATCH),
    });
    queued += result.jobsQueued;
  }
  return { queued };
}

type Entry = FileSystemEntry;

function isFileEntry(entry: Entry): entry is FileSystemFileEntry {
  return entry.isFile;
}
function isDirectoryEntry(entry: Entry): entry is FileSystemDirectoryEntry {
  return entry.isDirectory;
}

async function readAll(directory: FileSystemDirectoryEntry): Promise<Entry[]> {
  const reader = directory.createReader();
  const out: Entry[] = [];
  // readEntries answers in batches (100 in Chromium) until it answers with none.
  for (;;) {
    const batch = await new Promise<Entry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

async function walk(entry: Entry, base: string, out: DroppedFile[]): Promise<void> {
  const path = base === '' ? entry.name : `${base}/${entry.name}`;
  if (isFileEntry(entry)) {
    const file = await new Promise<File>((resolve, reject) => entry.file(resolve, reject));
    out.push({ file, path });
  } else if (isDirectoryEntry(entry)) {
    for (const child of await readAll(entry)) await walk(child, path, out);
  }
}

/** Every file of a drop with its path inside it (folders walked when the browser can). */
export async function collectDropped(data: DataTransfer): Promise<DroppedFile[]> {
  const entries: Entry[] = [];
  for (const item of Array.from(data.items)) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry !== null) entries.push(entry);
  }
  if (entries.length === 0) {
    return Array.from(data.files).map((file) => ({ file, path: file.name }));
  }
  const out: DroppedFile[] = [];
  for (const entry of entries) await walk(entry, '', out);
  return out;
}

export interface HostUploadOptions {
  token: string;
  fetch?: typeof fetch;
  /** Called after each file is accepted, with how many are done. */
  onProgress?: (done: number) => void;
}

/** The host's refusal as a ContractError (its body carries the contract's error shape). */
async function refusal(response: Response): Promise<ContractError> {
  try {
    const body = (await response.json()) as { error?: unknown };
    const parsed = contractErrorSchema.safeParse(body.error);
    if (parsed.success) return ContractError.fromData(parsed.data);
  } catch {
    // not JSON: described by its status below
  }
  return new ContractError(
    response.status === 401 ? 'unauthorized' : 'unknown',
    `The host answered ${response.status} to the upload.`,
    { subject: 'host' },
  );
}

/**
 * Browser: each file's bytes to `POST /api/upload` (one at a time, so the host's disk
 * check sees them in turn). Stops at the first refusal, which it throws; the files sent
 * before it stay queued.
 */
export async function uploadThroughHost(
  target: UploadTarget,
  files: readonly DroppedFile[],
  options: HostUploadOptions,
): Promise<UploadOutcome> {
  const send = options.fetch ?? fetch;
  let queued = 0;
  for (const { file, path } of files) {
    const query = new URLSearchParams({
      accountId: String(target.accountId),
      bucket: target.bucket,
      prefix: target.prefix,
      path,
    });
    let response: Response;
    try {
      response = await send(`/api/upload?${query.toString()}`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${options.token}`,
          'Content-Type': 'application/octet-stream',
        },
        body: file,
      });
    } catch {
      throw new ContractError('network', `The host could not be reached to upload ${path}.`, {
        subject: path,
      });
    }
    if (!response.ok) throw await refusal(response);
    await response.body?.cancel();
    queued += 1;
    options.onProgress?.(queued);
  }
  return { queued };
}
