import { type ConditionContext, createSourceSharing } from './compile-condition.js';
import { type CompiledSpec, compileSpecSafely, disabledSpec, EMPTY_JSON } from './compile-spec.js';
import { type EvaluationRun, FAIL, IN_PROGRESS, UNSUPPORTED } from './evaluation-run.js';
import { type Bucketer, createBucketer } from './hash/bucket.js';
import type {
  ConfigSpecs,
  EvaluationReason,
  EvaluationResult,
  IdListSource,
  SecondaryExposure,
  Spec,
  StatsigUser,
} from './types.js';

export interface EvaluatorOptions {
  /** ID lists by name, as sets of 8-character entry hashes (`idListEntryHash`). Read at each check, so a Map may be updated in place. */
  idLists?: IdListSource;
  /** Milliseconds since the epoch, for `current_time` conditions. Defaults to the system clock. */
  clock?: () => number;
  /**
   * Replaces every user's `statsigEnvironment`, like statsig-node's `environment` option.
   * Without it, a DCS `default_environment` becomes `{ tier }`; without either, the user's own is used.
   */
  environment?: Record<string, unknown>;
  /** Target app for `target_app` conditions; defaults to the DCS `app_id`. */
  targetAppID?: string;
}

/**
 * One user's evaluations sharing one run (see `Evaluator.bindUser`): each gate is evaluated at
 * most once, whether asked for here or reached through another spec's pass_gate / fail_gate.
 */
export interface UserEvaluation {
  checkGate(name: string): EvaluationResult;
  getConfig(name: string): EvaluationResult;
  getLayer(name: string): EvaluationResult;
}

export interface Evaluator {
  checkGate(user: StatsigUser, name: string): EvaluationResult;
  getConfig(user: StatsigUser, name: string): EvaluationResult;
  /** Experiments are dynamic configs in the DCS; this is `getConfig` under the name callers expect. */
  getExperiment(user: StatsigUser, name: string): EvaluationResult;
  getLayer(user: StatsigUser, name: string): EvaluationResult;
  /**
   * Binds `user` for evaluating many specs (a client initialize response evaluates them all):
   * the answers equal the per-call methods', but a gate already evaluated for this user, as a
   * top-level check or as another spec's dependency, is not evaluated again. Gate results are
   * shared between calls, so callers must not mutate them. The binding holds the user as
   * given: make a new one per user (it is cheap) and drop it when done.
   *
   * @example
   * const alice = evaluator.bindUser({ userID: 'alice' });
   * for (const name of evaluator.gateNames) alice.checkGate(name); // each gate evaluated once
   */
  bindUser(user: StatsigUser): UserEvaluation;
  /** The DCS `time` (last change), or 0 when absent. */
  readonly time: number;
  /**
   * Problems found while compiling: invalid specs, missing arrays, rules with an unsupported
   * condition type or operator (those say "unsupported"), and `str_matches` patterns refused
   * because they could stall a check (those say "not run"; the condition is false, where
   * statsig-node would try them). Evaluation still works.
   */
  readonly diagnostics: readonly string[];
  /** Names of specs per namespace. */
  readonly gateNames: readonly string[];
  readonly configNames: readonly string[];
  readonly layerNames: readonly string[];
}

class GateCycle extends Error {}

const systemClock = () => Date.now();

/**
 * statsig-node keeps specs in plain objects, so a name such as "constructor", "toString" or
 * "__proto__" finds an Object.prototype member, which it evaluates as a disabled spec (rule
 * "disabled", value false). Reproduced so results agree for every name, not just real ones.
 */
const BUILT_IN_MEMBER: CompiledSpec = disabledSpec('', -1);

function lookup(index: Map<string, CompiledSpec>, name: string): CompiledSpec | undefined {
  return index.get(name) ?? (name in Object.prototype ? BUILT_IN_MEMBER : undefined);
}
const noIdLists: IdListSource = { get: () => undefined };

/**
 * A bucketer that remembers its last unit ID and bucket. Given to the second and later
 * conditions that hash with the same salt (a layer's slots are read by the layer and by each of
 * its experiments, an experiment's groups by each group rule), so one user's evaluation of them
 * all hashes once. A salt used once (a rule's pass percentage) keeps the plain bucketer: a
 * single check pays nothing for this. Evaluation is synchronous, so nothing interleaves here.
 */
function rememberLastBucket(bucketer: Bucketer): Bucketer {
  let lastSuffix: string | undefined;
  let lastBucket = 0;
  return {
    bucket(suffix) {
      if (suffix !== lastSuffix) {
        lastBucket = bucketer.bucket(suffix);
        lastSuffix = suffix;
      }
      return lastBucket;
    },
  };
}

function plainResult(
  name: string,
  reason: EvaluationReason,
  ruleID: string,
  json: Record<string, unknown>,
  spec: CompiledSpec | undefined,
  detail?: string,
): EvaluationResult {
  const exposures: SecondaryExposure[] = [];
  const result: EvaluationResult = {
    name,
    value: false,
    ruleID,
    groupName: null,
    json,
    idType: spec && reason !== 'Unsupported' ? spec.idType : null,
    secondaryExposures: exposures,
    undelegatedSecondaryExposures: exposures,
    allocatedExperimentName: null,
    explicitParameters: null,
    isExperimentGroup: false,
    configVersion: spec?.version ?? null,
    reason,
  };
  if (detail !== undefined) result.detail = detail;
  return result;
}

/**
 * Appends `batch` to `running`, dropping segment gates and exact duplicates (keeping the
 * first), which is what statsig-node's repeated concat-then-clean amounts to.
 */
function mergeExposures(running: SecondaryExposure[], seen: Set<string>, batch: SecondaryExposure[]): void {
  for (const exposure of batch) {
    if (exposure.gate.startsWith('segment:')) continue;
    const key = `${exposure.gate}|${exposure.gateValue}|${exposure.ruleID}`;
    if (seen.has(key)) continue;
    seen.add(key);
    running.push(exposure);
  }
}

function seenKeys(exposures: SecondaryExposure[]): Set<string> {
  return new Set(exposures.map((e) => `${e.gate}|${e.gateValue}|${e.ruleID}`));
}

function indexSpecs(
  list: unknown,
  namespace: string,
  compile: (spec: Spec, slot: number) => CompiledSpec,
  problems: string[],
) {
  const index = new Map<string, CompiledSpec>();
  if (!Array.isArray(list)) {
    problems.push(`${namespace} is not an array`);
    return index;
  }
  for (const [slot, spec] of (list as Spec[]).entries()) {
    const compiled = compile(spec, slot);
    if (compiled.invalid) problems.push(`${namespace} "${compiled.name}": ${compiled.invalid}`);
    for (const rule of compiled.rules) {
      if (rule.unsupported) problems.push(`${namespace} "${compiled.name}" ${rule.unsupported}`);
      for (const warning of rule.warnings) problems.push(`${namespace} "${compiled.name}" ${warning}`);
    }
    index.set(compiled.name, compiled);
  }
  return index;
}

/**
 * Compiles a download_config_specs v1 payload into an evaluator.
 *
 * @example
 * const evaluator = createEvaluator(dcs, { clock: () => Date.now() });
 * evaluator.checkGate({ userID: 'u1', email: 'a@company.com' }, 'new_checkout').value; // true
 */
export function createEvaluator(specs: ConfigSpecs, options: EvaluatorOptions | null = {}): Evaluator {
  options ??= {};
  const payload = (specs ?? {}) as Partial<ConfigSpecs>;
  const problems: string[] = [];
  const fixedEnvironment =
    options.environment ??
    (payload.default_environment != null ? { tier: payload.default_environment } : undefined);

  const bucketers = new Map<string, { bucketer: Bucketer; shared: boolean }>();
  const context: ConditionContext = {
    evaluateGate: evaluateNestedGate,
    idLists: options.idLists ?? noIdLists,
    now: options.clock ?? systemClock,
    targetAppID: options.targetAppID ?? payload.app_id ?? null,
    shareSource: createSourceSharing(),
    bucketer: (prefix, modulus) => {
      const key = `${modulus}:${prefix}`;
      const known = bucketers.get(key);
      if (!known) {
        const bucketer = createBucketer(prefix, modulus);
        bucketers.set(key, { bucketer, shared: false });
        return bucketer;
      }
      if (!known.shared) {
        known.bucketer = rememberLastBucket(known.bucketer);
        known.shared = true;
      }
      return known.bucketer;
    },
  };
  const compile = (spec: Spec, slot: number) => compileSpecSafely(spec, context, slot);
  const gates = indexSpecs(payload.feature_gates, 'feature_gates', compile, problems);
  const configs = indexSpecs(payload.dynamic_configs, 'dynamic_configs', compile, problems);
  const layers = indexSpecs(payload.layer_configs, 'layer_configs', compile, problems);

  function evaluateIn(index: Map<string, CompiledSpec>, name: string, run: EvaluationRun): EvaluationResult {
    const spec = lookup(index, name);
    if (!spec) return plainResult(name, 'Unrecognized', '', EMPTY_JSON, undefined);
    return evaluateSpec(spec, name, run);
  }

  /**
   * A gate referenced by a condition (or asked for through `bindUser`): evaluated once per run,
   * cycles reported. Specs that are not in the DCS (unrecognized names, built-in members)
   * reference nothing, so they need neither the cache nor the cycle check.
   */
  function evaluateNestedGate(name: string, run: EvaluationRun): EvaluationResult {
    const spec = lookup(gates, name);
    if (!spec) return plainResult(name, 'Unrecognized', '', EMPTY_JSON, undefined);
    if (spec.slot < 0) return evaluateSpec(spec, name, run);
    run.gateResults ??= new Map();
    const results = run.gateResults;
    const cached = results.get(spec.slot);
    if (cached === IN_PROGRESS) throw new GateCycle(`gate "${name}" depends on itself`);
    if (cached) return cached;
    results.set(spec.slot, IN_PROGRESS);
    try {
      const result = evaluateSpec(spec, name, run);
      results.set(spec.slot, result);
      return result;
    } catch (error) {
      // Whatever threw (a cycle) aborts the whole check; no half-done mark may stay behind.
      results.delete(spec.slot);
      throw error;
    }
  }

  function evaluateSpec(spec: CompiledSpec, name: string, run: EvaluationRun): EvaluationResult {
    if (spec.invalid) return plainResult(name, 'InvalidSpec', '', spec.defaultJson, spec, spec.invalid);
    if (!spec.enabled) return plainResult(name, 'Evaluated', 'disabled', spec.defaultJson, spec);

    const exposures: SecondaryExposure[] = [];
    let seen: Set<string> | null = null;
    const user = run.user;
    for (const rule of spec.rules) {
      const ruleExposures: SecondaryExposure[] = rule.readsGates ? [] : exposures;
      let matched = true;
      // Every condition runs, even after one fails, so all nested-gate exposures are collected.
      for (const condition of rule.conditions) {
        const outcome = condition(run, ruleExposures);
        if (outcome === UNSUPPORTED) {
          return plainResult(
            name,
            'Unsupported',
            '',
            EMPTY_JSON,
            spec,
            `rule "${rule.id}" has an unsupported condition`,
          );
        }
        if (outcome === FAIL) matched = false;
      }
      if (rule.readsGates && ruleExposures.length > 0) {
        seen ??= seenKeys(exposures);
        mergeExposures(exposures, seen, ruleExposures);
      }
      if (!matched) continue;

      if (rule.configDelegate !== null) {
        const delegate = lookup(configs, rule.configDelegate);
        if (delegate) return delegateTo(delegate, rule.configDelegate, exposures, run);
      }
      const pass = rule.passes(user);
      return {
        name,
        value: pass,
        ruleID: rule.id,
        groupName: rule.groupName,
        json: pass ? rule.json : spec.defaultJson,
        idType: spec.idType,
        secondaryExposures: exposures,
        undelegatedSecondaryExposures: exposures,
        allocatedExperimentName: null,
        explicitParameters: spec.explicitParameters,
        isExperimentGroup: rule.isExperimentGroup,
        configVersion: spec.version,
        reason: 'Evaluated',
      };
    }
    const result = plainResult(name, 'Evaluated', 'default', spec.defaultJson, spec);
    result.secondaryExposures = exposures;
    result.undelegatedSecondaryExposures = exposures;
    result.explicitParameters = spec.explicitParameters;
    return result;
  }

  /** A layer rule hands the user to an experiment: its result, plus the layer's exposures. */
  function delegateTo(
    delegate: CompiledSpec,
    delegateName: string,
    undelegated: SecondaryExposure[],
    run: EvaluationRun,
  ): EvaluationResult {
    const result = evaluateIn(configs, delegateName, run);
    const combined = [...undelegated];
    mergeExposures(combined, seenKeys(combined), result.secondaryExposures);
    result.secondaryExposures = combined;
    result.undelegatedSecondaryExposures = undelegated;
    result.allocatedExperimentName = delegateName;
    result.explicitParameters = delegate.explicitParameters;
    return result;
  }

  function startRun(user: StatsigUser): EvaluationRun {
    const environment = fixedEnvironment ?? (user as StatsigUser | null | undefined)?.statsigEnvironment;
    return { user: user ?? {}, environment };
  }

  /** What a top-level check answers when evaluation threw (a gate cycle). */
  function errorResult(index: Map<string, CompiledSpec>, name: string, error: unknown): EvaluationResult {
    const spec = index.get(name);
    const json = spec ? spec.defaultJson : EMPTY_JSON;
    return plainResult(name, 'Error', '', json, spec, error instanceof Error ? error.message : String(error));
  }

  function topLevel(index: Map<string, CompiledSpec>, user: StatsigUser, name: string): EvaluationResult {
    try {
      return evaluateIn(index, name, startRun(user));
    } catch (error) {
      return errorResult(index, name, error);
    }
  }

  /**
   * A run shared by every check for one user. A gate's result does not depend on which spec
   * asked for it (only on the user), so the nested-gate cache can serve top-level checks too.
   * A gate on a reference cycle never completes, so it is never cached: the cycle throws out
   * of every check that reaches it (an Error result, as per call), and the in-progress marks
   * unwind on the way.
   */
  function bindUser(user: StatsigUser): UserEvaluation {
    const run = startRun(user);
    return {
      checkGate(name) {
        try {
          const spec = lookup(gates, name);
          if (!spec) return plainResult(name, 'Unrecognized', '', EMPTY_JSON, undefined);
          if (spec.slot < 0) return evaluateSpec(spec, name, run);
          const cached = run.gateResults?.get(spec.slot);
          if (cached) return cached;
          // Not marked in progress, as a top-level check is not: a cycle is then found (and
          // described) where the per-call checkGate finds it.
          const result = evaluateSpec(spec, name, run);
          run.gateResults ??= new Map();
          run.gateResults.set(spec.slot, result);
          return result;
        } catch (error) {
          return errorResult(gates, name, error);
        }
      },
      getConfig(name) {
        try {
          return evaluateIn(configs, name, run);
        } catch (error) {
          return errorResult(configs, name, error);
        }
      },
      getLayer(name) {
        try {
          return evaluateIn(layers, name, run);
        } catch (error) {
          return errorResult(layers, name, error);
        }
      },
    };
  }

  return {
    checkGate: (user, name) => topLevel(gates, user, name),
    getConfig: (user, name) => topLevel(configs, user, name),
    getExperiment: (user, name) => topLevel(configs, user, name),
    getLayer: (user, name) => topLevel(layers, user, name),
    bindUser,
    time: typeof payload.time === 'number' ? payload.time : 0,
    diagnostics: problems,
    gateNames: [...gates.keys()],
    configNames: [...configs.keys()],
    layerNames: [...layers.keys()],
  };
}
