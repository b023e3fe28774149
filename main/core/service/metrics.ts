/** The service's Prometheus metrics (being built: see docs/contract.md). */
import { Registry } from 'prom-client';
import type { ServiceContext } from './context.js';

export function createServiceMetrics(_ctx: ServiceContext) {
  const registry = new Registry();
  return { registry, close() {} };
}
