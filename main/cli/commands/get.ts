import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { NewJob } from '../../core/db/job-types.js';
import { isCoreError } from '../../core/errors.js';
import { obstacleBetween } from '../../core/fs/download-target.js';
import { localPathForKey } from '../../core/fs/local-paths.js';
import type { RemoteStore } from '../../core/remote/remote-store.js';
import { CliError, usageError } from '../cli-error.js';
import { formatOssUrl, parentPrefix, parseOssUrl, type OssUrl } from '../oss-url.js';
import { processOutput } from '../output.js';
import { addTransferOptions, type TransferFlags } from '../transfer-options.js';
import { runTransfer, type JobSink, type TransferCommand } from '../transfer-run.js';

/** Where a rerun goes on: the continuation token of the next page; null when all are queued. */
interface GetCursor {
  token: string | null;
}

export function registerGet(program: Command): void {
  addTransferOptions(
    program
      .command('get')
      .description(
        'download an object to DIR/its name, or everything under a prefix (ending in /) to DIR/the prefix name/',
      )
      .argument('<source>', 'oss://BUCKET/KEY or oss://BUCKET/PREFIX/')
      .argument('<dir>', 'local folder to download into (created if missing)'),
  ).action(async (source: string, dir: string, flags: TransferFlags) => {
    process.exitCode = await runGet(source, dir, flags);
  });
}

async function runGet(sourceText: string, dirText: string, flags: TransferFlags): Promise<number> {
  let source: OssUrl;
  try {
    source = parseOssUrl(sourceText);
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const dir = path.resolve(dirText);
  try {
    if (!(await stat(dir)).isDirectory())
      throw usageError(`${dirText} exists and is not a folder.`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const command: TransferCommand = {
    name: 'get',
    bucket: source.bucket,
    identity: { command: 'get', bucket: source.bucket, key: source.key, dir },
    produce: (sink, cursor, signal, remote) =>
      source.isPrefix
        ? producePrefix(remote, source, dir, sink, cursor, signal)
        : produceKey(remote, source, dir, sink),
  };
  return runTransfer(command, flags, processOutput());
}

/** Folders under the download folder already found to be plain folders. */
const plainFolders = new Set<string>();

/**
 * The local path for `key`, or undefined after reporting why the key cannot be one, or why
 * what is on disk is in the way (a symbolic link to elsewhere, a file where a folder is needed).
 */
async function localPath(
  sink: JobSink,
  dir: string,
  key: string,
  strip: string,
): Promise<string | undefined> {
  let target: string;
  try {
    target = localPathForKey(dir, key, strip === '' ? {} : { stripPrefix: strip });
  } catch (error) {
    if (!isCoreError(error) || error.code !== 'invalid-key') throw error;
    sink.refuse(`refused ${error.message}`);
    return undefined;
  }
  const obstacle = await obstacleBetween(dir, target, plainFolders);
  if (obstacle === undefined) return target;
  sink.refuse(`refused ${JSON.stringify(key)}: ${obstacle}`);
  return undefined;
}

async function produceKey(
  remote: RemoteStore,
  source: OssUrl,
  dir: string,
  sink: JobSink,
): Promise<void> {
  const url = formatOssUrl(source.bucket, source.key);
  const info = await remote.headObject(source.bucket, source.key);
  if (info === undefined)
    throw new CliError(
      `${url} does not exist; for the objects under it, write ${url}/ (with the trailing slash).`,
    );
  const target = await localPath(sink, dir, source.key, parentPrefix(source.key));
  if (target === undefined) return;
  await mkdir(dir, { recursive: true });
  sink.add(
    [
      {
        kind: 'download',
        bucket: source.bucket,
        key: source.key,
        localPath: target,
        size: info.size,
      },
    ],
    { token: null } satisfies GetCursor,
  );
}

async function producePrefix(
  remote: RemoteStore,
  source: OssUrl,
  dir: string,
  sink: JobSink,
  rawCursor: unknown,
  signal: AbortSignal,
): Promise<void> {
  const cursor = rawCursor as Partial<GetCursor> | undefined;
  if (cursor?.token === null) return;
  let token = typeof cursor?.token === 'string' ? cursor.token : undefined;
  // `get oss://b/a/photos/ DIR` -> DIR/photos/..., like `put DIR/photos oss://b/a/`.
  const strip = parentPrefix(source.key);
  let listed = 0;
  await mkdir(dir, { recursive: true });
  do {
    const page = await remote.listPage(source.bucket, {
      prefix: source.key,
      maxKeys: 1000,
      ...(token === undefined ? {} : { token }),
    });
    const jobs: Omit<NewJob, 'batch'>[] = [];
    for (const object of page.objects) {
      listed++;
      if (object.key.endsWith('/')) {
        // A folder marker: the folder is made now (it may stay empty); no transfer.
        const folder = await localPath(sink, dir, object.key.slice(0, -1), strip);
        if (folder !== undefined) await makeFolder(sink, folder, object.key);
        continue;
      }
      const target = await localPath(sink, dir, object.key, strip);
      if (target === undefined) continue;
      jobs.push({
        kind: 'download',
        bucket: source.bucket,
        key: object.key,
        localPath: target,
        size: object.size,
      });
    }
    token = page.nextToken;
    sink.add(jobs, { token: token ?? null } satisfies GetCursor);
  } while (token !== undefined && !signal.aborted);
  if (listed === 0 && cursor === undefined)
    sink.note(`nothing under ${formatOssUrl(source.bucket, source.key)}`);
}

async function makeFolder(sink: JobSink, folder: string, key: string): Promise<void> {
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    sink.refuse(
      `refused ${JSON.stringify(key)}: cannot create the folder ${folder}: ${(error as Error).message}`,
    );
  }
}
