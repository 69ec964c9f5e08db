/**
 * Winsorization (capping) of per-unit values (stats-methods.md §7).
 *
 * How it composes with sufficient statistics: capping acts on each unit's aggregate, so it must
 * happen before the values are summed — the sums of capped values are not a function of the
 * uncapped sums. The pipeline is therefore: aggregate events to one value per unit over its
 * post-exposure window → compute the cap once over all arms pooled (so it is blind to treatment)
 * → cap every unit → sum into MeanStats / RatioStats per arm (capping a ratio metric's numerator,
 * and optionally its denominator, per unit). Report the cap with the results. A streaming
 * pipeline that cannot revisit units can cap at a fixed absolute value instead (capValues).
 */

import { type Outcome, STATUS, unavailable } from './result.js';

export interface PercentileCapOptions {
  /**
   * Compute the percentile over non-zero values only (Statsig; GrowthBook's "ignore zeros").
   * Zeros are still kept (and never capped) when capping.
   */
  readonly ignoreZeros?: boolean;
}

/**
 * The `percentile`-th percentile (0 ≤ percentile ≤ 100, e.g. 99.9) of the values, with linear
 * interpolation between order statistics (numpy's default, Hyndman & Fan type 7).
 *
 * @example computePercentileCap([1, 2, 3, 4, 100], 90) // { status: 'ok', cap: 61.6, counted: 5 }
 */
export function computePercentileCap(
  values: readonly number[],
  percentile: number,
  options: PercentileCapOptions = {},
): Outcome<{ cap: number; counted: number }> {
  if (!Array.isArray(values)) return unavailable(STATUS.invalidInput, 'values must be an array');
  if (!(percentile >= 0 && percentile <= 100)) {
    return unavailable(STATUS.invalidInput, 'percentile must be in [0, 100]');
  }
  if (!values.every((value) => Number.isFinite(value))) {
    return unavailable(STATUS.invalidInput, 'values must be finite numbers');
  }
  const counted = (options.ignoreZeros ? values.filter((value) => value !== 0) : [...values]).sort(
    (a, b) => a - b,
  );
  if (counted.length === 0) return unavailable(STATUS.insufficientData, 'no values to take a percentile of');
  const position = (counted.length - 1) * (percentile / 100);
  const below = Math.floor(position);
  const fraction = position - below;
  const low = counted[below] ?? 0;
  const high = counted[Math.min(below + 1, counted.length - 1)] ?? low;
  return { status: STATUS.ok, cap: low + fraction * (high - low), counted: counted.length };
}

/** Caps values at an upper (and optional lower) bound: min(max(v, lower), upper). */
export function capValues(
  values: readonly number[],
  upper: number,
  lower = Number.NEGATIVE_INFINITY,
): number[] {
  return values.map((value) => Math.min(Math.max(value, lower), upper));
}

export interface WinsorizeOptions extends PercentileCapOptions {
  /** Upper percentile in (0, 100], e.g. 99.9 (Statsig's default). */
  readonly upperPercentile: number;
  /** Optional lower percentile in [0, 100), for metrics that can be negative. */
  readonly lowerPercentile?: number;
}

export interface WinsorizeResult {
  readonly values: readonly number[];
  readonly upperCap: number;
  readonly lowerCap: number | null;
  /** How many values were changed. */
  readonly capped: number;
}

/**
 * Caps values (all arms pooled) at their own percentiles. Returns the capped values, to be
 * split by arm and summed; see the module comment for why capping precedes summing.
 *
 * @example winsorize([0, 1, 2, 3, 1000], { upperPercentile: 75 }) // values [0, 1, 2, 3, 3]
 */
export function winsorize(values: readonly number[], options: WinsorizeOptions): Outcome<WinsorizeResult> {
  if (typeof options !== 'object' || options === null) {
    return unavailable(STATUS.invalidInput, 'options with upperPercentile are required');
  }
  const upper = computePercentileCap(values, options.upperPercentile, options);
  if (upper.status !== STATUS.ok) return upper;
  let lowerCap: number | null = null;
  if (options.lowerPercentile !== undefined) {
    if (!(options.lowerPercentile >= 0 && options.lowerPercentile < options.upperPercentile)) {
      return unavailable(STATUS.invalidInput, 'lowerPercentile must be in [0, upperPercentile)');
    }
    const lower = computePercentileCap(values, options.lowerPercentile, options);
    if (lower.status !== STATUS.ok) return lower;
    lowerCap = lower.cap;
  }
  const floor = lowerCap ?? Number.NEGATIVE_INFINITY;
  let capped = 0;
  const result = values.map((value) => {
    if (options.ignoreZeros && value === 0) return value;
    const next = Math.min(Math.max(value, floor), upper.cap);
    if (next !== value) capped += 1;
    return next;
  });
  return { status: STATUS.ok, values: result, upperCap: upper.cap, lowerCap, capped };
}
