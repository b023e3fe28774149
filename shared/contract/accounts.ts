/** Accounts: an AccessKey pair (and maybe an STS token) for an endpoint, with bucket defaults. */
import { z } from 'zod';
import { bucketName, id, noParams, noResult, text, timestamp } from './dto.js';
import { contractErrorSchema } from './errors.js';

/** 'aliyun': a real OSS endpoint; 'local': "Storage on this computer" (the embedded server). */
export const ACCOUNT_KINDS = ['aliyun', 'local'] as const;

const endpoint = () =>
  text(255).regex(/^https?:\/\/[^\s/?#]+\/?$/, {
    error: 'must be an http(s) URL with a host only',
  });
const region = () => text(64).regex(/^[a-z0-9-]+$/, { error: 'not a valid region id' });
const accessKeyId = () =>
  text(128).regex(/^[A-Za-z0-9._-]+$/, { error: 'not a valid AccessKey ID' });

/**
 * An account as the UI sees it. It carries no secret: the AccessKey ID is masked
 * (`LTAI****wxyz`), and only whether a secret and an STS token are stored is said.
 */
export const accountSchema = z.strictObject({
  id: id(),
  kind: z.enum(ACCOUNT_KINDS),
  name: text(100),
  /** The endpoint URL (for 'local', the loopback server's). */
  endpoint: endpoint().nullable(),
  region: region().nullable(),
  defaultBucket: bucketName().nullable(),
  /** At most the first 4 and last 4 characters of the AccessKey ID, the rest as '*'. */
  accessKeyIdMasked: text(128).regex(/^[A-Za-z0-9._*-]+$/),
  hasSecret: z.boolean(),
  hasSecurityToken: z.boolean(),
  /** When the STS token expires, if there is one. */
  securityTokenExpiresAt: timestamp().nullable(),
  createdAt: timestamp(),
});
export type AccountDto = z.infer<typeof accountSchema>;

/**
 * SECRETS ENTER HERE AND ONLY HERE: `accessKeySecret` and `securityToken` in
 * accounts.add and accounts.update are the only places in the whole contract where a secret
 * crosses from the renderer to main. No result or event ever carries one back
 * (test/unit/shared/contract-secrets.test.ts enforces the field names).
 */
const credentials = {
  accessKeyId: accessKeyId(),
  /** SECRET. Stored by main in the keychain (safeStorage) or the host's secret file. */
  accessKeySecret: text(256),
  /** SECRET. Optional STS token. */
  securityToken: text(4096).optional(),
  securityTokenExpiresAt: timestamp().optional(),
};

const place = {
  name: text(100),
  /** One of endpoint or region (main checks that at least one is given). */
  endpoint: endpoint().optional(),
  region: region().optional(),
  defaultBucket: bucketName().optional(),
};

export const accountsMethods = {
  'accounts.list': {
    params: noParams(),
    result: z.strictObject({ accounts: z.array(accountSchema).max(1000) }),
  },
  /** SECRET-BEARING params (see `credentials`). */
  'accounts.add': {
    params: z.strictObject({ ...place, ...credentials }),
    result: accountSchema,
  },
  /**
   * SECRET-BEARING params. Only the fields given change; a secret omitted is kept. Giving
   * accessKeyId without accessKeySecret is refused by main (a new key needs its secret).
   */
  'accounts.update': {
    params: z.strictObject({
      id: id(),
      name: place.name.optional(),
      endpoint: place.endpoint,
      region: place.region,
      defaultBucket: bucketName().nullable().optional(),
      accessKeyId: credentials.accessKeyId.optional(),
      accessKeySecret: credentials.accessKeySecret.optional(),
      /** null removes a stored STS token. */
      securityToken: text(4096).nullable().optional(),
      securityTokenExpiresAt: timestamp().nullable().optional(),
    }),
    result: accountSchema,
  },
  /** Forgets the account and its secrets; pairs using it must be removed first (main refuses). */
  'accounts.remove': { params: z.strictObject({ id: id() }), result: noResult() },
  /** Starts "Storage on this computer" (the local server with a generated key) as an account. */
  'accounts.addLocalStorage': { params: noParams(), result: accountSchema },
  /**
   * Tests a saved account: signs a request to the endpoint (and to `bucket` or the default
   * bucket, when there is one) and names the exact problem.
   */
  'accounts.testConnection': {
    params: z.strictObject({ id: id(), bucket: bucketName().optional() }),
    result: z.discriminatedUnion('ok', [
      z.strictObject({ ok: z.literal(true), latencyMs: z.int().min(0) }),
      z.strictObject({
        ok: z.literal(false),
        problem: z.enum([
          'wrong-key', // InvalidAccessKeyId
          'wrong-secret', // SignatureDoesNotMatch
          'token-expired',
          'clock-skew', // RequestTimeTooSkewed
          'unreachable', // DNS, refused, timeout, TLS
          'no-such-bucket',
          'access-denied',
          'other',
        ]),
        error: contractErrorSchema,
      }),
    ]),
  },
} as const;
