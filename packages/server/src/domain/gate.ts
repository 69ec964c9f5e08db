import { CONDITION_TYPES, LIST_OPERATORS, OPERATORS } from '@switchyard/core';
import { z } from 'zod';

/**
 * The authoring model of a feature gate: what people write through the API. It compiles into
 * Statsig DCS v1 specs per environment (compile-gate.ts). Names follow Statsig's: lower-case
 * letters, digits, `_`, `-`, `.`.
 */

export const NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,99}$/;
export const entityName = z
  .string()
  .regex(NAME_PATTERN, 'lower-case letters, digits, "_", "-" or "." (at most 100)');

/** Condition types that read a user attribute named by `field`. */
const FIELD_TYPES = new Set(['user_field', 'ip_based', 'ua_based', 'environment_field']);
/** Condition types whose `value` names other gates. */
const GATE_TYPES = new Set(['pass_gate', 'fail_gate', 'multi_pass_gate', 'multi_fail_gate']);
export const conditionSchema = z
  .object({
    type: z.enum(CONDITION_TYPES).default('user_field'),
    /** The user attribute (user_field, ip_based, ua_based) or environment key (environment_field). */
    field: z.string().min(1).max(200).optional(),
    operator: z.enum(OPERATORS).optional(),
    /** A list for list operators, a gate name (or names) for gate conditions, a scalar otherwise. */
    value: z.json().optional(),
    /** Unit type for unit_id and user_bucket; defaults to the gate's. */
    idType: z.string().min(1).max(100).optional(),
    /** user_bucket only: the hash salt; defaults to the rule's salt. */
    salt: z.string().min(1).max(100).optional(),
  })
  .superRefine((condition, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (condition.type === 'public') return;
    if (GATE_TYPES.has(condition.type)) {
      const multi = condition.type.startsWith('multi_');
      const valid = multi
        ? Array.isArray(condition.value) &&
          condition.value.length > 0 &&
          condition.value.every((v) => typeof v === 'string')
        : typeof condition.value === 'string' && condition.value.length > 0;
      if (!valid) issue('value', multi ? 'a non-empty list of gate names' : 'a gate name');
      return;
    }
    if (FIELD_TYPES.has(condition.type) && !condition.field) issue('field', `required for ${condition.type}`);
    if (!condition.operator) {
      issue('operator', `required for ${condition.type}`);
      return;
    }
    if (condition.value === undefined) issue('value', 'required');
    else if (LIST_OPERATORS.has(condition.operator) !== Array.isArray(condition.value)) {
      issue(
        'value',
        LIST_OPERATORS.has(condition.operator)
          ? `${condition.operator} takes a list`
          : `${condition.operator} takes a single value`,
      );
    }
  });

export type Condition = z.infer<typeof conditionSchema>;

export const ruleInputSchema = z.object({
  /** Present when editing an existing rule: it keeps its id and salt, so its users stay in. */
  id: z.string().min(1).max(100).optional(),
  name: z.string().min(1).max(100),
  conditions: z.array(conditionSchema).max(100).default([]),
  passPercentage: z.number().min(0).max(100).default(100),
  /** Environments the rule applies in; null or absent means all. */
  environments: z.array(z.string().min(1)).nullable().default(null),
});

export const gateInputSchema = z.object({
  name: entityName,
  description: z.string().max(2000).default(''),
  tags: z.array(z.string().min(1).max(50)).max(50).default([]),
  owner: z.string().max(200).nullable().default(null),
  enabled: z.boolean().default(true),
  idType: z.string().min(1).max(100).default('userID'),
  rules: z.array(ruleInputSchema).max(200).default([]),
});

export const gatePatchSchema = gateInputSchema.omit({ name: true }).partial();

export type GateInput = z.infer<typeof gateInputSchema>;
export type GatePatch = z.infer<typeof gatePatchSchema>;

export interface StoredRule {
  id: string;
  name: string;
  /** Fixed when the rule is created; only an explicit resalt changes it. */
  salt: string;
  conditions: Condition[];
  passPercentage: number;
  environments: string[] | null;
}

export interface StoredGate {
  name: string;
  description: string;
  tags: string[];
  owner: string | null;
  enabled: boolean;
  idType: string;
  /** Spec salt, fixed at creation. */
  salt: string;
  rules: StoredRule[];
}
