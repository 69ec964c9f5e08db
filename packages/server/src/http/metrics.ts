import type { FastifyPluginAsync } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsOptions {
  /** Open `/v1/stream` responses, read at scrape time. */
  connectedStreams?: () => number;
  /** The configuration revision, read at scrape time. */
  configRevision?: () => number | Promise<number>;
  /** Also export prom-client's process and Node.js runtime metrics (CPU, memory, event loop lag). */
  processMetrics?: boolean;
}

/** Label value for requests that matched no route (404s), so stray URLs never become labels. */
const UNMATCHED_ROUTE = 'unmatched';

/** Seconds; from sub-millisecond SDK reads to slow bulk uploads. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The server's Prometheus metrics, on a registry of its own (not prom-client's global one), so
 * several apps can live in one process, as in tests.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route'>;
  private readonly eventsStored: Counter;
  private readonly eventsRejected: Counter;
  private readonly eventsRefused: Counter;
  private readonly idListBytes: Counter;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'switchyard_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'Time from receiving a request to finishing its response, by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'switchyard_streams_connected',
      help: 'Open /v1/stream connections on this instance.',
      registers,
      collect() {
        this.set(options.connectedStreams?.() ?? 0);
      },
    });
    new Gauge({
      name: 'switchyard_config_revision',
      help: 'The configuration revision this instance serves.',
      registers,
      async collect() {
        if (!options.configRevision) return;
        try {
          this.set(await options.configRevision());
        } catch {
          // Keep the last value: a database hiccup should not fail the whole scrape.
        }
      },
    });
    this.eventsStored = new Counter({
      name: 'switchyard_events_ingested_total',
      help: 'Exposures and custom events stored.',
      registers,
    });
    this.eventsRejected = new Counter({
      name: 'switchyard_events_rejected_total',
      help: 'Events refused at ingestion (malformed), whether alone or with their whole batch.',
      registers,
    });
    this.eventsRefused = new Counter({
      name: 'switchyard_events_refused_total',
      help: 'Events refused at ingestion because too many were waiting to be stored (429).',
      registers,
    });
    this.idListBytes = new Counter({
      name: 'switchyard_id_list_bytes_served_total',
      help: 'Bytes of ID-list files sent to SDKs (Range requests send only what an SDK lacks).',
      registers,
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Call after a batch is stored, with the number of events written. */
  onEventsStored(count: number): void {
    if (count > 0) this.eventsStored.inc(count);
  }

  /** Call with the number of events refused. */
  onEventsRejected(count: number): void {
    if (count > 0) this.eventsRejected.inc(count);
  }

  /** Call with the number of events refused for overload. */
  onEventsRefused(count: number): void {
    if (count > 0) this.eventsRefused.inc(count);
  }

  /** Call with the bytes of an ID-list file about to be sent. */
  onIdListBytesServed(bytes: number): void {
    if (bytes > 0) this.idListBytes.inc(bytes);
  }

  /** Records one answered request; `route` is the route pattern, never the raw URL. */
  observeRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    const pattern = route ?? UNMATCHED_ROUTE;
    this.requests.inc({ method, route: pattern, status: String(status) });
    this.duration.observe({ method, route: pattern }, seconds);
  }
}

/**
 * Counts every response of the app it is registered on (it is not encapsulated, so its hook
 * sees sibling plugins' routes too) and serves `GET /metrics` in the Prometheus text format.
 * Hijacked responses (`/v1/stream`) have no onResponse; the streams gauge covers them.
 */
export function metricsPlugin(metrics: Metrics): FastifyPluginAsync {
  const plugin: FastifyPluginAsync = async (app) => {
    app.addHook('onResponse', async (request, reply) => {
      metrics.observeRequest(
        request.method,
        request.routeOptions.url,
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
    });
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
  };
  // What fastify-plugin does: run in the parent's context, so the hook applies app-wide.
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true });
}
