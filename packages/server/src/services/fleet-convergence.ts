import type { ChangeReach } from '../store/sdk-instance-store.js';

export interface Convergence {
  /** Instances that held an older revision when the change was made (and were alive). */
  instances: number;
  /** How many of them have served the change (or a later revision) since. */
  reached: number;
  /** Ms from the change until 50%, 99% and 100% of `instances` served it; null until they have. */
  p50Ms: number | null;
  p99Ms: number | null;
  p100Ms: number | null;
}

/** The time by which `share` of the instances had the change: the ceil(share x n)-th arrival. */
function timeToShare(reach: ChangeReach, share: number): number | null {
  if (reach.instances === 0) return null;
  const needed = Math.max(1, Math.ceil(share * reach.instances - 1e-9));
  return needed <= reach.reachedAfterMs.length ? (reach.reachedAfterMs[needed - 1] as number) : null;
}

export function convergenceOf(reach: ChangeReach): Convergence {
  return {
    instances: reach.instances,
    reached: reach.reachedAfterMs.length,
    p50Ms: timeToShare(reach, 0.5),
    p99Ms: timeToShare(reach, 0.99),
    p100Ms: timeToShare(reach, 1),
  };
}
