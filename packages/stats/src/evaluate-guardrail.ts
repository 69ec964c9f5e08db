/**
 * Guardrail checks for rollouts: a one-sided test in the harmful direction
 * (stats-methods.md §8.2, GrowthBook safe rollouts; §4.6). Defaults to the always-valid
 * confidence sequence, because guardrails are checked at every refresh.
 */

import {
  type ConfidenceSequenceResult,
  DEFAULT_N_STAR,
  testConfidenceSequence,
} from './confidence-sequence.js';
import { DIRECTION, type Direction } from './direction.js';
import type { EffectEstimate, EffectInput } from './estimate-lift.js';
import { ALTERNATIVE, checkEffect } from './inference-result.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import {
  type FixedHorizonResult,
  type ReferenceDistribution,
  testFixedHorizon,
} from './test-fixed-horizon.js';
import { METHOD, type Method } from './test-lift.js';
import { checkFinite, firstProblem } from './validate.js';

export interface GuardrailOptions {
  /** The good direction of the metric (the metric catalogue's `direction`). */
  readonly direction: Direction;
  /** Default 0.05 per guardrail; use α/k for k guardrails to bound the family-wise rate (§8.5). */
  readonly alpha?: number;
  /** Default `confidence-sequence` (peeking-safe). */
  readonly method?: Method;
  /** N* for the confidence sequence. Default 5000. */
  readonly nStar?: number;
  /** Reference distribution for `fixed-horizon`. */
  readonly distribution?: ReferenceDistribution;
  /**
   * Tolerated harm, ≥ 0, on the effect's scale (e.g. 0.02 for a 2% relative drop). Default 0:
   * any statistically certain harm is a regression, as in GrowthBook.
   */
  readonly margin?: number;
  /** The previous look's p-value (confidence sequence only): the running minimum is kept. */
  readonly previousPValue?: number;
}

export interface GuardrailResult {
  /** `regression` when the one-sided bound lies beyond the margin on the harmful side (p < α). */
  readonly verdict: 'regression' | 'no-regression-detected';
  /** The bound that decides: the upper bound for `increase`, the lower bound for `decrease`. */
  readonly bound: number;
  /** p-value of H₀: harm ≤ margin. */
  readonly pValue: number;
  readonly test: FixedHorizonResult | ConfidenceSequenceResult;
}

/**
 * Higher-is-better metrics get the "treatment lesser" test, regression when the upper bound is
 * below −margin; lower-is-better metrics the "treatment greater" test, regression when the lower
 * bound is above +margin.
 *
 * @example evaluateGuardrail(lift.relative, { direction: 'decrease', alpha: 0.05 / 3 })
 */
export function evaluateGuardrail(effect: EffectInput, options: GuardrailOptions): Outcome<GuardrailResult> {
  const failed = checkEffect(effect);
  if (failed) return failed;
  const e = effect as EffectEstimate;
  if (typeof options !== 'object' || options === null) {
    return unavailable(STATUS.invalidInput, 'options with a direction are required');
  }
  const margin = options.margin ?? 0;
  const method = options.method ?? METHOD.confidenceSequence;
  const problem = firstProblem(
    options.direction === DIRECTION.increase || options.direction === DIRECTION.decrease
      ? null
      : 'direction must be "increase" or "decrease"',
    checkFinite('margin', margin),
    margin < 0 ? 'margin must not be negative' : null,
    method === METHOD.fixedHorizon || method === METHOD.confidenceSequence
      ? null
      : 'method must be "fixed-horizon" or "confidence-sequence"',
  );
  if (problem) return unavailable(STATUS.invalidInput, problem);

  const higherIsBetter = options.direction === DIRECTION.increase;
  // Shift by the margin so the test's null is "harm ≤ margin"; shift the bound back afterwards.
  const shift = higherIsBetter ? margin : -margin;
  const shifted: EffectEstimate = { ...e, estimate: e.estimate + shift };
  const alternative = higherIsBetter ? ALTERNATIVE.less : ALTERNATIVE.greater;
  const test =
    method === METHOD.confidenceSequence
      ? testConfidenceSequence(shifted, {
          alpha: options.alpha,
          alternative,
          nStar: options.nStar ?? DEFAULT_N_STAR,
          previousPValue: options.previousPValue,
        })
      : testFixedHorizon(shifted, { alpha: options.alpha, alternative, distribution: options.distribution });
  if (test.status !== STATUS.ok) return test;
  const shiftedBound = higherIsBetter ? test.interval[1] : test.interval[0];
  // p < α is the same event as the bound crossing −margin at this look; with previousPValue it
  // also keeps a regression seen at an earlier look (still valid: the guarantee is uniform in time).
  const regression = test.significant;
  const unshift = (x: number) => x - shift;
  return {
    status: STATUS.ok,
    verdict: regression ? 'regression' : 'no-regression-detected',
    bound: unshift(shiftedBound),
    pValue: test.pValue,
    test: {
      ...test,
      estimate: e.estimate,
      interval: [unshift(test.interval[0]), unshift(test.interval[1])],
    },
  };
}
