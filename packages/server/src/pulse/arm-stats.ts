/**
 * Per-arm sufficient statistics of one metric (shared/docs/stats-methods.md §0): they add across
 * days and updates, so Pulse stores sums, never units. `y` is the unit's post-exposure value
 * (the numerator for ratios), `d` its denominator (ratios), `x` its pre-exposure value (CUPED).
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
] as const;

export function emptyArmStats(): ArmStats {
  return { n: 0, sumY: 0, sumY2: 0, sumD: 0, sumD2: 0, sumYD: 0, sumX: 0, sumX2: 0, sumXY: 0 };
}

/** Adds `delta` into `into`, in place. */
export function addArmStats(into: ArmStats, delta: ArmStats): ArmStats {
  for (const field of ARM_STAT_FIELDS) into[field] += delta[field];
  return into;
}

/** One unit's values: post-exposure `y` and `d`, pre-exposure `x`. */
export interface UnitValues {
  y: number;
  d: number;
  x: number;
}

/** What one unit contributes to its arm's statistics. */
export function unitContribution({ y, d, x }: UnitValues): ArmStats {
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
  };
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
