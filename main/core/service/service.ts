/**
 * The service layer: implements the API contract (shared/contract) on top of the core. One
 * state database in `dataDir` holds accounts and settings; each account gets its own
 * transfer runtime (engine, jobs, pairs) under `dataDir/accounts/<id>`, created lazily with
 * the account's RemoteAccount built from its row and its secrets.
 *
 * This file builds the shared context (context.ts) and composes the method groups:
 * accounts.ts, transfers.ts, app.ts, pairs.ts, browse.ts, activity.ts. Every method
 * validates its params with parseParams (the transports do too: defence in depth) and
 * turns every failure into a ContractError (errors.ts).
 */
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Registry } from 'prom-client';
import {
  ContractError,
  isContractError,
  parseEvent,
  type AppStatusDto,
  parseParams,
  type ContractApi,
  type EventName,
  type EventPayload,
  type MethodName,
} from '../../../shared/contract/index.js';
import { AccountStore, SettingsStore, type AccountRow } from '../db/account-store.js';
import { openDatabase, type Db } from '../db/database.js';
import type { RemoteAccount } from '../remote/remote-store.js';
import { createTransferRuntime, type TransferRuntime } from '../runtime.js';
import { redact } from '../secrets/secret-registry.js';
import { accountSecretRef, type SecretStore } from '../secrets/secret-store.js';
import type { RunnerOptions } from '../sync/pair-runner.js';
import { createAccounts } from './accounts.js';
import { createActivity, type ActivityOptions } from './activity.js';
import { createApp, type DesktopActions } from './app.js';
import { createBrowse } from './browse.js';
import { limitsToEngine, regionOfEndpoint } from './config.js';
import type { RuntimeListener, ServiceContext } from './context.js';
import { appStatus, toProgressDto, toTransferDto } from './dto.js';
import { silentServiceLogger, toContractError, type ServiceLogger } from './errors.js';
import { createLocalStorage, type LocalServerStarter } from './local-storage.js';
import { createServiceMetrics } from './metrics.js';
import { createPairs } from './pairs.js';
import { createStaging, type StagingApi } from './staging.js';
import { createTransfers, SETTING_PAUSED } from './transfers.js';

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
  /**
   * Starts the embedded local server for "Storage on this computer" (the host program
   * passes main/osslocal's startEmbeddedServer); without it accounts.addLocalStorage fails.
   */
  localServer?: LocalServerStarter;
  /** The desktop app's folder picker and file manager (app.pickFolder, app.showInFolder). */
  desktop?: DesktopActions;
  /** Timings of the activity log and notifications (tests shorten them). */
  activity?: ActivityOptions;
}

/** How often a runtime's job changes are reported as app.statusChanged, at most. */
const STATUS_EVERY_MS = 250;

export type ServiceListener = (name: EventName, payload: unknown) => void;

export interface Service {
  api: Partial<ContractApi>;
  events: { on(listener: ServiceListener): () => void };
  /**
   * Starts every account's runtime, so queued transfers resume and folder pairs sync
   * without waiting for a UI to ask (a host calls it once it is up). An account that cannot
   * start is logged and left for its next use; the others start anyway.
   */
  start(): Promise<void>;
  /** The runtime of the account in use (starting it), or undefined without accounts. */
  runtime(): Promise<TransferRuntime | undefined>;
  /** The service's Prometheus metrics; the headless host serves them on /metrics. */
  metrics: Registry;
  /** Files dropped into a browser, staged by the host and queued as uploads. */
  staging: StagingApi;
  close(): Promise<void>;
}

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
  const runtimeListeners = new Set<RuntimeListener>();
  /** What each started runtime's listeners asked to be called when it stops. */
  const runtimeDisposers = new Map<TransferRuntime, (() => void)[]>();
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

  function accountRow(id: number, subject = 'params.id'): AccountRow {
    const row = accounts.get(id);
    if (row === undefined) throw new ContractError('not-found', `No account ${id}.`, { subject });
    return row;
  }

  async function remoteAccount(given: AccountRow): Promise<RemoteAccount> {
    // "Storage on this computer": its server must be running (its port may have changed).
    const row = given.kind === 'local' ? await localStorage.ensureRunning(given) : given;
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

  const activeAccount = (): AccountRow | undefined => accounts.list()[0];
  const accountDir = (id: number) => path.join(options.dataDir, 'accounts', String(id));

  async function startRuntime(row: AccountRow): Promise<TransferRuntime> {
    const runtime = createTransferRuntime({
      dataDir: accountDir(row.id),
      account: await remoteAccount(row),
      engine: { ...limitsToEngine(transfers.limits()) },
      remote: { observer: metrics.ossObserver },
    });
    const { engine } = runtime;
    if (settings.get(SETTING_PAUSED) === true) engine.pauseAll();
    // The status is the account in use's; after close() there is none to report.
    const publishStatus = () =>
      currentStatus().then(
        (value) => emit('app.statusChanged', value),
        () => undefined,
      );
    // A burst of jobs changes the status thousands of times a second: tell it at most every
    // STATUS_EVERY_MS (each status counts the queue).
    let statusTimer: NodeJS.Timeout | undefined;
    engine.on('job', (job) => {
      emit('transfers.jobChanged', toTransferDto(job, row.id));
      if (statusTimer !== undefined) return;
      statusTimer = setTimeout(() => {
        statusTimer = undefined;
        if (!closed) void publishStatus();
      }, STATUS_EVERY_MS);
      statusTimer.unref();
    });
    engine.on('progress', (snapshot) =>
      emit('transfers.progress', toProgressDto(snapshot, row.id)),
    );
    engine.on('connectivity', () => void publishStatus());
    engine.start();
    try {
      await pairs.attach(row.id, runtime);
    } catch (error) {
      await pairs.detach(runtime);
      await runtime.close();
      throw error;
    }
    const disposers: (() => void)[] = [];
    for (const listener of runtimeListeners) {
      const dispose = listener(row.id, runtime);
      if (dispose !== undefined) disposers.push(dispose);
    }
    runtimeDisposers.set(runtime, disposers);
    return runtime;
  }

  function runtimeOf(row: AccountRow): Promise<TransferRuntime> {
    if (closed) return Promise.reject(new ContractError('unknown', 'The service is closed.'));
    let runtime = runtimes.get(row.id);
    if (runtime === undefined) {
      runtime = startRuntime(row);
      runtimes.set(row.id, runtime);
      runtime.catch(() => runtimes.delete(row.id));
    }
    return runtime;
  }

  /** The app status of the account in use (none: the saved global pause only). */
  async function currentStatus(): Promise<AppStatusDto> {
    return appStatus(await activeRuntime(), settings.get(SETTING_PAUSED) === true);
  }

  async function activeRuntime(): Promise<TransferRuntime | undefined> {
    const row = activeAccount();
    return row === undefined ? undefined : runtimeOf(row);
  }

  async function stopRuntime(id: number): Promise<void> {
    const runtime = runtimes.get(id);
    runtimes.delete(id);
    if (runtime === undefined) return;
    const started = await runtime;
    for (const dispose of runtimeDisposers.get(started) ?? []) dispose();
    runtimeDisposers.delete(started);
    await pairs.detach(started);
    await started.close();
  }

  async function startedRuntimes(): Promise<Map<number, TransferRuntime>> {
    const started = new Map<number, TransferRuntime>();
    for (const [id, runtime] of runtimes) {
      try {
        started.set(id, await runtime);
      } catch {
        // a runtime that failed to start is dropped from the map by runtimeOf
      }
    }
    return started;
  }

  const ctx: ServiceContext = {
    dataDir: options.dataDir,
    accountDir,
    db,
    accounts,
    settings,
    secrets,
    logger,
    now,
    emit,
    accountRow,
    remoteAccount,
    activeAccount,
    activeRuntime,
    runtimeFor: async (accountId, subject) => runtimeOf(accountRow(accountId, subject)),
    stopRuntime,
    startedRuntimes,
    status: currentStatus,
    onRuntime(listener) {
      runtimeListeners.add(listener);
      return () => {
        runtimeListeners.delete(listener);
      };
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };

  const pairs = createPairs({
    // The whole data folder, not the account's: a pair inside it (its logs, another
    // account's state) would upload OSSync's own files as they change.
    dataDir: () => options.dataDir,
    runnerOptions: options.pairRunner ?? {},
    async active() {
      const row = activeAccount();
      if (row === undefined) return undefined;
      const runtime = await activeRuntime();
      return runtime === undefined ? undefined : { accountId: row.id, runtime };
    },
    emit,
  });
  const transfers = createTransfers(ctx);
  const app = createApp(ctx, transfers, {
    host: options.host ?? 'headless',
    version: options.version ?? '0.1.0',
    desktop: options.desktop,
  });
  const localStorage = createLocalStorage(ctx, { startServer: options.localServer });
  const accountMethods = createAccounts(ctx, {
    ...(options.testTimeoutMs === undefined ? {} : { testTimeoutMs: options.testTimeoutMs }),
    beforeRemove: (row) => localStorage.beforeRemove(row),
  });
  const browse = createBrowse(ctx);
  const activity = createActivity(ctx, options.activity);
  const metrics = createServiceMetrics(ctx);
  const staging = createStaging(ctx);

  // The tray counts pairs with errors, awaiting confirmation and conflicts: tell it when
  // a pair's status changes those counts.
  let pairCounts = '';
  ctx.onEvent((name) => {
    if (name !== 'pairs.statusChanged' && name !== 'pairs.removed') return;
    void currentStatus()
      .then((value) => {
        const { pairs, pairsWithErrors, pairsAwaitingConfirmation, conflicts } = value.counts;
        const counts = `${pairs}/${pairsWithErrors}/${pairsAwaitingConfirmation}/${conflicts}`;
        if (counts === pairCounts || closed) return;
        pairCounts = counts;
        emit('app.statusChanged', value);
      })
      .catch(() => undefined);
  });

  const handlers: Partial<Record<MethodName, (params: never) => Promise<unknown>>> = {
    ...accountMethods.handlers,
    ...transfers.handlers,
    ...app.handlers,
    ...pairs.handlers,
    ...browse.handlers,
    ...activity.handlers,
    ...localStorage.handlers,
  };

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
    async start() {
      for (const row of accounts.list()) {
        try {
          await runtimeOf(row);
        } catch (error) {
          const detail = isContractError(error) ? error.code : String(error);
          logger.warn({ accountId: row.id, detail: redact(detail) }, 'an account did not start');
        }
      }
    },
    runtime: activeRuntime,
    metrics: metrics.registry,
    staging: staging.api,
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
      await activity.close();
      await staging.close();
      await localStorage.close();
      metrics.close();
      listeners.clear();
      db.close();
    },
  };
}
