/** Which way a metric is good, as the metric catalogue records it. */
export const DIRECTION = {
  /** Higher is better (conversion, revenue): harm is a decrease. */
  increase: 'increase',
  /** Lower is better (errors, timeouts, latency): harm is an increase. */
  decrease: 'decrease',
} as const;
export type Direction = (typeof DIRECTION)[keyof typeof DIRECTION];
