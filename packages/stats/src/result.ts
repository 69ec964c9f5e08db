/**
 * Every public function returns a result object instead of throwing or returning NaN. A result
 * is either `{ status: 'ok', ...numbers }` or an `Unavailable` carrying a status from the
 * vocabulary below and a human-readable `reason`.
 */

export const STATUS = {
  ok: 'ok',
  /** Malformed input: non-finite numbers, negative counts, sums inconsistent with n, bad options. */
  invalidInput: 'invalid-input',
  /** Too few units for a variance (n < 2 in an arm), or no units at all. */
  insufficientData: 'insufficient-data',
  /** A unit variance is zero or negative: no interval can be formed (GrowthBook's rule). */
  zeroVariance: 'zero-variance',
  /** The control mean is zero, so a relative lift is undefined. */
  zeroBaseline: 'zero-baseline',
  /** A ratio metric's denominator sums to zero in an arm. */
  zeroDenominator: 'zero-denominator',
  /** Fieller: the control mean is not distinguishable from zero (g ≥ 1), the interval is unbounded. */
  unboundedInterval: 'unbounded-interval',
} as const;

export type Status = (typeof STATUS)[keyof typeof STATUS];
export type FailureStatus = Exclude<Status, 'ok'>;

/** Why a number could not be computed. */
export interface Unavailable {
  readonly status: FailureStatus;
  readonly reason: string;
}

/** A successful result of shape T, or the reason there is none. */
export type Outcome<T> = ({ readonly status: 'ok' } & T) | Unavailable;

export function unavailable(status: FailureStatus, reason: string): Unavailable {
  return { status, reason };
}

export function isOk<T>(outcome: Outcome<T>): outcome is { readonly status: 'ok' } & T {
  return outcome.status === STATUS.ok;
}
