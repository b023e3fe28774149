/** The accounts.* methods: rows in the state database, secrets in the SecretStore. */
import { ContractError } from '../../../shared/contract/index.js';
import type { AccountRow } from '../db/account-store.js';
import { isCoreError } from '../errors.js';
import { OssRemoteStore } from '../remote/oss-remote-store.js';
import { forgetSecret } from '../secrets/secret-registry.js';
import { accountSecretRef } from '../secrets/secret-store.js';
import { PROBLEMS, wantsPathStyle } from './config.js';
import type { Handler, ServiceContext } from './context.js';
import { toAccountDto } from './dto.js';
import { toContractError } from './errors.js';

type SecretField = 'accessKeySecret' | 'securityToken';

export interface AccountsOptions {
  /** Timeout of accounts.testConnection, in ms. */
  testTimeoutMs?: number;
  /** Called before an account's row and secrets go (its pairs' state, a local server). */
  beforeRemove?: (row: AccountRow) => Promise<void>;
}

export function createAccounts(ctx: ServiceContext, options: AccountsOptions = {}) {
  const { accounts, secrets } = ctx;

  async function storeSecret(id: number, field: SecretField, value: string) {
    await secrets.set(accountSecretRef(id, field), value);
  }

  async function forget(id: number, field: SecretField) {
    const ref = accountSecretRef(id, field);
    const old = await secrets.get(ref);
    if (old !== undefined) forgetSecret(old);
    await secrets.delete(ref);
  }

  const handlers: {
    'accounts.list': Handler<'accounts.list'>;
    'accounts.add': Handler<'accounts.add'>;
    'accounts.update': Handler<'accounts.update'>;
    'accounts.remove': Handler<'accounts.remove'>;
    'accounts.testConnection': Handler<'accounts.testConnection'>;
  } = {
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
        createdAt: ctx.now(),
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
      const row = ctx.accountRow(params.id);
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
        ctx.db
          .prepare('UPDATE accounts SET default_bucket = ? WHERE id = ?')
          .run(params.defaultBucket, row.id);
      if (params.securityTokenExpiresAt !== undefined || params.securityToken === null)
        ctx.db
          .prepare('UPDATE accounts SET security_token_expires_at = ? WHERE id = ?')
          .run(
            params.securityToken === null ? null : (params.securityTokenExpiresAt ?? null),
            row.id,
          );
      // The runtime holds the old credentials: the next use starts a fresh one.
      await ctx.stopRuntime(row.id);
      return toAccountDto(accounts.get(updated.id) as AccountRow);
    },

    'accounts.remove': async ({ id }) => {
      const row = ctx.accountRow(id);
      await options.beforeRemove?.(row);
      await ctx.stopRuntime(id);
      await forget(id, 'accessKeySecret');
      await forget(id, 'securityToken');
      accounts.remove(id);
      return {};
    },

    'accounts.testConnection': async ({ id, bucket }) => {
      const row = ctx.accountRow(id);
      const target = bucket ?? row.defaultBucket ?? undefined;
      if (target === undefined)
        throw new ContractError('invalid-argument', 'Give a bucket to test with.', {
          subject: 'params.bucket',
        });
      const started = ctx.now();
      let remote: OssRemoteStore | undefined;
      try {
        remote = new OssRemoteStore(await ctx.remoteAccount(row));
        await remote.listPage(
          target,
          { maxKeys: 1 },
          { timeoutMs: options.testTimeoutMs ?? 10_000 },
        );
        return { ok: true, latencyMs: Math.max(0, ctx.now() - started) };
      } catch (error) {
        if (!isCoreError(error) && !(error instanceof ContractError)) throw error;
        const contractError = toContractError(error, ctx.logger);
        const problem =
          (PROBLEMS as Record<string, (typeof PROBLEMS)[keyof typeof PROBLEMS]>)[
            contractError.code
          ] ?? 'other';
        return { ok: false, problem, error: contractError.toData() };
      } finally {
        remote?.close();
      }
    },
  };

  return { handlers, storeSecret };
}
