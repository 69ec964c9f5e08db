import { type ConditionContext, compileCondition, unitIDText } from './compile-condition.js';
import type { CompiledCondition } from './evaluation-run.js';
import { PASS_PERCENTAGE_BUCKETS } from './hash/bucket.js';
import type { Spec, SpecRule } from './types.js';
import { createUnitIDResolver, type UnitIDResolver } from './user-fields.js';

export interface CompiledRule {
  readonly id: string;
  readonly groupName: string | null;
  /** The rule's returnValue as a frozen JSON object (`{}` when not an object). */
  readonly json: Record<string, unknown>;
  readonly isExperimentGroup: boolean;
  readonly configDelegate: string | null;
  readonly conditions: readonly CompiledCondition[];
  /** Some condition evaluates other gates, so the rule collects secondary exposures. */
  readonly readsGates: boolean;
  /** `rule "<id>" is unsupported: <why>` when a condition of this rule always is. */
  readonly unsupported: string | null;
  /** `rule "<id>": <what>` for each condition that departs from statsig-node on purpose. */
  readonly warnings: readonly string[];
  /** Whether a user who matched the conditions is inside the pass percentage. */
  readonly passes: (user: Parameters<UnitIDResolver>[0]) => boolean;
}

export interface CompiledSpec {
  readonly name: string;
  readonly enabled: boolean;
  readonly idType: string | null;
  readonly defaultJson: Record<string, unknown>;
  readonly rules: readonly CompiledRule[];
  readonly explicitParameters: readonly string[] | null;
  readonly version: number | null;
  /** Set when the spec could not be compiled; it then evaluates to its default with reason InvalidSpec. */
  readonly invalid: string | null;
  /**
   * Position in its namespace's list: a run caches gate results by it (a small integer key
   * hashes faster than a name); -1 for stand-ins that are not in the DCS. Every CompiledSpec
   * has every field, in one order, so the evaluator's property reads see one shape.
   */
  readonly slot: number;
}

/** Deep-copies JSON so results can hand out frozen values without exposing the caller's input. */
function frozenCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const copy: unknown = Array.isArray(value)
    ? value.map(frozenCopy)
    : Object.fromEntries(Object.entries(value).map(([key, item]) => [key, frozenCopy(item)]));
  return Object.freeze(copy);
}

/** statsig-node reports a non-object returnValue / defaultValue (gates' booleans) as `{}`. */
export function toJsonObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object'
    ? (frozenCopy(value) as Record<string, unknown>)
    : EMPTY_JSON;
}

export const EMPTY_JSON: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

function compilePassPercentage(spec: Spec, rule: SpecRule, ctx: ConditionContext): CompiledRule['passes'] {
  const percentage = rule.passPercentage;
  if (percentage === 0) return () => false;
  if (percentage === 100) return () => true;
  // The rule salt falls back to the id only when null or absent; "" is used as-is.
  const bucketer = ctx.bucketer(`${spec.salt}.${rule.salt ?? rule.id}.`, PASS_PERCENTAGE_BUCKETS);
  const unitID = createUnitIDResolver(rule.idType);
  const threshold = percentage * 100;
  return (user) => bucketer.bucket(unitIDText(unitID(user))) < threshold;
}

function compileRule(spec: Spec, rule: SpecRule, ctx: ConditionContext): CompiledRule | string {
  if (rule == null || typeof rule !== 'object') return 'a rule is not an object';
  const rawConditions = rule.conditions ?? [];
  if (!Array.isArray(rawConditions)) return `rule "${rule.id}": conditions is not an array`;
  const compiled = rawConditions.map((condition) => compileCondition(condition, ctx));
  const why = compiled.find((condition) => condition.unsupported)?.unsupported;
  return {
    id: rule.id,
    groupName: rule.groupName ?? null,
    json: toJsonObject(rule.returnValue),
    isExperimentGroup: rule.isExperimentGroup === true,
    configDelegate: rule.configDelegate ?? null,
    conditions: compiled.map((condition) => condition.evaluate),
    readsGates: compiled.some((condition) => condition.readsGates),
    unsupported: why ? `rule "${rule.id}" is unsupported: ${why}` : null,
    warnings: compiled.flatMap((condition) =>
      condition.warning ? [`rule "${rule.id}": ${condition.warning}`] : [],
    ),
    passes: compilePassPercentage(spec, rule, ctx),
  };
}

/** A spec that evaluates to `{}` and rule "disabled" (or InvalidSpec, with `invalid`). */
export function disabledSpec(name: string, slot: number, invalid: string | null = null): CompiledSpec {
  return {
    name,
    enabled: false,
    idType: null,
    defaultJson: EMPTY_JSON,
    rules: [],
    explicitParameters: null,
    version: null,
    invalid,
    slot,
  };
}

export function compileSpec(spec: Spec, ctx: ConditionContext, slot = -1): CompiledSpec {
  const base = {
    name: String(spec?.name),
    enabled: Boolean(spec?.enabled),
    idType: typeof spec?.idType === 'string' ? spec.idType : null,
    defaultJson: toJsonObject(spec?.defaultValue),
    rules: [] as readonly CompiledRule[],
    explicitParameters: Array.isArray(spec?.explicitParameters)
      ? Object.freeze([...spec.explicitParameters])
      : null,
    version: typeof spec?.version === 'number' ? spec.version : null,
    invalid: null as string | null,
    slot,
  };
  if (!Array.isArray(spec?.rules)) return { ...base, invalid: 'rules is not an array' };
  const rules: CompiledRule[] = [];
  for (const rule of spec.rules) {
    const compiled = compileRule(spec, rule, ctx);
    if (typeof compiled === 'string') return { ...base, invalid: compiled };
    rules.push(compiled);
  }
  return { ...base, rules };
}

/**
 * Compiles one spec without ever throwing: hostile JSON (e.g. an object whose `toString` is
 * not a function, where a string is expected) makes that spec `InvalidSpec`, not the payload.
 */
export function compileSpecSafely(spec: Spec, ctx: ConditionContext, slot = -1): CompiledSpec {
  try {
    return compileSpec(spec, ctx, slot);
  } catch (error) {
    let name = '';
    try {
      name = String(spec?.name);
    } catch {
      // An unprintable name; the spec stays unreachable by name.
    }
    return disabledSpec(
      name,
      slot,
      `cannot compile: ${error instanceof Error ? error.message : 'unknown error'}`,
    );
  }
}
