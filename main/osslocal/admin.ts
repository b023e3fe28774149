import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultInjector } from './faults/injector.js';
import { parseFaultRule, parseFaultRules } from './faults/rules.js';

export interface AdminContext {
  token: string;
  loopback: boolean;
  faults: FaultInjector;
  stats: () => unknown;
  resetStats: () => void;
}

const MAX_ADMIN_BODY = 1024 * 1024;

/**
 * The `/-/` admin endpoint: fault rules and counters, request statistics. Loopback only,
 * and every call needs `Authorization: Bearer <admin token>`. Returns the status sent.
 *
 *   GET    /-/faults          counters and rules      PUT  /-/faults  replace rules (JSON)
 *   POST   /-/faults          add one rule -> {id}    DELETE /-/faults[/ID]  clear all / one
 *   POST   /-/faults/seed     {"seed": N}             GET  /-/stats, DELETE /-/stats
 */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: AdminContext,
): Promise<number> {
  const reply = (status: number, value: unknown): number => {
    const body = Buffer.from(JSON.stringify(value), 'utf8');
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': String(body.length),
    });
    res.end(body);
    return status;
  };
  if (!ctx.loopback) return reply(403, { error: 'The admin endpoint only answers on loopback.' });
  const given = Buffer.from((req.headers.authorization ?? '').replace(/^Bearer\s+/i, ''), 'utf8');
  const expected = Buffer.from(ctx.token, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return reply(401, { error: 'Missing or wrong admin token (Authorization: Bearer <token>).' });
  }
  const url = new URL(req.url ?? '/', 'http://admin');
  const route = `${req.method ?? 'GET'} ${url.pathname.replace(/\/+$/, '')}`;
  try {
    switch (route) {
      case 'GET /-/faults':
        return reply(200, ctx.faults.counters());
      case 'PUT /-/faults': {
        const parsed = parseFaultRules(await readJson(req), 'admin request');
        ctx.faults.setRules(parsed.rules);
        if (parsed.seed !== undefined) ctx.faults.reseed(parsed.seed);
        return reply(200, ctx.faults.counters());
      }
      case 'POST /-/faults': {
        return reply(200, {
          id: ctx.faults.addRule(parseFaultRule(await readJson(req), 'admin request')),
        });
      }
      case 'DELETE /-/faults':
        ctx.faults.clear();
        return reply(200, ctx.faults.counters());
      case 'POST /-/faults/seed': {
        const body = (await readJson(req)) as { seed?: unknown };
        if (typeof body.seed !== 'number' || !Number.isInteger(body.seed)) {
          return reply(400, { error: 'Body must be {"seed": <integer>}.' });
        }
        ctx.faults.reseed(body.seed);
        return reply(200, { seed: body.seed });
      }
      case 'GET /-/stats':
        return reply(200, ctx.stats());
      case 'DELETE /-/stats':
        ctx.resetStats();
        return reply(200, ctx.stats());
    }
    const one = /^DELETE \/-\/faults\/([^/]+)$/.exec(route);
    if (one) {
      const removed = ctx.faults.removeRule(decodeURIComponent(one[1] as string));
      return reply(
        removed ? 200 : 404,
        removed ? { removed: true } : { error: 'No fault rule with that id.' },
      );
    }
    return reply(404, { error: `No admin route ${route}.` });
  } catch (error) {
    return reply(400, { error: error instanceof Error ? error.message : String(error) });
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ADMIN_BODY)
      throw new Error(`Admin request bodies are limited to ${MAX_ADMIN_BODY} bytes.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error('The admin request body is not valid JSON.');
  }
}
