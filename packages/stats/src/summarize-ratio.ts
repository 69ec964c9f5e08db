/** Per-arm summary of a ratio metric (Σx / Σy over units) with its delta-method variance. */

import { type ArmSummary, sampleCovariance, sampleVariance } from './arm-summary.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import type { RatioStats } from './sufficient-statistics.js';
import { checkCount, checkFinite, firstProblem } from './validate.js';

export interface RatioSummary extends ArmSummary {
  /** x̄ = Σx / n */
  readonly numeratorMean: number;
  /** ȳ = Σy / n */
  readonly denominatorMean: number;
}

export function checkRatioStats(stats: RatioStats): string | null {
  if (typeof stats !== 'object' || stats === null) return 'stats must be an object';
  return firstProblem(
    checkCount('n', stats.n),
    checkFinite('sumX', stats.sumX),
    checkFinite('sumY', stats.sumY),
    checkFinite('sumX2', stats.sumX2),
    checkFinite('sumY2', stats.sumY2),
    checkFinite('sumXY', stats.sumXY),
    stats.sumX2 < 0 || stats.sumY2 < 0 ? 'sums of squares must not be negative' : null,
  );
}

/**
 * R = Σx / Σy, with the delta-method unit variance (Deng et al. 2018; stats-methods.md §1.3)
 *   σ²_R = s²_x/ȳ² − 2 x̄ s_xy/ȳ³ + x̄² s²_y/ȳ⁴,   Var(R) ≈ σ²_R / n,
 * where s² and s_xy are sample (n − 1) variances and covariance over units. n counts every
 * exposed unit, including those with y = 0 (GrowthBook's convention; Statsig counts only units
 * with y ≠ 0: R is the same, σ²_R differs slightly).
 *
 * @example summarizeRatio({ n: 3, sumX: 2, sumY: 10, sumX2: 2, sumY2: 38, sumXY: 8 }) // R = 0.2
 */
export function summarizeRatio(stats: RatioStats): Outcome<RatioSummary> {
  const problem = checkRatioStats(stats);
  if (problem) return unavailable(STATUS.invalidInput, problem);
  const { n } = stats;
  if (n < 2) return unavailable(STATUS.insufficientData, `${n} units; at least 2 are needed`);
  if (stats.sumY === 0) return unavailable(STATUS.zeroDenominator, 'the denominator sums to 0');
  const xBar = stats.sumX / n;
  const yBar = stats.sumY / n;
  const varX = sampleVariance(n, stats.sumX, stats.sumX2);
  const varY = sampleVariance(n, stats.sumY, stats.sumY2);
  const covXY = sampleCovariance(n, stats.sumX, stats.sumY, stats.sumXY);
  const variance = ratioVariance(xBar, varX, yBar, varY, covXY);
  return {
    status: STATUS.ok,
    n,
    mean: stats.sumX / stats.sumY,
    variance,
    numeratorMean: xBar,
    denominatorMean: yBar,
  };
}

/** Delta-method variance of x̄/ȳ given (co)variances of x and y (any common scaling). */
export function ratioVariance(xBar: number, varX: number, yBar: number, varY: number, covXY: number): number {
  const r = xBar / yBar;
  return Math.max(0, (varX - 2 * r * covXY + r * r * varY) / (yBar * yBar));
}
