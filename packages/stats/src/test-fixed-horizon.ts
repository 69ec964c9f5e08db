/**
 * The fixed-horizon test (stats-methods.md §2.3): Welch's t with Welch–Satterthwaite degrees of
 * freedom, or the normal (z) test. Valid for one look at a sample size fixed in advance; use
 * testConfidenceSequence when results are watched as they come in.
 */

import type { EffectEstimate, EffectInput } from './estimate-lift.js';
import {
  ALTERNATIVE,
  type Alternative,
  checkAlternative,
  checkEffect,
  type InferenceResult,
} from './inference-result.js';
import { normalQuantile, normalSf } from './normal-distribution.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import { studentTQuantile, studentTSf } from './student-t-distribution.js';
import { checkProbability, firstProblem } from './validate.js';

export const REFERENCE_DISTRIBUTION = {
  /** Welch t when ν < 100, else the normal (Statsig's rule). */
  auto: 'auto',
  /** Welch t always (GrowthBook). */
  t: 't',
  /** Normal always (Eppo). */
  normal: 'normal',
} as const;
export type ReferenceDistribution = (typeof REFERENCE_DISTRIBUTION)[keyof typeof REFERENCE_DISTRIBUTION];

/** Under `auto`, Welch's t is used below this many degrees of freedom. */
export const AUTO_T_BELOW_DF = 100;

export interface FixedHorizonOptions {
  /** Significance level; the interval has coverage 1 − α. Default 0.05. */
  readonly alpha?: number;
  readonly alternative?: Alternative;
  /** Default `auto`. */
  readonly distribution?: ReferenceDistribution;
}

export interface FixedHorizonResult extends InferenceResult {
  readonly method: 'fixed-horizon';
  readonly distribution: 't' | 'normal';
  /** ν of the t reference, Infinity for the normal. */
  readonly degreesOfFreedom: number;
  /** estimate / standardError */
  readonly statistic: number;
}

/**
 * Two-sided: p = 2 P(T > |t|), interval estimate ± q(1 − α/2)·se. Greater: p = P(T > t),
 * interval [estimate − q(1 − α)·se, ∞). Less: p = P(T < t), interval (−∞, estimate + q(1 − α)·se].
 *
 * @example
 * const lift = estimateLift(summarizeProportion({ n: 5000, sum: 500 }), summarizeProportion({ n: 5000, sum: 560 }));
 * if (lift.status === 'ok' && lift.relative.status === 'ok') testFixedHorizon(lift.relative, { alpha: 0.05 });
 */
export function testFixedHorizon(
  effect: EffectInput,
  options: FixedHorizonOptions = {},
): Outcome<FixedHorizonResult> {
  const failed = checkEffect(effect);
  if (failed) return failed;
  const e = effect as EffectEstimate;
  const alpha = options.alpha ?? 0.05;
  const alternative = options.alternative ?? ALTERNATIVE.twoSided;
  const choice = options.distribution ?? REFERENCE_DISTRIBUTION.auto;
  const problem = firstProblem(
    checkProbability('alpha', alpha),
    checkAlternative(alternative),
    choice === 'auto' || choice === 't' || choice === 'normal'
      ? null
      : 'distribution must be "auto", "t" or "normal"',
  );
  if (problem) return unavailable(STATUS.invalidInput, problem);

  const useT = choice === 't' || (choice === 'auto' && e.degreesOfFreedom < AUTO_T_BELOW_DF);
  const df = useT ? e.degreesOfFreedom : Number.POSITIVE_INFINITY;
  const sf = (x: number) => (useT ? studentTSf(x, df) : normalSf(x));
  /** The upper-q critical value, q(1 − p) = −q(p), computed from the small tail p. */
  const critical = (p: number) => -(useT ? studentTQuantile(p, df) : normalQuantile(p));

  const statistic = e.estimate / e.standardError;
  let pValue: number;
  let interval: readonly [number, number];
  if (alternative === ALTERNATIVE.twoSided) {
    pValue = Math.min(1, 2 * sf(Math.abs(statistic)));
    const halfWidth = critical(alpha / 2) * e.standardError;
    interval = [e.estimate - halfWidth, e.estimate + halfWidth];
  } else if (alternative === ALTERNATIVE.greater) {
    pValue = sf(statistic);
    interval = [e.estimate - critical(alpha) * e.standardError, Number.POSITIVE_INFINITY];
  } else {
    pValue = sf(-statistic);
    interval = [Number.NEGATIVE_INFINITY, e.estimate + critical(alpha) * e.standardError];
  }
  return {
    status: STATUS.ok,
    method: 'fixed-horizon',
    scale: e.scale,
    estimate: e.estimate,
    standardError: e.standardError,
    alternative,
    alpha,
    interval,
    pValue,
    significant: pValue < alpha,
    distribution: useT ? 't' : 'normal',
    degreesOfFreedom: df,
    statistic,
  };
}
