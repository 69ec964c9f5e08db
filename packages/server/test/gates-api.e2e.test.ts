/**
 * The authoring API and SDK endpoints in-process (Fastify inject) on an in-memory SQLite database.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { type ConfigSpecs, createEvaluator } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { type OpenDatabase, openDatabase } from '../src/store/database.js';

const CONSOLE = 'console-test-key-123';
const SERVER = 'secret-test-key-123';
const CLIENT = 'client-test-key-123';
const STAGING_SERVER = 'secret-staging-key-123';

let database: OpenDatabase;
let app: App;

beforeEach(async () => {
  database = await openDatabase(':memory:');
  app = await buildApp({ database });
  await app.keys.ensure('production', 'console', CONSOLE);
  await app.keys.ensure('production', 'server', SERVER);
  await app.keys.ensure('production', 'client', CLIENT);
  await app.keys.ensure('staging', 'server', STAGING_SERVER);
});
afterEach(async () => {
  await app.http.close();
  await database.close();
});

function api(
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${CONSOLE}`, ...headers },
    ...(body !== undefined && { payload: body as object }),
  });
}

const canaryGate = {
  name: 'new_checkout',
  description: 'The new checkout flow',
  tags: ['checkout'],
  rules: [
    {
      name: 'employees',
      conditions: [{ field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] }],
    },
    { name: 'canary', passPercentage: 5, conditions: [{ type: 'public' }] },
  ],
};

async function specsFor(key: string): Promise<ConfigSpecs> {
  const response = await app.http.inject({ method: 'GET', url: `/v1/download_config_specs/${key}.json` });
  expect(response.statusCode).toBe(200);
  return response.json() as ConfigSpecs;
}

describe('authoring API: access', () => {
  it('requires a console key: none is 401, server and client keys are 403', async () => {
    const none = await app.http.inject({ method: 'GET', url: '/api/v1/gates' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: { code: 'unauthorized' } });
    for (const key of [SERVER, CLIENT]) {
      const response = await api('POST', '/gates', canaryGate, { authorization: `Bearer ${key}` });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ error: { code: 'forbidden' } });
    }
    expect((await api('GET', '/gates')).statusCode).toBe(200);
  });

  it('keeps client and console keys off the server-SDK endpoints', async () => {
    for (const key of [CLIENT, CONSOLE]) {
      const response = await app.http.inject({ method: 'GET', url: `/v1/download_config_specs/${key}.json` });
      expect(response.statusCode).toBe(403);
    }
    const unknown = await app.http.inject({
      method: 'GET',
      url: '/v1/download_config_specs/secret-nope-nope.json',
    });
    expect(unknown.statusCode).toBe(401);
  });
});

describe('authoring API: gates', () => {
  it('creates a gate that compiles into the DCS every SDK reads', async () => {
    const created = await api('POST', '/gates', canaryGate);
    expect(created.statusCode).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    const gate = created.json();
    expect(gate).toMatchObject({ name: 'new_checkout', version: 1, enabled: true, tags: ['checkout'] });
    expect(gate.rules.map((rule: { salt: string }) => rule.salt)).toHaveLength(2);

    const specs = await specsFor(SERVER);
    const evaluator = createEvaluator(specs);
    expect(evaluator.checkGate({ userID: 'ana', email: 'ana@company.com' }, 'new_checkout')).toMatchObject({
      value: true,
      ruleID: gate.rules[0].id,
    });
    const outsiders = Array.from({ length: 2000 }, (_, i) =>
      evaluator.checkGate({ userID: `u${i}`, email: 'x@y.z' }, 'new_checkout'),
    );
    const passed = outsiders.filter((result) => result.value).length;
    expect(passed).toBeGreaterThan(60);
    expect(passed).toBeLessThan(140);
    expect(outsiders.every((result) => result.ruleID === gate.rules[1].id)).toBe(true);
  });

  it('answers bad input with 400, a stable code and the offending field', async () => {
    const cases: [unknown, string][] = [
      [{ ...canaryGate, name: 'Bad Name' }, 'body.name'],
      [
        { name: 'g', rules: [{ name: 'r', conditions: [{ field: 'email', operator: 'any', value: 'x' }] }] },
        'body.rules.0.conditions.0.value',
      ],
      [
        {
          name: 'g',
          rules: [{ name: 'r', conditions: [{ field: 'email', operator: 'like', value: ['x'] }] }],
        },
        'body.rules.0.conditions.0.operator',
      ],
      [{ name: 'g', rules: [{ name: 'r', passPercentage: 101 }] }, 'body.rules.0.passPercentage'],
      [
        { name: 'g', rules: [{ name: 'r', conditions: [{ type: 'pass_gate' }] }] },
        'body.rules.0.conditions.0.value',
      ],
    ];
    for (const [body, field] of cases) {
      const response = await api('POST', '/gates', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      const error = response.json().error;
      expect(error.code).toBe('invalid_request');
      expect(error.details.issues.map((issue: { field: string }) => issue.field)).toContain(field);
    }
    const notJson = await app.http.inject({
      method: 'POST',
      url: '/api/v1/gates',
      headers: { authorization: `Bearer ${CONSOLE}`, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(notJson.statusCode).toBe(400);
    expect((await api('GET', '/gates/does_not_exist')).statusCode).toBe(404);
    expect((await api('POST', '/gates', canaryGate)).statusCode).toBe(201);
    expect((await api('POST', '/gates', canaryGate)).json()).toMatchObject({
      error: { code: 'already_exists' },
    });
  });

  it('raising a rollout keeps the rule salt, so everyone already in stays in', async () => {
    const gate = (await api('POST', '/gates', canaryGate)).json();
    const [employees, canary] = gate.rules;
    const before = createEvaluator(await specsFor(SERVER));
    const patched = await api(
      'PATCH',
      '/gates/new_checkout',
      {
        rules: [
          { ...employees },
          { id: canary.id, name: 'canary', passPercentage: 25, conditions: [{ type: 'public' }] },
        ],
      },
      { 'if-match': '"1"' },
    );
    expect(patched.statusCode).toBe(200);
    expect(patched.json().rules[1]).toMatchObject({ id: canary.id, salt: canary.salt, passPercentage: 25 });
    const after = createEvaluator(await specsFor(SERVER));
    const users = Array.from({ length: 3000 }, (_, i) => ({ userID: `user-${i}` }));
    const inBefore = users.filter((user) => before.checkGate(user, 'new_checkout').value);
    expect(inBefore.length).toBeGreaterThan(90);
    expect(inBefore.every((user) => after.checkGate(user, 'new_checkout').value)).toBe(true);
    expect(users.filter((user) => after.checkGate(user, 'new_checkout').value).length).toBeGreaterThan(600);

    const unknownRule = await api('PATCH', '/gates/new_checkout', { rules: [{ id: 'nope', name: 'x' }] });
    expect(unknownRule.statusCode).toBe(400);
    expect(unknownRule.json().error.code).toBe('unknown_rule');
  });

  it('rejects a stale write with 409 and the current version', async () => {
    await api('POST', '/gates', canaryGate);
    expect(
      (await api('PATCH', '/gates/new_checkout', { description: 'v2' }, { 'if-match': '"1"' })).statusCode,
    ).toBe(200);
    const stale = await api('PATCH', '/gates/new_checkout', { description: 'v3' }, { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toMatchObject({ code: 'version_conflict', details: { currentVersion: 2 } });
    const staleBody = await api('PATCH', '/gates/new_checkout', { description: 'v3', version: 1 });
    expect(staleBody.statusCode).toBe(409);
    expect((await api('GET', '/gates/new_checkout')).json().description).toBe('v2');
  });

  it('kill switch turns the gate off for everyone, audited with who and the diff; revert restores any version', async () => {
    await api('POST', '/gates', canaryGate);
    const killed = await api('POST', '/gates/new_checkout/disable', { reason: 'timeouts up' });
    expect(killed.statusCode).toBe(200);
    const evaluator = createEvaluator(await specsFor(SERVER));
    expect(evaluator.checkGate({ userID: 'ana', email: 'ana@company.com' }, 'new_checkout')).toMatchObject({
      value: false,
      ruleID: 'disabled',
    });

    const audit = (await api('GET', '/audit?name=new_checkout')).json().entries;
    expect(audit[0]).toMatchObject({ action: 'disable', reason: 'timeouts up', version: 2 });
    expect(audit[0].actor).toMatch(/^key:/);
    expect(audit[0].diff.before.enabled).toBe(true);
    expect(audit[0].diff.after.enabled).toBe(false);
    expect(JSON.stringify(audit)).not.toContain(CONSOLE);

    const reverted = await api('POST', '/gates/new_checkout/revert', { version: 1 });
    expect(reverted.json()).toMatchObject({ version: 3, enabled: true });
    const history = (await api('GET', '/gates/new_checkout/history')).json().versions;
    expect(history.map((entry: { version: number }) => entry.version)).toEqual([3, 2, 1]);
    expect((await api('GET', '/audit?name=new_checkout')).json().entries[0].action).toBe('revert:1');
  });

  it('applies a rule only in the environments it names', async () => {
    await api('POST', '/gates', {
      name: 'staging_only',
      rules: [{ name: 'everyone in staging', environments: ['staging'], conditions: [{ type: 'public' }] }],
    });
    const production = createEvaluator(await specsFor(SERVER));
    const staging = createEvaluator(await specsFor(STAGING_SERVER));
    expect(production.checkGate({ userID: 'u' }, 'staging_only')).toMatchObject({
      value: false,
      ruleID: 'default',
    });
    expect(staging.checkGate({ userID: 'u' }, 'staging_only').value).toBe(true);
  });

  it('publishes an OpenAPI document generated from the validating schemas', async () => {
    const doc = (await app.http.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/gates', '/api/v1/gates/{name}', '/api/v1/audit']),
    );
    const createBody = doc.paths['/api/v1/gates'].post.requestBody.content['application/json'].schema;
    expect(createBody.required).toContain('name');
    const page = await app.http.inject({ method: 'GET', url: '/api/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('swagger');
  });
});

describe('authoring API: keys', () => {
  it('creates a key whose secret is shown once, lists keys without secrets, and revokes', async () => {
    const created = await api('POST', '/keys', { environment: 'staging', kind: 'server' });
    expect(created.statusCode).toBe(201);
    const { id, secret } = created.json();
    expect(secret).toMatch(/^secret-/);
    expect(
      (await app.http.inject({ method: 'GET', url: `/v1/download_config_specs/${secret}.json` })).statusCode,
    ).toBe(200);
    const listed = await api('GET', '/keys');
    expect(listed.json().keys.map((key: { id: string }) => key.id)).toContain(id);
    expect(listed.body).not.toContain(secret);
    expect((await api('POST', `/keys/${id}/revoke`)).statusCode).toBe(204);
    expect((await api('POST', `/keys/${id}/revoke`)).statusCode).toBe(404);
    expect(
      (await app.http.inject({ method: 'GET', url: `/v1/download_config_specs/${secret}.json` })).statusCode,
    ).toBe(401);
    const unknownEnvironment = await api('POST', '/keys', { environment: 'moon', kind: 'client' });
    expect(unknownEnvironment.json().error).toMatchObject({
      code: 'unknown_environment',
      details: { field: 'body.environment' },
    });
  });
});

describe('SDK endpoints', () => {
  it('serves the DCS gzip-compressed to clients that accept it, identical once inflated', async () => {
    await api('POST', '/gates', canaryGate);
    const plain = await app.http.inject({ method: 'GET', url: `/v1/download_config_specs/${SERVER}.json` });
    const gzipped = await app.http.inject({
      method: 'GET',
      url: `/v1/download_config_specs/${SERVER}.json`,
      headers: { 'accept-encoding': 'gzip, deflate' },
    });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gunzipSync(gzipped.rawPayload).toString()).toBe(plain.body);
    expect(gzipped.rawPayload.length).toBeLessThan(plain.rawPayload.length);
  });

  it('answers sinceTime at the current time with has_updates false', async () => {
    await api('POST', '/gates', canaryGate);
    const specs = await specsFor(SERVER);
    const again = await app.http.inject({
      method: 'GET',
      url: `/v1/download_config_specs/${SERVER}.json?sinceTime=${specs.time}`,
    });
    expect(again.json()).toMatchObject({ has_updates: false });
    const revision = Number(again.headers['x-switchyard-revision']);
    expect(revision).toBe((await app.entities.revision()).revision);
    await api('POST', '/gates/new_checkout/disable');
    const changed = await app.http.inject({
      method: 'GET',
      url: `/v1/download_config_specs/${SERVER}.json?sinceTime=${specs.time}`,
    });
    expect(changed.json()).toMatchObject({ has_updates: true });
    expect(Number(changed.headers['x-switchyard-revision'])).toBe(revision + 1);
    expect((changed.json() as ConfigSpecs).time).toBeGreaterThan(specs.time as number);
  });

  it('stores log_event batches sent gzip-compressed or plain, without private attributes', async () => {
    const batch = {
      events: [
        {
          eventName: 'statsig::gate_exposure',
          time: 5,
          user: { userID: 'u1', privateAttributes: { email: 'secret@x.y' } },
          metadata: { gate: 'new_checkout', gateValue: 'true', ruleID: 'r' },
        },
      ],
      statsigMetadata: { sdkType: 'statsig-node' },
    };
    const gzipped = await app.http.inject({
      method: 'POST',
      url: '/v1/log_event',
      headers: { 'statsig-api-key': SERVER, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: gzipSync(JSON.stringify(batch)),
    });
    expect(gzipped.statusCode).toBe(202);
    const plain = await app.http.inject({
      method: 'POST',
      url: '/v1/log_event',
      headers: { 'statsig-api-key': CLIENT, 'content-type': 'application/json' },
      payload: { events: [{ eventName: 'purchase', time: 6, user: { userID: 'u2' }, value: 3 }] },
    });
    expect(plain.statusCode).toBe(202);
    const stored = await app.events.list();
    expect(stored.map((event) => [event.eventName, event.userID, event.entity])).toEqual([
      ['statsig::gate_exposure', 'u1', 'new_checkout'],
      ['purchase', 'u2', null],
    ]);
    expect(JSON.stringify(stored)).not.toContain('secret@x.y');

    const partlyBad = await app.http.inject({
      method: 'POST',
      url: '/v1/log_event',
      headers: { 'statsig-api-key': SERVER, 'content-type': 'application/json' },
      payload: {
        events: [
          { time: 1 },
          {
            eventName: 'statsig::gate_exposure',
            time: 7,
            user: { userID: 'u3' },
            metadata: { gate: 'upsell', ruleID: 'r2' },
            secondaryExposures: [{ gate: 'new_checkout', gateValue: 'true', ruleID: 'r' }],
          },
        ],
      },
    });
    expect(partlyBad.statusCode).toBe(202);
    expect(partlyBad.json()).toMatchObject({
      stored: 1,
      rejected: [{ index: 0, field: 'body.events.0.eventName' }],
    });
    expect((await app.events.list()).at(-1)?.secondaryExposures).toEqual([
      { gate: 'new_checkout', gateValue: 'true', ruleID: 'r' },
    ]);
    const noEvents = await app.http.inject({
      method: 'POST',
      url: '/v1/log_event',
      headers: { 'statsig-api-key': SERVER, 'content-type': 'application/json' },
      payload: { events: 'nope' },
    });
    expect(noEvents.statusCode).toBe(400);
    expect(noEvents.json().error.details.field).toBe('body.events');
    const corrupt = await app.http.inject({
      method: 'POST',
      url: '/v1/log_event',
      headers: { 'statsig-api-key': SERVER, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: Buffer.from('not gzip at all'),
    });
    expect(corrupt.statusCode).toBe(400);
    const consoleKey = await app.http.inject({
      method: 'POST',
      url: '/v1/log_event',
      headers: { 'statsig-api-key': CONSOLE, 'content-type': 'application/json' },
      payload: batch,
    });
    expect(consoleKey.statusCode).toBe(403);
  });
});
