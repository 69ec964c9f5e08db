/**
 * Salts and rule ids given by the caller (config as code: `switchyard export`, then `apply` into
 * another server): a recreated object compiles to the same spec and buckets every user alike;
 * malformed or contradictory ones are refused with the field named.
 */
import { type ConfigSpecs, createEvaluator, type Spec } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { type OpenDatabase, openDatabase } from '../src/store/database.js';

const CONSOLE = 'console-given-salts-1';
const SERVER = 'secret-given-salts-1';

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

async function api(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) {
  const response = await app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${CONSOLE}` },
    ...(body !== undefined && { payload: body as object }),
  });
  return { status: response.statusCode, body: response.json() };
}

async function specs(): Promise<ConfigSpecs> {
  const response = await app.http.inject({ method: 'GET', url: `/v1/download_config_specs/${SERVER}.json` });
  return response.json();
}

const find = (list: Spec[], name: string) => list.find((spec) => spec.name === name);
const users = Array.from({ length: 2000 }, (_, i) => ({ userID: `user-${i}` }));

describe('given salts', () => {
  it('a gate created with its salt, rule ids and rule salts compiles like the original', async () => {
    const original = await api('POST', '/gates', {
      name: 'original',
      rules: [
        { name: 'beta', passPercentage: 30, conditions: [{ type: 'public' }] },
        { name: 'rest', passPercentage: 10, conditions: [{ type: 'public' }] },
      ],
    });
    expect(original.status).toBe(201);
    const copy = await api('POST', '/gates', {
      name: 'copy',
      salt: original.body.salt,
      rules: original.body.rules.map((rule: Record<string, unknown>) => ({ ...rule })),
    });
    expect(copy.status).toBe(201);
    expect(copy.body.salt).toBe(original.body.salt);
    expect(copy.body.rules.map((r: { id: string; salt: string }) => [r.id, r.salt])).toEqual(
      original.body.rules.map((r: { id: string; salt: string }) => [r.id, r.salt]),
    );

    const dcs = await specs();
    const a = find(dcs.feature_gates, 'original');
    const b = find(dcs.feature_gates, 'copy');
    expect({ ...b, name: 'original' }).toEqual(a);
    const evaluator = createEvaluator(dcs);
    const passing = users.filter((user) => evaluator.checkGate(user, 'original').value);
    expect(passing.length).toBeGreaterThan(400);
    for (const user of users) {
      expect(evaluator.checkGate(user, 'copy').value).toBe(evaluator.checkGate(user, 'original').value);
    }
  });

  it('a rule id the object lacks is still refused without a salt; with one it names a new rule', async () => {
    await api('POST', '/gates', { name: 'g', rules: [{ name: 'all', conditions: [{ type: 'public' }] }] });
    const typo = await api('PATCH', '/gates/g', { rules: [{ id: 'nope', name: 'x' }] });
    expect(typo.status).toBe(400);
    expect(typo.body.error).toMatchObject({ code: 'unknown_rule', details: { field: 'rules.0.id' } });

    const given = await api('PATCH', '/gates/g', { rules: [{ id: 'r-1', salt: 's-1', name: 'x' }] });
    expect(given.status).toBe(200);
    expect(given.body.rules[0]).toMatchObject({ id: 'r-1', salt: 's-1', name: 'x' });

    // Leaving the salt out keeps it; a different one reshuffles, as resalt does.
    const kept = await api('PATCH', '/gates/g', { rules: [{ id: 'r-1', name: 'y', passPercentage: 50 }] });
    expect(kept.body.rules[0]).toMatchObject({ id: 'r-1', salt: 's-1', passPercentage: 50 });
    const resalted = await api('PATCH', '/gates/g', { rules: [{ id: 'r-1', salt: 's-2', name: 'y' }] });
    expect(resalted.body.rules[0]).toMatchObject({ id: 'r-1', salt: 's-2' });
  });

  it('refuses duplicate rule ids, empty salts and over-long ones, naming the field', async () => {
    const duplicate = await api('POST', '/gates', {
      name: 'dup',
      rules: [
        { id: 'same', salt: 'a', name: 'one' },
        { id: 'same', salt: 'b', name: 'two' },
      ],
    });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error).toMatchObject({ code: 'duplicate_rule', details: { field: 'rules.1.id' } });

    const empty = await api('POST', '/gates', { name: 'empty', salt: '' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details.field).toBe('body.salt');

    const long = await api('POST', '/segments', {
      name: 'long',
      rules: [{ name: 'r', salt: 'x'.repeat(101) }],
    });
    expect(long.status).toBe(400);
    expect(long.body.error.details.field).toBe('body.rules.0.salt');
  });

  it('segments, configs, layers, experiments and release plans keep the salts they are given', async () => {
    expect((await api('POST', '/segments', { name: 'seg', salt: 'seg-salt' })).body.salt).toBe('seg-salt');
    const config = await api('POST', '/configs', {
      name: 'cfg',
      salt: 'cfg-salt',
      rules: [{ id: 'cr', salt: 'cr-salt', name: 'r', value: { a: 1 } }],
    });
    expect(config.body).toMatchObject({ salt: 'cfg-salt', rules: [{ id: 'cr', salt: 'cr-salt' }] });
    const layer = await api('POST', '/layers', { name: 'lay', salt: 'layer-salt', defaultValue: { p: 0 } });
    expect(layer.body.salt).toBe('layer-salt');
    const experiment = await api('POST', '/experiments', {
      name: 'exp',
      salt: 'exp-salt',
      allocationSalt: 'alloc-salt',
      groups: [
        { id: 'g-control', name: 'Control', weight: 50 },
        { id: 'g-test', name: 'Test', weight: 50 },
      ],
    });
    expect(experiment.body).toMatchObject({
      salt: 'exp-salt',
      allocationSalt: 'alloc-salt',
      groups: [{ id: 'g-control' }, { id: 'g-test' }],
    });
    // Once created, a group id it lacks is a typo, as before.
    const typo = await api('PATCH', '/experiments/exp', {
      groups: [
        { id: 'g-control', name: 'Control', weight: 50 },
        { id: 'g-nope', name: 'Test', weight: 50 },
      ],
    });
    expect(typo.body.error).toMatchObject({ code: 'unknown_group', details: { field: 'groups.1.id' } });

    await api('POST', '/experiments/exp/start');
    const fixed = await api('PATCH', '/experiments/exp', { salt: 'other' });
    expect(fixed.status).toBe(409);
    expect(fixed.body.error).toMatchObject({ code: 'experiment_started', details: { field: 'salt' } });

    const gate = await api('POST', '/gates', {
      name: 'released',
      releasePlan: { salt: 'plan-salt', stages: [{ name: '5%', percentage: 5 }] },
    });
    expect(gate.body.releasePlan.salt).toBe('plan-salt');
    // A replaced plan keeps its salt unless one is given.
    const replaced = await api('PATCH', '/gates/released', {
      releasePlan: { stages: [{ name: '10%', percentage: 10 }] },
    });
    expect(replaced.body.releasePlan.salt).toBe('plan-salt');
  });

  it("a layer's salt cannot change while an experiment runs in it", async () => {
    await api('POST', '/layers', { name: 'lay', defaultValue: { p: 0 } });
    await api('POST', '/experiments', {
      name: 'exp',
      layer: 'lay',
      groups: [
        { name: 'Control', weight: 50, parameters: { p: 1 } },
        { name: 'Test', weight: 50, parameters: { p: 2 } },
      ],
    });
    expect((await api('PATCH', '/layers/lay', { salt: 'new-salt' })).status).toBe(200);
    await api('POST', '/experiments/exp/start');
    const refused = await api('PATCH', '/layers/lay', { salt: 'another' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'layer_in_use', details: { field: 'salt' } });
  });
});
