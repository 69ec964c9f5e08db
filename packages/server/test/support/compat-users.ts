import type { StatsigUser } from '@switchyard/core';

/** mulberry32: a tiny seeded PRNG, so the generated users are the same on every run. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COUNTRIES = ['US', 'CA', 'GB', 'DE', 'IN', 'BR', 'us', 'ca'];
const APP_VERSIONS = ['1.0.0', '1.9.9', '2.0', '2.0.0', '2.0.1', '2.10.0', '10.0.0', '2.0.0-beta'];
export const EMPLOYEE_DOMAIN = '@company.com';

/**
 * `user-0` .. `user-<count-1>`: every 50th (2%) has an `@company.com` email (some upper-case),
 * others an `@example.com` one or none (plus a few look-alike domains); ~60% carry a `companyID`
 * custom ID out of 400 companies; country, appVersion and `custom.age` (number, numeric string
 * or absent) vary.
 */
export function generateCompatUsers(count: number, seed = 20_250_101): StatsigUser[] {
  const next = rng(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const users: StatsigUser[] = [];
  for (let i = 0; i < count; i++) {
    const userID = `user-${i}`;
    const user: StatsigUser = { userID };
    if (i % 50 === 0) user.email = i % 200 === 0 ? `${userID}@COMPANY.COM` : `${userID}${EMPLOYEE_DOMAIN}`;
    else if (i % 97 === 1) user.email = `${userID}@company.com.example.org`;
    else if (next() < 0.7) user.email = `${userID}@example.com`;
    if (next() < 0.6) user.customIDs = { companyID: `company-${Math.floor(next() * 400)}` };
    if (next() < 0.85) user.country = pick(COUNTRIES);
    if (next() < 0.85) user.appVersion = pick(APP_VERSIONS);
    const roll = next();
    if (roll < 0.6) user.custom = { age: Math.floor(next() * 60), plan: pick(['free', 'pro']) };
    else if (roll < 0.75) user.custom = { age: String(Math.floor(next() * 60)) };
    users.push(user);
  }
  return users;
}
