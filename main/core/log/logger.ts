/**
 * The app's log: pino JSON lines in a rotating file under `<dataDir>/logs/` (pino-roll, daily
 * and by size, a bounded number of files, mode 0600), optionally copied to a console stream.
 *
 * Secrets are kept out twice: pino's `redact` blanks the fields that hold them by name, and a
 * final pass over every serialized line replaces any registered secret value wherever it
 * appears (a message, an error's message or stack, a URL). That pass is one precompiled regex
 * over the line (see secret-registry.ts), a few microseconds per line.
 *
 * pino-roll runs in this thread, not as a worker transport: a worker would not see the secret
 * registry, and worker transports do not load from an asar archive.
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import { redact, REDACTED } from '../secrets/secret-registry.js';
import { LOG_BASENAME, LOG_DATE_FORMAT, LOG_EXTENSION, pruneLogFiles } from './log-files.js';

export type LogLevel = LevelWithSilent;

export const LOG_LEVELS: readonly LogLevel[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
];

/** Field names whose values are secrets, wherever pino finds them (up to two levels deep). */
const SECRET_FIELDS = [
  'accessKeySecret',
  'securityToken',
  'stsToken',
  'secret',
  'authorization',
  'Authorization',
  'token',
  'password',
  'cookie',
  'Cookie',
];

export const REDACT_PATHS: readonly string[] = SECRET_FIELDS.flatMap((field) => [
  field,
  `*.${field}`,
  `*.*.${field}`,
]);

/** The subset of pino-roll's stream (a SonicBoom) used here; pino-roll ships no types. */
interface RollStream {
  /** The file being written; null once closed. */
  readonly file: string | null;
  write(data: string): boolean;
  end(): void;
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
}

type RollBuild = (options: Record<string, unknown>) => Promise<RollStream>;

const require = createRequire(import.meta.url);

export interface CreateLoggerOptions {
  dataDir: string;
  level?: LogLevel;
  /** Also write every (redacted) line here; `true` means stderr. */
  console?: boolean | { write(line: string): unknown };
  /** Rotate when a file reaches this size: a number of bytes or pino-roll's `10m`, `512k`. */
  maxFileSize?: number | string;
  /** At most this many log files, the current one included. */
  maxFiles?: number;
  /** Where a failure of the log file itself is reported; stderr unless told. */
  onError?: (error: Error) => void;
}

export interface AppLogger extends Logger {
  /** The folder of the log files. */
  readonly logDir: string;
  setLevel(level: LogLevel): void;
  /** Flushes what is buffered, closes the file and finishes pruning. Later lines are dropped. */
  close(): Promise<void>;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export async function createLogger(options: CreateLoggerOptions): Promise<AppLogger> {
  const logDir = join(options.dataDir, 'logs');
  const maxFiles = options.maxFiles ?? 5;
  if (!Number.isInteger(maxFiles) || maxFiles < 1)
    throw new RangeError(`maxFiles must be a whole number of at least 1, not ${maxFiles}`);
  const maxSize = options.maxFileSize ?? '10m';
  await mkdir(logDir, { recursive: true, mode: 0o700 });

  const build = require('pino-roll') as RollBuild;
  const file = await build({
    file: join(logDir, LOG_BASENAME),
    extension: LOG_EXTENSION,
    frequency: 'daily',
    dateFormat: LOG_DATE_FORMAT,
    // pino-roll reads bare numbers as megabytes; `b` makes a byte count explicit.
    size: typeof maxSize === 'number' ? `${maxSize}b` : maxSize,
    mode: 0o600,
  });

  const onError =
    options.onError ??
    ((error: Error) => void process.stderr.write(`ossync: log file: ${redact(error.message)}\n`));
  file.on('error', onError);

  // Prunes after each open (the first one and every rotation), one at a time. The stream
  // opens asynchronously and forgets its file name when closed, so the name is kept here;
  // nothing is pruned before the first open, when the current file is not known yet.
  let current: string | undefined;
  let pruning: Promise<void> = Promise.resolve();
  const prune = (): void => {
    if (file.file === null) return;
    const keep = file.file;
    current = keep;
    pruning = pruning.then(() => pruneLogFiles(logDir, maxFiles, keep)).catch(onError);
  };
  file.on('ready', prune);
  prune();

  const consoleSink =
    options.console === true
      ? process.stderr
      : options.console === false
        ? undefined
        : options.console;

  let closed = false;
  const destination: DestinationStream = {
    write(line: string) {
      if (closed) return;
      const clean = redact(line);
      file.write(clean);
      consoleSink?.write(clean);
    },
  };

  const logger = pino(
    {
      level: options.level ?? 'info',
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      await new Promise<void>((resolve) => {
        file.once('close', resolve);
        file.end();
      });
      await pruning;
      if (current !== undefined) await pruneLogFiles(logDir, maxFiles, current).catch(onError);
    })();
    return closing;
  };

  return Object.assign(logger, {
    logDir,
    setLevel(level: LogLevel) {
      logger.level = level;
    },
    close,
  });
}
