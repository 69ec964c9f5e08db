/**
 * The evaluation-core issue's three benchmark scenarios as DCS v1 payloads, and the users they
 * are measured over. The same idea as packages/core/bench/scenarios.ts, rebuilt here (packages
 * do not import each other's benchmarks): salts are UUIDs as in real Statsig payloads.
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
    salt: `5c2d8e1a-3b4f-4e6a-8d7c-${String(ruleCounter).padStart(12, '0')}`,
    passPercentage,
    conditions,
    returnValue: true,
    idType: 'userID',
  };
}

export function gateSpec(
  name: string,
  rules: SpecRule[],
  salt = '7d3f1c2e-9a8b-4c5d-a1e2-3f4a5b6c7d8e',
): Spec {
  return {
    name,
    type: 'feature_gate',
    entity: 'feature_gate',
    salt,
    enabled: true,
    defaultValue: false,
    idType: 'userID',
    rules,
  };
}

function dcs(rules: SpecRule[]): ConfigSpecs {
  return {
    has_updates: true,
    time: 1_700_000_000_000,
    feature_gates: [gateSpec(GATE, rules)],
    dynamic_configs: [],
    layer_configs: [],
    layers: {},
  };
}

const COUNTRIES = [
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
];

/** S2's rules: employees (email domain), then a sticky 5% canary. */
export const dogfoodThenCanary = () => [
  rule('employees', 100, [condition('user_field', 'str_ends_with_any', ['@company.com'], 'email')]),
  rule('canary', 5, [condition('public', null, null)]),
];

export const SCENARIOS: { id: string; title: string; specs: ConfigSpecs }[] = [
  {
    id: 'S1',
    title: 'gate on for everyone',
    specs: dcs([rule('everyone', 100, [condition('public', null, null)])]),
  },
  {
    id: 'S2',
    title: 'dogfood (email ends with @company.com) then sticky 5%',
    specs: dcs(dogfoodThenCanary()),
  },
  {
    id: 'S3',
    title: 'ten targeting rules that mostly miss, then 25%',
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

/** `count` distinct users; about 1% are employees. */
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
