import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ListedObject } from '../../core/remote/remote-store.js';
import { OssRemoteStore } from '../../core/remote/oss-remote-store.js';
import { resolveAccount } from '../account.js';
import { usageError } from '../cli-error.js';
import { parseOssUrl } from '../oss-url.js';
import { processOutput, type Output } from '../output.js';
import { addAccountOptions, type TransferFlags } from '../transfer-options.js';

interface LsFlags extends TransferFlags {
  maxKeys: number;
  recursive?: boolean;
  json?: boolean;
}

/** Wide enough for sizes up to 48.8 TB, the largest object OSS stores. */
const SIZE_WIDTH = 14;

export function registerLs(program: Command): void {
  addAccountOptions(
    program
      .command('ls')
      .description('list objects and common prefixes under a prefix, one page at a time')
      .argument('<url>', 'oss://BUCKET/PREFIX (a trailing / lists inside a "folder")')
      .option(
        '--max-keys <n>',
        'keys per request, 1 to 1000',
        (value: string) => {
          const n = Number(value);
          if (!/^\d+$/.test(value) || n < 1 || n > 1000)
            throw new InvalidArgumentError('Expected a whole number from 1 to 1000.');
          return n;
        },
        1000,
      )
      .option('-r, --recursive', 'every key under the prefix, no PRE lines (no delimiter)')
      .option('--json', 'one JSON object per line'),
  ).action(async (url: string, flags: LsFlags) => {
    process.exitCode = await runLs(url, flags, processOutput());
  });
}

/** `SIZE  LAST-MODIFIED  KEY`, aligned: ISO time to the second, UTC. */
export function objectLine(object: ListedObject): string {
  const when = object.lastModified.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `${String(object.size).padStart(SIZE_WIDTH)}  ${when}  ${object.key}`;
}

export function prefixLine(prefix: string): string {
  // PRE in the size column keeps prefixes and keys in one column.
  return `${'PRE'.padStart(SIZE_WIDTH)}  ${''.padEnd(20)}  ${prefix}`;
}

async function runLs(urlText: string, flags: LsFlags, output: Output): Promise<number> {
  let url;
  try {
    url = parseOssUrl(urlText);
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const { account } = resolveAccount(flags);
  const remote = new OssRemoteStore(account);
  try {
    let token: string | undefined;
    do {
      const page = await remote.listPage(url.bucket, {
        prefix: url.key,
        maxKeys: flags.maxKeys,
        ...(flags.recursive ? {} : { delimiter: '/' }),
        ...(token === undefined ? {} : { token }),
      });
      // OSS orders keys and prefixes together by UTF-8 bytes; the page holds them apart.
      const lines: { sortKey: string; text: string }[] = [
        ...page.prefixes.map((prefix) => ({
          sortKey: prefix,
          text: flags.json ? JSON.stringify({ type: 'prefix', prefix }) : prefixLine(prefix),
        })),
        ...page.objects.map((object) => ({
          sortKey: object.key,
          text: flags.json
            ? JSON.stringify({
                type: 'object',
                key: object.key,
                size: object.size,
                lastModified: object.lastModified.toISOString(),
                etag: object.etag,
                ...(object.storageClass === undefined ? {} : { storageClass: object.storageClass }),
              })
            : objectLine(object),
        })),
      ].sort((a, b) => Buffer.compare(Buffer.from(a.sortKey), Buffer.from(b.sortKey)));
      for (const line of lines) output.out(line.text);
      token = page.nextToken;
    } while (token !== undefined);
    return 0;
  } finally {
    remote.close();
  }
}
