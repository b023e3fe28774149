/**
 * The service layer: implements the API contract (shared/contract) on top of the core. One
 * state database in `dataDir` holds accounts and settings; each account gets its own
 * transfer runtime (engine, jobs) under `dataDir/accounts/<id>`, created lazily with the
 * account's RemoteAccount built from its row and its secrets.
 *
 * Every method validates its params with parseParams (the transports do too: defence in
 * depth) and turns every failure into a ContractError (errors.ts).
 */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import {
  ContractError,
  parseEvent,
  parseParams,
  type ContractApi,
  type EventName,
  type EventPayload,
  type MethodName,
  type Params,
  type Result,
  type SettingsDto,
  type TransferLimits,
} from '../../../shared/contract/index.js';
import { AccountStore, SettingsStore, type AccountRow } from '../db/account-store.js';
import { openDatabase, type Db } from '../db/database.js';
import { isCoreError } from '../errors.js';
import { OssRemoteStore } from '../remote/oss-remote-store.js';
import type { RemoteAccount } from '../remote/remote-store.js';
import { createTransferRuntime, type TransferRuntime } from '../runtime.js';
import { forgetSecret } from '../secrets/secret-registry.js';
import { accountSecretRef, type SecretStore } from '../secrets/secret-store.js';
import { DEFAULT_LIMITS } from '../transfer/engine.js';
import { silentServiceLogger, toContractError, type ServiceLogger } from './errors.js';
import { toAccountDto, appStatus, toProgressDto, toTransferDto, listTransfers } from './dto.js';
import { createPairs } from './pairs.js';
import {
  PROBLEMS,
  limitsToDto,
  limitsToEngine,
  regionOfEndpoint,
  wantsPathStyle,
} from './config.js';
import type { RunnerOptions } from '../sync/pair-runner.js';

export interface ServiceOptions {
  dataDir: string;
  secrets: SecretStore;
  logger?: ServiceLogger;
  now?: () => number;
  /** Which program hosts the service (app.info); 'headless' refuses launchAtLogin. */
  host?: 'electron' | 'headless';
  version?: string;
  /** Timeout of accounts.testConnection, in ms. */
  testTimeoutMs?: number;
  /** Options of the folder pairs' runners (default: watching, the core's timings). */
  pairRunner?: Partial<RunnerOptions>;
}

export type ServiceListener = (name: EventName, payload: unknown) => void;

export interface Service {
  api: Partial<ContractApi>;
  events: { on(listener: ServiceListener): () => void };
  /** The runtime of the account in use (starting it), or undefined without accounts. */
  runtime(): Promise<TransferRuntime | undefined>;
  close(): Promise<void>;
}

const SETTING_LANGUAGE = 'app.language';
const SETTING_LAUNCH = 'app.launchAtLogin';
const SETTING_LOG_LEVEL = 'app.logLevel';
const SETTING_LIMITS = 'transfers.limits';
const SETTING_PAUSED = 'transfers.pausedAll';

type Handler<M extends MethodName> = (params: Params<M>) => Promise<Result<M>>;

export function createService(options: ServiceOptions): Service {
  const logger = options.logger ?? silentServiceLogger;
  const now = options.now ?? Date.now;
  const secrets = options.secrets;
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const db: Db = openDatabase(path.join(options.dataDir, 'state.db'));
  const accounts = new AccountStore(db);
  const settings = new SettingsStore(db);
  const listeners = new Set<ServiceListener>();
  const runtimes = new Map<number, Promise<TransferRuntime>>();
  let closed = false;

  function emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    const parsed = parseEvent(name, payload);
    if (!parsed.ok) {
      logger.error({ event: name, subject: parsed.error.subject }, 'event failed its schema');
      return;
    }
    for (const listener of listeners) {
      try {
        listener(name, parsed.value);
      } catch (error) {
        logger.warn({ event: name, detail: String(error) }, 'event listener threw');
      }
    }
  }

  function limits(): TransferLimits {
    const stored = settings.get(SETTING_LIMITS) as Partial<TransferLimits> | undefined;
    return { ...limitsToDto(DEFAULT_LIMITS), ...(stored ?? {}) };
  }

  function currentSettings(): SettingsDto {
    return {
      language: (settings.get(SETTING_LANGUAGE) as SettingsDto['language'] | undefined) ?? 'system',
      launchAtLogin: (settings.get(SETTING_LAUNCH) as boolean | undefined) ?? false,
      logLevel: (settings.get(SETTING_LOG_LEVEL) as SettingsDto['logLevel'] | undefined) ?? 'info',
      limits: limits(),
    };
  }

  function accountRow(id: number): AccountRow {
    const row = accounts.get(id);
    if (row === undefined)
      throw new ContractError('not-found', `No account ${id}.`, { subject: 'params.id' });
    return row;
  }

  async function remoteAccount(row: AccountRow): Promise<RemoteAccount> {
    const secret = await secrets.get(accountSecretRef(row.id, 'accessKeySecret'));
    if (secret === undefined)
      throw new ContractError('invalid-access-key', 'The account has no AccessKey secret.');
    const token = row.hasSecurityToken
      ? await secrets.get(accountSecretRef(row.id, 'securityToken'))
      : undefined;
    const endpoint = row.endpoint ?? `https://${row.region ?? 'oss-cn-hangzhou'}.aliyuncs.com`;
    const account: RemoteAccount = {
      endpoint,
      region: row.region ?? regionOfEndpoint(endpoint) ?? 'oss-cn-hangzhou',
      accessKeyId: row.accessKeyId,
      accessKeySecret: secret,
      pathStyle: row.pathStyle,
      authorizationV4: row.authorizationV4,
    };
    if (token !== undefined) account.securityToken = token;
    return account;
  }

  function activeAccount(): AccountRow | undefined {
    return accounts.list()[0];
  }

  const accountDir = (id: number) => path.join(options.dataDir, 'accounts', String(id));

  const pairs = createPairs({
    dataDir: accountDir,
    runnerOptions: options.pairRunner ?? {},
    async active() {
      const row = activeAccount();
      if (row === undefined) return undefined;
      const runtime = await activeRuntime();
      return runtime === undefined ? undefined : { accountId: row.id, runtime };
    },
    emit,
  });

  async function startRuntime(row: AccountRow): Promise<TransferRuntime> {
    const runtime = createTransferRuntime({
      dataDir: accountDir(row.id),
      account: await remoteAccount(row),
      engine: { ...limitsToEngine(limits()) },
    });
    const { engine } = runtime;
    if (settings.get(SETTING_PAUSED) === true) engine.pauseAll();
    engine.on('job', (job) => {
      emit('transfers.jobChanged', toTransferDto(job));
      emit('app.statusChanged', appStatus(runtime, now));
    });
    engine.on('progress', (snapshot) => emit('transfers.progress', toProgressDto(snapshot)));
    engine.on('connectivity', () => emit('app.statusChanged', appStatus(runtime, now)));
    engine.start();
    try {
      await pairs.attach(row.id, runtime);
    } catch (error) {
      await pairs.detach(runtime);
      await runtime.close();
      throw error;
    }
    return runtime;
  }

  function runtimeOf(row: AccountRow): Promise<TransferRuntime> {
    let runtime = runtimes.get(row.id);
    if (runtime === undefined) {
      runtime = startRuntime(row);
      runtimes.set(row.id, runtime);
      runtime.catch(() => runtimes.delete(row.id));
    }
    return runtime;
  }

  async function activeRuntime(): Promise<TransferRuntime | undefined> {
    if (closed) throw new ContractError('unknown', 'The service is closed.');
    const row = activeAccount();
    return row === undefined ? undefined : runtimeOf(row);
  }

  async function stopRuntime(id: number): Promise<void> {
    const runtime = runtimes.get(id);
    runtimes.delete(id);
    if (runtime === undefined) return;
    const started = await runtime;
    await pairs.detach(started);
    await started.close();
  }

  async function storeSecret(
    id: number,
    field: 'accessKeySecret' | 'securityToken',
    value: string,
  ) {
    await secrets.set(accountSecretRef(id, field), value);
  }

  async function forget(id: number, field: 'accessKeySecret' | 'securityToken') {
    const ref = accountSecretRef(id, field);
    const old = await secrets.get(ref);
    if (old !== undefined) forgetSecret(old);
    await secrets.delete(ref);
  }

  async function eachJob(
    ids: readonly number[],
    action: (runtime: TransferRuntime, id: number) => Promise<boolean> | boolean,
  ) {
    const runtime = await activeRuntime();
    let changed = 0;
    if (runtime !== undefined)
      for (const id of ids) {
        if (runtime.store.get(id) === undefined) continue;
        if (await action(runtime, id)) changed += 1;
      }
    return { changed };
  }

  const handlers: { [M in MethodName]?: Handler<M> } = {
    'accounts.list': async () => ({ accounts: accounts.list().map(toAccountDto) }),

    'accounts.add': async (params) => {
      if (params.endpoint === undefined && params.region === undefined)
        throw new ContractError('invalid-argument', 'Give an endpoint or a region.', {
          subject: 'params.endpoint',
        });
      const endpoint = params.endpoint?.replace(/\/$/, '') ?? null;
      const row = accounts.add({
        kind: 'aliyun',
        name: params.name,
        endpoint,
        region: params.region ?? null,
        defaultBucket: params.defaultBucket ?? null,
        accessKeyId: params.accessKeyId,
        pathStyle: endpoint !== null && wantsPathStyle(endpoint),
        authorizationV4: true,
        hasSecret: false,
        hasSecurityToken: false,
        securityTokenExpiresAt: params.securityTokenExpiresAt ?? null,
        createdAt: now(),
      });
      try {
        await storeSecret(row.id, 'accessKeySecret', params.accessKeySecret);
        if (params.securityToken !== undefined)
          await storeSecret(row.id, 'securityToken', params.securityToken);
      } catch (error) {
        accounts.remove(row.id);
        throw error;
      }
      const saved = accounts.update(row.id, {
        hasSecret: true,
        hasSecurityToken: params.securityToken !== undefined,
      }) as AccountRow;
      return toAccountDto(saved);
    },

    'accounts.update': async (params) => {
      const row = accountRow(params.id);
      if (params.accessKeyId !== undefined && params.accessKeySecret === undefined)
        throw new ContractError('invalid-argument', 'A new AccessKey ID needs its secret.', {
          subject: 'params.accessKeySecret',
        });
      const endpoint =
        params.endpoint === undefined ? undefined : params.endpoint.replace(/\/$/, '');
      if (params.accessKeySecret !== undefined)
        await storeSecret(row.id, 'accessKeySecret', params.accessKeySecret);
      if (params.securityToken === null) await forget(row.id, 'securityToken');
      else if (params.securityToken !== undefined)
        await storeSecret(row.id, 'securityToken', params.securityToken);
      const updated = accounts.update(row.id, {
        ...(params.name === undefined ? {} : { name: params.name }),
        ...(endpoint === undefined ? {} : { endpoint, pathStyle: wantsPathStyle(endpoint) }),
        ...(params.region === undefined ? {} : { region: params.region }),
        ...(params.accessKeyId === undefined ? {} : { accessKeyId: params.accessKeyId }),
        ...(params.accessKeySecret === undefined ? {} : { hasSecret: true }),
        ...(params.securityToken === undefined
          ? {}
          : { hasSecurityToken: params.securityToken !== null }),
      }) as AccountRow;
      // nullable columns: null clears them (update() skips only undefined)
      if (params.defaultBucket !== undefined)
        db.prepare('UPDATE accounts SET default_bucket = ? WHERE id = ?').run(
          params.defaultBucket,
          row.id,
        );
      if (params.securityTokenExpiresAt !== undefined || params.securityToken === null)
        db.prepare('UPDATE accounts SET security_token_expires_at = ? WHERE id = ?').run(
          params.securityToken === null ? null : (params.securityTokenExpiresAt ?? null),
          row.id,
        );
      // The runtime holds the old credentials: the next use starts a fresh one.
      await stopRuntime(row.id);
      return toAccountDto(accounts.get(updated.id) as AccountRow);
    },

    'accounts.remove': async ({ id }) => {
      accountRow(id);
      await stopRuntime(id);
      await forget(id, 'accessKeySecret');
      await forget(id, 'securityToken');
      accounts.remove(id);
      return {};
    },

    'accounts.testConnection': async ({ id, bucket }) => {
      const row = accountRow(id);
      const target = bucket ?? row.defaultBucket ?? undefined;
      if (target === undefined)
        throw new ContractError('invalid-argument', 'Give a bucket to test with.', {
          subject: 'params.bucket',
        });
      const started = now();
      let remote: OssRemoteStore | undefined;
      try {
        remote = new OssRemoteStore(await remoteAccount(row));
        await remote.listPage(
          target,
          { maxKeys: 1 },
          { timeoutMs: options.testTimeoutMs ?? 10_000 },
        );
        return { ok: true, latencyMs: Math.max(0, now() - started) };
      } catch (error) {
        if (!isCoreError(error) && !(error instanceof ContractError)) throw error;
        const contractError = toContractError(error, logger);
        const problem =
          (PROBLEMS as Record<string, (typeof PROBLEMS)[keyof typeof PROBLEMS]>)[
            contractError.code
          ] ?? 'other';
        return { ok: false, problem, error: contractError.toData() };
      } finally {
        remote?.close();
      }
    },

    'app.info': async () => ({
      version: options.version ?? '0.1.0',
      host: options.host ?? 'headless',
      platform: process.platform,
    }),

    'app.status': async () => appStatus(await activeRuntime(), now),

    'settings.get': async () => currentSettings(),

    'settings.update': async (params) => {
      if (params.launchAtLogin === true && (options.host ?? 'headless') === 'headless')
        throw new ContractError('invalid-argument', 'The headless host cannot launch at login.', {
          subject: 'params.launchAtLogin',
        });
      if (params.language !== undefined) settings.set(SETTING_LANGUAGE, params.language);
      if (params.launchAtLogin !== undefined) settings.set(SETTING_LAUNCH, params.launchAtLogin);
      if (params.logLevel !== undefined) settings.set(SETTING_LOG_LEVEL, params.logLevel);
      if (params.limits !== undefined) await applyLimits(params.limits);
      return currentSettings();
    },

    'transfers.list': async (params) => {
      const runtime = await activeRuntime();
      if (runtime === undefined) return { items: [], nextCursor: null, total: 0 };
      return listTransfers(runtime, params);
    },

    'transfers.pause': async ({ ids }) =>
      eachJob(ids, (runtime, id) => {
        const before = runtime.store.get(id)?.state;
        runtime.engine.pause(id);
        return before !== undefined && ['queued', 'running', 'waiting-retry'].includes(before);
      }),

    'transfers.resume': async ({ ids }) =>
      eachJob(ids, (runtime, id) => {
        if (runtime.store.get(id)?.state !== 'paused') return false;
        runtime.engine.resume(id);
        return true;
      }),

    'transfers.retry': async ({ ids }) =>
      eachJob(ids, (runtime, id) => runtime.engine.retryJob(id)),

    'transfers.cancel': async ({ ids }) =>
      eachJob(ids, async (runtime, id) => {
        const before = runtime.store.get(id)?.state;
        if (before === undefined || ['done', 'cancelled'].includes(before)) return false;
        await runtime.engine.cancel(id);
        return true;
      }),

    'transfers.clearFinished': async ({ states }) => {
      const runtime = await activeRuntime();
      if (runtime === undefined) return { removed: 0 };
      const chosen = states ?? ['done', 'failed', 'cancelled'];
      const removed = runtime.db
        .prepare(`DELETE FROM jobs WHERE state IN (${chosen.map(() => '?').join(', ')})`)
        .run(...chosen).changes;
      if (removed > 0) emit('transfers.listChanged', { added: 0, removed });
      return { removed };
    },

    'transfers.pauseAll': async () => {
      settings.set(SETTING_PAUSED, true);
      const runtime = await activeRuntime();
      runtime?.engine.pauseAll();
      emit('app.statusChanged', appStatus(runtime, now));
      return {};
    },

    'transfers.resumeAll': async () => {
      settings.set(SETTING_PAUSED, false);
      const runtime = await activeRuntime();
      runtime?.engine.resumeAll();
      emit('app.statusChanged', appStatus(runtime, now));
      return {};
    },

    'transfers.getLimits': async () => limits(),

    'transfers.setLimits': async (params) => applyLimits(params),

    ...pairs.handlers,
  };

  async function applyLimits(changes: Partial<TransferLimits>): Promise<TransferLimits> {
    const next = { ...limits(), ...changes };
    if (next.maxPartsPerFile > next.maxParts)
      throw new ContractError(
        'invalid-argument',
        'Parts per file cannot exceed parts in flight overall.',
        { subject: 'params.maxPartsPerFile' },
      );
    settings.set(SETTING_LIMITS, next);
    for (const runtime of runtimes.values()) (await runtime).engine.setLimits(limitsToEngine(next));
    return next;
  }

  const api: Partial<ContractApi> = {};
  for (const name of Object.keys(handlers) as MethodName[]) {
    const handler = handlers[name] as (params: unknown) => Promise<unknown>;
    (api as Record<string, (params: unknown) => Promise<unknown>>)[name] = async (params) => {
      const parsed = parseParams(name, params);
      if (!parsed.ok) throw parsed.error;
      try {
        return await handler(parsed.value);
      } catch (error) {
        throw toContractError(error, logger);
      }
    };
  }

  return {
    api,
    events: {
      on(listener) {
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
        };
      },
    },
    runtime: activeRuntime,
    async close() {
      if (closed) return;
      closed = true;
      for (const id of [...runtimes.keys()]) {
        try {
          await stopRuntime(id);
        } catch (error) {
          logger.warn({ detail: String(error) }, 'a runtime failed to close');
        }
      }
      listeners.clear();
      db.close();
    },
  };
}
