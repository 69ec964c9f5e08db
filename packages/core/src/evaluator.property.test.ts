/**
 * Properties of createEvaluator: determinism, monotonic rollouts, irrelevant attributes,
 * bucketing statistics, resalting, and robustness against arbitrary input.
 * Bucketing decisions are also checked against statsig-node's own hash (computeUserHash).
 */
import fc from 'fast-check';
import { computeUserHash } from 'statsig-node/dist/utils/EvaluatorUtils.js';
import { describe, expect, it } from 'vitest';
import { createEvaluator, type Evaluator } from './evaluator.js';
import type { ConfigSpecs, EvaluationResult, Spec, SpecCondition, SpecRule, StatsigUser } from './types.js';
import { CONDITION_TYPES } from './vocabulary.js';

// ---------------------------------------------------------------------------------------------
// Spec builders (shapes as in protocol doc 1.6-1.10)

function condition(type: string, extra: Partial<SpecCondition> = {}): SpecCondition {
  return {
    type,
    operator: null,
    targetValue: null,
    field: null,
    additionalValues: {},
    idType: 'userID',
    ...extra,
  };
}

const PUBLIC = condition('public');

function rule(
  id: string,
  passPercentage: number,
  conditions: SpecCondition[],
  extra: Partial<SpecRule> = {},
) {
  return {
    id,
    name: id,
    salt: id,
    passPercentage,
    conditions,
    returnValue: true,
    idType: 'userID',
    ...extra,
  } satisfies SpecRule;
}

function spec(name: string, salt: string, rules: SpecRule[], extra: Partial<Spec> = {}): Spec {
  return {
    name,
    type: 'feature_gate',
    entity: 'feature_gate',
    salt,
    enabled: true,
    defaultValue: false,
    idType: 'userID',
    rules,
    ...extra,
  };
}

function dcs(parts: Partial<ConfigSpecs>): ConfigSpecs {
  return { has_updates: true, time: 1, feature_gates: [], dynamic_configs: [], layer_configs: [], ...parts };
}

function gateOnly(specSalt: string, ruleSalt: string, passPercentage: number, idType = 'userID'): Evaluator {
  return createEvaluator(
    dcs({
      feature_gates: [spec('g', specSalt, [rule('r', passPercentage, [PUBLIC], { salt: ruleSalt, idType })])],
    }),
  );
}

/** statsig-node's pass-percentage decision (Evaluator._evalPassPercent), using its own hash. */
function statsigPasses(specSalt: string, ruleSalt: string, unitID: string, passPercentage: number): boolean {
  if (passPercentage === 0) return false;
  if (passPercentage === 100) return true;
  return Number(computeUserHash(`${specSalt}.${ruleSalt}.${unitID}`) % 10_000n) < passPercentage * 100;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const REASONS = ['Evaluated', 'Unrecognized', 'Unsupported', 'InvalidSpec', 'Error'];

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Salts and IDs as they occur: UUIDs, ASCII, and any Unicode text. */
const text = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const percentage = fc.oneof(
  fc.integer({ min: 0, max: 100 }),
  fc.integer({ min: 0, max: 10_000 }).map((x) => x / 100),
  fc.double({ min: 0, max: 100, noNaN: true }),
);
const unitIDs = fc.uniqueArray(text, { minLength: 20, maxLength: 60 });

const jsonScalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null));
const userArb: fc.Arbitrary<StatsigUser> = fc.record(
  {
    userID: text,
    email: fc.oneof(fc.emailAddress(), fc.constantFrom('a@example.com', 'b@corp.com'), fc.string()),
    country: fc.constantFrom('US', 'us', 'CA', 'FR', 'DE'),
    locale: fc.constantFrom('en_US', 'fr_FR', 'ja_JP'),
    ip: fc.ipV4(),
    userAgent: fc.constantFrom(
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
    ),
    appVersion: fc.constantFrom('1.0.0', '2.3.1', '10.0', '2.0.0-beta'),
    custom: fc.dictionary(fc.string({ maxLength: 8 }), jsonScalar, { maxKeys: 4 }),
    privateAttributes: fc.dictionary(fc.string({ maxLength: 8 }), jsonScalar, { maxKeys: 3 }),
    customIDs: fc.record({ stableID: text, companyID: text }, { requiredKeys: [] }),
  },
  { requiredKeys: ['userID'] },
);

/** A DCS using most condition types, nested gates, an experiment and a layer, from arbitrary salts. */
function richDcs(p: { salts: string[]; pcts: number[]; slots: number }): ConfigSpecs {
  const [s0 = 'a', s1 = 'b', s2 = 'c', s3 = 'd'] = p.salts;
  const [p0 = 50, p1 = 50, p2 = 50] = p.pcts;
  const slotList = range(p.slots);
  return dcs({
    feature_gates: [
      spec('segment:employees', s3, [
        rule('emp', 100, [
          condition('user_field', {
            field: 'email',
            operator: 'str_ends_with_any',
            targetValue: ['@example.com'],
          }),
        ]),
      ]),
      spec('g', s0, [
        rule('employees', 100, [condition('pass_gate', { targetValue: 'segment:employees' })]),
        rule(
          'us',
          p0,
          [condition('ip_based', { field: 'country', operator: 'any', targetValue: ['US', 'CA'] })],
          {
            salt: s1,
          },
        ),
        rule(
          'ios',
          p1,
          [condition('ua_based', { field: 'os_name', operator: 'any', targetValue: ['iOS'] })],
          {
            salt: s2,
            idType: 'stableID',
          },
        ),
        rule('app', p2, [
          condition('user_field', { field: 'appVersion', operator: 'version_gte', targetValue: '2.0' }),
          condition('unit_id', { idType: 'companyID', operator: 'none', targetValue: ['blocked'] }),
        ]),
      ]),
      spec('nested', s1, [rule('n', p1, [condition('fail_gate', { targetValue: 'g' })], { salt: s0 })]),
    ],
    dynamic_configs: [
      spec(
        'exp',
        s2,
        [
          rule('layerAssignment', 100, [
            condition('user_bucket', {
              operator: 'none',
              targetValue: slotList,
              additionalValues: { salt: s3 },
            }),
          ]),
          rule(
            'control',
            100,
            [condition('user_bucket', { operator: 'lt', targetValue: 500, additionalValues: { salt: s2 } })],
            { groupName: 'Control', isExperimentGroup: true, returnValue: { color: 'blue' } },
          ),
          rule(
            'test',
            100,
            [condition('user_bucket', { operator: 'lt', targetValue: 1000, additionalValues: { salt: s2 } })],
            { groupName: 'Test', isExperimentGroup: true, returnValue: { color: 'green' } },
          ),
        ],
        { type: 'dynamic_config', entity: 'experiment', defaultValue: { color: 'grey' }, isActive: true },
      ),
    ],
    layer_configs: [
      spec(
        'layer',
        s3,
        [
          rule(
            'experimentAssignment',
            100,
            [
              condition('user_bucket', {
                operator: 'any',
                targetValue: slotList,
                additionalValues: { salt: s3 },
              }),
            ],
            { salt: '', configDelegate: 'exp' },
          ),
        ],
        { type: 'dynamic_config', entity: 'layer', defaultValue: { color: 'grey' } },
      ),
    ],
  });
}

const richDcsArb = fc
  .record({
    salts: fc.array(text, { minLength: 4, maxLength: 4 }),
    pcts: fc.array(percentage, { minLength: 3, maxLength: 3 }),
    slots: fc.integer({ min: 0, max: 1000 }),
  })
  .map(richDcs);

function allResults(evaluator: Evaluator, user: StatsigUser): EvaluationResult[] {
  return [
    evaluator.checkGate(user, 'g'),
    evaluator.checkGate(user, 'nested'),
    evaluator.getExperiment(user, 'exp'),
    evaluator.getLayer(user, 'layer'),
  ];
}

// ---------------------------------------------------------------------------------------------

describe('determinism', () => {
  it('gives the same results for the same user and DCS: twice, after other users, and from a fresh evaluator', () => {
    fc.assert(
      fc.property(richDcsArb, userArb, fc.array(userArb, { maxLength: 5 }), (specs, user, others) => {
        const evaluator = createEvaluator(specs);
        const first = allResults(evaluator, user);
        expect(first.every((result) => result.reason === 'Evaluated')).toBe(true);
        expect(allResults(evaluator, user)).toEqual(first);
        for (const other of others) allResults(evaluator, other);
        expect(allResults(evaluator, user)).toEqual(first);
        expect(allResults(createEvaluator(structuredClone(specs)), user)).toEqual(first);
        // A structurally equal copy of the user is the same user.
        expect(allResults(evaluator, structuredClone(user))).toEqual(first);
      }),
      { numRuns: 150 },
    );
  });
});

describe('pass percentage', () => {
  it('matches statsig-node (computeUserHash % 10000 < p * 100) for arbitrary salts, IDs and percentages', () => {
    fc.assert(
      fc.property(text, text, percentage, unitIDs, (specSalt, ruleSalt, pct, ids) => {
        const evaluator = gateOnly(specSalt, ruleSalt, pct);
        for (const id of ids) {
          const result = evaluator.checkGate({ userID: id }, 'g');
          expect(result.ruleID).toBe('r');
          expect(result.value).toBe(statsigPasses(specSalt, ruleSalt, id, pct));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is monotonic: every user passing at p1 also passes at any p2 >= p1 (same salts)', () => {
    fc.assert(
      fc.property(text, text, percentage, percentage, unitIDs, (specSalt, ruleSalt, a, b, ids) => {
        const [p1, p2] = a <= b ? [a, b] : [b, a];
        const lower = gateOnly(specSalt, ruleSalt, p1);
        const higher = gateOnly(specSalt, ruleSalt, p2);
        for (const id of ids) {
          const user = { userID: id };
          if (lower.checkGate(user, 'g').value) expect(higher.checkGate(user, 'g').value).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('is monotonic across a whole staged rollout for a custom unit type', () => {
    const stages = [0, 0.01, 0.5, 1, 2.5, 5, 10, 25, 33.33, 50, 99.99, 100];
    const evaluators = stages.map((p) => gateOnly('rollout_salt', 'rule_salt', p, 'stableID'));
    const users = range(5000).map((i) => ({ customIDs: { stableID: `device-${i}` } }));
    let previous = users.map(() => false);
    stages.forEach((p, stage) => {
      const passes = users.map((user) => (evaluators[stage] as Evaluator).checkGate(user, 'g').value);
      passes.forEach((pass, i) => {
        if (previous[i]) expect(pass, `device-${i} dropped out at ${p}%`).toBe(true);
      });
      const rate = passes.filter(Boolean).length / users.length;
      expect(Math.abs(rate - p / 100), `pass rate at ${p}%`).toBeLessThan(0.02);
      previous = passes;
    });
  });
});

describe('attributes no condition reads', () => {
  // Conditions read email and country (user_field) and user_bucket / pass percentage on userID.
  const targeted = createEvaluator(
    dcs({
      feature_gates: [
        spec('targeted', 'targeted_salt', [
          rule('staff', 100, [
            condition('user_field', {
              field: 'email',
              operator: 'str_ends_with_any',
              targetValue: ['@example.com'],
            }),
          ]),
          rule('na', 30, [
            condition('user_field', { field: 'country', operator: 'any', targetValue: ['US', 'CA'] }),
            condition('user_field', { field: 'email', operator: 'str_contains_none', targetValue: ['test'] }),
          ]),
          rule('rest', 10, [
            condition('user_field', { field: 'country', operator: 'none', targetValue: ['FR'] }),
          ]),
        ]),
      ],
      dynamic_configs: [
        spec(
          'split',
          'split_salt',
          [
            rule(
              'eu',
              100,
              [
                condition('user_field', { field: 'country', operator: 'any', targetValue: ['FR', 'DE'] }),
                condition('user_bucket', {
                  operator: 'lt',
                  targetValue: 500,
                  additionalValues: { salt: 'eu' },
                }),
              ],
              { returnValue: { v: 'eu-a' } },
            ),
            rule('all', 50, [PUBLIC], { returnValue: { v: 'all' } }),
          ],
          { type: 'dynamic_config', entity: 'dynamic_config', defaultValue: { v: 'default' } },
        ),
      ],
    }),
  );
  const isRead = (key: string) => ['email', 'country'].includes(key.toLowerCase());
  const otherKeys = fc.dictionary(
    fc.string({ maxLength: 10 }).filter((key) => !isRead(key)),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 4 },
  );
  const mutation = fc.record(
    {
      custom: otherKeys,
      privateAttributes: otherKeys,
      customIDs: otherKeys,
      statsigEnvironment: otherKeys,
      locale: fc.oneof(fc.string(), fc.constant(null)),
      ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant(undefined)),
      userAgent: fc.oneof(fc.string(), fc.constant(null)),
      appVersion: fc.oneof(fc.string(), fc.constant(undefined)),
      extra: otherKeys,
    },
    { requiredKeys: [] },
  );

  it('never changes a result when only unread attributes change', () => {
    fc.assert(
      fc.property(userArb, mutation, (user, change) => {
        const mutated: StatsigUser = { ...user, ...change.extra };
        if ('locale' in change) mutated.locale = change.locale;
        if ('ip' in change) mutated.ip = change.ip;
        if ('userAgent' in change) mutated.userAgent = change.userAgent;
        if ('appVersion' in change) mutated.appVersion = change.appVersion;
        if (change.custom) mutated.custom = { ...user.custom, ...change.custom };
        if (change.privateAttributes) {
          mutated.privateAttributes = { ...user.privateAttributes, ...change.privateAttributes };
        }
        if (change.customIDs) mutated.customIDs = { ...user.customIDs, ...change.customIDs };
        if (change.statsigEnvironment) mutated.statsigEnvironment = change.statsigEnvironment;
        // The extra top-level keys must not shadow the fields the conditions read.
        mutated.userID = user.userID;
        mutated.email = user.email;
        mutated.country = user.country;
        expect(targeted.checkGate(mutated, 'targeted')).toEqual(targeted.checkGate(user, 'targeted'));
        expect(targeted.getConfig(mutated, 'split')).toEqual(targeted.getConfig(user, 'split'));
      }),
      { numRuns: 300 },
    );
  });

  it('does change results when a read attribute changes (the property above is not vacuous)', () => {
    const user = { userID: 'u', email: 'x@other.com', country: 'FR' };
    expect(targeted.checkGate(user, 'targeted').ruleID).toBe('default');
    expect(targeted.checkGate({ ...user, email: 'x@example.com' }, 'targeted')).toMatchObject({
      value: true,
      ruleID: 'staff',
    });
    expect(targeted.checkGate({ ...user, country: 'US' }, 'targeted').ruleID).toBe('na');
  });
});

describe('bucketing statistics over 100,000 users (user-0 ... user-99999)', () => {
  const N = 100_000;
  const userIDs = range(N).map((i) => `user-${i}`);

  it('passes a 5% rule for 5% +/- 0.3 points, and exactly 498 of the first 10,000 (SDK-verified, doc 3.5)', () => {
    const canary = gateOnly('canary_gate_salt', '5pct_rule', 5);
    let passed = 0;
    let passedFirst10k = 0;
    userIDs.forEach((userID, i) => {
      if (canary.checkGate({ userID }, 'g').value) {
        passed++;
        if (i < 10_000) passedFirst10k++;
      }
    });
    expect(passedFirst10k).toBe(498);
    expect(Math.abs(passed / N - 0.05)).toBeLessThanOrEqual(0.003);
  });

  it('splits a 90%-allocated layer with a 50/50 experiment as the SDK does (doc 3.5), within tolerance at 100k', () => {
    const slots = range(900);
    const evaluator = createEvaluator(
      dcs({
        dynamic_configs: [
          spec(
            'checkout_exp',
            'exp_salt',
            [
              rule(
                'layerAssignment',
                100,
                [
                  condition('user_bucket', {
                    operator: 'none',
                    targetValue: slots,
                    additionalValues: { salt: 'layer_salt' },
                  }),
                ],
                { salt: '' },
              ),
              rule(
                'control',
                100,
                [
                  condition('user_bucket', {
                    operator: 'lt',
                    targetValue: 500,
                    additionalValues: { salt: 'exp_salt' },
                  }),
                ],
                { groupName: 'Control', isExperimentGroup: true, returnValue: { button: 'blue' } },
              ),
              rule(
                'test',
                100,
                [
                  condition('user_bucket', {
                    operator: 'lt',
                    targetValue: 1000,
                    additionalValues: { salt: 'exp_salt' },
                  }),
                ],
                { groupName: 'Test', isExperimentGroup: true, returnValue: { button: 'green' } },
              ),
            ],
            { type: 'dynamic_config', entity: 'experiment', defaultValue: { button: 'grey' } },
          ),
        ],
        layer_configs: [
          spec(
            'checkout_layer',
            'layer_salt',
            [
              rule(
                'experimentAssignment',
                100,
                [
                  condition('user_bucket', {
                    operator: 'any',
                    targetValue: slots,
                    additionalValues: { salt: 'layer_salt' },
                  }),
                ],
                { salt: '', configDelegate: 'checkout_exp' },
              ),
            ],
            { type: 'dynamic_config', entity: 'layer', defaultValue: { button: 'grey' } },
          ),
        ],
      }),
    );
    const count = (limit: number) => {
      const groups = { Control: 0, Test: 0, outside: 0, layerMismatches: 0 };
      for (const userID of userIDs.slice(0, limit)) {
        const experiment = evaluator.getExperiment({ userID }, 'checkout_exp');
        const layer = evaluator.getLayer({ userID }, 'checkout_layer');
        const inside = experiment.ruleID !== 'layerAssignment';
        if (inside) groups[experiment.groupName as 'Control' | 'Test']++;
        else groups.outside++;
        // The layer delegates exactly the users the experiment does not send to layerAssignment.
        const consistent = inside
          ? layer.allocatedExperimentName === 'checkout_exp' && layer.json === experiment.json
          : layer.allocatedExperimentName === null && layer.ruleID === 'default';
        if (!consistent) groups.layerMismatches++;
      }
      return groups;
    };
    expect(count(10_000)).toEqual({ Control: 4500, Test: 4466, outside: 1034, layerMismatches: 0 });
    const all = count(N);
    expect(all.layerMismatches).toBe(0);
    expect(Math.abs(all.outside / N - 0.1)).toBeLessThanOrEqual(0.003);
    expect(Math.abs(all.Control / N - 0.45)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(all.Test / N - 0.45)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(all.Control / (all.Control + all.Test) - 0.5)).toBeLessThanOrEqual(0.005);
  });

  it('reshuffles the cohort when a salt changes: two 5% cohorts overlap about 5% of 5%, not ~100%', () => {
    const cohort = (evaluator: Evaluator) =>
      new Set(userIDs.filter((userID) => evaluator.checkGate({ userID }, 'g').value));
    const base = cohort(gateOnly('spec_salt', 'rule_salt_v1', 5));
    const sameSalts = cohort(gateOnly('spec_salt', 'rule_salt_v1', 5));
    const newRuleSalt = cohort(gateOnly('spec_salt', 'rule_salt_v2', 5));
    const newSpecSalt = cohort(gateOnly('spec_salt_v2', 'rule_salt_v1', 5));
    const overlap = (a: Set<string>, b: Set<string>) => [...a].filter((id) => b.has(id)).length;
    expect(overlap(base, sameSalts)).toBe(base.size);
    for (const other of [newRuleSalt, newSpecSalt]) {
      expect(Math.abs(other.size / N - 0.05)).toBeLessThanOrEqual(0.003);
      // Independent 5% cohorts share ~0.25% of users (250 of 100k, sd ~16).
      const shared = overlap(base, other);
      expect(shared).toBeGreaterThan(150);
      expect(shared).toBeLessThan(350);
    }
  });

  it('reshuffles for arbitrary pairs of distinct rule salts', () => {
    const ids = userIDs.slice(0, 20_000);
    fc.assert(
      fc.property(text, text, text, (specSalt, saltA, saltB) => {
        fc.pre(saltA !== saltB);
        const a = gateOnly(specSalt, saltA, 5);
        const b = gateOnly(specSalt, saltB, 5);
        let inA = 0;
        let inBoth = 0;
        for (const userID of ids) {
          if (a.checkGate({ userID }, 'g').value) {
            inA++;
            if (b.checkGate({ userID }, 'g').value) inBoth++;
          }
        }
        // ~1000 users in a cohort; independent cohorts share ~50 of them.
        expect(inA).toBeGreaterThan(800);
        expect(inBoth / inA).toBeLessThan(0.15);
      }),
      { numRuns: 5 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Robustness

const richAnything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
  maxDepth: 3,
});

/** A DCS whose every field may be anything, with real-looking shapes mixed in. */
function dcsOf(any: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const conditionArb = fc.record(
    {
      type: fc.oneof(any, fc.constantFrom(...CONDITION_TYPES, 'PASS_GATE', 'nonsense')),
      operator: fc.oneof(
        any,
        fc.constantFrom(
          'gt',
          'any',
          'NONE',
          'eq',
          'str_matches',
          'version_gte',
          'on',
          'array_contains_all',
          'in_segment_list',
        ),
      ),
      targetValue: fc.oneof(any, fc.constantFrom('g', 'c', ['g', 'c'], ['a', 1, null])),
      field: fc.oneof(any, fc.constantFrom('email', 'country', 'os_name', 'tier')),
      additionalValues: any,
      idType: any,
    },
    { requiredKeys: [] },
  );
  const ruleArb = fc.record(
    {
      id: any,
      salt: any,
      passPercentage: fc.oneof(any, percentage),
      conditions: fc.oneof(any, fc.array(fc.oneof(conditionArb, any), { maxLength: 3 })),
      returnValue: any,
      idType: any,
      groupName: any,
      isExperimentGroup: any,
      configDelegate: fc.oneof(any, fc.constant('c')),
    },
    { requiredKeys: [] },
  );
  const specArb = fc.record(
    {
      name: fc.oneof(any, fc.constantFrom('g', 'c', 'l')),
      salt: any,
      enabled: fc.oneof(any, fc.constant(true)),
      defaultValue: any,
      idType: any,
      rules: fc.oneof(any, fc.array(fc.oneof(ruleArb, any), { maxLength: 3 })),
      explicitParameters: any,
      version: any,
      isActive: any,
    },
    { requiredKeys: [] },
  );
  const list = fc.oneof(any, fc.array(fc.oneof(specArb, any), { maxLength: 3 }));
  return fc.oneof(
    any,
    fc.record(
      {
        feature_gates: list,
        dynamic_configs: list,
        layer_configs: list,
        default_environment: any,
        app_id: any,
        time: any,
      },
      { requiredKeys: [] },
    ),
  );
}

/** JSON only, with the object keys most likely to break coercions ({"toString": 1} is valid JSON). */
const hostileJson = fc.jsonValue({ maxDepth: 3 }).map((value) => value as unknown);
const hostileKeyJson = fc.oneof(
  hostileJson,
  fc.dictionary(
    fc.constantFrom('toString', 'valueOf', '__proto__', 'constructor', 'a'),
    fc.jsonValue({ maxDepth: 1 }),
    {
      minKeys: 1,
      maxKeys: 2,
    },
  ),
);

function expectWellFormed(result: EvaluationResult): void {
  expect(REASONS).toContain(result.reason);
  expect(typeof result.value).toBe('boolean');
  expect(Array.isArray(result.secondaryExposures)).toBe(true);
}

function checkEverything(evaluator: Evaluator, user: unknown, names: unknown[]): void {
  for (const name of names) {
    const u = user as StatsigUser;
    const n = name as string;
    expectWellFormed(evaluator.checkGate(u, n));
    expectWellFormed(evaluator.getConfig(u, n));
    expectWellFormed(evaluator.getExperiment(u, n));
    expectWellFormed(evaluator.getLayer(u, n));
  }
}

describe('never throws', () => {
  it('createEvaluator accepts any value (fc.anything) as the DCS, as spec fields, rules and conditions', () => {
    fc.assert(
      fc.property(dcsOf(richAnything), (specs) => {
        createEvaluator(specs as ConfigSpecs);
      }),
      { numRuns: 400 },
    );
  });

  it('createEvaluator accepts any JSON DCS (a payload from the wire), including objects like {"toString": 1}', () => {
    fc.assert(
      fc.property(dcsOf(hostileKeyJson), (specs) => {
        createEvaluator(specs as ConfigSpecs);
      }),
      { numRuns: 400 },
    );
  });

  it('checks never throw and always give a reason, for any user and any DCS that compiles', () => {
    fc.assert(
      fc.property(dcsOf(richAnything), richAnything, richAnything, (specs, user, name) => {
        let evaluator: Evaluator;
        try {
          evaluator = createEvaluator(specs as ConfigSpecs);
        } catch {
          return; // covered by the createEvaluator properties above
        }
        checkEverything(evaluator, user, ['g', 'c', 'l', name]);
      }),
      { numRuns: 400 },
    );
  });

  it('checks never throw for fc.anything() as the user against a DCS using every condition type', () => {
    const evaluator = createEvaluator(
      richDcs({ salts: ['a', 'b', 'c', 'd'], pcts: [50, 25, 75], slots: 600 }),
      {
        idLists: new Map([['list', new Set(['xsKJ5J6c'])]]),
      },
    );
    const anyUser = fc.oneof(
      richAnything,
      fc.record({
        userID: richAnything,
        email: richAnything,
        ip: richAnything,
        userAgent: richAnything,
        country: richAnything,
        appVersion: richAnything,
        custom: richAnything,
        privateAttributes: richAnything,
        customIDs: richAnything,
        statsigEnvironment: richAnything,
      }),
    );
    fc.assert(
      fc.property(anyUser, (user) => {
        checkEverything(evaluator, user, ['g', 'nested', 'exp', 'layer', 'segment:employees']);
      }),
      { numRuns: 500 },
    );
  });

  it('evaluates (reason Evaluated) any JSON user with plain keys against a valid DCS', () => {
    const evaluator = createEvaluator(
      richDcs({ salts: ['a', 'b', 'c', 'd'], pcts: [50, 25, 75], slots: 600 }),
    );
    // Objects keyed "toString"/"valueOf" break String() and Number(), in statsig-node too.
    const plainKey = fc.string({ maxLength: 8 }).filter((key) => !['toString', 'valueOf'].includes(key));
    const jsonish = fc.anything({
      key: plainKey,
      values: [
        fc.string(),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
      ],
      maxDepth: 2,
    });
    const jsonUser = fc.record({
      userID: jsonish,
      email: jsonish,
      ip: jsonish,
      userAgent: jsonish,
      country: jsonish,
      appVersion: jsonish,
      custom: fc.oneof(jsonish, fc.dictionary(plainKey, jsonish)),
      customIDs: fc.oneof(jsonish, fc.dictionary(plainKey, jsonish)),
    });
    fc.assert(
      fc.property(jsonUser, (user) => {
        for (const result of allResults(evaluator, user as StatsigUser)) {
          expect(result.reason, result.detail).toBe('Evaluated');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reports a gate cycle as reason Error instead of throwing', () => {
    const evaluator = createEvaluator(
      dcs({
        feature_gates: [
          spec('a', 'sa', [rule('ra', 100, [condition('pass_gate', { targetValue: 'b' })])]),
          spec('b', 'sb', [rule('rb', 100, [condition('pass_gate', { targetValue: 'a' })])]),
        ],
      }),
    );
    const result = evaluator.checkGate({ userID: 'u' }, 'a');
    expect(result.reason).toBe('Error');
    expect(result.value).toBe(false);
  });
});
