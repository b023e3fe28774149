/**
 * What the service's method groups share (service.ts builds it once): the state database's
 * stores, secrets, the logger, the event emitter and the account runtimes. Each group
 * (accounts.ts, transfers.ts, browse.ts, activity.ts, pairs.ts) is a factory taking this
 * context and returning its handlers.
 */
import type {
  AppStatusDto,
  EventName,
  EventPayload,
  MethodName,
  Params,
  Result,
} from '../../../shared/contract/index.js';
import type { AccountRow, AccountStore, SettingsStore } from '../db/account-store.js';
import type { Db } from '../db/database.js';
import type { RemoteAccount } from '../remote/remote-store.js';
import type { TransferRuntime } from '../runtime.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { ServiceLogger } from './errors.js';

export type Handler<M extends MethodName> = (params: Params<M>) => Promise<Result<M>>;
export type Handlers<Prefix extends string> = {
  [M in MethodName & `${Prefix}${string}`]: Handler<M>;
};

export interface ServiceContext {
  dataDir: string;
  /** Where account `id` keeps its runtime database (and pair state). */
  accountDir(id: number): string;
  db: Db;
  accounts: AccountStore;
  settings: SettingsStore;
  secrets: SecretStore;
  logger: ServiceLogger;
  now: () => number;
  /** Validates the payload against the contract and tells every listener. */
  emit<E extends EventName>(name: E, payload: EventPayload<E>): void;
  /** The account's row, or a 'not-found' ContractError naming `subject` (default params.id). */
  accountRow(id: number, subject?: string): AccountRow;
  /** The account's endpoint and credentials, read from the secret store. */
  remoteAccount(row: AccountRow): Promise<RemoteAccount>;
  /** The account in use: the lowest id (undefined without accounts). */
  activeAccount(): AccountRow | undefined;
  /** The runtime of the account in use, started on first use; undefined without accounts. */
  activeRuntime(): Promise<TransferRuntime | undefined>;
  /** The runtime of one account, started on first use ('not-found' for an unknown id). */
  runtimeFor(accountId: number, subject?: string): Promise<TransferRuntime>;
  /** Stops an account's runtime (after its credentials changed, or before removing it). */
  stopRuntime(accountId: number): Promise<void>;
  /** The app status (the account in use's queue and pairs, the global pause). */
  status(): Promise<AppStatusDto>;
  /** Runtimes started so far, by account id. */
  startedRuntimes(): Promise<Map<number, TransferRuntime>>;
  /**
   * Calls `listener` for every runtime as it starts (after its engine and pairs started);
   * the function it may return is called when that runtime stops. Returns an unsubscribe.
   */
  onRuntime(listener: RuntimeListener): () => void;
  /** Calls `listener` with every event the service emits (after validation). Returns an unsubscribe. */
  onEvent(listener: EventListener): () => void;
}

export type EventListener = (name: EventName, payload: unknown) => void;

export type RuntimeListener = (accountId: number, runtime: TransferRuntime) => void | (() => void);
