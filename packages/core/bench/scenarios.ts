/**
 * The three benchmark scenarios of the evaluation-core issue, as DCS v1 payloads, and the
 * users they are measured over. Salts are UUIDs as in real Statsig payloads, so a pass
 * percentage hashes a 74-byte prefix plus the unit ID.
 */
import type { ConfigSpecs, Spec, SpecCondition, SpecRule, StatsigUser } from '@switchyard/core';

export const GATE = 'release_gate';

const condition = (
  type: string,
  operator: string | null,
  targetValue: unknown,
  field: string | null = null,
) => ({ type, operator, targetValue, field, additionalValues: {}, idType: 'userID' }) satisfies SpecCondition;

let ruleCounter = 0;
function rule(name: string, passPercentage: number, conditions: SpecCondition[]): SpecRule {
  ruleCounter++;
  return {
    name,
    id: `${name}:${passPercentage}:${ruleCounter}`,
    salt: `0b1e7a52-6f3c-4d2a-9c1e-${String(ruleCounter).padStart(12, '0')}`,
    passPercentage,
    conditions,
    returnValue: true,
    idType: 'userID',
  };
}

function dcs(rules: SpecRule[]): ConfigSpecs {
  const gate: Spec = {
    name: GATE,
    type: 'feature_gate',
    entity: 'feature_gate',
    salt: 'aff75c6d-f457-4959-9f71-125fdda09ef6',
    enabled: true,
    defaultValue: false,
    idType: 'userID',
    rules,
  };
  return {
    has_updates: true,
    time: 1_700_000_000_000,
    feature_gates: [gate],
    dynamic_configs: [],
    layer_configs: [],
    layers: {},
  };
}

export const COUNTRIES = [
  'NZ',
  'IS',
  'LU',
  'MT',
  'CY',
  'EE',
  'LV',
  'LT',
  'SI',
  'SK',
  'HR',
  'BG',
  'RO',
  'PT',
  'GR',
  'IE',
  'FI',
  'DK',
  'NO',
  'AT',
];

export const SCENARIOS: { id: string; title: string; specs: ConfigSpecs }[] = [
  {
    id: 'S1',
    title: 'gate on for everyone',
    specs: dcs([rule('everyone', 100, [condition('public', null, null)])]),
  },
  {
    id: 'S2',
    title: 'dogfood (email ends with @company.com) then sticky 5% canary',
    specs: dcs([
      rule('employees', 100, [condition('user_field', 'str_ends_with_any', ['@company.com'], 'email')]),
      rule('canary', 5, [condition('public', null, null)]),
    ]),
  },
  {
    id: 'S3',
    title: 'ten targeting rules that mostly miss, then a 25% rollout',
    specs: dcs([
      rule('countries', 100, [condition('user_field', 'any', COUNTRIES, 'country')]),
      rule('new_app', 100, [condition('user_field', 'version_gte', '3.2.0', 'appVersion')]),
      rule('big_spenders', 100, [condition('user_field', 'gt', 100, 'purchases')]),
      rule('allowlist', 100, [
        condition(
          'unit_id',
          'any',
          Array.from({ length: 1000 }, (_, i) => `vip-${i}`),
        ),
      ]),
      rule('employees', 100, [
        condition('user_field', 'str_ends_with_any', ['@company.com', '@company.co.uk'], 'email'),
      ]),
      rule('enterprise', 100, [condition('user_field', 'any', ['enterprise', 'business'], 'plan')]),
      rule('beta_locales', 100, [condition('user_field', 'any', ['is_IS', 'mt_MT', 'lb_LU'], 'locale')]),
      rule('internal_testers', 100, [condition('user_field', 'str_contains_any', ['+qa', '+test'], 'email')]),
      rule('power_users', 100, [condition('user_field', 'gte', 500, 'sessions')]),
      rule('early_adopters', 100, [condition('user_field', 'eq', true, 'earlyAdopter')]),
      rule('rollout', 25, [condition('public', null, null)]),
    ]),
  },
];

const VERSIONS = ['2.9.1', '3.0.0', '3.1.4', '3.1.9', '2.0.0', '3.2.0-beta'];
const PLANS = ['free', 'pro', 'team'];

/** `count` distinct users; about 1% are employees, none hit S3's targeting rules by design except a few. */
export function makeUsers(count: number): StatsigUser[] {
  const users: StatsigUser[] = [];
  for (let i = 0; i < count; i++) {
    const id = `user-${i.toString(36)}-${(i * 2654435761) % 1000003}`;
    users.push({
      userID: id,
      email: i % 100 === 0 ? `${id}@company.com` : `${id}@example.com`,
      country: i % 7 === 0 ? 'DE' : 'US',
      locale: 'en_US',
      appVersion: VERSIONS[i % VERSIONS.length] as string,
      custom: { plan: PLANS[i % PLANS.length], purchases: i % 90, sessions: i % 400 },
    });
  }
  return users;
}
