import type { OssOperation } from '../operations.js';
import { DEFAULT_FAULT_SEED, createRandom, deriveSeed, normalizeSeed } from './random.js';
import {
  FAULT_KINDS,
  FaultRuleError,
  compileKeyPattern,
  parseFaultRule,
  parseFaultRules,
  type FaultRule,
  type FaultSpec,
} from './rules.js';

/** What the server knows about a request when it asks for a plan (before reading the body). */
export interface FaultContext {
  op: OssOperation;
  method: string;
  bucket?: string;
  key?: string;
}

/**
 * The faults to apply to one request. Suggested order for the server: wait `latencyMs`;
 * read the body through the bandwidth cap and the request tripwire; answer `error` without
 * performing the operation; otherwise perform it, then drop the response if `dropResponse`,
 * else write it through the bandwidth cap and the response tripwire.
 */
export interface FaultPlan {
  error?: { status: number; code: string; message: string; retryAfterSeconds?: number };
  /** Sum of the matching latency faults. */
  latencyMs: number;
  /** The smallest matching cap. */
  bandwidthBytesPerSecond?: number;
  resetRequestAfterBytes?: number;
  resetResponseAfterBytes?: number;
  dropResponse: boolean;
  /** Ids of the rules that injected something into this plan, in rule order. */
  injected: string[];
}

export interface FaultRuleCounters {
  id: string;
  matched: number;
  injected: number;
  rule: FaultRule;
}

export interface FaultCounters {
  seed: number;
  totalInjected: number;
  byKind: Record<string, number>;
  rules: FaultRuleCounters[];
}

export interface FaultInjectorOptions {
  rules?: FaultRule[];
  seed?: number;
}

type RuleWithId = FaultRule & { id: string };

interface RuleState {
  rule: RuleWithId;
  ops: ReadonlySet<string> | undefined;
  method: string | undefined;
  matchKey: ((key: string) => boolean) | undefined;
  random: () => number;
  matched: number;
  injected: number;
}

function emptyByKind(): Record<string, number> {
  return Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0]));
}

/**
 * Decides, per request, which faults to inject. Every rule has its own seeded random stream
 * (derived from the injector seed and the rule id), so a rule's decisions depend only on the
 * seed and the sequence of requests that match it.
 */
export class FaultInjector {
  #seed: number;
  #states: RuleState[] = [];
  #nextId = 1;
  #totalInjected = 0;
  #byKind = emptyByKind();

  constructor(options: FaultInjectorOptions = {}) {
    const seed = options.seed ?? DEFAULT_FAULT_SEED;
    normalizeSeed(seed); // validates early, with a clear message
    this.#seed = seed;
    if (options.rules) this.setRules(options.rules);
  }

  /** False when there are no rules: lets the server skip all fault work cheaply. */
  get active(): boolean {
    return this.#states.length > 0;
  }

  get seed(): number {
    return this.#seed;
  }

  /** Evaluates all rules in order and updates their counters. */
  plan(ctx: FaultContext): FaultPlan {
    const plan: FaultPlan = { latencyMs: 0, dropResponse: false, injected: [] };
    for (const state of this.#states) {
      if (!this.#matches(state, ctx)) continue;
      state.matched++;
      const { rule } = state;
      if (state.matched <= (rule.after ?? 0)) continue;
      if (rule.times !== undefined && state.injected >= rule.times) continue;
      const probability = rule.probability ?? 1;
      if (probability <= 0) continue;
      // Drawn only here (past `after`, injections left) so replays consume the same draws.
      if (probability < 1 && state.random() >= probability) continue;
      if (!this.#apply(plan, rule.fault, state)) continue;
      state.injected++;
      this.#totalInjected++;
      this.#byKind[rule.fault.kind] = (this.#byKind[rule.fault.kind] ?? 0) + 1;
      plan.injected.push(rule.id);
    }
    return plan;
  }

  /**
   * Replaces all rules atomically (all are validated first). Rules whose id was already
   * present keep their counters and random stream; removed rules lose theirs.
   */
  setRules(rules: FaultRule[]): void {
    const parsed = parseFaultRules(rules, 'in-process rules').rules;
    const explicit = new Set(parsed.flatMap((rule) => (rule.id === undefined ? [] : [rule.id])));
    const previous = new Map(this.#states.map((state) => [state.rule.id, state]));
    // New ids must not collide with kept rules nor inherit counters of removed ones.
    const taken = new Set([...explicit, ...previous.keys()]);
    this.#states = parsed.map((rule) => {
      const id = rule.id ?? this.#assignId(taken);
      const kept = previous.get(id);
      const state = this.#createState({ ...rule, id });
      if (kept && rule.id !== undefined) {
        state.matched = kept.matched;
        state.injected = kept.injected;
        state.random = kept.random;
      }
      return state;
    });
  }

  /** Appends a rule and returns its id (assigned if missing). */
  addRule(rule: FaultRule): string {
    const parsed = parseFaultRule(rule, 'in-process rule');
    const taken = new Set(this.#states.map((state) => state.rule.id));
    if (parsed.id !== undefined && taken.has(parsed.id)) {
      throw new FaultRuleError('in-process rule', [
        { path: 'rule.id', message: `duplicate rule id ${JSON.stringify(parsed.id)}` },
      ]);
    }
    const id = parsed.id ?? this.#assignId(taken);
    this.#states.push(this.#createState({ ...parsed, id }));
    return id;
  }

  removeRule(id: string): boolean {
    const index = this.#states.findIndex((state) => state.rule.id === id);
    if (index < 0) return false;
    this.#states.splice(index, 1);
    return true;
  }

  /** Removes all rules. Totals are kept: they count every injection since the last reseed. */
  clear(): void {
    this.#states = [];
  }

  /**
   * Starts a replay: new seed, fresh random streams, and all counters (per rule and totals)
   * back to zero, because `after` and `times` decisions depend on them.
   */
  reseed(seed: number): void {
    normalizeSeed(seed);
    this.#seed = seed;
    this.#totalInjected = 0;
    this.#byKind = emptyByKind();
    for (const state of this.#states) {
      state.matched = 0;
      state.injected = 0;
      state.random = createRandom(deriveSeed(seed, state.rule.id));
    }
  }

  /** A snapshot; totals include rules removed since the last reseed. */
  counters(): FaultCounters {
    return {
      seed: this.#seed,
      totalInjected: this.#totalInjected,
      byKind: { ...this.#byKind },
      rules: this.#states.map((state) => ({
        id: state.rule.id,
        matched: state.matched,
        injected: state.injected,
        rule: structuredClone(state.rule),
      })),
    };
  }

  #assignId(taken: Set<string>): string {
    let id: string;
    do id = `rule-${this.#nextId++}`;
    while (taken.has(id));
    taken.add(id);
    return id;
  }

  #createState(rule: RuleWithId): RuleState {
    const op = rule.op ?? '*';
    return {
      rule,
      ops: op === '*' ? undefined : new Set(Array.isArray(op) ? op : [op]),
      method: rule.method?.toUpperCase(),
      matchKey: rule.key === undefined ? undefined : compileKeyPattern(rule.key),
      random: createRandom(deriveSeed(this.#seed, rule.id)),
      matched: 0,
      injected: 0,
    };
  }

  #matches(state: RuleState, ctx: FaultContext): boolean {
    if (state.ops && !state.ops.has(ctx.op)) return false;
    if (state.method !== undefined && state.method !== ctx.method.toUpperCase()) return false;
    if (state.rule.bucket !== undefined && state.rule.bucket !== ctx.bucket) return false;
    if (state.matchKey) {
      // A rule about keys says nothing about bucket- or service-level requests.
      if (ctx.key === undefined || !state.matchKey(ctx.key)) return false;
    }
    return true;
  }

  /** Merges one fault into the plan; false when it adds nothing (a later error rule). */
  #apply(plan: FaultPlan, fault: FaultSpec, state: RuleState): boolean {
    switch (fault.kind) {
      case 'error':
        if (plan.error) return false;
        plan.error = {
          status: fault.status,
          code: fault.code,
          message: fault.message ?? `Injected fault (rule ${state.rule.id})`,
          ...(fault.retryAfterSeconds === undefined
            ? {}
            : { retryAfterSeconds: fault.retryAfterSeconds }),
        };
        return true;
      case 'latency': {
        const jitter = fault.jitterMs ? (state.random() * 2 - 1) * fault.jitterMs : 0;
        plan.latencyMs += Math.max(0, Math.round(fault.ms + jitter));
        return true;
      }
      case 'bandwidth':
        plan.bandwidthBytesPerSecond = Math.min(
          plan.bandwidthBytesPerSecond ?? Infinity,
          fault.bytesPerSecond,
        );
        return true;
      case 'reset-request':
        plan.resetRequestAfterBytes = Math.min(
          plan.resetRequestAfterBytes ?? Infinity,
          fault.afterBytes,
        );
        return true;
      case 'reset-response':
        plan.resetResponseAfterBytes = Math.min(
          plan.resetResponseAfterBytes ?? Infinity,
          fault.afterBytes,
        );
        return true;
      case 'drop-response':
        plan.dropResponse = true;
        return true;
    }
  }
}
