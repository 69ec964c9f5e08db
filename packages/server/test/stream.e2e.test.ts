/**
 * `GET /v1/stream` against a listening server (SQLite in memory) with real HTTP clients.
 * Waits are bounded (they fail rather than hang); nothing asserts on speed.
 */
import type { ConfigSpecs } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { App } from '../src/app.js';
import type { StreamHub } from '../src/routes/stream.js';
import { type OpenDatabase, openDatabase } from '../src/store/database.js';
import { SseClient, type SseEvent } from './support/sse-client.js';
import { buildStreamingApp } from './support/streaming-app.js';

const CONSOLE = 'console-test-key-123';
const SERVER = 'secret-test-key-123';
const CLIENT = 'client-test-key-123';
const STAGING_SERVER = 'secret-staging-key-123';
/** Short, so heartbeats show up within a test. */
const HEARTBEAT_MS = 100;

let database: OpenDatabase;
let app: App;
let hub: StreamHub;
let base: string;
const clients: SseClient[] = [];

beforeEach(async () => {
  database = await openDatabase(':memory:');
  ({ app, hub } = await buildStreamingApp(database, { heartbeatMs: HEARTBEAT_MS }));
  await app.keys.ensure('production', 'console', CONSOLE);
  await app.keys.ensure('production', 'server', SERVER);
  await app.keys.ensure('production', 'client', CLIENT);
  await app.keys.ensure('staging', 'server', STAGING_SERVER);
  base = await app.http.listen({ host: '127.0.0.1', port: 0 });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await app.http.close();
  await database.close();
});

async function connect(headers: Record<string, string> = {}, query = ''): Promise<SseClient> {
  const client = await SseClient.connect(`${base}/v1/stream${query}`, headers);
  clients.push(client);
  return client;
}

const serverKey = (key = SERVER) => ({ authorization: `Bearer ${key}` });

/** Creates a gate through the authoring API; the store announces the new revision on commit. */
async function createGate(name: string): Promise<number> {
  const response = await app.http.inject({
    method: 'POST',
    url: '/api/v1/gates',
    headers: { authorization: `Bearer ${CONSOLE}` },
    payload: { name, rules: [{ name: 'everyone', conditions: [{ type: 'public' }] }] },
  });
  expect(response.statusCode).toBe(201);
  const { revision } = await app.entities.revision();
  return revision;
}

function gateNames(event: SseEvent): string[] {
  return (JSON.parse(event.data) as ConfigSpecs).feature_gates.map((gate) => gate.name);
}

/** Gates a `delta` event adds or changes. */
function changedGateNames(event: SseEvent): string[] {
  return (JSON.parse(event.data) as { changed: ConfigSpecs }).changed.feature_gates.map((gate) => gate.name);
}

/** The gates a client knows after applying its events in order, as an SDK would. */
function gatesKnown(client: SseClient): string[] {
  let gates = new Map<string, unknown>();
  for (const event of client.events) {
    if (event.event === 'config') {
      gates = new Map((JSON.parse(event.data) as ConfigSpecs).feature_gates.map((gate) => [gate.name, gate]));
    } else if (event.event === 'delta') {
      const delta = JSON.parse(event.data) as { changed: ConfigSpecs; removed: { feature_gates: string[] } };
      for (const gate of delta.changed.feature_gates) gates.set(gate.name, gate);
      for (const name of delta.removed.feature_gates) gates.delete(name);
    }
  }
  return [...gates.keys()].sort();
}

const isConfigAt = (revision: number) => (event: SseEvent) =>
  event.event === 'config' && event.id === String(revision);
/** A full config or a delta reaching `revision`. */
const isUpdateAt = (revision: number) => (event: SseEvent) =>
  (event.event === 'config' || event.event === 'delta') && event.id === String(revision);

describe('GET /v1/stream', () => {
  it('opens an event stream with the current revision, then the full config', async () => {
    const revision = await createGate('first_gate');
    const { time } = await app.snapshots.current('production');
    const client = await connect(serverKey());
    expect(client.status).toBe(200);
    expect(client.headers).toMatchObject({
      'content-type': expect.stringMatching(/^text\/event-stream/),
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    await client.waitFor(isConfigAt(revision));
    const [first, second] = client.events;
    expect(first).toEqual({
      id: String(revision),
      event: 'revision',
      data: JSON.stringify({ revision, time }),
    });
    expect(second && gateNames(second)).toEqual(['first_gate']);
    expect(second && (JSON.parse(second.data) as ConfigSpecs).time).toBe(time);
  });

  it('sends every connected client the new config after a change, per environment', async () => {
    const start = await createGate('first_gate');
    const production = [
      await connect(serverKey()),
      await connect({ 'statsig-api-key': SERVER }),
      await connect({}, `?k=${SERVER}`),
    ];
    const staging = await connect(serverKey(STAGING_SERVER));
    for (const client of [...production, staging]) await client.waitFor(isConfigAt(start));

    const next = await createGate('second_gate');
    for (const client of [...production, staging]) {
      // Clients holding the previous revision get only what changed.
      const event = await client.waitFor(isUpdateAt(next));
      expect(event.event).toBe('delta');
      expect(changedGateNames(event)).toEqual(['second_gate']);
      expect(JSON.parse(event.data)).toMatchObject({ revision: next, baseRevision: start });
      expect(gatesKnown(client)).toEqual(['first_gate', 'second_gate']);
    }
    // Each change is sent once per client.
    expect(
      production[0]?.events
        .filter((event) => event.event === 'config' || event.event === 'delta')
        .map((event) => event.id),
    ).toEqual([String(start), String(next)]);
  });

  it('resumes from Last-Event-ID without a reload when the client is current, with one when it is not', async () => {
    const revision = await createGate('first_gate');
    const current = await connect({ ...serverKey(), 'last-event-id': String(revision) });
    await current.waitFor((event) => event.event === 'revision');
    // Heartbeats follow the initial events, so two of them mean nothing else was coming.
    await vi.waitFor(() => expect(current.comments).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    expect(current.names()).toEqual([`revision:${revision}`]);

    const next = await createGate('second_gate');
    expect(changedGateNames(await current.waitFor(isUpdateAt(next)))).toEqual(['second_gate']);

    const behind = await connect({ ...serverKey(), 'last-event-id': String(revision) });
    await behind.waitFor(isConfigAt(next));
    expect(behind.names()).toEqual([`revision:${next}`, `config:${next}`]);
  });

  it('gives a client key (a browser) revision events only, never specs', async () => {
    const start = await createGate('first_gate');
    const browser = await connect({}, `?k=${CLIENT}`);
    expect(browser.status).toBe(200);
    await browser.waitFor((event) => event.event === 'revision' && event.id === String(start));
    const next = await createGate('second_gate');
    await browser.waitFor((event) => event.event === 'revision' && event.id === String(next));
    expect(browser.names()).toEqual([`revision:${start}`, `revision:${next}`]);
    expect(browser.events.map((event) => event.data).join('')).not.toContain('first_gate');
    expect(browser.headers['access-control-allow-origin']).toBe('*');
    expect(JSON.parse(browser.events.at(-1)?.data ?? '{}')).toMatchObject({ revision: next });
  });

  it('refuses a missing or unknown key with 401 and a console key with 403', async () => {
    const none = await connect();
    expect(none.status).toBe(401);
    await none.ended;
    expect(JSON.parse(none.body)).toMatchObject({ error: { code: 'unauthorized' } });
    const unknown = await connect(serverKey('secret-not-a-real-key'));
    expect(unknown.status).toBe(401);
    for (const key of [CONSOLE]) {
      const wrongKind = await connect({}, `?k=${key}`);
      expect(wrongKind.status).toBe(403);
      await wrongKind.ended;
      expect(JSON.parse(wrongKind.body)).toMatchObject({ error: { code: 'forbidden' } });
    }
    expect(hub.size).toBe(0);
  });

  it('forgets a stream when its client disconnects', async () => {
    const kept = await connect(serverKey());
    const gone = await connect(serverKey());
    await gone.waitFor((event) => event.event === 'config');
    expect(hub.size).toBe(2);
    gone.close();
    await vi.waitFor(() => expect(hub.size).toBe(1), { timeout: 10_000 });
    const next = await createGate('after_disconnect');
    await kept.waitFor(isUpdateAt(next));
  });

  it('ends every stream on close, so shutdown does not wait on them', async () => {
    const open = [await connect(serverKey()), await connect(serverKey(STAGING_SERVER))];
    for (const client of open) await client.waitFor((event) => event.event === 'config');
    await app.http.close();
    await Promise.all(open.map((client) => client.ended));
    expect(hub.size).toBe(0);
    hub.closeAll();
  });

  it('holds 1,000 concurrent streams and sends each of them the change', async () => {
    const start = await createGate('first_gate');
    const count = 1_000;
    const many: SseClient[] = [];
    // In batches: a burst of 1,000 SYNs can overflow the listen backlog on some hosts.
    for (let batch = 0; batch < count; batch += 100) {
      many.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(100, count - batch) }, () => connect(serverKey())),
        )),
      );
    }
    await Promise.all(many.map((client) => client.waitFor(isConfigAt(start))));
    expect(hub.size).toBe(count);

    const next = await createGate('second_gate');
    await Promise.all(many.map((client) => client.waitFor(isUpdateAt(next))));
    expect(many.every((client) => gatesKnown(client).join() === 'first_gate,second_gate')).toBe(true);

    hub.closeAll();
    await Promise.all(many.map((client) => client.ended));
    expect(hub.size).toBe(0);
  });
});
