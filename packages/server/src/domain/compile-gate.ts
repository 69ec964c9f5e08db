import type { Spec, SpecCondition, SpecRule } from '@switchyard/core';
import type { Condition, StoredGate, StoredRule } from './gate.js';

/** Compiles one authored condition into its DCS v1 form. */
function compileCondition(condition: Condition, rule: StoredRule, gate: StoredGate): SpecCondition {
  const idType = condition.idType ?? gate.idType;
  const base = { field: null, operator: null, targetValue: null, additionalValues: {}, idType };
  switch (condition.type) {
    case 'public':
      return { ...base, type: 'public' };
    case 'pass_gate':
    case 'fail_gate':
    case 'multi_pass_gate':
    case 'multi_fail_gate':
      return { ...base, type: condition.type, targetValue: condition.value };
    case 'user_bucket':
      return {
        ...base,
        type: 'user_bucket',
        operator: condition.operator ?? null,
        targetValue: condition.value,
        additionalValues: { salt: condition.salt ?? rule.salt },
      };
    default:
      return {
        ...base,
        type: condition.type,
        field: condition.field ?? null,
        operator: condition.operator ?? null,
        targetValue: condition.value,
      };
  }
}

function compileRule(rule: StoredRule, gate: StoredGate): SpecRule {
  return {
    name: rule.name,
    id: rule.id,
    salt: rule.salt,
    passPercentage: rule.passPercentage,
    conditions: rule.conditions.map((condition) => compileCondition(condition, rule, gate)),
    returnValue: true,
    idType: gate.idType,
  };
}

/** The gate as a DCS v1 spec for `environment`: rules limited to that environment drop out elsewhere. */
export function compileGate(gate: StoredGate, environment: string): Spec {
  return {
    name: gate.name,
    type: 'feature_gate',
    entity: 'feature_gate',
    salt: gate.salt,
    enabled: gate.enabled,
    defaultValue: false,
    idType: gate.idType,
    rules: gate.rules
      .filter((rule) => rule.environments === null || rule.environments.includes(environment))
      .map((rule) => compileRule(rule, gate)),
  };
}
