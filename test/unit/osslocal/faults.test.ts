import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it, expect } from 'vitest';
import { FaultInjector, type FaultContext } from '../../../main/osslocal/faults/injector.js';
import { createRandom } from '../../../main/osslocal/faults/random.js';
import {
  FaultRuleError,
  compileKeyPattern,
  parseFaultRules,
  type FaultRule,
} from '../../../main/osslocal/faults/rules.js';
import {
  FAULT_RESET_CODE,
  createThrottle,
  createTripwire,
} from '../../../main/osslocal/faults/streams.js';

const put = (key?: string, bucket = 'b1'): FaultContext => ({
  op: 'PutObject',
  method: 'PUT',
  bucket,
  key,
});
const get = (key?: string, bucket = 'b1'): FaultContext => ({
  op: 'GetObject',
  method: 'GET',
  bucket,
  key,
});
const error503: FaultRule['fault'] = { kind: 'error', status: 503, code: 'ServiceUnavailable' };

function hits(injector: FaultInjector, ctx: FaultContext): boolean {
  return injector.plan(ctx).injected.length > 0;
}

function decisions(seed: number, count: number, probability = 0.5): boolean[] {
  const injector = new FaultInjector({ seed, rules: [{ id: 'p', probability, fault: error503 }] });
  return Array.from({ length: count }, () => hits(injector, put('k')));
}

describe('FaultInjector filters', () => {
  it('matches every operation by default and with "*"', () => {
    for (const op of [undefined, '*'] as const) {
      const injector = new FaultInjector({ rules: [{ op, fault: error503 }] });
      expect(hits(injector, put('a'))).toBe(true);
      expect(hits(injector, { op: 'ListBuckets', method: 'GET' })).toBe(true);
    }
  });

  it('matches a single operation or a list of operations', () => {
    const single = new FaultInjector({ rules: [{ op: 'UploadPart', fault: error503 }] });
    expect(hits(single, { op: 'UploadPart', method: 'PUT', bucket: 'b1', key: 'k' })).toBe(true);
    expect(hits(single, put('k'))).toBe(false);

    const list = new FaultInjector({
      rules: [{ op: ['PutObject', 'GetObject'], fault: error503 }],
    });
    expect(hits(list, put('k'))).toBe(true);
    expect(hits(list, get('k'))).toBe(true);
    expect(hits(list, { op: 'DeleteObject', method: 'DELETE', bucket: 'b1', key: 'k' })).toBe(
      false,
    );
  });

  it('filters by exact bucket and by method, case-insensitively for the method', () => {
    const injector = new FaultInjector({
      rules: [{ bucket: 'b1', method: 'put', fault: error503 }],
    });
    expect(hits(injector, put('k', 'b1'))).toBe(true);
    expect(hits(injector, put('k', 'b10'))).toBe(false);
    expect(hits(injector, get('k', 'b1'))).toBe(false);
  });

  it('never matches a key rule for requests without a key', () => {
    const injector = new FaultInjector({ rules: [{ key: '*', fault: error503 }] });
    expect(hits(injector, put('anything'))).toBe(true);
    expect(hits(injector, { op: 'ListObjects', method: 'GET', bucket: 'b1' })).toBe(false);
  });

  it('matches glob key patterns against the whole key', () => {
    const cases: [string, string, boolean][] = [
      ['photos/*', 'photos/2024/06/a.jpg', true],
      ['photos/*', 'other/photos/a.jpg', false],
      ['*.jpg', 'deep/dir/a.jpg', true],
      ['*.jpg', 'a.jpg.bak', false],
      ['a/*/c', 'a/b/x/c', true],
      ['a?c', 'abc', true],
      ['a?c', 'ac', false],
      ['a?c', 'abbc', false],
      ['exact/key', 'exact/key', true],
      ['exact/key', 'exact/key2', false],
      ['*a*a*a*a*a*b', 'a'.repeat(200), false],
      // Regex-special characters are literal.
      ['a+b(1).[x]{2}|^$\\', 'a+b(1).[x]{2}|^$\\', true],
      ['a.c', 'abc', false],
      ['(*)', '(x/y)', true],
      // `?` is one code point, astral characters included.
      ['日本/?.txt', '日本/語.txt', true],
      ['?', '😀', true],
      ['??', '😀', false],
      ['emoji/*😀', 'emoji/x/😀', true],
      ['line?break', 'line\nbreak', true],
    ];
    for (const [pattern, key, expected] of cases) {
      expect(compileKeyPattern(pattern)(key), `${pattern} vs ${key}`).toBe(expected);
      const injector = new FaultInjector({ rules: [{ key: pattern, fault: error503 }] });
      expect(hits(injector, put(key))).toBe(expected);
    }
  });
});

describe('FaultInjector after, times and probability', () => {
  it('lets the first `after` matches through, then injects `times` times', () => {
    const injector = new FaultInjector({
      rules: [{ id: 'r', op: 'PutObject', after: 2, times: 3, fault: error503 }],
    });
    const seen = Array.from({ length: 7 }, () => hits(injector, put('k')));
    expect(seen).toEqual([false, false, true, true, true, false, false]);
    hits(injector, get('k')); // not a match: not counted
    expect(injector.counters().rules[0]).toMatchObject({ id: 'r', matched: 7, injected: 3 });
  });

  it('replays the same decisions for the same seed and differs for another seed', () => {
    const first = decisions(42, 200);
    expect(decisions(42, 200)).toEqual(first);
    expect(decisions(43, 200)).not.toEqual(first);
    expect(createRandom(7)()).toBe(createRandom(7)());
  });

  it('replays after reseed, counters included', () => {
    const injector = new FaultInjector({
      seed: 9,
      rules: [{ id: 'p', probability: 0.3, times: 20, fault: error503 }],
    });
    const run = (): boolean[] => Array.from({ length: 100 }, () => hits(injector, put('k')));
    const first = run();
    injector.reseed(9);
    expect(injector.counters().totalInjected).toBe(0);
    expect(run()).toEqual(first);
    expect(injector.counters().rules[0]?.injected).toBe(20);
  });

  it("keeps one rule's decisions independent of other rules' traffic", () => {
    const rule: FaultRule = { id: 'puts', op: 'PutObject', probability: 0.5, fault: error503 };
    const alone = new FaultInjector({ seed: 5, rules: [rule] });
    const mixed = new FaultInjector({
      seed: 5,
      rules: [{ id: 'gets', op: 'GetObject', probability: 0.5, fault: error503 }, rule],
    });
    const a: boolean[] = [];
    const b: boolean[] = [];
    for (let i = 0; i < 100; i++) {
      a.push(hits(alone, put('k')));
      hits(mixed, get('k'));
      b.push(hits(mixed, put('k')));
    }
    expect(b).toEqual(a);
  });

  it('injects at roughly the configured rate', () => {
    const injected = decisions(2024, 10_000, 0.1).filter(Boolean).length;
    expect(injected).toBeGreaterThan(900);
    expect(injected).toBeLessThan(1100);
  });

  it('draws nothing before `after` is used up, so `after` does not shift the sequence', () => {
    const withAfter = new FaultInjector({
      seed: 3,
      rules: [{ id: 'p', after: 5, probability: 0.5, fault: error503 }],
    });
    const skipped = Array.from({ length: 5 }, () => hits(withAfter, put('k')));
    expect(skipped).toEqual([false, false, false, false, false]);
    const rest = Array.from({ length: 50 }, () => hits(withAfter, put('k')));
    const plain = new FaultInjector({
      seed: 3,
      rules: [{ id: 'p', probability: 0.5, fault: error503 }],
    });
    expect(rest).toEqual(Array.from({ length: 50 }, () => hits(plain, put('k'))));
  });
});

describe('FaultInjector plans and counters', () => {
  it('is inactive without rules and returns an empty plan', () => {
    const injector = new FaultInjector();
    expect(injector.active).toBe(false);
    expect(injector.plan(put('k'))).toEqual({ latencyMs: 0, dropResponse: false, injected: [] });
    const id = injector.addRule({ fault: { kind: 'drop-response' } });
    expect(injector.active).toBe(true);
    expect(injector.removeRule(id)).toBe(true);
    expect(injector.removeRule(id)).toBe(false);
    expect(injector.active).toBe(false);
  });

  it('merges latency (sum), bandwidth (min), resets (min) and the first error', () => {
    const injector = new FaultInjector({
      rules: [
        { id: 'slow1', fault: { kind: 'latency', ms: 100 } },
        { id: 'cap1', fault: { kind: 'bandwidth', bytesPerSecond: 5000 } },
        {
          id: 'e1',
          fault: { kind: 'error', status: 429, code: 'QpsLimitExceeded', retryAfterSeconds: 2 },
        },
        { id: 'slow2', fault: { kind: 'latency', ms: 50 } },
        { id: 'e2', fault: error503 },
        { id: 'cap2', fault: { kind: 'bandwidth', bytesPerSecond: 1000 } },
        { id: 'rq', fault: { kind: 'reset-request', afterBytes: 10 } },
        { id: 'rs1', fault: { kind: 'reset-response', afterBytes: 30 } },
        { id: 'rs2', fault: { kind: 'reset-response', afterBytes: 20 } },
        { id: 'drop', fault: { kind: 'drop-response' } },
      ],
    });
    const plan = injector.plan(put('k'));
    expect(plan).toEqual({
      error: {
        status: 429,
        code: 'QpsLimitExceeded',
        message: 'Injected fault (rule e1)',
        retryAfterSeconds: 2,
      },
      latencyMs: 150,
      bandwidthBytesPerSecond: 1000,
      resetRequestAfterBytes: 10,
      resetResponseAfterBytes: 20,
      dropResponse: true,
      injected: ['slow1', 'cap1', 'e1', 'slow2', 'cap2', 'rq', 'rs1', 'rs2', 'drop'],
    });
    const counters = injector.counters();
    expect(counters.totalInjected).toBe(9);
    expect(counters.byKind).toEqual({
      error: 1,
      latency: 2,
      bandwidth: 2,
      'reset-request': 1,
      'reset-response': 2,
      'drop-response': 1,
    });
    expect(counters.rules.find((r) => r.id === 'e2')).toMatchObject({ matched: 1, injected: 0 });
  });

  it('adds seeded jitter to latency within bounds', () => {
    const injector = new FaultInjector({
      rules: [{ fault: { kind: 'latency', ms: 100, jitterMs: 20 } }],
    });
    const values = Array.from({ length: 200 }, () => injector.plan(put('k')).latencyMs);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(80);
    expect(Math.max(...values)).toBeLessThanOrEqual(120);
    expect(new Set(values).size).toBeGreaterThan(10);
  });

  it('reads counters back and keeps them for rules kept by id', () => {
    const injector = new FaultInjector({ seed: 11 });
    const auto = injector.addRule({ op: 'GetObject', fault: error503 });
    injector.addRule({ id: 'keep', op: 'PutObject', times: 1, fault: { kind: 'latency', ms: 5 } });
    expect(() => injector.addRule({ id: 'keep', fault: error503 })).toThrow(
      /in-process rule: rule\.id: duplicate rule id "keep"/,
    );
    hits(injector, get('k'));
    hits(injector, put('k'));
    hits(injector, put('k'));

    let counters = injector.counters();
    expect(counters.seed).toBe(11);
    expect(counters.totalInjected).toBe(2);
    expect(counters.rules.map(({ id, matched, injected }) => ({ id, matched, injected }))).toEqual([
      { id: auto, matched: 1, injected: 1 },
      { id: 'keep', matched: 2, injected: 1 },
    ]);
    expect(counters.rules[1]?.rule).toEqual({
      id: 'keep',
      op: 'PutObject',
      times: 1,
      fault: { kind: 'latency', ms: 5 },
    });

    injector.setRules([
      { id: 'keep', op: 'PutObject', times: 1, fault: { kind: 'latency', ms: 5 } },
    ]);
    counters = injector.counters();
    expect(counters.rules).toHaveLength(1);
    expect(counters.rules[0]).toMatchObject({ id: 'keep', matched: 2, injected: 1 });
    expect(hits(injector, put('k'))).toBe(false); // `times` is still used up

    injector.clear();
    expect(injector.active).toBe(false);
    expect(injector.counters().totalInjected).toBe(2); // totals outlive removed rules
  });

  it('validates in-process rules', () => {
    const injector = new FaultInjector();
    expect(() => injector.addRule({ probability: 2, fault: error503 })).toThrow(
      /in-process rule: rule\.probability/,
    );
    expect(() => injector.setRules([{ fault: error503 }, { times: -1, fault: error503 }])).toThrow(
      /in-process rules: rules\[1\]\.times/,
    );
    expect(() =>
      injector.setRules([
        { id: 'x', fault: error503 },
        { id: 'x', fault: error503 },
      ]),
    ).toThrow(FaultRuleError);
    expect(injector.active).toBe(false); // a rejected set changes nothing
  });
});

describe('parseFaultRules', () => {
  it('accepts an array or { seed, rules }', () => {
    expect(parseFaultRules([{ fault: { kind: 'drop-response' } }], 'a.json')).toEqual({
      rules: [{ fault: { kind: 'drop-response' } }],
    });
    const parsed = parseFaultRules(
      {
        seed: 7,
        rules: [
          {
            op: ['UploadPart'],
            key: 'big/*',
            probability: 0.03,
            fault: { kind: 'reset-request', afterBytes: 1024 },
          },
        ],
      },
      'soak.json',
    );
    expect(parsed.seed).toBe(7);
    expect(parsed.rules[0]?.op).toEqual(['UploadPart']);
  });

  it('names the source and the path of the problem', () => {
    const attempt = (json: unknown, source = 'faults.json'): FaultRuleError => {
      try {
        parseFaultRules(json, source);
      } catch (error) {
        expect(error).toBeInstanceOf(FaultRuleError);
        return error as FaultRuleError;
      }
      throw new Error('expected parseFaultRules to throw');
    };

    const status = attempt([
      { fault: error503 },
      { fault: { kind: 'error', status: 700, code: 'X' } },
    ]);
    expect(status.message).toMatch(
      /^Invalid fault rules in faults\.json: rules\[1\]\.fault\.status: /,
    );

    const kind = attempt({ rules: [{ fault: { kind: 'explode' } }] }, 'admin request');
    expect(kind.message).toContain('admin request');
    expect(kind.message).toContain(
      'rules[0].fault.kind: expected fault.kind to be one of: error, latency',
    );

    const op = attempt([{ op: ['PutObject', 'PutObjekt'], fault: error503 }]);
    expect(op.message).toContain('rules[0].op: unknown operation "PutObjekt"');

    const typo = attempt([{ probabilty: 0.5, fault: error503 }]);
    expect(typo.message).toContain('rules[0]: Unrecognized key: "probabilty"');

    const dup = attempt([
      { id: 'x', fault: error503 },
      { id: 'x', fault: error503 },
    ]);
    expect(dup.message).toContain('rules[1].id: duplicate rule id "x"');

    const seed = attempt({ seed: 1.5, rules: [] });
    expect(seed.message).toContain('seed: ');

    expect(attempt('nope').message).toContain('expected an array of rules');
  });
});

async function collect(source: Readable, ...transforms: NodeJS.ReadWriteStream[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await pipeline([source, ...transforms, sink]);
  return Buffer.concat(chunks);
}

describe('createThrottle', () => {
  it('holds the average rate near the cap', async () => {
    const cap = 200_000;
    const total = cap / 2; // about 0.5 s at the cap
    const chunks = Array.from({ length: total / 10_000 }, (_, i) => Buffer.alloc(10_000, i));
    const started = performance.now();
    const out = await collect(Readable.from(chunks), createThrottle(cap));
    const seconds = (performance.now() - started) / 1000;
    expect(out.equals(Buffer.concat(chunks))).toBe(true);
    const rate = total / seconds;
    expect(rate).toBeGreaterThan(cap * 0.8);
    expect(rate).toBeLessThan(cap * 1.2);
  });

  it('destroys cleanly while a chunk is held', async () => {
    const throttle = createThrottle(1000);
    throttle.resume();
    const written = new Promise<Error | null | undefined>((resolve) =>
      throttle.write(Buffer.alloc(10_000), resolve),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    throttle.destroy();
    expect((await written)?.message).toMatch(/destroyed/);
  });
});

describe('createTripwire', () => {
  it('passes exactly N bytes, trips once and never ends cleanly', async () => {
    let trips = 0;
    const chunks = Array.from({ length: 6 }, (_, i) => Buffer.alloc(4, i));
    const received: Buffer[] = [];
    const wire = createTripwire(10, () => trips++);
    wire.on('data', (chunk: Buffer) => received.push(chunk));
    const failure = await pipeline(Readable.from(chunks), wire).catch((error: unknown) => error);
    expect(Buffer.concat(received)).toEqual(Buffer.concat(chunks).subarray(0, 10));
    expect(trips).toBe(1);
    expect((failure as NodeJS.ErrnoException).code).toBe(FAULT_RESET_CODE);
  });

  it('trips at zero bytes even for an empty body, and not at all below the limit', async () => {
    let trips = 0;
    await expect(
      collect(
        Readable.from([]),
        createTripwire(0, () => trips++),
      ),
    ).rejects.toMatchObject({
      code: FAULT_RESET_CODE,
    });
    expect(trips).toBe(1);

    const out = await collect(
      Readable.from([Buffer.from('short')]),
      createTripwire(6, () => trips++),
    );
    expect(out.toString()).toBe('short');
    expect(trips).toBe(1);
  });
});
