/**
 * Always-valid inference by the asymptotic confidence sequence of Waudby-Smith et al. (2023),
 * after Howard et al. (2021) — GrowthBook's sequential engine, and Eppo's boundary with a
 * different default tuning (stats-methods.md §4.2). Valid at every sample size at once, so it
 * can be checked after every batch.
 */

import type { EffectEstimate, EffectInput } from './estimate-lift.js';
import {
  ALTERNATIVE,
  type Alternative,
  checkAlternative,
  checkEffect,
  type InferenceResult,
} from './inference-result.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import { checkPositive, checkProbability, firstProblem } from './validate.js';

/** GrowthBook's default N* (the total of both arms at which the sequence is tightest). */
export const DEFAULT_N_STAR = 5000;

export interface ConfidenceSequenceOptions {
  /** Default 0.05. One-sided sequences need α < 0.5. */
  readonly alpha?: number;
  readonly alternative?: Alternative;
  /**
   * N*: the total sample size (both arms) where you expect to decide; the sequence is tightest
   * near it. Fix it before looking. Default 5000 (GrowthBook); Eppo uses 10 000.
   */
  readonly nStar?: number;
  /**
   * The p-value of the previous look at this experiment, so the returned p-value is the running
   * minimum p_t = min(p_{t−1}, p_t) — a true always-valid p-value (GrowthBook reports each look's
   * own value; stats-methods.md §10.5).
   */
  readonly previousPValue?: number;
}

export interface ConfidenceSequenceResult extends InferenceResult {
  readonly method: 'confidence-sequence';
  readonly nStar: number;
  /** The mixing parameter ρ. */
  readonly rho: number;
  /** Half-width of the sequence at this look. */
  readonly halfWidth: number;
  /** This look's p-value before the running minimum. */
  readonly pValueThisLook: number;
}

/** ρ = √((−2 ln α′ + ln(1 − 2 ln α′)) / N*), with α′ = α two-sided and α′ = 2α one-sided. */
export function sequentialRho(alpha: number, nStar: number, alternative: Alternative): number {
  const a = alternative === ALTERNATIVE.twoSided ? alpha : 2 * alpha;
  const logA = Math.log(a);
  return Math.sqrt((-2 * logA + Math.log1p(-2 * logA)) / nStar);
}

/**
 * With N = n_C + n_T, s² = se²·N and ρ from sequentialRho:
 * - two-sided half-width √(s² · 2(Nρ²+1)/(N²ρ²) · ln(√(Nρ²+1)/α)), and
 *   p = min(1, 1/E) with E = exp(ρ²S²/(2(Nρ²+1)))/√(Nρ²+1), S² = N·estimate²/se²;
 * - one-sided half-width √(s² · 2(Nρ²+1)/(N²ρ²) · ln(1 + √(Nρ²+1)/(2α))), bound
 *   [estimate − hw, ∞) for `greater` and (−∞, estimate + hw] for `less`. Its p-value is the α at
 *   which the bound touches 0 with ρ held fixed, which has the closed form
 *   p = √(Nρ²+1) / (2(exp(estimate²/(s²·2(Nρ²+1)/(N²ρ²))) − 1)), capped at 1 (and 1 when the
 *   estimate points the other way). GrowthBook bisects for the same root and clamps it to
 *   [1e-5, 0.4999]; we report the exact value.
 *
 * @example
 * testConfidenceSequence(lift.absolute, { alternative: 'less', nStar: 5000, alpha: 0.05 })
 */
export function testConfidenceSequence(
  effect: EffectInput,
  options: ConfidenceSequenceOptions = {},
): Outcome<ConfidenceSequenceResult> {
  const failed = checkEffect(effect);
  if (failed) return failed;
  const e = effect as EffectEstimate;
  const alpha = options.alpha ?? 0.05;
  const alternative = options.alternative ?? ALTERNATIVE.twoSided;
  const nStar = options.nStar ?? DEFAULT_N_STAR;
  const problem = firstProblem(
    checkProbability('alpha', alpha),
    checkAlternative(alternative),
    alternative !== ALTERNATIVE.twoSided && !(alpha < 0.5) ? 'a one-sided sequence needs alpha < 0.5' : null,
    checkPositive('nStar', nStar),
    Number.isFinite(nStar) ? null : 'nStar must be finite',
    options.previousPValue === undefined
      ? null
      : checkProbability('previousPValue', options.previousPValue, { open: false }),
  );
  if (problem) return unavailable(STATUS.invalidInput, problem);

  const n = e.sampleSize;
  const rho = sequentialRho(alpha, nStar, alternative);
  const nRho2 = n * rho * rho;
  const s2 = e.standardError * e.standardError * n;
  // K = 2(Nρ²+1)/(N²ρ²): the half-width is √(s²·K·log-term).
  const k = (2 * (nRho2 + 1)) / (n * nRho2);
  const logC = 0.5 * Math.log1p(nRho2); // ln √(Nρ²+1)
  const excess = (e.estimate * e.estimate) / (s2 * k);

  let halfWidth: number;
  let pThisLook: number;
  let interval: readonly [number, number];
  if (alternative === ALTERNATIVE.twoSided) {
    halfWidth = Math.sqrt(s2 * k * (logC - Math.log(alpha)));
    interval = [e.estimate - halfWidth, e.estimate + halfWidth];
    pThisLook = Math.exp(Math.min(0, logC - excess));
  } else {
    halfWidth = Math.sqrt(s2 * k * Math.log1p(Math.exp(logC) / (2 * alpha)));
    const towardsAlternative = alternative === ALTERNATIVE.greater ? e.estimate > 0 : e.estimate < 0;
    pThisLook = towardsAlternative ? Math.min(1, Math.exp(logC) / (2 * Math.expm1(excess))) : 1;
    interval =
      alternative === ALTERNATIVE.greater
        ? [e.estimate - halfWidth, Number.POSITIVE_INFINITY]
        : [Number.NEGATIVE_INFINITY, e.estimate + halfWidth];
  }
  const pValue = Math.min(pThisLook, options.previousPValue ?? 1);
  return {
    status: STATUS.ok,
    method: 'confidence-sequence',
    scale: e.scale,
    estimate: e.estimate,
    standardError: e.standardError,
    alternative,
    alpha,
    interval,
    pValue,
    significant: pValue < alpha,
    nStar,
    rho,
    halfWidth,
    pValueThisLook: pThisLook,
  };
}
