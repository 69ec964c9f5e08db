import type { StoredReleasePlan, StoredStage } from '../domain/release-plan.js';
import type { Comparison } from '../services/pulse-results.js';

/** What the guardrail monitor does after one look at a stage. */
export const STAGE_OUTCOMES = { rollback: 'rollback', advance: 'advance', hold: 'hold' } as const;
export type StageOutcome = (typeof STAGE_OUTCOMES)[keyof typeof STAGE_OUTCOMES];

export interface GuardrailEvidence {
  metric: string;
  direction: 'increase' | 'decrease';
  control: { units: number; mean: number | null };
  canary: { units: number; mean: number | null };
  /** Relative lift of the canary (pass) over control (fail), with its always-valid interval. */
  relative: { estimate: number; interval: readonly [number, number] } | null;
  absolute: { estimate: number; interval: readonly [number, number] } | null;
  /** True: a significant move in the harmful direction (one-sided sequential test). */
  regression: boolean | null;
  /**
   * The one-sided, always-valid bound that decides, as a relative change of the control mean:
   * for lower-is-better metrics the canary is at least this much higher; a regression when > 0.
   */
  harmBound: number | null;
  reason?: string;
}

export interface StageAssessment {
  outcome: StageOutcome;
  /** A short word for the console and the checks log. */
  verdict: 'regression' | 'sample_ratio_mismatch' | 'healthy' | 'waiting' | 'no_data' | 'not_measured';
  /** Human sentences: why this outcome. */
  reasons: string[];
  evidence: {
    stage: { index: number; name: string; ruleId: string; percentage: number | null };
    elapsedMinutes: number;
    units: { control: number; canary: number };
    srm: { pValue: number | null; mismatch: boolean | null; observed: readonly number[] } | null;
    guardrails: GuardrailEvidence[];
  };
}

/** Sample-ratio p-values below this stop the guardrails from being read (Statsig's default threshold). */
export const SRM_P_THRESHOLD = 0.01;

/**
 * One look at the current stage of a release. `comparison` is Pulse's result for the stage's
 * rule (its passing units against its failing ones), computed with the plan's alpha split over
 * the stage's guardrails and with always-valid confidence sequences, so looking every minute
 * keeps the false-rollback rate at the plan's alpha. Pure: the monitor and the simulations
 * (tests, bench) call this same function.
 */
export function assessStage(
  plan: StoredReleasePlan,
  comparison: Comparison | undefined,
  now: number,
): StageAssessment {
  const index = plan.current;
  const stage = plan.stages[index] as StoredStage;
  const elapsedMinutes = (now - plan.stageStartedAt) / 60_000;
  const units = {
    control: comparison?.control.units ?? 0,
    canary: comparison?.treatment.units ?? 0,
  };
  const guardrails: GuardrailEvidence[] = stage.guardrails.map((name) => {
    const result = comparison?.metrics.find((metric) => metric.metric === name);
    if (!result) {
      return {
        metric: name,
        direction: 'decrease',
        control: { units: units.control, mean: null },
        canary: { units: units.canary, mean: null },
        relative: null,
        absolute: null,
        regression: null,
        harmBound: null,
        reason: comparison ? 'metric not computed' : 'no exposures yet',
      };
    }
    const interval = (value: typeof result.relative) =>
      value ? { estimate: value.estimate, interval: value.interval } : null;
    return {
      metric: name,
      direction: result.direction,
      control: result.control,
      canary: result.treatment,
      relative: interval(result.relative),
      absolute: interval(result.absolute),
      regression: result.guardrailRegression,
      harmBound:
        result.guardrailBound === null || !result.control.mean
          ? null
          : result.guardrailBound / result.control.mean,
      ...(result.reason !== undefined && { reason: result.reason }),
    };
  });
  const srm = comparison
    ? { pValue: comparison.srm.pValue, mismatch: comparison.srm.mismatch, observed: comparison.srm.observed }
    : null;
  const evidence: StageAssessment['evidence'] = {
    stage: { index, name: stage.name, ruleId: stage.ruleId, percentage: stage.percentage },
    elapsedMinutes,
    units,
    srm,
    guardrails,
  };
  const result = (
    outcome: StageOutcome,
    verdict: StageAssessment['verdict'],
    reasons: string[],
  ): StageAssessment => ({ outcome, verdict, reasons, evidence });

  const ready = readiness(plan, stage, elapsedMinutes, units.canary + units.control);
  if (stage.percentage === null) {
    // A segment stage (employees) has no randomised control to measure against.
    return ready.length === 0 && plan.autoAdvance
      ? result('advance', 'not_measured', ['segment stage: its minimum duration has passed'])
      : result('hold', 'not_measured', ready.length ? ready : ['segment stage: advance by hand']);
  }
  if (!comparison) return result('hold', 'no_data', ['no exposures of this stage yet']);
  if (srm?.pValue !== null && srm?.pValue !== undefined && srm.pValue < SRM_P_THRESHOLD) {
    return result('hold', 'sample_ratio_mismatch', [
      `sample ratio mismatch (p = ${srm.pValue.toExponential(2)}): guardrails are not read until it clears`,
    ]);
  }
  const regressed = guardrails.filter((guardrail) => guardrail.regression === true);
  if (regressed.length > 0) {
    return result(
      'rollback',
      'regression',
      regressed.map((guardrail) => `${guardrail.metric} regressed: ${describeLift(guardrail)}`),
    );
  }
  const unread = guardrails.filter((guardrail) => guardrail.regression === null);
  if (unread.length > 0) ready.push(...unread.map((g) => `${g.metric}: ${g.reason ?? 'not measurable yet'}`));
  if (ready.length > 0) return result('hold', 'waiting', ready);
  return plan.autoAdvance && plan.current < plan.stages.length - 1
    ? result('advance', 'healthy', ['minimum duration and units reached; no guardrail regressed'])
    : result('hold', 'healthy', ['no guardrail regressed']);
}

/** What still keeps the stage from being left (empty: nothing). */
function readiness(
  plan: StoredReleasePlan,
  stage: StoredStage,
  elapsedMinutes: number,
  units: number,
): string[] {
  const waiting: string[] = [];
  if (elapsedMinutes < stage.minDurationMinutes) {
    waiting.push(`${elapsedMinutes.toFixed(1)} of ${stage.minDurationMinutes} minutes`);
  }
  if (stage.percentage !== null && units < stage.minUnits)
    waiting.push(`${units} of ${stage.minUnits} units`);
  if (plan.current >= plan.stages.length - 1) waiting.push('last stage');
  return waiting;
}

export function describeLift(guardrail: GuardrailEvidence): string {
  const relative = guardrail.relative;
  if (!relative) return 'no estimate';
  const percent = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;
  const worse = guardrail.direction === 'decrease' ? 'higher' : 'lower';
  const bound =
    guardrail.harmBound === null || guardrail.regression !== true
      ? ''
      : `, ${worse} by at least ${percent(Math.abs(guardrail.harmBound)).slice(1)} (one-sided always-valid bound)`;
  return `${percent(relative.estimate)}${bound} (canary ${formatMean(guardrail.canary.mean)} over ${guardrail.canary.units} units, control ${formatMean(guardrail.control.mean)} over ${guardrail.control.units})`;
}

function formatMean(mean: number | null): string {
  return mean === null ? 'n/a' : Number(mean.toPrecision(4)).toString();
}
