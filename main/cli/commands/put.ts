import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { NewJob } from '../../core/db/job-types.js';
import { usageError } from '../cli-error.js';
import { walkTree } from '../local-walk.js';
import { formatOssUrl, parseOssUrl, type OssUrl } from '../oss-url.js';
import { processOutput } from '../output.js';
import { addTransferOptions, type TransferFlags } from '../transfer-options.js';
import { runTransfer, type JobSink, type TransferCommand } from '../transfer-run.js';

const MAX_KEY_BYTES = 1023;
/** Jobs queued per transaction, and the longest a found file waits before it is queued. */
const BATCH_SIZE = 1000;
const BATCH_MS = 1000;

interface Source {
  /** As the user wrote it, for messages. */
  arg: string;
  /** Its name in the bucket (the base name, in NFC). */
  name: string;
  /** The file or folder itself (a symbolic link given by name is followed, like cp does). */
  realPath: string;
  kind: 'file' | 'folder';
}

/** Where a rerun goes on: the source index and the path segments of the last file queued. */
interface PutCursor {
  source: number;
  segments: string[];
}

export function registerPut(program: Command): void {
  addTransferOptions(
    program
      .command('put')
      .description(
        'upload files and folders: a file lands at PREFIX + its name, a folder (recursively) under PREFIX + its name',
      )
      // Commander allows a variadic argument only at the end: the destination is split off.
      .usage('[options] <path...> <destination>')
      .argument(
        '<path...>',
        'files and folders to upload, then oss://BUCKET/PREFIX/ (or oss://BUCKET/KEY for one file)',
      ),
  ).action(async (args: string[], flags: TransferFlags) => {
    const destination = args[args.length - 1] as string;
    if (args.length < 2)
      throw usageError(
        `Give the files or folders to upload and then the destination, like: ossync put photos oss://BUCKET/backup/`,
      );
    process.exitCode = await runPut(args.slice(0, -1), destination, flags);
  });
}

async function runPut(args: string[], destination: string, flags: TransferFlags): Promise<number> {
  let dest: OssUrl;
  try {
    dest = parseOssUrl(destination);
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const output = processOutput();
  const { sources, problems } = await resolveSources(args);
  if (!dest.isPrefix && (args.length !== 1 || sources[0]?.kind === 'folder'))
    throw usageError(
      `${destination} names one object; to upload ${args.length > 1 ? 'several files' : 'a folder'}, end it with "/" (${destination}/).`,
    );
  const byName = new Map<string, string>();
  for (const source of sources) {
    const other = byName.get(source.name);
    if (other !== undefined)
      throw usageError(
        `${JSON.stringify(other)} and ${JSON.stringify(source.arg)} would both be uploaded to ${formatOssUrl(dest.bucket, dest.key + source.name)}: upload them in two commands.`,
      );
    byName.set(source.name, source.arg);
  }
  for (const problem of problems) output.err(problem);
  if (sources.length === 0) return 1;

  const command: TransferCommand = {
    name: 'put',
    bucket: dest.bucket,
    identity: {
      command: 'put',
      bucket: dest.bucket,
      key: dest.key,
      sources: sources.map((source) => source.realPath),
    },
    orphanPrefix: dest.key,
    produce: (sink, cursor, signal) => produce(sources, dest, sink, cursor, signal),
  };
  const code = await runTransfer(command, flags, output);
  return problems.length > 0 && code === 0 ? 1 : code;
}

async function resolveSources(args: string[]): Promise<{ sources: Source[]; problems: string[] }> {
  const sources: Source[] = [];
  const problems: string[] = [];
  for (const arg of args) {
    const absolute = path.resolve(arg);
    const name = path.basename(absolute).normalize('NFC');
    try {
      const stats = await stat(absolute);
      if (!stats.isFile() && !stats.isDirectory()) {
        problems.push(`skipped ${arg}: not a regular file or folder`);
        continue;
      }
      if (name === '') {
        problems.push(`skipped ${arg}: name a folder inside the root folder instead`);
        continue;
      }
      sources.push({
        arg,
        name,
        realPath: await realpath(absolute),
        kind: stats.isDirectory() ? 'folder' : 'file',
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(
        `skipped ${arg}: ${code === 'ENOENT' ? 'no such file or folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`,
      );
    }
  }
  return { sources, problems };
}

function parseCursor(cursor: unknown): PutCursor | undefined {
  const value = cursor as Partial<PutCursor> | undefined;
  if (
    typeof value?.source === 'number' &&
    Array.isArray(value.segments) &&
    value.segments.every((s) => typeof s === 'string')
  )
    return { source: value.source, segments: value.segments };
  return undefined;
}

async function produce(
  sources: readonly Source[],
  dest: OssUrl,
  sink: JobSink,
  rawCursor: unknown,
  signal: AbortSignal,
): Promise<void> {
  const resumeAt = parseCursor(rawCursor);
  let pending: Omit<NewJob, 'batch'>[] = [];
  let pendingSince = 0;
  let last: PutCursor | undefined = resumeAt;
  let recorded = last;
  const flush = (): void => {
    if (pending.length === 0) return;
    sink.add(pending, last);
    recorded = last;
    pending = [];
  };
  const push = (job: Omit<NewJob, 'batch'>, position: PutCursor): void => {
    const bytes = Buffer.byteLength(job.key, 'utf8');
    last = position;
    if (bytes > MAX_KEY_BYTES) {
      sink.refuse(
        `refused ${job.localPath}: its key would be ${bytes} bytes long; OSS keys have at most ${MAX_KEY_BYTES}`,
      );
      return;
    }
    if (pending.length === 0) pendingSince = performance.now();
    pending.push(job);
    if (pending.length >= BATCH_SIZE || performance.now() - pendingSince >= BATCH_MS) flush();
  };

  for (const [index, source] of sources.entries()) {
    if (signal.aborted) break;
    if (resumeAt !== undefined && index < resumeAt.source) continue;
    if (source.kind === 'file') {
      if (resumeAt?.source === index) continue;
      const key = dest.isPrefix ? dest.key + source.name : dest.key;
      try {
        const { size } = await stat(source.realPath);
        push(
          { kind: 'upload', bucket: dest.bucket, key, localPath: source.realPath, size },
          { source: index, segments: [] },
        );
      } catch (error) {
        sink.refuse(`refused ${source.arg}: ${(error as Error).message}`);
      }
      continue;
    }
    const after = resumeAt?.source === index ? resumeAt.segments : undefined;
    const base = `${dest.key}${source.name}/`;
    for await (const event of walkTree(source.realPath, { ...(after ? { after } : {}), signal })) {
      switch (event.type) {
        case 'file': {
          const key = base + event.segments.map((s) => s.normalize('NFC')).join('/');
          push(
            {
              kind: 'upload',
              bucket: dest.bucket,
              key,
              localPath: event.localPath,
              size: event.size,
            },
            { source: index, segments: event.segments },
          );
          break;
        }
        case 'symlink':
          sink.skip(`skipped ${event.localPath}: symbolic links are not followed`);
          break;
        case 'special':
          sink.skip(`skipped ${event.localPath}: not a regular file`);
          break;
        case 'error':
          sink.refuse(`refused ${event.localPath}: ${event.message}`);
          break;
      }
    }
  }
  flush();
  // Past files refused at the very end too, or a rerun would report them again.
  if (last !== recorded) sink.add([], last);
}
