/** The buckets.* and objects.* methods (being built: see docs/contract.md). */
import type { Handlers, ServiceContext } from './context.js';

export function createBrowse(_ctx: ServiceContext) {
  const handlers: Partial<Handlers<'buckets.'> & Handlers<'objects.'>> = {};
  return { handlers };
}
