import { z } from 'zod';
import { OSS_OPERATIONS, isOssOperation } from '../operations.js';

/**
 * Fault rules: what the local OSS server should break, for which requests. The schema is
 * strict (unknown keys are errors) because a misspelt option in a soak config would
 * otherwise silently disable the fault it was meant to configure.
 */

const KNOWN_OPERATIONS = OSS_OPERATIONS.join(', ');

function describeOpProblem(input: unknown): string {
  if (Array.isArray(input)) {
    if (input.length === 0)
      return 'the operation list is empty; list at least one operation or use "*"';
    const unknown = input.filter((value) => typeof value !== 'string' || !isOssOperation(value));
    return `unknown operation ${unknown.map((value) => JSON.stringify(value)).join(', ')}; known operations: ${KNOWN_OPERATIONS}`;
  }
  if (typeof input === 'string') {
    return `unknown operation ${JSON.stringify(input)}; use "*" or one of: ${KNOWN_OPERATIONS}`;
  }
  return 'expected "*", an operation name or a list of operation names';
}

const operationSchema = z.enum(OSS_OPERATIONS);

// One custom message for the whole union: zod's per-branch messages ("expected '*'") mislead.
const opSchema = z.union([z.literal('*'), operationSchema, z.array(operationSchema).min(1)], {
  error: (issue) => describeOpProblem(issue.input),
});

const nonNegativeInt = z.number().int().min(0);

const errorFaultSchema = z.strictObject({
  kind: z.literal('error'),
  status: z.number().int().min(400).max(599),
  code: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9.]*$/, 'expected an OSS error code such as "InternalError"'),
  message: z.string().optional(),
  retryAfterSeconds: nonNegativeInt.optional(),
});

const latencyFaultSchema = z.strictObject({
  kind: z.literal('latency'),
  ms: z.number().min(0).max(3_600_000),
  jitterMs: z.number().min(0).max(3_600_000).optional(),
});

const bandwidthFaultSchema = z.strictObject({
  kind: z.literal('bandwidth'),
  bytesPerSecond: z.number().int().min(1),
});

const resetRequestFaultSchema = z.strictObject({
  kind: z.literal('reset-request'),
  afterBytes: nonNegativeInt,
});

const resetResponseFaultSchema = z.strictObject({
  kind: z.literal('reset-response'),
  afterBytes: nonNegativeInt,
});

const dropResponseFaultSchema = z.strictObject({
  kind: z.literal('drop-response'),
});

export const FAULT_KINDS = [
  'error',
  'latency',
  'bandwidth',
  'reset-request',
  'reset-response',
  'drop-response',
] as const;

export const faultSchema = z.discriminatedUnion(
  'kind',
  [
    errorFaultSchema,
    latencyFaultSchema,
    bandwidthFaultSchema,
    resetRequestFaultSchema,
    resetResponseFaultSchema,
    dropResponseFaultSchema,
  ],
  { error: () => `expected fault.kind to be one of: ${FAULT_KINDS.join(', ')}` },
);

export const faultRuleSchema = z.strictObject({
  id: z.string().min(1).max(200).optional(),
  op: opSchema.optional(),
  bucket: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  method: z
    .string()
    .regex(/^[A-Za-z]+$/, 'expected an HTTP method such as "PUT"')
    .optional(),
  probability: z.number().min(0).max(1).optional(),
  after: nonNegativeInt.optional(),
  times: nonNegativeInt.optional(),
  fault: faultSchema,
});

const ruleListSchema = z.array(faultRuleSchema).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((rule, index) => {
    if (rule.id === undefined) return;
    if (seen.has(rule.id)) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'id'],
        message: `duplicate rule id ${JSON.stringify(rule.id)}`,
      });
    }
    seen.add(rule.id);
  });
});

// zod 4's int() already limits to safe integers.
export const faultSeedSchema = z.number().int();

const ruleFileSchema = z.strictObject({ seed: faultSeedSchema.optional(), rules: ruleListSchema });

/** A bare array of rules, or the file format `{ seed?, rules }`. */
export const faultRulesSchema = z.union([ruleListSchema, ruleFileSchema]);

export type FaultRule = z.output<typeof faultRuleSchema>;
export type FaultSpec = FaultRule['fault'];
export type FaultKind = FaultSpec['kind'];

export interface ParsedFaultRules {
  rules: FaultRule[];
  seed?: number;
}

/** Thrown for invalid rules so callers (the admin endpoint) can answer 400 rather than 500. */
export class FaultRuleError extends Error {
  readonly source: string;
  readonly issues: readonly { path: string; message: string }[];

  constructor(source: string, issues: { path: string; message: string }[]) {
    const listed = issues.map((issue) =>
      issue.path ? `${issue.path}: ${issue.message}` : issue.message,
    );
    super(`Invalid fault rules in ${source}: ${listed.join('; ')}`);
    this.name = 'FaultRuleError';
    this.source = source;
    this.issues = issues;
  }
}

function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment))
      out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

function toRuleError(source: string, prefix: string, error: z.ZodError): FaultRuleError {
  return new FaultRuleError(
    source,
    error.issues.map((issue) => ({ path: formatPath(prefix, issue.path), message: issue.message })),
  );
}

/**
 * Validates rules from a `--faults` file or an admin request: either an array of rules or
 * `{ seed?, rules }`. Throws a FaultRuleError naming `source` and the offending path.
 */
export function parseFaultRules(json: unknown, source: string): ParsedFaultRules {
  // Parsed by shape rather than through the union so errors point into the rules, not at
  // "Invalid input" for the union as a whole.
  if (Array.isArray(json)) {
    const result = ruleListSchema.safeParse(json);
    if (!result.success) throw toRuleError(source, 'rules', result.error);
    return { rules: result.data };
  }
  if (json === null || typeof json !== 'object') {
    throw new FaultRuleError(source, [
      {
        path: '',
        message: 'expected an array of rules or an object { "seed"?: number, "rules": [...] }',
      },
    ]);
  }
  const result = ruleFileSchema.safeParse(json);
  if (!result.success) throw toRuleError(source, '', result.error);
  return result.data.seed === undefined ? { rules: result.data.rules } : result.data;
}

/** Validates one rule (for `addRule` and in-process configuration). */
export function parseFaultRule(json: unknown, source: string): FaultRule {
  const result = faultRuleSchema.safeParse(json);
  if (!result.success) throw toRuleError(source, 'rule', result.error);
  return result.data;
}

/**
 * Compiles a key glob: `*` matches any run of characters including `/`, `?` exactly one
 * character (a Unicode code point, not a UTF-16 unit), everything else matches itself.
 * No regular expression is built, so regex-special characters in keys need no escaping and
 * patterns with many stars cannot backtrack exponentially.
 */
export function compileKeyPattern(pattern: string): (key: string) => boolean {
  if (!/[*?]/.test(pattern)) return (key) => key === pattern;
  const pat = Array.from(pattern);
  return (key) => globMatch(pat, Array.from(key));
}

// Classic linear-backtracking wildcard match: on mismatch, retry from the last star with one
// more character consumed by it. O(pattern x key) worst case.
function globMatch(pat: readonly string[], str: readonly string[]): boolean {
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = 0;
  while (s < str.length) {
    const pc = pat[p];
    if (pc === '*') {
      starP = p++;
      starS = s;
    } else if (pc !== undefined && (pc === '?' || pc === str[s])) {
      p++;
      s++;
    } else if (starP >= 0) {
      p = starP + 1;
      s = ++starS;
    } else {
      return false;
    }
  }
  while (pat[p] === '*') p++;
  return p === pat.length;
}
