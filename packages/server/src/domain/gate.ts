import type { Spec } from '@switchyard/core';
import { z } from 'zod';
import { ConflictError, InvalidInputError } from '../errors.js';
import type { AuthoredKind, KindAction } from './authored-kind.js';
import type { StoredMetric } from './metric.js';
import {
  advancePlan,
  createReleasePlan,
  pausePlan,
  REGRESSION_ACTIONS,
  type RegressionAction,
  releasePlanInputSchema,
  releasePlanReferences,
  releaseRules,
  resumePlan,
  rollBackPlan,
  storedReleasePlanSchema,
} from './release-plan.js';
import {
  compileRules,
  entityName,
  idTypeSchema,
  metadataFields,
  patchSchemaOf,
  ruleInputSchema,
  saltedRulesBehaviour,
  saltSchema,
  storedRuleSchema,
} from './rules.js';

/**
 * A feature gate: ordered rules, each with conditions and a pass percentage; `enabled` is the
 * kill switch. Compiles into a `feature_gates` spec per environment.
 */

export const gateInputSchema = z.object({
  name: entityName,
  ...metadataFields,
  enabled: z.boolean().default(true),
  idType: idTypeSchema.default('userID'),
  /** Spec salt; the server makes one when absent. Config as code gives an exported one back; a different salt reshuffles every rule's users. */
  salt: saltSchema.optional(),
  rules: z.array(ruleInputSchema).max(200).default([]),
  /** Stages the gate is released through (null: none); its rules follow the gate's own. */
  releasePlan: releasePlanInputSchema.nullable().default(null),
});
export const gatePatchSchema = patchSchemaOf(gateInputSchema.omit({ name: true }));
export const storedGateSchema = gateInputSchema.extend({
  /** Spec salt, fixed at creation. */
  salt: z.string(),
  rules: z.array(storedRuleSchema),
  releasePlan: storedReleasePlanSchema.nullable().default(null),
  /** Environments the gate is turned off in (an environment's kill switch); `enabled` is all of them. */
  disabledIn: z.array(z.string()).default([]),
});

export type GateInput = z.infer<typeof gateInputSchema>;
export type GatePatch = z.infer<typeof gatePatchSchema>;
export type StoredGate = z.infer<typeof storedGateSchema>;

const environmentsField = z.array(z.string().min(1)).min(1).max(50).optional();

/** The kill switch, everywhere or in some environments; a release in progress stops with it. */
const rollbackAction: KindAction<StoredGate> = {
  name: 'rollback',
  summary:
    'Roll a gate back: off in the given environments, or everywhere; with a release plan, its regression action (or `action`)',
  body: z.object({
    environments: environmentsField,
    action: z.enum(REGRESSION_ACTIONS).optional(),
    /** Why, for the audit diff (the guardrail monitor puts its measurements here). */
    evidence: z.unknown().optional(),
  }),
  apply(current, body, now) {
    const { environments, action, evidence } = body as {
      environments?: string[];
      action?: RegressionAction;
      evidence?: unknown;
    };
    const plan = current.releasePlan ?? null;
    const reachesPlan = !environments || (plan !== null && environments.includes(plan.environment));
    const chosen = action ?? plan?.onRegression ?? 'kill';
    if (chosen === 'previous_stage' && (!plan || plan.current === 0)) {
      throw new ConflictError('no_previous_stage', 'there is no earlier release stage to go back to', {
        field: 'action',
      });
    }
    const releasePlan =
      plan && reachesPlan && plan.status !== 'rolled_back'
        ? rollBackPlan(plan, now, chosen, evidence ?? null)
        : plan;
    if (chosen === 'previous_stage') return { ...current, releasePlan };
    if (environments) {
      return {
        ...current,
        releasePlan,
        disabledIn: [...new Set([...(current.disabledIn ?? []), ...environments])],
      };
    }
    return { ...current, enabled: false, releasePlan };
  },
};

const gateActions: KindAction<StoredGate>[] = [
  {
    name: 'disable',
    summary: 'Kill switch: turn a gate off (everyone gets the default), everywhere or in `environments`',
    body: z.object({ environments: environmentsField }),
    apply(current, body) {
      const { environments } = body as { environments?: string[] };
      if (!environments) return { ...current, enabled: false };
      return { ...current, disabledIn: [...new Set([...(current.disabledIn ?? []), ...environments])] };
    },
  },
  {
    name: 'enable',
    summary: 'Turn a gate back on, everywhere or in `environments`',
    body: z.object({ environments: environmentsField }),
    apply(current, body) {
      const { environments } = body as { environments?: string[] };
      if (!environments) return { ...current, enabled: true, disabledIn: [] };
      return {
        ...current,
        disabledIn: (current.disabledIn ?? []).filter((env) => !environments.includes(env)),
      };
    },
  },
  rollbackAction,
  {
    name: 'advance',
    summary: 'Move the release to its next stage (or `stage`, an index)',
    body: z.object({ stage: z.number().int().min(0).optional() }),
    apply: (current, body, now) => ({
      ...current,
      releasePlan: advancePlan(current.releasePlan, now, body.stage as number | undefined),
    }),
  },
  {
    name: 'pause-release',
    summary: 'Stop the release from advancing by itself (the current stage keeps being served)',
    apply: (current) => ({ ...current, releasePlan: pausePlan(current.releasePlan) }),
  },
  {
    name: 'resume-release',
    summary: 'Continue a paused or rolled-back release at its stage (or `stage`); turns the gate back on',
    body: z.object({ stage: z.number().int().min(0).optional() }),
    apply: (current, body, now) => ({
      ...current,
      enabled: true,
      disabledIn: [],
      releasePlan: resumePlan(current.releasePlan, now, body.stage as number | undefined),
    }),
  },
];

export const gateKind: AuthoredKind<StoredGate> = {
  kind: 'gate',
  path: 'gates',
  input: gateInputSchema,
  patch: gatePatchSchema,
  stored: storedGateSchema,
  hasRules: true,
  namespace: 'feature_gates',
  specName: (name) => name,
  references: (stored) => [
    ...saltedRulesBehaviour.references(stored),
    ...releasePlanReferences(stored.releasePlan ?? null),
  ],
  create(input: GateInput, now: number): StoredGate {
    const { releasePlan, ...rest } = input;
    return {
      ...saltedRulesBehaviour.create(rest),
      releasePlan: releasePlan ? createReleasePlan(releasePlan, now, null) : null,
      disabledIn: [],
    };
  },
  update(current: StoredGate, patch: GatePatch, now: number): StoredGate {
    const { releasePlan, ...rest } = patch;
    const next = saltedRulesBehaviour.update(current, rest);
    if (releasePlan === undefined) return next;
    return {
      ...next,
      releasePlan: releasePlan ? createReleasePlan(releasePlan, now, current.releasePlan ?? null) : null,
    };
  },
  async validate(next, writer) {
    for (const [index, stage] of (next.releasePlan?.stages ?? []).entries()) {
      for (const [position, name] of stage.guardrails.entries()) {
        const metric = await writer.get<StoredMetric>('metric', name);
        const field = `releasePlan.stages.${index}.guardrails.${position}`;
        if (!metric) throw new InvalidInputError('unknown_metric', `no metric is named "${name}"`, { field });
        if (!metric.data.guardrail) {
          throw new InvalidInputError(
            'not_a_guardrail',
            `metric "${name}" is not flagged as a guardrail (set "guardrail": true on it)`,
            { field },
          );
        }
      }
    }
  },
  actions: gateActions,
};

/** The gate as a DCS v1 spec for `environment`: rules limited to other environments drop out. */
export function compileGate(gate: StoredGate, environment: string): Spec {
  return {
    name: gate.name,
    type: 'feature_gate',
    entity: 'feature_gate',
    salt: gate.salt,
    enabled: gate.enabled && !(gate.disabledIn ?? []).includes(environment),
    defaultValue: false,
    idType: gate.idType,
    rules: compileRules(
      gate.releasePlan ? [...gate.rules, ...releaseRules(gate.releasePlan)] : gate.rules,
      environment,
      gate.idType,
      () => true,
    ),
  };
}
