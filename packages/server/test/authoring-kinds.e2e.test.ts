/**
 * Segments, dynamic configs, layers and experiments through the authoring API, in process on
 * in-memory SQLite: validation, lifecycle, slot allocation, history and revert, and what
 * @switchyard/core makes of the DCS the server then serves.
 */
import { type ConfigSpecs, createEvaluator, type Evaluator } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { type OpenDatabase, openDatabase } from '../src/store/database.js';

const CONSOLE = 'console-kinds-test-key';
const SERVER = 'secret-kinds-test-key';

let database: OpenDatabase;
let app: App;

beforeEach(async () => {
  database = await openDatabase(':memory:');
  app = await buildApp({ database });
  await app.keys.ensure('production', 'console', CONSOLE);
  await app.keys.ensure('production', 'server', SERVER);
});
afterEach(async () => {
  await app.http.close();
  await database.close();
});

async function api(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, expected?: number) {
  const response = await app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${CONSOLE}` },
    ...(body !== undefined && { payload: body as object }),
  });
  if (expected !== undefined) expect(response.statusCode, response.body).toBe(expected);
  return response;
}
const ok = async (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) =>
  (await api(method, url, body, method === 'POST' && !url.includes('/', 1) ? 201 : 200)).json();

async function evaluator(): Promise<Evaluator> {
  const response = await app.http.inject({ method: 'GET', url: `/v1/download_config_specs/${SERVER}.json` });
  expect(response.statusCode).toBe(200);
  // The ID lists' entries, as the server's own evaluation reads them (SDKs download the files).
  const { idLists } = await app.snapshots.current('production');
  const built = createEvaluator(response.json() as ConfigSpecs, idLists ? { idLists } : {});
  expect(built.diagnostics).toEqual([]);
  return built;
}

const users = (count: number, prefix = 'user') =>
  Array.from({ length: count }, (_, i) => ({
    userID: `${prefix}-${i}`,
    email: `${prefix}-${i}@example.com`,
  }));

describe('PATCH keeps what it leaves out', () => {
  it('a rules-only PATCH leaves a disabled gate disabled and its description as it was', async () => {
    await ok('POST', '/gates', { name: 'g', description: 'kept', tags: ['t'], enabled: false });
    const patched = await ok('PATCH', '/gates/g', {
      rules: [{ name: 'all', conditions: [{ type: 'public' }] }],
    });
    expect(patched).toMatchObject({ enabled: false, description: 'kept', tags: ['t'], version: 2 });
  });
});

describe('segments', () => {
  it('a rule-based segment is a gate named segment:<name> that other gates pass through', async () => {
    await ok('POST', '/segments', {
      name: 'staff',
      rules: [
        {
          name: 'email',
          conditions: [{ field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] }],
        },
      ],
    });
    await ok('POST', '/gates', {
      name: 'dogfood',
      rules: [{ name: 'staff', conditions: [{ type: 'pass_gate', value: 'segment:staff' }] }],
    });
    const evaluate = await evaluator();
    expect(evaluate.checkGate({ userID: 'a', email: 'a@company.com' }, 'dogfood').value).toBe(true);
    expect(evaluate.checkGate({ userID: 'b', email: 'b@example.com' }, 'dogfood').value).toBe(false);
    expect(evaluate.checkGate({ userID: 'a', email: 'a@company.com' }, 'segment:staff').value).toBe(true);
  });

  it('an ID-list segment holds the units in the list', async () => {
    const upload = await app.http.inject({
      method: 'PUT',
      url: '/api/v1/id_lists/staff_ids',
      headers: { authorization: `Bearer ${CONSOLE}`, 'content-type': 'text/plain' },
      payload: 'alice\nbob\n',
    });
    expect(upload.statusCode, upload.body).toBeLessThan(300);
    await ok('POST', '/segments', { name: 'staff', idList: 'staff_ids' });
    await ok('POST', '/gates', {
      name: 'dogfood',
      rules: [{ name: 'staff', conditions: [{ type: 'pass_gate', value: 'segment:staff' }] }],
    });
    const evaluate = await evaluator();
    expect(evaluate.checkGate({ userID: 'alice' }, 'dogfood').value).toBe(true);
    expect(evaluate.checkGate({ userID: 'carol' }, 'dogfood').value).toBe(false);
  });
});

describe('dynamic configs', () => {
  const config = {
    name: 'checkout_copy',
    defaultValue: { title: 'Checkout', retries: 1 },
    rules: [
      {
        name: 'staff',
        conditions: [{ field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] }],
        value: { title: 'Checkout (staff)', retries: 3 },
      },
      { name: 'half', passPercentage: 50, conditions: [{ type: 'public' }], value: { title: 'Pay now' } },
    ],
  };

  it('returns the first matching rule value, the default otherwise, and the default everywhere when disabled', async () => {
    const created = await ok('POST', '/configs', config);
    const evaluate = await evaluator();
    const staff = evaluate.getConfig({ userID: 's', email: 's@company.com' }, 'checkout_copy');
    expect(staff).toMatchObject({
      json: { title: 'Checkout (staff)', retries: 3 },
      ruleID: created.rules[0].id,
    });
    // As in Statsig, the first rule whose conditions match decides; its percentage then picks
    // between its value and the default.
    const results = users(2000).map((user) => evaluate.getConfig(user, 'checkout_copy'));
    expect(results.every((result) => result.ruleID === created.rules[1].id)).toBe(true);
    const inHalf = results.filter((result) => result.value);
    expect(inHalf.length / results.length).toBeGreaterThan(0.45);
    expect(inHalf.length / results.length).toBeLessThan(0.55);
    expect(inHalf.every((result) => result.json.title === 'Pay now')).toBe(true);
    expect(results.filter((r) => !r.value).every((r) => r.json.title === 'Checkout')).toBe(true);

    await ok('POST', '/configs/checkout_copy/disable', { reason: 'bad copy' });
    const disabled = (await evaluator()).getConfig({ userID: 's', email: 's@company.com' }, 'checkout_copy');
    expect(disabled).toMatchObject({ ruleID: 'disabled', json: { title: 'Checkout', retries: 1 } });
  });

  it('rejects a rule value that is not an object with the field path', async () => {
    const response = await api('POST', '/configs', { ...config, rules: [{ name: 'x', value: 'blue' }] }, 400);
    expect(response.json().error).toMatchObject({ code: 'invalid_request' });
    expect(JSON.stringify(response.json().error.details)).toContain('rules.0.value');
  });

  it('shares a namespace with experiments: one name, one object', async () => {
    await ok('POST', '/configs', config);
    const clash = await api('POST', '/experiments', { name: 'checkout_copy' }, 409);
    expect(clash.json().error.code).toBe('name_taken');
  });

  it('keeps history and reverts', async () => {
    await ok('POST', '/configs', config);
    await ok('PATCH', '/configs/checkout_copy', { defaultValue: { title: 'Changed' } });
    const history = await ok('GET', '/configs/checkout_copy/history');
    expect(history.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(history.versions[1].data.defaultValue).toEqual(config.defaultValue);
    const reverted = await ok('POST', '/configs/checkout_copy/revert', { version: 1 });
    expect(reverted).toMatchObject({ version: 3, defaultValue: config.defaultValue });
  });
});

describe('experiments', () => {
  const experiment = {
    name: 'price_test',
    groups: [
      { name: 'Control', weight: 50, parameters: { price: 10 } },
      { name: 'Test', weight: 50, parameters: { price: 12 } },
    ],
    allocationPercent: 20,
    defaultValue: { price: 10 },
  };

  it('gives everyone the default before it starts', async () => {
    await ok('POST', '/experiments', experiment);
    const evaluate = await evaluator();
    for (const user of users(200)) {
      expect(evaluate.getExperiment(user, 'price_test')).toMatchObject({
        ruleID: 'default',
        json: { price: 10 },
      });
    }
  });

  it('allocates the given share, splits it by weight, and keeps users in when the allocation rises', async () => {
    const created = await ok('POST', '/experiments', experiment);
    await ok('POST', '/experiments/price_test/start');
    const population = users(10_000);
    const before = await evaluator();
    const assigned = new Map<string, string | null>();
    for (const user of population) {
      const result = before.getExperiment(user, 'price_test');
      if (result.isExperimentGroup) assigned.set(user.userID, result.groupName);
      if (result.groupName === 'Test') expect(result.json).toEqual({ price: 12 });
    }
    expect(assigned.size / population.length).toBeGreaterThan(0.18);
    expect(assigned.size / population.length).toBeLessThan(0.22);
    const tests = [...assigned.values()].filter((group) => group === 'Test').length;
    expect(tests / assigned.size).toBeGreaterThan(0.45);
    expect(tests / assigned.size).toBeLessThan(0.55);
    expect(before.getExperiment(population[0] as never, 'price_test').ruleID).toMatch(
      new RegExp(`^(layerAssignment|${created.groups.map((g: { id: string }) => g.id).join('|')})$`),
    );

    await ok('PATCH', '/experiments/price_test', { allocationPercent: 60 });
    const after = await evaluator();
    let inNow = 0;
    for (const user of population) {
      const result = after.getExperiment(user, 'price_test');
      if (result.isExperimentGroup) inNow++;
      const previous = assigned.get(user.userID);
      if (previous !== undefined) expect(result.groupName).toBe(previous);
    }
    expect(inNow / population.length).toBeGreaterThan(0.57);
    expect(inNow / population.length).toBeLessThan(0.63);
  });

  it('admits only users passing the targeting gate, and overrides win over everything', async () => {
    await ok('POST', '/gates', {
      name: 'us_only',
      rules: [{ name: 'us', conditions: [{ field: 'country', operator: 'any', value: ['US'] }] }],
    });
    await ok('POST', '/experiments', {
      ...experiment,
      allocationPercent: 100,
      targetingGate: 'us_only',
      overrides: [{ group: 'Test', ids: ['qa-1'] }],
    });
    await ok('POST', '/experiments/price_test/start');
    const evaluate = await evaluator();
    expect(evaluate.getExperiment({ userID: 'x', country: 'DE' }, 'price_test')).toMatchObject({
      ruleID: 'targetingGate',
      json: { price: 10 },
    });
    expect(evaluate.getExperiment({ userID: 'x', country: 'US' }, 'price_test').isExperimentGroup).toBe(true);
    expect(evaluate.getExperiment({ userID: 'qa-1', country: 'DE' }, 'price_test')).toMatchObject({
      groupName: 'Test',
      json: { price: 12 },
    });
  });

  it('validates groups: weights add up to 100, names are unique, overrides name a group', async () => {
    const weights = await api(
      'POST',
      '/experiments',
      { ...experiment, groups: [{ name: 'A', weight: 40 }] },
      400,
    );
    expect(weights.json().error).toMatchObject({ code: 'invalid_weights', details: { field: 'groups' } });
    const names = await api(
      'POST',
      '/experiments',
      {
        ...experiment,
        groups: [
          { name: 'A', weight: 50 },
          { name: 'A', weight: 50 },
        ],
      },
      400,
    );
    expect(names.json().error).toMatchObject({
      code: 'duplicate_group',
      details: { field: 'groups.1.name' },
    });
    const override = await api(
      'POST',
      '/experiments',
      { ...experiment, overrides: [{ group: 'Nope', ids: ['x'] }] },
      400,
    );
    expect(override.json().error).toMatchObject({
      code: 'unknown_group',
      details: { field: 'overrides.0.group' },
    });
  });

  it('runs draft -> running -> shipped, fixing the split once started', async () => {
    const created = await ok('POST', '/experiments', experiment);
    expect(created.status).toBe('draft');
    expect((await api('POST', '/experiments/price_test/stop', {}, 409)).json().error.code).toBe(
      'invalid_status',
    );
    const started = await ok('POST', '/experiments/price_test/start');
    expect(started).toMatchObject({ status: 'running' });
    expect(started.startedAt).toEqual(expect.any(Number));
    const reweighted = await api(
      'PATCH',
      '/experiments/price_test',
      {
        groups: created.groups.map((g: { id: string; name: string }, i: number) => ({
          ...g,
          weight: i ? 70 : 30,
        })),
      },
      409,
    );
    expect(reweighted.json().error).toMatchObject({
      code: 'experiment_started',
      details: { field: 'groups' },
    });
    // Parameters may still change.
    await ok('PATCH', '/experiments/price_test', {
      groups: created.groups.map((g: { id: string; weight: number; name: string }) => ({
        ...g,
        parameters: { price: g.name === 'Test' ? 13 : 10 },
      })),
    });
    expect(
      (await api('POST', '/experiments/price_test/ship', { group: 'Nope' }, 400)).json().error.code,
    ).toBe('unknown_group');
    const shipped = await ok('POST', '/experiments/price_test/ship', { group: 'Test' });
    expect(shipped).toMatchObject({ status: 'shipped', shippedGroup: 'Test' });
    const evaluate = await evaluator();
    for (const user of users(100)) {
      expect(evaluate.getExperiment(user, 'price_test')).toMatchObject({
        ruleID: 'launchedGroup',
        groupName: 'Test',
        json: { price: 13 },
        isExperimentGroup: false,
      });
    }
    expect(
      (await api('PATCH', '/experiments/price_test', { allocationPercent: 5 }, 409)).json().error.code,
    ).toBe('invalid_status');
  });

  it('stopping gives everyone the default again', async () => {
    await ok('POST', '/experiments', experiment);
    await ok('POST', '/experiments/price_test/start');
    await ok('POST', '/experiments/price_test/stop');
    const evaluate = await evaluator();
    expect(users(100).every((user) => evaluate.getExperiment(user, 'price_test').ruleID === 'default')).toBe(
      true,
    );
  });
});

describe('layers', () => {
  const layer = { name: 'checkout_layer', defaultValue: { button: 'grey', price: 10 } };
  const inLayer = (
    name: string,
    allocationPercent: number,
    parameter: 'button' | 'price',
    values: unknown[],
  ) => ({
    name,
    layer: 'checkout_layer',
    allocationPercent,
    groups: values.map((value, i) => ({
      name: `g${i}`,
      weight: 100 / values.length,
      parameters: { [parameter]: value },
    })),
  });

  it('keeps its experiments mutually exclusive and delegates their users to them', async () => {
    await ok('POST', '/layers', layer);
    await ok('POST', '/experiments', inLayer('button_test', 40, 'button', ['blue', 'green']));
    await ok('POST', '/experiments', inLayer('price_test', 50, 'price', [12, 14]));
    await ok('POST', '/experiments/button_test/start');
    await ok('POST', '/experiments/price_test/start');
    const stored = await ok('GET', '/layers/checkout_layer');
    expect(stored.allocations.button_test).toHaveLength(400);
    expect(stored.allocations.price_test).toHaveLength(500);
    expect(new Set([...stored.allocations.button_test, ...stored.allocations.price_test]).size).toBe(900);

    const evaluate = await evaluator();
    const counts = { button_test: 0, price_test: 0, none: 0 };
    for (const user of users(5000)) {
      const button = evaluate.getExperiment(user, 'button_test');
      const price = evaluate.getExperiment(user, 'price_test');
      expect(button.isExperimentGroup && price.isExperimentGroup).toBe(false);
      const layerResult = evaluate.getLayer(user, 'checkout_layer');
      if (button.isExperimentGroup) {
        counts.button_test++;
        expect(layerResult.allocatedExperimentName).toBe('button_test');
        expect(layerResult.json).toEqual({ ...layer.defaultValue, ...button.json, price: 10 });
      } else if (price.isExperimentGroup) {
        counts.price_test++;
        expect(layerResult.allocatedExperimentName).toBe('price_test');
        expect(layerResult.json.price).toBe(price.json.price);
      } else {
        counts.none++;
        expect(layerResult.json).toEqual(layer.defaultValue);
      }
    }
    expect(counts.button_test / 5000).toBeGreaterThan(0.37);
    expect(counts.button_test / 5000).toBeLessThan(0.43);
    expect(counts.price_test / 5000).toBeGreaterThan(0.47);
    expect(counts.price_test / 5000).toBeLessThan(0.53);
  });

  it('refuses an experiment that overfills the layer, names a missing parameter or a missing layer', async () => {
    await ok('POST', '/layers', layer);
    await ok('POST', '/experiments', inLayer('a', 70, 'button', ['blue']));
    await ok('POST', '/experiments/a/start');
    await ok('POST', '/experiments', inLayer('b', 40, 'price', [1]));
    const full = await api('POST', '/experiments/b/start', undefined, 409);
    expect(full.json().error).toMatchObject({ code: 'layer_full', details: { field: 'allocationPercent' } });
    expect((await ok('GET', '/experiments/b')).status).toBe('draft');

    const unknown = await api(
      'POST',
      '/experiments',
      {
        ...inLayer('c', 10, 'price', [1]),
        groups: [{ name: 'x', weight: 100, parameters: { colour: 'red' } }],
      },
      400,
    );
    expect(unknown.json().error).toMatchObject({
      code: 'unknown_layer_parameter',
      details: { field: 'groups.0.parameters.colour' },
    });
    const missing = await api(
      'POST',
      '/experiments',
      { ...inLayer('d', 10, 'price', [1]), layer: 'nope' },
      400,
    );
    expect(missing.json().error).toMatchObject({ code: 'unknown_layer', details: { field: 'layer' } });
    expect((await api('GET', '/experiments/d', undefined, 404)).statusCode).toBe(404);
  });

  it('shipping gives the slots back and makes the shipped values the layer defaults', async () => {
    await ok('POST', '/layers', layer);
    await ok('POST', '/experiments', inLayer('price_test', 50, 'price', [12, 14]));
    await ok('POST', '/experiments/price_test/start');
    await ok('POST', '/experiments/price_test/ship', { group: 'g1' });
    const stored = await ok('GET', '/layers/checkout_layer');
    expect(stored.allocations).toEqual({});
    expect(stored.defaultValue).toEqual({ button: 'grey', price: 14 });
    const evaluate = await evaluator();
    expect(users(100).every((user) => evaluate.getLayer(user, 'checkout_layer').json.price === 14)).toBe(
      true,
    );
    const audit = (await ok('GET', '/audit?name=checkout_layer')).entries;
    expect(audit[0].action).toBe('ship:experiment:price_test');
  });

  it('keeps an experiment in a layer splitting by the layer unit type', async () => {
    await ok('POST', '/layers', { ...layer, idType: 'stableID' });
    const response = await api('POST', '/experiments', inLayer('x', 10, 'price', [1]), 400);
    expect(response.json().error).toMatchObject({ code: 'layer_id_type', details: { field: 'idType' } });
  });
});

describe('environments', () => {
  it('creates one (audited), with its own keys and its own compiled rules', async () => {
    const created = await api('POST', '/environments', { name: 'qa', reason: 'QA stack' }, 201);
    expect(created.json()).toMatchObject({ name: 'qa', createdAt: expect.any(Number) });
    expect((await api('POST', '/environments', { name: 'qa' }, 409)).json().error.code).toBe(
      'already_exists',
    );
    const invalid = await api('POST', '/environments', { name: 'Bad Name' }, 400);
    expect(invalid.json().error.details.field).toBe('body.name');
    const names = (await ok('GET', '/environments')).environments.map((e: { name: string }) => e.name);
    expect(names).toEqual(['development', 'production', 'qa', 'staging']);
    const audit = (await ok('GET', '/audit?name=qa')).entries;
    expect(audit[0]).toMatchObject({ kind: 'environment', action: 'create', reason: 'QA stack' });

    const { secret } = (await api('POST', '/keys', { environment: 'qa', kind: 'server' }, 201)).json();
    await ok('POST', '/gates', {
      name: 'qa_only',
      rules: [{ name: 'qa', environments: ['qa'], conditions: [{ type: 'public' }] }],
    });
    const qa = await app.http.inject({ method: 'GET', url: `/v1/download_config_specs/${secret}.json` });
    expect(createEvaluator(qa.json() as ConfigSpecs).checkGate({ userID: 'u' }, 'qa_only').value).toBe(true);
    expect((await evaluator()).checkGate({ userID: 'u' }, 'qa_only').value).toBe(false);
  });
});

describe('references between objects', () => {
  it('refuses a condition or targeting gate naming a gate or segment that does not exist', async () => {
    const gate = await api(
      'POST',
      '/gates',
      { name: 'g', rules: [{ name: 'r', conditions: [{ type: 'pass_gate', value: 'segment:missing' }] }] },
      400,
    );
    expect(gate.json().error).toMatchObject({
      code: 'unknown_gate',
      details: { field: 'rules.0.conditions.0.value' },
    });
    const experiment = await api('POST', '/experiments', { name: 'e', targetingGate: 'nope' }, 400);
    expect(experiment.json().error).toMatchObject({
      code: 'unknown_gate',
      details: { field: 'targetingGate' },
    });
    await ok('POST', '/segments', { name: 'present' });
    await ok('POST', '/gates', {
      name: 'g',
      rules: [{ name: 'r', conditions: [{ type: 'multi_pass_gate', value: ['segment:present', 'g'] }] }],
    });
  });

  it('refuses to drop a layer parameter that an experiment in it sets', async () => {
    await ok('POST', '/layers', { name: 'l', defaultValue: { a: 1, b: 2 } });
    await ok('POST', '/experiments', {
      name: 'e',
      layer: 'l',
      groups: [{ name: 'only', weight: 100, parameters: { a: 5 } }],
    });
    const dropped = await api('PATCH', '/layers/l', { defaultValue: { b: 2 } }, 409);
    expect(dropped.json().error).toMatchObject({
      code: 'layer_parameter_in_use',
      details: { field: 'defaultValue.a' },
    });
    expect((await ok('PATCH', '/layers/l', { defaultValue: { a: 3 } })).defaultValue).toEqual({ a: 3 });
  });
});

describe('metrics', () => {
  const timeouts = {
    name: 'request_timeout_rate',
    type: 'ratio',
    numerator: { event: 'request_timeout' },
    denominator: { event: 'request' },
    direction: 'decrease',
    guardrail: true,
  };

  it('keeps a versioned, audited catalogue that SDKs never see', async () => {
    const created = await ok('POST', '/metrics', timeouts);
    expect(created).toMatchObject({ ...timeouts, winsorizePercentile: null, unitType: 'userID', version: 1 });
    await ok('POST', '/metrics', {
      name: 'checkout_conversion',
      type: 'conversion',
      numerator: {
        event: 'purchase',
        filters: [{ field: 'metadata.currency', operator: 'in', values: ['EUR', 'USD'] }],
      },
    });
    const patched = await ok('PATCH', '/metrics/request_timeout_rate', { guardrail: false });
    expect(patched).toMatchObject({
      winsorizePercentile: null,
      guardrail: false,
      direction: 'decrease',
      version: 2,
    });
    // Ratios are not capped: a percentile is refused, not silently ignored.
    const capped = await api('PATCH', '/metrics/request_timeout_rate', { winsorizePercentile: 99 }, 400);
    expect(capped.json().error).toMatchObject({
      code: 'invalid_metric',
      details: { field: 'winsorizePercentile' },
    });
    const revenue = await ok('POST', '/metrics', {
      name: 'revenue',
      type: 'sum',
      numerator: { event: 'purchase' },
    });
    expect(revenue.winsorizePercentile).toBe(99.9);
    expect((await ok('GET', '/metrics')).metrics.map((m: { name: string }) => m.name)).toEqual([
      'checkout_conversion',
      'request_timeout_rate',
      'revenue',
    ]);
    expect((await ok('GET', '/audit?name=request_timeout_rate')).entries[0]).toMatchObject({
      kind: 'metric',
      action: 'update',
    });
    const dcs = await app.http.inject({ method: 'GET', url: `/v1/download_config_specs/${SERVER}.json` });
    expect(dcs.body).not.toContain('request_timeout');
  });

  it('refuses a ratio without a denominator and a filter with the wrong number of values', async () => {
    const ratio = await api('POST', '/metrics', { ...timeouts, denominator: null }, 400);
    expect(ratio.json().error).toMatchObject({ code: 'invalid_metric', details: { field: 'denominator' } });
    const filter = await api(
      'POST',
      '/metrics',
      {
        name: 'm',
        type: 'sum',
        numerator: { event: 'e', filters: [{ field: 'metadata.x', operator: 'eq', values: [] }] },
      },
      400,
    );
    expect(filter.json().error.details.field).toBe('body.numerator.filters.0.values');
    const field = await api(
      'POST',
      '/metrics',
      { name: 'm', type: 'sum', numerator: { event: 'e', valueField: 'user.x' } },
      400,
    );
    expect(field.json().error.details.field).toBe('body.numerator.valueField');
  });
});
