/**
 * A seeded download_config_specs v1 payload for the differential test. Between them, its specs
 * use every condition type and operator statsig-node 6.5.2 knows (`CONDITION_TYPES`,
 * `OPERATORS`; `dcsCoverage` proves it), in the shapes Statsig's console emits (protocol doc
 * §1.10): segments, a holdout, gates nested through pass_gate/fail_gate/multi_*_gate,
 * experiments with user_bucket groups inside layers with configDelegate, partial and decimal
 * pass percentages, stableID and custom-ID unit types, disabled and unsupported specs.
 */
import type { ConfigSpecs, Spec, SpecCondition, SpecRule } from '@switchyard/core';
import { CONDITION_TYPES, OPERATORS, type Operator } from '@switchyard/core';
import { APP_ID, DAY_MS, FIXED_NOW } from './pools.js';
import { Rng } from './prng.js';

export { CONDITION_TYPES, OPERATORS };

/** Pass percentages, weighted towards 100 so most rules decide cleanly; decimals included. */
const PASS_PERCENTAGES: readonly (readonly [number, number])[] = [
  [12, 100],
  [2, 50],
  [2, 33.33],
  [2, 0.5],
  [1, 66.67],
  [1, 99.99],
  [1, 0.01],
  [1, 12.345],
  [1, 0],
];

const UNIT_TYPES: readonly (readonly [number, string])[] = [
  [6, 'userID'],
  [2, 'stableID'],
  [2, 'companyID'],
  [1, 'CompanyID'],
  [1, 'StableID'],
];

interface ConditionOptions {
  field?: string;
  idType?: string;
  salt?: string;
}

function cond(type: string, operator: string | null, targetValue: unknown, options: ConditionOptions = {}) {
  return {
    type,
    operator,
    targetValue,
    field: options.field ?? null,
    additionalValues: options.salt === undefined ? {} : { salt: options.salt },
    idType: options.idType ?? 'userID',
  } satisfies SpecCondition;
}

const field = (name: string, operator: string, target: unknown) =>
  cond('user_field', operator, target, { field: name });
const unit = (idType: string, operator: string, target: unknown) =>
  cond('unit_id', operator, target, { idType });
const bucket = (rng: Rng, operator: string, target: unknown, idType = 'userID') =>
  cond('user_bucket', operator, target, { idType, salt: `bucket-${rng.int(1_000_000)}` });
const now = (operator: string, target: unknown) => cond('current_time', operator, target);
const env = (name: string, operator: string, target: unknown) =>
  cond('environment_field', operator, target, { field: name });
const agent = (name: string, operator: string, target: unknown) =>
  cond('ua_based', operator, target, { field: name });
const ip = (name: string, operator: string, target: unknown) =>
  cond('ip_based', operator, target, { field: name });
const app = (operator: string, target: unknown) => cond('target_app', operator, target);

/** `count` distinct slots out of 1000. */
function slots(rng: Rng, count: number): number[] {
  return rng
    .sample(
      Array.from({ length: 1000 }, (_, i) => i),
      count,
    )
    .sort((a, b) => a - b);
}

type CatalogEntry = ((rng: Rng) => SpecCondition) & { constant?: true };

/**
 * Marks an entry whose outcome is the same for every user (the clock, the target app, a
 * missing field, an unknown or empty list, an invalid regex). Such a rule, if true, would hide
 * every rule after it, so coverage gates put it last.
 */
const constant = (entry: (rng: Rng) => SpecCondition): CatalogEntry =>
  Object.assign(entry, { constant: true as const });

/**
 * Condition variants per operator. Targets are chosen against the user pools so each variant
 * passes for some users and fails for others; mixed-case spellings of operators and fields,
 * non-array targets, missing fields and invalid regexes exercise statsig-node's quirks.
 */
const CATALOG: Record<Operator, readonly CatalogEntry[]> = {
  gt: [
    (r) => field('level', 'gt', r.int(10)),
    (r) => field('score', 'gt', `${r.int(100)}.5`),
    constant((r) => now('gt', FIXED_NOW - r.int(3) * DAY_MS)),
    (r) => bucket(r, 'gt', r.int(1000)),
    () => field('appVersion', 'gt', 2),
    () => field('age', 'GT', '30'),
  ],
  gte: [
    () => field('Level', 'gte', '3'),
    () => unit('userID', 'gte', 5000),
    constant(() => now('gte', FIXED_NOW)),
    () => field('email', 'gte', 0),
  ],
  lt: [
    (r) => bucket(r, 'lt', 250, 'stableID'),
    // No salt: statsig-node hashes "undefined.<unit>" (protocol doc §3.3).
    () => ({ ...cond('user_bucket', 'lt', 500), additionalValues: null }),
    () => cond('USER_BUCKET', 'lt', 500, { idType: 'USERID', salt: 'upper-case-type' }),
    () => field('age', 'lt', 30),
    () => field('level', 'lt', '5.5'),
    constant(() => now('lt', FIXED_NOW + DAY_MS)),
  ],
  lte: [
    () => field('level', 'lte', 0),
    constant(() => now('lte', FIXED_NOW)),
    (r) => bucket(r, 'lte', 499, 'companyID'),
    () => field('score', 'lte', 50),
  ],
  version_gt: [
    () => field('appVersion', 'version_gt', '1.2.3'),
    () => agent('os_version', 'version_gt', '14'),
    () => field('appVersion', 'Version_GT', '1.9'),
  ],
  version_gte: [
    () => field('appVersion', 'version_gte', '2.0.0-rc.1'),
    () => agent('browser_version', 'version_gte', '124'),
    () => field('AppVersion', 'version_gte', '1.10'),
  ],
  version_lt: [
    () => field('appVersion', 'version_lt', '2'),
    () => agent('osVersion', 'version_lt', '10.15.7'),
  ],
  version_lte: [
    () => field('appVersion', 'version_lte', '1.10'),
    () => field('appVersion', 'version_lte', '2.0.0'),
  ],
  version_eq: [() => field('appVersion', 'version_eq', '2.0'), () => field('appVersion', 'version_eq', '3')],
  version_neq: [
    () => field('appVersion', 'version_neq', '1.2.3'),
    () => agent('os_version', 'version_neq', '17.4.1'),
  ],
  any: [
    () => field('country', 'any', ['US', 'jp']),
    () => cond('IP_BASED', 'any', ['US', 'DE'], { field: 'country' }),
    () => unit('userid', 'any', ['user-3', 'user-4', 42, '42', 'null']),
    () => ip('country', 'any', ['US', 'GB', 'JP']),
    () => ip('COUNTRY', 'any', ['JP']),
    () => agent('os_name', 'any', ['iOS', 'Android', 'Mac OS X']),
    () => agent('OSName', 'any', ['Windows']),
    () => unit('userID', 'any', ['user-1', 'user-10', 'user-100', 'ユーザー7', '\uD800lone', 42, '']),
    () => unit('companyID', 'any', ['acme', 'Initech', 42]),
    () => env('tier', 'any', ['staging']),
    () => env('region', 'any', ['eu']),
    constant(() => app('any', [APP_ID, 'other-app'])),
    constant(() => app('any', ['other-app'])),
    () => field('level', 'any', ['5', 3, true]),
    (r) => bucket(r, 'any', slots(r, 300)),
    () => field('country', 'any', 'US'),
    () => field('country', 'ANY', [null, 'US']),
    constant(() => field('missing_field', 'any', ['undefined'])),
  ],
  none: [
    () => env('Tier', 'none', ['production']),
    () => field('country', 'none', ['US']),
    () => agent('browser_name', 'none', ['Chrome']),
    () => field('plan', 'None', ['pro', null]),
    (r) => bucket(r, 'none', slots(r, 500), 'stableID'),
    () => ip('country', 'none', ['US']),
    constant(() => field('missing_field', 'none', ['x'])),
    constant(() => app('none', ['other-app'])),
  ],
  any_case_sensitive: [
    () => field('plan', 'any_case_sensitive', ['pro', 'Enterprise']),
    () =>
      unit('stableID', 'any_case_sensitive', ['stable-1', 'stable-2', 'stable-3', 'stable-5', 'stable-8']),
    () => field('country', 'any_case_sensitive', ['US', 5]),
    () => field('plan', 'Any_Case_Sensitive', ['PRO', null]),
  ],
  none_case_sensitive: [
    () => field('country', 'none_case_sensitive', ['US']),
    () => field('plan', 'none_case_sensitive', ['PRO']),
    () => field('plan', 'NONE_CASE_SENSITIVE', ['pro']),
  ],
  str_starts_with_any: [
    () => unit('userID', 'str_starts_with_any', ['user-1', 'ユーザー', '😀']),
    () => field('locale', 'str_starts_with_any', ['en']),
    () => agent('browser_name', 'str_starts_with_any', ['chrome', 'firefox']),
    () => ip('ip', 'str_starts_with_any', ['8.', '81.']),
  ],
  str_ends_with_any: [
    () => field('email', 'str_ends_with_any', ['@example.com', '.io']),
    () => field('userID', 'str_ends_with_any', ['7', '9']),
    () => unit('companyID', 'str_ends_with_any', ['corp', 'ME']),
  ],
  str_contains_any: [
    () => agent('browser_name', 'str_contains_any', ['mobile']),
    () => field('userAgent', 'str_contains_any', ['iPhone', 'iPad']),
    () => field('tags', 'str_contains_any', ['a']),
    () => field('email', 'Str_Contains_Any', ['ALICE', 'zoë']),
  ],
  str_contains_none: [
    () => field('email', 'str_contains_none', ['gmail', 'statsig']),
    () => agent('os_name', 'str_contains_none', ['windows']),
    constant(() => field('missing_field', 'str_contains_none', ['x'])),
  ],
  str_matches: [
    () => field('email', 'str_matches', '^[a-z]+[0-9]*@example\\.com$'),
    () => unit('userID', 'str_matches', '^user-\\d{1,3}$'),
    () => field('userAgent', 'str_matches', 'i(Phone|Pad)'),
    constant(() => field('email', 'str_matches', '([')),
    () => field('userID', 'str_matches', '[\\u3040-\\u30ff]'),
    () => field('tags', 'str_matches', '^a,b'),
    () => field('email', 'str_matches', 'object'),
  ],
  eq: [
    () => field('level', 'eq', 5),
    () => cond('User_Field', 'eq', 'pro', { field: 'Plan' }),
    constant(() => cond('user_field', 'eq', null, { field: undefined })),
    () => field('plan', 'eq', 'pro'),
    () => field('isEmployee', 'eq', true),
    constant(() => field('missing_field', 'eq', null)),
    () => env('tier', 'eq', 'staging'),
    constant(() => app('eq', APP_ID)),
    () => field('country', 'EQ', null),
    () => field('level', 'eq', '5'),
    () => field('tags', 'eq', ['a', 'b']),
    constant(() => agent('device', 'eq', null)),
  ],
  neq: [
    () => field('country', 'neq', 'US'),
    () => field('level', 'neq', '0'),
    () => field('email', 'neq', null),
    constant(() => app('neq', 'other-app')),
  ],
  before: [
    () => field('signupDate', 'before', '2024-01-01T00:00:00Z'),
    constant(() => now('before', FIXED_NOW + 3_600_000)),
    () => field('signupDate', 'before', 1_700_000_000),
    constant(() => now('before', '2024-06-15')),
  ],
  after: [
    () => field('signupDate', 'after', 1_600_000_000_000),
    constant(() => now('after', '2024-06-14')),
    () => field('signupDate', 'after', '2024-05-01'),
    () => field('signupDate', 'after', 'garbage'),
  ],
  on: [
    () => field('signupDate', 'on', '2024-06-15'),
    constant(() => now('on', '2024-06-15T23:00:00Z')),
    constant(() => now('on', Math.floor(FIXED_NOW / 1000))),
    () => field('signupDate', 'on', 1_718_409_600),
    () => field('signupDate', 'ON', '2024-06-10'),
  ],
  in_segment_list: [
    () => unit('userID', 'in_segment_list', 'beta_users'),
    () => unit('companyID', 'in_segment_list', 'companies'),
    () => field('email', 'in_segment_list', 'emails'),
    constant(() => unit('userID', 'in_segment_list', 'missing_list')),
    () => unit('stableID', 'In_Segment_List', 'blocked_devices'),
  ],
  not_in_segment_list: [
    () => unit('stableID', 'not_in_segment_list', 'blocked_devices'),
    () => unit('userID', 'not_in_segment_list', 'beta_users'),
    constant(() => unit('userID', 'not_in_segment_list', 'empty_list')),
  ],
  array_contains_any: [
    () => field('tags', 'array_contains_any', ['a', '2']),
    () => field('tags', 'array_contains_any', [1]),
    () => field('tags', 'array_contains_any', 'a'),
  ],
  array_contains_none: [
    () => field('tags', 'array_contains_none', ['z', 'beta']),
    () => field('tags', 'array_contains_none', ['1']),
  ],
  array_contains_all: [
    () => field('tags', 'array_contains_all', ['a', 'b']),
    () => field('tags', 'array_contains_all', ['1', 2]),
    () => field('tags', 'array_contains_all', []),
  ],
  not_array_contains_all: [
    () => field('tags', 'not_array_contains_all', ['a', 'c']),
    () => field('tags', 'not_array_contains_all', []),
  ],
};

/**
 * Fuzz material: any type with any operator, field and target, including combinations no
 * console would write (a version operator on a list, a date operator on an array, a regex
 * that is a number). They exercise the coercions both evaluators must share.
 */
const FUZZ_TARGETS: readonly unknown[] = [
  'US',
  'us',
  5,
  '5',
  0,
  -1,
  1.5,
  true,
  false,
  null,
  '',
  'pro',
  '2.0',
  '1.2.3-beta',
  '10',
  ['US', 'jp', 5, null, true],
  [],
  ['a', 2, '2'],
  [null],
  [['a']],
  { a: 1 },
  '2024-06-15',
  1_718_409_600,
  1_718_409_600_000,
  'garbage',
  '^user-\\d+$',
  '[',
  '.*',
  'beta_users',
  'companies',
  'Chrome',
  ['iOS', 'Android'],
  '17.4.1',
  APP_ID,
  'staging',
  ['staging', 'production'],
  ['ß', 'SS', 'İ', 'i̇'],
];
const FUZZ_FIELDS: Record<string, readonly (string | null)[]> = {
  user_field: [
    'email',
    'Email',
    'country',
    'level',
    'Level',
    'tags',
    'appVersion',
    'signupDate',
    'userID',
    'plan',
    'locale',
    'ip',
    'userAgent',
    'score',
    'isEmployee',
    'missing',
    'customIDs',
    'custom',
    'statsigEnvironment',
    'secret',
    null,
  ],
  ua_based: ['os_name', 'OS_Name', 'osversion', 'browser_name', 'browserVersion', 'device', 'userAgent'],
  ip_based: ['country', 'Country', 'ip', 'city', null],
  environment_field: ['tier', 'TIER', 'region', 'missing', null],
};
const FUZZ_UNIT_TYPES = ['userID', 'stableID', 'companyID', 'orgID', 'CompanyId', 'userid', 'missingID'];

function fuzzCondition(rng: Rng): SpecCondition {
  const type = rng.pick([
    'user_field',
    'user_field',
    'user_field',
    'ua_based',
    'ip_based',
    'environment_field',
    'unit_id',
    'user_bucket',
    'current_time',
    'target_app',
  ]);
  const fields = FUZZ_FIELDS[type];
  return {
    type,
    operator: rng.pick(OPERATORS),
    targetValue: rng.pick(FUZZ_TARGETS),
    field: fields ? rng.pick(fields) : null,
    additionalValues: type === 'user_bucket' ? { salt: `fuzz-${rng.int(1000)}` } : {},
    idType: rng.pick(FUZZ_UNIT_TYPES),
  };
}

const PUBLIC = cond('public', null, null);

interface RuleOptions {
  id: string;
  conditions: SpecCondition[];
  passPercentage: number;
  returnValue: unknown;
  idType?: string;
  /** `null` writes `salt: null`, `'absent'` leaves it out; both fall back to the rule id. */
  salt?: string | null;
  groupName?: string | null;
  isExperimentGroup?: boolean;
  configDelegate?: string;
}

function rule(options: RuleOptions): SpecRule {
  const built: SpecRule = {
    name: options.id,
    id: options.id,
    salt: options.salt === undefined ? `${options.id}-salt` : options.salt,
    passPercentage: options.passPercentage,
    conditions: options.conditions,
    returnValue: options.returnValue,
    idType: options.idType ?? 'userID',
    groupName: options.groupName ?? null,
  };
  if (options.salt === 'absent') delete built.salt;
  if (options.isExperimentGroup !== undefined) built.isExperimentGroup = options.isExperimentGroup;
  if (options.configDelegate !== undefined) built.configDelegate = options.configDelegate;
  return built;
}

function gate(name: string, rules: SpecRule[], extra: Partial<Spec> = {}): Spec {
  return {
    name,
    type: 'feature_gate',
    entity: 'feature_gate',
    salt: `${name}-salt`,
    enabled: true,
    defaultValue: false,
    idType: 'userID',
    rules,
    ...extra,
  };
}

function config(name: string, rules: SpecRule[], defaultValue: unknown, extra: Partial<Spec> = {}): Spec {
  return {
    name,
    type: 'dynamic_config',
    entity: 'dynamic_config',
    salt: `${name}-salt`,
    enabled: true,
    defaultValue,
    idType: 'userID',
    rules,
    ...extra,
  };
}

const JSON_STRINGS = ['dark', 'light', '日本語', '😀🚀', 'e\u0301', '\uD800', '', 'a"quote\\', '\n\t'];

function randomJson(rng: Rng, depth: number): unknown {
  return rng.weighted<() => unknown>([
    [3, () => rng.pick(JSON_STRINGS)],
    [3, () => rng.pick([0, -1, 1.5, 1e21, 42, -0.001, Number.MAX_SAFE_INTEGER])],
    [1, () => rng.chance(0.5)],
    [1, () => null],
    [depth > 0 ? 1 : 0, () => Array.from({ length: rng.int(4) }, () => randomJson(rng, depth - 1))],
    [depth > 0 ? 1 : 0, () => randomObject(rng, depth - 1)],
  ])();
}

function randomObject(rng: Rng, depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  const keys = ['theme', 'size', 'label', 'ratio', 'flags', 'nested', 'キー', '🔑', 'list'];
  for (const key of rng.sample(keys, rng.between(1, 4))) object[key] = randomJson(rng, depth);
  return object;
}

export interface GeneratedSpecs {
  dcs: ConfigSpecs;
  /** Names of gates, configs (incl. experiments) and layers, in DCS order. */
  gateNames: string[];
  configNames: string[];
  layerNames: string[];
}

interface GateNode {
  name: string;
  /** Longest chain of nested gate evaluations below it (1 = reads no gates). */
  depth: number;
}

/**
 * Builds the DCS from `seed`. Deterministic: the same seed gives the same JSON.
 * @example const { dcs } = generateSpecs(20240615);
 */
export function generateSpecs(seed: number): GeneratedSpecs {
  const rng = new Rng(seed);
  const gates: Spec[] = [];
  const configs: Spec[] = [];
  const layers: Spec[] = [];
  /** Gates other gates may reference, with their nesting depth (kept shallow: speed). */
  const referable: GateNode[] = [{ name: 'does_not_exist', depth: 1 }];
  const pp = () => rng.weighted(PASS_PERCENTAGES);
  const unitType = () => rng.weighted(UNIT_TYPES);

  // Segments: gates named segment:<x>, read through pass_gate; their exposures are dropped.
  gates.push(
    gate('segment:beta', [
      rule({
        id: 'seg_beta:rule',
        conditions: [unit('userID', 'in_segment_list', 'beta_users')],
        passPercentage: 100,
        returnValue: true,
      }),
    ]),
    gate('segment:employees', [
      rule({
        id: 'seg_employees:rule',
        conditions: [field('email', 'str_ends_with_any', ['@statsig.com', '@example.com'])],
        passPercentage: 100,
        returnValue: true,
      }),
    ]),
    gate('segment:jp_mobile', [
      rule({
        id: 'seg_jp_mobile:rule',
        conditions: [ip('country', 'any', ['JP']), agent('os_name', 'any', ['iOS', 'Android'])],
        passPercentage: 100,
        returnValue: true,
      }),
    ]),
  );
  for (const spec of gates) spec.entity = 'segment';
  referable.push(
    { name: 'segment:beta', depth: 1 },
    { name: 'segment:employees', depth: 1 },
    { name: 'segment:jp_mobile', depth: 1 },
  );

  // Holdout: 5% of users by user_bucket, referenced by experiments and layers.
  gates.push(
    gate(
      'global_holdout',
      [
        rule({
          id: 'holdout:5pct',
          salt: '',
          conditions: [cond('user_bucket', 'lt', 50, { salt: 'global-holdout-salt' })],
          passPercentage: 100,
          returnValue: true,
        }),
      ],
      { entity: 'holdout' },
    ),
  );
  referable.push({ name: 'global_holdout', depth: 1 });

  // Disabled gates: always false with rule "disabled", also when nested.
  for (let i = 0; i < 3; i++) {
    const name = `disabled_gate_${i}`;
    gates.push(
      gate(
        name,
        [rule({ id: `${name}:public`, conditions: [PUBLIC], passPercentage: 100, returnValue: true })],
        {
          enabled: false,
        },
      ),
    );
    referable.push({ name, depth: 1 });
  }

  // Coverage gates: every catalog entry once, as a one-condition rule, four to a gate in a
  // random order, then one constant-outcome entry last. A rule id tells which condition
  // decided, so the test can check that every operator both matched and missed for some users.
  const catalog = Object.values(CATALOG).flat();
  const entries = rng.shuffle(catalog.filter((entry) => !entry.constant));
  const constants = rng.shuffle(catalog.filter((entry) => entry.constant));
  for (let start = 0, g = 0; start < entries.length; start += 4, g++) {
    const name = `cov_${g}`;
    const picked = entries.slice(start, start + 4);
    const last = constants[g];
    if (last) picked.push(last);
    const rules = picked.map((entry, k) =>
      rule({
        id: `${name}:r${k}`,
        conditions: rng.chance(0.2) ? [PUBLIC, entry(rng)] : [entry(rng)],
        // A constant rule at the end gets a partial rollout, so the gate's value still varies.
        passPercentage: entry.constant ? rng.pick([33.33, 50, 66.67]) : rng.chance(0.8) ? 100 : pp(),
        returnValue: true,
        idType: unitType(),
      }),
    );
    gates.push(gate(name, rules, { idType: rng.weighted(UNIT_TYPES) }));
    referable.push({ name, depth: 1 });
  }

  // Fuzz gates: random type x operator x field x target, one condition per rule.
  for (let g = 0; g < 10; g++) {
    const name = `fuzz_${g}`;
    const rules = Array.from({ length: 4 }, (_, k) =>
      rule({
        id: `${name}:r${k}`,
        conditions: [fuzzCondition(rng)],
        passPercentage: rng.chance(0.8) ? 100 : pp(),
        returnValue: true,
        idType: unitType(),
      }),
    );
    gates.push(gate(name, rules));
    referable.push({ name, depth: 1 });
  }

  // Nesting gates: one rule per gate-reading condition type, each reading coverage gates
  // (which differ between users), so every type both matches and misses.
  const coverageGates = referable.filter((node) => node.name.startsWith('cov_')).map((node) => node.name);
  for (let i = 0; i < 2; i++) {
    const name = `nesting_${i}`;
    const types = rng.shuffle(['pass_gate', 'fail_gate', 'multi_pass_gate', 'multi_fail_gate']);
    const rules = types.map((type, k) =>
      rule({
        id: `${name}:r${k}`,
        conditions: [
          cond(type, null, type.startsWith('multi') ? rng.sample(coverageGates, 2) : rng.pick(coverageGates)),
        ],
        passPercentage: rng.chance(0.7) ? 100 : pp(),
        returnValue: true,
        idType: unitType(),
      }),
    );
    gates.push(gate(name, rules));
    referable.push({ name, depth: 2 });
  }

  // Composite gates: random rules mixing catalog conditions with nested gates.
  const randomCondition = (maxDepth: number): { condition: SpecCondition; depth: number } => {
    const shallow = referable.filter((node) => node.depth < maxDepth);
    const kind = rng.weighted([
      [6, 'catalog'],
      [3, 'gate'],
      [1, 'multi'],
      [1, 'public'],
    ] as const);
    if (kind === 'catalog' || shallow.length === 0) {
      const entry = rng.pick(rng.pick(Object.values(CATALOG)));
      return { condition: entry(rng), depth: 0 };
    }
    if (kind === 'public') return { condition: PUBLIC, depth: 0 };
    if (kind === 'gate') {
      const target = rng.pick(shallow);
      const type = rng.weighted([
        [5, 'pass_gate'],
        [4, 'fail_gate'],
        [1, 'Pass_Gate'],
      ]);
      return { condition: cond(type, null, target.name), depth: target.depth };
    }
    const targets = rng.sample(shallow, rng.between(2, 3));
    // Only the exact spelling means "pass"; statsig-node treats other spellings as multi_fail.
    const type = rng.weighted([
      [5, 'multi_pass_gate'],
      [4, 'multi_fail_gate'],
      [1, 'Multi_Pass_Gate'],
    ]);
    return {
      condition: cond(
        type,
        rng.pick([null, 'any']),
        targets.map((t) => t.name),
      ),
      depth: Math.max(...targets.map((t) => t.depth)),
    };
  };
  const randomRules = (prefix: string, count: number, returnValue: () => unknown, maxDepth = 3) => {
    let depth = 0;
    const rules: SpecRule[] = [];
    for (let k = 0; k < count; k++) {
      const conditions: SpecCondition[] = [];
      for (let c = rng.between(1, 3); c > 0; c--) {
        const picked = randomCondition(maxDepth);
        conditions.push(picked.condition);
        depth = Math.max(depth, picked.depth);
      }
      rules.push(
        rule({
          id: `${prefix}:r${k}`,
          conditions,
          passPercentage: pp(),
          returnValue: returnValue(),
          idType: unitType(),
          salt: rng.chance(0.1) ? rng.pick([null, '', 'absent']) : undefined,
        }),
      );
    }
    return { rules, depth: depth + 1 };
  };
  for (let i = 0; i < 12; i++) {
    const name = `composite_${i}`;
    const { rules, depth } = randomRules(name, rng.between(1, 3), () => true);
    gates.push(gate(name, rules, { enabled: !rng.chance(0.1), idType: unitType() }));
    referable.push({ name, depth });
  }

  // Rollouts: plain percentage gates on each unit type, and a holdout read the way the console
  // writes it into gates (pass_gate <holdout> with passPercentage 0: held-out users fail).
  gates.push(
    gate('rollout_holdout', [
      rule({
        id: 'rollout_holdout:holdout',
        salt: '',
        conditions: [cond('pass_gate', null, 'global_holdout')],
        passPercentage: 0,
        returnValue: true,
      }),
      rule({ id: 'rollout_holdout:third', conditions: [PUBLIC], passPercentage: 33.33, returnValue: true }),
    ]),
    gate(
      'rollout_stable',
      [
        rule({
          id: 'rollout_stable:half',
          conditions: [PUBLIC],
          passPercentage: 0.5,
          returnValue: true,
          idType: 'stableID',
        }),
      ],
      { idType: 'stableID' },
    ),
    gate(
      'rollout_company',
      [
        rule({
          id: 'rollout_company:pct',
          conditions: [PUBLIC],
          passPercentage: 12.345,
          returnValue: true,
          idType: 'companyID',
        }),
      ],
      { idType: 'companyID' },
    ),
    // The second rule is never reached: matching a rule's conditions is terminal, whatever
    // its percentage says.
    gate('rollout_tiny', [
      rule({ id: 'rollout_tiny:pct', conditions: [PUBLIC], passPercentage: 0.01, returnValue: true }),
      rule({ id: 'rollout_tiny:half', conditions: [PUBLIC], passPercentage: 50, returnValue: true }),
    ]),
  );

  // Unsupported: an unknown operator or type makes the whole spec false with rule "", and
  // so does reaching a nested gate that is unsupported.
  gates.push(
    gate('unsupported_operator', [
      rule({
        id: 'unsupported_operator:r0',
        conditions: [field('country', 'any', ['US'])],
        passPercentage: 100,
        returnValue: true,
      }),
      rule({
        id: 'unsupported_operator:r1',
        conditions: [field('email', 'matches_glob', '*@example.com')],
        passPercentage: 100,
        returnValue: true,
      }),
    ]),
    gate('unsupported_type', [
      rule({
        id: 'unsupported_type:r0',
        conditions: [cond('weather_based', 'any', ['rain'], { field: 'weather' })],
        passPercentage: 100,
        returnValue: true,
      }),
    ]),
    // Unsupported only when the loop reaches it: multi_fail_gate stops at the first failing gate.
    gate('multi_unsupported', [
      rule({
        id: 'multi_unsupported:r0',
        conditions: [cond('multi_fail_gate', null, ['rollout_tiny', 'unsupported_type'])],
        passPercentage: 100,
        returnValue: true,
      }),
    ]),
    gate('uses_unsupported', [
      rule({
        id: 'uses_unsupported:r0',
        conditions: [unit('userID', 'in_segment_list', 'beta_users')],
        passPercentage: 50,
        returnValue: true,
      }),
      rule({
        id: 'uses_unsupported:r1',
        conditions: [cond('pass_gate', null, 'unsupported_operator')],
        passPercentage: 100,
        returnValue: true,
      }),
    ]),
  );

  // Odd but valid shapes: empty and non-string multi-gate targets, a rule without
  // conditions, a gate returning an object, a spec without a salt, a duplicated name (the
  // later spec wins in both evaluators).
  const noConditions = rule({
    id: 'odd_shapes:no_conditions',
    conditions: [],
    passPercentage: 50,
    returnValue: true,
  });
  delete noConditions.conditions;
  gates.push(
    gate('odd_shapes', [
      rule({
        id: 'odd_shapes:multi_empty',
        conditions: [cond('multi_pass_gate', null, [])],
        passPercentage: 100,
        returnValue: true,
      }),
      rule({
        id: 'odd_shapes:multi_unknown',
        conditions: [cond('multi_fail_gate', null, ['does_not_exist', 5, 'segment:beta'])],
        passPercentage: 100,
        returnValue: { not: 'a boolean' },
      }),
      noConditions,
    ]),
    {
      ...gate('no_salt', [
        rule({ id: 'no_salt:r0', conditions: [PUBLIC], passPercentage: 50, returnValue: true }),
      ]),
      salt: undefined as unknown as string,
    },
    // A reference to a name that no spec has but Object.prototype does.
    gate('prototype_names', [
      rule({
        id: 'prototype_names:r0',
        conditions: [cond('fail_gate', null, 'valueOf')],
        passPercentage: 100,
        returnValue: true,
      }),
    ]),
    gate('dup_gate', [
      rule({ id: 'dup_gate:first', conditions: [PUBLIC], passPercentage: 100, returnValue: true }),
    ]),
    gate('dup_gate', [
      rule({ id: 'dup_gate:second', conditions: [PUBLIC], passPercentage: 50, returnValue: true }),
    ]),
  );

  // Dynamic configs: JSON values, custom unit types, nested gates, decimals.
  configs.push(
    config(
      'config_basic',
      [
        rule({
          id: 'config_basic:employees',
          conditions: [cond('pass_gate', null, 'segment:employees')],
          passPercentage: 100,
          returnValue: {
            theme: 'dark',
            size: 12,
            nested: { list: [1, 'two', { three: 3 }] },
            label: '日本語😀',
          },
        }),
        rule({
          id: 'config_basic:third',
          conditions: [PUBLIC],
          passPercentage: 33.33,
          // An own "__proto__" key, as JSON.parse creates it: plain data, never a prototype.
          returnValue: JSON.parse('{"theme":"blue","size":10,"ratio":0.5,"__proto__":{"polluted":true}}'),
        }),
      ],
      { theme: 'light', size: 11 },
    ),
    config(
      'config_company',
      [
        rule({
          id: 'config_company:listed',
          conditions: [unit('companyID', 'in_segment_list', 'companies')],
          passPercentage: 0.5,
          idType: 'companyID',
          returnValue: { seats: 100, tier: 'enterprise' },
        }),
        rule({
          id: 'config_company:any',
          conditions: [unit('CompanyID', 'any', ['acme', 'globex'])],
          passPercentage: 66.67,
          idType: 'CompanyID',
          returnValue: { seats: 10, tier: 'team' },
        }),
      ],
      { seats: 1, tier: 'free' },
      { idType: 'companyID' },
    ),
    config(
      'config_device',
      [
        rule({
          id: 'config_device:bucket',
          conditions: [bucket(rng, 'lt', 333, 'stableID')],
          passPercentage: 99.99,
          idType: 'stableID',
          returnValue: { layout: 'grid' },
        }),
      ],
      { layout: 'list' },
      { idType: 'stableID' },
    ),
    config(
      'config_disabled',
      [
        rule({
          id: 'config_disabled:all',
          conditions: [PUBLIC],
          passPercentage: 100,
          returnValue: { on: true },
        }),
      ],
      { on: false },
      { enabled: false },
    ),
    config(
      'config_unsupported',
      [
        rule({
          id: 'config_unsupported:beta',
          conditions: [unit('userID', 'in_segment_list', 'beta_users')],
          passPercentage: 100,
          returnValue: { beta: true },
        }),
        rule({
          id: 'config_unsupported:multi',
          conditions: [cond('multi_pass_gate', null, 'global_holdout')],
          passPercentage: 100,
          returnValue: { beta: false },
        }),
      ],
      { beta: null },
    ),
  );
  for (let i = 0; i < 4; i++) {
    const name = `config_random_${i}`;
    // Now and then a non-object value: configs then expose {} (arrays pass through).
    const value = () => (rng.chance(0.15) ? rng.pick(['text', [1, 'two'], null, 7]) : randomObject(rng, 2));
    const { rules } = randomRules(name, rng.between(1, 4), value);
    configs.push(config(name, rules, randomObject(rng, 2), { idType: unitType() }));
  }

  // Experiments and layers, encoded as the console does (protocol doc §1.10).
  const targeting = referable.filter((node) => node.name.startsWith('composite_') && node.depth <= 2);
  const layerPlans = [
    { name: 'checkout_layer', idType: 'userID', params: { color: 'grey', discount: 0, copy: 'Buy' } },
    { name: 'device_layer', idType: 'stableID', params: { layout: 'list', dense: false } },
    { name: 'company_layer', idType: 'companyID', params: { seats: 1, sso: false, 名前: '既定' } },
  ];
  interface ExperimentPlan {
    name: string;
    layer: number;
    groups: { name: string; size: number }[];
    enabled?: boolean;
    overrides?: boolean;
    targeting?: boolean;
  }
  const experimentPlans: ExperimentPlan[] = [
    {
      name: 'exp_checkout',
      layer: 0,
      groups: [
        { name: 'Control', size: 500 },
        { name: 'Test', size: 500 },
      ],
      overrides: true,
      targeting: true,
    },
    {
      name: 'exp_pricing',
      layer: 0,
      groups: [
        { name: 'Control', size: 333 },
        { name: 'Cheap', size: 333 },
        { name: 'Premium', size: 334 },
      ],
    },
    {
      name: 'exp_checkout_disabled',
      layer: 0,
      groups: [
        { name: 'Control', size: 500 },
        { name: 'Test', size: 500 },
      ],
      enabled: false,
    },
    {
      name: 'exp_device',
      layer: 1,
      groups: [
        { name: 'Control', size: 500 },
        { name: 'Test', size: 500 },
      ],
      overrides: true,
    },
    {
      name: 'exp_company',
      layer: 2,
      groups: [
        { name: 'Control', size: 250 },
        { name: 'Test', size: 750 },
      ],
      targeting: true,
    },
  ];
  const layerSlots = layerPlans.map(() => rng.shuffle(Array.from({ length: 1000 }, (_, i) => i)));
  const layerSlotsUsed = layerPlans.map(() => 0);
  const layerMembers: string[][] = layerPlans.map(() => []);
  const assignments: { experiment: string; slots: number[] }[][] = layerPlans.map(() => []);
  for (const plan of experimentPlans) {
    const layer = layerPlans[plan.layer] as (typeof layerPlans)[number];
    const idType = layer.idType;
    const take = rng.between(150, 350);
    const used = layerSlotsUsed[plan.layer] as number;
    const owned = (layerSlots[plan.layer] as number[]).slice(used, used + take).sort((a, b) => a - b);
    layerSlotsUsed[plan.layer] = used + take;
    (assignments[plan.layer] as { experiment: string; slots: number[] }[]).push({
      experiment: plan.name,
      slots: owned,
    });
    (layerMembers[plan.layer] as string[]).push(plan.name);
    const params = Object.keys(layer.params);
    const groupValue = () => Object.fromEntries(params.map((p) => [p, randomJson(rng, 1)]));
    const groups = plan.groups.map((g, k) => ({ ...g, id: `${plan.name}:group${k}`, value: groupValue() }));
    const rules: SpecRule[] = [];
    if (plan.overrides) {
      const first = groups[0] as (typeof groups)[number];
      rules.push(
        rule({
          id: `${first.id}:${idType}:id_override`,
          salt: '',
          conditions: [
            idType === 'userID'
              ? field('userID', 'any', ['user-2', 'user-3', 'user-5', 'ユーザー7'])
              : unit(idType, 'any', ['stable-7', 'stable-11']),
          ],
          passPercentage: 100,
          returnValue: first.value,
          groupName: first.name,
          idType,
        }),
      );
    }
    rules.push(
      rule({
        id: `${plan.name}:holdout`,
        salt: '',
        conditions: [cond('pass_gate', null, 'global_holdout')],
        passPercentage: 100,
        returnValue: layer.params,
        idType,
      }),
      rule({
        id: 'layerAssignment',
        salt: '',
        conditions: [cond('user_bucket', 'none', owned, { salt: `${layer.name}-salt`, idType })],
        passPercentage: 100,
        returnValue: layer.params,
        idType,
      }),
    );
    if (plan.targeting) {
      rules.push(
        rule({
          id: 'targetingGate',
          salt: '',
          conditions: [cond('fail_gate', null, rng.pick(targeting).name)],
          passPercentage: 100,
          returnValue: layer.params,
          idType,
        }),
      );
    }
    let bound = 0;
    for (const g of groups) {
      bound += g.size;
      rules.push(
        rule({
          id: g.id,
          salt: g.id,
          conditions: [cond('user_bucket', 'lt', bound, { salt: `${plan.name}-salt`, idType })],
          passPercentage: 100,
          returnValue: g.value,
          groupName: g.name,
          isExperimentGroup: true,
          idType,
        }),
      );
    }
    configs.push(
      config(plan.name, rules, layer.params, {
        entity: 'experiment',
        idType,
        enabled: plan.enabled ?? true,
        isActive: true,
        hasSharedParams: true,
        explicitParameters: rng.sample(params, rng.between(1, params.length)),
      }),
    );
  }
  // A standalone experiment: group rules with decimal pass percentages (a user who matches
  // a group but misses its percentage gets the default and still the group's name).
  configs.push(
    config(
      'exp_standalone',
      [
        rule({
          id: 'exp_standalone:control',
          conditions: [cond('user_bucket', 'lt', 500, { salt: 'exp_standalone-salt' })],
          passPercentage: 33.33,
          returnValue: { variant: 'control' },
          groupName: 'Control',
          isExperimentGroup: true,
        }),
        rule({
          id: 'exp_standalone:test',
          conditions: [cond('user_bucket', 'lt', 1000, { salt: 'exp_standalone-salt' })],
          passPercentage: 0.5,
          returnValue: { variant: 'test' },
          groupName: 'Test',
          isExperimentGroup: true,
        }),
      ],
      { variant: 'none' },
      { entity: 'experiment', isActive: true },
    ),
  );
  layerPlans.forEach((layer, index) => {
    const rules: SpecRule[] = [
      rule({
        id: `${layer.name}:holdout`,
        salt: '',
        conditions: [cond('pass_gate', null, 'global_holdout')],
        passPercentage: 100,
        returnValue: layer.params,
        idType: layer.idType,
      }),
    ];
    for (const { experiment, slots: owned } of assignments[index] as {
      experiment: string;
      slots: number[];
    }[]) {
      rules.push(
        rule({
          id: `${layer.name}:assign:${experiment}`,
          salt: '',
          conditions: [
            cond('user_bucket', 'any', owned, { salt: `${layer.name}-salt`, idType: layer.idType }),
          ],
          passPercentage: 100,
          returnValue: layer.params,
          configDelegate: experiment,
          idType: layer.idType,
        }),
      );
    }
    // A delegate naming nothing (empty string) is ignored like a missing one.
    const spare = layerSlotsUsed[index] as number;
    rules.push(
      rule({
        id: `${layer.name}:assign:empty`,
        salt: '',
        conditions: [
          cond('user_bucket', 'any', (layerSlots[index] as number[]).slice(spare + 100, spare + 150), {
            salt: `${layer.name}-salt`,
            idType: layer.idType,
          }),
        ],
        passPercentage: 100,
        returnValue: { ...layer.params, fromEmpty: true },
        configDelegate: '',
        idType: layer.idType,
      }),
    );
    // A delegate that names no experiment: the rule decides by itself, with its percentage.
    const used = layerSlotsUsed[index] as number;
    rules.push(
      rule({
        id: `${layer.name}:assign:missing`,
        salt: '',
        conditions: [
          cond('user_bucket', 'any', (layerSlots[index] as number[]).slice(used, used + 100), {
            salt: `${layer.name}-salt`,
            idType: layer.idType,
          }),
        ],
        passPercentage: 50,
        returnValue: { ...layer.params, fromMissing: true },
        configDelegate: 'exp_missing',
        idType: layer.idType,
      }),
    );
    layers.push(
      config(layer.name, rules, layer.params, {
        entity: 'layer',
        idType: layer.idType,
        explicitParameters: [],
      }),
    );
  });
  layers.push(config('empty_layer', [], { unused: true }, { entity: 'layer' }));
  // A delegate named like an Object.prototype member, which no config has.
  layers.push(
    config(
      'prototype_delegate_layer',
      [
        rule({
          id: 'prototype_delegate_layer:all',
          salt: '',
          conditions: [PUBLIC],
          passPercentage: 100,
          returnValue: { shade: 'own' },
          configDelegate: 'constructor',
        }),
      ],
      { shade: 'default' },
      { entity: 'layer' },
    ),
  );

  const dcs: ConfigSpecs = {
    has_updates: true,
    time: FIXED_NOW - 3_600_000,
    feature_gates: gates,
    dynamic_configs: configs,
    layer_configs: layers,
    layers: Object.fromEntries(
      layerPlans.map((layer, index) => [layer.name, layerMembers[index] as string[]]),
    ),
    id_lists: { beta_users: true, companies: true, emails: true, blocked_devices: true, empty_list: true },
    app_id: APP_ID,
  };
  return {
    dcs,
    gateNames: [...new Set(gates.map((s) => s.name))],
    configNames: configs.map((s) => s.name),
    layerNames: layers.map((s) => s.name),
  };
}

export interface DcsCoverage {
  /** Condition types (lower-cased, as both evaluators dispatch them) found in any rule. */
  types: Set<string>;
  /** Operators (lower-cased) of conditions whose type takes one. */
  operators: Set<string>;
  passPercentages: Set<number>;
  unitTypes: Set<string>;
  entities: Set<string>;
  disabledSpecs: number;
  configDelegates: number;
  experimentGroupRules: number;
  /** Gates read through pass_gate/fail_gate/multi_*_gate, segments included. */
  nestedGateReferences: number;
  segmentReferences: number;
}

const OPERATORLESS = new Set(['public', 'pass_gate', 'fail_gate', 'multi_pass_gate', 'multi_fail_gate']);

/** Walks a DCS and reports what it exercises; the test asserts this against the full lists. */
export function dcsCoverage(dcs: ConfigSpecs): DcsCoverage {
  const coverage: DcsCoverage = {
    types: new Set(),
    operators: new Set(),
    passPercentages: new Set(),
    unitTypes: new Set(),
    entities: new Set(),
    disabledSpecs: 0,
    configDelegates: 0,
    experimentGroupRules: 0,
    nestedGateReferences: 0,
    segmentReferences: 0,
  };
  for (const spec of [...dcs.feature_gates, ...dcs.dynamic_configs, ...dcs.layer_configs]) {
    if (spec.entity) coverage.entities.add(spec.entity);
    if (!spec.enabled) coverage.disabledSpecs++;
    if (spec.idType) coverage.unitTypes.add(spec.idType);
    for (const specRule of spec.rules) {
      coverage.passPercentages.add(specRule.passPercentage);
      if (specRule.idType) coverage.unitTypes.add(specRule.idType);
      if (specRule.configDelegate) coverage.configDelegates++;
      if (specRule.isExperimentGroup && specRule.groupName) coverage.experimentGroupRules++;
      for (const condition of specRule.conditions ?? []) {
        const type = condition.type.toLowerCase();
        coverage.types.add(type);
        if (!OPERATORLESS.has(type) && typeof condition.operator === 'string') {
          coverage.operators.add(condition.operator.toLowerCase());
        }
        if (type.endsWith('_gate')) {
          const targets = Array.isArray(condition.targetValue)
            ? condition.targetValue
            : [condition.targetValue];
          coverage.nestedGateReferences += targets.length;
          coverage.segmentReferences += targets.filter((t) => String(t).startsWith('segment:')).length;
        }
        if (condition.idType) coverage.unitTypes.add(condition.idType);
      }
    }
  }
  return coverage;
}

export interface RuleProbe {
  /** Index of the rule in its spec. */
  index: number;
  type: string;
  operator: string;
}

export interface RuleMap {
  /** Spec name -> rule id -> index (first occurrence). */
  indexOf: Map<string, Map<string, number>>;
  /** Spec name -> rules decided by exactly one non-public condition. */
  probes: Map<string, RuleProbe[]>;
  /** Spec name -> number of rules. */
  ruleCount: Map<string, number>;
}

/**
 * Where each rule sits in its gate or config, so a result's rule id tells which rules a user
 * reached and which one matched. (Layer results carry their experiment's rule id instead.)
 */
export function ruleMap(dcs: ConfigSpecs): RuleMap {
  const map: RuleMap = { indexOf: new Map(), probes: new Map(), ruleCount: new Map() };
  for (const spec of [...dcs.feature_gates, ...dcs.dynamic_configs]) {
    const indexOf = new Map<string, number>();
    const probes: RuleProbe[] = [];
    spec.rules.forEach((specRule, index) => {
      if (!indexOf.has(specRule.id)) indexOf.set(specRule.id, index);
      const deciding = (specRule.conditions ?? []).filter((c) => c.type.toLowerCase() !== 'public');
      const only = deciding[0];
      if (deciding.length !== 1 || !only) return;
      const type = only.type.toLowerCase();
      const operator = OPERATORLESS.has(type) ? '' : String(only.operator ?? '').toLowerCase();
      probes.push({ index, type, operator });
    });
    map.indexOf.set(spec.name, indexOf);
    map.probes.set(spec.name, probes);
    map.ruleCount.set(spec.name, spec.rules.length);
  }
  return map;
}
