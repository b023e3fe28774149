/**
 * Uploads of files dropped into a browser (the headless host's `POST /api/upload`).
 *
 * A dropped file's bytes are streamed into `<dataDir>/staging/a<accountId>-<id>/` under a
 * temporary name, fsynced and renamed, and then queued as one ordinary upload job (batch
 * `drop-<id>`) in the account's runtime, so it is resumable and verified like any other
 * upload. The staged copy is deleted once its job is done or cancelled; a failed job keeps
 * it, so a retry can still read it.
 *
 * Every input is checked before a byte is written: the account id, the bucket name, the
 * prefix and the relative path (no `..`, `.`, empty, absolute, backslash, NUL or control
 * segments; normalized to NFC; the key at most 1023 UTF-8 bytes), the size and the free
 * disk space. A body that ends early or is aborted leaves nothing behind. At start, staged
 * folders of accounts that are gone and half-written ones are removed; when an account's
 * runtime starts, its staged folders whose job is finished or missing are removed too.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { ContractError, MAX_KEY_BYTES, utf8Length } from '../../../shared/contract/index.js';
import type { Job } from '../db/job-types.js';
import type { TransferRuntime } from '../runtime.js';
import type { ServiceContext } from './context.js';

/** The staging folder, under the data dir. */
export const STAGING_DIR = 'staging';
/** Free space kept beyond the file itself, so staging never fills the disk to the last byte. */
export const STAGING_RESERVE_BYTES = 64 * 1024 * 1024;
/** The largest file accepted at all (OSS's object limit is 48.8 TB); hosts set lower limits. */
export const STAGING_MAX_BYTES = 5 * 1024 ** 4;

const PARTIAL = '.partial';
const STAGED_DIR = /^a([1-9]\d{0,15})-([0-9a-f]{32})$/;
const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f]/;

export interface StageRequest {
  /** As given (a query parameter): checked here. */
  accountId: string;
  bucket: string;
  /** '' or ending with '/'. */
  prefix: string;
  /** The file's path relative to the drop (`photos/2024/a.jpg`); its last segment is the name. */
  path: string;
  /** The declared length of the body (Content-Length); the body must have exactly this many bytes. */
  size: number;
  body: AsyncIterable<Buffer | Uint8Array>;
}

export interface StagedUpload {
  accountId: number;
  batch: string;
  jobId: number;
  bucket: string;
  key: string;
  size: number;
}

export interface StagingApi {
  /**
   * Checks everything but the body, without writing anything; throws a ContractError
   * ('invalid-argument' or 'not-found' with the field as subject, 'disk-full').
   */
  check(request: Omit<StageRequest, 'body'>): Promise<{ accountId: number; key: string }>;
  /** Stages the body and queues its upload; throws as check() does, or 'cancelled' / 'incomplete-body'. */
  stage(request: StageRequest): Promise<StagedUpload>;
}

const invalid = (subject: string, message: string) =>
  new ContractError('invalid-argument', message, { subject });

/** Checks one relative path ('' allowed only for a prefix); returns it in NFC. */
function checkRelative(value: string, subject: string, kind: 'prefix' | 'path'): string {
  if (value.includes('\0') || CONTROL.test(value))
    throw invalid(subject, `The ${kind} contains a NUL or control character: remove it.`);
  if (value.includes('\\'))
    throw invalid(subject, `The ${kind} contains a backslash: separate folders with "/".`);
  const text = value.normalize('NFC');
  if (kind === 'prefix') {
    if (text === '') return text;
    if (!text.endsWith('/'))
      throw invalid(subject, 'The prefix must be empty or end with "/" (a folder).');
  } else if (text === '' || text.endsWith('/'))
    throw invalid(subject, 'The path must name a file: it is empty or ends with "/".');
  if (text.startsWith('/'))
    throw invalid(subject, `The ${kind} must be relative: it starts with "/".`);
  const segments = kind === 'prefix' ? text.slice(0, -1).split('/') : text.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..')
      throw invalid(
        subject,
        `The ${kind} has an empty, "." or ".." segment: give a plain relative path such as photos/2024/a.jpg.`,
      );
  }
  return text;
}

/** A staged file's name: the dropped file's name when it is a safe one everywhere. */
function stagedName(filePath: string): string {
  const name = filePath.slice(filePath.lastIndexOf('/') + 1);
  const safe =
    utf8Length(name) <= 200 &&
    !/[<>:"|?*]/.test(name) &&
    !/[. ]$/.test(name) &&
    !name.startsWith('.');
  return safe ? name : 'file';
}

export function createStaging(ctx: ServiceContext) {
  const root = path.join(ctx.dataDir, STAGING_DIR);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  /** Folders being written right now: the sweeps leave them alone. */
  const writing = new Set<string>();
  const pending = new Set<Promise<unknown>>();
  /** Bytes that stages under way will still write: counted against the free space. */
  let reserved = 0;
  let closed = false;

  function track<T>(promise: Promise<T>): Promise<T> {
    pending.add(promise);
    void promise.finally(() => pending.delete(promise)).catch(() => undefined);
    return promise;
  }

  async function remove(dir: string): Promise<void> {
    try {
      await rm(path.join(root, dir), { recursive: true, force: true });
    } catch (error) {
      ctx.logger.warn({ dir, detail: String(error) }, 'a staged folder could not be removed');
    }
  }

  /** The staged folder of a job, when the job's file is one (and only then). */
  function stagedDirOf(job: Job): string | undefined {
    if (job.kind !== 'upload' || job.localPath === null || job.batch === null) return undefined;
    const dir = path.dirname(job.localPath);
    if (path.dirname(dir) !== root) return undefined;
    const name = path.basename(dir);
    const match = STAGED_DIR.exec(name);
    return match !== null && job.batch === `drop-${match[2]}` ? name : undefined;
  }

  /** Staged folders of gone accounts, and folders without a finished file, go at start. */
  async function sweepAtStart(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return;
    }
    for (const name of names) {
      const match = STAGED_DIR.exec(name);
      if (writing.has(name)) continue;
      if (match === null || ctx.accounts.get(Number(match[1])) === undefined) {
        await remove(name);
        continue;
      }
      const files = await readdir(path.join(root, name)).catch(() => [] as string[]);
      const finished = files.filter((file) => !file.endsWith(PARTIAL));
      if (finished.length === 0) await remove(name);
    }
  }

  /** When an account's runtime starts: its staged folders whose job is finished or gone. */
  async function sweepAccount(accountId: number, runtime: TransferRuntime): Promise<void> {
    const names = await readdir(root).catch(() => [] as string[]);
    for (const name of names) {
      const match = STAGED_DIR.exec(name);
      if (match === null || Number(match[1]) !== accountId || writing.has(name)) continue;
      const jobs = runtime.store.list({ batch: `drop-${match[2]}` });
      if (jobs.every((job) => job.state === 'done' || job.state === 'cancelled'))
        await remove(name);
    }
  }

  const started = track(sweepAtStart());
  const unsubscribe = ctx.onRuntime((accountId, runtime) => {
    void track(started.then(() => sweepAccount(accountId, runtime)));
    const onJob = (job: Job) => {
      if (job.state !== 'done' && job.state !== 'cancelled') return;
      const dir = stagedDirOf(job);
      if (dir !== undefined) void track(remove(dir));
    };
    runtime.engine.on('job', onJob);
    return () => {
      runtime.engine.off('job', onJob);
    };
  });

  async function check(request: Omit<StageRequest, 'body'>) {
    if (!/^[1-9]\d{0,15}$/.test(request.accountId))
      throw invalid('accountId', 'The account id must be a positive whole number.');
    const accountId = Number(request.accountId);
    ctx.accountRow(accountId, 'accountId');
    if (!BUCKET.test(request.bucket))
      throw invalid(
        'bucket',
        'The bucket name is not valid: use 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit.',
      );
    const prefix = checkRelative(request.prefix, 'prefix', 'prefix');
    const filePath = checkRelative(request.path, 'path', 'path');
    const key = prefix + filePath;
    if (utf8Length(key) > MAX_KEY_BYTES)
      throw invalid(
        'path',
        `The object key would be ${utf8Length(key)} bytes; OSS allows at most ${MAX_KEY_BYTES}.`,
      );
    if (!Number.isSafeInteger(request.size) || request.size < 0)
      throw invalid('size', 'The size must be a whole number of bytes.');
    if (request.size > STAGING_MAX_BYTES)
      throw invalid('size', `The file is larger than ${STAGING_MAX_BYTES} bytes.`);
    const space = await statfs(root);
    const free = Number(space.bavail) * Number(space.bsize);
    if (free < request.size + reserved + STAGING_RESERVE_BYTES)
      throw new ContractError(
        'disk-full',
        `Not enough free disk space to stage ${request.size} bytes in ${root} (${free} bytes free, ${reserved} promised to uploads under way, ${STAGING_RESERVE_BYTES} kept in reserve): free some space and drop the file again.`,
        { subject: root },
      );
    return { accountId, key, filePath };
  }

  async function stage(request: StageRequest): Promise<StagedUpload> {
    if (closed) throw new ContractError('unknown', 'The service is closed.');
    await started;
    const { accountId, key, filePath } = await check(request);
    // What is written stops counting as promised: the disk's free space shows it by then.
    const promise = { bytes: request.size };
    reserved += promise.bytes;
    try {
      return await stageChecked(request, accountId, key, filePath, promise);
    } finally {
      reserved -= promise.bytes;
    }
  }

  async function stageChecked(
    request: StageRequest,
    accountId: number,
    key: string,
    filePath: string,
    promise: { bytes: number },
  ): Promise<StagedUpload> {
    // Started before any byte is read: an account that cannot run refuses the drop at once.
    const runtime = await ctx.runtimeFor(accountId, 'accountId');
    const id = randomBytes(16).toString('hex');
    const dirName = `a${accountId}-${id}`;
    const dir = path.join(root, dirName);
    const final = path.join(dir, stagedName(filePath));
    const temp = `${final}${PARTIAL}`;
    writing.add(dirName);
    try {
      await mkdir(dir, { mode: 0o700 });
      const handle = await open(temp, 'wx', 0o600);
      let received = 0;
      try {
        for await (const chunk of request.body) {
          received += chunk.length;
          if (received > request.size)
            throw new ContractError(
              'invalid-argument',
              `The body is longer than its Content-Length (${request.size} bytes).`,
              { subject: 'size' },
            );
          for (let offset = 0; offset < chunk.length;) {
            const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
            offset += bytesWritten;
          }
          const written = Math.min(chunk.length, promise.bytes);
          promise.bytes -= written;
          reserved -= written;
        }
        if (received !== request.size)
          throw new ContractError(
            'incomplete-body',
            `The body ended after ${received} of ${request.size} bytes: drop the file again.`,
            { subject: 'size' },
          );
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, final);
      const dirHandle = await open(dir, 'r');
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
      const batch = `drop-${id}`;
      const [jobId] = runtime.engine.add([
        {
          kind: 'upload',
          bucket: request.bucket,
          key,
          localPath: final,
          size: request.size,
          batch,
        },
      ]);
      if (jobId === undefined) throw new Error('the engine queued no job');
      return { accountId, batch, jobId, bucket: request.bucket, key, size: request.size };
    } catch (error) {
      await remove(dirName);
      throw stagingError(error, root, ctx);
    } finally {
      writing.delete(dirName);
    }
  }

  const api: StagingApi = {
    check: async (request) => {
      const { accountId, key } = await check(request);
      return { accountId, key };
    },
    stage: (request) => track(stage(request)),
  };

  return {
    api,
    async close() {
      closed = true;
      unsubscribe();
      await Promise.allSettled([...pending]);
    },
  };
}

/** A failure while staging, as a ContractError that names what to do. */
function stagingError(error: unknown, root: string, ctx: ServiceContext): ContractError {
  if (error instanceof ContractError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new ContractError(
      'disk-full',
      `The disk holding ${root} is full: free some space and drop the file again.`,
      { subject: root },
    );
  if (
    code === 'ECONNRESET' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    (error as Error).message === 'aborted'
  )
    return new ContractError('cancelled', 'The upload was aborted before its last byte.');
  if (code === 'EACCES' || code === 'EPERM')
    return new ContractError(
      'local-permission',
      `OSSync may not write to ${root}: give it write access to its data directory.`,
      { subject: root },
    );
  const detail = error instanceof Error ? error.message : String(error);
  ctx.logger.error({ detail }, 'staging a dropped file failed');
  return new ContractError('local-io', `Staging the dropped file in ${root} failed: ${detail}`, {
    subject: root,
  });
}
