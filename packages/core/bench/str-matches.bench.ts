/**
 * Cost of one str_matches check: the previous strategy (always `new RegExp`, as statsig-node)
 * against the current one (native RegExp when provably cheap, else re2js), per pattern, and
 * one ordinary gate end to end through checkGate. Run: npm run bench:regex -w @switchyard/core
 *
 * The "previous" column is the old operator's code, inlined, so both run in one process.
 * Hostile patterns have no previous figure: the old code does not finish on these values.
 * Only createEvaluator and compileOperator are used, so this file also runs against an older
 * checkout of the core (with BENCH_SKIP_HOSTILE=1; how the README's before/after figures were taken).
 */
import { createEvaluator, type StatsigUser } from '@switchyard/core';
import { compileOperator } from '../src/operators.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CHECKS = Number(process.env.BENCH_CHECKS ?? 1_000_000);

/** The str_matches predicate before this strategy (operators.ts as of ba782d9). */
function previousPredicate(target: unknown): (value: unknown) => boolean {
  let pattern: RegExp;
  try {
    pattern = new RegExp(target as string);
  } catch {
    return () => false;
  }
  return (value) => {
    try {
      const text = String(value);
      return text.length < 1000 && pattern.test(text);
    } catch {
      return false;
    }
  };
}

/** Best-of-rounds nanoseconds per call of `check` over `values`, cycling. */
function nsPerCheck(check: (value: unknown) => boolean, values: readonly string[], checks: number): number {
  let best = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < checks; i++) if (check(values[i % values.length])) sink++;
    const ns = Number(process.hrtime.bigint() - start) / checks;
    best = Math.min(best, ns);
  }
  if (sink < 0) console.log(sink);
  return best;
}

const emails = Array.from({ length: 1000 }, (_, i) =>
  i % 4 === 0 ? `user${i}@company.com` : `someone.${i}@example${i % 7}.org`,
);
const userIDs = Array.from({ length: 1000 }, (_, i) => (i % 2 ? `user-${i % 1000}` : `guest-${i}`));
const agents = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
];
const a999 = ['a'.repeat(999)];

type Row = { pattern: string; values: readonly string[]; label: string; hostile?: boolean; checks?: number };

const ROWS: Row[] = [
  { pattern: '@company\\.com$', values: emails, label: 'emails' },
  { pattern: '^user-\\d{1,3}$', values: userIDs, label: 'user IDs' },
  { pattern: 'i(Phone|Pad)', values: agents, label: 'user agents' },
  { pattern: '^[a-z0-9.]+@example[0-9]\\.org$', values: emails, label: 'emails' },
  { pattern: '.*@company\\.com', values: emails, label: 'emails' },
  { pattern: '@.*mail', values: emails, label: 'emails' },
  { pattern: 'Chrome/(\\d+)\\.', values: agents, label: 'user agents' },
  { pattern: '.*x', values: a999, label: "999 a's", checks: 200 },
  {
    pattern: '(a+)+$',
    values: [`${'a'.repeat(998)}!`],
    label: "998 a's and !",
    hostile: true,
    checks: 20_000,
  },
  {
    pattern: '^(a|a)*$',
    values: [`${'a'.repeat(998)}!`],
    label: "998 a's and !",
    hostile: true,
    checks: 20_000,
  },
];

console.log(`str_matches, ns per check (best of ${ROUNDS} rounds; Node ${process.version})\n`);
console.log(['pattern', 'values', 'previous', 'current'].join(' | '));
// BENCH_SKIP_HOSTILE=1 when running against a checkout from before this strategy, whose
// "current" column would then never finish the hostile rows.
const skipHostile = process.env.BENCH_SKIP_HOSTILE === '1';
for (const row of ROWS) {
  if (row.hostile && skipHostile) continue;
  const checks = row.checks ?? CHECKS;
  const current = compileOperator('str_matches', row.pattern);
  if (!current) throw new Error('str_matches unsupported?');
  const before = row.hostile
    ? 'does not finish'
    : nsPerCheck(previousPredicate(row.pattern), row.values, checks).toFixed(0);
  const after = nsPerCheck(current, row.values, checks).toFixed(0);
  console.log([JSON.stringify(row.pattern), row.label, before, after].join(' | '));
}

// One ordinary gate end to end: a dogfood rule on the email domain.
const dcs = {
  has_updates: true,
  time: 1,
  feature_gates: [
    {
      name: 'dogfood',
      type: 'feature_gate',
      entity: 'feature_gate',
      salt: 'dogfood_salt',
      enabled: true,
      defaultValue: false,
      idType: 'userID',
      rules: [
        {
          name: 'employees',
          id: 'employees',
          salt: 'employees',
          passPercentage: 100,
          returnValue: true,
          idType: 'userID',
          conditions: [
            {
              type: 'user_field',
              operator: 'str_matches',
              targetValue: '@company\\.com$',
              field: 'email',
              additionalValues: {},
              idType: 'userID',
            },
          ],
        },
      ],
    },
  ],
  dynamic_configs: [],
  layer_configs: [],
};
const evaluator = createEvaluator(dcs as never);
const users: StatsigUser[] = emails.map((email, i) => ({ userID: `u${i}`, email }));
let best = Number.POSITIVE_INFINITY;
for (let round = 0; round < ROUNDS; round++) {
  const start = process.hrtime.bigint();
  let passed = 0;
  for (let i = 0; i < CHECKS; i++)
    if (evaluator.checkGate(users[i % users.length] as StatsigUser, 'dogfood').value) passed++;
  best = Math.min(best, Number(process.hrtime.bigint() - start) / CHECKS);
  if (passed !== CHECKS / 4) throw new Error(`unexpected pass count ${passed}`);
}
console.log(`\ncheckGate, one rule: email str_matches "@company\\.com$": ${best.toFixed(0)} ns per check`);
