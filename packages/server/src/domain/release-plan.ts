import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ConflictError, InvalidInputError } from '../errors.js';
import { entityName, type StoredRule, saltSchema } from './rules.js';
import { SEGMENT_PREFIX } from './segment.js';

/**
 * A gate's release plan: ordered stages (an audience segment such as employees, then growing
 * percentages of everyone else), each with a minimum duration, a minimum number of exposed units
 * and the guardrail metrics that must stay healthy to leave it. The plan owns the gate's last
 * rules: every segment stage reached so far (employees stay in) and the current percentage.
 *
 * Every percentage stage buckets on the plan's one salt, so raising 5% to 25% keeps the first 5%
 * in; each stage has its own rule id, so Pulse (whose gate arms are `<ruleID>:<value>`) compares
 * the units first exposed in that stage: randomised at that stage's split, its own experiment.
 */

export const RELEASE_STATUSES = ['active', 'paused', 'rolled_back', 'completed'] as const;
export const REGRESSION_ACTIONS = ['kill', 'previous_stage'] as const;
export type RegressionAction = (typeof REGRESSION_ACTIONS)[number];

export const stageInputSchema = z
  .object({
    name: z.string().min(1).max(100),
    /** Everyone in this segment passes from this stage on (e.g. `employees`). */
    segment: entityName.optional(),
    /** The share of everyone else who passes, 0-100. */
    percentage: z.number().min(0).max(100).optional(),
    minDurationMinutes: z
      .number()
      .min(0)
      .max(90 * 24 * 60)
      .default(0),
    /** Units exposed to this stage's rule (both arms) before it may be left. */
    minUnits: z.number().int().min(0).default(0),
    /** Metrics (flagged `guardrail`) that must not regress: pass against fail of this stage. */
    guardrails: z.array(entityName).max(20).default([]),
  })
  .superRefine((stage, ctx) => {
    if ((stage.segment === undefined) === (stage.percentage === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['percentage'],
        message: 'a stage has a segment or a percentage',
      });
    }
    if (stage.segment !== undefined && stage.guardrails.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['guardrails'],
        message:
          'a segment stage has no control group to compare against; watch guardrails from a percentage stage',
      });
    }
  });

export const releasePlanInputSchema = z
  .object({
    stages: z.array(stageInputSchema).min(1).max(20),
    /** Where the guardrails are measured (and scheduled stage changes reported). */
    environment: z.string().min(1).default('production'),
    /** Leave a stage by itself once its duration, units and guardrails allow. */
    autoAdvance: z.boolean().default(false),
    /** What a guardrail regression does: turn the gate off, or go back one stage. */
    onRegression: z.enum(REGRESSION_ACTIONS).default('kill'),
    /** False-rollback rate per stage, split over its guardrails. */
    alpha: z.number().gt(0).max(0.2).default(0.05),
    /** Confidence sequences: the number of units at which the interval is tightest. */
    nStar: z.number().int().min(100).max(100_000_000).default(10_000),
    /**
     * Bucketing salt of the percentage stages. Left out, a replaced plan keeps its salt and a new
     * one gets a random one; config as code gives an exported one back.
     */
    salt: saltSchema.optional(),
  })
  .superRefine((plan, ctx) => {
    let highest = -1;
    plan.stages.forEach((stage, index) => {
      if (stage.percentage === undefined) return;
      if (stage.percentage < highest) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', index, 'percentage'],
          message: `lower than an earlier stage's ${highest}%: go back with the rollback action instead`,
        });
      }
      highest = Math.max(highest, stage.percentage);
    });
  });

export type ReleasePlanInput = z.infer<typeof releasePlanInputSchema>;

const storedStageSchema = z.object({
  /** Pulse arm prefix and rule id: unique to this plan and stage. */
  ruleId: z.string(),
  name: z.string(),
  segment: z.string().nullable(),
  percentage: z.number().nullable(),
  minDurationMinutes: z.number(),
  minUnits: z.number(),
  guardrails: z.array(z.string()),
});

export const storedReleasePlanSchema = z.object({
  stages: z.array(storedStageSchema),
  environment: z.string(),
  autoAdvance: z.boolean(),
  onRegression: z.enum(REGRESSION_ACTIONS),
  alpha: z.number(),
  nStar: z.number(),
  /** Bucketing salt of every percentage stage: kept when the plan is replaced, so users stay in. */
  salt: z.string(),
  /** Index of the stage being served. */
  current: z.number().int(),
  stageStartedAt: z.number(),
  status: z.enum(RELEASE_STATUSES),
  /** The last automatic or manual rollback, with the evidence that caused it. */
  lastRollback: z
    .object({
      at: z.number(),
      fromStage: z.number(),
      action: z.enum(REGRESSION_ACTIONS),
      evidence: z.unknown(),
    })
    .nullable(),
});

export type StoredStage = z.infer<typeof storedStageSchema>;
export type StoredReleasePlan = z.infer<typeof storedReleasePlanSchema>;

/** A new plan, starting at its first stage; a replaced plan's salt is kept unless one is given. */
export function createReleasePlan(
  input: ReleasePlanInput,
  now: number,
  previous: StoredReleasePlan | null,
): StoredReleasePlan {
  // Rule ids name Pulse arms: a new plan's stages must not share arms with an old plan's.
  const planId = randomBytes(4).toString('hex');
  return {
    stages: input.stages.map((stage, index) => ({
      ruleId: `release-${planId}-${index + 1}`,
      name: stage.name,
      segment: stage.segment ?? null,
      percentage: stage.percentage ?? null,
      minDurationMinutes: stage.minDurationMinutes,
      minUnits: stage.minUnits,
      guardrails: stage.guardrails,
    })),
    environment: input.environment,
    autoAdvance: input.autoAdvance,
    onRegression: input.onRegression,
    alpha: input.alpha,
    nStar: input.nStar,
    salt: input.salt ?? previous?.salt ?? randomUUID(),
    current: 0,
    stageStartedAt: now,
    status: 'active',
    lastRollback: null,
  };
}

/** The rules the plan adds after the gate's own: segments reached so far, then the current percentage. */
export function releaseRules(plan: StoredReleasePlan): StoredRule[] {
  const reached = plan.stages.slice(0, plan.current + 1);
  const rules: StoredRule[] = reached
    .filter((stage) => stage.segment !== null)
    .map((stage) => ({
      id: stage.ruleId,
      salt: plan.salt,
      name: `Release: ${stage.name}`,
      conditions: [{ type: 'pass_gate', value: `${SEGMENT_PREFIX}${stage.segment}` }],
      passPercentage: 100,
      environments: null,
    }));
  const rollout = [...reached].reverse().find((stage) => stage.percentage !== null);
  if (rollout) {
    rules.push({
      id: rollout.ruleId,
      salt: plan.salt,
      name: `Release: ${rollout.name}`,
      conditions: [{ type: 'public' }],
      passPercentage: rollout.percentage as number,
      environments: null,
    });
  }
  return rules;
}

/** The segment references of a plan, for the existence check of every authored reference. */
export function releasePlanReferences(plan: StoredReleasePlan | null): { name: string; field: string }[] {
  return (plan?.stages ?? []).flatMap((stage, index) =>
    stage.segment === null
      ? []
      : [{ name: `${SEGMENT_PREFIX}${stage.segment}`, field: `releasePlan.stages.${index}.segment` }],
  );
}

function requirePlan(plan: StoredReleasePlan | null | undefined): StoredReleasePlan {
  if (!plan) throw new ConflictError('no_release_plan', 'the gate has no release plan');
  return plan;
}

/** Moves to `stage` (default: the next one); the last stage at 100% completes the plan. */
export function advancePlan(
  plan: StoredReleasePlan | null | undefined,
  now: number,
  stage?: number,
): StoredReleasePlan {
  const current = requirePlan(plan);
  if (current.status === 'rolled_back' || current.status === 'completed') {
    throw new ConflictError(
      'release_not_active',
      `the release is ${current.status.replace('_', ' ')}; resume it at a stage to go on`,
      { status: current.status },
    );
  }
  const target = stage ?? current.current + 1;
  checkStageIndex(current, target, 'stage');
  if (target <= current.current) {
    throw new InvalidInputError('invalid_stage', 'advance moves forward; use rollback to go back', {
      field: 'stage',
    });
  }
  const last = target === current.stages.length - 1 && current.stages[target]?.percentage === 100;
  return { ...current, current: target, stageStartedAt: now, status: last ? 'completed' : 'active' };
}

/** Rolls the release back: the stage before, or (kill) the plan stops where it is and the gate goes off. */
export function rollBackPlan(
  plan: StoredReleasePlan,
  now: number,
  action: StoredReleasePlan['onRegression'],
  evidence: unknown,
): StoredReleasePlan {
  const lastRollback = { at: now, fromStage: plan.current, action, evidence };
  if (action === 'previous_stage' && plan.current > 0) {
    return { ...plan, current: plan.current - 1, stageStartedAt: now, status: 'paused', lastRollback };
  }
  return { ...plan, status: 'rolled_back', lastRollback };
}

/** Continues a paused or rolled-back release, at `stage` (default: where it stopped). */
export function resumePlan(
  plan: StoredReleasePlan | null | undefined,
  now: number,
  stage?: number,
): StoredReleasePlan {
  const current = requirePlan(plan);
  const target = stage ?? current.current;
  checkStageIndex(current, target, 'stage');
  return { ...current, current: target, stageStartedAt: now, status: 'active' };
}

export function pausePlan(plan: StoredReleasePlan | null | undefined): StoredReleasePlan {
  const current = requirePlan(plan);
  if (current.status !== 'active') {
    throw new ConflictError('release_not_active', `the release is ${current.status.replace('_', ' ')}`, {
      status: current.status,
    });
  }
  return { ...current, status: 'paused' };
}

function checkStageIndex(plan: StoredReleasePlan, index: number, field: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= plan.stages.length) {
    throw new InvalidInputError('invalid_stage', `the plan has stages 0 to ${plan.stages.length - 1}`, {
      field,
    });
  }
}
