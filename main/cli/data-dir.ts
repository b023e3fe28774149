/**
 * The CLI's side of the data directory, next to the state database: where it is by default,
 * a lock so two transfer commands never drive the same queue at once, the account the
 * queued jobs belong to, and one small file per unfinished command (run-markers.ts).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { CliError } from './cli-error.js';

/** `$XDG_DATA_HOME/ossync` (Linux), `~/Library/Application Support/OSSync`, `%APPDATA%\OSSync`. */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'win32')
    return path.win32.join(env['APPDATA'] || path.win32.join(home, 'AppData', 'Roaming'), 'OSSync');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'OSSync');
  // The XDG spec says to ignore a relative XDG_DATA_HOME.
  const xdg = env['XDG_DATA_HOME'];
  return path.join(
    xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'share'),
    'ossync',
  );
}

/**
 * Where `ossync serve` keeps the secrets of a data directory when no --secrets-file is given:
 * in the user's configuration folder, never inside the data directory (which holds the
 * database and logs people copy and attach to bug reports), one file per data directory.
 * `$XDG_CONFIG_HOME/ossync/secrets/<id>.json` (Linux), `~/Library/Preferences/OSSync/...`,
 * `%LOCALAPPDATA%\OSSync\secrets\...`; <id> is a hash of the data directory's path.
 */
export function defaultSecretsFile(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const id = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  if (platform === 'win32')
    return path.win32.join(
      env['LOCALAPPDATA'] || path.win32.join(home, 'AppData', 'Local'),
      'OSSync',
      'secrets',
      `${id}.json`,
    );
  if (platform === 'darwin')
    return path.join(home, 'Library', 'Preferences', 'OSSync', 'secrets', `${id}.json`);
  const xdg = env['XDG_CONFIG_HOME'];
  return path.join(
    xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.config'),
    'ossync',
    'secrets',
    `${id}.json`,
  );
}

export function stateDbPath(dataDir: string): string {
  return path.join(dataDir, 'state.db');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data directory for this process. `engine.start()` puts every job it finds
 * `running` back in the queue, so a second process on the same queue would run jobs the
 * first one is running. A lock left by a process that died is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, 'cli.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw error;
      let pid = Number.NaN;
      try {
        pid = Number(readFileSync(file, 'utf8').trim());
      } catch {
        // removed meanwhile: try again
      }
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid))
        throw new CliError(
          `Another ossync command (pid ${pid}) is using the data directory ${dataDir}: wait for it to finish, or pass another --data-dir.`,
        );
      try {
        unlinkSync(file);
      } catch {
        // another process took it over first: the next attempt sees its pid
      }
    }
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.on('exit', release);
  return release;
}

/** Writes through a temp file and a rename, so a crash leaves the old content or the new. */
export function writeFileAtomic(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode: 0o600 });
  renameSync(temp, file);
}

/**
 * The queue does not record which account a job belongs to, so the engine would run jobs
 * queued for one endpoint against another. Refuses to start while unfinished jobs of another
 * account are queued; records this account otherwise.
 */
export function checkQueueAccount(dataDir: string, fingerprint: string, unfinished: number): void {
  const file = path.join(dataDir, 'cli-account.json');
  let previous: string | undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { account?: unknown };
    if (typeof parsed.account === 'string') previous = parsed.account;
  } catch {
    // first use, or unreadable: nothing to compare with
  }
  if (previous !== undefined && previous !== fingerprint && unfinished > 0) {
    const [endpoint, id] = previous.split(' ');
    throw new CliError(
      `${dataDir} holds ${unfinished} unfinished jobs of another account (endpoint ${endpoint}, AccessKey ID ${id}): finish them with that account (ossync jobs resume), drop them (ossync jobs cancel --all), or pass another --data-dir.`,
    );
  }
  if (previous !== fingerprint)
    writeFileAtomic(file, `${JSON.stringify({ account: fingerprint })}\n`);
}
