import type { Spec } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { parseConfigSpecs, parseDelta, SpecStore } from './spec-store.js';

const gate = (name: string, enabled = true): Spec => ({
  name,
  salt: `${name}-salt`,
  enabled,
  defaultValue: false,
  rules: [{ id: 'all', passPercentage: 100, conditions: [{ type: 'public' }], returnValue: true }],
});

const dcs = { time: 10, feature_gates: [gate('a'), gate('b')], dynamic_configs: [], layer_configs: [] };

describe('parseConfigSpecs', () => {
  it('accepts a DCS as text or object and refuses wrong shapes whole', () => {
    expect(parseConfigSpecs(JSON.stringify(dcs)).feature_gates).toHaveLength(2);
    expect(() => parseConfigSpecs('{')).toThrow(/not JSON/);
    expect(() => parseConfigSpecs([])).toThrow(/not a JSON object/);
    expect(() => parseConfigSpecs({ ...dcs, layer_configs: null })).toThrow(/layer_configs is not an array/);
    expect(() => parseConfigSpecs({ ...dcs, feature_gates: [{ rules: [] }] })).toThrow(/feature_gates\[0\]/);
    expect(() => parseConfigSpecs({ ...dcs, time: 'now' })).toThrow(/time/);
  });
});

describe('SpecStore', () => {
  it('applies a delta: changed specs replaced or added, removed ones dropped, other fields kept', () => {
    const store = new SpecStore({});
    store.replace(parseConfigSpecs({ ...dcs, app_id: 'app' }), 'network', 4);
    const change = store.applyDelta(
      parseDelta({
        revision: 5,
        baseRevision: 4,
        time: 20,
        changed: { feature_gates: [gate('a', false), gate('c')], dynamic_configs: [], layer_configs: [] },
        removed: { feature_gates: ['b'] },
        layers: {},
        id_lists: { vips: true },
      }),
    );
    expect(store.revision).toBe(5);
    expect(store.time).toBe(20);
    expect(store.specs?.app_id).toBe('app');
    expect(store.specs?.id_lists).toEqual({ vips: true });
    expect(store.specs?.feature_gates.map((spec) => [spec.name, spec.enabled])).toEqual([
      ['a', false],
      ['c', true],
    ]);
    expect(store.evaluator.checkGate({ userID: 'u' }, 'a').ruleID).toBe('disabled');
    expect(store.evaluator.checkGate({ userID: 'u' }, 'b').reason).toBe('Unrecognized');
    expect(change.changed).toEqual({ gates: ['a', 'c', 'b'], configs: [], layers: [] });
    expect(store.names.gates).toEqual(new Set(['a', 'c']));
  });

  it('diffs a full configuration against the one held', () => {
    const store = new SpecStore({});
    store.replace(parseConfigSpecs(dcs), 'network', 1);
    const change = store.replace(
      parseConfigSpecs({ ...dcs, time: 11, feature_gates: [gate('a'), gate('b', false), gate('d')] }),
      'network',
      2,
    );
    expect(change.changed.gates).toEqual(['b', 'd']);
  });

  it('refuses malformed deltas', () => {
    expect(() => parseDelta({ revision: 1, time: 1 })).toThrow(/baseRevision/);
    expect(() =>
      parseDelta({ revision: 2, baseRevision: 1, time: 1, removed: { feature_gates: [1] } }),
    ).toThrow(/removed/);
  });
});
