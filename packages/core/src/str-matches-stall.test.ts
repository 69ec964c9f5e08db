/**
 * No str_matches check can stall: hostile patterns against adversarial values of up to 999
 * code units (the longest statsig-node tests) all complete with the right answer.
 *
 * Nothing here is timed. Each hostile pattern is asserted to run on re2js, whose matching is
 * linear in the value, and every check is run and counted. Under the old strategy (always
 * `new RegExp`) any one of these checks backtracks for longer than the age of the universe.
 * The end-to-end run through the evaluator happens in a worker thread, so that a regression
 * fails this test after a generous timeout instead of hanging the whole run.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { createEvaluator } from './evaluator.js';
import { compileRegex } from './regex/compile-regex.js';
import type { ConfigSpecs } from './types.js';

const a = (n: number) => 'a'.repeat(n);

/** Each pattern with adversarial values and the answers (worked out by hand; see the notes). */
const HOSTILE: [pattern: string, cases: [value: string, expected: boolean][]][] = [
  [
    '(a+)+$',
    [
      [`${a(998)}!`, false],
      [a(999), true],
      [`!${a(998)}`, true],
    ],
  ],
  [
    '(a|aa)+$',
    [
      [`${a(998)}!`, false],
      [a(999), true],
    ],
  ],
  [
    '^(a|a)*$',
    [
      [`${a(998)}!`, false],
      [a(999), true],
      ['', true],
    ],
  ],
  [
    '(.*a){20}',
    [
      [a(19) + 'b'.repeat(980), false], // only 19 a's
      ['b'.repeat(979) + a(20), true],
    ],
  ],
  // Unanchored, the empty match at the end always succeeds (after an exponential search in V8).
  ['(\\w+\\s?)*$', [[`${a(998)}!`, true]]],
  [
    '^(\\w+\\s?)*$',
    [
      [`${a(998)}!`, false],
      [`${'ab '.repeat(332)}abc`, true],
    ],
  ],
  [
    '^(\\d+)*$',
    [
      [`${'1'.repeat(998)}x`, false],
      ['1'.repeat(999), true],
    ],
  ],
  [
    '(x+x+)+y',
    [
      ['x'.repeat(999), false],
      [`${'x'.repeat(998)}y`, true],
    ],
  ],
  [
    '^(([a-z])+.)+[A-Z]([a-z])+$',
    [
      [a(999), false],
      [`${a(996)}Bcd`, true],
    ],
  ],
  [
    '(.*){1,32000}[bc]',
    [
      [a(999), false],
      [`${a(998)}c`, true],
    ],
  ],
  [
    '^(a?){25}(a){25}$',
    [
      [a(25), true], // 2^25 paths for V8 before it finds the one where every a? is empty
      [a(50), true],
      [a(51), false],
    ],
  ],
  [
    'a*a*a*a*x',
    [
      [a(999), false],
      [`${a(998)}x`, true],
    ],
  ],
  [
    '.*foo.*bar.*baz',
    [
      ['foo'.repeat(333), false],
      [`${'foo'.repeat(330)}barbaz`, true],
    ],
  ],
  [
    '(?:a?){100000}x',
    [
      [a(999), false],
      [`${a(998)}x`, true],
    ],
  ],
];

const CHECK_COUNT = HOSTILE.reduce((sum, [, cases]) => sum + cases.length, 0);

function dcsWith(patterns: string[]): ConfigSpecs {
  return {
    has_updates: true,
    time: 1,
    feature_gates: patterns.map((pattern, i) => ({
      name: `hostile_${i}`,
      type: 'feature_gate',
      entity: 'feature_gate',
      salt: `salt_${i}`,
      enabled: true,
      defaultValue: false,
      idType: 'userID',
      rules: [
        {
          name: 'r',
          id: `rule_${i}`,
          salt: 'rule_salt',
          passPercentage: 100,
          returnValue: true,
          idType: 'userID',
          conditions: [
            {
              type: 'user_field',
              operator: 'str_matches',
              targetValue: pattern,
              field: 'text',
              additionalValues: {},
              idType: 'userID',
            },
          ],
        },
      ],
    })),
    dynamic_configs: [],
    layer_configs: [],
  } as unknown as ConfigSpecs;
}

describe('str_matches never stalls', () => {
  it.each(HOSTILE.map(([pattern]) => pattern))(
    'hostile pattern %j is run by re2js (linear time)',
    (pattern) => {
      expect(compileRegex(pattern).engine).toBe('re2');
    },
  );

  it('every hostile pattern answers every adversarial value of up to 999 characters, correctly', () => {
    let completed = 0;
    const wrong: string[] = [];
    for (const [pattern, cases] of HOSTILE) {
      const compiled = compileRegex(pattern);
      for (const [value, expected] of cases) {
        if (compiled.test(value) !== expected) wrong.push(`${pattern} on ${value.slice(0, 20)}...`);
        completed++;
      }
    }
    expect(wrong).toEqual([]);
    expect(completed).toBe(CHECK_COUNT);
    expect(CHECK_COUNT).toBe(30);
  });

  it('end to end: checkGate on hostile gates and users completes (in a worker, with a generous timeout)', async () => {
    // The core bundled as a script, as browsers get it, so the worker needs no TypeScript loader.
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./index.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'SwitchyardCore',
      write: false,
      logLevel: 'silent',
    });
    const code = `${bundle.outputFiles[0]?.text ?? ''};
      const { parentPort, workerData } = require('node:worker_threads');
      const evaluator = SwitchyardCore.createEvaluator(workerData.dcs);
      const answers = workerData.checks.map(([gate, text]) =>
        evaluator.checkGate({ userID: 'u', custom: { text } }, gate).value);
      parentPort.postMessage({ answers, diagnostics: evaluator.diagnostics });`;
    const checks = HOSTILE.flatMap(([, cases], i) => cases.map(([value]) => [`hostile_${i}`, value]));
    const dcs = dcsWith(HOSTILE.map(([pattern]) => pattern));
    const worker = new Worker(code, { eval: true, workerData: { dcs, checks } });
    try {
      const result = await new Promise<{ answers: boolean[]; diagnostics: string[] }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('a hostile check did not finish in 30 s')), 30_000);
        worker.once('message', (message) => {
          clearTimeout(timer);
          resolve(message);
        });
        worker.once('error', reject);
      });
      expect(result.answers).toHaveLength(CHECK_COUNT);
      expect(result.answers).toEqual(HOSTILE.flatMap(([, cases]) => cases.map(([, expected]) => expected)));
      expect(result.diagnostics).toEqual([]);
    } finally {
      await worker.terminate();
    }
  });

  it('a refused pattern is false and reported in diagnostics; the rest of the spec still evaluates', () => {
    const dcs = dcsWith(['(.*)\\1$', 'ok$']);
    const evaluator = createEvaluator(dcs);
    const user = (text: string) => ({ userID: 'u', custom: { text } });
    // statsig-node would answer true here, after a search quadratic in the value per start position.
    expect(evaluator.checkGate(user(`${a(500)}${a(498)}`), 'hostile_0')).toMatchObject({
      value: false,
      ruleID: 'default',
      reason: 'Evaluated',
    });
    expect(evaluator.checkGate(user('is ok'), 'hostile_1').value).toBe(true);
    expect(evaluator.diagnostics).toEqual([
      expect.stringMatching(
        /^feature_gates "hostile_0" rule "rule_0": str_matches pattern "\(\.\*\)\\\\1\$" is not run: .*backreferences.*; the condition is false$/,
      ),
    ]);
  });
});
