/**
 * Secrets for `ossync serve`, where there is no keychain. Looked up in this order:
 *
 * 1. `OSSYNC_SECRET_<REF>`: the ref in upper snake case, every run of other characters an
 *    underscore and camelCase split: `account:3:accessKeySecret` is
 *    `OSSYNC_SECRET_ACCOUNT_3_ACCESS_KEY_SECRET`.
 * 2. For the default account only, the variables the CLI already reads: `OSS_ACCESS_KEY_SECRET`
 *    and `OSS_SESSION_TOKEN`.
 * 3. The secrets file, when one is given: a JSON object of ref to secret, owned by the current
 *    user with mode 0600 or stricter (refused otherwise, with the chmod to run). `set` and
 *    `delete` write it, atomically and with mode 0600.
 *
 * The environment wins over the file, so an operator can override a stored secret without
 * editing it. Values are registered for redaction when read and never logged.
 */
import { CoreError } from '../errors.js';
import { readSecretFile, secretJson, writeFileAtomic } from './secret-file.js';
import { registerSecret } from './secret-registry.js';
import { accountSecretRef, checkSecretRef, type SecretStore } from './secret-store.js';

export const SECRET_ENV_PREFIX = 'OSSYNC_SECRET_';

/** The account whose secrets may also come from OSS_ACCESS_KEY_SECRET / OSS_SESSION_TOKEN. */
export const DEFAULT_ACCOUNT_ID = 'default';

/** `account:3:accessKeySecret` -> `OSSYNC_SECRET_ACCOUNT_3_ACCESS_KEY_SECRET`. */
export function secretEnvName(ref: string): string {
  const snake = ref
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
  return `${SECRET_ENV_PREFIX}${snake}`;
}

export interface HeadlessSecretStoreOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Path of the secrets file; without it only the environment is read and `set` fails. */
  file?: string;
  /** The account id the CLI's OSS_* variables belong to; `default` unless told. */
  defaultAccountId?: string | number;
}

export class HeadlessSecretStore implements SecretStore {
  readonly kind = 'headless';
  private readonly env: NodeJS.ProcessEnv;
  private readonly file: string | undefined;
  private readonly legacy: ReadonlyMap<string, string>;
  /** The file's content, read once; undefined until then. */
  private cache: Map<string, string> | undefined;
  /** Writes run one after another, each on top of the previous one's result. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: HeadlessSecretStoreOptions = {}) {
    this.env = options.env ?? process.env;
    this.file = options.file;
    const account = options.defaultAccountId ?? DEFAULT_ACCOUNT_ID;
    this.legacy = new Map([
      [accountSecretRef(account, 'accessKeySecret'), 'OSS_ACCESS_KEY_SECRET'],
      [accountSecretRef(account, 'securityToken'), 'OSS_SESSION_TOKEN'],
    ]);
  }

  /** Where `ref` would be read from the environment, for help texts. */
  envNames(ref: string): string[] {
    const legacy = this.legacy.get(ref);
    return legacy === undefined ? [secretEnvName(ref)] : [secretEnvName(ref), legacy];
  }

  /**
   * Reads and checks the secrets file now, so `ossync serve` fails at start with the chmod
   * hint rather than at the first sync.
   */
  async check(): Promise<void> {
    await this.load();
  }

  async get(ref: string): Promise<string | undefined> {
    checkSecretRef(ref);
    for (const name of this.envNames(ref)) {
      const value = this.env[name];
      if (value !== undefined && value !== '') {
        registerSecret(value);
        return value;
      }
    }
    const value = (await this.load()).get(ref);
    registerSecret(value);
    return value;
  }

  async set(ref: string, secret: string): Promise<void> {
    checkSecretRef(ref);
    registerSecret(secret);
    await this.update((map) => map.set(ref, secret));
  }

  async delete(ref: string): Promise<void> {
    checkSecretRef(ref);
    await this.update((map) => map.delete(ref));
  }

  private async load(): Promise<Map<string, string>> {
    if (this.cache !== undefined) return this.cache;
    if (this.file === undefined) return new Map();
    const map =
      (await readSecretFile(this.file, { ownerOnly: true, what: 'secrets file' })) ??
      new Map<string, string>();
    for (const value of map.values()) registerSecret(value);
    this.cache = map;
    return map;
  }

  private update(change: (map: Map<string, string>) => void): Promise<void> {
    const run = this.queue.then(async () => {
      const file = this.file;
      if (file === undefined)
        throw new CoreError(
          'invalid-argument',
          'No secrets file is configured, so secrets cannot be saved: start the host with a secrets file, or set them in the environment (OSSYNC_SECRET_<REF>).',
        );
      // Re-read so a hand edit since the start is kept, and re-check its owner and mode.
      this.cache = undefined;
      const next = new Map(await this.load());
      change(next);
      await writeFileAtomic(file, secretJson(next));
      this.cache = next;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
