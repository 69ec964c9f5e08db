/**
 * Log-scale buckets of per-unit values, so Pulse can winsorize without keeping units: each arm
 * keeps, per bucket, the units in it and their sums. A cap at a bucket's upper bound is then
 * exact (units in higher buckets become the cap; the rest keep their values), and the bucket
 * holding the percentile is found from the counts. Eight buckets per doubling: the cap lands
 * within 9% above the exact percentile.
 */

const PER_DOUBLING = 8;
/** Keeps positive and negative keys apart from 0 and from each other, in value order. */
const OFFSET = 1_000_000;

/** The bucket of `value`; keys sort in the same order as the values they hold. */
export function bucketOf(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return 0;
  const k = Math.floor(PER_DOUBLING * Math.log2(Math.abs(value)));
  return value > 0 ? OFFSET + k : -(OFFSET + k);
}

const upperBounds = new Map<number, number>();

/** The largest value bucket `key` holds (its upper bound). */
export function bucketUpperBound(key: number): number {
  if (key === 0) return 0;
  // A series asks for the same few hundred keys at every period.
  let bound = upperBounds.get(key);
  if (bound === undefined) {
    bound = key > 0 ? 2 ** ((key - OFFSET + 1) / PER_DOUBLING) : -(2 ** ((-key - OFFSET) / PER_DOUBLING));
    if (upperBounds.size < 100_000) upperBounds.set(key, bound);
  }
  return bound;
}

/** What a bucket holds for one arm: units and the sums Pulse's statistics need. */
export interface BucketStats {
  n: number;
  sumY: number;
  sumY2: number;
  sumX: number;
  sumXY: number;
}

/**
 * The cap at the `percentile`-th percentile of the non-zero values (zeros are never capped and
 * not counted, as Statsig does), from buckets pooled over all arms; null when nothing to cap.
 */
export function capFromBuckets(pooled: ReadonlyMap<number, number>, percentile: number): number | null {
  const keys = [...pooled.keys()]
    .filter((key) => key !== 0 && (pooled.get(key) ?? 0) > 0)
    .sort((a, b) => a - b);
  const total = keys.reduce((sum, key) => sum + (pooled.get(key) ?? 0), 0);
  if (total === 0) return null;
  const rank = Math.ceil((percentile / 100) * total);
  let seen = 0;
  for (const key of keys) {
    seen += pooled.get(key) ?? 0;
    if (seen >= rank) return bucketUpperBound(key);
  }
  return null;
}

/** An arm's sums with every value above `cap` replaced by `cap` (buckets without units add nothing). */
export function cappedSums(buckets: ReadonlyMap<number, BucketStats>, cap: number): BucketStats {
  const total: BucketStats = { n: 0, sumY: 0, sumY2: 0, sumX: 0, sumXY: 0 };
  for (const [key, stats] of buckets) {
    if (stats.n === 0) continue;
    total.n += stats.n;
    total.sumX += stats.sumX;
    if (key !== 0 && bucketUpperBound(key) > cap) {
      total.sumY += stats.n * cap;
      total.sumY2 += stats.n * cap * cap;
      total.sumXY += cap * stats.sumX;
    } else {
      total.sumY += stats.sumY;
      total.sumY2 += stats.sumY2;
      total.sumXY += stats.sumXY;
    }
  }
  return total;
}
