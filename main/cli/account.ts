/**
 * The account a command talks to: endpoint and region from flags or the environment, the
 * AccessKey pair only from the environment (a secret on the command line would show in `ps`
 * and in shell history). Accounts saved by the app come later.
 */
import { isIP } from 'node:net';
import type { RemoteAccount } from '../core/remote/remote-store.js';
import { CliError, usageError } from './cli-error.js';
import { registerSecret } from './output.js';

export interface AccountFlags {
  endpoint?: string;
  region?: string;
  /** true: --path-style, false: --no-path-style, undefined: from the endpoint host. */
  pathStyle?: boolean;
  v4?: boolean;
}

/** The local OSS server's default region (`ossync local-oss --region`). */
const LOCAL_REGION = 'oss-cn-hangzhou';

export const CREDENTIAL_HELP =
  'set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (and OSS_SESSION_TOKEN for temporary STS credentials)';

/** `oss-cn-hangzhou.aliyuncs.com` (also `-internal`) -> `oss-cn-hangzhou`; else undefined. */
export function regionFromHost(host: string): string | undefined {
  const match = /(?:^|\.)(oss-[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$/i.exec(host);
  const region = match?.[1]?.toLowerCase();
  // Global acceleration endpoints name no region.
  if (region === undefined || region.startsWith('oss-accelerate')) return undefined;
  return region;
}

/** `cn-hangzhou` and `oss-cn-hangzhou` both mean the region ali-oss calls `oss-cn-hangzhou`. */
function normaliseRegion(region: string): string {
  const value = region.trim().toLowerCase();
  const full = value.startsWith('oss-') ? value : `oss-${value}`;
  if (!/^oss-[a-z0-9]+(?:-[a-z0-9]+)*$/.test(full))
    throw usageError(`--region "${region}" is not a region name (for example cn-hangzhou).`);
  return full;
}

function parseEndpoint(text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw usageError(
      `--endpoint "${text}" is not a URL (for example https://oss-cn-hangzhou.aliyuncs.com).`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`--endpoint "${text}" must be an http:// or https:// URL.`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '')
    throw usageError(
      `--endpoint "${text}" must be the service address alone (like https://oss-cn-hangzhou.aliyuncs.com), without a bucket or path.`,
    );
  if (url.username !== '' || url.password !== '')
    throw usageError('--endpoint must not contain a user name or password.');
  return url;
}

export interface ResolvedAccount {
  account: RemoteAccount;
  /** Identifies the account without its secret: the endpoint origin and the AccessKey ID. */
  fingerprint: string;
}

export function resolveAccount(
  flags: AccountFlags,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedAccount {
  const endpointText = flags.endpoint ?? env['OSS_ENDPOINT'];
  if (endpointText === undefined || endpointText === '')
    throw usageError(
      'No endpoint: pass --endpoint URL (for example https://oss-cn-hangzhou.aliyuncs.com) or set OSS_ENDPOINT.',
    );
  const url = parseEndpoint(endpointText);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const ip = isIP(host) !== 0;
  const localName = host === 'localhost' || host.endsWith('.localhost');

  // ali-oss addresses a bucket on an IP endpoint by itself (Host: BUCKET.oss-REGION.aliyuncs.com,
  // path /KEY); path style on top of that asks for /BUCKET/BUCKET/KEY and every request fails.
  if (ip && flags.pathStyle === true)
    throw usageError(
      `--path-style does not work with an IP address endpoint (${url.host}): ali-oss then sends the bucket in the Host header. Use http://localhost:${url.port || (url.protocol === 'https:' ? 443 : 80)} for path-style requests, or leave --path-style out.`,
    );
  const pathStyle = flags.pathStyle ?? localName;

  const regionText = flags.region ?? env['OSS_REGION'];
  const region =
    regionText !== undefined && regionText !== ''
      ? normaliseRegion(regionText)
      : (regionFromHost(host) ?? (ip || localName ? LOCAL_REGION : undefined));
  if (region === undefined)
    throw usageError(
      `Cannot tell the region from the endpoint ${url.host}: pass --region (for example cn-hangzhou) or set OSS_REGION.`,
    );

  const accessKeyId = env['OSS_ACCESS_KEY_ID'];
  const accessKeySecret = env['OSS_ACCESS_KEY_SECRET'];
  const securityToken = env['OSS_SESSION_TOKEN'];
  registerSecret(accessKeySecret);
  registerSecret(securityToken);
  if (!accessKeyId || !accessKeySecret) {
    const missing = !accessKeyId && !accessKeySecret ? 'No credentials' : 'Incomplete credentials';
    throw new CliError(`${missing}: ${CREDENTIAL_HELP}.`);
  }
  return {
    account: {
      endpoint: url.origin,
      region,
      accessKeyId,
      accessKeySecret,
      ...(securityToken ? { securityToken } : {}),
      pathStyle,
      authorizationV4: flags.v4 === true,
    },
    fingerprint: `${url.origin} ${accessKeyId}`,
  };
}
