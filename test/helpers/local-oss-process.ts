import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET } from './osslocal.js';

/**
 * Runs `ossync local-oss` as a child process (`node --import tsx main/cli/main.ts local-oss
 * ...`, or `node bin/ossync.js local-oss ...`), for tests that need a real process: crash (SIGKILL) and restart, signals, exit
 * codes, stdout and stderr.
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI_ENTRY = path.join(REPO_ROOT, 'main', 'cli', 'main.ts');
const BIN_ENTRY = path.join(REPO_ROOT, 'bin', 'ossync.js');

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LocalOssProcessOptions {
  /** Extra environment variables; `undefined` removes one. OSS_ACCESS_KEY_* are never inherited. */
  env?: Record<string, string | undefined>;
  /** How long to wait for the `listening on` line. */
  startTimeoutMs?: number;
  /**
   * 'source' (default): `node --import tsx main/cli/main.ts`. 'bin': `node bin/ossync.js`, the
   * installed command (the built CLI when dist/ exists, else the source through tsx).
   */
  entry?: 'source' | 'bin';
}

export interface LocalOssProcess {
  child: ChildProcess;
  pid: number;
  /** `http://HOST:PORT`, from the first stdout line. */
  url: string;
  port: number;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited (and its output streams are drained). */
  exited: Promise<ProcessExit>;
  /** The admin token printed on the second stdout line. */
  adminToken(): Promise<string>;
  /** Sends `signal` and waits for the exit; rejects after `timeoutMs`. */
  kill(signal: NodeJS.Signals, timeoutMs?: number): Promise<ProcessExit>;
}

/** Arguments for a server with the test AccessKey pair: `--root DIR --port 0 --access-key-*`. */
export function localOssArgs(root: string, extra: readonly string[] = []): string[] {
  return [
    '--root',
    root,
    '--port',
    '0',
    '--access-key-id',
    TEST_ACCESS_KEY_ID,
    '--access-key-secret',
    TEST_ACCESS_KEY_SECRET,
    ...extra,
  ];
}

function spawnCli(args: readonly string[], options: LocalOssProcessOptions): ChildProcess {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env['OSS_ACCESS_KEY_ID'];
  delete env['OSS_ACCESS_KEY_SECRET'];
  // A plain Node process: options meant for the test runner's own processes are not passed on.
  delete env['NODE_OPTIONS'];
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const entry = options.entry === 'bin' ? [BIN_ENTRY] : ['--import', 'tsx', CLI_ENTRY];
  return spawn(process.execPath, [...entry, 'local-oss', ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function watchExit(child: ChildProcess): Promise<ProcessExit> {
  // 'close' comes after 'exit' and after stdout/stderr have ended, so the output is complete.
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * Starts `ossync local-oss ARGS` and resolves once it printed `listening on URL`. Rejects
 * (with its output) when it exits first or does not start within the timeout.
 */
export async function startLocalOssProcess(
  args: readonly string[],
  options: LocalOssProcessOptions = {},
): Promise<LocalOssProcess> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  const exited = watchExit(child);
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `local-oss did not start within ${options.startTimeoutMs ?? 15_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, options.startTimeoutMs ?? 15_000);
    child.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      const first = stdout.slice(0, newline);
      const match = /^listening on (http:\/\/\S+)$/.exec(first);
      if (match) resolve(match[1] as string);
      else
        reject(
          new Error(`unexpected first stdout line ${JSON.stringify(first)}\nstderr: ${stderr}`),
        );
    });
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
    });
    void exited.then(
      (exit) => {
        clearTimeout(timer);
        reject(
          new Error(
            `local-oss exited before listening (${JSON.stringify(exit)})\nstdout: ${stdout}\nstderr: ${stderr}`,
          ),
        );
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
  const url = await listening;
  const port = Number(new URL(url).port);
  let exitState: ProcessExit | undefined;
  exited.then(
    (exit) => {
      exitState = exit;
    },
    () => {},
  );
  return {
    child,
    pid: child.pid as number,
    url,
    port,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async adminToken() {
      for (let waited = 0; waited < 5_000; waited += 10) {
        const match = /^admin token: (\S+)/m.exec(stdout);
        if (match) return match[1] as string;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`no admin token line in stdout: ${stdout}`);
    },
    async kill(signal, timeoutMs = 10_000) {
      if (exitState) return exitState;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(
            new Error(
              `local-oss did not exit within ${timeoutMs} ms of ${signal}\nstderr: ${stderr}`,
            ),
          );
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs `ossync local-oss ARGS` to completion (for argument errors); kills it after `timeoutMs`. */
export async function runLocalOssProcess(
  args: readonly string[],
  options: LocalOssProcessOptions & { timeoutMs?: number } = {},
): Promise<ProcessExit & { stdout: string; stderr: string }> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
  try {
    const exit = await watchExit(child);
    return { ...exit, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
