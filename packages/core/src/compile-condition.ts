import {
  type CompiledCondition,
  type EvaluationRun,
  FAIL,
  type NestedGateEvaluator,
  type Outcome,
  PASS,
  UNSUPPORTED,
} from './evaluation-run.js';
import { type Bucketer, idListEntryHash, USER_BUCKET_COUNT } from './hash/bucket.js';
import { countryOfIp } from './ip-country.js';
import { compileOperator, type ValuePredicate } from './operators.js';
import type { IdListSource, SecondaryExposure, SpecCondition } from './types.js';
import { createUserAgentFieldReader } from './user-agent.js';
import { createFieldReader, createUnitIDResolver, readEnvironmentField } from './user-fields.js';

export interface ConditionContext {
  readonly evaluateGate: NestedGateEvaluator;
  readonly idLists: IdListSource;
  readonly now: () => number;
  /** The target app for `target_app` conditions, as given (statsig-node compares whatever app_id holds). */
  readonly targetAppID: unknown;
  /** The payload's bucketer for a hash prefix: one per prefix and modulus, shared by every user of it. */
  readonly bucketer: (prefix: string, modulus: number) => Bucketer;
  /** The payload's shared source for a key (see `createSourceSharing`). */
  readonly shareSource: (key: string, source: ValueSource) => ValueSource;
}

export interface CompiledConditionInfo {
  evaluate: CompiledCondition;
  /** Why the condition is unsupported, when it always is. */
  unsupported?: string;
  /** A deliberate departure from statsig-node, for diagnostics (a str_matches pattern refused). */
  warning?: string;
  /** The condition evaluates other gates (and so produces secondary exposures). */
  readsGates: boolean;
}

export type ValueSource = (run: EvaluationRun) => unknown;

/**
 * Shares the value sources that read the user by key (condition type and field) across one
 * payload, remembering the value for the run that read it last: a project's conditions read a
 * few fields many times over (every gate's country rule), and one user's evaluation
 * (`bindUser`, or one check) then reads such a field once. A field only one condition reads
 * keeps its plain source, so a single check pays nothing for this. Keyed by run, not by user
 * object, so a caller may change a user between checks; evaluation is synchronous, so runs
 * never interleave.
 */
export function createSourceSharing(): (key: string, source: ValueSource) => ValueSource {
  const byKey = new Map<string, { shared: ValueSource | null }>();
  return (key, source) => {
    const known = byKey.get(key);
    if (!known) {
      byKey.set(key, { shared: null });
      return source;
    }
    if (!known.shared) {
      // The second condition on this field: it and every later one get the remembering source
      // (the first keeps its plain one; the key guarantees they all compute the same value).
      let lastRun: EvaluationRun | undefined;
      let lastValue: unknown;
      known.shared = (run) => {
        if (run !== lastRun) {
          lastValue = source(run);
          lastRun = run;
        }
        return lastValue;
      };
    }
    return known.shared;
  };
}

const unsupported = (why: string): CompiledConditionInfo => ({
  evaluate: () => UNSUPPORTED,
  unsupported: why,
  readsGates: false,
});

function exposureOf(gate: string, result: { value: boolean; ruleID: string }): SecondaryExposure {
  return { gate, gateValue: String(result.value), ruleID: result.ruleID };
}

function compileGateCondition(condition: SpecCondition, wantPass: boolean, ctx: ConditionContext) {
  const gateName = String(condition.targetValue);
  const evaluate: CompiledCondition = (run, exposures) => {
    const result = ctx.evaluateGate(gateName, run);
    if (result.reason === 'Unsupported') return UNSUPPORTED;
    // The nested gate's own exposures come first, then the gate itself.
    for (const exposure of result.secondaryExposures) exposures.push(exposure);
    exposures.push(exposureOf(gateName, result));
    return result.value === wantPass ? PASS : FAIL;
  };
  return { evaluate, readsGates: true };
}

function compileMultiGateCondition(
  condition: SpecCondition,
  wantPass: boolean,
  ctx: ConditionContext,
): CompiledConditionInfo {
  const target = condition.targetValue;
  if (!Array.isArray(target)) return unsupported(`${condition.type} needs an array of gate names`);
  const gateNames = target.map(String);
  const evaluate: CompiledCondition = (run, exposures) => {
    for (const gateName of gateNames) {
      const result = ctx.evaluateGate(gateName, run);
      if (result.reason === 'Unsupported') return UNSUPPORTED;
      // Unlike pass_gate, statsig-node lists the gate before its own exposures here.
      exposures.push(exposureOf(gateName, result));
      for (const exposure of result.secondaryExposures) exposures.push(exposure);
      if (result.value === wantPass) return PASS;
    }
    return FAIL;
  };
  return { evaluate, readsGates: true };
}

/** Condition types that read a named field. */
const FIELD_TYPES = new Set(['user_field', 'ip_based', 'ua_based', 'environment_field']);
/** Those whose value depends only on the user and the field (not on the environment). */
const USER_FIELD_TYPES = new Set(['user_field', 'ip_based', 'ua_based']);

function compileValueSource(
  type: string,
  condition: SpecCondition,
  ctx: ConditionContext,
): ValueSource | string {
  // statsig-node lowercases the field name and throws on a non-string (its error boundary then
  // answers false with rule ""); Unsupported gives the same answer.
  if (FIELD_TYPES.has(type) && condition.field != null && typeof condition.field !== 'string') {
    return `condition field must be a string, got ${typeof condition.field}`;
  }
  switch (type) {
    case 'user_field': {
      const read = createFieldReader(condition.field);
      return (run) => read(run.user);
    }
    case 'ip_based': {
      const read = createFieldReader(condition.field);
      const readIp = createFieldReader('ip');
      // Only `country` falls back to the IP table; other fields come from the user alone.
      const fromIp = condition.field === 'country';
      return (run) => read(run.user) ?? (fromIp ? ipCountry(readIp(run.user)) : null);
    }
    case 'ua_based': {
      const read = createFieldReader(condition.field);
      const readAgent = createFieldReader('userAgent');
      const parseField = createUserAgentFieldReader(condition.field);
      return (run) => {
        const own = read(run.user);
        if (own != null) return own;
        if (!parseField) return null;
        const agent = readAgent(run.user);
        return agent == null ? null : parseField(agent);
      };
    }
    case 'environment_field': {
      if (condition.field == null) return () => null;
      const lower = String(condition.field).toLowerCase();
      return (run) => readEnvironmentField(run.environment, lower);
    }
    case 'current_time':
      return () => ctx.now();
    case 'user_bucket': {
      const salt = (condition.additionalValues as Record<string, unknown> | null | undefined)?.salt;
      // statsig-node concatenates whatever is there, so a missing salt hashes as "undefined.<id>".
      const bucketer = ctx.bucketer(`${salt}.`, USER_BUCKET_COUNT);
      const unitID = createUnitIDResolver(condition.idType);
      return (run) => bucketer.bucket(unitIDText(unitID(run.user)));
    }
    case 'unit_id': {
      const unitID = createUnitIDResolver(condition.idType);
      return (run) => unitID(run.user);
    }
    case 'target_app':
      return () => ctx.targetAppID;
    default:
      return `unsupported condition type "${condition.type}"`;
  }
}

function ipCountry(ip: unknown): string | null {
  return ip == null ? null : countryOfIp(ip);
}

/** A unit ID as it appears in hash inputs: missing becomes "", anything else its string form. */
export function unitIDText(unitID: unknown): string {
  return unitID == null ? '' : typeof unitID === 'string' ? unitID : String(unitID);
}

function compileIdListOperator(op: string, target: unknown, idLists: IdListSource): ValuePredicate {
  const listName = String(target);
  const wantIn = op === 'in_segment_list';
  return (value) => {
    const list = idLists.get(listName);
    const inList = list?.has(idListEntryHash(value)) === true;
    return inList === wantIn;
  };
}

export function compileCondition(condition: SpecCondition, ctx: ConditionContext): CompiledConditionInfo {
  if (condition == null || typeof condition !== 'object') return unsupported('condition is not an object');
  if (typeof condition.type !== 'string') return unsupported('condition has no type');
  const type = condition.type.toLowerCase();
  switch (type) {
    case 'public':
      return { evaluate: () => PASS, readsGates: false };
    case 'pass_gate':
    case 'fail_gate':
      return compileGateCondition(condition, type === 'pass_gate', ctx);
    case 'multi_pass_gate':
    case 'multi_fail_gate':
      // Quirk kept from statsig-node: any spelling dispatches here, but only the exact
      // lower-case "multi_pass_gate" means pass; every other spelling behaves as multi_fail.
      return compileMultiGateCondition(condition, condition.type === 'multi_pass_gate', ctx);
  }

  const compiled = compileValueSource(type, condition, ctx);
  if (typeof compiled === 'string') return unsupported(compiled);
  // Only sources that depend on the field name alone (and the user) can be shared.
  const source = USER_FIELD_TYPES.has(type)
    ? ctx.shareSource(`${type}:${JSON.stringify(condition.field ?? null)}`, compiled)
    : compiled;
  const operator = condition.operator;
  if (typeof operator !== 'string') return unsupported(`condition of type "${type}" has no operator`);
  const lowerOperator = operator.toLowerCase();
  let warning: string | undefined;
  const predicate =
    lowerOperator === 'in_segment_list' || lowerOperator === 'not_in_segment_list'
      ? compileIdListOperator(lowerOperator, condition.targetValue, ctx.idLists)
      : compileOperator(operator, condition.targetValue, (problem) => {
          warning = problem;
        });
  if (!predicate) return unsupported(`unsupported operator "${operator}"`);
  const info: CompiledConditionInfo = {
    evaluate: (run): Outcome => (predicate(source(run)) ? PASS : FAIL),
    readsGates: false,
  };
  if (warning !== undefined) info.warning = warning;
  return info;
}
