/**
 * Per-arm sufficient statistics of one metric (shared/docs/stats-methods.md §0): they add across
 * days and updates, so Pulse stores sums, never units. Per unit: `y` is the post-exposure value
 * (the numerator for ratios), `d` the post-exposure denominator (ratios and means), `x` the
 * pre-exposure value (the pre-period numerator for ratios), `e` the pre-exposure denominator.
 * CUPED on a ratio adjusts Σy/Σd by Σx/Σe, so it needs every square and cross-product of the
 * four (§3.2, "Ratio metrics with CUPED"); other metrics have d = e = 0.
 */
export interface ArmStats {
  n: number;
  sumY: number;
  sumY2: number;
  sumD: number;
  sumD2: number;
  sumYD: number;
  sumX: number;
  sumX2: number;
  sumXY: number;
  sumE: number;
  sumE2: number;
  sumXE: number;
  sumDE: number;
  sumYE: number;
  sumDX: number;
}

export const ARM_STAT_FIELDS = [
  'n',
  'sumY',
  'sumY2',
  'sumD',
  'sumD2',
  'sumYD',
  'sumX',
  'sumX2',
  'sumXY',
  'sumE',
  'sumE2',
  'sumXE',
  'sumDE',
  'sumYE',
  'sumDX',
] as const;

export function emptyArmStats(): ArmStats {
  return {
    n: 0,
    sumY: 0,
    sumY2: 0,
    sumD: 0,
    sumD2: 0,
    sumYD: 0,
    sumX: 0,
    sumX2: 0,
    sumXY: 0,
    sumE: 0,
    sumE2: 0,
    sumXE: 0,
    sumDE: 0,
    sumYE: 0,
    sumDX: 0,
  };
}

/** Adds `delta` into `into`, in place. */
export function addArmStats(into: ArmStats, delta: ArmStats): ArmStats {
  for (const field of ARM_STAT_FIELDS) into[field] += delta[field];
  return into;
}

/** One unit's values: post-exposure `y` and `d`, pre-exposure `x` and `e`. */
export interface UnitValues {
  y: number;
  d: number;
  x: number;
  e: number;
}

/** What one unit contributes to its arm's statistics. */
export function unitContribution({ y, d, x, e }: UnitValues): ArmStats {
  return {
    n: 1,
    sumY: y,
    sumY2: y * y,
    sumD: d,
    sumD2: d * d,
    sumYD: y * d,
    sumX: x,
    sumX2: x * x,
    sumXY: x * y,
    sumE: e,
    sumE2: e * e,
    sumXE: x * e,
    sumDE: d * e,
    sumYE: y * e,
    sumDX: d * x,
  };
}

/**
 * Adds one unit's contribution to `into` (`sign` 1), or takes it away (-1), in place and
 * without allocating: a unit's change is its new values added and its old ones taken away.
 */
export function addUnit(into: ArmStats, { y, d, x, e }: UnitValues, sign: 1 | -1): void {
  into.n += sign;
  into.sumY += sign * y;
  into.sumY2 += sign * y * y;
  into.sumD += sign * d;
  into.sumD2 += sign * d * d;
  into.sumYD += sign * y * d;
  into.sumX += sign * x;
  into.sumX2 += sign * x * x;
  into.sumXY += sign * x * y;
  into.sumE += sign * e;
  into.sumE2 += sign * e * e;
  into.sumXE += sign * x * e;
  into.sumDE += sign * d * e;
  into.sumYE += sign * y * e;
  into.sumDX += sign * d * x;
}

/** The change in an arm's statistics when one of its units goes from `before` to `after`. */
export function unitChange(before: UnitValues, after: UnitValues): ArmStats {
  const a = unitContribution(after);
  const b = unitContribution(before);
  const delta = emptyArmStats();
  for (const field of ARM_STAT_FIELDS) delta[field] = a[field] - b[field];
  delta.n = 0;
  return delta;
}
