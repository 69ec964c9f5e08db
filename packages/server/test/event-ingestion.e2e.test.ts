/**
 * Event ingestion over HTTP (in process, SQLite in memory): retries are stored once, concurrent
 * batches are committed together, and an overloaded server says so with 429 and Retry-After.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { EventIngestion } from '../src/services/event-ingestion.js';
import { type OpenDatabase, openDatabase } from '../src/store/database.js';

const SERVER = 'secret-ingestion-test';
const CLIENT = 'client-ingestion-test';

let database: OpenDatabase;
let app: App;

async function start(options: { maxPendingEvents?: number } = {}) {
  database = await openDatabase(':memory:');
  app = await buildApp({ database, ...options });
  await app.keys.ensure('production', 'server', SERVER);
  await app.keys.ensure('production', 'client', CLIENT);
}
afterEach(async () => {
  await app.http.close();
  await database.close();
});

const batch = (prefix: string, count: number) => ({
  events: Array.from({ length: count }, (_, i) => ({
    eventName: 'purchase',
    time: 1_700_000_000_000 + i,
    user: { userID: `${prefix}-${i}` },
    value: i,
  })),
  statsigMetadata: { sdkType: 'statsig-node', sessionID: prefix },
});

function post(body: object, headers: Record<string, string> = {}, gzip = false) {
  return app.http.inject({
    method: 'POST',
    url: '/v1/log_event',
    headers: {
      'statsig-api-key': SERVER,
      'content-type': 'application/json',
      ...(gzip && { 'content-encoding': 'gzip' }),
      ...headers,
    },
    payload: gzip ? gzipSync(JSON.stringify(body)) : JSON.stringify(body),
  });
}

it('stores a batch once when the SDK retries it (gzip first, plain on the retry)', async () => {
  await start();
  const body = batch('retry', 3);
  const first = await post(body, {}, true);
  expect(first.json()).toMatchObject({ stored: 3, duplicate: false });
  const retried = await post(body);
  expect(retried.statusCode).toBe(202);
  expect(retried.json()).toMatchObject({ stored: 0, duplicate: true });
  // Same events under an explicit Idempotency-Key are a different batch identity.
  const keyed = await post(body, { 'idempotency-key': 'sdk-batch-1' });
  expect(keyed.json()).toMatchObject({ stored: 3, duplicate: false });
  expect((await post(body, { 'idempotency-key': 'sdk-batch-1' })).json()).toMatchObject({ duplicate: true });
  expect(await app.events.list()).toHaveLength(6);
  const metrics = (await app.http.inject({ method: 'GET', url: '/metrics' })).body;
  expect(metrics).toMatch(/switchyard_events_ingested_total 6\b/);
});

it('stores a browser batch (/v1/rgstr) once when the client retries it', async () => {
  await start();
  const body = JSON.stringify({ ...batch('browser', 2), statsigMetadata: { stableID: 'device-1' } });
  const send = () =>
    app.http.inject({
      method: 'POST',
      url: `/v1/rgstr?k=${CLIENT}`,
      headers: { 'content-type': 'text/plain' },
      payload: body,
    });
  expect((await send()).json()).toMatchObject({ stored: 2, duplicate: false });
  expect((await send()).json()).toMatchObject({ stored: 0, duplicate: true });
  const stored = await app.events.list();
  expect(stored).toHaveLength(2);
  expect(stored[0]?.unitIDs).toMatchObject({ stableID: 'device-1' });
});

it('commits concurrent batches, all of them, whatever their grouping', async () => {
  await start();
  const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => post(batch(`c${i}`, 25))));
  expect(responses.map((response) => response.statusCode)).toEqual(Array(40).fill(202));
  const stored = await app.events.list({ limit: 5000 });
  expect(stored).toHaveLength(1000);
  expect(new Set(stored.map((event) => event.userID)).size).toBe(1000);
});

it('answers 429 with Retry-After when too many events wait, 503 to statsig-node (which retries only that), and counts them', async () => {
  await start({ maxPendingEvents: 10 });
  const tooMany = await post(batch('big', 11));
  expect(tooMany.statusCode).toBe(429);
  expect(tooMany.headers['retry-after']).toBe('1');
  expect(tooMany.json()).toMatchObject({ error: { code: 'overloaded' } });
  const fromStatsigNode = await post(batch('big', 11), { 'statsig-sdk-type': 'statsig-node' });
  expect(fromStatsigNode.statusCode).toBe(503);
  expect(fromStatsigNode.headers['retry-after']).toBe('1');
  expect((await post(batch('small', 10))).statusCode).toBe(202);
  const metrics = (await app.http.inject({ method: 'GET', url: '/metrics' })).body;
  expect(metrics).toMatch(/switchyard_events_refused_total 22\b/);
  expect(await app.events.list()).toHaveLength(10);
});

it('writes the batches that arrive while a transaction runs together, in the next one', async () => {
  await start();
  const calls: number[] = [];
  let release: () => void = () => {};
  const blocked = new Promise<void>((resolve) => {
    release = resolve;
  });
  const store = {
    async appendBatches(batches: readonly { events: unknown[] }[]) {
      calls.push(batches.length);
      if (calls.length === 1) await blocked;
      return batches.map((b) => ({ stored: b.events.length, duplicate: false }));
    },
    async forgetBatchKeys() {},
  };
  const ingestion = new EventIngestion(store as never);
  const one = (i: number) =>
    ingestion.submit(
      'production',
      [{ eventName: 'e', time: i, user: null, value: null, metadata: null, secondaryExposures: null }],
      null,
    );
  const first = one(0);
  const rest = [one(1), one(2), one(3)];
  release();
  expect(await Promise.all([first, ...rest])).toEqual(Array(4).fill({ stored: 1, duplicate: false }));
  expect(calls).toEqual([1, 3]);
  await ingestion.drain();
});
