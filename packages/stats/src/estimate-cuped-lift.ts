/**
 * CUPED (Deng, Xu, Kohavi & Walker 2013) for mean and conversion metrics, as GrowthBook computes
 * it (stats-methods.md §3.1, §3.2): θ from the two arms pooled, adjusted means ȳ − θx̄, and the
 * relative lift over the unadjusted control mean.
 */

import { NEGLIGIBLE_VARIANCE_FRACTION, sampleCovariance, sampleVariance } from './arm-summary.js';
import { checkFiniteEffect, type EffectEstimate, type LiftEstimates, SCALE } from './estimate-lift.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import type { CupedMeanStats } from './sufficient-statistics.js';
import { checkCount, checkFinite, firstProblem } from './validate.js';

export const METRIC_KIND = { mean: 'mean', proportion: 'proportion' } as const;
export type MetricKind = (typeof METRIC_KIND)[keyof typeof METRIC_KIND];

export interface CupedOptions {
  /**
   * `mean` (default): sample (n − 1) variances and covariance. `proportion`: post and pre values
   * are 0/1; variances p(1 − p) and covariance Σxy/n − ΣxΣy/n² (divisor n), as GrowthBook does.
   */
  readonly kind?: MetricKind;
}

/** One arm after adjustment. */
export interface CupedArm {
  readonly n: number;
  /** ȳ, unadjusted. */
  readonly mean: number;
  /** ȳ − θ x̄ */
  readonly adjustedMean: number;
  /** s²_y, unadjusted unit variance. */
  readonly variance: number;
  /** s²_y + θ² s²_x − 2θ s_xy ≈ s²_y (1 − ρ²) */
  readonly adjustedVariance: number;
}

export interface CupedLiftEstimates extends LiftEstimates {
  /** cov(y, x) / var(x) on both arms pooled; 0 when either pooled variance is 0 (no adjustment). */
  readonly theta: number;
  readonly control: CupedArm;
  readonly treatment: CupedArm;
}

interface Moments {
  readonly n: number;
  readonly meanY: number;
  readonly meanX: number;
  readonly varY: number;
  readonly varX: number;
  readonly covXY: number;
}

function moments(stats: CupedMeanStats, kind: MetricKind): Moments {
  const { n } = stats;
  const meanY = stats.sum / n;
  const meanX = stats.sumPre / n;
  if (kind === METRIC_KIND.proportion) {
    return {
      n,
      meanY,
      meanX,
      varY: meanY * (1 - meanY),
      varX: meanX * (1 - meanX),
      covXY: stats.sumXPre / n - meanY * meanX,
    };
  }
  return {
    n,
    meanY,
    meanX,
    varY: sampleVariance(n, stats.sum, stats.sumSquares),
    varX: sampleVariance(n, stats.sumPre, stats.sumPre2),
    covXY: sampleCovariance(n, stats.sum, stats.sumPre, stats.sumXPre),
  };
}

function checkCupedStats(label: string, stats: CupedMeanStats, kind: MetricKind): string | null {
  if (typeof stats !== 'object' || stats === null) return `${label} must be an object`;
  return firstProblem(
    checkCount(`${label}.n`, stats.n),
    ...(['sum', 'sumSquares', 'sumPre', 'sumPre2', 'sumXPre'] as const).map((key) =>
      checkFinite(`${label}.${key}`, stats[key]),
    ),
    stats.sumSquares < 0 || stats.sumPre2 < 0 ? `${label}: sums of squares must not be negative` : null,
    kind === METRIC_KIND.proportion &&
      (stats.sumSquares !== stats.sum ||
        stats.sumPre2 !== stats.sumPre ||
        stats.sum < 0 ||
        stats.sum > stats.n ||
        stats.sumPre < 0 ||
        stats.sumPre > stats.n)
      ? `${label}: a proportion has 0/1 values, so sums of squares equal sums and lie in [0, n]`
      : null,
  );
}

function pooled(control: CupedMeanStats, treatment: CupedMeanStats): CupedMeanStats {
  return {
    n: control.n + treatment.n,
    sum: control.sum + treatment.sum,
    sumSquares: control.sumSquares + treatment.sumSquares,
    sumPre: control.sumPre + treatment.sumPre,
    sumPre2: control.sumPre2 + treatment.sumPre2,
    sumXPre: control.sumXPre + treatment.sumXPre,
  };
}

/** θ = cov(y, x)/var(x) over both arms pooled; 0 if either pooled variance is 0. */
export function estimateCupedTheta(
  control: CupedMeanStats,
  treatment: CupedMeanStats,
  options: CupedOptions = {},
): number {
  const all = moments(pooled(control, treatment), options.kind ?? METRIC_KIND.mean);
  if (!(all.varX > 0) || !(all.varY > 0)) return 0;
  return all.covXY / all.varX;
}

/**
 * Absolute and relative lift with CUPED. The relative lift is (ȳ_T^adj − ȳ_C^adj)/|ȳ_C| with
 * the unadjusted control mean below, and its variance is GrowthBook's delta method over
 * (ȳ_T, x̄_T, ȳ_C, x̄_C):
 *   se² = σ²_T,adj/(n_T ȳ_C²) + (ȳ_T²/ȳ_C² s²_y,C − 2θ ȳ_T/ȳ_C s_xy,C + θ² s²_x,C)/(n_C ȳ_C²),
 * which drops the θ(x̄_T − x̄_C) term of the exact control derivative (≈ 0 under randomization).
 * Welch's ν uses the adjusted unit variances.
 *
 * @example
 * const lift = estimateCupedLift(
 *   { n: 1000, sum: 5200, sumSquares: 41000, sumPre: 5000, sumPre2: 38000, sumXPre: 36000 },
 *   { n: 1000, sum: 5600, sumSquares: 45000, sumPre: 5050, sumPre2: 38500, sumXPre: 38000 },
 * );
 * testLift(lift, { alpha: 0.05 });
 */
export function estimateCupedLift(
  control: CupedMeanStats,
  treatment: CupedMeanStats,
  options: CupedOptions = {},
): Outcome<CupedLiftEstimates> {
  const kind = options.kind ?? METRIC_KIND.mean;
  if (kind !== METRIC_KIND.mean && kind !== METRIC_KIND.proportion) {
    return unavailable(STATUS.invalidInput, 'kind must be "mean" or "proportion"');
  }
  const problem = checkCupedStats('control', control, kind) ?? checkCupedStats('treatment', treatment, kind);
  if (problem) return unavailable(STATUS.invalidInput, problem);
  if (control.n < 2 || treatment.n < 2) {
    return unavailable(STATUS.insufficientData, 'each arm needs at least 2 units');
  }
  const theta = estimateCupedTheta(control, treatment, { kind });
  const c = moments(control, kind);
  const t = moments(treatment, kind);
  const adjust = (m: Moments): CupedArm => ({
    n: m.n,
    mean: m.meanY,
    adjustedMean: m.meanY - theta * m.meanX,
    variance: m.varY,
    adjustedVariance: Math.max(0, m.varY + theta * theta * m.varX - 2 * theta * m.covXY),
  });
  const controlArm = adjust(c);
  const treatmentArm = adjust(t);
  const negligible = (arm: CupedArm) => !(arm.adjustedVariance > NEGLIGIBLE_VARIANCE_FRACTION * arm.variance);
  if (negligible(controlArm) || negligible(treatmentArm)) {
    return unavailable(STATUS.zeroVariance, 'an arm has zero (adjusted) variance; no interval can be formed');
  }
  const vc = controlArm.adjustedVariance / c.n;
  const vt = treatmentArm.adjustedVariance / t.n;
  const degreesOfFreedom = (vt + vc) ** 2 / ((vt * vt) / (t.n - 1) + (vc * vc) / (c.n - 1));
  const common = { degreesOfFreedom, sampleSize: c.n + t.n, baselineMean: c.meanY };
  const difference = treatmentArm.adjustedMean - controlArm.adjustedMean;
  const absolute: EffectEstimate = {
    scale: SCALE.absolute,
    estimate: difference,
    standardError: Math.sqrt(vt + vc),
    ...common,
  };
  let relative: Outcome<EffectEstimate>;
  if (c.meanY === 0) {
    relative = unavailable(STATUS.zeroBaseline, 'the control mean is 0; a relative lift is undefined');
  } else {
    const r = t.meanY / c.meanY;
    const controlPart = (r * r * c.varY - 2 * theta * r * c.covXY + theta * theta * c.varX) / c.n;
    const variance = Math.max(0, vt + controlPart) / (c.meanY * c.meanY);
    relative = {
      status: STATUS.ok,
      scale: SCALE.relative,
      estimate: difference / Math.abs(c.meanY),
      standardError: Math.sqrt(variance),
      ...common,
    };
  }
  return {
    status: STATUS.ok,
    absolute: checkFiniteEffect({ status: STATUS.ok, ...absolute }),
    relative: checkFiniteEffect(relative),
    theta,
    control: controlArm,
    treatment: treatmentArm,
  };
}
