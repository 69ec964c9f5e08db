import {
  type ConfigSpecs,
  createEvaluator,
  type Evaluator,
  type EvaluatorOptions,
  type Spec,
  type StatsigUser,
} from '@switchyard/core';

/** What the SDK needs of an evaluator (a full compilation, or a base with a patch). */
export type SpecEvaluator = Pick<
  Evaluator,
  'checkGate' | 'getConfig' | 'getExperiment' | 'getLayer' | 'time' | 'diagnostics'
>;

/**
 * Incremental compilation for stream deltas. Compiling a whole configuration costs about
 * 5-10 us per rule (SHA-256 prefixes, operator sets), so a kill switch in a 300-gate project
 * would recompile everything in every SDK process for a one-spec change. Instead the SDK keeps
 * the last full compilation (the base) and, per delta, compiles only a patch: the specs changed
 * since the base, every spec whose result can depend on them (through gate conditions or layer
 * delegation), and whatever those need to evaluate. Names in the patch set are evaluated by the
 * patch, every other name by the base, whose specs, and everything they reach, are unchanged.
 */

type Namespace = 'feature_gates' | 'dynamic_configs' | 'layer_configs';
const NAMESPACES: readonly Namespace[] = ['feature_gates', 'dynamic_configs', 'layer_configs'];

/** Condition types whose target names gates (matched case-insensitively, like the evaluator; over-inclusion is harmless). */
const GATE_CONDITIONS = new Set(['pass_gate', 'fail_gate', 'multi_pass_gate', 'multi_fail_gate']);

/** `<namespace>\u0000<name>`: one key space for the three namespaces. */
const key = (namespace: Namespace, name: string) => `${namespace}\u0000${name}`;

/** Per spec object: a delta keeps unchanged specs' objects, so each is scanned once. */
const referenceCache = new WeakMap<Spec, readonly string[]>();

/** The specs a spec's evaluation reads: gates named by its conditions, configs its layer rules delegate to. */
function referencesOf(spec: Spec, namespace: Namespace): readonly string[] {
  const cached = referenceCache.get(spec);
  if (cached) return cached;
  const references: string[] = [];
  const rules = Array.isArray(spec.rules) ? spec.rules : [];
  for (const rule of rules) {
    if (typeof rule !== 'object' || rule === null) continue;
    if (namespace === 'layer_configs' && typeof rule.configDelegate === 'string') {
      references.push(key('dynamic_configs', rule.configDelegate));
    }
    const conditions = Array.isArray(rule.conditions) ? rule.conditions : [];
    for (const condition of conditions) {
      if (typeof condition?.type !== 'string' || !GATE_CONDITIONS.has(condition.type.toLowerCase())) continue;
      const target = condition.targetValue;
      for (const name of Array.isArray(target) ? target : [target]) {
        if (name !== null && name !== undefined) references.push(key('feature_gates', String(name)));
      }
    }
  }
  referenceCache.set(spec, references);
  return references;
}

/** Spec keys to compile into a patch, and the keys the patch answers for; null when a full compile is cheaper. */
export function planPatch(
  specs: ConfigSpecs,
  dirty: ReadonlySet<string>,
  maxShare = 0.5,
): { compile: Set<string>; answers: Set<string> } | null {
  const byKey = new Map<string, { spec: Spec; namespace: Namespace }>();
  const dependents = new Map<string, string[]>();
  for (const namespace of NAMESPACES) {
    for (const spec of specs[namespace] ?? []) {
      const own = key(namespace, spec.name);
      byKey.set(own, { spec, namespace });
      for (const reference of referencesOf(spec, namespace)) {
        let list = dependents.get(reference);
        if (!list) {
          list = [];
          dependents.set(reference, list);
        }
        list.push(own);
      }
    }
  }
  // Everything whose result may differ: the changed specs and, transitively, their dependents.
  const answers = new Set(dirty);
  const pending = [...dirty];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const dependent of dependents.get(next) ?? []) {
      if (!answers.has(dependent)) {
        answers.add(dependent);
        pending.push(dependent);
      }
    }
  }
  // Plus whatever those read, so the patch can evaluate them on its own.
  const compile = new Set<string>();
  const reach = [...answers];
  for (let next = reach.pop(); next !== undefined; next = reach.pop()) {
    const entry = byKey.get(next);
    if (!entry || compile.has(next)) continue;
    compile.add(next);
    for (const reference of referencesOf(entry.spec, entry.namespace)) reach.push(reference);
  }
  if (compile.size > Math.max(8, byKey.size * maxShare)) return null;
  return { compile, answers };
}

/** The base for names the patch does not answer for, the patch for the others. */
function layered(base: SpecEvaluator, patch: SpecEvaluator, answers: ReadonlySet<string>): SpecEvaluator {
  const route = (namespace: Namespace, name: string) =>
    typeof name === 'string' && answers.has(key(namespace, name)) ? patch : base;
  return {
    checkGate: (user: StatsigUser, name: string) => route('feature_gates', name).checkGate(user, name),
    getConfig: (user: StatsigUser, name: string) => route('dynamic_configs', name).getConfig(user, name),
    getExperiment: (user: StatsigUser, name: string) =>
      route('dynamic_configs', name).getExperiment(user, name),
    getLayer: (user: StatsigUser, name: string) => route('layer_configs', name).getLayer(user, name),
    time: patch.time,
    // The base's problems may name specs since changed; the patch's are the news.
    diagnostics: patch.diagnostics,
  };
}

/**
 * Compiles configurations, incrementally across deltas.
 *
 * @example
 * const compiler = new IncrementalCompiler(options);
 * compiler.full(dcs);                                   // a full compile (new base)
 * compiler.update(nextDcs, ['feature_gates\u0000kill']); // a patch over the base
 */
export class IncrementalCompiler {
  private base: SpecEvaluator | undefined;
  /** Keys changed or removed since the base. */
  private readonly dirty = new Set<string>();
  /** Updates served by a patch rather than a full compile (for tests and stats). */
  patches = 0;

  constructor(private readonly options: EvaluatorOptions) {}

  full(specs: ConfigSpecs): SpecEvaluator {
    this.base = createEvaluator(specs, this.options);
    this.dirty.clear();
    return this.base;
  }

  /** `changed`: names (per namespace) whose spec changed or went away between the previous `specs` and these. */
  update(specs: ConfigSpecs, changed: Partial<Record<Namespace, readonly string[]>>): SpecEvaluator {
    if (!this.base) return this.full(specs);
    for (const namespace of NAMESPACES) {
      for (const name of changed[namespace] ?? []) this.dirty.add(key(namespace, name));
    }
    const plan = planPatch(specs, this.dirty);
    if (!plan) return this.full(specs);
    const partial: ConfigSpecs = { ...specs, feature_gates: [], dynamic_configs: [], layer_configs: [] };
    for (const namespace of NAMESPACES) {
      partial[namespace] = (specs[namespace] ?? []).filter((spec) =>
        plan.compile.has(key(namespace, spec.name)),
      );
    }
    this.patches += 1;
    return layered(this.base, createEvaluator(partial, this.options), plan.answers);
  }
}
