/**
 * The mixture sequential probability ratio test (mSPRT; Johari, Koomen, Pekelis & Walsh 2017,
 * Optimizely's Stats Engine), in the normal-approximation form of stats-methods.md §4.3. Same
 * object as the confidence sequence of §4.2 in another parameterisation: here the mixing
 * variance τ² is on the effect's own scale.
 */

import type { EffectEstimate, EffectInput } from './estimate-lift.js';
import { checkEffect, type InferenceResult } from './inference-result.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import { checkFinite, checkPositive, checkProbability, firstProblem } from './validate.js';

export interface MixtureSprtOptions {
  /**
   * τ², the variance of the normal mixing prior N(nullValue, τ²) on the effect (absolute or
   * relative, matching the estimate). Fix it before the experiment; Optimizely fits it to
   * historical effect sizes. Larger τ² catches big effects sooner and small ones later.
   */
  readonly mixingVariance: number;
  /** Default 0.05. */
  readonly alpha?: number;
  /** Δ₀ of H₀. Default 0. */
  readonly nullValue?: number;
  /** The previous look's p-value; the result is the running minimum. */
  readonly previousPValue?: number;
}

export interface MixtureSprtResult extends InferenceResult {
  readonly method: 'msprt';
  /** ln Λₙ */
  readonly logLikelihoodRatio: number;
  readonly pValueThisLook: number;
}

/**
 * With V = se² and τ² the mixing variance:
 *   Λ = √(V/(V+τ²)) · exp(τ²(Δ̂ − Δ₀)²/(2V(V+τ²))),  p = min(p_prev, 1/Λ),
 *   interval Δ̂ ± √(V(V+τ²)/τ² · (−2 ln α + ln((V+τ²)/V))).
 * By Ville's inequality P₀(∃n: Λₙ ≥ 1/α) ≤ α. Two-sided only.
 *
 * @example testMixtureSprt(lift.absolute, { mixingVariance: 0.01 ** 2 })
 */
export function testMixtureSprt(
  effect: EffectInput,
  options: MixtureSprtOptions,
): Outcome<MixtureSprtResult> {
  const failed = checkEffect(effect);
  if (failed) return failed;
  const e = effect as EffectEstimate;
  if (typeof options !== 'object' || options === null) {
    return unavailable(STATUS.invalidInput, 'options with mixingVariance are required');
  }
  const alpha = options.alpha ?? 0.05;
  const nullValue = options.nullValue ?? 0;
  const tau2 = options.mixingVariance;
  const problem = firstProblem(
    checkPositive('mixingVariance', tau2),
    Number.isFinite(tau2) ? null : 'mixingVariance must be finite',
    checkProbability('alpha', alpha),
    checkFinite('nullValue', nullValue),
    options.previousPValue === undefined
      ? null
      : checkProbability('previousPValue', options.previousPValue, { open: false }),
  );
  if (problem) return unavailable(STATUS.invalidInput, problem);

  const v = e.standardError * e.standardError;
  const deviation = e.estimate - nullValue;
  const logRatio = 0.5 * Math.log(v / (v + tau2)) + (tau2 * deviation * deviation) / (2 * v * (v + tau2));
  const pThisLook = Math.exp(-Math.max(0, logRatio));
  const pValue = Math.min(pThisLook, options.previousPValue ?? 1);
  const halfWidth = Math.sqrt(((v * (v + tau2)) / tau2) * (-2 * Math.log(alpha) + Math.log1p(tau2 / v)));
  return {
    status: STATUS.ok,
    method: 'msprt',
    scale: e.scale,
    estimate: e.estimate,
    standardError: e.standardError,
    alternative: 'two-sided',
    alpha,
    interval: [e.estimate - halfWidth, e.estimate + halfWidth],
    pValue,
    significant: pValue < alpha,
    logLikelihoodRatio: logRatio,
    pValueThisLook: pThisLook,
  };
}
