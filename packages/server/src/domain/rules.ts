import { randomUUID } from 'node:crypto';
import type { SpecCondition, SpecRule } from '@switchyard/core';
import { CONDITION_TYPES, checkRegexPattern, LIST_OPERATORS, OPERATORS } from '@switchyard/core';
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';

/**
 * What every authored kind shares: names, metadata and targeting rules in a friendly form,
 * and how those rules compile into Statsig DCS v1 rules.
 */

export const NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,99}$/;
export const entityName = z
  .string()
  .regex(NAME_PATTERN, 'lower-case letters, digits, "_", "-" or "." (at most 100)');

export const idTypeSchema = z.string().min(1).max(100);

/**
 * A bucketing salt given by the caller. Salts are normally made by the server; config as code
 * (`switchyard export` / `apply`) sends them back so a recreated object buckets every user as
 * the original did.
 */
export const saltSchema = z.string().min(1).max(100);

/** Description, tags and owner: the same on every kind. */
export const metadataFields = {
  description: z.string().max(2000).default(''),
  tags: z.array(z.string().min(1).max(50)).max(50).default([]),
  owner: z.string().max(200).nullable().default(null),
};

/** A JSON object: what configs, experiment groups and layers return. */
export const jsonObject = z.record(z.string(), z.json());
export type JsonObject = z.infer<typeof jsonObject>;

type Undefaulted<S extends z.ZodRawShape> = {
  [K in keyof S]: z.ZodOptional<S[K] extends z.ZodDefault<infer Inner> ? Inner : S[K]>;
};

/**
 * The PATCH form of an input schema: every field optional and without its default, so a field
 * left out keeps its current value instead of being reset (zod applies defaults inside
 * `.partial()`).
 */
export function patchSchemaOf<S extends z.ZodRawShape>(input: z.ZodObject<S>): z.ZodObject<Undefaulted<S>> {
  const shape = Object.fromEntries(
    Object.entries(input.shape).map(([key, field]) => [
      key,
      ((field instanceof z.ZodDefault ? field.unwrap() : field) as z.ZodType).optional(),
    ]),
  );
  return z.object(shape) as unknown as z.ZodObject<Undefaulted<S>>;
}

/** `patch` without its absent fields, to spread over the current object. */
export function definedFields<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Condition types that read a user attribute named by `field`. */
const FIELD_TYPES = new Set(['user_field', 'ip_based', 'ua_based', 'environment_field']);
/** Condition types whose `value` names other gates (segments are gates named `segment:<name>`). */
const GATE_TYPES = new Set(['pass_gate', 'fail_gate', 'multi_pass_gate', 'multi_fail_gate']);

export const conditionSchema = z
  .object({
    type: z.enum(CONDITION_TYPES).default('user_field'),
    /** The user attribute (user_field, ip_based, ua_based) or environment key (environment_field). */
    field: z.string().min(1).max(200).optional(),
    operator: z.enum(OPERATORS).optional(),
    /** A list for list operators, a gate name (or names) for gate conditions, a scalar otherwise. */
    value: z.json().optional(),
    /** Unit type for unit_id and user_bucket; defaults to the object's. */
    idType: idTypeSchema.optional(),
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
    } else if (condition.operator === 'str_matches') {
      // A pattern SDKs would refuse to run (or that is not a regular expression) never matches:
      // say so now rather than ship a rule that silently passes no one.
      const check = checkRegexPattern(condition.value);
      if (!check.ok) issue('value', `str_matches pattern ${check.reason}`);
    }
  });

export type Condition = z.infer<typeof conditionSchema>;

const ruleFields = {
  name: z.string().min(1).max(100),
  conditions: z.array(conditionSchema).max(100).default([]),
  passPercentage: z.number().min(0).max(100).default(100),
  /** Environments the rule applies in; null or absent means all. */
  environments: z.array(z.string().min(1)).nullable().default(null),
};

export const ruleInputSchema = z.object({
  /**
   * Present when editing an existing rule: it keeps its id and salt, so its users stay in. An id
   * the object does not have yet is refused, unless `salt` is given too: then it names a new rule
   * with that id and salt (config as code recreating a rule).
   */
  id: z.string().min(1).max(100).optional(),
  /**
   * Usually left out: an existing rule keeps its salt, a new one gets a random one. Given, the
   * rule buckets with it; a different salt on an existing rule reshuffles its users, as resalt does.
   */
  salt: saltSchema.optional(),
  ...ruleFields,
});
export type RuleInput = z.infer<typeof ruleInputSchema>;

export const storedRuleSchema = z.object({
  id: z.string(),
  /** Fixed when the rule is created; only an explicit resalt changes it. */
  salt: z.string(),
  ...ruleFields,
});
export type StoredRule = z.infer<typeof storedRuleSchema>;

/**
 * Gives new rules an id and a salt; rules that name an existing id keep theirs, so raising a
 * percentage keeps everyone already in.
 */
export function assignRules<R extends RuleInput>(
  rules: R[],
  existing: readonly StoredRule[],
): (Omit<R, 'id'> & StoredRule)[] {
  const byId = new Map(existing.map((rule) => [rule.id, rule]));
  const seen = new Set<string>();
  return rules.map((rule, index) => {
    const previous = rule.id ? byId.get(rule.id) : undefined;
    if (rule.id && !previous && rule.salt === undefined) {
      throw new InvalidInputError(
        'unknown_rule',
        `rule "${rule.id}" does not exist; omit "id" for a new rule (or give "salt" too, to create it with both)`,
        {
          field: `rules.${index}.id`,
        },
      );
    }
    if (rule.id) {
      if (seen.has(rule.id)) {
        throw new InvalidInputError('duplicate_rule', `two rules have the id "${rule.id}"`, {
          field: `rules.${index}.id`,
        });
      }
      seen.add(rule.id);
    }
    return {
      ...rule,
      id: rule.id ?? randomUUID(),
      salt: rule.salt ?? previous?.salt ?? randomUUID(),
    };
  });
}

/** A gate (or `segment:<name>`) an object refers to, and where. */
export interface GateReference {
  name: string;
  field: string;
}

/** Every gate the rules' conditions name (pass_gate, fail_gate and their multi_ forms). */
export function referencedGates(rules: readonly { conditions: readonly Condition[] }[]): GateReference[] {
  return rules.flatMap((rule, ruleIndex) =>
    rule.conditions.flatMap((condition, index) => {
      if (!GATE_TYPES.has(condition.type)) return [];
      const field = `rules.${ruleIndex}.conditions.${index}.value`;
      const names = Array.isArray(condition.value) ? condition.value : [condition.value];
      return names
        .filter((name): name is string => typeof name === 'string')
        .map((name) => ({ name, field }));
    }),
  );
}

/**
 * What kinds built of salted rules (gates, segments, dynamic configs) share: a new object gets
 * its spec salt and rule salts; a change keeps the salts of rules that name their id, and the
 * fields it leaves out; the gates its conditions name must exist.
 */
export const saltedRulesBehaviour = {
  hasRules: true,
  references: (stored: { rules: readonly { conditions: readonly Condition[] }[] }) =>
    referencedGates(stored.rules),
  create: <Input extends { rules: RuleInput[]; salt?: string }>(input: Input) => ({
    ...input,
    salt: input.salt ?? randomUUID(),
    rules: assignRules(input.rules, []),
  }),
  update: <Stored extends { rules: StoredRule[] }>(
    current: Stored,
    patch: { rules?: RuleInput[] },
  ): Stored => ({
    ...current,
    ...definedFields(patch),
    rules: patch.rules ? assignRules(patch.rules, current.rules) : current.rules,
  }),
} as const;

/** The rules' new salt for `ruleId` (a deliberate reshuffle of who falls in its percentage). */
export function resaltRule<R extends StoredRule>(rules: readonly R[], ruleId: string): R[] | undefined {
  if (!rules.some((rule) => rule.id === ruleId)) return undefined;
  return rules.map((rule) => (rule.id === ruleId ? { ...rule, salt: randomUUID() } : rule));
}

/** One authored condition in its DCS v1 form. */
export function compileCondition(condition: Condition, ruleSalt: string, idType: string): SpecCondition {
  const base = {
    field: null,
    operator: null,
    targetValue: null,
    additionalValues: {},
    idType: condition.idType ?? idType,
  };
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
        additionalValues: { salt: condition.salt ?? ruleSalt },
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

/** The rules that apply in `environment`, compiled; `returnValue` gives each rule's value. */
export function compileRules<R extends StoredRule>(
  rules: readonly R[],
  environment: string,
  idType: string,
  returnValue: (rule: R) => SpecRule['returnValue'],
): SpecRule[] {
  return rules
    .filter((rule) => rule.environments === null || rule.environments.includes(environment))
    .map((rule) => ({
      name: rule.name,
      id: rule.id,
      salt: rule.salt,
      passPercentage: rule.passPercentage,
      conditions: rule.conditions.map((condition) => compileCondition(condition, rule.salt, idType)),
      returnValue: returnValue(rule),
      idType,
    }));
}

/** A condition built by the compiler itself (experiments, layers, ID-list segments). */
export function systemCondition(
  type: string,
  operator: string | null,
  targetValue: unknown,
  idType: string,
  additionalValues: Record<string, unknown> = {},
): SpecCondition {
  return { type, operator, targetValue, field: null, additionalValues, idType };
}
