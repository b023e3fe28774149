/**
 * Where a downloaded object goes on disk. Object keys are arbitrary UTF-8 chosen by whoever
 * wrote to the bucket, so a key is turned into a path only when every segment is a plain,
 * portable file name and the result stays strictly inside the sync folder.
 *
 * Strict on every platform: names Windows cannot create (reserved device names, a trailing
 * space or dot) are refused on Linux and macOS too, so a folder pair behaves the same
 * wherever it is synced and a bucket synced from two machines never diverges. Only the
 * characters Windows forbids but POSIX allows (`: < > " | ? *`) depend on `platform`: they
 * are ordinary characters on Linux and macOS and refused on Windows (`:` there would even
 * address an NTFS alternate data stream). A key that starts with a letter and `:` ("c:x") is
 * refused everywhere, as a drive path.
 *
 * No Unicode normalisation: the key's characters are kept as they are, so the file name
 * maps back to exactly the same key on upload. Two keys that differ only in case can
 * therefore land on the same file on macOS and Windows, and two that differ only in
 * normalisation (NFC/NFD) on macOS; detecting such collisions is the planner's job.
 */
import path from 'node:path';
import { CoreError } from '../errors.js';

export interface LocalPathOptions {
  /** Removed verbatim from the start of the key (a folder prefix should end in `/`). */
  stripPrefix?: string;
  /** Whose file-name rules and path syntax apply; default `process.platform`. */
  platform?: NodeJS.Platform;
}

/** Longest file name ext4 and APFS accept, in UTF-8 bytes (NTFS: 255 UTF-16 units, never fewer). */
const MAX_SEGMENT_BYTES = 255;

/** Device names on Windows, with or without an extension, in any case (COM¹..³ count too). */
const WINDOWS_RESERVED = /^(?:CON|PRN|AUX|NUL|COM[1-9¹²³]|LPT[1-9¹²³])$/i;

const WINDOWS_FORBIDDEN = /[:<>"|?*]/;

const CONTROL_NAMES: Record<number, string> = {
  0: 'NUL',
  9: 'TAB',
  10: 'LF',
  13: 'CR',
  127: 'DEL',
};

const ADVICE = 'Rename the object in the bucket, or exclude it from this folder pair.';

function shown(key: string): string {
  const text = JSON.stringify(key);
  return text.length > 200 ? `${text.slice(0, 200)}..."` : text;
}

function refuse(key: string, why: string, advice = ADVICE): never {
  throw new CoreError(
    'invalid-key',
    `Object key ${shown(key)} cannot be downloaded: ${why}. ${advice}`,
    {
      subject: key,
    },
  );
}

function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Checks one segment of a key that passed the whole-key checks (no `/`, `\`, controls). */
function checkSegment(key: string, segment: string, windows: boolean): void {
  if (segment === '')
    refuse(key, 'it has an empty segment ("//"), which no file system can represent');
  if (segment === '.')
    refuse(key, 'it has a "." segment, which means "this folder" on disk, not a name');
  if (segment === '..')
    refuse(key, 'it has a ".." segment, which would point outside the folder it is in');
  const bytes = Buffer.byteLength(segment);
  if (bytes > MAX_SEGMENT_BYTES)
    refuse(
      key,
      `the name ${JSON.stringify(segment.slice(0, 40))}... is ${bytes} bytes long in UTF-8, more than the ${MAX_SEGMENT_BYTES} a file name can have`,
    );
  if (segment.endsWith(' ') || segment.endsWith('.'))
    refuse(
      key,
      `the name ${JSON.stringify(segment)} ends with a ${segment.endsWith(' ') ? 'space' : 'dot'}, which Windows cannot create (refused on every platform so all copies of a folder agree)`,
    );
  // Windows ignores the extension and trailing spaces when it matches device names: "con .txt".
  const stem = segment.split('.')[0]!.trimEnd();
  if (WINDOWS_RESERVED.test(stem))
    refuse(
      key,
      `the name ${JSON.stringify(segment)} is a reserved device name on Windows (refused on every platform so all copies of a folder agree)`,
    );
  if (windows) {
    const bad = WINDOWS_FORBIDDEN.exec(segment);
    if (bad)
      refuse(
        key,
        `the name ${JSON.stringify(segment)} contains "${bad[0]}", which Windows does not allow in file names`,
      );
  }
}

/**
 * The local path for `key` under `root` (absolute). Throws CoreError('invalid-key') naming the
 * key and the reason when the key is not a safe, portable relative file path; a key ending in
 * `/` (a folder marker object) has its own message so the caller can skip or create a folder.
 */
export function localPathForKey(root: string, key: string, options: LocalPathOptions = {}): string {
  const platform = options.platform ?? process.platform;
  const windows = platform === 'win32';
  const paths = windows ? path.win32 : path.posix;
  if (!paths.isAbsolute(root))
    throw new RangeError(`root must be an absolute path, got ${JSON.stringify(root)}`);

  let rel = key;
  const prefix = options.stripPrefix;
  if (prefix) {
    if (!key.startsWith(prefix))
      refuse(
        key,
        `it does not start with the folder pair's prefix ${JSON.stringify(prefix)}`,
        'This is a bug in the caller; please report it.',
      );
    rel = key.slice(prefix.length);
    if (rel === '')
      refuse(
        key,
        `nothing is left of it after the prefix ${JSON.stringify(prefix)} (it is the prefix's own folder marker)`,
        'It can be skipped.',
      );
    if (rel.startsWith('/') && !prefix.endsWith('/'))
      refuse(
        key,
        `after the prefix ${JSON.stringify(prefix)} it starts with "/"`,
        'Give the prefix with its trailing "/".',
      );
  }
  if (rel === '') refuse(key, 'it is empty');

  // Whole-key checks first, most specific first, so each hostile shape gets its own message.
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f]/.exec(rel);
  if (control) {
    const code = control[0].charCodeAt(0);
    const name = CONTROL_NAMES[code] ?? codePoint(control[0]);
    refuse(
      key,
      `it contains the control character ${name} (${codePoint(control[0])}), which file names must not hold`,
    );
  }
  if (/\p{Cs}/u.test(rel))
    refuse(key, 'it contains a lone UTF-16 surrogate, which has no UTF-8 form and so no file name');
  if (rel.startsWith('\\\\') || rel.startsWith('//'))
    refuse(
      key,
      'it starts like a Windows network path (\\\\server\\share), which would leave the sync folder',
    );
  if (/^[A-Za-z]:/.test(rel))
    refuse(
      key,
      `it starts with the drive letter "${rel.slice(0, 2)}", which would leave the sync folder on Windows`,
    );
  if (rel.includes('\\'))
    refuse(
      key,
      'it contains a backslash, which is a folder separator on Windows; keys must use "/" only',
    );
  if (rel.startsWith('/'))
    refuse(key, 'it is absolute (starts with "/"); keys are paths relative to the bucket');

  const folder = rel.endsWith('/');
  const segments = (folder ? rel.slice(0, -1) : rel).split('/');
  for (const segment of segments) checkSegment(key, segment, windows);
  if (folder)
    refuse(
      key,
      'it ends with "/", so it is a folder marker, not a file',
      'Create the folder instead of a file, or skip it.',
    );

  // Belt and braces: whatever slipped through above, the result must be strictly inside root.
  const base = paths.resolve(root);
  const target = paths.resolve(base, ...segments);
  const inside = paths.relative(base, target);
  if (
    inside === '' ||
    inside === '..' ||
    inside.startsWith(`..${paths.sep}`) ||
    paths.isAbsolute(inside)
  )
    refuse(
      key,
      `it resolves to ${JSON.stringify(target)}, outside the sync folder ${JSON.stringify(base)}`,
    );
  return target;
}

/** Two keys that would be one local file (see sameFileTwins). */
export interface SameFileTwins {
  /** The local path of the first key. */
  path: string;
  keys: [string, string];
  /** What makes them one file, for a message: "ignore case" or "ignore case and ...". */
  why: string;
}

/**
 * The first two of `targets` (local path, key) whose paths differ but name one file on
 * `platform`'s usual file system: NTFS (Windows) ignores case, APFS and HFS+ (macOS) ignore
 * case and Unicode normalisation (NFC/NFD); Linux file systems compare bytes, so there are
 * none there. A download of both would write one file twice and keep only the last.
 */
export function sameFileTwins(
  targets: Iterable<readonly [localPath: string, key: string]>,
  platform: NodeJS.Platform = process.platform,
): SameFileTwins | undefined {
  if (platform !== 'win32' && platform !== 'darwin') return undefined;
  const fold =
    platform === 'win32'
      ? (p: string) => p.toLowerCase()
      : (p: string) => p.normalize('NFC').toLowerCase();
  const seen = new Map<string, readonly [string, string]>();
  for (const target of targets) {
    const folded = fold(target[0]);
    const other = seen.get(folded);
    if (other !== undefined && other[0] !== target[0])
      return {
        path: other[0],
        keys: [other[1], target[1]],
        why:
          platform === 'win32'
            ? 'ignore case'
            : 'ignore case and Unicode normalisation (NFC and NFD are one name)',
      };
    if (other === undefined) seen.set(folded, target);
  }
  return undefined;
}
