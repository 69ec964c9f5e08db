/**
 * "Evaluate as user": every object's result for one user, with the rule that decided it, from
 * the same compiled specs SDKs receive.
 */
import { createEvaluator } from '@switchyard/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { openDatabase } from '../src/store/database.js';

const CONSOLE = 'console-evaluate-test';
let app: App;

// biome-ignore lint/suspicious/noExplicitAny: tests read the answers loosely
async function call(method: string, url: string, payload?: object): Promise<{ status: number; body: any }> {
  const response = await app.http.inject({
    method: method as 'POST',
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${CONSOLE}` },
    ...(payload && { payload }),
  });
  return { status: response.statusCode, body: response.json() };
}

beforeAll(async () => {
  app = await buildApp({
    database: await openDatabase(':memory:'),
    pulseIntervalMs: 0,
    guardrailIntervalMs: 0,
  });
  await app.keys.ensure('production', 'console', CONSOLE);
  await app.keys.ensure('production', 'server', 'secret-evaluate-test');
  await call('POST', '/segments', {
    name: 'employees',
    rules: [
      {
        name: 'staff',
        conditions: [{ field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] }],
      },
    ],
  });
  await call('POST', '/gates', {
    name: 'new_checkout',
    rules: [
      { name: 'employees', conditions: [{ type: 'pass_gate', value: 'segment:employees' }] },
      { name: 'canary', passPercentage: 5, conditions: [{ type: 'public' }] },
    ],
  });
  await call('POST', '/gates', {
    name: 'killed',
    rules: [{ name: 'all', conditions: [{ type: 'public' }] }],
  });
  await call('POST', '/gates/killed/disable');
  await call('POST', '/configs', {
    name: 'checkout_copy',
    defaultValue: { title: 'Checkout' },
    rules: [
      {
        name: 'staff',
        conditions: [{ type: 'pass_gate', value: 'segment:employees' }],
        value: { title: 'Staff' },
      },
    ],
  });
  await call('POST', '/experiments', {
    name: 'price_test',
    allocationPercent: 100,
    defaultValue: { price: 10 },
    groups: [
      { name: 'Control', weight: 50, parameters: { price: 10 } },
      { name: 'Test', weight: 50, parameters: { price: 12 } },
    ],
  });
  await call('POST', '/experiments/price_test/start', {});
});
afterAll(async () => {
  await app.http.close();
});

it('explains every result for a user with the deciding rule, as the SDKs compute it', async () => {
  const employee = { userID: 'e-1', email: 'ada@company.com' };
  const { status, body } = await call('POST', '/evaluate', { user: employee });
  expect(status).toBe(200);
  const gate = body.gates.find((g: { name: string }) => g.name === 'new_checkout');
  expect(gate).toMatchObject({ value: true, ruleName: 'employees' });
  expect(body.gates.find((g: { name: string }) => g.name === 'killed')).toMatchObject({
    value: false,
    ruleID: 'disabled',
    ruleName: 'disabled (kill switch)',
  });
  expect(body.segments).toEqual([expect.objectContaining({ name: 'segment:employees', value: true })]);
  expect(body.configs[0]).toMatchObject({
    name: 'checkout_copy',
    json: { title: 'Staff' },
    ruleName: 'staff',
  });
  expect(body.experiments[0].name).toBe('price_test');
  expect(['Control', 'Test']).toContain(body.experiments[0].groupName);

  // Same answers as core on the snapshot SDKs get, for many users.
  const evaluator = createEvaluator((await app.snapshots.current('production')).specs);
  for (let i = 0; i < 300; i++) {
    const user = { userID: `user-${i}` };
    const explained = (await call('POST', '/evaluate', { user })).body;
    const checkout = explained.gates.find((g: { name: string }) => g.name === 'new_checkout');
    const expected = evaluator.checkGate(user, 'new_checkout');
    expect(checkout.value).toBe(expected.value);
    expect(checkout.ruleName).toBe(
      expected.value ? 'canary' : expected.ruleID === 'default' ? 'default (no rule matched)' : 'canary',
    );
    expect(explained.experiments[0].json).toEqual(evaluator.getExperiment(user, 'price_test').json);
  }
});

it('refuses a bad user or environment with the field', async () => {
  const unknownField = await call('POST', '/evaluate', { user: { userId: 'typo' } });
  expect(unknownField.status).toBe(400);
  expect(unknownField.body.error.details.field).toMatch(/^body\.user/);
  const environment = await call('POST', '/evaluate', { environment: 'moon', user: { userID: 'u' } });
  expect(environment.body.error).toMatchObject({
    code: 'unknown_environment',
    details: { field: 'body.environment' },
  });
});

it('suggests the user attributes seen in exposures, never private ones', async () => {
  const events = Array.from({ length: 64 }, (_, i) => ({
    eventName: 'statsig::gate_exposure',
    time: Date.now(),
    user: {
      userID: `u-${i}`,
      email: `u${i}@example.org`,
      country: i % 2 ? 'DE' : 'US',
      custom: { plan: i % 3 ? 'pro' : 'free', signupYear: 2020 + (i % 4) },
      customIDs: { companyID: `c-${i % 5}` },
      privateAttributes: { ssn: 'never-shown' },
    },
    metadata: { gate: 'new_checkout', gateValue: 'false', ruleID: 'default' },
  }));
  const logged = await app.http.inject({
    method: 'POST',
    url: '/v1/log_event',
    headers: { 'statsig-api-key': 'secret-evaluate-test', 'content-type': 'application/json' },
    payload: JSON.stringify({ events, statsigMetadata: { sdkType: 'test' } }),
  });
  expect(logged.statusCode).toBe(202);
  const { body } = await call('GET', '/user-attributes');
  const byField = Object.fromEntries(
    body.attributes.map((attribute: { field: string; source: string }) => [
      `${attribute.source}:${attribute.field}`,
      attribute,
    ]),
  );
  // One exposure in 16 is sampled: 4 of the 64.
  expect(byField['user:email'].seen).toBe(4);
  expect(byField['custom:plan'].examples.sort()).toEqual(['free', 'pro']);
  expect(byField['custom:signupYear']).toBeDefined();
  expect(byField['customIDs:companyID']).toBeDefined();
  expect(JSON.stringify(body)).not.toContain('ssn');
  expect(JSON.stringify(body)).not.toContain('never-shown');
  expect((await call('GET', '/user-attributes?environment=moon')).body.error.code).toBe(
    'unknown_environment',
  );
});
