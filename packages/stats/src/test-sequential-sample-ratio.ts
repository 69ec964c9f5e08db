/**
 * Sequential sample ratio mismatch (Lindon & Malek 2022; Optimizely's `ssrm`;
 * stats-methods.md §6.3): a Dirichlet-multinomial Bayes factor whose inverse is an
 * always-valid p-value, so it can be checked after every batch without inflating false alarms.
 * The same test on event counts detects rate differences in canaries (§4.5).
 */

import { logGamma, stirlingCorrection } from './gamma-function.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import { checkCountsAndWeights, normalizeWeights } from './srm-weights.js';
import { DEFAULT_SRM_THRESHOLD } from './test-sample-ratio.js';
import { checkPositive, checkProbability, firstProblem } from './validate.js';

/** ssrm's default prior concentration k (the Dirichlet prior is k·p₀). */
export const DEFAULT_CONCENTRATION = 10_000;

export interface SequentialSampleRatioOptions {
  /** k in α = k·p₀. Default 10 000. */
  readonly concentration?: number;
  /** Flag a mismatch when the p-value falls below this. Default 0.001. */
  readonly threshold?: number;
  /** The previous look's p-value; the result is the running minimum min(p_{t−1}, 1/BF_t). */
  readonly previousPValue?: number;
}

export interface SequentialSampleRatioResult {
  /** ln BF₁₀ of "probabilities ~ Dirichlet(k·p₀)" against "probabilities = p₀". */
  readonly logBayesFactor: number;
  /** min(previous, 1/BF) */
  readonly pValue: number;
  readonly pValueThisLook: number;
  readonly mismatch: boolean;
}

const STIRLING_FROM = 10;

/**
 * ln BF = ln Γ(A) − ln Γ(A + n) + Σ_k [ln Γ(α_k + x_k) − ln Γ(α_k)] − Σ_k x_k ln p₀ₖ, A = Σα_k = k.
 *
 * Its terms grow like n ln n while ln BF stays O(ln n) under H₀, so summing them loses digits
 * for large n. When every α_k ≥ 10 we use the algebraically identical form from Stirling's
 * series, with r_k = (x_k − p₀ₖ n)/(p₀ₖ(A + n)):
 *   ln BF = −(K−1)/2 · ln(1 + n/A) + Σ_k (α_k + x_k − ½) ln(1 + r_k)
 *           + Σ_k [δ(α_k + x_k) − δ(α_k)] − [δ(A + n) − δ(A)],
 * where δ is the Stirling remainder: no term is larger than the result needs.
 */
export function logDirichletMultinomialBayesFactor(
  counts: readonly number[],
  probabilities: readonly number[],
  concentration: number,
): number {
  const n = counts.reduce((sum, count) => sum + count, 0);
  const alphas = probabilities.map((p) => concentration * p);
  if (alphas.every((a) => a >= STIRLING_FROM)) {
    let result = -0.5 * (counts.length - 1) * Math.log1p(n / concentration);
    result -= stirlingCorrection(concentration + n) - stirlingCorrection(concentration);
    counts.forEach((x, k) => {
      const a = alphas[k] ?? 0;
      const p = probabilities[k] ?? 0;
      const r = (x - p * n) / (p * (concentration + n));
      result += (a + x - 0.5) * Math.log1p(r) + stirlingCorrection(a + x) - stirlingCorrection(a);
    });
    return result;
  }
  let result = logGamma(concentration) - logGamma(concentration + n);
  counts.forEach((x, k) => {
    const a = alphas[k] ?? 0;
    result += logGamma(a + x) - logGamma(a) - (x === 0 ? 0 : x * Math.log(probabilities[k] ?? 0));
  });
  return result;
}

/**
 * Sequential SRM test on cumulative unit counts. The Bayes factor depends only on the
 * cumulative counts (not on arrival order); pass the previous look's p-value to keep the
 * running minimum.
 *
 * @example testSequentialSampleRatio([1000, 1200], [0.5, 0.5]) // pValue ≈ 0.21 (chi-square: 2.0e-5)
 */
export function testSequentialSampleRatio(
  counts: readonly number[],
  weights: readonly number[],
  options: SequentialSampleRatioOptions = {},
): Outcome<SequentialSampleRatioResult> {
  const concentration = options.concentration ?? DEFAULT_CONCENTRATION;
  const threshold = options.threshold ?? DEFAULT_SRM_THRESHOLD;
  const problem = firstProblem(
    checkCountsAndWeights(counts, weights),
    checkPositive('concentration', concentration),
    Number.isFinite(concentration) ? null : 'concentration must be finite',
    checkProbability('threshold', threshold),
    options.previousPValue === undefined
      ? null
      : checkProbability('previousPValue', options.previousPValue, { open: false }),
  );
  if (problem) return unavailable(STATUS.invalidInput, problem);
  const logBayesFactor = logDirichletMultinomialBayesFactor(counts, normalizeWeights(weights), concentration);
  const pValueThisLook = Math.exp(-Math.max(0, logBayesFactor));
  const pValue = Math.min(pValueThisLook, options.previousPValue ?? 1);
  return { status: STATUS.ok, logBayesFactor, pValue, pValueThisLook, mismatch: pValue < threshold };
}
