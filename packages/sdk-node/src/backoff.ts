export interface BackoffOptions {
  /** Delay before the first retry (ms). */
  minMs: number;
  /** Ceiling of the delay (ms). */
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": half the capped delay, plus a random share of the
 * other half, so a thousand SDKs cut off by one server restart do not reconnect in lockstep,
 * yet none retries sooner than half the nominal delay.
 *
 * @example
 * backoffDelay(0, { minMs: 500, maxMs: 30_000 }); // 250..500
 * backoffDelay(3, { minMs: 500, maxMs: 30_000 }); // 2000..4000
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt, 0), 30);
  const capped = Math.min(options.maxMs, options.minMs * 2 ** exponent);
  return Math.round(capped / 2 + (capped / 2) * random());
}
