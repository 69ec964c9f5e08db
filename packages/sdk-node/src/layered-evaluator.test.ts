import { loadVectorFiles } from '@switchyard/conformance';
import {
  type ConfigSpecs,
  createEvaluator,
  idListEntryHash,
  type Spec,
  type StatsigUser,
} from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { IncrementalCompiler, type SpecChange, SpecGraph } from './layered-evaluator.js';

type Namespace = 'feature_gates' | 'dynamic_configs' | 'layer_configs';
const NAMESPACES: Namespace[] = ['feature_gates', 'dynamic_configs', 'layer_configs'];

/** A small deterministic PRNG (mulberry32), so a failure replays. */
function prng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const key = (namespace: Namespace, name: string) => `${namespace}\u0000${name}`;

describe('SpecGraph.plan', () => {
  const gate = (name: string, references: string[] = []): Spec => ({
    name,
    salt: name,
    enabled: true,
    rules: [
      {
        id: 'r',
        passPercentage: 100,
        conditions: references.map((target) => ({ type: 'PASS_GATE', targetValue: target })),
      },
    ],
  });
  const specs: ConfigSpecs = {
    feature_gates: [
      gate('holdout'),
      gate('a', ['holdout']),
      gate('b', ['a']),
      gate('c'),
      ...Array.from({ length: 20 }, (_, i) => gate(`x${i}`)),
    ],
    dynamic_configs: [{ ...gate('exp', ['b']), name: 'exp' }],
    layer_configs: [
      {
        name: 'layer',
        salt: 'l',
        enabled: true,
        rules: [{ id: 'd', passPercentage: 100, configDelegate: 'exp' }],
      },
    ],
  };

  it('answers for the changed spec and everything that reads it, and compiles what those read', () => {
    const plan = SpecGraph.of(specs).plan(new Set([key('feature_gates', 'a')]));
    expect([...(plan?.answers ?? [])].sort()).toEqual(
      [
        key('feature_gates', 'a'),
        key('feature_gates', 'b'),
        key('dynamic_configs', 'exp'),
        key('layer_configs', 'layer'),
      ].sort(),
    );
    expect(plan?.compile.has(key('feature_gates', 'holdout'))).toBe(true);
    expect(plan?.compile.has(key('feature_gates', 'c'))).toBe(false);
  });

  it('gives up (full compile) when most specs would be in the patch', () => {
    const everything = new Set(specs.feature_gates.map((spec) => key('feature_gates', spec.name)));
    expect(SpecGraph.of(specs).plan(everything)).toBeNull();
  });

  it('follows changed references: a spec that stops reading a gate no longer depends on it', () => {
    const graph = SpecGraph.of(specs);
    graph.put('feature_gates', gate('b', ['c']));
    const fromA = graph.plan(new Set([key('feature_gates', 'a')]));
    expect([...(fromA?.answers ?? [])]).toEqual([key('feature_gates', 'a')]);
    const fromC = graph.plan(new Set([key('feature_gates', 'c')]));
    expect(fromC?.answers.has(key('layer_configs', 'layer'))).toBe(true);
    graph.remove('dynamic_configs', 'exp');
    const withoutExp = graph.plan(new Set([key('feature_gates', 'c')]));
    expect(withoutExp?.answers.has(key('layer_configs', 'layer'))).toBe(false);
    expect(withoutExp?.compile.has(key('dynamic_configs', 'exp'))).toBe(false);
  });
});

describe('IncrementalCompiler', () => {
  const gate = (name: string, enabled: boolean, reads?: string): Spec => ({
    name,
    salt: name,
    enabled,
    rules: [
      {
        id: 'r',
        passPercentage: 100,
        conditions: reads ? [{ type: 'pass_gate', targetValue: reads }] : [{ type: 'public' }],
      },
    ],
  });
  const others = Array.from({ length: 20 }, (_, i) => gate(`x${i}`, true));

  it('serves each change of the same gate, and follows new readers of it', () => {
    const user = { userID: 'u' };
    const compiler = new IncrementalCompiler({});
    let specs: ConfigSpecs = {
      feature_gates: [gate('kill', true), gate('reader', true), ...others],
      dynamic_configs: [],
      layer_configs: [],
    };
    compiler.full(specs);
    for (const enabled of [false, true, false, true]) {
      const kill = gate('kill', enabled);
      specs = { ...specs, feature_gates: [kill, ...specs.feature_gates.slice(1)] };
      const evaluator = compiler.update(specs, [{ namespace: 'feature_gates', name: 'kill', spec: kill }]);
      expect(evaluator.checkGate(user, 'kill').value).toBe(enabled);
      expect(evaluator.checkGate(user, 'reader').value).toBe(true);
    }
    // `reader` now reads `kill`: the next change of `kill` must reach it.
    const reader = gate('reader', true, 'kill');
    specs = { ...specs, feature_gates: [specs.feature_gates[0] as Spec, reader, ...others] };
    compiler.update(specs, [{ namespace: 'feature_gates', name: 'reader', spec: reader }]);
    for (const enabled of [false, true, false]) {
      const kill = gate('kill', enabled);
      specs = { ...specs, feature_gates: [kill, ...specs.feature_gates.slice(1)] };
      const evaluator = compiler.update(specs, [{ namespace: 'feature_gates', name: 'kill', spec: kill }]);
      expect(evaluator.checkGate(user, 'reader').value).toBe(enabled);
    }
    expect(compiler.patches).toBe(8);
  });
});

describe('IncrementalCompiler agrees with a full compile', () => {
  const files = loadVectorFiles().filter((file) => file.specs && (file.cases?.length ?? 0) > 0);

  for (const file of files) {
    it(`${file.name}: 25 random changes`, () => {
      const random = prng(file.name.length * 7919);
      const users = [
        ...new Map((file.cases ?? []).map((c) => [JSON.stringify(c.user), c.user as StatsigUser])).values(),
      ].slice(0, 12);
      const idLists = new Map(
        Object.entries(
          Object.assign({}, ...(file.cases ?? []).map((c) => c.options?.idLists ?? {})) as Record<
            string,
            string[]
          >,
        ).map(([name, ids]) => [name, new Set(ids.map(idListEntryHash))]),
      );
      const options = { idLists, clock: () => 1_700_000_000_000 };
      let specs = structuredClone(file.specs) as unknown as ConfigSpecs;
      const removed: { namespace: Namespace; spec: Spec }[] = [];
      const compiler = new IncrementalCompiler(options);
      compiler.full(specs);
      for (let step = 0; step < 25; step++) {
        const namespace = NAMESPACES[Math.floor(random() * 3)] as Namespace;
        const list = [...(specs[namespace] ?? [])];
        const next: ConfigSpecs = { ...specs, [namespace]: list };
        const changes: SpecChange[] = [];
        const pick = Math.floor(random() * list.length);
        const target = list[pick];
        const action = random();
        const gateNames = (specs.feature_gates ?? []).map((spec) => spec.name);
        if (target && action < 0.3) {
          list[pick] = { ...target, enabled: !target.enabled };
        } else if (target && action < 0.5 && Array.isArray(target.rules) && target.rules.length > 0) {
          const rules = target.rules.map((rule) => ({ ...rule }));
          const rule = rules[Math.floor(random() * rules.length)];
          if (rule && typeof rule === 'object') rule.passPercentage = Math.floor(random() * 101);
          list[pick] = { ...target, rules };
        } else if (target && action < 0.65 && gateNames.length > 0) {
          // Rewire: the spec now reads another gate (or none), so the dependency graph changes.
          const read = gateNames[Math.floor(random() * gateNames.length)] as string;
          const conditions =
            random() < 0.7 ? [{ type: 'pass_gate', targetValue: read }] : [{ type: 'public' }];
          list[pick] = { ...target, rules: [{ id: `rewired-${step}`, passPercentage: 50, conditions }] };
        } else if (target && action < 0.85) {
          list.splice(pick, 1);
          removed.push({ namespace, spec: target });
          changes.push({ namespace, name: target.name, spec: undefined });
        } else {
          const back = removed.findIndex((entry) => entry.namespace === namespace);
          if (back === -1) continue;
          const [entry] = removed.splice(back, 1);
          if (!entry) continue;
          list.push(entry.spec);
          changes.push({ namespace, name: entry.spec.name, spec: entry.spec });
        }
        if (target && changes.length === 0) {
          changes.push({ namespace, name: target.name, spec: list[pick] });
        }
        specs = next;
        const incremental = compiler.update(specs, changes);
        const full = createEvaluator(specs, options);
        const names = (ns: Namespace) => [
          ...new Set([
            ...((file.specs?.[ns] as Spec[] | undefined) ?? []).map((spec) => spec.name),
            'missing',
          ]),
        ];
        for (const user of users) {
          for (const name of names('feature_gates')) {
            expect([name, incremental.checkGate(user, name)]).toEqual([name, full.checkGate(user, name)]);
          }
          for (const name of names('dynamic_configs')) {
            expect([name, incremental.getConfig(user, name)]).toEqual([name, full.getConfig(user, name)]);
          }
          for (const name of names('layer_configs')) {
            expect([name, incremental.getLayer(user, name)]).toEqual([name, full.getLayer(user, name)]);
          }
        }
      }
      expect(compiler.patches).toBeGreaterThan(0);
    });
  }
});
