/**
 * One call from arms to answers: estimates both lifts and runs the chosen test on each.
 */

import type { ArmInput, ArmSummary } from './arm-summary.js';
import { isUnavailable, resolveArm } from './arm-summary.js';
import {
  type ConfidenceSequenceOptions,
  type ConfidenceSequenceResult,
  testConfidenceSequence,
} from './confidence-sequence.js';
import { type EffectInput, estimateLift, type LiftEstimates } from './estimate-lift.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import { type FixedHorizonOptions, type FixedHorizonResult, testFixedHorizon } from './test-fixed-horizon.js';

export const METHOD = {
  /** One look at a planned sample size (Welch t / z). */
  fixedHorizon: 'fixed-horizon',
  /** Any number of looks (always-valid confidence sequence, §4.2). */
  confidenceSequence: 'confidence-sequence',
} as const;
export type Method = (typeof METHOD)[keyof typeof METHOD];

export interface TestLiftOptions
  extends FixedHorizonOptions,
    Omit<ConfidenceSequenceOptions, 'previousPValue' | 'alpha' | 'alternative'> {
  /** Default `fixed-horizon`. */
  readonly method?: Method;
  /** Running minimum over looks, per scale (confidence sequences only). */
  readonly previousPValues?: { readonly absolute?: number; readonly relative?: number };
}

export type LiftTest = FixedHorizonResult | ConfidenceSequenceResult;

export interface LiftTestResult {
  readonly absolute: Outcome<LiftTest>;
  readonly relative: Outcome<LiftTest>;
}

export interface ArmComparison extends LiftTestResult {
  readonly control: ArmSummary;
  readonly treatment: ArmSummary;
}

function testOne(
  effect: EffectInput,
  options: TestLiftOptions,
  previousPValue: number | undefined,
): Outcome<LiftTest> {
  if ((options.method ?? METHOD.fixedHorizon) === METHOD.confidenceSequence) {
    return testConfidenceSequence(effect, { ...options, previousPValue });
  }
  return testFixedHorizon(effect, options);
}

/** Runs the chosen test on both lifts of an estimateLift / estimateCupedLift result. */
export function testLift(
  lift: Outcome<LiftEstimates>,
  options: TestLiftOptions = {},
): Outcome<LiftTestResult> {
  if (typeof lift !== 'object' || lift === null)
    return unavailable(STATUS.invalidInput, 'lift must be an object');
  if (lift.status !== STATUS.ok) return lift;
  const method = options.method ?? METHOD.fixedHorizon;
  if (method !== METHOD.fixedHorizon && method !== METHOD.confidenceSequence) {
    return unavailable(STATUS.invalidInput, 'method must be "fixed-horizon" or "confidence-sequence"');
  }
  return {
    status: STATUS.ok,
    absolute: testOne(lift.absolute, options, options.previousPValues?.absolute),
    relative: testOne(lift.relative, options, options.previousPValues?.relative),
  };
}

/**
 * Compares a treatment arm with a control arm: absolute and relative lift, each with a p-value
 * and an interval. Arms come from summarizeMean / summarizeProportion / summarizeRatio /
 * summarizeQuantile (a failed summary is passed through).
 *
 * @example
 * const result = compareArms(
 *   summarizeProportion({ n: 10_000, sum: 1_000 }),
 *   summarizeProportion({ n: 10_000, sum: 1_100 }),
 *   { alpha: 0.05 },
 * );
 * if (result.status === 'ok' && result.relative.status === 'ok') {
 *   result.relative.estimate; // 0.1 (+10%)
 *   result.relative.interval; // ≈ [0.011, 0.189]
 *   result.relative.pValue; // ≈ 0.028
 * }
 */
export function compareArms(
  control: ArmInput,
  treatment: ArmInput,
  options: TestLiftOptions = {},
): Outcome<ArmComparison> {
  const c = resolveArm('control', control);
  if (isUnavailable(c)) return c;
  const t = resolveArm('treatment', treatment);
  if (isUnavailable(t)) return t;
  const tested = testLift(estimateLift(c, t), options);
  if (tested.status !== STATUS.ok) return tested;
  return { ...tested, control: c, treatment: t };
}
