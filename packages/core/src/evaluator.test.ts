import { describe, expect, it } from 'vitest';
import { createEvaluator } from './evaluator.js';
import type { ConfigSpecs, Spec, SpecCondition, StatsigUser } from './types.js';

const gate = (name: string, conditions: SpecCondition[], extra: Partial<Spec> = {}): Spec => ({
  name,
  salt: `${name}_salt`,
  enabled: true,
  defaultValue: false,
  idType: 'userID',
  rules: [
    { id: `r_${name}`, salt: 'rs', passPercentage: 100, conditions, returnValue: true, idType: 'userID' },
  ],
  ...extra,
});
const passGate = (target: string): SpecCondition => ({ type: 'pass_gate', targetValue: target });
const dcs = (gates: Spec[], extra: Partial<ConfigSpecs> = {}): ConfigSpecs => ({
  feature_gates: gates,
  dynamic_configs: [],
  layer_configs: [],
  ...extra,
});

describe('nested gates', () => {
  it('follows a long acyclic chain like statsig-node (100 gates deep, 100 exposures)', () => {
    const chain = Array.from({ length: 101 }, (_, i) =>
      i === 100 ? gate('c100', [{ type: 'public' }]) : gate(`c${i}`, [passGate(`c${i + 1}`)]),
    );
    const result = createEvaluator(dcs(chain)).checkGate({ userID: 'u' }, 'c0');
    expect(result).toMatchObject({ value: true, ruleID: 'r_c0', reason: 'Evaluated' });
    expect(result.secondaryExposures).toHaveLength(100);
  });

  it('reports a reference cycle as Error instead of recursing forever', () => {
    const evaluator = createEvaluator(dcs([gate('a', [passGate('b')]), gate('b', [passGate('a')])]));
    const result = evaluator.checkGate({ userID: 'u' }, 'a');
    expect(result).toMatchObject({ value: false, ruleID: '', reason: 'Error' });
    expect(result.detail).toMatch(/depends on itself/);
  });

  it('evaluates a shared gate once per check, so doubly-referencing graphs stay linear', () => {
    // g_i references g_{i+1} twice; naive re-evaluation would take 2^40 steps.
    const gates = Array.from({ length: 41 }, (_, i) =>
      i === 40
        ? gate('g40', [{ type: 'public' }])
        : gate(`g${i}`, [passGate(`g${i + 1}`), passGate(`g${i + 1}`)]),
    );
    const result = createEvaluator(dcs(gates)).checkGate({ userID: 'u' }, 'g0');
    expect(result).toMatchObject({ value: true, ruleID: 'r_g0' });
    expect(result.secondaryExposures).toHaveLength(40);
  });
});

describe('spec quirks', () => {
  it('makes a condition with a non-string field Unsupported (statsig-node throws and answers false, "")', () => {
    const evaluator = createEvaluator(
      dcs([gate('g', [{ type: 'user_field', operator: 'none', targetValue: ['x'], field: 5 as never }])]),
    );
    expect(evaluator.checkGate({ userID: 'u' }, 'g')).toMatchObject({
      value: false,
      ruleID: '',
      reason: 'Unsupported',
    });
    expect(evaluator.diagnostics).toEqual([
      expect.stringContaining('"g" rule "r_g" is unsupported: condition field must be a string'),
    ]);
  });

  it('compares target_app with a non-string app_id as statsig-node does', () => {
    const evaluator = createEvaluator(
      dcs([gate('g', [{ type: 'target_app', operator: 'any', targetValue: ['123'] }])], {
        app_id: 123 as never,
      }),
    );
    expect(evaluator.checkGate({ userID: 'u' }, 'g').value).toBe(true);
  });

  it('hands out explicit parameters that callers cannot change for later users', () => {
    const config: Spec = {
      ...gate('exp', [{ type: 'public' }]),
      explicitParameters: ['a'],
      defaultValue: {},
    };
    const evaluator = createEvaluator({ ...dcs([]), dynamic_configs: [config] }, null);
    const first = evaluator.getConfig({ userID: 'u' }, 'exp').explicitParameters as string[];
    expect(() => first.push('b')).toThrow();
    expect(evaluator.getConfig({ userID: 'v' }, 'exp').explicitParameters).toEqual(['a']);
  });
});

describe('bindUser: one user, many specs', () => {
  const bucketGate = (name: string, extra: Partial<Spec> = {}): Spec => ({
    ...gate(name, [{ type: 'user_field', field: 'country', operator: 'any', targetValue: ['US', 'ca'] }]),
    rules: [
      {
        id: `r_${name}`,
        salt: 'rs',
        passPercentage: 50,
        conditions: [{ type: 'user_field', field: 'country', operator: 'any', targetValue: ['US', 'ca'] }],
        returnValue: true,
        idType: 'userID',
      },
    ],
    ...extra,
  });
  const layerSlot = (salt: string, slots: number[]): SpecCondition => ({
    type: 'user_bucket',
    operator: 'any',
    targetValue: slots,
    additionalValues: { salt },
    idType: 'userID',
  });
  const half = Array.from({ length: 500 }, (_, slot) => slot);
  const specs = dcs(
    [
      bucketGate('shared'),
      gate('a', [passGate('shared')]),
      gate('b', [passGate('shared'), passGate('a')]),
      gate('c', [{ type: 'fail_gate', targetValue: 'b' }]),
      gate('missing_dep', [passGate('nowhere')]),
      gate('cycle_x', [passGate('cycle_y')]),
      gate('cycle_y', [passGate('cycle_x')]),
      gate('uses_cycle', [passGate('cycle_x')]),
      gate('disabled', [{ type: 'public' }], { enabled: false }),
    ],
    {
      dynamic_configs: [
        {
          ...gate('exp', [layerSlot('layer_salt', half)]),
          defaultValue: { p: 'default' },
          explicitParameters: ['p'],
          rules: [
            {
              id: 'in_exp',
              salt: 'x',
              passPercentage: 100,
              conditions: [passGate('b'), layerSlot('exp_salt', half)],
              returnValue: { p: 'test' },
              idType: 'userID',
              isExperimentGroup: true,
            },
          ],
        },
      ],
      layer_configs: [
        {
          ...gate('layer', []),
          defaultValue: { p: 'default' },
          rules: [
            {
              id: 'to_exp',
              salt: 'l',
              passPercentage: 100,
              conditions: [layerSlot('layer_salt', half)],
              returnValue: {},
              idType: 'userID',
              configDelegate: 'exp',
            },
          ],
        },
      ],
    },
  );
  const users = Array.from({ length: 60 }, (_, n) => ({
    userID: `user-${n}`,
    country: ['US', 'CA', 'us', 'DE'][n % 4],
  }));

  it('answers every spec exactly as the per-call methods, in any order, cycles and unknown names included', () => {
    const evaluator = createEvaluator(specs);
    const gates = [...evaluator.gateNames, 'nowhere', 'constructor'];
    for (const user of users) {
      const forward = evaluator.bindUser(user);
      const backward = evaluator.bindUser(user);
      for (const name of gates) expect(forward.checkGate(name)).toEqual(evaluator.checkGate(user, name));
      for (const name of [...gates].reverse()) {
        expect(backward.checkGate(name)).toEqual(evaluator.checkGate(user, name));
      }
      expect(forward.getConfig('exp')).toEqual(evaluator.getConfig(user, 'exp'));
      expect(forward.getLayer('layer')).toEqual(evaluator.getLayer(user, 'layer'));
      expect(backward.getLayer('layer')).toEqual(evaluator.getLayer(user, 'layer'));
      expect(forward.getConfig('nowhere')).toEqual(evaluator.getConfig(user, 'nowhere'));
    }
  });

  it('evaluates a gate once per bound user: later checks and dependants get the same result', () => {
    const bound = createEvaluator(specs).bindUser({ userID: 'u', country: 'US' });
    const shared = bound.checkGate('shared');
    expect(bound.checkGate('shared')).toBe(shared);
    expect(bound.checkGate('a').secondaryExposures[0]).toMatchObject({ gate: 'shared', ruleID: 'r_shared' });
    const a = bound.checkGate('a');
    expect(bound.checkGate('a')).toBe(a);
  });

  it('keeps reporting a cycle as Error, and the rest of the user evaluates normally', () => {
    const evaluator = createEvaluator(specs);
    const bound = evaluator.bindUser({ userID: 'u' });
    for (let round = 0; round < 2; round++) {
      expect(bound.checkGate('uses_cycle')).toMatchObject({ reason: 'Error', ruleID: '' });
      expect(bound.checkGate('cycle_x')).toEqual(evaluator.checkGate({ userID: 'u' }, 'cycle_x'));
      expect(bound.checkGate('a')).toMatchObject({ reason: 'Evaluated' });
    }
  });

  it('reads a user field once per check, so a user changed between checks is read afresh', () => {
    const evaluator = createEvaluator(specs);
    const user: StatsigUser = { userID: 'user-1', country: 'US' };
    const before = evaluator.checkGate(user, 'shared').ruleID;
    user.country = 'DE';
    expect(evaluator.checkGate(user, 'shared').ruleID).toBe('default');
    expect(before).toBe('r_shared');
    // A new binding reads the changed user too.
    expect(evaluator.bindUser(user).checkGate('shared').ruleID).toBe('default');
  });
});
