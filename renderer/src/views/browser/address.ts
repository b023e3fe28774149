/**
 * The Browser's address bar: `oss://bucket/prefix/` parsed and checked with the contract's
 * own rules (bucket names, key length), and the breadcrumbs of a prefix.
 */
import { bucketName, MAX_KEY_BYTES, utf8Length } from '../../../../shared/contract/index.js';

export interface Location {
  bucket: string;
  /** '' (the bucket's top) or a folder ending in '/'. */
  prefix: string;
}

/** Why an address was refused: a key under `browser:address.errors`. */
export type AddressError =
  'empty' | 'scheme' | 'bucket' | 'emptySegment' | 'badSegment' | 'tooLong';

export type ParsedAddress = { ok: true; location: Location } | { ok: false; error: AddressError };

const SCHEME = 'oss://';
// eslint-disable-next-line no-control-regex
const UNWANTED = /[\\\u0000-\u001f\u007f]/;

export function formatAddress({ bucket, prefix }: Location): string {
  return `${SCHEME}${bucket}/${prefix}`;
}

/**
 * `oss://bucket`, `oss://bucket/` and `oss://bucket/a/b/` (a trailing '/' is added when it
 * is missing: an address names a folder). Spaces around it are ignored.
 */
export function parseAddress(input: string): ParsedAddress {
  const text = input.trim();
  if (text === '') return { ok: false, error: 'empty' };
  if (text.slice(0, SCHEME.length).toLowerCase() !== SCHEME) return { ok: false, error: 'scheme' };
  const rest = text.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  if (!bucketName().safeParse(bucket).success) return { ok: false, error: 'bucket' };
  let prefix = slash === -1 ? '' : rest.slice(slash + 1);
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  if (prefix !== '') {
    const segments = prefix.slice(0, -1).split('/');
    if (segments.some((segment) => segment === '')) return { ok: false, error: 'emptySegment' };
    if (segments.some((s) => s === '.' || s === '..' || UNWANTED.test(s)))
      return { ok: false, error: 'badSegment' };
  }
  if (utf8Length(prefix) > MAX_KEY_BYTES) return { ok: false, error: 'tooLong' };
  return { ok: true, location: { bucket, prefix } };
}

export interface Crumb {
  /** The folder's own name (the last segment). */
  name: string;
  prefix: string;
}

/** 'a/b/' -> [{ name: 'a', prefix: 'a/' }, { name: 'b', prefix: 'a/b/' }]. */
export function breadcrumbs(prefix: string): Crumb[] {
  if (prefix === '') return [];
  const crumbs: Crumb[] = [];
  let at = '';
  for (const segment of prefix.slice(0, -1).split('/')) {
    at += `${segment}/`;
    crumbs.push({ name: segment, prefix: at });
  }
  return crumbs;
}

/** The name shown for a key inside `prefix`: 'a/b/c.txt' in 'a/b/' -> 'c.txt'; 'a/b/d/' -> 'd'. */
export function nameIn(prefix: string, key: string): string {
  const rest = key.startsWith(prefix) ? key.slice(prefix.length) : key;
  return rest.endsWith('/') ? rest.slice(0, -1) : rest;
}

/** Why a new folder name is refused: a key under `browser:createFolder.errors`. */
export type FolderNameError = 'empty' | 'slash' | 'badName' | 'tooLong';

export function checkFolderName(prefix: string, name: string): FolderNameError | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'empty';
  if (trimmed.includes('/')) return 'slash';
  if (trimmed === '.' || trimmed === '..' || UNWANTED.test(trimmed)) return 'badName';
  if (utf8Length(`${prefix}${trimmed}/`) > MAX_KEY_BYTES) return 'tooLong';
  return null;
}

/** Why a download folder is refused: a key under `browser:download.errors`. */
export type LocalDirError = 'empty' | 'relative' | 'dotdot' | 'badChar';

/** An absolute local folder (POSIX, `C:\` or `\\server\share`), without '..' segments. */
export function checkLocalDir(value: string): LocalDirError | null {
  const text = value.trim();
  if (text === '') return 'empty';
  if (text.includes('\0')) return 'badChar';
  const absolute = text.startsWith('/') || /^[A-Za-z]:[\\/]/.test(text) || /^\\\\[^\\]/.test(text);
  if (!absolute) return 'relative';
  if (text.split(/[\\/]/).some((segment) => segment === '..')) return 'dotdot';
  return null;
}
