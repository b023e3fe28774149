/**
 * The small JSON files secrets are kept in: written atomically (temp file, fsync, rename,
 * fsync of the folder) with mode 0600, and, for files a person prepares by hand, checked to be
 * owned by the current user and unreadable by anyone else before a byte is read.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CoreError } from '../errors.js';

const OWNER_ONLY = 0o600;
const isWindows = process.platform === 'win32';

/** Writes `text` to `file` so readers see the old content or the new one, never a mix. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  // O_EXCL: never write through a file (or symlink) someone placed at the temp name.
  const handle = await open(temp, 'wx', OWNER_ONLY);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    await handle.close();
    await rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDir(dir);
}

/** Makes the rename durable. Windows cannot open a folder for fsync; NTFS journals it. */
async function syncDir(dir: string): Promise<void> {
  if (isWindows) return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/**
 * Throws unless the open file is a regular file owned by the current user with no access for
 * group or others. Checked on the open descriptor, so the file cannot be swapped in between.
 * Windows has no POSIX modes; there the folder's ACL is the user's business.
 */
async function checkOwnerOnly(handle: FileHandle, file: string, what: string): Promise<void> {
  const info = await handle.stat();
  if (!info.isFile())
    throw new CoreError('invalid-argument', `The ${what} ${file} is not a regular file.`, {
      subject: file,
    });
  if (isWindows) return;
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid)
    throw new CoreError(
      'local-permission',
      `The ${what} ${file} is owned by uid ${info.uid}, not by the user running OSSync (uid ${uid}); refusing to read secrets another user can change. Run: chown ${uid} '${file}' && chmod 600 '${file}'`,
      { subject: file },
    );
  if ((info.mode & 0o077) !== 0)
    throw new CoreError(
      'local-permission',
      `The ${what} ${file} has mode ${octal(info.mode)}, so other users can read it; it must be readable by its owner only. Run: chmod 600 '${file}'`,
      { subject: file },
    );
}

export interface ReadSecretFileOptions {
  /** Refuse the file unless it is owned by the current user with mode 0600 or stricter. */
  ownerOnly: boolean;
  /** How the file is named in errors (`secrets file`). */
  what: string;
}

/**
 * The file's content parsed as a JSON object of strings, or undefined when it does not exist.
 * Errors name the file and the problem, never a value from it.
 */
export async function readSecretFile(
  file: string,
  options: ReadSecretFileOptions,
): Promise<Map<string, string> | undefined> {
  let handle: FileHandle;
  try {
    // O_NOFOLLOW is not on Windows; elsewhere a symlink could point the check at another file.
    handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP')
      throw new CoreError(
        'invalid-argument',
        `The ${options.what} ${file} is a symbolic link; give the path of the file itself.`,
        { subject: file },
      );
    throw new CoreError(
      'local-io',
      `Cannot open the ${options.what} ${file} (${code ?? 'error'}).`,
      {
        subject: file,
        cause: error,
      },
    );
  }
  let text: string;
  try {
    if (options.ownerOnly) await checkOwnerOnly(handle, file, options.what);
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  return parseSecretJson(text, file, options.what);
}

function parseSecretJson(text: string, file: string, what: string): Map<string, string> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // The parser's message quotes the text around the error, which may be a secret.
    throw new CoreError('invalid-argument', `The ${what} ${file} is not valid JSON.`, {
      subject: file,
    });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new CoreError(
      'invalid-argument',
      `The ${what} ${file} must hold a JSON object of secret ref to secret, like {"account:1:accessKeySecret": "..."}.`,
      { subject: file },
    );
  const map = new Map<string, string>();
  for (const [ref, value] of Object.entries(data)) {
    if (typeof value !== 'string')
      throw new CoreError(
        'invalid-argument',
        `The ${what} ${file}: the value of ${JSON.stringify(ref)} must be a string.`,
        { subject: file },
      );
    map.set(ref, value);
  }
  return map;
}

/** The map as the JSON object `readSecretFile` reads, sorted for stable diffs. */
export function secretJson(map: ReadonlyMap<string, string>): string {
  const sorted = Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}
