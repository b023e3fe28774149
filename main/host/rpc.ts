/**
 * One WebSocket message in, one reply out: `{ id, method, params }` ->
 * `{ id, ok: true, value } | { id, ok: false, error }`. Everything untrusted is checked
 * before the api sees it, and nothing but a ContractError's own data leaves: other
 * exceptions become code 'unknown' with the generic message (the detail goes to the log
 * at debug level).
 */
import {
  ContractError,
  isContractError,
  isMethodName,
  parseParams,
  parseResult,
  type ContractApi,
  type ContractErrorData,
} from '../../shared/contract/index.js';
import type { HostLogger } from './logger.js';

export type RequestId = string | number;

export type RpcReply =
  | { id: RequestId | null; ok: true; value: unknown }
  | { id: RequestId | null; ok: false; error: ContractErrorData };

export interface RpcRequest {
  readonly id: RequestId;
  readonly method: string;
  readonly params: unknown;
}

export type Envelope =
  { ok: true; request: RpcRequest } | { ok: false; id: RequestId | null; error: ContractError };

const ENVELOPE_KEYS = new Set(['id', 'method', 'params']);
const MAX_ID_LENGTH = 128;
const MAX_METHOD_LENGTH = 128;

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

function invalid(id: RequestId | null, subject: string, reason: string): Envelope {
  return {
    ok: false,
    id,
    error: new ContractError('invalid-payload', `${subject}: ${reason}`, { subject }),
  };
}

function isRequestId(value: unknown): value is RequestId {
  if (typeof value === 'string') return value.length > 0 && value.length <= MAX_ID_LENGTH;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Parses a message's text into a request, or the error to answer with. */
export function parseEnvelope(text: string): Envelope {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return invalid(null, 'request', 'not valid JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return invalid(null, 'request', 'not an object');
  }
  const record = data as Record<string, unknown>;
  const id = hasOwn(record, 'id') && isRequestId(record.id) ? record.id : null;
  if (id === null) return invalid(null, 'request.id', 'missing or not a usable id');
  // Object.keys lists an own `__proto__` that JSON.parse created, so it is refused here.
  for (const key of Object.keys(record)) {
    if (!ENVELOPE_KEYS.has(key)) return invalid(id, `request.${key.slice(0, 64)}`, 'unknown key');
  }
  const method = record.method;
  if (typeof method !== 'string' || method.length === 0 || method.length > MAX_METHOD_LENGTH) {
    return invalid(id, 'request.method', 'missing or not a method name');
  }
  if (!hasOwn(record, 'params')) return invalid(id, 'request.params', 'missing');
  return { ok: true, request: { id, method, params: record.params } };
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: ContractError };

/**
 * Checks the params, calls the api and checks its result (a strict result schema also
 * keeps a stray field, a secret say, from reaching the browser).
 */
export async function dispatch(
  api: ContractApi,
  method: string,
  params: unknown,
  logger: HostLogger,
): Promise<Outcome> {
  const parsed = parseParams(method, params);
  if (!parsed.ok) return parsed;
  if (!isMethodName(method)) return { ok: false, error: new ContractError('unknown-method') };
  const handler: unknown = (api as Partial<Record<string, unknown>>)[method];
  if (typeof handler !== 'function') {
    logger.warn({ method }, 'method not implemented by the service');
    return { ok: false, error: new ContractError('unknown-method', `not available: ${method}`) };
  }
  let value: unknown;
  try {
    value = await (handler as (params: unknown) => Promise<unknown>).call(api, parsed.value);
  } catch (error) {
    if (isContractError(error)) return { ok: false, error };
    logger.debug({ method, err: error }, 'method failed with an unexpected error');
    return { ok: false, error: new ContractError('unknown') };
  }
  const result = parseResult(method, value);
  if (!result.ok) {
    // Only the field, never the value: it may be what must not leak.
    logger.error({ method, subject: result.error.subject }, 'result failed its schema');
    return { ok: false, error: new ContractError('unknown') };
  }
  return { ok: true, value: result.value };
}

export function reply(id: RequestId | null, outcome: Outcome): RpcReply {
  return outcome.ok
    ? { id, ok: true, value: outcome.value }
    : { id, ok: false, error: outcome.error.toData() };
}
