/**
 * The same three scenarios as flagd flag definitions (JSON Logic targeting), for the
 * @openfeature/flagd-core column. flagd buckets with murmur3 over flag key + targeting key,
 * not Statsig's SHA-256, so its pass counts differ from ours; the work per check is the same shape.
 */
import type { StatsigUser } from '@switchyard/core';
import { COUNTRIES, GATE } from './scenarios.js';

const email = { var: 'email' };
const enabled = (targeting?: unknown) => ({
  state: 'ENABLED',
  variants: { on: true, off: false },
  ...(targeting === undefined ? { defaultVariant: 'on' } : { defaultVariant: 'off', targeting }),
});
const rollout = (percent: number) => ({
  fractional: [
    ['on', percent],
    ['off', 100 - percent],
  ],
});

const flags = (flag: unknown) => JSON.stringify({ flags: { [GATE]: flag } });

export const FLAGD_SCENARIOS: Record<string, string> = {
  S1: flags(enabled()),
  S2: flags(enabled({ if: [{ ends_with: [email, '@company.com'] }, 'on', rollout(5)] })),
  S3: flags(
    enabled({
      if: [
        { in: [{ var: 'country' }, COUNTRIES] },
        'on',
        { sem_ver: [{ var: 'appVersion' }, '>=', '3.2.0'] },
        'on',
        { '>': [{ var: 'purchases' }, 100] },
        'on',
        { in: [{ var: 'targetingKey' }, Array.from({ length: 1000 }, (_, i) => `vip-${i}`)] },
        'on',
        { or: [{ ends_with: [email, '@company.com'] }, { ends_with: [email, '@company.co.uk'] }] },
        'on',
        { in: [{ var: 'plan' }, ['enterprise', 'business']] },
        'on',
        { in: [{ var: 'locale' }, ['is_IS', 'mt_MT', 'lb_LU']] },
        'on',
        { or: [{ in: ['+qa', email] }, { in: ['+test', email] }] },
        'on',
        { '>=': [{ var: 'sessions' }, 500] },
        'on',
        { '==': [{ var: 'earlyAdopter' }, true] },
        'on',
        rollout(25),
      ],
    }),
  ),
};

/** A flagd evaluation context carrying the same attributes as the Statsig user. */
export function toFlagdContext(user: StatsigUser): Record<string, unknown> {
  const { userID, custom, ...rest } = user;
  return { targetingKey: String(userID), ...rest, ...custom };
}
