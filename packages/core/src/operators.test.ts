/**
 * compileOperator: the cross-checked edge cases of protocol doc section 2.5, plus differential
 * properties against statsig-node 6.5.2 itself: its exported operator helpers
 * (utils/EvaluatorUtils) and its whole condition evaluator (Evaluator._evalCondition).
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import {
  arrayAny,
  arrayHasAllValues,
  arrayHasValue,
  dateCompare,
  numberCompare,
  stringCompare,
  versionCompareHelper,
} from 'statsig-node/dist/utils/EvaluatorUtils.js';
import { describe, expect, it } from 'vitest';
import { createEvaluator } from './evaluator.js';
import { compileOperator } from './operators.js';
import type { ConfigSpecs, SpecCondition, StatsigUser } from './types.js';
import { OPERATORS as ALL_OPERATORS, CONDITION_TYPES } from './vocabulary.js';

// ---------------------------------------------------------------------------------------------
// statsig-node's condition evaluator, driven directly. `environment_field` hands the value
// through untouched (getParameterCaseInsensitive), so only the operator decides.

interface StatsigConditionEvaluator {
  _evalCondition(user: object, condition: object, ctx: object): { passes: boolean; unsupported?: boolean };
}
const require = createRequire(import.meta.url);
const { default: StatsigEvaluator } = require('statsig-node/dist/Evaluator.js') as {
  default: new (options: object, store: object) => StatsigConditionEvaluator;
};
const { ConfigCondition } = require('statsig-node/dist/ConfigSpec.js') as {
  ConfigCondition: new (json: Record<string, unknown>) => object;
};
const statsig = new StatsigEvaluator({}, { getIDList: () => undefined, getPrimaryTargetAppID: () => null });

type Outcome = boolean | 'unsupported' | 'throws';

/** statsig-node's verdict for `operator` with `targetValue` on `value`; a throw at parse or evaluation is 'throws'. */
function theirs(operator: string, targetValue: unknown, value: unknown): Outcome {
  try {
    const condition = new ConfigCondition({ type: 'environment_field', field: 'v', operator, targetValue });
    const result = statsig._evalCondition({ statsigEnvironment: { v: value } }, condition, {});
    return result.unsupported ? 'unsupported' : result.passes;
  } catch {
    return 'throws';
  }
}

function ours(operator: string, targetValue: unknown, value: unknown): Outcome {
  let predicate: ((value: unknown) => boolean) | null;
  try {
    predicate = compileOperator(operator, targetValue);
  } catch {
    return 'throws';
  }
  if (predicate === null) return 'unsupported';
  try {
    return predicate(value);
  } catch {
    return 'throws';
  }
}

/** Runs our compiled predicate; throws propagate so a failing case shows the error. */
function check(operator: string, target: unknown, value: unknown): boolean {
  const predicate = compileOperator(operator, target);
  if (!predicate) throw new Error(`operator ${operator} unsupported`);
  return predicate(value);
}

/** Operators compileOperator handles; the ID-list ones are compiled with the lists, in compile-condition.ts. */
const OPERATORS = ALL_OPERATORS.filter((op) => !op.endsWith('segment_list'));

/** Each operator as spelled exactly, in upper case, and capitalised (statsig-node precomputes sets only for exact spellings). */
const SPELLINGS = OPERATORS.flatMap((op) => [op, op.toUpperCase(), op[0]?.toUpperCase() + op.slice(1)]);

// ---------------------------------------------------------------------------------------------
// Value arbitraries

/** Values that make operators decide something: numbers, numeric and version strings, dates, cases. */
const atom = fc.oneof(
  fc.constantFrom(
    '1',
    '2',
    '10',
    '9',
    ' 12 ',
    '0x10',
    '1e3',
    '',
    '1.2.3',
    '1.10',
    '1.9',
    '2.0',
    '2.0.0',
    '2.0.0-beta',
    '1.x',
    'a.b',
    'US',
    'us',
    'Us',
    'user@example.com',
    'Example',
    '2021-01-01T00:00:00Z',
    '2021-01-01',
    'Jan 1, 2021 23:30',
    '1600000000',
    'true',
    'null',
    'undefined',
    '^u.*m$',
    '(',
  ),
  fc.constantFrom(0, -0, 1, 2, 5, 9, 10, -1, 1.5, 1600000000, 1609459200000, 9_999_999_999, 10_000_000_000),
  fc.constantFrom(true, false, null, undefined, Number.NaN, Number.POSITIVE_INFINITY),
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -5, max: 20 }),
  fc.double({ noNaN: false }),
);
const SAFE_KEY = fc.string({ maxLength: 6 }).filter((key) => key !== 'toString' && key !== 'valueOf');
/** fc.anything() with every container type, but no object whose String()/Number() conversion throws. */
const ordinaryAnything = fc.anything({
  key: SAFE_KEY,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withObjectString: true,
  withUnicodeString: true,
  maxDepth: 2,
});
const ordinaryValue = fc.oneof(
  { weight: 3, arbitrary: atom },
  { weight: 2, arbitrary: fc.array(atom, { maxLength: 5 }) },
  { weight: 2, arbitrary: ordinaryAnything },
);

const versionish = fc.oneof(
  fc.array(fc.nat(12), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.')),
  fc
    .tuple(fc.nat(3), fc.nat(3), fc.constantFrom('', '-beta', '-rc.1', '.x', '.0'))
    .map(([a, b, c]) => `${a}.${b}${c}`),
);
const numberish = fc.oneof(fc.integer({ min: -3, max: 12 }), fc.integer({ min: -3, max: 12 }).map(String));
const dateish = fc.oneof(
  fc
    .date({ min: new Date('2019-12-30'), max: new Date('2020-01-03'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc
    .date({ min: new Date('2019-12-30'), max: new Date('2020-01-03'), noInvalidDate: true })
    .map((d) => d.getTime()),
  fc
    .date({ min: new Date('2019-12-30'), max: new Date('2020-01-03'), noInvalidDate: true })
    .map((d) => Math.floor(d.getTime() / 1000)),
);
/** Values of one kind on both sides, so each operator meets both true and false cases. */
const focused = fc.oneof(versionish, numberish, dateish, atom);
const listContaining = fc
  .tuple(focused, fc.array(focused, { maxLength: 4 }), fc.constantFrom('same', 'upper', 'string', 'array'))
  .map(([value, others, how]): [unknown, unknown] => {
    const member =
      how === 'upper' && typeof value === 'string'
        ? value.toUpperCase()
        : how === 'string'
          ? String(value)
          : value;
    return how === 'array'
      ? [
          [...others, member],
          [member, ...others.slice(1)],
        ]
      : [[...others, member], value];
  });
/** [target, value] pairs. */
const operands = fc.oneof(
  fc.tuple(ordinaryValue, ordinaryValue),
  fc.tuple(focused, focused),
  fc.tuple(versionish, versionish),
  fc.tuple(dateish, dateish),
  fc.tuple(fc.array(focused, { maxLength: 4 }), fc.array(focused, { maxLength: 4 })),
  listContaining,
  focused.map((value): [unknown, unknown] => [value, value]),
  versionish.map((version): [unknown, unknown] => [version, `${version}.0-build`]),
);

/**
 * Objects whose primitive conversion throws: null-prototype objects, and JSON objects with a
 * non-function `toString` / `valueOf` (valid JSON, e.g. {"toString": 1}).
 */
const unconvertible = fc.oneof(
  fc.constant(null).map(() => Object.create(null) as object),
  fc.jsonValue({ maxDepth: 0 }).map((inner) => ({ toString: inner }) as object),
  fc.jsonValue({ maxDepth: 0 }).map((inner) => ({ toString: inner, valueOf: inner }) as object),
);
const hostileValue = fc.oneof(
  ordinaryValue,
  unconvertible,
  fc.array(fc.oneof(atom, unconvertible), { minLength: 1, maxLength: 4 }),
);

// ---------------------------------------------------------------------------------------------

describe('compileOperator: cross-checked edge cases (protocol doc 2.5)', () => {
  // [operator, target, value, expected]. Each is also checked against statsig-node below.
  const cases: [string, unknown, unknown, boolean][] = [
    ['any', ['us'], 'US', true],
    ['any', ['5'], 5, true],
    ['none', ['x', 'y'], undefined, true],
    ['str_contains_none', ['a'], null, true],
    ['gt', 9, '10', true],
    ['lte', '3', 3, true],
    ['version_gte', '2.0', '2.0.0-beta', true],
    ['eq', '5', 5, true],
    ['before', '2021-01-01T00:00:00Z', 1600000000, true],
    ['any_case_sensitive', ['us'], 'US', false],
    ['str_matches', 'corp\\.com$', 'a@Corp.com', false],
    ['version_eq', '2', 2, false],
    ['eq', 'true', true, false],
    ['array_contains_any', ['a'], ['A'], false],
    ['array_contains_none', ['a'], 'b', false],
  ];

  it.each(cases)('%s target %j, value %j -> %s', (operator, target, value, expected) => {
    expect(check(operator, target, value)).toBe(expected);
    expect(theirs(operator, target, value)).toBe(expected);
  });

  it('returns null (unsupported) for unknown operators, which makes the spec Unsupported', () => {
    expect(compileOperator('greater_than', 1)).toBeNull();
    expect(compileOperator('', 1)).toBeNull();
    expect(compileOperator('in_segment_list', 'list')).toBeNull(); // compiled by the condition compiler
    expect(theirs('greater_than', 1, 2)).toBe('unsupported');
  });

  it('supports every operator and condition type of the published vocabulary, and nothing else', () => {
    for (const op of OPERATORS) expect(compileOperator(op, ['x']), op).not.toBeNull();
    const evaluator = createEvaluator({
      feature_gates: [...CONDITION_TYPES, 'nonsense'].map((type) => ({
        name: type,
        salt: 's',
        enabled: true,
        rules: [
          { id: 'r', passPercentage: 100, conditions: [{ type, operator: 'any', targetValue: ['x'] }] },
        ],
      })),
      dynamic_configs: [],
      layer_configs: [],
    } as unknown as ConfigSpecs);
    for (const type of CONDITION_TYPES)
      expect(evaluator.checkGate({ userID: 'u' }, type).reason, type).toBe('Evaluated');
    expect(evaluator.checkGate({ userID: 'u' }, 'nonsense').reason).toBe('Unsupported');
  });
});

describe('compileOperator: the rest of the section 2.5 table', () => {
  it('numeric: null on either side is false; Number() coercion; NaN is false', () => {
    expect(check('gte', 3, null)).toBe(false);
    expect(check('gte', null, 3)).toBe(false);
    expect(check('lt', '', 0.5)).toBe(false); // Number("") is 0: 0.5 < 0 is false
    expect(check('gt', '', 0.5)).toBe(true);
    expect(check('lt', 10, ' 9 ')).toBe(true);
    expect(check('gt', 1, 'abc')).toBe(false);
    expect(check('lte', 'abc', 1)).toBe(false);
    expect(check('gt', 0, true)).toBe(true); // Number(true) is 1
    expect(check('GT', 9, '10')).toBe(true);
  });

  it('versions: strings only, "-" suffix dropped, zero padding, numeric parts, early exit', () => {
    expect(check('version_gt', '1.9', '1.10')).toBe(true);
    expect(check('version_eq', '2.0.0', '2.0')).toBe(true);
    expect(check('version_neq', '2.0.0', '2.0')).toBe(false);
    expect(check('version_lt', '2', '1.x')).toBe(true); // 1 < 2 decides before reaching "x"
    expect(check('version_lt', '1.2', '1.x')).toBe(false); // "x" reached: invalid
    expect(check('version_gte', 2, '2')).toBe(false);
    expect(check('version_eq', '-beta', '1')).toBe(false); // empty after stripping
    expect(check('version_lte', '1.2.3-rc.1', '1.2.3')).toBe(true);
  });

  it('any / none: case-insensitive String() membership; non-array targets', () => {
    expect(check('any', ['US', 'CA'], 'ca')).toBe(true);
    expect(check('any', [5], '5')).toBe(true);
    expect(check('any', 'US', 'US')).toBe(false);
    expect(check('none', 'US', 'US')).toBe(true);
    expect(check('none', ['undefined'], undefined)).toBe(false); // String(undefined)
    expect(check('none_case_sensitive', ['us'], 'US')).toBe(true);
    expect(check('any_case_sensitive', [null], null)).toBe(true); // "null" in the exact-spelling set
    expect(check('ANY_CASE_SENSITIVE', [null], null)).toBe(false); // other spellings skip nulls
  });

  it('str_*: lower-cased String() comparisons; null value is false (none: true); non-array target false', () => {
    expect(check('str_starts_with_any', ['ADMIN'], 'admin-1')).toBe(true);
    expect(check('str_ends_with_any', ['@Example.com'], 'x@EXAMPLE.COM')).toBe(true);
    expect(check('str_contains_any', [5], 'v5.1')).toBe(true);
    expect(check('str_contains_any', 'abc', 'abc')).toBe(false);
    expect(check('str_contains_any', ['a'], null)).toBe(false);
    expect(check('str_contains_none', ['a'], 'bcd')).toBe(true);
    expect(check('str_contains_none', ['a'], 'bad')).toBe(false);
  });

  it('str_matches: case-sensitive, unanchored; 1000+ characters or an invalid regex is false', () => {
    expect(check('str_matches', 'corp\\.com$', 'a@corp.com')).toBe(true);
    expect(check('str_matches', 'b', 'abc')).toBe(true);
    expect(check('str_matches', 'a', 'a'.repeat(999))).toBe(true);
    expect(check('str_matches', 'a', 'a'.repeat(1000))).toBe(false);
    expect(check('str_matches', '(', '(')).toBe(false);
    expect(check('str_matches', 'null', null)).toBe(true); // String(null)
  });

  it('eq / neq: loose equality, no lowercasing; a missing field equals a null target', () => {
    expect(check('eq', null, undefined)).toBe(true);
    expect(check('eq', 'US', 'us')).toBe(false);
    expect(check('neq', '5', 5)).toBe(false);
    expect(check('neq', 'a', 'b')).toBe(true);
  });

  it('dates: strings through Date, numbers as seconds below 1e10, invalid is false; on = same local day', () => {
    expect(check('after', 1600000000, 1600000001)).toBe(true);
    expect(check('after', 1600000000000, 1600000001)).toBe(true); // seconds vs milliseconds
    expect(check('before', '1600000000', '2020-09-13T12:26:39Z')).toBe(true); // numeric string fallback
    expect(check('before', 'not a date', 1)).toBe(false);
    expect(check('after', 0, null)).toBe(false);
    const offsetMinutes = new Date(2021, 0, 1).getTimezoneOffset();
    expect(check('on', new Date(2021, 0, 1, 0, 0).getTime(), new Date(2021, 0, 1, 23, 59).getTime())).toBe(
      true,
    );
    expect(check('on', new Date(2021, 0, 1).getTime(), new Date(2021, 0, 2).getTime())).toBe(false);
    expect(Number.isFinite(offsetMinutes)).toBe(true);
  });

  it('array_contains_*: both sides arrays or false (negated ones too); SameValueZero; parseInt of targets', () => {
    expect(check('array_contains_any', ['2'], [1, 2])).toBe(true);
    expect(check('array_contains_any', ['2'], ['02'])).toBe(false);
    expect(check('array_contains_all', ['a', 'b'], ['b', 'c', 'a'])).toBe(true);
    expect(check('array_contains_all', ['a', 'b'], ['a'])).toBe(false);
    expect(check('not_array_contains_all', ['a', 'b'], ['a'])).toBe(true);
    expect(check('not_array_contains_all', ['a'], 'a')).toBe(false);
    expect(check('array_contains_none', ['x'], ['a'])).toBe(true);
    expect(check('array_contains_none', 'x', ['a'])).toBe(false);
    expect(check('array_contains_any', [Number.NaN], [Number.NaN])).toBe(true);
  });
});

describe('condition-level edge cases (protocol doc 2.5, verified with the SDK)', () => {
  function gateWith(condition: Partial<SpecCondition>, options: Parameters<typeof createEvaluator>[1] = {}) {
    const specs = {
      feature_gates: [
        {
          name: 'g',
          salt: 's',
          enabled: true,
          defaultValue: false,
          idType: 'userID',
          rules: [
            {
              id: 'r',
              salt: 'r',
              passPercentage: 100,
              returnValue: true,
              idType: 'userID',
              conditions: [{ additionalValues: {}, idType: 'userID', field: null, ...condition }],
            },
          ],
        },
      ],
      dynamic_configs: [],
      layer_configs: [],
    };
    const evaluator = createEvaluator(specs as unknown as ConfigSpecs, options);
    return (user: StatsigUser) => evaluator.checkGate(user, 'g');
  }

  it('user_field: country "US" any ["us"]; custom.level 5 any ["5"]; none on a missing field', () => {
    expect(
      gateWith({ type: 'user_field', field: 'country', operator: 'any', targetValue: ['us'] })({
        country: 'US',
      }).value,
    ).toBe(true);
    expect(
      gateWith({ type: 'user_field', field: 'level', operator: 'any', targetValue: ['5'] })({
        custom: { level: 5 },
      }).value,
    ).toBe(true);
    expect(
      gateWith({ type: 'user_field', field: 'plan', operator: 'none', targetValue: ['pro'] })({}).value,
    ).toBe(true);
  });

  it('user_field: "Plan" finds custom.plan; privateAttributes are read', () => {
    expect(
      gateWith({ type: 'user_field', field: 'Plan', operator: 'any', targetValue: ['pro'] })({
        custom: { plan: 'pro' },
      }).value,
    ).toBe(true);
    expect(
      gateWith({
        type: 'user_field',
        field: 'email',
        operator: 'str_ends_with_any',
        targetValue: ['@corp.com'],
      })({
        privateAttributes: { email: 'a@corp.com' },
      }).value,
    ).toBe(true);
  });

  it('environment_field: key Tier matches tier case-insensitively', () => {
    const check = gateWith({
      type: 'environment_field',
      field: 'Tier',
      operator: 'any',
      targetValue: ['staging'],
    });
    expect(check({ statsigEnvironment: { tier: 'Staging' } }).value).toBe(true);
    expect(check({ statsigEnvironment: { tier: 'production' } }).value).toBe(false);
    const fixed = gateWith(
      { type: 'environment_field', field: 'Tier', operator: 'any', targetValue: ['staging'] },
      { environment: { tier: 'staging' } },
    );
    expect(fixed({ statsigEnvironment: { tier: 'production' } }).value).toBe(true);
  });

  it('unit_id: idType companyid finds customIDs.companyID', () => {
    const check = gateWith({ type: 'unit_id', idType: 'companyid', operator: 'any', targetValue: ['acme'] });
    expect(check({ customIDs: { companyID: 'acme' } }).value).toBe(true);
    expect(check({ userID: 'acme' }).value).toBe(false);
  });

  it('ua_based os_name iOS from the user agent; ip_based country US from 8.8.8.8', () => {
    const ios =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
    expect(
      gateWith({ type: 'ua_based', field: 'os_name', operator: 'any', targetValue: ['iOS'] })({
        userAgent: ios,
      }).value,
    ).toBe(true);
    expect(
      gateWith({ type: 'ip_based', field: 'country', operator: 'any', targetValue: ['US'] })({
        ip: '8.8.8.8',
      }).value,
    ).toBe(true);
  });

  it('unknown condition type or operator: the whole spec is Unsupported and false', () => {
    const unknownType = gateWith({ type: 'moon_phase', operator: 'any', targetValue: ['full'] })({});
    expect(unknownType).toMatchObject({ value: false, ruleID: '', reason: 'Unsupported' });
    const unknownOperator = gateWith({ type: 'user_field', field: 'x', operator: 'is_cool', targetValue: 1 })(
      {},
    );
    expect(unknownOperator).toMatchObject({ value: false, ruleID: '', reason: 'Unsupported' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('differential against statsig-node helpers (utils/EvaluatorUtils)', () => {
  // How statsig-node's Evaluator calls each helper, with (value, target).
  const onSameDay = (a: Date, b: Date) => {
    a.setHours(0, 0, 0, 0);
    b.setHours(0, 0, 0, 0);
    return a.getTime() === b.getTime();
  };
  const bothArrays =
    (fn: (value: unknown[], target: string[]) => boolean) => (value: unknown, target: unknown) =>
      Array.isArray(target) && Array.isArray(value) && fn(value, target as string[]);
  const reference: Record<string, (value: unknown, target: unknown) => boolean> = {
    gt: numberCompare((a, b) => a > b),
    gte: numberCompare((a, b) => a >= b),
    lt: numberCompare((a, b) => a < b),
    lte: numberCompare((a, b) => a <= b),
    version_gt: (v, t) => versionCompareHelper((r) => r > 0)(v as string, t as string),
    version_gte: (v, t) => versionCompareHelper((r) => r >= 0)(v as string, t as string),
    version_lt: (v, t) => versionCompareHelper((r) => r < 0)(v as string, t as string),
    version_lte: (v, t) => versionCompareHelper((r) => r <= 0)(v as string, t as string),
    version_eq: (v, t) => versionCompareHelper((r) => r === 0)(v as string, t as string),
    version_neq: (v, t) => versionCompareHelper((r) => r !== 0)(v as string, t as string),
    before: (v, t) => dateCompare((a, b) => a < b)(v as string, t as string),
    after: (v, t) => dateCompare((a, b) => a > b)(v as string, t as string),
    on: (v, t) => dateCompare(onSameDay)(v as string, t as string),
    str_starts_with_any: (v, t) =>
      arrayAny(
        v,
        t,
        stringCompare(true, (a, b) => a.startsWith(b)),
      ),
    str_ends_with_any: (v, t) =>
      arrayAny(
        v,
        t,
        stringCompare(true, (a, b) => a.endsWith(b)),
      ),
    str_contains_any: (v, t) =>
      arrayAny(
        v,
        t,
        stringCompare(true, (a, b) => a.includes(b)),
      ),
    str_contains_none: (v, t) =>
      !arrayAny(
        v,
        t,
        stringCompare(true, (a, b) => a.includes(b)),
      ),
    array_contains_any: bothArrays(arrayHasValue),
    array_contains_none: bothArrays((v, t) => !arrayHasValue(v, t)),
    array_contains_all: bothArrays(arrayHasAllValues),
    not_array_contains_all: bothArrays((v, t) => !arrayHasAllValues(v, t)),
  };

  it.each(Object.keys(reference))('%s agrees with the helper wherever the helper answers', (operator) => {
    const helper = reference[operator] as (value: unknown, target: unknown) => boolean;
    const seen = new Set<boolean>();
    fc.assert(
      fc.property(operands, ([target, value]) => {
        let expected: boolean;
        try {
          expected = helper(value, target);
        } catch {
          return; // statsig-node throws: its error boundary returns defaults, any answer is acceptable
        }
        seen.add(expected);
        expect(ours(operator, target, value)).toBe(expected);
      }),
      { numRuns: 400 },
    );
    // The comparison is not vacuous: the helper said both yes and no.
    expect(seen).toEqual(new Set([true, false]));
  });
});

describe('differential against statsig-node Evaluator._evalCondition (every operator and spelling)', () => {
  it.each(SPELLINGS)('%s agrees with statsig-node wherever statsig-node answers', (operator) => {
    const seen = new Set<Outcome>();
    fc.assert(
      fc.property(operands, ([target, value]) => {
        const expected = theirs(operator, target, value);
        if (expected === 'throws') return; // statsig-node has no defined answer
        seen.add(expected);
        expect(ours(operator, target, value)).toBe(expected);
      }),
      { numRuns: 300 },
    );
    expect(seen).toEqual(new Set([true, false]));
  });

  it('membership operators agree when the target list contains the value in another case or type', () => {
    const listWith = fc
      .tuple(atom, fc.array(atom, { maxLength: 4 }), fc.boolean(), fc.boolean())
      .map(([value, others, upper, stringify]) => {
        const member =
          typeof value === 'string' && upper ? value.toUpperCase() : stringify ? String(value) : value;
        return { value, target: [...others, member] };
      });
    for (const operator of ['any', 'none', 'any_case_sensitive', 'none_case_sensitive', 'Any', 'NONE']) {
      fc.assert(
        fc.property(listWith, ({ value, target }) => {
          expect(ours(operator, target, value)).toBe(theirs(operator, target, value));
        }),
        { numRuns: 200 },
      );
    }
  });

  it('agrees wherever statsig-node answers, for values whose String()/Number() throws', () => {
    // A user attribute such as {"toString": 1} is valid JSON from a client. Wherever statsig-node
    // answers for it, we must give the same answer.
    fc.assert(
      fc.property(fc.constantFrom(...SPELLINGS), ordinaryValue, hostileValue, (operator, target, value) => {
        const expected = theirs(operator, target, value);
        if (expected === 'throws') return;
        expect(ours(operator, target, value)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  /** Whether `target` (or an item of it) throws when turned into a string or number. */
  function hasUnconvertible(target: unknown): boolean {
    try {
      for (const item of Array.isArray(target) ? [target, ...target] : [target]) {
        String(item);
        if (!Array.isArray(item)) Number(item);
      }
      return false;
    } catch {
      return true;
    }
  }

  it('refuses to compile targets whose String()/Number() throws, or agrees with statsig-node', () => {
    // Documented deviation: statsig-node converts target items lazily per check, so its answer
    // for a target like ["a", {"toString": 1}] depends on the user. compileOperator converts
    // targets up front; when that throws, the evaluator reports the spec as InvalidSpec.
    fc.assert(
      fc.property(fc.constantFrom(...SPELLINGS), hostileValue, hostileValue, (operator, target, value) => {
        const expected = theirs(operator, target, value);
        if (expected === 'throws') return;
        let compiles = true;
        try {
          compileOperator(operator, target);
        } catch {
          compiles = false;
        }
        if (compiles) expect(ours(operator, target, value)).toBe(expected);
        else expect(hasUnconvertible(target)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['str_matches', 'x', { toString: 1 }],
    ['str_contains_none', [], { toString: 1 }],
    ['after', '2021-01-01', { toString: 1 }],
    ['before', { toString: 1 }, '2021-01-01'],
  ])(
    'JSON-reachable: %s with target %j and value %j gives the statsig-node answer',
    (operator, target, value) => {
      const expected = theirs(operator, target, value);
      expect(typeof expected).toBe('boolean');
      expect(ours(operator, target, value)).toBe(expected);
    },
  );

  it.each([
    ['str_contains_any', ['a', { toString: 1 }]],
    ['gt', { toString: 1 }],
    ['array_contains_any', [{ toString: 1 }]],
  ])(
    'JSON-reachable: %s with target %j makes the spec InvalidSpec, and nothing throws',
    (operator, target) => {
      const dcs = {
        feature_gates: [
          {
            name: 'g',
            salt: 's',
            enabled: true,
            rules: [
              {
                id: 'r',
                passPercentage: 100,
                conditions: [{ type: 'user_field', field: 'x', operator, targetValue: target }],
              },
            ],
          },
        ],
        dynamic_configs: [],
        layer_configs: [],
      };
      const evaluator = createEvaluator(JSON.parse(JSON.stringify(dcs)));
      const result = evaluator.checkGate({ userID: 'u', custom: { x: 'abc' } }, 'g');
      expect(result).toMatchObject({ value: false, ruleID: '', reason: 'InvalidSpec' });
      expect(evaluator.diagnostics.join('\n')).toContain('"g"');
    },
  );

  it('treats array holes in array_contains_* targets as statsig-node does (undefined, not skipped)', () => {
    const holey = new Array<unknown>(1); // [ <1 empty item> ]
    expect(ours('array_contains_all', holey, [])).toBe(theirs('array_contains_all', holey, []));
    expect(ours('not_array_contains_all', holey, [])).toBe(theirs('not_array_contains_all', holey, []));
  });

  it('membership of numbers in all-number targets (user_bucket slots) agrees, NaN, -0 and Infinity included', () => {
    const special = fc.constantFrom(
      Number.NaN,
      -0,
      0,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      1e21,
    );
    const number = fc.oneof(fc.integer({ min: -5, max: 1005 }), fc.double(), special);
    const value = fc.oneof(
      number,
      number.map(String),
      fc.constantFrom('Infinity', 'infinity', 'NaN', 'nan', '-0', '1e+21', null, undefined, true),
    );
    for (const operator of ['any', 'none', 'any_case_sensitive', 'none_case_sensitive']) {
      fc.assert(
        fc.property(fc.array(number, { minLength: 1, maxLength: 6 }), value, (target, checked) => {
          expect(ours(operator, target, checked)).toBe(theirs(operator, target, checked));
          // And with the value itself among the targets.
          if (typeof checked === 'number') {
            expect(ours(operator, [...target, checked], checked)).toBe(
              theirs(operator, [...target, checked], checked),
            );
          }
        }),
        { numRuns: 300 },
      );
    }
  });

  it('remembers the last version string only as a cache: alternating values still agree', () => {
    const versions = ['2.3.0', '1.9', '2.3.0', '', '2.3.0-beta', '10.0.0', '2.3.0'];
    for (const version of versions) {
      expect(ours('version_gte', '2.3', version)).toBe(theirs('version_gte', '2.3', version));
      expect(ours('version_lt', '2.10', version)).toBe(theirs('version_lt', '2.10', version));
    }
    const countries = ['US', 'ca', 'US', 'Gb', 'gb', 'US'];
    for (const country of countries) {
      expect(ours('any', ['us', 'GB'], country)).toBe(theirs('any', ['us', 'GB'], country));
      expect(ours('str_contains_any', ['U'], country)).toBe(theirs('str_contains_any', ['U'], country));
    }
  });

  it('treats BigInt date operands as statsig-node does', () => {
    // statsig-node: `new Date(1n)` throws inside its try/catch, so the comparison is false.
    expect(ours('after', 0n, 1)).toBe(theirs('after', 0n, 1));
    expect(ours('before', 1, 0n)).toBe(theirs('before', 1, 0n));
  });
});
