/**
 * The API contract between the UI and the service layer (docs/contract.md).
 *
 * Every request is declared once in METHODS as `name -> { params, result }` and every event
 * once in EVENTS as `name -> payload`, each a zod schema; the TypeScript types are inferred
 * from the schemas. The same declarations serve Electron IPC and the headless host's
 * WebSocket: each side validates what it receives with parseParams / parseResult /
 * parseEvent, and a failed check is a ContractError with code 'invalid-payload' whose
 * message and `subject` name the field.
 */
import type { z } from 'zod';
import { accountsMethods } from './accounts.js';
import { activityMethods } from './activity.js';
import { browseMethods } from './browse.js';
import { ContractError } from './errors.js';
import { EVENTS } from './events.js';
import { pairsMethods } from './pairs.js';
import { settingsMethods } from './settings.js';
import { statusMethods } from './status.js';
import { transfersMethods } from './transfers.js';

export * from './accounts.js';
export * from './activity.js';
export * from './browse.js';
export * from './dto.js';
export * from './errors.js';
export * from './events.js';
export * from './pairs.js';
export * from './settings.js';
export * from './status.js';
export * from './transfers.js';

export interface MethodSchemas {
  readonly params: z.ZodType;
  readonly result: z.ZodType;
}

export const METHODS = {
  ...accountsMethods,
  ...browseMethods,
  ...transfersMethods,
  ...pairsMethods,
  ...settingsMethods,
  ...activityMethods,
  ...statusMethods,
} as const satisfies Record<string, MethodSchemas>;

export type MethodName = keyof typeof METHODS;
export type Params<M extends MethodName> = z.infer<(typeof METHODS)[M]['params']>;
export type Result<M extends MethodName> = z.infer<(typeof METHODS)[M]['result']>;

export type EventName = keyof typeof EVENTS;
export type EventPayload<E extends EventName> = z.infer<(typeof EVENTS)[E]>;

/** What a transport implements: every method, typed from the contract. */
export type ContractApi = {
  [M in MethodName]: (params: Params<M>) => Promise<Result<M>>;
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: ContractError };

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && hasOwn(METHODS, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && hasOwn(EVENTS, name);
}

/** 'changes.ignore[3]' from a zod path. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** The first issue as a ContractError naming the field (`where` is 'params', 'result', 'payload'). */
function payloadError(name: string, where: string, error: z.ZodError): ContractError {
  const issue = error.issues[0];
  if (issue === undefined) return new ContractError('invalid-payload', `${name}: invalid ${where}`);
  let field = fieldPath(issue.path);
  let reason = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    field = field === '' ? key : `${field}.${key}`;
    reason = 'unknown key';
  }
  const subject = field === '' ? where : `${where}.${field}`;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return new ContractError('invalid-payload', `${name}: ${subject}: ${reason}${more}`, {
    subject,
  });
}

function parseWith<T>(schema: z.ZodType, name: string, where: string, value: unknown): Parsed<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data as T };
  return { ok: false, error: payloadError(name, where, result.error) };
}

function unknownName(kind: string, name: unknown): { ok: false; error: ContractError } {
  const shown = typeof name === 'string' ? name.slice(0, 100) : typeof name;
  return {
    ok: false,
    error: new ContractError('unknown-method', `unknown ${kind}: ${shown}`, { subject: kind }),
  };
}

/** Checks a request's params (main, on receipt). */
export function parseParams<M extends MethodName>(method: M, params: unknown): Parsed<Params<M>>;
export function parseParams(method: unknown, params: unknown): Parsed<unknown>;
export function parseParams(method: unknown, params: unknown): Parsed<unknown> {
  if (!isMethodName(method)) return unknownName('method', method);
  return parseWith(METHODS[method].params, method, 'params', params);
}

/** Checks a result (the renderer's api module, on receipt, and the contract tests). */
export function parseResult<M extends MethodName>(method: M, result: unknown): Parsed<Result<M>>;
export function parseResult(method: unknown, result: unknown): Parsed<unknown>;
export function parseResult(method: unknown, result: unknown): Parsed<unknown> {
  if (!isMethodName(method)) return unknownName('method', method);
  return parseWith(METHODS[method].result, method, 'result', result);
}

/** Checks an event's payload (the renderer, on receipt; main before sending, in tests). */
export function parseEvent<E extends EventName>(
  event: E,
  payload: unknown,
): Parsed<EventPayload<E>>;
export function parseEvent(event: unknown, payload: unknown): Parsed<unknown>;
export function parseEvent(event: unknown, payload: unknown): Parsed<unknown> {
  if (!isEventName(event)) return unknownName('event', event);
  return parseWith(EVENTS[event], event, 'payload', payload);
}
