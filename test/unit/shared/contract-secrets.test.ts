/**
 * No DTO in the contract has a field whose name suggests a secret, except the few listed
 * here explicitly: the account add/update params (where secrets enter, and only there) and
 * the opaque tokens that are not credentials (listing continuation, delete confirmation).
 */
import type { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { EVENTS, METHODS, type MethodName } from '../../../shared/contract/index.js';

const SECRET_NAME = /secret|password|passwd|token|credential|private/i;

/** `where` (method.params|result or event) + field name allowed despite SECRET_NAME. */
const ALLOWED = new Set([
  // secrets enter here and only here
  'accounts.add params accessKeySecret',
  'accounts.add params securityToken',
  'accounts.add params securityTokenExpiresAt',
  'accounts.update params accessKeySecret',
  'accounts.update params securityToken',
  'accounts.update params securityTokenExpiresAt',
  // facts about a secret, not the secret
  'accounts.list result hasSecret',
  'accounts.list result hasSecurityToken',
  'accounts.list result securityTokenExpiresAt',
  'accounts.add result hasSecret',
  'accounts.add result hasSecurityToken',
  'accounts.add result securityTokenExpiresAt',
  'accounts.update result hasSecret',
  'accounts.update result hasSecurityToken',
  'accounts.update result securityTokenExpiresAt',
  'accounts.addLocalStorage result hasSecret',
  'accounts.addLocalStorage result hasSecurityToken',
  'accounts.addLocalStorage result securityTokenExpiresAt',
  // opaque tokens that grant nothing by themselves
  'objects.list params continuationToken',
  'objects.list result nextContinuationToken',
  'objects.delete params confirmationToken',
  'objects.delete result confirmationToken',
]);

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  out?: z.ZodType;
  valueType?: z.ZodType;
}

/** Every object field name reachable from a schema. */
function fieldNames(schema: z.ZodType, out = new Set<string>()): Set<string> {
  const def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  switch (def.type) {
    case 'object':
      for (const [name, field] of Object.entries(def.shape ?? {})) {
        out.add(name);
        fieldNames(field, out);
      }
      break;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      fieldNames(def.innerType!, out);
      break;
    case 'array':
      fieldNames(def.element!, out);
      break;
    case 'union':
      for (const option of def.options ?? []) fieldNames(option, out);
      break;
    case 'pipe':
      fieldNames(def.in!, out);
      fieldNames(def.out!, out);
      break;
    case 'record':
      throw new Error('records are not used in the contract (use { name, value } arrays)');
    default:
      break;
  }
  return out;
}

describe('secrets in the contract', () => {
  it('the walker sees nested fields', () => {
    const names = fieldNames(METHODS['accounts.testConnection'].result);
    expect(names).toContain('problem');
    expect(names).toContain('messageKey');
  });

  it('no field name suggests a secret except the listed ones', () => {
    const offending: string[] = [];
    const seen = new Set<string>();
    const check = (where: string, schema: z.ZodType) => {
      for (const name of fieldNames(schema)) {
        if (!SECRET_NAME.test(name)) continue;
        const entry = `${where} ${name}`;
        seen.add(entry);
        if (!ALLOWED.has(entry)) offending.push(entry);
      }
    };
    for (const method of Object.keys(METHODS) as MethodName[]) {
      check(`${method} params`, METHODS[method].params);
      check(`${method} result`, METHODS[method].result);
    }
    for (const [event, schema] of Object.entries(EVENTS)) check(event, schema);
    expect(offending).toEqual([]);
    // The allow-list stays exact: an entry that no longer matches anything is removed.
    expect([...ALLOWED].filter((entry) => !seen.has(entry))).toEqual([]);
  });

  it('a secret enters only through accounts.add and accounts.update params', () => {
    const carriers: string[] = [];
    const check = (where: string, schema: z.ZodType) => {
      const names = fieldNames(schema);
      if (names.has('accessKeySecret') || names.has('securityToken')) carriers.push(where);
    };
    for (const method of Object.keys(METHODS) as MethodName[]) {
      check(`${method} params`, METHODS[method].params);
      check(`${method} result`, METHODS[method].result);
    }
    for (const [event, schema] of Object.entries(EVENTS)) check(event, schema);
    expect(carriers.sort()).toEqual(['accounts.add params', 'accounts.update params']);
  });
});
