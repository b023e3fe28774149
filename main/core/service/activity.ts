/** The activity log (being built: see docs/contract.md). */
import type { Handlers, ServiceContext } from './context.js';

export function createActivity(_ctx: ServiceContext) {
  const handlers: Partial<Handlers<'activity.'>> = {};
  return { handlers, async close() {} };
}
