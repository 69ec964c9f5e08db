import {
  type ConfigSpecs,
  createEvaluator,
  type EvaluationResult,
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

export type Namespace = 'feature_gates' | 'dynamic_configs' | 'layer_configs';
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

function sameReferences(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A spec held by the graph. */
interface GraphEntry {
  readonly spec: Spec;
  readonly namespace: Namespace;
}

/** One spec of a delta: changed or added (`spec` given), or removed (`spec` undefined). */
export interface SpecChange {
  namespace: Namespace;
  name: string;
  spec: Spec | undefined;
}

/** Which specs the patch compiles, and which names (per namespace) it answers for. */
export interface PatchPlan {
  compile: Set<string>;
  answers: Set<string>;
}

/**
 * The held configuration's specs by key and who reads whom. Kept across deltas and updated
 * for the changed specs only: rebuilding it per delta costs O(all specs) in every SDK
 * instance, which is most of a kill switch's cost in a large project.
 *
 * @example
 * const graph = SpecGraph.of(dcs);
 * graph.put('feature_gates', newKillSwitch);
 * graph.plan(new Set(['feature_gates\u0000kill'])); // { compile, answers } or null
 */
export class SpecGraph {
  private readonly byKey = new Map<string, GraphEntry>();
  /** Key -> keys of the specs whose references name it (the target need not exist). */
  private readonly dependents = new Map<string, Set<string>>();
  /** Bumped when a spec appears, goes away or reads different specs: plans made before may differ. */
  shape = 0;

  static of(specs: ConfigSpecs): SpecGraph {
    const graph = new SpecGraph();
    for (const namespace of NAMESPACES) {
      for (const spec of specs[namespace] ?? []) graph.put(namespace, spec);
    }
    return graph;
  }

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): GraphEntry | undefined {
    return this.byKey.get(key);
  }

  /** Adds or replaces the spec of its name (the last of a name wins, as in the evaluator). */
  put(namespace: Namespace, spec: Spec): void {
    const own = key(namespace, spec.name);
    const previous = this.byKey.get(own);
    const references = referencesOf(spec, namespace);
    if (previous && sameReferences(referencesOf(previous.spec, previous.namespace), references)) {
      // The common delta (a kill switch, a rollout step): same edges, nothing else to do.
      this.byKey.set(own, { spec, namespace });
      return;
    }
    this.shape += 1;
    this.unlink(own);
    this.byKey.set(own, { spec, namespace });
    for (const reference of references) {
      let readers = this.dependents.get(reference);
      if (!readers) {
        readers = new Set();
        this.dependents.set(reference, readers);
      }
      readers.add(own);
    }
  }

  remove(namespace: Namespace, name: string): void {
    const own = key(namespace, name);
    if (!this.byKey.has(own)) return;
    this.shape += 1;
    this.unlink(own);
    this.byKey.delete(own);
  }

  private unlink(own: string): void {
    const previous = this.byKey.get(own);
    if (!previous) return;
    for (const reference of referencesOf(previous.spec, previous.namespace)) {
      const readers = this.dependents.get(reference);
      readers?.delete(own);
      if (readers?.size === 0) this.dependents.delete(reference);
    }
  }

  /** Spec keys to compile into a patch, and the keys the patch answers for; null when a full compile is cheaper. */
  plan(dirty: ReadonlySet<string>, maxShare = 0.5): PatchPlan | null {
    // Everything whose result may differ: the changed specs and, transitively, their dependents.
    // A spec whose references changed is itself dirty, so the held graph is enough.
    const answers = new Set(dirty);
    const pending = [...dirty];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      for (const dependent of this.dependents.get(next) ?? []) {
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
      const entry = this.byKey.get(next);
      if (!entry || compile.has(next)) continue;
      compile.add(next);
      for (const reference of referencesOf(entry.spec, entry.namespace)) reach.push(reference);
    }
    if (compile.size > Math.max(8, this.byKey.size * maxShare)) return null;
    return { compile, answers };
  }
}

/** Names per namespace, so routing a check costs one Set lookup, not a key string. */
type NamesByNamespace = Record<Namespace, ReadonlySet<string>>;

function namesByNamespace(keys: Iterable<string>): NamesByNamespace {
  const names = {
    feature_gates: new Set<string>(),
    dynamic_configs: new Set<string>(),
    layer_configs: new Set<string>(),
  };
  for (const own of keys) {
    const split = own.indexOf('\u0000');
    names[own.slice(0, split) as Namespace].add(own.slice(split + 1));
  }
  return names;
}

/**
 * The base for names the patch does not answer for, the patch for the others. A class rather
 * than an object of closures: one is made per delta in every SDK instance.
 */
class LayeredEvaluator implements SpecEvaluator {
  readonly time: number;
  /** The base's problems may name specs since changed; the patch's are the news. */
  readonly diagnostics: readonly string[];

  constructor(
    private readonly base: SpecEvaluator,
    private readonly patch: SpecEvaluator,
    private readonly answers: NamesByNamespace,
  ) {
    this.time = patch.time;
    this.diagnostics = patch.diagnostics;
  }

  checkGate(user: StatsigUser, name: string): EvaluationResult {
    return (this.answers.feature_gates.has(name) ? this.patch : this.base).checkGate(user, name);
  }

  getConfig(user: StatsigUser, name: string): EvaluationResult {
    return (this.answers.dynamic_configs.has(name) ? this.patch : this.base).getConfig(user, name);
  }

  getExperiment(user: StatsigUser, name: string): EvaluationResult {
    return (this.answers.dynamic_configs.has(name) ? this.patch : this.base).getExperiment(user, name);
  }

  getLayer(user: StatsigUser, name: string): EvaluationResult {
    return (this.answers.layer_configs.has(name) ? this.patch : this.base).getLayer(user, name);
  }
}

/**
 * Compiles configurations, incrementally across deltas.
 *
 * @example
 * const compiler = new IncrementalCompiler(options);
 * compiler.full(dcs);                                   // a full compile (new base)
 * compiler.update(nextDcs, [{ namespace: 'feature_gates', name: 'kill', spec: killSpec }]); // a patch over the base
 */
export class IncrementalCompiler {
  private base: SpecEvaluator | undefined;
  private graph = new SpecGraph();
  /** Keys changed or removed since the base. */
  private readonly dirty = new Set<string>();
  /**
   * The last plan, reused while the dirty keys and the graph's shape stay the same (the same
   * gate changed again): only the specs it names are read anew.
   */
  private lastPlan:
    | { shape: number; dirty: number; compile: Set<string>; answers: NamesByNamespace }
    | undefined;
  /** Updates served by a patch rather than a full compile (for tests and stats). */
  patches = 0;

  constructor(private readonly options: EvaluatorOptions) {}

  full(specs: ConfigSpecs): SpecEvaluator {
    this.graph = SpecGraph.of(specs);
    return this.compileBase(specs);
  }

  /**
   * `specs`: the configuration after `changes`, which are every spec that changed, appeared
   * or went away since the previous `full` or `update` (in order: a later change of a name wins).
   */
  update(specs: ConfigSpecs, changes: readonly SpecChange[]): SpecEvaluator {
    if (!this.base) return this.full(specs);
    for (const change of changes) {
      if (change.spec) this.graph.put(change.namespace, change.spec);
      else this.graph.remove(change.namespace, change.name);
      this.dirty.add(key(change.namespace, change.name));
    }
    let plan = this.lastPlan;
    if (plan?.shape !== this.graph.shape || plan.dirty !== this.dirty.size) {
      const fresh = this.graph.plan(this.dirty);
      if (!fresh) return this.compileBase(specs);
      plan = {
        shape: this.graph.shape,
        dirty: this.dirty.size,
        compile: fresh.compile,
        answers: namesByNamespace(fresh.answers),
      };
      this.lastPlan = plan;
    }
    const partial: ConfigSpecs = { ...specs, feature_gates: [], dynamic_configs: [], layer_configs: [] };
    for (const own of plan.compile) {
      const entry = this.graph.get(own);
      if (entry) partial[entry.namespace].push(entry.spec);
    }
    this.patches += 1;
    return new LayeredEvaluator(this.base, createEvaluator(partial, this.options), plan.answers);
  }

  private compileBase(specs: ConfigSpecs): SpecEvaluator {
    this.base = createEvaluator(specs, this.options);
    this.dirty.clear();
    this.lastPlan = undefined;
    return this.base;
  }
}
