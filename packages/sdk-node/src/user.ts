import type { StatsigUser } from '@switchyard/core';

/**
 * A user as Statsig's server SDKs take it: `userID` and/or `customIDs` (unit IDs for bucketing),
 * plus attributes for targeting. `privateAttributes` are used for targeting and never sent.
 *
 * @example
 * const user: SwitchyardUser = { userID: 'u-42', email: 'ana@company.com', custom: { plan: 'pro' } };
 */
export type SwitchyardUser = StatsigUser;

/**
 * statsig-node's rule (`isUserIdentifiable`): a string or number `userID` (even empty), or at
 * least one custom ID. Anything else gets defaults, never an evaluation.
 */
export function isIdentifiable(user: unknown): user is SwitchyardUser {
  if (typeof user !== 'object' || user === null) return false;
  const { userID, customIDs } = user as SwitchyardUser;
  if (typeof userID === 'string' || typeof userID === 'number') return true;
  return typeof customIDs === 'object' && customIDs !== null && Object.keys(customIDs).length > 0;
}

/**
 * The unit IDs part of an exposure's dedup key (statsig-node's: userID, then custom ID values).
 * Without custom IDs it is the userID string itself: no allocation on the hot path.
 */
export function unitKey(user: SwitchyardUser): string {
  const { userID, customIDs } = user;
  if (customIDs === null || customIDs === undefined) {
    return typeof userID === 'string' ? userID : String(userID ?? '');
  }
  return `${userID ?? ''}\u0001${Object.values(customIDs).join('\u0001')}`;
}

/**
 * The user as sent with events: a shallow copy without private attributes, with the SDK's
 * `environment` as statsigEnvironment (statsig-node's normalisation).
 */
export function eventUser(
  user: SwitchyardUser | null | undefined,
  environment: Record<string, unknown> | undefined,
): Record<string, unknown> | null {
  if (typeof user !== 'object' || user === null) return null;
  const { privateAttributes: _private, ...copy } = user;
  if (environment) copy.statsigEnvironment = environment;
  return copy;
}
