/**
 * The per-arm input of every comparison: an estimate and its unit variance, so that
 * Var(estimate) = variance / n (stats-methods.md §2).
 */

import { type Outcome, STATUS, type Unavailable, unavailable } from './result.js';
import { checkCount, checkFinite, firstProblem } from './validate.js';

export interface ArmSummary {
  /** Units in the arm. */
  readonly n: number;
  /** The arm's estimate: a mean, a proportion, a ratio or a quantile. */
  readonly mean: number;
  /** Unit variance σ²; the variance of `mean` is σ²/n. */
  readonly variance: number;
}

/** An ArmSummary, or the outcome of a summarize* call (a failure is passed through). */
export type ArmInput = ArmSummary | Outcome<ArmSummary>;

const EPSILON = 2.220446049250313e-16;

/**
 * Sample variance with the n − 1 divisor, from sums. Σx² − (Σx)²/n cancels, so a result within
 * rounding error of Σx² (e.g. constant values like 0.1 that are not exact in binary) is 0.
 */
export function sampleVariance(n: number, sum: number, sumSquares: number): number {
  const centered = sumSquares - (sum * sum) / n;
  return centered <= 64 * EPSILON * sumSquares ? 0 : centered / (n - 1);
}

/**
 * Adjusted variances (CUPED) below this fraction of the unadjusted variance are rounding noise:
 * the metric is an exact linear function of its covariate (ρ² > 1 − 1e-10).
 */
export const NEGLIGIBLE_VARIANCE_FRACTION = 1e-10;

/** Sample covariance with the n − 1 divisor, from sums. */
export function sampleCovariance(n: number, sumA: number, sumB: number, sumProducts: number): number {
  return (sumProducts - (sumA * sumB) / n) / (n - 1);
}

/** Validates an ArmInput and returns the summary, or why it cannot be used. */
export function resolveArm(label: string, input: ArmInput): ArmSummary | Unavailable {
  if (typeof input !== 'object' || input === null)
    return unavailable(STATUS.invalidInput, `${label} must be an object`);
  if ('status' in input && input.status !== STATUS.ok) {
    return unavailable(input.status, `${label}: ${(input as Unavailable).reason}`);
  }
  const arm = input as ArmSummary;
  const problem = firstProblem(
    checkCount(`${label}.n`, arm.n),
    checkFinite(`${label}.mean`, arm.mean),
    checkFinite(`${label}.variance`, arm.variance),
  );
  if (problem) return unavailable(STATUS.invalidInput, problem);
  if (arm.n < 2)
    return unavailable(STATUS.insufficientData, `${label} has ${arm.n} units; at least 2 are needed`);
  if (arm.variance < 0) return unavailable(STATUS.invalidInput, `${label}.variance must not be negative`);
  return { n: arm.n, mean: arm.mean, variance: arm.variance };
}

export function isUnavailable(value: object): value is Unavailable {
  return 'status' in value && (value as { status: unknown }).status !== STATUS.ok;
}
