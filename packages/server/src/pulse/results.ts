import {
  type ArmSummary,
  computeBayesianEffect,
  estimateCupedLift,
  estimateCupedRatioLift,
  estimateLift,
  evaluateGuardrail,
  type LiftEstimates,
  METHOD,
  type Outcome,
  summarizeMean,
  summarizeProportion,
  summarizeRatio,
  testLift,
  testSampleRatio,
} from '@switchyard/stats';
import type { StoredMetric } from '../domain/metric.js';
import { type ArmStats, emptyArmStats } from './arm-stats.js';

export interface PulseOptions {
  alpha: number;
  /**
   * CUPED: each unit's value over the 14 days before its exposure as the covariate; ratio and
   * mean metrics adjust by the pre-period ratio (numerator and denominator), with the delta method.
   */
  cuped: boolean;
  /** Always-valid confidence sequences (safe to peek at) instead of a fixed-horizon test. */
  sequential: boolean;
  /** Confidence sequences: the sample size the interval is tightest at. */
  nStar?: number;
}

/** One side of a comparison: an arm's label and stats by metric. */
export interface PulseArm {
  /** The stored arm (`<rule>:<value>` for gates, the group's rule id for experiments). */
  arm: string;
  /** What people call it: `pass` / `fail`, or the group name. */
  name: string;
  stats: ReadonlyMap<string, ArmStats>;
}

interface Interval {
  estimate: number;
  interval: readonly [number, number];
  pValue: number;
  significant: boolean;
}

export interface MetricResult {
  metric: string;
  type: StoredMetric['type'];
  direction: StoredMetric['direction'];
  guardrail: boolean;
  control: { units: number; mean: number | null };
  treatment: { units: number; mean: number | null };
  absolute: Interval | null;
  relative: Interval | null;
  /** Whether CUPED was applied (asked for, and pre-period data in both arms that moved the estimate). */
  cuped: boolean;
  sequential: boolean;
  /** `improved` / `regressed`: significant in the good / bad direction; `neutral` otherwise. */
  verdict: 'improved' | 'regressed' | 'neutral' | 'unavailable';
  /** Guardrails: a one-sided test in the harmful direction. */
  guardrailRegression: boolean | null;
  /**
   * Guardrails: the one-sided bound of the absolute lift that decides (the lower bound of the
   * change for lower-is-better metrics, the upper for higher-is-better); a regression when it
   * lies on the harmful side of 0.
   */
  guardrailBound: number | null;
  /**
   * Bayesian view of the relative lift (flat prior, GrowthBook's default): the chance that the
   * treatment is better (in the metric's direction) and the expected loss of shipping each arm.
   */
  bayesian: { chanceToWin: number; risk: { control: number; treatment: number } } | null;
  /** Why there is no interval (too few units, zero variance...). */
  reason?: string;
}

function armSummary(metric: StoredMetric, stats: ArmStats): Outcome<ArmSummary> {
  if (metric.type === 'ratio' || metric.type === 'mean') {
    return summarizeRatio({
      n: stats.n,
      sumX: stats.sumY,
      sumY: stats.sumD,
      sumX2: stats.sumY2,
      sumY2: stats.sumD2,
      sumXY: stats.sumYD,
    });
  }
  if (metric.type === 'conversion') return summarizeProportion({ n: stats.n, sum: stats.sumY });
  return summarizeMean({ n: stats.n, sum: stats.sumY, sumSquares: stats.sumY2 });
}

/**
 * The CUPED-adjusted lift, or null to show the plain one: CUPED not possible (no pre-period
 * data in an arm, or θ = 0 so nothing would change) or not computable.
 */
function cupedLift(
  metric: StoredMetric,
  control: ArmStats,
  treatment: ArmStats,
): Outcome<LiftEstimates> | null {
  if (metric.type === 'ratio' || metric.type === 'mean') {
    // The covariate is the pre-period ratio: without a pre-period denominator in an arm there
    // is no such ratio to adjust by (stats falls back to θ = 0, the plain analysis).
    if (control.sumE === 0 || treatment.sumE === 0) return null;
    const lift = estimateCupedRatioLift(cupedRatioStats(control), cupedRatioStats(treatment));
    return lift.status === 'ok' && lift.theta !== 0 ? lift : null;
  }
  // No pre-period data in either arm: nothing to adjust with.
  if (control.sumX2 === 0 && treatment.sumX2 === 0) return null;
  const cuped = (stats: ArmStats) => ({
    n: stats.n,
    sum: stats.sumY,
    sumSquares: stats.sumY2,
    sumPre: stats.sumX,
    sumPre2: stats.sumX2,
    sumXPre: stats.sumXY,
  });
  const lift = estimateCupedLift(cuped(control), cuped(treatment), {
    kind: metric.type === 'conversion' ? 'proportion' : 'mean',
  });
  return lift.status === 'ok' ? lift : null;
}

/**
 * An arm of a ratio metric in @switchyard/stats' terms, where x / y is the ratio: its x is our
 * post numerator y, its y our post denominator d; xPre our pre numerator x, yPre our pre
 * denominator e.
 */
function cupedRatioStats(stats: ArmStats) {
  return {
    n: stats.n,
    sumX: stats.sumY,
    sumY: stats.sumD,
    sumX2: stats.sumY2,
    sumY2: stats.sumD2,
    sumXY: stats.sumYD,
    sumXPre: stats.sumX,
    sumYPre: stats.sumE,
    sumXPre2: stats.sumX2,
    sumYPre2: stats.sumE2,
    sumXPreYPre: stats.sumXE,
    sumXXPre: stats.sumXY,
    sumYYPre: stats.sumDE,
    sumXYPre: stats.sumYE,
    sumYXPre: stats.sumDX,
  };
}

const EMPTY: ArmStats = emptyArmStats();

/** One metric, treatment against control. */
export function compareMetric(
  metric: StoredMetric,
  controlStats: ArmStats | undefined,
  treatmentStats: ArmStats | undefined,
  options: PulseOptions,
): MetricResult {
  const control = controlStats ?? EMPTY;
  const treatment = treatmentStats ?? EMPTY;
  const controlSummary = armSummary(metric, control);
  const treatmentSummary = armSummary(metric, treatment);
  const mean = (summary: Outcome<ArmSummary>) => (summary.status === 'ok' ? summary.mean : null);
  const base = {
    metric: metric.name,
    type: metric.type,
    direction: metric.direction,
    guardrail: metric.guardrail,
    control: { units: control.n, mean: mean(controlSummary) },
    treatment: { units: treatment.n, mean: mean(treatmentSummary) },
    sequential: options.sequential,
  };
  const adjusted = options.cuped ? cupedLift(metric, control, treatment) : null;
  const lift = adjusted ?? estimateLift(controlSummary, treatmentSummary);
  const method = options.sequential ? METHOD.confidenceSequence : METHOD.fixedHorizon;
  const tested = testLift(lift, {
    alpha: options.alpha,
    method,
    ...(options.nStar && { nStar: options.nStar }),
  });
  if (lift.status !== 'ok' || tested.status !== 'ok') {
    const reason = tested.status !== 'ok' ? tested.reason : 'no estimate';
    return {
      ...base,
      absolute: null,
      relative: null,
      cuped: false,
      verdict: 'unavailable',
      guardrailRegression: null,
      guardrailBound: null,
      bayesian: null,
      reason,
    };
  }
  const interval = (outcome: typeof tested.absolute): Interval | null =>
    outcome.status === 'ok'
      ? {
          estimate: outcome.estimate,
          interval: outcome.interval,
          pValue: outcome.pValue,
          significant: outcome.significant,
        }
      : null;
  const absolute = interval(tested.absolute);
  const good = metric.direction === 'increase' ? 1 : -1;
  const verdict =
    absolute === null
      ? 'unavailable'
      : !absolute.significant
        ? 'neutral'
        : Math.sign(absolute.estimate) === good
          ? 'improved'
          : 'regressed';
  let guardrailRegression: boolean | null = null;
  let guardrailBound: number | null = null;
  if (metric.guardrail) {
    const check = evaluateGuardrail(lift.absolute, {
      direction: metric.direction,
      alpha: options.alpha,
      method,
      ...(options.nStar && { nStar: options.nStar }),
    });
    guardrailRegression = check.status === 'ok' ? check.verdict === 'regression' : null;
    guardrailBound = check.status === 'ok' ? check.bound : null;
  }
  const posterior = computeBayesianEffect(lift.relative, { direction: metric.direction });
  return {
    ...base,
    absolute,
    relative: interval(tested.relative),
    cuped: adjusted !== null,
    verdict,
    guardrailRegression,
    guardrailBound,
    bayesian:
      posterior.status === 'ok' ? { chanceToWin: posterior.chanceToWin, risk: { ...posterior.risk } } : null,
  };
}

export interface SrmResult {
  /** Expected share of each arm (control first), or null when it is not known. */
  expected: readonly number[] | null;
  observed: readonly number[];
  pValue: number | null;
  mismatch: boolean | null;
  reason?: string;
}

/** Sample-ratio check of the arms' unit counts against their expected shares. */
export function checkSampleRatio(counts: readonly number[], weights: readonly number[] | null): SrmResult {
  if (!weights)
    return {
      expected: null,
      observed: counts,
      pValue: null,
      mismatch: null,
      reason: 'expected split unknown',
    };
  const result = testSampleRatio(counts, weights);
  if (result.status !== 'ok') {
    return { expected: weights, observed: counts, pValue: null, mismatch: null, reason: result.reason };
  }
  return { expected: weights, observed: counts, pValue: result.pValue, mismatch: result.mismatch };
}
