/** Inputs and outputs of the local OSS request-signature verifier. */

export interface Credential {
  accessKeyId: string;
  accessKeySecret: string;
}

export interface StsCredential extends Credential {
  securityToken: string;
  /** ms since epoch */
  expiration: number;
}

export interface AuthConfig {
  /** Long-term AccessKey pairs. */
  credentials: readonly Credential[];
  /** Temporary ones: the request must carry the matching token. */
  stsCredentials: readonly StsCredential[];
  /** Injected clock, ms since epoch. */
  now: () => number;
  /** Default 15 minutes. */
  maxSkewMs?: number;
}

export interface AuthRequest {
  /** Upper case. */
  method: string;
  /** Undefined for service-level requests (ListBuckets). */
  bucket: string | undefined;
  /** Decoded object key, undefined for bucket-level requests. */
  key: string | undefined;
  /** The query string exactly as received, without '?', still percent-encoded. */
  rawQuery: string;
  /** Node's IncomingHttpHeaders (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
}

export type AuthMethod = 'v1-header' | 'v4-header' | 'v1-query' | 'v4-query';

export interface AuthResult {
  accessKeyId: string;
  method: AuthMethod;
  securityToken?: string;
}
