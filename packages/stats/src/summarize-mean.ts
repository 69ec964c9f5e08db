/** Per-arm summaries of mean, count, sum and conversion metrics from their sufficient statistics. */

import { type ArmSummary, sampleVariance } from './arm-summary.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import type { MeanStats } from './sufficient-statistics.js';
import { checkCount, checkFinite, firstProblem } from './validate.js';

function checkMeanStats(stats: MeanStats): string | null {
  if (typeof stats !== 'object' || stats === null) return 'stats must be an object';
  return firstProblem(
    checkCount('n', stats.n),
    checkFinite('sum', stats.sum),
    checkFinite('sumSquares', stats.sumSquares),
    stats.sumSquares < 0 ? 'sumSquares must not be negative' : null,
  );
}

/**
 * Mean of per-unit values with the sample variance (n − 1 divisor) as unit variance.
 * Use it for mean, count and sum metrics (units without events count as 0).
 *
 * @example summarizeMean({ n: 4, sum: 10, sumSquares: 30 }) // { status: 'ok', n: 4, mean: 2.5, variance: 5/3 }
 */
export function summarizeMean(stats: MeanStats): Outcome<ArmSummary> {
  const problem = checkMeanStats(stats);
  if (problem) return unavailable(STATUS.invalidInput, problem);
  if (stats.n < 2) return unavailable(STATUS.insufficientData, `${stats.n} units; at least 2 are needed`);
  return {
    status: STATUS.ok,
    n: stats.n,
    mean: stats.sum / stats.n,
    variance: sampleVariance(stats.n, stats.sum, stats.sumSquares),
  };
}

/**
 * A conversion rate p = sum / n (per-unit values 0 or 1) with GrowthBook's unit variance
 * p(1 − p), which has no n/(n − 1) correction (stats-methods.md §1.2). `sumSquares` may be
 * omitted; if given it must equal `sum`.
 *
 * @example summarizeProportion({ n: 1000, sum: 120 }) // { status: 'ok', n: 1000, mean: 0.12, variance: 0.1056 }
 */
export function summarizeProportion(stats: {
  n: number;
  sum: number;
  sumSquares?: number;
}): Outcome<ArmSummary> {
  if (typeof stats !== 'object' || stats === null)
    return unavailable(STATUS.invalidInput, 'stats must be an object');
  const problem = firstProblem(
    checkCount('n', stats.n),
    checkFinite('sum', stats.sum),
    stats.sum < 0 || stats.sum > stats.n ? 'sum (conversions) must be between 0 and n' : null,
    stats.sumSquares !== undefined && stats.sumSquares !== stats.sum
      ? 'a conversion metric has values 0 or 1, so sumSquares must equal sum'
      : null,
  );
  if (problem) return unavailable(STATUS.invalidInput, problem);
  if (stats.n < 2) return unavailable(STATUS.insufficientData, `${stats.n} units; at least 2 are needed`);
  const p = stats.sum / stats.n;
  return { status: STATUS.ok, n: stats.n, mean: p, variance: p * (1 - p) };
}
