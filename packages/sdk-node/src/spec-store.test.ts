import type { Spec } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { parseConfigSpecs, parseDelta, parseSharedDelta, SpecStore } from './spec-store.js';

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

  it('keeps applying deltas in place across removals, additions and changes', () => {
    const store = new SpecStore({});
    store.replace(
      parseConfigSpecs({ ...dcs, feature_gates: [gate('a'), gate('b'), gate('c')] }),
      'network',
      1,
    );
    const step = (revision: number, changed: Spec[], removed: string[] = []) =>
      store.applyDelta(
        parseDelta({
          revision,
          baseRevision: revision - 1,
          time: revision,
          changed: { feature_gates: changed },
          removed: { feature_gates: removed },
        }),
      );
    const held = () => store.specs?.feature_gates.map((spec) => `${spec.name}:${spec.enabled}`);
    step(2, [gate('b', false)]);
    expect(held()).toEqual(['a:true', 'b:false', 'c:true']);
    step(3, [gate('d')], ['a']);
    expect(held()).toEqual(['b:false', 'c:true', 'd:true']);
    step(4, [gate('c', false), gate('a')]);
    expect(held()).toEqual(['b:false', 'c:false', 'd:true', 'a:true']);
    step(5, [gate('d', false)]);
    expect(held()).toEqual(['b:false', 'c:false', 'd:false', 'a:true']);
    const user = { userID: 'u' };
    expect(['a', 'b', 'c', 'd'].map((name) => store.evaluator.checkGate(user, name).value)).toEqual([
      true,
      false,
      false,
      false,
    ]);
    // A full configuration starts the positions over.
    store.replace(parseConfigSpecs({ ...dcs, feature_gates: [gate('z'), gate('b')] }), 'network', 6);
    step(7, [gate('b', false)]);
    expect(held()).toEqual(['z:true', 'b:false']);
  });

  it('parses identical delta text once, frozen, and gives each store its own change', () => {
    const text = JSON.stringify({
      revision: 5,
      baseRevision: 4,
      time: 20,
      changed: { feature_gates: [gate('a', false)] },
      removed: { feature_gates: ['b'] },
    });
    const delta = parseSharedDelta(text);
    // Another instance's copy of the same frame (a different string object, same text).
    expect(parseSharedDelta(Buffer.from(text).toString('utf8'))).toBe(delta);
    expect(Object.isFrozen(delta.changed.feature_gates?.[0]?.rules?.[0])).toBe(true);
    const stores = [new SpecStore({}), new SpecStore({})];
    const changes = stores.map((store) => {
      store.replace(parseConfigSpecs(dcs), 'network', 4);
      return store.applyDelta(delta);
    });
    expect(changes[0]?.changed).toEqual({ gates: ['a', 'b'], configs: [], layers: [] });
    expect(changes[0]?.changed.gates).not.toBe(changes[1]?.changed.gates);
    for (const store of stores)
      expect(store.evaluator.checkGate({ userID: 'u' }, 'a').ruleID).toBe('disabled');
    expect(() => parseSharedDelta('{"revision":1}')).toThrow(/baseRevision/);
  });

  it('refuses malformed deltas', () => {
    expect(() => parseDelta({ revision: 1, time: 1 })).toThrow(/baseRevision/);
    expect(() =>
      parseDelta({ revision: 2, baseRevision: 1, time: 1, removed: { feature_gates: [1] } }),
    ).toThrow(/removed/);
  });
});
