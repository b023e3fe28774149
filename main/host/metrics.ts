/**
 * The transport's own metrics. Transfers, bytes, errors by code and pair states belong to
 * the service layer, which registers them on the same registry.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface HostMetrics {
  /** Seconds from a request's receipt to its reply, by contract method. */
  readonly requestDuration: Histogram<'method'>;
  /** Calls by method and outcome ('ok' or the error code). */
  readonly calls: Counter<'method' | 'outcome'>;
  readonly openSockets: Gauge;
  /** Events not sent because their payload failed its schema. */
  readonly eventsDropped: Counter<'event'>;
}

/** Label for a method name: unknown names share one label, so nobody can grow the series. */
export const UNKNOWN_METHOD_LABEL = '(unknown)';

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}

/** Creates the metrics on `registry`, or returns the ones a previous host registered there. */
export function createHostMetrics(registry: Registry): HostMetrics {
  const registers = [registry];
  return {
    requestDuration:
      existing<Histogram<'method'>>(registry, 'ossync_host_request_duration_seconds') ??
      new Histogram({
        name: 'ossync_host_request_duration_seconds',
        help: 'Time from receiving a contract call to replying, by method',
        labelNames: ['method'],
        buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
    calls:
      existing<Counter<'method' | 'outcome'>>(registry, 'ossync_host_calls_total') ??
      new Counter({
        name: 'ossync_host_calls_total',
        help: "Contract calls by method and outcome ('ok' or the error code)",
        labelNames: ['method', 'outcome'],
        registers,
      }),
    openSockets:
      existing<Gauge>(registry, 'ossync_host_open_sockets') ??
      new Gauge({
        name: 'ossync_host_open_sockets',
        help: 'Authenticated WebSocket connections open now',
        registers,
      }),
    eventsDropped:
      existing<Counter<'event'>>(registry, 'ossync_host_events_dropped_total') ??
      new Counter({
        name: 'ossync_host_events_dropped_total',
        help: 'Events not sent because their payload failed its schema',
        labelNames: ['event'],
        registers,
      }),
  };
}
