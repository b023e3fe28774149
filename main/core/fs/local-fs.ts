/**
 * The LocalFs port: every file-system call the transfer engine makes goes through it, so tests
 * can inject errno failures (ENOSPC on write, EACCES on open, ...) at the exact operation, and
 * every failure reaches the engine as a CoreError with a stable code and the path.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

/** What the sync engine compares to notice that a file changed under it. */
export interface FileIdentity {
  size: number;
  /** Nanoseconds since the epoch (bigint: a double loses the low digits). */
  mtimeNs: bigint;
  ino: bigint;
  dev: bigint;
}

export interface LocalFs {
  /**
   * stat: a symbolic link is followed, so the identity is that of the bytes `readRange` reads
   * (a pair that follows symlinked files records the target's size, mtime and inode too).
   */
  identity(path: string): Promise<FileIdentity>;
  /**
   * Exactly `length` bytes from `start`, or CoreError('file-changed') when the file is shorter.
   * Only a regular file is read: a named pipe, socket or device fails with 'local-io' at once
   * (opening a pipe for reading would wait for a writer forever).
   */
  readRange(path: string, start: number, length: number): Promise<Buffer>;
  /** A new, exclusive `<dir>/.<name>.ossync-<random>.part` beside `target` (its folders created). */
  openTemp(target: string): Promise<TempFile>;
  /** Reopens an existing temp file; writes continue at its current end. */
  openTempForResume(tempPath: string): Promise<TempFile>;
  /** Deletes a file; one that is already gone is fine. */
  remove(path: string): Promise<void>;
  /**
   * Deletes the temp files openTemp made for `target` that are left over (a process that died
   * after creating one and before recording it), except `keep`. Returns how many went. (Two
   * downloads of one target at the same time: the other one loses its temp file and retries.)
   */
  removeStaleTemps(target: string, keep?: string): Promise<number>;
}

export interface TempFile {
  readonly path: string;
  size(): Promise<number>;
  /** Writes all of `data` at the current end (after `truncate`, at the new end). */
  write(data: Uint8Array): Promise<void>;
  /** Drops everything past `size` (a resume going back to the last verified part). */
  truncate(size: number): Promise<void>;
  /** fsync then close: the bytes survive a crash, for a later resume. */
  syncAndClose(): Promise<void>;
  /** Closes without fsync; calling it again, or after commit, does nothing. */
  close(): Promise<void>;
  /**
   * fsync, close, rename over `target` (atomic: readers see the old file or the new one, never
   * a partial one), then fsync the folder so the rename itself survives a crash.
   */
  commit(target: string): Promise<void>;
}

/** Operation names the fault hook sees. */
export type LocalFsOp =
  | 'lstat'
  | 'open'
  | 'read'
  | 'write'
  | 'truncate'
  | 'fstat'
  | 'fsync'
  | 'close'
  | 'rename'
  | 'mkdir'
  | 'unlink'
  | 'readdir';

export interface NodeLocalFsOptions {
  /**
   * Test hook, asked before each operation: return an errno error (say `code: 'ENOSPC'`) to
   * make that operation fail with it instead of running.
   */
  faults?: (op: LocalFsOp, path: string) => NodeJS.ErrnoException | undefined;
}

const TEMP_SUFFIX = '.part';
/** O_NONBLOCK does not exist on Windows, where opening a pipe by path does not block. */
const READ_NONBLOCK = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a path that is not a regular file is, for the message. */
export function notRegular(
  filePath: string,
  stats: { isFIFO(): boolean; isSocket(): boolean; isDirectory(): boolean },
): CoreError {
  const what = stats.isFIFO()
    ? 'a named pipe (FIFO)'
    : stats.isSocket()
      ? 'a socket'
      : stats.isDirectory()
        ? 'a folder'
        : 'a device';
  return new CoreError(
    'local-io',
    `${JSON.stringify(filePath)} is ${what} now, not a regular file, so it is not read or uploaded.`,
    { subject: filePath },
  );
}
const TEMP_MARK = '.ossync-';
/** Longest file name most file systems accept (ext4, APFS, NTFS in UTF-16 units). */
const NAME_MAX_BYTES = 255;

function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

const VERB: Record<LocalFsOp, string> = {
  lstat: 'look at',
  open: 'open',
  read: 'read',
  write: 'write to',
  truncate: 'truncate',
  fstat: 'look at',
  fsync: 'flush',
  close: 'close',
  rename: 'replace',
  mkdir: 'create the folder',
  unlink: 'delete',
  readdir: 'list the folder',
};

/**
 * Maps a Node file-system error to a CoreError whose message names the path and says what to
 * do. A CoreError passes through unchanged. Used by the pool's hashFile too.
 */
export function localError(error: unknown, op: LocalFsOp, filePath: string): CoreError {
  if (error instanceof CoreError) return error;
  const code = errnoCode(error);
  const shown = JSON.stringify(filePath);
  const detail = error instanceof Error ? error.message : String(error);
  let kind: ErrorCode;
  let message: string;
  // A file where a folder is needed (mkdir -p says EEXIST for the last name, ENOTDIR above).
  const fileInTheWay = op === 'mkdir' && (code === 'EEXIST' || code === 'ENOTDIR');
  switch (fileInTheWay ? 'file-in-the-way' : code) {
    case 'file-in-the-way':
      kind = 'local-io';
      message = `Could not create the folder ${shown}: a file has the name of it or of a folder above it. Move or rename that file, then retry the transfer.`;
      break;
    case 'ENOENT':
    case 'ENOTDIR':
      kind = 'local-not-found';
      message = `Could not ${VERB[op]} ${shown}: it (or a folder above it) does not exist; it may have been moved or deleted meanwhile.`;
      break;
    case 'EACCES':
    case 'EPERM':
      kind = 'local-permission';
      message = `Could not ${VERB[op]} ${shown}: permission denied. Check that this user may read and write there (and that no other program locks the file).`;
      break;
    case 'EROFS':
      kind = 'local-permission';
      message = `Could not ${VERB[op]} ${shown}: the disk is read-only. Choose a writable folder or remount the disk read-write.`;
      break;
    case 'ENOSPC':
    case 'EDQUOT':
      kind = 'disk-full';
      message = `Could not ${VERB[op]} ${shown}: the disk ${code === 'EDQUOT' ? 'quota is used up' : 'is full'}. Free some space, then retry the transfer (it goes on from where it stopped).`;
      break;
    case 'EISDIR':
      kind = 'local-io';
      message = `Could not ${VERB[op]} ${shown}: it is a folder. Move or rename the folder, then retry the transfer.`;
      break;
    default:
      kind = 'local-io';
      message = `Could not ${VERB[op]} ${shown}: ${detail}`;
  }
  return new CoreError(kind, message, { subject: filePath, cause: error });
}

/** Cuts a UTF-8 string to at most `maxBytes` bytes without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}

/** Temp name for `target`: hidden, beside it (same file system, so the commit is a rename). */
function tempPathFor(target: string, random: string): string {
  const fixed = 1 + TEMP_MARK.length + random.length + TEMP_SUFFIX.length;
  // A target name near the limit would give a temp name the file system refuses.
  const name = truncateUtf8(path.basename(target), NAME_MAX_BYTES - fixed);
  return path.join(path.dirname(target), `.${name}${TEMP_MARK}${random}${TEMP_SUFFIX}`);
}

/** Length of the random part of a temp name (hex). */
const TEMP_RANDOM_LENGTH = 12;

/** True for names openTemp makes, so a cleanup pass can find stale ones. */
export function isTempFileName(name: string): boolean {
  return /^\..*\.ossync-[0-9a-f]{12}\.part$/s.test(name);
}

type Faults = NodeLocalFsOptions['faults'];

/** Runs `action` unless the fault hook fails it; either way errors come out as CoreError. */
async function attempt<T>(
  faults: Faults,
  op: LocalFsOp,
  filePath: string,
  action: () => Promise<T>,
): Promise<T> {
  try {
    const injected = faults?.(op, filePath);
    if (injected) throw injected;
    return await action();
  } catch (error) {
    throw localError(error, op, filePath);
  }
}

export class NodeLocalFs implements LocalFs {
  private readonly faults: Faults;

  constructor(options: NodeLocalFsOptions = {}) {
    this.faults = options.faults;
  }

  private run<T>(op: LocalFsOp, filePath: string, action: () => Promise<T>): Promise<T> {
    return attempt(this.faults, op, filePath, action);
  }

  async identity(filePath: string): Promise<FileIdentity> {
    // The fault hook's label stays 'lstat' (tests inject by it); the call follows links.
    const stats = await this.run('lstat', filePath, () => stat(filePath, { bigint: true }));
    return { size: Number(stats.size), mtimeNs: stats.mtimeNs, ino: stats.ino, dev: stats.dev };
  }

  async readRange(filePath: string, start: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(length) || length < 0)
      throw new RangeError(`readRange(${start}, ${length}): expected non-negative integers`);
    // Non-blocking open: a named pipe would otherwise block until a writer came, forever.
    const handle = await this.run('open', filePath, () => open(filePath, READ_NONBLOCK));
    try {
      const stats = await this.run('fstat', filePath, () => handle.stat());
      if (!stats.isFile()) throw notRegular(filePath, stats);
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await this.run('read', filePath, () =>
          handle.read(buffer, filled, length - filled, start + filled),
        );
        if (bytesRead === 0) {
          throw new CoreError(
            'file-changed',
            `${JSON.stringify(filePath)} ends at byte ${start + filled}, before the ${length} bytes from ${start} that were to be read: it changed while being transferred. The transfer starts over from the file as it is now.`,
            { subject: filePath },
          );
        }
        filled += bytesRead;
      }
      return buffer;
    } finally {
      await handle.close().catch(() => undefined); // read-only: a close error loses nothing
    }
  }

  async openTemp(target: string): Promise<TempFile> {
    const dir = path.dirname(target);
    await this.run('mkdir', dir, () => mkdir(dir, { recursive: true }));
    for (let attempt = 0; ; attempt++) {
      const tempPath = tempPathFor(target, randomBytes(TEMP_RANDOM_LENGTH / 2).toString('hex'));
      try {
        const handle = await this.run('open', tempPath, () => open(tempPath, 'wx'));
        return new NodeTempFile(this.faults, tempPath, handle, 0);
      } catch (error) {
        // 48 random bits: a clash means a leftover from a crash at worst; try another name.
        const cause = error instanceof CoreError ? error.cause : error;
        if (errnoCode(cause) !== 'EEXIST' || attempt >= 3) throw error;
      }
    }
  }

  async openTempForResume(tempPath: string): Promise<TempFile> {
    const handle = await this.run('open', tempPath, () => open(tempPath, 'r+'));
    try {
      const stats = await this.run('fstat', tempPath, () => handle.stat());
      return new NodeTempFile(this.faults, tempPath, handle, stats.size);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  async removeStaleTemps(target: string, keep?: string): Promise<number> {
    const dir = path.dirname(target);
    // What every temp name of `target` starts with: `.<name>.ossync-`.
    const example = path.basename(tempPathFor(target, '0'.repeat(TEMP_RANDOM_LENGTH)));
    const stem = example.slice(0, -(TEMP_RANDOM_LENGTH + TEMP_SUFFIX.length));
    let names: string[];
    try {
      names = await this.run('readdir', dir, () => readdir(dir));
    } catch (error) {
      if (error instanceof CoreError && error.code === 'local-not-found') return 0;
      throw error;
    }
    let removed = 0;
    for (const name of names) {
      if (!isTempFileName(name) || name.length !== example.length || !name.startsWith(stem))
        continue;
      const stale = path.join(dir, name);
      if (stale === keep) continue;
      await this.remove(stale);
      removed++;
    }
    return removed;
  }

  async remove(filePath: string): Promise<void> {
    try {
      await this.run('unlink', filePath, () => unlink(filePath));
    } catch (error) {
      if (error instanceof CoreError && error.code === 'local-not-found') return;
      throw error;
    }
  }
}

/** Writes go to explicit positions (not O_APPEND) so `truncate` then `write` is well defined. */
class NodeTempFile implements TempFile {
  private handle: FileHandle | undefined;

  constructor(
    private readonly faults: Faults,
    readonly path: string,
    handle: FileHandle,
    private position: number,
  ) {
    this.handle = handle;
  }

  private run<T>(op: LocalFsOp, filePath: string, action: () => Promise<T>): Promise<T> {
    return attempt(this.faults, op, filePath, action);
  }

  private open(): FileHandle {
    if (!this.handle) throw new Error(`Temp file ${JSON.stringify(this.path)} is already closed`);
    return this.handle;
  }

  async size(): Promise<number> {
    const handle = this.open();
    const stats = await this.run('fstat', this.path, () => handle.stat());
    return stats.size;
  }

  async write(data: Uint8Array): Promise<void> {
    const handle = this.open();
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.run('write', this.path, () =>
        handle.write(data, done, data.length - done, this.position),
      );
      done += bytesWritten;
      this.position += bytesWritten;
    }
  }

  async truncate(size: number): Promise<void> {
    const handle = this.open();
    await this.run('truncate', this.path, () => handle.truncate(size));
    this.position = size;
  }

  async syncAndClose(): Promise<void> {
    const handle = this.open();
    await this.run('fsync', this.path, () => handle.sync());
    await this.close();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    this.handle = undefined;
    await this.run('close', this.path, () => handle.close());
  }

  async commit(target: string): Promise<void> {
    await this.syncAndClose();
    await this.run('rename', target, () => rename(this.path, target));
    await syncDirectory(this.faults, path.dirname(target));
  }
}

/**
 * Makes a rename durable. Windows cannot open a folder for fsync (NTFS journals the rename
 * itself), so it is skipped there.
 */
async function syncDirectory(faults: Faults, dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await attempt(faults, 'open', dir, () => open(dir, 'r'));
  try {
    await attempt(faults, 'fsync', dir, () => handle.sync());
  } finally {
    await handle.close().catch(() => undefined);
  }
}
