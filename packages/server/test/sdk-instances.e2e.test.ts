/**
 * SDK instances report the revision they hold; the authoring API says how far a change spread.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import type { OpenDatabase } from '../src/store/database.js';
import { TEST_DATABASES } from './support/databases.js';

const CONSOLE = 'console-instances-test';
const SERVER = 'secret-instances-test';
const CLIENT = 'client-instances-test';

describe.each(TEST_DATABASES)('SDK instances on $name', (testDatabase) => {
  if (testDatabase.skip) {
    it.skip(`skipped: ${testDatabase.skip}`, () => {});
    return;
  }
  let database: OpenDatabase;
  let app: App;
  let now = 1_700_000_000_000;

  beforeEach(async () => {
    database = await testDatabase.open();
    app = await buildApp({ database, clock: () => now });
    await app.keys.ensure('production', 'console', CONSOLE);
    await app.keys.ensure('production', 'server', SERVER);
    await app.keys.ensure('production', 'client', CLIENT);
  });
  afterEach(async () => {
    await app.http.close();
    await database.close();
  });

  const report = (key: string, body: object) =>
    app.http.inject({
      method: 'POST',
      url: '/v1/sdk_status',
      headers: { authorization: `Bearer ${key}` },
      payload: body,
    });
  const spread = async (query = '') =>
    (
      await app.http.inject({
        method: 'GET',
        url: `/api/v1/sdk-instances${query}`,
        headers: { authorization: `Bearer ${CONSOLE}` },
      })
    ).json();

  it('counts the instances at the current revision, by revision and by SDK, within the window', async () => {
    const gate = await app.http.inject({
      method: 'POST',
      url: '/api/v1/gates',
      headers: { authorization: `Bearer ${CONSOLE}` },
      payload: { name: 'g' },
    });
    expect(gate.statusCode).toBe(201);
    const { revision } = await app.snapshots.current('production');
    for (const [instanceId, held] of [
      ['instance-aaaa', revision],
      ['instance-bbbb', revision],
      ['instance-cccc', revision - 1],
    ] as const) {
      const response = await report(SERVER, {
        instanceId,
        revision: held,
        sdkType: 'switchyard-node',
        sdkVersion: '0.1.0',
      });
      expect(response.statusCode).toBe(202);
    }
    // A second report from one instance replaces its first.
    await report(SERVER, {
      instanceId: 'instance-cccc',
      revision,
      sdkType: 'switchyard-node',
      sdkVersion: '0.1.0',
    });
    const fromBrowser = await report(CLIENT, {
      instanceId: 'browser-dddd',
      revision: revision - 1,
      sdkType: 'switchyard-js',
      sdkVersion: '0.1.0',
    });
    expect(fromBrowser.statusCode, fromBrowser.body).toBe(202);
    expect(await spread()).toMatchObject({
      environment: 'production',
      revision,
      instances: 4,
      atCurrentRevision: 3,
      byRevision: [
        { revision, instances: 3 },
        { revision: revision - 1, instances: 1 },
      ],
    });
    expect((await spread()).bySdk).toEqual(
      expect.arrayContaining([
        { sdkType: 'switchyard-node', sdkVersion: '0.1.0', instances: 3 },
        { sdkType: 'switchyard-js', sdkVersion: '0.1.0', instances: 1 },
      ]),
    );
    now += 11 * 60 * 1000;
    expect(await spread()).toMatchObject({ instances: 0 });
    expect(await spread('?withinSeconds=3600')).toMatchObject({ instances: 4 });
  });

  it('takes reports from browsers: the key in ?k=, any origin', async () => {
    const preflight = await app.http.inject({
      method: 'OPTIONS',
      url: '/v1/sdk_status',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    const report = await app.http.inject({
      method: 'POST',
      url: `/v1/sdk_status?k=${CLIENT}`,
      headers: { origin: 'https://shop.example' },
      payload: { instanceId: 'browser-eeee', revision: 0, sdkType: 'switchyard-js' },
    });
    expect(report.statusCode).toBe(202);
    expect(report.headers['access-control-allow-origin']).toBe('*');
    expect(await spread()).toMatchObject({ instances: 1 });
  });

  it('measures how fast each change reached the instances that held the revision before it', async () => {
    const console = (method: 'GET' | 'POST', url: string, payload?: object) =>
      app.http.inject({
        method,
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${CONSOLE}` },
        ...(payload && { payload }),
      });
    expect((await console('POST', '/gates', { name: 'kill_me' })).statusCode).toBe(201);
    const before = (await app.snapshots.current('production')).revision;
    const node = { sdkType: 'switchyard-node', sdkVersion: '0.1.0' };
    const holders = [
      'instance-a1',
      'instance-a2',
      'instance-a3',
      'instance-a4',
      'instance-b1',
      'instance-b2',
    ];
    for (const instanceId of holders) {
      await report(SERVER, { instanceId, revision: before, ...node });
    }
    now += 60_000;
    const changedAt = now;
    expect((await console('POST', '/gates/kill_me/disable')).statusCode).toBe(200);
    const revision = (await app.snapshots.current('production')).revision;
    // Reports arrive spread out; each says how long the instance had already served the revision.
    now = changedAt + 900;
    await report(SERVER, { instanceId: 'instance-a1', revision, heldForMs: 880, ...node }); // applied at +20
    await report(SERVER, { instanceId: 'instance-a2', revision, heldForMs: 870, ...node }); // +30
    now = changedAt + 1500;
    await report(SERVER, { instanceId: 'instance-a3', revision, heldForMs: 1000, ...node }); // +500
    // Started after the change: its first report says when it started, not how fast the change travelled.
    await report(SERVER, { instanceId: 'instance-late', revision, heldForMs: 0, ...node });
    const changes = (await console('GET', '/changes?kind=gate&name=kill_me')).json();
    expect(changes.changes[0]).toMatchObject({
      action: 'disable',
      revision,
      at: changedAt,
      // Half of six is the third arrival.
      convergence: { instances: 6, reached: 3, p50Ms: 500, p99Ms: null, p100Ms: null },
    });
    // An SDK's own apply time is believed when it agrees with the time held (it leaves out the
    // report's transit and queueing); a clock that disagrees falls back to arrival minus held.
    now = changedAt + 2000;
    await report(SERVER, {
      instanceId: 'instance-b1',
      revision,
      heldForMs: 1000,
      appliedAt: changedAt + 700,
      ...node,
    });
    await report(SERVER, {
      instanceId: 'instance-b2',
      revision,
      heldForMs: 1000,
      appliedAt: changedAt + 1200,
      ...node,
    });
    const trusted = (await console('GET', '/changes?kind=gate&name=kill_me')).json().changes[0].convergence;
    // b1 at +700 (its clock); b2 claims +1200, later than arrival minus held (+1000): +1000.
    expect(trusted).toMatchObject({ instances: 6, reached: 5, p50Ms: 500, p99Ms: null });
    const acks = await app.entities.transaction(async (tx) =>
      tx
        .selectFrom('sdk_acks')
        .select(['instance_id', 'applied_at'])
        .where('revision', '=', revision)
        .execute(),
    );
    const appliedAt = Object.fromEntries(
      acks.map((ack) => [ack.instance_id, Number(ack.applied_at) - changedAt]),
    );
    expect(appliedAt).toMatchObject({ 'instance-b1': 700, 'instance-b2': 1000 });
    // The fourth instance catches up (on a later revision, which includes this change).
    now = changedAt + 4000;
    await report(SERVER, { instanceId: 'instance-a4', revision: revision + 5, heldForMs: 1000, ...node });
    const after = (await console('GET', '/changes?kind=gate&name=kill_me')).json();
    expect(after.changes[0].convergence).toEqual({
      instances: 6,
      reached: 6,
      p50Ms: 500,
      p99Ms: 3000,
      p100Ms: 3000,
    });
    // The gate's creation came before any instance reported: nobody held an older revision then.
    expect(after.changes[1]).toMatchObject({ action: 'create', convergence: { instances: 0, p50Ms: null } });
  });

  it('refuses bad reports with the field, and console keys', async () => {
    const bad = await report(SERVER, { instanceId: 'x', revision: -1 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.field).toMatch(/^body\.(instanceId|revision)$/);
    expect((await report(CONSOLE, { instanceId: 'instance-aaaa', revision: 1 })).statusCode).toBe(403);
    expect((await report('secret-unknown', { instanceId: 'instance-aaaa', revision: 1 })).statusCode).toBe(
      401,
    );
    expect((await spread('?environment=moon')).error.code).toBe('unknown_environment');
  });
});
