import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { FaultRule } from '../../osslocal/index.js';

interface LocalOssFlags {
  root: string;
  port: string;
  host: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  bucket: string[];
  faults?: string;
  seed?: string;
  region: string;
}

export function registerLocalOss(program: Command): void {
  program
    .command('local-oss')
    .description(
      'run the local OSS-compatible server (storage on this computer, and our test double)',
    )
    .requiredOption('--root <dir>', 'directory for object data and metadata')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '0')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--access-key-id <id>', 'AccessKey id clients sign with (default: $OSS_ACCESS_KEY_ID)')
    .option('--access-key-secret <secret>', 'AccessKey secret (default: $OSS_ACCESS_KEY_SECRET)')
    .option('--bucket <name>', 'create this bucket if missing (repeatable)', collect, [])
    .option('--faults <file>', 'JSON file of fault rules to inject')
    .option('--seed <n>', 'seed for fault injection decisions')
    .option('--region <region>', 'region the server reports and signs for', 'oss-cn-hangzhou')
    .action(async (flags: LocalOssFlags) => {
      await runLocalOss(flags);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function runLocalOss(flags: LocalOssFlags): Promise<void> {
  // Loaded on use: the server is a third of the CLI's start-up time, and put/get/ls never need it.
  const { OssLocalServer, parseFaultRules } = await import('../../osslocal/index.js');
  const { validateBucketName } = await import('../../osslocal/request.js');
  const accessKeyId = flags.accessKeyId ?? process.env['OSS_ACCESS_KEY_ID'];
  const accessKeySecret = flags.accessKeySecret ?? process.env['OSS_ACCESS_KEY_SECRET'];
  if (!accessKeyId || !accessKeySecret) {
    throw new Error(
      'local-oss needs an AccessKey pair: pass --access-key-id and --access-key-secret, or set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET.',
    );
  }
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0..65535, got "${flags.port}".`);
  for (const name of flags.bucket) {
    try {
      validateBucketName(name);
    } catch {
      // The server's own error ("The specified bucket is not valid.") names neither the flag nor the value.
      throw new Error(
        `--bucket "${name}" is not a valid bucket name: use 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit.`,
      );
    }
  }
  let faults: FaultRule[] = [];
  let seed = flags.seed === undefined ? undefined : Number(flags.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed))
    throw new Error(`--seed must be an integer, got "${flags.seed}".`);
  if (flags.faults) {
    const file = path.resolve(flags.faults);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new Error(`Cannot read fault rules from ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const parsed = parseFaultRules(json, file);
    faults = parsed.rules;
    seed ??= parsed.seed;
  }
  const server = await OssLocalServer.start({
    root: path.resolve(flags.root),
    host: flags.host,
    port,
    credentials: [{ accessKeyId, accessKeySecret }],
    buckets: flags.bucket,
    faults,
    seed,
    region: flags.region,
  });
  process.stdout.write(`listening on ${server.url}\n`);
  process.stdout.write(
    `admin token: ${server.adminToken} (for ${server.url}/-/faults and /-/stats)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
}
