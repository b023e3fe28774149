/** The options every command that talks to OSS shares, and those of the transfer commands. */
import { InvalidArgumentError, type Command } from 'commander';
import type { EngineOptions } from '../core/transfer/engine.js';
import { RetryPolicy } from '../core/transfer/retry-policy.js';
import type { AccountFlags } from './account.js';
import { parseByteSize } from './byte-size.js';

export interface TransferFlags extends AccountFlags {
  dataDir?: string;
  concurrency?: number;
  partSize?: number;
  limitUp?: number;
  limitDown?: number;
  retries?: number;
}

/** OSS: parts of a multipart upload are 100 KiB to 5 GiB (the last one may be smaller). */
const MIN_PART = 100 * 1024;
const MAX_PART = 5 * 1024 ** 3;

function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

function byteSize(what: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = parseByteSize(value);
    if (n === undefined)
      throw new InvalidArgumentError(
        `Expected ${what} such as 500k, 8M or 8Mi (k = 1000, Ki = 1024).`,
      );
    if (n < min || n > max)
      throw new InvalidArgumentError(`Expected ${what} from ${min} to ${max} bytes.`);
    return n;
  };
}

export function addAccountOptions(command: Command): Command {
  return command
    .option(
      '--endpoint <url>',
      'OSS endpoint, e.g. https://oss-cn-hangzhou.aliyuncs.com (default: $OSS_ENDPOINT)',
    )
    .option(
      '--region <region>',
      'region, e.g. cn-hangzhou (default: $OSS_REGION, else from an oss-REGION.aliyuncs.com endpoint)',
    )
    .option(
      '--path-style',
      'path-style requests (/bucket/key); default on for a localhost endpoint',
    )
    .option('--no-path-style', 'virtual-host requests (bucket.endpoint/key)')
    .option('--v4', 'sign requests with OSS V4 signatures (default: V1)');
}

export function addDataDirOption(command: Command): Command {
  return command.option(
    '--data-dir <dir>',
    'where the transfer queue is kept (default: $XDG_DATA_HOME/ossync, ~/Library/Application Support/OSSync or %APPDATA%\\OSSync)',
  );
}

export function addTransferOptions(command: Command): Command {
  return addEngineOptions(addDataDirOption(addAccountOptions(command)));
}

/** The options that shape the engine (not where its queue lives). */
export function addEngineOptions(command: Command): Command {
  return command
    .option('--concurrency <n>', 'files transferred at once (default 4)', integer(1, 64))
    .option(
      '--part-size <size>',
      'part size of multipart transfers; larger files go in parts (default 8Mi)',
      byteSize('a part size', MIN_PART, MAX_PART),
    )
    .option(
      '--limit-up <rate>',
      'upload limit in bytes per second, e.g. 500k or 2M',
      byteSize('a rate', 1024, Number.MAX_SAFE_INTEGER),
    )
    .option(
      '--limit-down <rate>',
      'download limit in bytes per second, e.g. 500k or 2M',
      byteSize('a rate', 1024, Number.MAX_SAFE_INTEGER),
    )
    .option(
      '--retries <n>',
      'attempts per file in all, the first one included (default 10)',
      integer(1, 1000),
    );
}

export function engineOptions(flags: TransferFlags): EngineOptions {
  return {
    ...(flags.concurrency === undefined ? {} : { maxFiles: flags.concurrency }),
    // A file that fits in one part goes in one request.
    ...(flags.partSize === undefined
      ? {}
      : { partSize: flags.partSize, multipartThreshold: flags.partSize + 1 }),
    uploadBytesPerSecond: flags.limitUp,
    downloadBytesPerSecond: flags.limitDown,
    ...(flags.retries === undefined
      ? {}
      : { retry: new RetryPolicy({ maxAttempts: flags.retries }) }),
  };
}
