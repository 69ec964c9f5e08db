import { describe, expect, it } from 'vitest';
import { createEvaluator } from './evaluator.js';
import type { ConfigSpecs, Spec, SpecCondition } from './types.js';

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
