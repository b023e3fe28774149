/**
 * Request authentication for the local OSS server: detects the signing form, checks time,
 * credentials, STS token and signature, and refuses with the codes OSS uses.
 *
 * Order of checks: form and syntax, then time (skew, expiry), then AccessKeyId and STS
 * token, then the signature, so a client learns the cheapest fix first.
 */
import { timingSafeEqual } from 'node:crypto';

import { OssError, errors } from '../errors.js';
import { parseRawQuery, queryGet, type QueryParam } from './sub-resources.js';
import type { AuthConfig, AuthMethod, AuthRequest, AuthResult } from './types.js';
import { v1Signature, v1StringToSign } from './v1.js';
import {
  V4_ALGORITHM,
  V4_PRODUCT,
  V4_TERMINATOR,
  v4CanonicalRequest,
  v4Scope,
  v4Signature,
  v4StringToSign,
} from './v4.js';

const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
/** x-oss-expires bounds for V4 presigned URLs (seconds, at most 7 days). */
const V4_MAX_EXPIRES_S = 604_800;

export function verifyRequest(req: AuthRequest, config: AuthConfig): AuthResult {
  const ctx: Ctx = {
    req,
    config,
    headers: normalizeHeaders(req.headers),
    query: parseRawQuery(req.rawQuery),
    now: config.now(),
    maxSkewMs: config.maxSkewMs ?? DEFAULT_MAX_SKEW_MS,
  };

  const authorization = ctx.headers['authorization']?.trim();
  if (authorization) {
    if (/^OSS4-HMAC-SHA256(\s|$)/.test(authorization)) return verifyV4Header(ctx, authorization);
    if (/^OSS\s/.test(authorization)) return verifyV1Header(ctx, authorization);
    throw invalidAuthorization(
      authorization,
      'expected "OSS <AccessKeyId>:<Signature>" or "OSS4-HMAC-SHA256 Credential=...,Signature=..."',
    );
  }
  if (
    ['x-oss-signature-version', 'x-oss-credential', 'x-oss-signature'].some((n) =>
      has(ctx.query, n),
    )
  ) {
    return verifyV4Query(ctx);
  }
  if (has(ctx.query, 'OSSAccessKeyId') || has(ctx.query, 'Signature')) return verifyV1Query(ctx);

  // Anonymous: the local server has no public-read buckets. Messages are OSS's own.
  throw errors.accessDenied(
    req.bucket === undefined
      ? 'Anonymous access is forbidden for this operation.'
      : 'You have no right to access this object because of bucket acl.',
  );
}

interface Ctx {
  req: AuthRequest;
  config: AuthConfig;
  headers: Record<string, string>;
  query: QueryParam[];
  now: number;
  maxSkewMs: number;
}

interface Resolved {
  accessKeyId: string;
  secret: string;
  securityToken?: string;
}

// ---------------------------------------------------------------------------------------
// V1

function verifyV1Header(ctx: Ctx, authorization: string): AuthResult {
  const body = authorization.slice(3).trim();
  const colon = body.lastIndexOf(':');
  const accessKeyId = colon > 0 ? body.slice(0, colon).trim() : '';
  const provided = colon > 0 ? body.slice(colon + 1).trim() : '';
  if (!accessKeyId || !provided)
    throw invalidAuthorization(authorization, 'expected "OSS <AccessKeyId>:<Signature>"');

  // The reference: the DATE line is x-oss-date when present, else Date. ali-oss sends only
  // x-oss-date (RFC 1123) and signs it a second time among the x-oss headers.
  const date = headerDate(ctx);
  checkSkew(ctx, parseRequestDate(date.value, date.name, 'any'));

  const cred = resolveCredential(ctx, accessKeyId, headerOrQueryToken(ctx, 'security-token'));
  const stringToSign = v1StringToSign({
    method: ctx.req.method,
    contentMd5: ctx.headers['content-md5'] ?? '',
    contentType: ctx.headers['content-type'] ?? '',
    date: date.value,
    headers: ctx.headers,
    bucket: ctx.req.bucket,
    key: ctx.req.key,
    query: ctx.query,
  });
  checkSignature(v1Signature(cred.secret, stringToSign), provided, { accessKeyId, stringToSign });
  return result(cred, 'v1-header');
}

function verifyV1Query(ctx: Ctx): AuthResult {
  const accessKeyId = queryGet(ctx.query, 'OSSAccessKeyId');
  const expires = queryGet(ctx.query, 'Expires');
  // A raw '+' in an unencoded base64 signature decodes as a space; base64 has no spaces.
  const provided = queryGet(ctx.query, 'Signature')?.replace(/ /g, '+');
  if (!accessKeyId || !expires || !provided) {
    throw errors.accessDenied(
      'Query string authentication requires the Signature, Expires and OSSAccessKeyId parameters',
    );
  }
  if (!/^\d{1,15}$/.test(expires))
    throw errors.invalidArgument('Expires must be a Unix time in seconds.', 'Expires', expires);
  const expiresMs = Number(expires) * 1000;
  if (ctx.now > expiresMs) throw expired(expiresMs, ctx.now);

  const cred = resolveCredential(ctx, accessKeyId, headerOrQueryToken(ctx, 'security-token'));
  // Same string as the header form with Expires on the DATE line; security-token and the
  // response-* overrides are sub-resources, so they are signed too.
  const stringToSign = v1StringToSign({
    method: ctx.req.method,
    contentMd5: ctx.headers['content-md5'] ?? '',
    contentType: ctx.headers['content-type'] ?? '',
    date: expires,
    headers: ctx.headers,
    bucket: ctx.req.bucket,
    key: ctx.req.key,
    query: ctx.query,
  });
  checkSignature(v1Signature(cred.secret, stringToSign), provided, { accessKeyId, stringToSign });
  return result(cred, 'v1-query');
}

// ---------------------------------------------------------------------------------------
// V4

function verifyV4Header(ctx: Ctx, authorization: string): AuthResult {
  const fields = parseV4Authorization(authorization);
  const scope = parseCredential(fields.credential, 'Credential');

  // TimeStamp is x-oss-date (yyyymmddTHHMMssZ); a Date header (RFC 1123) stands in for it.
  const date = headerDate(ctx);
  const time = parseRequestDate(
    date.value,
    date.name,
    date.name === 'x-oss-date' ? 'iso' : 'rfc1123',
  );
  const timestamp = formatIsoBasic(time);
  checkSkew(ctx, time);
  checkScopeDate(scope.date, timestamp);

  const cred = resolveCredential(
    ctx,
    scope.accessKeyId,
    headerOrQueryToken(ctx, 'x-oss-security-token'),
  );
  return checkV4(
    ctx,
    cred,
    scope,
    timestamp,
    fields.additionalHeaders,
    fields.signature,
    undefined,
    'v4-header',
  );
}

function verifyV4Query(ctx: Ctx): AuthResult {
  const version = queryGet(ctx.query, 'x-oss-signature-version');
  if (version !== undefined && version !== V4_ALGORITHM) {
    throw errors.invalidArgument(
      `x-oss-signature-version must be ${V4_ALGORITHM}.`,
      'x-oss-signature-version',
      version,
    );
  }
  const credential = queryGet(ctx.query, 'x-oss-credential');
  const dateValue = queryGet(ctx.query, 'x-oss-date');
  const expiresValue = queryGet(ctx.query, 'x-oss-expires');
  const provided = queryGet(ctx.query, 'x-oss-signature');
  if (!version || !credential || !dateValue || !expiresValue || !provided) {
    throw errors.accessDenied(
      'Query string authentication requires the x-oss-signature-version, x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature parameters',
    );
  }
  const scope = parseCredential(credential, 'x-oss-credential');
  const time = parseRequestDate(dateValue, 'x-oss-date', 'iso');
  if (
    !/^\d{1,7}$/.test(expiresValue) ||
    Number(expiresValue) < 1 ||
    Number(expiresValue) > V4_MAX_EXPIRES_S
  ) {
    throw errors.invalidArgument(
      `x-oss-expires must be an integer number of seconds from 1 to ${V4_MAX_EXPIRES_S}.`,
      'x-oss-expires',
      expiresValue,
    );
  }
  checkScopeDate(scope.date, dateValue);
  // Ours, not documented: a URL dated in the future could outlive the 7-day cap.
  if (time - ctx.now > ctx.maxSkewMs) throw tooSkewed(time, ctx.now);
  const expiresMs = time + Number(expiresValue) * 1000;
  if (ctx.now > expiresMs) throw expired(expiresMs, ctx.now);

  const additional = queryGet(ctx.query, 'x-oss-additional-headers');
  const additionalHeaders = additional
    ? parseAdditionalHeaders(additional, 'x-oss-additional-headers', additional)
    : [];
  const cred = resolveCredential(
    ctx,
    scope.accessKeyId,
    headerOrQueryToken(ctx, 'x-oss-security-token'),
  );
  return checkV4(
    ctx,
    cred,
    scope,
    dateValue,
    additionalHeaders,
    provided,
    'x-oss-signature',
    'v4-query',
  );
}

function checkV4(
  ctx: Ctx,
  cred: Resolved,
  scope: Scope,
  timestamp: string,
  additionalHeaders: string[],
  provided: string,
  excludeQuery: string | undefined,
  method: AuthMethod,
): AuthResult {
  const canonicalRequest = v4CanonicalRequest({
    method: ctx.req.method,
    bucket: ctx.req.bucket,
    key: ctx.req.key,
    query: ctx.query,
    headers: ctx.headers,
    additionalHeaders,
    ...(excludeQuery === undefined ? {} : { excludeQuery }),
  });
  const stringToSign = v4StringToSign(
    timestamp,
    v4Scope(scope.date, scope.region),
    canonicalRequest,
  );
  const expected = v4Signature(cred.secret, scope.date, scope.region, stringToSign);
  checkSignature(expected, provided.toLowerCase(), {
    accessKeyId: cred.accessKeyId,
    stringToSign,
    canonicalRequest,
  });
  return result(cred, method);
}

interface V4Fields {
  credential: string;
  additionalHeaders: string[];
  signature: string;
}

/** `OSS4-HMAC-SHA256 Credential=..,[AdditionalHeaders=..,]Signature=..`, spaces after commas tolerated. */
function parseV4Authorization(authorization: string): V4Fields {
  const body = authorization.slice(V4_ALGORITHM.length).trim();
  const seen = new Map<string, string>();
  for (const part of body.split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    const name = eq === -1 ? item : item.slice(0, eq);
    if (name !== 'Credential' && name !== 'AdditionalHeaders' && name !== 'Signature') {
      throw invalidAuthorization(authorization, `unexpected field "${name}"`);
    }
    if (seen.has(name)) throw invalidAuthorization(authorization, `duplicate field ${name}`);
    seen.set(name, eq === -1 ? '' : item.slice(eq + 1).trim());
  }
  const credential = seen.get('Credential');
  const signature = seen.get('Signature');
  if (!credential) throw invalidAuthorization(authorization, 'Credential is missing or empty');
  if (!signature) throw invalidAuthorization(authorization, 'Signature is missing or empty');
  const additional = seen.get('AdditionalHeaders');
  return {
    credential,
    signature,
    additionalHeaders:
      additional === undefined
        ? []
        : parseAdditionalHeaders(additional, 'Authorization', authorization),
  };
}

/** `a;b`: lower-cased, de-duplicated, sorted (the reference requires that form); no empty names. */
function parseAdditionalHeaders(
  value: string,
  argumentName: string,
  argumentValue: string,
): string[] {
  const names = value.split(';').map((n) => n.trim().toLowerCase());
  if (names.some((n) => n === '')) {
    throw errors.invalidArgument(
      'AdditionalHeaders must not contain an empty header name.',
      argumentName,
      argumentValue,
    );
  }
  return [...new Set(names)].sort();
}

interface Scope {
  accessKeyId: string;
  date: string;
  region: string;
}

/** `<AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request`; the region is the client's. */
function parseCredential(credential: string, argumentName: string): Scope {
  const parts = credential.split('/');
  if (parts.length < 5 || parts.some((p) => p === '')) {
    throw errors.invalidArgument(
      `${argumentName} must be <AccessKeyId>/<SignDate>/<Region>/${V4_PRODUCT}/${V4_TERMINATOR}.`,
      argumentName,
      credential,
    );
  }
  const [date, region, product, terminator] = parts.slice(-4) as [string, string, string, string];
  const accessKeyId = parts.slice(0, -4).join('/');
  if (!/^\d{8}$/.test(date))
    throw errors.accessDenied(
      `Invalid signing date in ${argumentName}: ${date}, expected yyyymmdd.`,
    );
  if (product !== V4_PRODUCT) {
    throw errors.accessDenied(
      `Invalid signing product in ${argumentName}: ${product}, expected ${V4_PRODUCT}.`,
    );
  }
  if (terminator !== V4_TERMINATOR) {
    throw errors.accessDenied(
      `Invalid terminator in ${argumentName}: ${terminator}, expected ${V4_TERMINATOR}.`,
    );
  }
  return { accessKeyId, date, region };
}

function checkScopeDate(scopeDate: string, timestamp: string): void {
  if (scopeDate !== timestamp.slice(0, 8)) {
    throw errors.accessDenied(
      `Invalid signing date in credential scope: ${scopeDate} is not the date of the request time ${timestamp}.`,
    );
  }
}

// ---------------------------------------------------------------------------------------
// Shared checks

function headerDate(ctx: Ctx): { name: string; value: string } {
  const ossDate = ctx.headers['x-oss-date'];
  if (ossDate !== undefined && ossDate !== '') return { name: 'x-oss-date', value: ossDate };
  const date = ctx.headers['date'];
  if (date !== undefined && date !== '') return { name: 'Date', value: date };
  throw errors.accessDenied(
    'The request must contain a valid Date or x-oss-date header for signature authentication.',
  );
}

/** RFC 1123 (`Tue, 20 Dec 2022 08:48:18 GMT`) and/or ISO 8601 basic (`20221220T084818Z`). */
function parseRequestDate(value: string, name: string, format: 'any' | 'iso' | 'rfc1123'): number {
  const ms =
    format === 'iso'
      ? parseIsoBasic(value)
      : format === 'rfc1123'
        ? parseRfc1123(value)
        : (parseRfc1123(value) ?? parseIsoBasic(value));
  if (ms === undefined) {
    const expected =
      format === 'iso'
        ? 'yyyymmddTHHMMssZ'
        : format === 'rfc1123'
          ? 'an RFC 1123 GMT date'
          : 'an RFC 1123 GMT date or yyyymmddTHHMMssZ';
    throw errors.accessDenied(`Invalid ${name} "${value}": expected ${expected}.`);
  }
  return ms;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function parseRfc1123(value: string): number | undefined {
  const m =
    /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/.exec(
      value.trim(),
    );
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[2] ?? '');
  if (month === -1) return undefined;
  return utc(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function parseIsoBasic(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value.trim());
  if (!m) return undefined;
  return utc(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
  );
}

// Round-trips the fields so "Feb 30" or "25:00:00" is refused rather than normalized.
function utc(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
): number | undefined {
  const ms = Date.UTC(y, mo, d, h, mi, s);
  const t = new Date(ms);
  const same =
    t.getUTCFullYear() === y &&
    t.getUTCMonth() === mo &&
    t.getUTCDate() === d &&
    t.getUTCHours() === h &&
    t.getUTCMinutes() === mi &&
    t.getUTCSeconds() === s;
  return same ? ms : undefined;
}

function formatIsoBasic(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

function checkSkew(ctx: Ctx, requestTime: number): void {
  if (Math.abs(ctx.now - requestTime) > ctx.maxSkewMs) throw tooSkewed(requestTime, ctx.now);
}

/**
 * The token may travel as the x-oss-security-token header or as the form's query
 * parameter; both at once is refused (OSS EC 0002-00000010).
 */
function headerOrQueryToken(ctx: Ctx, queryName: string): string | undefined {
  const header = ctx.headers['x-oss-security-token'];
  const query = queryGet(ctx.query, queryName);
  if (header !== undefined && query !== undefined) {
    throw errors.invalidArgument(
      'The security token must not be in both the header and the query string.',
      queryName,
      query,
    );
  }
  return header ?? query;
}

/**
 * Per the reference's STS pages: an STS AccessKeyId without its token, or a long-term one
 * with a token, is InvalidAccessKeyId (0002-00000002); a wrong token is
 * InvalidSecurityToken (403, EC 0002-00000006: neither InvalidAccessKeyId nor
 * AccessDenied); an expired one SecurityTokenExpired.
 */
function resolveCredential(ctx: Ctx, accessKeyId: string, token: string | undefined): Resolved {
  const longTerm = ctx.config.credentials.find((c) => c.accessKeyId === accessKeyId);
  if (longTerm) {
    if (token !== undefined) throw invalidAccessKeyId(accessKeyId);
    return { accessKeyId, secret: longTerm.accessKeySecret };
  }
  const sts = ctx.config.stsCredentials.find((c) => c.accessKeyId === accessKeyId);
  if (!sts || token === undefined) throw invalidAccessKeyId(accessKeyId);
  if (!safeEqual(token, sts.securityToken)) {
    throw new OssError(403, 'InvalidSecurityToken', 'The security token you provided is invalid.', {
      OSSAccessKeyId: accessKeyId,
    });
  }
  if (ctx.now > sts.expiration) {
    throw new OssError(
      403,
      'SecurityTokenExpired',
      'The security token you provided has expired.',
      {
        OSSAccessKeyId: accessKeyId,
      },
    );
  }
  return { accessKeyId, secret: sts.accessKeySecret, securityToken: token };
}

function checkSignature(
  expected: string,
  provided: string,
  debug: { accessKeyId: string; stringToSign: string; canonicalRequest?: string },
): void {
  if (safeEqual(expected, provided)) return;
  // As OSS does, hand back what we signed so a developer can diff it against theirs.
  const extra: Record<string, string> = {
    OSSAccessKeyId: debug.accessKeyId,
    SignatureProvided: provided,
    StringToSign: debug.stringToSign,
    StringToSignBytes: hexBytes(debug.stringToSign),
  };
  if (debug.canonicalRequest !== undefined) extra['CanonicalRequest'] = debug.canonicalRequest;
  throw new OssError(
    403,
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    extra,
  );
}

/** Constant time for equal lengths; a length mismatch reveals only the length. */
function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

function result(cred: Resolved, method: AuthMethod): AuthResult {
  return cred.securityToken === undefined
    ? { accessKeyId: cred.accessKeyId, method }
    : { accessKeyId: cred.accessKeyId, method, securityToken: cred.securityToken };
}

// ---------------------------------------------------------------------------------------
// Errors and small helpers

function invalidAuthorization(value: string, detail: string): OssError {
  return errors.invalidArgument(
    `Authorization header is invalid: ${detail}.`,
    'Authorization',
    value,
  );
}

function invalidAccessKeyId(accessKeyId: string): OssError {
  return new OssError(
    403,
    'InvalidAccessKeyId',
    'The OSS Access Key Id you provided does not exist in our records.',
    {
      OSSAccessKeyId: accessKeyId,
    },
  );
}

function tooSkewed(requestTime: number, now: number): OssError {
  return new OssError(
    403,
    'RequestTimeTooSkewed',
    'The difference between the request time and the current time is too large.',
    {
      RequestTime: new Date(requestTime).toISOString(),
      ServerTime: new Date(now).toISOString(),
    },
  );
}

function expired(expiresMs: number, now: number): OssError {
  return errors.accessDenied('Request has expired.', {
    Expires: new Date(expiresMs).toISOString(),
    ServerTime: new Date(now).toISOString(),
  });
}

function has(query: readonly QueryParam[], name: string): boolean {
  return query.some((p) => p.name === name);
}

/** Lower-case names, one value each (repeated headers joined with ',' as the SDKs do). */
function normalizeHeaders(headers: AuthRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.map((v) => v.trim()).join(',') : value;
  }
  return out;
}

/** OSS's StringToSignBytes: the UTF-8 bytes as space-separated hex pairs. */
function hexBytes(s: string): string {
  return Buffer.from(s, 'utf8')
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
}
