/**
 * `ossync serve`: OSSync headless. Takes the data directory, reads secrets from the
 * environment and an owner-only secrets file (outside the data directory), runs the service and serves the built
 * UI and the API on one port. The first line on stdout is the URL to open, with the access
 * token in its fragment; everything else goes to stderr. SIGINT / SIGTERM close it cleanly
 * (exit 0).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { ContractApi } from '../../../shared/contract/index.js';
import { CliError, EXIT, usageError } from '../cli-error.js';
import { defaultDataDir, defaultSecretsFile, lockDataDir } from '../data-dir.js';
import { errorText } from '../error-text.js';
import { printable, scrub } from '../output.js';

interface ServeFlags {
  port: string;
  host: string;
  allowNonLoopback?: boolean;
  dataDir?: string;
  secretsFile?: string;
  logLevel?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run OSSync headless, with its UI in a browser')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '0')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--allow-non-loopback',
      'allow a --host other machines can reach (anyone who has the printed URL can use OSSync)',
    )
    .option('--data-dir <dir>', 'where OSSync keeps its state')
    .option(
      '--secrets-file <file>',
      'JSON file of secrets (mode 0600, yours; default: one per data dir in your config folder); the environment (OSSYNC_SECRET_*) wins over it',
    )
    .option(
      '--log-level <level>',
      'trace, debug, info, warn, error, fatal or silent (default: the level saved in Settings, else info)',
    )
    .action((flags: ServeFlags) => runServe(flags));
}

/** dist/renderer of the checkout or package this file belongs to, from source or built. */
function builtRenderer(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) {
      const renderer = path.join(dir, 'dist', 'renderer');
      return existsSync(path.join(renderer, 'index.html')) ? renderer : undefined;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function warn(line: string): void {
  process.stderr.write(`ossync: ${scrub(printable(line))}\n`);
}

async function runServe(flags: ServeFlags): Promise<void> {
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || !Number.isInteger(port) || port > 65535)
    throw usageError(`--port must be 0..65535 (0 picks a free port), got "${flags.port}".`);
  const { isLogLevel } = await import('../../core/log/logger.js');
  if (flags.logLevel !== undefined && !isLogLevel(flags.logLevel))
    throw usageError(
      `--log-level must be trace, debug, info, warn, error, fatal or silent, got "${flags.logLevel}".`,
    );
  const { isLoopback, startHost } = await import('../../host/host.js');
  const allowNonLoopback = flags.allowNonLoopback === true;
  if (!isLoopback(flags.host) && !allowNonLoopback)
    throw usageError(
      `--host ${flags.host} is not a loopback address, so other machines could reach OSSync: pass --allow-non-loopback to bind to it anyway, or leave --host out to stay on 127.0.0.1.`,
    );

  const dataDir = path.resolve(flags.dataDir ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const release = lockDataDir(dataDir);
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    let failure: Error | undefined;
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        failure ??= error instanceof Error ? error : new Error(String(error));
      }
    }
    release();
    if (failure !== undefined) throw failure;
  };

  // Handlers first: a SIGTERM right after the URL is printed must close cleanly, not kill
  // the process by the signal's default action (a stop during startup closes once it is up).
  const stopRequested = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // A second Ctrl+C while closing stops at once.
      const force = (): void => process.exit(EXIT.interrupted);
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

  try {
    const { HeadlessSecretStore } = await import('../../core/secrets/headless-secret-store.js');
    const secretsFile = path.resolve(flags.secretsFile ?? defaultSecretsFile(dataDir));
    if (flags.secretsFile === undefined)
      mkdirSync(path.dirname(secretsFile), { recursive: true, mode: 0o700 });
    const secrets = new HeadlessSecretStore({ file: secretsFile });
    // A bad secrets file (wrong mode, not JSON) fails now, with its message, not at the first sync.
    await secrets.check();

    const { createLogger } = await import('../../core/log/logger.js');
    const logger = await createLogger({
      dataDir,
      level: flags.logLevel !== undefined && isLogLevel(flags.logLevel) ? flags.logLevel : 'info',
    });
    closers.push(() => logger.close());

    const { createService } = await import('../../core/service/service.js');
    const { startEmbeddedServer } = await import('../../osslocal/index.js');
    const service = createService({
      dataDir,
      secrets,
      logger,
      host: 'headless',
      localServer: startEmbeddedServer,
    });
    closers.push(() => service.close());
    // Without --log-level, the level saved in Settings (the service applies later changes).
    if (flags.logLevel === undefined) {
      const saved = await service.api['settings.get']?.({});
      if (saved !== undefined) logger.setLevel(saved.logLevel);
    }

    const staticDir = builtRenderer();
    let host;
    try {
      host = await startHost({
        api: service.api as ContractApi,
        events: service.events,
        metrics: service.metrics,
        staging: service.staging,
        port,
        host: flags.host,
        allowNonLoopback,
        ...(staticDir === undefined ? {} : { staticDir }),
        logger,
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        throw new CliError(
          `Port ${port} on ${flags.host} is in use: pass another --port, or --port 0 for a free one.`,
        );
      if (code === 'EADDRNOTAVAIL')
        throw new CliError(`Cannot bind to ${flags.host}: it is not an address of this computer.`);
      throw error;
    }
    closers.push(() => host.close());
    logger.info({ origin: host.origin, dataDir }, 'headless host started');

    // The URL carries the token: it goes to stdout only, first, and never to the log.
    process.stdout.write(`${host.url}\n`);
    if (!isLoopback(flags.host))
      warn(
        `warning: listening on ${flags.host}, which other machines can reach; anyone who gets the URL (with its token) can use OSSync and its stored accounts.`,
      );
    if (staticDir === undefined)
      warn(
        'the UI is not built, so only the API is served: run `npm run build` to build it, then restart `ossync serve`.',
      );
    warn(`serving data directory ${dataDir} (secrets in ${secretsFile}); press Ctrl+C to stop.`);
    // Queued transfers resume and folder pairs sync without waiting for a browser.
    void service.start();
  } catch (error) {
    await closeAll().catch(() => undefined);
    throw error;
  }

  await stopRequested;
  try {
    await closeAll();
  } catch (error) {
    warn(`closing failed: ${errorText(error)}`);
    process.exit(EXIT.failed);
  }
  // Sockets the host closed may still hold the event loop for a moment; nothing is left to do.
  process.exit(EXIT.ok);
}
