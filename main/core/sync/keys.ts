/**
 * How local names become OSS keys, and in which order keys sort. Keys are compared by their
 * UTF-8 bytes: the order of OSS listings and of SQLite's BINARY collation, so the local walk,
 * the journal and the remote listing can be merged in one pass.
 */
import { CoreError } from '../errors.js';

/** OSS refuses longer keys. */
export const MAX_KEY_BYTES = 1023;

/**
 * Orders two keys by their UTF-8 bytes. UTF-16 code-unit order (JavaScript's `<`) is the same
 * order for every character below U+D800; it differs only where a surrogate pair (a code point
 * above U+FFFF, UTF-8 F0..) meets a character in U+E000..U+FFFF (UTF-8 EE/EF..), which UTF-16
 * puts the other way round. So the strings are compared unit by unit and only the first
 * differing pair is fixed up when both units are at or above U+D800: no encoding, no allocation.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const length = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (D800-DFFF) move above E000-FFFF, as their code points (and bytes) are.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

/** Printable ASCII only: no normalisation, no control characters, one byte per character. */
const PLAIN = /^[\x20-\x7e]*$/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\x00-\x1f\x7f]/;
/** A UTF-16 surrogate that is not part of a pair (possible in Windows file names). */
const LONE_SURROGATE = /\p{Cs}/u;

const CONTROL_NAMES: Record<number, string> = {
  0: 'NUL',
  9: 'TAB',
  10: 'LF',
  13: 'CR',
  127: 'DEL',
};

/** The key segment for a file or folder name: Unicode NFC (macOS may store names as NFD). */
export function nameToKeySegment(name: string): string {
  return PLAIN.test(name) ? name : name.normalize('NFC');
}

/** True when `text` is printable ASCII (cheap pre-check before the slower Unicode work). */
export function isPlainAscii(text: string): boolean {
  return PLAIN.test(text);
}

function shown(text: string): string {
  const json = JSON.stringify(text);
  return json.length > 120 ? `${json.slice(0, 60)}...${json.slice(-50)}` : json;
}

function describeControl(text: string): string {
  const code = text.charCodeAt(text.search(CONTROL));
  const name = CONTROL_NAMES[code];
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return name ? `${name} (${hex})` : hex;
}

function utf8Length(text: string): number {
  return PLAIN.test(text) ? text.length : Buffer.byteLength(text);
}

/**
 * Checks a folder pair's key prefix and returns it normalised: '' (the whole bucket) or NFC
 * text ending with '/', without a leading '/'. Throws CoreError('invalid-key') naming the problem.
 */
export function normalizePrefix(prefix: string): string {
  const refuse = (why: string): never => {
    throw new CoreError('invalid-key', `The key prefix ${shown(prefix)} cannot be used: ${why}.`, {
      subject: prefix,
    });
  };
  let result = nameToKeySegment(prefix);
  if (result.startsWith('//')) refuse('it has an empty segment ("//")');
  if (result.startsWith('/')) result = result.slice(1);
  if (result === '') return '';
  if (CONTROL.test(result))
    refuse(
      `it contains the control character ${describeControl(result)}, which OSS listings cannot return`,
    );
  if (LONE_SURROGATE.test(result)) refuse('it is not valid Unicode (a lone UTF-16 surrogate)');
  if (result.startsWith('\\')) refuse('OSS keys cannot start with a backslash');
  if (!result.endsWith('/')) result += '/';
  const segments = result.slice(0, -1).split('/');
  if (segments.includes('')) refuse('it has an empty segment ("//")');
  if (segments.includes('..'))
    refuse('it has a ".." segment, which would mean a different folder when downloaded');
  if (segments.includes('.')) refuse('it has a "." segment, which no folder can be named');
  // The longest key under it must leave room for at least a one-byte name.
  const bytes = utf8Length(result);
  if (bytes >= MAX_KEY_BYTES)
    refuse(`it is ${bytes} bytes long in UTF-8; keys under it must stay within ${MAX_KEY_BYTES}`);
  return result;
}

/**
 * Checks that `prefix + path` can be an OSS key: 1..1023 UTF-8 bytes, no control characters
 * (OSS listings return keys in XML, where those do not survive), valid Unicode, and not
 * starting with '/' or '\'. `prefix` is a normalised prefix, `path` a pair-relative NFC path.
 * With `isFolder`, `path` is a folder: the key `prefix + path + '/'` must leave room for the
 * names in it. Returns a message for the user that names the path and says what to do, or
 * undefined.
 */
export function checkKey(prefix: string, path: string, isFolder = false): string | undefined {
  const key = isFolder ? `${prefix}${path}/` : prefix + path;
  // A folder's key needs at least one more byte for a name inside it.
  const limit = isFolder ? MAX_KEY_BYTES - 1 : MAX_KEY_BYTES;
  if (PLAIN.test(path)) {
    // The common case: only the length can be wrong (the prefix was checked already).
    const first = key.charCodeAt(0);
    if (path.length > 0 && key.length <= limit && first !== 0x2f && first !== 0x5c)
      return undefined;
  }
  const problem = keyProblem(key, path, isFolder, limit);
  if (problem === undefined) return undefined;
  const where = prefix === '' ? '' : ` with the prefix ${shown(prefix)}`;
  return `${shown(path)} cannot be synced: ${problem.replace('{where}', () => where)}`;
}

/** What is wrong with a key that failed the fast check, or undefined. */
function keyProblem(
  key: string,
  path: string,
  isFolder: boolean,
  limit: number,
): string | undefined {
  const fix = 'Rename it, or add it to the ignore patterns.';
  if (path === '') return 'it is empty.';
  if (CONTROL.test(path))
    return `its name contains the control character ${describeControl(path)}, which OSS cannot list. ${fix}`;
  if (LONE_SURROGATE.test(path))
    return `its name is not valid Unicode (a lone UTF-16 surrogate). ${fix}`;
  if (key.startsWith('\\') || key.startsWith('/'))
    return `OSS keys cannot start with "${key[0]}". ${fix}`;
  const bytes = utf8Length(key);
  if (bytes <= limit) return undefined;
  const advice = 'Shorten its name or the names of the folders above it, or move it higher up.';
  return isFolder
    ? `the object keys of the files in it{where} would be more than the ${MAX_KEY_BYTES} bytes OSS allows (the folder's own part is ${bytes} bytes in UTF-8). ${advice}`
    : `its object key{where} would be ${bytes} bytes long in UTF-8, more than the ${MAX_KEY_BYTES} OSS allows. ${advice}`;
}

/**
 * Orders two names of one folder that have the same NFC form, so exactly one of them becomes
 * the key (the others are reported): the name already in NFC first, then code-unit order. Any
 * fixed rule would do; it must only be the same for a full scan and a scoped rescan.
 */
export function compareCollidingNames(a: string, b: string, key: string): number {
  if (a === key) return -1;
  if (b === key) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
