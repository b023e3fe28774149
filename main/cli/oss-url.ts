/**
 * `oss://bucket/key-or-prefix` as the CLI takes it. The key is kept exactly as written (no
 * Unicode normalisation, no collapsing of `//` or `..`): OSS keys are opaque strings, and a
 * command must address the object the user typed. A trailing `/` (or nothing after the
 * bucket) means a prefix.
 */

export interface OssUrl {
  bucket: string;
  /** The key or prefix, exactly as written ('' for the whole bucket). */
  key: string;
  /** True when the path ends in `/` or is empty: it names a prefix, not one object. */
  isPrefix: boolean;
}

const SCHEME = 'oss://';
const MAX_KEY_BYTES = 1023;
/** OSS: 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export class OssUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OssUrlError';
  }
}

/** Why `name` is not a valid bucket name, or undefined when it is one. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63)
    return `it is ${name.length} characters long; bucket names have 3 to 63`;
  if (/[A-Z]/.test(name)) return 'it has upper-case letters; bucket names are lower-case';
  if (!BUCKET_NAME.test(name))
    return 'use lower-case letters, digits and hyphens only, starting and ending with a letter or digit';
  return undefined;
}

export function parseOssUrl(text: string): OssUrl {
  if (!text.startsWith(SCHEME)) {
    const hint = /^[a-z][a-z0-9+.-]*:\/\//i.test(text)
      ? `only oss:// is understood`
      : `write oss://BUCKET/KEY, or oss://BUCKET/PREFIX/ for a prefix`;
    throw new OssUrlError(`${JSON.stringify(text)} is not an oss:// URL: ${hint}.`);
  }
  const rest = text.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (bucket === '')
    throw new OssUrlError(`${JSON.stringify(text)} has no bucket name: write oss://BUCKET/KEY.`);
  const problem = bucketNameProblem(bucket);
  if (problem !== undefined)
    throw new OssUrlError(`${JSON.stringify(bucket)} is not a valid bucket name: ${problem}.`);
  if (key.startsWith('/'))
    throw new OssUrlError(
      `${JSON.stringify(text)}: object keys cannot start with "/" (write oss://${bucket}/${key.replace(/^\/+/, '')}).`,
    );
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES)
    throw new OssUrlError(
      `The key in ${JSON.stringify(text.slice(0, 80))}... is ${bytes} bytes long; OSS keys have at most ${MAX_KEY_BYTES}.`,
    );
  return { bucket, key, isPrefix: key === '' || key.endsWith('/') };
}

export function formatOssUrl(bucket: string, key: string): string {
  return `${SCHEME}${bucket}/${key}`;
}

/**
 * The prefix of the "folder" a key or prefix sits in: `a/b/c` -> `a/b/`, `a/photos/` ->
 * `a/`, `top` -> ''. What is left after it is the name a download keeps, like `cp -r`.
 */
export function parentPrefix(key: string): string {
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  const slash = trimmed.lastIndexOf('/');
  return slash < 0 ? '' : trimmed.slice(0, slash + 1);
}
