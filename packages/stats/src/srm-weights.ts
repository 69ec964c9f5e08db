/** Shared input checks for the SRM tests: observed unit counts and expected weights per arm. */

import { type Outcome, STATUS, unavailable } from './result.js';
import { checkCount, checkFinite, firstProblem } from './validate.js';

/** The reason the counts and weights cannot be tested, or null. Weights are normalised later. */
export function checkCountsAndWeights(counts: readonly number[], weights: readonly number[]): string | null {
  if (!Array.isArray(counts) || !Array.isArray(weights)) return 'counts and weights must be arrays';
  if (counts.length < 2) return 'at least 2 arms are needed';
  if (counts.length !== weights.length) return 'counts and weights must have the same length';
  return firstProblem(
    ...counts.map((count, i) => checkCount(`counts[${i}]`, count)),
    ...weights.map((weight, i) => checkFinite(`weights[${i}]`, weight)),
    weights.every((weight) => weight > 0)
      ? null
      : 'every expected weight must be positive (drop arms that receive no traffic)',
  );
}

/** Weights scaled to sum to 1. */
export function normalizeWeights(weights: readonly number[]): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return weights.map((weight) => weight / total);
}

/**
 * The expected split of a gate's analysed units, control first (stats-methods.md §6.2).
 * - `balanced` (Statsig's balanced gates, GrowthBook safe rollouts' 50/50 steps): the analysis
 *   compares equal-size slices, so [0.5, 0.5] whatever the pass percentage.
 * - unbalanced: everyone exposed is analysed, so [1 − pass, pass].
 * The expected weights must describe the analysed split, not the gate's percentage.
 */
export function expectedGateWeights(
  passFraction: number,
  { balanced }: { balanced: boolean },
): Outcome<{ weights: readonly [number, number] }> {
  if (!(passFraction > 0 && passFraction < 1)) {
    return unavailable(
      STATUS.invalidInput,
      'passFraction must be in (0, 1): a gate at 0% or 100% has no comparison',
    );
  }
  return { status: STATUS.ok, weights: balanced ? [0.5, 0.5] : [1 - passFraction, passFraction] };
}
