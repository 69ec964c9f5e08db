/**
 * The Bayesian option (stats-methods.md §5): GrowthBook's "effect" model — a normal likelihood
 * for the estimated lift and a normal prior on the relative lift — with chance to win, risk
 * (expected loss) and a credible interval. Not for auto-rollback: a posterior does not control
 * the false-positive rate under peeking.
 */

import { DIRECTION, type Direction } from './direction.js';
import type { EffectEstimate, EffectInput } from './estimate-lift.js';
import { SCALE } from './estimate-lift.js';
import { checkEffect } from './inference-result.js';
import { normalCdf, normalPdf, normalQuantile } from './normal-distribution.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import { checkFinite, checkPositive, checkProbability, firstProblem } from './validate.js';

/** A normal prior on the relative lift (mean and variance, both as fractions). */
export interface GaussianPrior {
  readonly mean: number;
  readonly variance: number;
}

/** GrowthBook's default proper prior: N(0, 0.3²) on the relative lift. Eppo's is N(0, 0.05²). */
export const GROWTHBOOK_PROPER_PRIOR: GaussianPrior = { mean: 0, variance: 0.3 ** 2 };

export interface BayesianOptions {
  /** Prior on the relative lift; omit (or null) for GrowthBook's default flat, improper prior. */
  readonly prior?: GaussianPrior | null;
  /** The good direction; `decrease` swaps chance to win and the two risks. Default `increase`. */
  readonly direction?: Direction;
  /** For the credible interval (1 − α). Default 0.05. */
  readonly alpha?: number;
}

export interface BayesianResult {
  readonly scale: EffectEstimate['scale'];
  readonly posteriorMean: number;
  readonly posteriorStandardDeviation: number;
  readonly credibleInterval: readonly [number, number];
  /** P(treatment is better) = Φ(μ/σ), or 1 − Φ(μ/σ) when lower is better. */
  readonly chanceToWin: number;
  /**
   * Expected loss of shipping each arm, on the effect's scale: choosing control loses
   * E[max(Δ, 0)] = μΦ(k) + σφ(k), choosing treatment loses E[max(−Δ, 0)] = −μΦ(−k) + σφ(k),
   * k = μ/σ (swapped when lower is better).
   */
  readonly risk: { readonly control: number; readonly treatment: number };
}

/**
 * Posterior precision 1/se² + 1/σ₀², mean (Δ̂/se² + μ₀/σ₀²)/precision. For an absolute effect the
 * relative prior is rescaled by the control mean: μ₀|μ_C|, σ₀²μ_C² (GrowthBook).
 *
 * @example computeBayesianEffect(lift.relative, { prior: GROWTHBOOK_PROPER_PRIOR })
 */
export function computeBayesianEffect(
  effect: EffectInput,
  options: BayesianOptions = {},
): Outcome<BayesianResult> {
  const failed = checkEffect(effect);
  if (failed) return failed;
  const e = effect as EffectEstimate;
  const alpha = options.alpha ?? 0.05;
  const direction = options.direction ?? DIRECTION.increase;
  const prior = options.prior ?? null;
  const problem = firstProblem(
    checkProbability('alpha', alpha),
    direction === DIRECTION.increase || direction === DIRECTION.decrease
      ? null
      : 'direction must be "increase" or "decrease"',
    prior === null ? null : checkFinite('prior.mean', prior.mean),
    prior === null ? null : checkPositive('prior.variance', prior.variance),
  );
  if (problem) return unavailable(STATUS.invalidInput, problem);

  const likelihoodPrecision = 1 / (e.standardError * e.standardError);
  let precision = likelihoodPrecision;
  let weightedMean = e.estimate * likelihoodPrecision;
  if (prior !== null && Number.isFinite(prior.variance)) {
    const scaleFactor = e.scale === SCALE.absolute ? Math.abs(e.baselineMean) : 1;
    const priorMean = prior.mean * scaleFactor;
    const priorVariance = prior.variance * scaleFactor * scaleFactor;
    if (!(priorVariance > 0)) {
      return unavailable(
        STATUS.zeroBaseline,
        'the control mean is 0, so the prior cannot be put on the absolute scale',
      );
    }
    precision += 1 / priorVariance;
    weightedMean += priorMean / priorVariance;
  }
  const mean = weightedMean / precision;
  const sd = 1 / Math.sqrt(precision);
  const k = mean / sd;
  const z = -normalQuantile(alpha / 2);
  const phi = normalPdf(k);
  const lossIfControl = mean * normalCdf(k) + sd * phi; // E[max(Δ, 0)]
  const lossIfTreatment = -mean * normalCdf(-k) + sd * phi; // E[max(−Δ, 0)]
  const higherIsBetter = direction === DIRECTION.increase;
  return {
    status: STATUS.ok,
    scale: e.scale,
    posteriorMean: mean,
    posteriorStandardDeviation: sd,
    credibleInterval: [mean - z * sd, mean + z * sd],
    chanceToWin: higherIsBetter ? normalCdf(k) : normalCdf(-k),
    risk: higherIsBetter
      ? { control: Math.max(0, lossIfControl), treatment: Math.max(0, lossIfTreatment) }
      : { control: Math.max(0, lossIfTreatment), treatment: Math.max(0, lossIfControl) },
  };
}
