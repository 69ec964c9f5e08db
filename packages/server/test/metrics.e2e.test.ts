/**
 * `GET /metrics` on an app (SQLite in memory) with the metrics plugin and a stream hub
 * registered as app.ts will register them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { Metrics } from '../src/http/metrics.js';
import { type OpenDatabase, openDatabase } from '../src/store/database.js';
import { SseClient } from './support/sse-client.js';
import { buildStreamingApp } from './support/streaming-app.js';

const CONSOLE = 'console-test-key-123';
const SERVER = 'secret-test-key-123';

let database: OpenDatabase;
let app: App;
let metrics: Metrics;

beforeEach(async () => {
  database = await openDatabase(':memory:');
  ({ app, metrics } = await buildStreamingApp(database));
  await app.keys.ensure('production', 'console', CONSOLE);
  await app.keys.ensure('production', 'server', SERVER);
});

afterEach(async () => {
  await app.http.close();
  await database.close();
});

async function scrape(): Promise<{ contentType: string; body: string }> {
  const response = await app.http.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  return { contentType: String(response.headers['content-type']), body: response.body };
}

/** The value of one sample line, e.g. `name{a="b"} 3`. */
function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  it('counts requests by route pattern and status, in the Prometheus text format', async () => {
    await app.http.inject({ method: 'GET', url: '/healthz' });
    await app.http.inject({ method: 'GET', url: '/healthz' });
    const consoleKey = { authorization: `Bearer ${CONSOLE}` };
    await app.http.inject({ method: 'GET', url: '/api/v1/gates/nope_one', headers: consoleKey });
    await app.http.inject({ method: 'GET', url: '/api/v1/gates/nope_two', headers: consoleKey });
    await app.http.inject({ method: 'GET', url: '/no/such/path/123' });
    await app.http.inject({
      method: 'POST',
      url: '/api/v1/gates',
      headers: consoleKey,
      payload: { name: 'counted', rules: [] },
    });

    const { contentType, body } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('# TYPE switchyard_http_requests_total counter');
    expect(body).toContain('# TYPE switchyard_http_request_duration_seconds histogram');
    expect(sample(body, 'switchyard_http_requests_total{method="GET",route="/healthz",status="200"}')).toBe(
      2,
    );
    expect(
      sample(body, 'switchyard_http_requests_total{method="GET",route="/api/v1/gates/:name",status="404"}'),
    ).toBe(2);
    expect(sample(body, 'switchyard_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(
      1,
    );
    expect(body).not.toContain('nope_one');
    expect(body).not.toContain('/no/such/path');
    expect(
      sample(body, 'switchyard_http_request_duration_seconds_count{method="GET",route="/healthz"}'),
    ).toBe(2);
    expect(
      sample(
        body,
        'switchyard_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/healthz"}',
      ),
    ).toBe(2);
    expect(sample(body, 'switchyard_config_revision')).toBe(1);
    // The scrape itself is counted once it has been answered.
    expect(
      sample(
        (await scrape()).body,
        'switchyard_http_requests_total{method="GET",route="/metrics",status="200"}',
      ),
    ).toBe(1);
  });

  it('reports ingestion counts through its hooks', async () => {
    metrics.onEventsStored(3);
    metrics.onEventsStored(2);
    metrics.onEventsRejected(1);
    metrics.onEventsRejected(0);
    const { body } = await scrape();
    expect(body).toContain('# TYPE switchyard_events_ingested_total counter');
    expect(sample(body, 'switchyard_events_ingested_total')).toBe(5);
    expect(sample(body, 'switchyard_events_rejected_total')).toBe(1);
    expect(body).toContain('process_cpu_user_seconds_total');
  });

  it('reports connected streams', async () => {
    const base = await app.http.listen({ host: '127.0.0.1', port: 0 });
    expect(sample((await scrape()).body, 'switchyard_streams_connected')).toBe(0);
    const client = await SseClient.connect(`${base}/v1/stream`, { authorization: `Bearer ${SERVER}` });
    await client.waitFor((event) => event.event === 'revision');
    expect(sample((await scrape()).body, 'switchyard_streams_connected')).toBe(1);
    client.close();
  });

  it('keeps each app on its own registry', () => {
    const other = new Metrics({ processMetrics: false });
    other.onEventsStored(7);
    expect(other.registry).not.toBe(metrics.registry);
  });
});
