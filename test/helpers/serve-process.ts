import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { REPO_ROOT, type ProcessExit } from './local-oss-process.js';

/** `ossync serve` as a user runs it: a child process, its first line (the URL), signals. */

const CLI_ENTRY = path.join(REPO_ROOT, 'main', 'cli', 'main.ts');

export interface ServeProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<ProcessExit>;
}

const running = new Set<ChildProcess>();

/**
 * Starts `node --import tsx main/cli/main.ts ...args`. OSS_ACCESS_KEY_* and NODE_OPTIONS are
 * never inherited; `env` adds (or, with undefined, removes) variables.
 */
export function spawnCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): ServeProcess {
  // The default secrets file lives in the user's config folder: never the real one in tests.
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(tmpdir(), `ossync-test-config-${process.pid}`),
  };
  delete childEnv['NODE_OPTIONS'];
  delete childEnv['OSS_ACCESS_KEY_ID'];
  delete childEnv['OSS_ACCESS_KEY_SECRET'];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    cwd: REPO_ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<ProcessExit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** `ossync serve ...args`, as spawnCli starts it. */
export function spawnServe(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): ServeProcess {
  return spawnCli(['serve', ...args], env);
}

/** SIGKILLs every process spawnCli started that still runs, and waits until each has exited. */
export async function killAllServe(): Promise<void> {
  const exits = [...running].map((child) => new Promise((resolve) => child.once('close', resolve)));
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(exits);
}

/** Resolves with the first stdout line; rejects with the output when the process exits first. */
export async function firstLine(server: ServeProcess, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void server.exited.then(() => (done = true));
  for (;;) {
    const newline = server.stdout().indexOf('\n');
    if (newline >= 0) return server.stdout().slice(0, newline);
    if (done || Date.now() > deadline)
      throw new Error(
        `serve printed no URL\nstdout: ${server.stdout()}\nstderr: ${server.stderr()}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface ServeUrl {
  /** The whole first line: origin + '/#token=' + token. */
  url: string;
  origin: string;
  port: number;
  token: string;
}

/** Parses serve's first line; throws naming the line when it is not the URL. */
export function parseServeUrl(line: string): ServeUrl {
  const match = /^(http:\/\/[^/]+:(\d+))\/#token=([A-Za-z0-9_-]{20,})$/.exec(line);
  if (match === null) throw new Error(`not a serve URL line: ${JSON.stringify(line)}`);
  const [, origin, port, token] = match as unknown as [string, string, string, string];
  return { url: line, origin, port: Number(port), token };
}

export interface ContractClient {
  /** Sends one call and resolves with the whole reply (`{ id, ok, value }` or `{ id, ok: false, error }`). */
  call(method: string, params: object): Promise<Record<string, unknown>>;
  /** Every message received, as text (replies and events). */
  received: string[];
  close(): void;
}

/** A WebSocket client of a serve process's contract, with its token and Origin. */
export async function connectContract(serve: ServeUrl): Promise<ContractClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${serve.port}/ws`, ['ossync', `ossync.${serve.token}`], {
    origin: serve.origin,
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const received: string[] = [];
  const replies = new Map<number, (message: Record<string, unknown>) => void>();
  ws.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    received.push(text);
    const message = JSON.parse(text) as Record<string, unknown>;
    if (typeof message['id'] === 'number') replies.get(message['id'])?.(message);
  });
  let next = 1;
  return {
    received,
    call(method, params) {
      const id = next++;
      return new Promise((resolve) => {
        replies.set(id, (message) => {
          replies.delete(id);
          resolve(message);
        });
        ws.send(JSON.stringify({ id, method, params }));
      });
    },
    close: () => ws.close(),
  };
}
