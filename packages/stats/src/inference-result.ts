/** The shape every frequentist test returns, and the options they share. */

import type { EffectEstimate, EffectInput, Scale } from './estimate-lift.js';
import { STATUS, type Unavailable, unavailable } from './result.js';
import { checkFinite, checkPositive, firstProblem } from './validate.js';

export const ALTERNATIVE = {
  /** H₁: the effect is not 0. */
  twoSided: 'two-sided',
  /** H₁: treatment is greater; the interval is [lower, ∞). */
  greater: 'greater',
  /** H₁: treatment is lesser; the interval is (−∞, upper]. */
  less: 'less',
} as const;
export type Alternative = (typeof ALTERNATIVE)[keyof typeof ALTERNATIVE];

export interface InferenceResult {
  readonly method: 'fixed-horizon' | 'confidence-sequence' | 'msprt';
  readonly scale: Scale;
  readonly estimate: number;
  readonly standardError: number;
  readonly alternative: Alternative;
  readonly alpha: number;
  /** A 1 − α interval; one-sided intervals have an infinite end (±Infinity; JSON makes it null). */
  readonly interval: readonly [number, number];
  readonly pValue: number;
  /** True when pValue < alpha (equivalently, the interval excludes 0). */
  readonly significant: boolean;
}

/** Validates an EffectEstimate (or passes a failed one through). */
export function checkEffect(effect: EffectInput): Unavailable | null {
  if (typeof effect !== 'object' || effect === null)
    return unavailable(STATUS.invalidInput, 'effect must be an object');
  if ('status' in effect && effect.status !== STATUS.ok) return effect as Unavailable;
  const e = effect as EffectEstimate;
  const problem = firstProblem(
    e.scale === 'absolute' || e.scale === 'relative' ? null : 'scale must be "absolute" or "relative"',
    checkFinite('estimate', e.estimate),
    checkFinite('baselineMean', e.baselineMean),
    checkPositive('standardError', e.standardError),
    Number.isFinite(e.standardError) ? null : 'standardError must be finite',
    checkPositive('degreesOfFreedom', e.degreesOfFreedom),
    checkPositive('sampleSize', e.sampleSize),
  );
  return problem ? unavailable(STATUS.invalidInput, problem) : null;
}

export function checkAlternative(alternative: unknown): string | null {
  return alternative === ALTERNATIVE.twoSided ||
    alternative === ALTERNATIVE.greater ||
    alternative === ALTERNATIVE.less
    ? null
    : 'alternative must be "two-sided", "greater" or "less"';
}
