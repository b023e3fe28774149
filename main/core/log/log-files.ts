/**
 * Names and pruning of the rotated log files: `<dataDir>/logs/ossync.<yyyy-MM-dd>.<n>.log`, as
 * pino-roll names them with a daily frequency and a date format. Pruning is done here rather
 * than by pino-roll's `limit` so that files from earlier runs count too and `close()` can wait
 * for it, which makes the bound hold whenever the logger is closed.
 */
import { readdir, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';

export const LOG_BASENAME = 'ossync';
export const LOG_EXTENSION = 'log';
export const LOG_DATE_FORMAT = 'yyyy-MM-dd';

const LOG_FILE = /^ossync\.(\d{4}-\d{2}-\d{2})\.(\d+)\.log$/;

interface LogFile {
  name: string;
  date: string;
  number: number;
}

/** The log files in `dir`, newest first. */
export async function listLogFiles(dir: string): Promise<string[]> {
  const files: LogFile[] = [];
  for (const name of await readdir(dir)) {
    const match = LOG_FILE.exec(name);
    if (match?.[1] !== undefined && match[2] !== undefined)
      files.push({ name, date: match[1], number: Number(match[2]) });
  }
  files.sort((a, b) => (a.date === b.date ? b.number - a.number : a.date < b.date ? 1 : -1));
  return files.map((file) => file.name);
}

/** Deletes the oldest log files so at most `maxFiles` remain, always keeping `current`. */
export async function pruneLogFiles(dir: string, maxFiles: number, current: string): Promise<void> {
  const keep = basename(current);
  const others = (await listLogFiles(dir)).filter((name) => name !== keep);
  const excess = others.slice(Math.max(0, maxFiles - 1));
  await Promise.all(
    excess.map((name) =>
      unlink(join(dir, name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      }),
    ),
  );
}
