/**
 * "Storage on this computer": the embedded local OSS server (main/osslocal) as an account.
 *
 * - `accounts.addLocalStorage` starts the server on 127.0.0.1 with a generated AccessKey
 *   pair (crypto random), its data in `<dataDir>/local-storage/`, creates the default bucket
 *   `ossync-local` and adds an account of kind 'local' (path style, endpoint
 *   `http://127.0.0.1:<port>`). The secret goes to the SecretStore under accountSecretRef,
 *   never into the database or a log. Calling it again returns the same account.
 * - The server runs in this process. After a restart the first use of the account
 *   (`ensureRunning`, awaited before its remote is built) starts it again on the stored
 *   port, or on a free one if that is taken, and then updates the row's endpoint.
 * - Removing the account stops the server; the objects stay on disk in
 *   `<dataDir>/local-storage/`, and adding local storage again serves them again.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ContractError } from '../../../shared/contract/index.js';
import type { AccountRow } from '../db/account-store.js';
import { redact, registerSecret } from '../secrets/secret-registry.js';
import { accountSecretRef } from '../secrets/secret-store.js';
import type { Handler, ServiceContext } from './context.js';
import { toAccountDto } from './dto.js';

/** The bucket created with local storage and set as the account's default bucket. */
export const LOCAL_BUCKET = 'ossync-local';
export const LOCAL_REGION = 'oss-cn-hangzhou';
export const LOCAL_ACCOUNT_NAME = 'Storage on this computer';
/** Where the server keeps its objects, under the data dir. */
export const LOCAL_STORAGE_DIR = 'local-storage';

/** A running local server: what this module needs of main/osslocal's OssLocalServer. */
export interface LocalServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface LocalServerStart {
  root: string;
  port: number;
  accessKeyId: string;
  accessKeySecret: string;
  buckets: string[];
  region: string;
}

export type LocalServerStarter = (options: LocalServerStart) => Promise<LocalServer>;

export interface LocalStorageOptions {
  /**
   * Starts the embedded server (main/osslocal's startEmbeddedServer, which main/core may
   * not import: the host program passes it). Without it, local storage is unavailable.
   */
  startServer?: LocalServerStarter | undefined;
}

const unavailable: LocalServerStarter = () =>
  Promise.reject(
    new ContractError(
      'invalid-argument',
      'Storage on this computer is not available in this program: use `ossync serve` or the desktop app.',
    ),
  );

const endpointOf = (port: number) => `http://127.0.0.1:${port}`;

/** The port of a stored `http://127.0.0.1:<port>` endpoint; 0 (any free one) otherwise. */
function storedPort(endpoint: string | null): number {
  const match = /^http:\/\/127\.0\.0\.1:(\d{1,5})\/?$/.exec(endpoint ?? '');
  const port = match === null ? 0 : Number(match[1]);
  return port > 0 && port <= 65535 ? port : 0;
}

export function createLocalStorage(ctx: ServiceContext, options: LocalStorageOptions = {}) {
  const startServer = options.startServer ?? unavailable;
  const root = path.join(ctx.dataDir, LOCAL_STORAGE_DIR);
  /** The running server by account id, with the key it checks. */
  const servers = new Map<number, { server: LocalServer; accessKeyId: string; secret: string }>();
  let ensuring: Promise<unknown> = Promise.resolve();
  /** addLocalStorage calls run one after another, so two calls make one account. */
  let adding: Promise<unknown> = Promise.resolve();
  let closed = false;

  async function start(port: number, accessKeyId: string, secret: string): Promise<LocalServer> {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    const settings = {
      root,
      accessKeyId,
      accessKeySecret: secret,
      buckets: [LOCAL_BUCKET],
      region: LOCAL_REGION,
    };
    try {
      return await startServer({ ...settings, port });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (port === 0 || (code !== 'EADDRINUSE' && code !== 'EACCES')) throw error;
      ctx.logger.warn({ port }, 'the local storage port is taken: starting on a free one');
      return startServer({ ...settings, port: 0 });
    }
  }

  function failure(error: unknown): ContractError {
    if (error instanceof ContractError) return error;
    const detail = redact(error instanceof Error ? error.message : String(error));
    ctx.logger.error({ detail, root }, 'local storage failed to start');
    return new ContractError(
      'local-io',
      `Storage on this computer could not start (its data is in ${root}): ${detail}`,
      { subject: root },
    );
  }

  /** Runs starts and stops of servers one at a time. */
  function serially<T>(task: () => Promise<T>): Promise<T> {
    const run = ensuring.then(task);
    ensuring = run.catch(() => undefined);
    return run;
  }

  /** Starts (or, after its key changed, restarts) the account's server. */
  function ensureRunning(row: AccountRow): Promise<AccountRow> {
    if (row.kind !== 'local') return Promise.resolve(row);
    return serially(() => ensureRunningNow(row));
  }

  async function ensureRunningNow(given: AccountRow): Promise<AccountRow> {
    if (closed) throw new ContractError('unknown', 'The service is closed.');
    const row = ctx.accounts.get(given.id) ?? given;
    const secret = await ctx.secrets.get(accountSecretRef(row.id, 'accessKeySecret'));
    if (secret === undefined)
      throw new ContractError(
        'invalid-access-key',
        'The secret of Storage on this computer is missing from the secret store: remove the account and add local storage again (the data on disk is kept).',
        { subject: 'accessKeySecret' },
      );
    registerSecret(secret);
    let port = storedPort(row.endpoint);
    const running = servers.get(row.id);
    if (running !== undefined) {
      if (running.accessKeyId === row.accessKeyId && running.secret === secret)
        return withEndpoint(row, running.server.port);
      // accounts.update gave it a new key: the server must check the new one.
      port = running.server.port;
      await stop(row.id);
    }
    let server: LocalServer;
    try {
      server = await start(port, row.accessKeyId, secret);
    } catch (error) {
      throw failure(error);
    }
    servers.set(row.id, { server, accessKeyId: row.accessKeyId, secret });
    return withEndpoint(row, server.port);
  }

  function withEndpoint(row: AccountRow, port: number): AccountRow {
    const endpoint = endpointOf(port);
    if (row.endpoint === endpoint) return row;
    ctx.logger.debug({ accountId: row.id, port }, 'local storage moved to a new port');
    return ctx.accounts.update(row.id, { endpoint }) ?? { ...row, endpoint };
  }

  async function add(): Promise<AccountRow> {
    const existing = ctx.accounts.list().find((row) => row.kind === 'local');
    if (existing !== undefined) return ensureRunning(existing);
    const accessKeyId = `LTAIlocal${randomBytes(12).toString('hex')}`;
    const secret = randomBytes(30).toString('base64url');
    registerSecret(secret);
    let server: LocalServer;
    try {
      server = await start(0, accessKeyId, secret);
    } catch (error) {
      throw failure(error);
    }
    let row: AccountRow | undefined;
    try {
      row = ctx.accounts.add({
        kind: 'local',
        name: LOCAL_ACCOUNT_NAME,
        endpoint: endpointOf(server.port),
        region: LOCAL_REGION,
        defaultBucket: LOCAL_BUCKET,
        accessKeyId,
        pathStyle: true,
        authorizationV4: true,
        hasSecret: false,
        hasSecurityToken: false,
        securityTokenExpiresAt: null,
        createdAt: ctx.now(),
      });
      await ctx.secrets.set(accountSecretRef(row.id, 'accessKeySecret'), secret);
      const saved = ctx.accounts.update(row.id, { hasSecret: true }) as AccountRow;
      servers.set(row.id, { server, accessKeyId, secret });
      ctx.logger.debug({ accountId: row.id, port: server.port }, 'local storage added');
      return saved;
    } catch (error) {
      if (row !== undefined) ctx.accounts.remove(row.id);
      await server.close();
      throw error;
    }
  }

  const handlers: { 'accounts.addLocalStorage': Handler<'accounts.addLocalStorage'> } = {
    'accounts.addLocalStorage': async () => {
      const run = adding.then(add);
      adding = run.catch(() => undefined);
      return toAccountDto(await run);
    },
  };

  async function stop(id: number): Promise<void> {
    const running = servers.get(id);
    servers.delete(id);
    await running?.server.close();
  }

  return {
    handlers,
    /** Starts the server of a 'local' account if needed; returns its row (endpoint updated). */
    ensureRunning,
    /** Before a 'local' account is removed: stops its server (its data stays on disk). */
    async beforeRemove(row: AccountRow): Promise<void> {
      if (row.kind !== 'local') return;
      // Its transfers stop first, so none of them fails against a server going away.
      await ctx.stopRuntime(row.id);
      await serially(() => stop(row.id));
      ctx.logger.debug(
        { accountId: row.id, root },
        'local storage removed: its server is stopped and its data is kept on disk',
      );
    },
    async close() {
      closed = true;
      await serially(async () => {
        for (const id of [...servers.keys()]) await stop(id);
      });
    },
  };
}
