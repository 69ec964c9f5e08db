/** Sample ratio mismatch by Pearson's chi-square test (stats-methods.md §6.1). */

import { chiSquareSf } from './chi-square-distribution.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import { checkCountsAndWeights, normalizeWeights } from './srm-weights.js';
import { checkProbability } from './validate.js';

/** p below this flags a mismatch: GrowthBook's and Eppo's default, Statsig's red level. */
export const DEFAULT_SRM_THRESHOLD = 0.001;

export interface SampleRatioResult {
  /** X² = Σ (o_k − E_k)²/E_k */
  readonly statistic: number;
  /** K − 1 */
  readonly degreesOfFreedom: number;
  readonly pValue: number;
  /** E_k = w_k Σo */
  readonly expected: readonly number[];
  /** pValue < threshold */
  readonly mismatch: boolean;
}

/**
 * Pearson's chi-square of observed unit counts against expected weights (any positive
 * numbers, normalised here). With no units at all the result is `insufficient-data`.
 * Repeating this test at every refresh is not sequentially valid, hence the strict 0.001
 * default; testSequentialSampleRatio can be checked after every batch.
 *
 * @example testSampleRatio([1000, 1200], [0.5, 0.5]) // pValue ≈ 2.0e-5, mismatch: true
 */
export function testSampleRatio(
  counts: readonly number[],
  weights: readonly number[],
  options: { readonly threshold?: number } = {},
): Outcome<SampleRatioResult> {
  const threshold = options.threshold ?? DEFAULT_SRM_THRESHOLD;
  const problem = checkCountsAndWeights(counts, weights) ?? checkProbability('threshold', threshold);
  if (problem) return unavailable(STATUS.invalidInput, problem);
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return unavailable(STATUS.insufficientData, 'no units have been counted');
  const expected = normalizeWeights(weights).map((weight) => weight * total);
  let statistic = 0;
  counts.forEach((count, i) => {
    const e = expected[i] ?? 0;
    statistic += ((count - e) * (count - e)) / e;
  });
  const degreesOfFreedom = counts.length - 1;
  const pValue = chiSquareSf(statistic, degreesOfFreedom);
  return { status: STATUS.ok, statistic, degreesOfFreedom, pValue, expected, mismatch: pValue < threshold };
}
