/**
 * Per-arm sufficient statistics: everything the analyses need, as sums that add across days,
 * shards and strata (so a streaming pipeline stores sums, never rows). Field names follow the
 * metric pipeline: for ratio metrics X is the numerator and Y the denominator; for CUPED, "Pre"
 * is the unit's pre-exposure covariate (choosing that window is the caller's business).
 */

/** Mean, count, sum and conversion metrics: n units with per-unit values x. */
export interface MeanStats {
  /** Units (all exposed units, including those with no events: their x is 0). */
  readonly n: number;
  /** Σx */
  readonly sum: number;
  /** Σx² (equals Σx for a 0/1 conversion metric) */
  readonly sumSquares: number;
}

/** Ratio metrics: per unit a numerator x (e.g. timeouts) and a denominator y (e.g. requests). */
export interface RatioStats {
  /** Units (all exposed units, GrowthBook's convention; see summarizeRatio). */
  readonly n: number;
  readonly sumX: number;
  readonly sumY: number;
  readonly sumX2: number;
  readonly sumY2: number;
  readonly sumXY: number;
}

/** A mean metric plus its pre-exposure covariate, for CUPED. */
export interface CupedMeanStats extends MeanStats {
  /** Σpre */
  readonly sumPre: number;
  /** Σpre² */
  readonly sumPre2: number;
  /** Σ x·pre */
  readonly sumXPre: number;
}

/**
 * A ratio metric plus the same ratio over the pre-exposure window, for CUPED on ratios:
 * post numerator x, post denominator y, pre numerator xPre, pre denominator yPre, and all
 * ten sums of squares and cross-products of the four.
 */
export interface CupedRatioStats extends RatioStats {
  readonly sumXPre: number;
  readonly sumYPre: number;
  readonly sumXPre2: number;
  readonly sumYPre2: number;
  /** Σ xPre·yPre */
  readonly sumXPreYPre: number;
  /** Σ x·xPre */
  readonly sumXXPre: number;
  /** Σ y·yPre */
  readonly sumYYPre: number;
  /** Σ x·yPre */
  readonly sumXYPre: number;
  /** Σ y·xPre */
  readonly sumYXPre: number;
}

/**
 * Sums per-unit values into MeanStats. Values must already be capped if the metric is
 * winsorized (see winsorize): capping acts on units, so it cannot be applied to the sums.
 *
 * @example meanStatsFromValues([0, 1, 1]) // { n: 3, sum: 2, sumSquares: 2 }
 */
export function meanStatsFromValues(values: readonly number[]): MeanStats {
  let sum = 0;
  let sumSquares = 0;
  for (const value of values) {
    sum += value;
    sumSquares += value * value;
  }
  return { n: values.length, sum, sumSquares };
}

/** Adds MeanStats of disjoint sets of units (days, shards, strata) of one arm. */
export function addMeanStats(...parts: readonly MeanStats[]): MeanStats {
  let n = 0;
  let sum = 0;
  let sumSquares = 0;
  for (const part of parts) {
    n += part.n;
    sum += part.sum;
    sumSquares += part.sumSquares;
  }
  return { n, sum, sumSquares };
}

/** Sums per-unit numerators and denominators (same length, same unit order) into RatioStats. */
export function ratioStatsFromValues(
  numerators: readonly number[],
  denominators: readonly number[],
): RatioStats {
  let sumX = 0;
  let sumY = 0;
  let sumX2 = 0;
  let sumY2 = 0;
  let sumXY = 0;
  const n = Math.min(numerators.length, denominators.length);
  for (let i = 0; i < n; i += 1) {
    const x = numerators[i] ?? 0;
    const y = denominators[i] ?? 0;
    sumX += x;
    sumY += y;
    sumX2 += x * x;
    sumY2 += y * y;
    sumXY += x * y;
  }
  return { n, sumX, sumY, sumX2, sumY2, sumXY };
}

/** Adds RatioStats of disjoint sets of units of one arm. */
export function addRatioStats(...parts: readonly RatioStats[]): RatioStats {
  const total = { n: 0, sumX: 0, sumY: 0, sumX2: 0, sumY2: 0, sumXY: 0 };
  for (const part of parts) {
    total.n += part.n;
    total.sumX += part.sumX;
    total.sumY += part.sumY;
    total.sumX2 += part.sumX2;
    total.sumY2 += part.sumY2;
    total.sumXY += part.sumXY;
  }
  return total;
}

/** Sums per-unit post values and pre-exposure covariates (same unit order) into CupedMeanStats. */
export function cupedStatsFromValues(
  values: readonly number[],
  preValues: readonly number[],
): CupedMeanStats {
  let sum = 0;
  let sumSquares = 0;
  let sumPre = 0;
  let sumPre2 = 0;
  let sumXPre = 0;
  const n = Math.min(values.length, preValues.length);
  for (let i = 0; i < n; i += 1) {
    const x = values[i] ?? 0;
    const pre = preValues[i] ?? 0;
    sum += x;
    sumSquares += x * x;
    sumPre += pre;
    sumPre2 += pre * pre;
    sumXPre += x * pre;
  }
  return { n, sum, sumSquares, sumPre, sumPre2, sumXPre };
}

/** Adds CupedMeanStats of disjoint sets of units of one arm. */
export function addCupedStats(...parts: readonly CupedMeanStats[]): CupedMeanStats {
  const total = { n: 0, sum: 0, sumSquares: 0, sumPre: 0, sumPre2: 0, sumXPre: 0 };
  for (const part of parts) {
    total.n += part.n;
    total.sum += part.sum;
    total.sumSquares += part.sumSquares;
    total.sumPre += part.sumPre;
    total.sumPre2 += part.sumPre2;
    total.sumXPre += part.sumXPre;
  }
  return total;
}
