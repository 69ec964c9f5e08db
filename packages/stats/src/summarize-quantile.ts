/**
 * Per-arm summary of a quantile metric (p50/p90/p99 latency) by the outer-CI method of
 * Deng, Knoblich & Yu (2018), as GrowthBook does it (stats-methods.md §1.5). The caller sorts the
 * arm's values and fetches the order statistics at the ranks given by quantileRanks.
 */

import type { ArmSummary } from './arm-summary.js';
import { normalQuantile } from './normal-distribution.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import { checkCount, checkFinite, checkProbability, firstProblem } from './validate.js';

export interface QuantileStats {
  /** Observations in the arm. */
  readonly n: number;
  /** Quantile level ν, e.g. 0.9 for p90. */
  readonly level: number;
  /** The sample quantile Y₍⌈nν⌉₎. */
  readonly quantile: number;
  /** Order statistics at the lower and upper ranks of quantileRanks(nStar, …). */
  readonly lower: number;
  readonly upper: number;
  /**
   * The sample size the ranks were computed for (GrowthBook precomputes ranks on the grid
   * 100·2^(k−1) and takes the largest value ≤ n). Defaults to n.
   */
  readonly nStar?: number;
}

/** The 1-based ranks L, U = n(ν ∓ z_{1−α/2} √(ν(1−ν)/n)) of the order statistics to fetch. */
export function quantileRanks(n: number, level: number, alpha = 0.05): { lower: number; upper: number } {
  const z = -normalQuantile(alpha / 2);
  const spread = z * Math.sqrt((level * (1 - level)) / n);
  return { lower: n * (level - spread), upper: n * (level + spread) };
}

/**
 * The quantile with unit variance (nStar/n)(n − 1)((U − L)/(2 z_{0.975}))², so variance/n is the
 * variance of the sample quantile. There is no inference when n ≤ z²ν/(1−ν) or n ≤ z²(1−ν)/ν
 * (e.g. p99 needs n > 380). GrowthBook's variance floor of 1e-5 for n ≥ 100 is not applied:
 * it is not scale-free.
 */
export function summarizeQuantile(stats: QuantileStats): Outcome<ArmSummary> {
  if (typeof stats !== 'object' || stats === null)
    return unavailable(STATUS.invalidInput, 'stats must be an object');
  const nStar = stats.nStar ?? stats.n;
  const problem = firstProblem(
    checkCount('n', stats.n),
    checkProbability('level', stats.level),
    checkFinite('quantile', stats.quantile),
    checkFinite('lower', stats.lower),
    checkFinite('upper', stats.upper),
    checkCount('nStar', nStar),
    stats.upper < stats.lower ? 'upper must not be below lower' : null,
    nStar > stats.n ? 'nStar must not exceed n' : null,
  );
  if (problem) return unavailable(STATUS.invalidInput, problem);
  const z = -normalQuantile(0.025);
  const nu = stats.level;
  if (stats.n < 2 || stats.n <= (z * z * nu) / (1 - nu) || stats.n <= (z * z * (1 - nu)) / nu) {
    return unavailable(STATUS.insufficientData, `${stats.n} observations are too few for the ${nu} quantile`);
  }
  const halfWidth = (stats.upper - stats.lower) / (2 * z);
  const variance = (nStar / stats.n) * (stats.n - 1) * halfWidth * halfWidth;
  return { status: STATUS.ok, n: stats.n, mean: stats.quantile, variance };
}
