/**
 * compileRegex: which engine runs a str_matches pattern, and that the linear-time engine's
 * translation answers exactly as the native RegExp (statsig-node's engine) does.
 */
import { describe, expect, it } from 'vitest';
import { checkRegexPattern, compileRegex, NATIVE_STEP_BUDGET } from './compile-regex.js';
import { estimateBacktracking } from './estimate-backtracking.js';
import { parseJsPattern } from './parse-js-pattern.js';

const steps = (pattern: string) => estimateBacktracking(parseJsPattern(pattern) ?? fail(pattern));

function fail(pattern: string): never {
  throw new Error(`not understood: ${pattern}`);
}

/** Patterns from the cross-SDK vectors, our spec generator, and common targeting rules. */
const ORDINARY = [
  'statsig',
  'corp\\.com$',
  'beta',
  'a',
  '123',
  '^undefined$',
  'null',
  '',
  '^[a-z]+[0-9]*@example\\.com$',
  '^user-\\d{1,3}$',
  'i(Phone|Pad)',
  '[\\u3040-\\u30ff]',
  '^a,b',
  'object',
  '@company\\.com$',
  '^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$',
  '^[\\w.+-]+@[\\w-]+\\.[\\w.-]+$',
  '\\bfoo\\b',
  '^(?!.*test).*$',
  '^(\\w)\\1',
  '^(us|uk|ca|de)$',
  'Chrome/(\\d+)\\.',
  '@[a-z]+\\.com$',
  'user_\\d+$',
];

/** Catastrophic (exponential) or high-degree polynomial backtracking in V8. */
const HOSTILE = [
  '(a+)+$',
  '(a|aa)+$',
  '^(a|a)*$',
  '(.*a){20}',
  '(\\w+\\s?)*$',
  '^(\\d+)*$',
  '(x+x+)+y',
  '^(([a-z])+.)+[A-Z]([a-z])+$',
  '(.*){1,32000}[bc]',
  'a*a*a*a*x',
  '.*foo.*bar.*baz',
  '^(a?){25}(a){25}$',
  '(?:a?){100000}x',
];

/** Quadratic in V8 (a repeat that gives back, retried at every start): re2js, no slower there. */
const QUADRATIC = ['@.*mail', '.*x', '[a-z]+@[a-z]+\\.com', '(?:a|b)+\\d'];

/**
 * Linear in V8 in fact, but the estimate overcounts them: it charges a nested repeat's whole
 * range to every outer iteration, and an unanchored repeat after the first to every start
 * position. re2js runs them; same answers, about 1 us.
 */
const OVERCOUNTED = ['^(?:[a-z0-9]+(?:-[a-z0-9]+)*)$', '^([a-z]+\\.)+[a-z]{2,}$', 'Chrome/(\\d+)\\.\\d+\\.'];

describe('engine choice', () => {
  it.each(ORDINARY)('ordinary pattern %j runs on the native RegExp', (pattern) => {
    expect(compileRegex(pattern).engine).toBe('native');
    expect(checkRegexPattern(pattern)).toEqual({ ok: true, engine: 'native' });
  });

  it.each(HOSTILE)('hostile pattern %j runs on re2js (linear time)', (pattern) => {
    expect(steps(pattern)).toBeGreaterThan(NATIVE_STEP_BUDGET);
    expect(compileRegex(pattern).engine).toBe('re2');
    expect(checkRegexPattern(pattern)).toEqual({ ok: true, engine: 're2' });
  });

  it.each(OVERCOUNTED)('linear pattern %j that the estimate overcounts runs on re2js', (pattern) => {
    expect(compileRegex(pattern).engine).toBe('re2');
  });

  it.each(QUADRATIC)('quadratic pattern %j runs on re2js', (pattern) => {
    expect(steps(pattern)).toBeGreaterThan(NATIVE_STEP_BUDGET);
    expect(compileRegex(pattern).engine).toBe('re2');
  });

  it('counts quadratic unanchored searches, but keeps nested and stacked repeats off the native engine', () => {
    // One start position times one repeat's give-backs: about 1000 * 1000 * 3.
    expect(steps('.*x')).toBeGreaterThan(2_000_000);
    expect(steps('.*x')).toBeLessThan(4_000_000);
    // A repeat followed by a character it cannot match never gives back usefully.
    expect(steps('^[a-z]+@')).toBeLessThan(5_000);
    // Unanchored, after a character outside its class, it scans each character once over all
    // starts; after one inside its class, it rescans from every start (quadratic).
    expect(steps('#[a-z]+@')).toBeLessThan(10_000);
    expect(steps('a[a-z]+@')).toBeGreaterThan(NATIVE_STEP_BUDGET);
    expect(steps('#[a-z]+a')).toBeGreaterThan(NATIVE_STEP_BUDGET);
    // The last repeat never backtracks: acceptance follows it.
    expect(steps('^foo.*')).toBeLessThan(5_000);
    expect(steps('a*a*x')).toBeGreaterThan(1e9);
    expect(steps('(a+)+$')).toBe(Number.POSITIVE_INFINITY);
    expect(steps('(((a+)+)+)+$')).toBe(Number.POSITIVE_INFINITY);
    expect(steps('(?:(?:a|a)*)*')).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([
    ['(.*)\\1$', 'backreferences'],
    ['^(\\w+)+\\1$', 'backreferences'],
    ['(?=(a+)+b)', 'lookaround'],
    ['(?<=(a|a)*)x', 'lookaround'],
    ['([ab]{1,500}){1,500}$', 'cannot compile it'],
  ])('refuses %j (too slow natively, and RE2 cannot run it): always false', (pattern, why) => {
    const compiled = compileRegex(pattern);
    expect(compiled.engine).toBeNull();
    expect(compiled.problem?.kind).toBe('refused');
    expect(compiled.problem?.reason).toContain(why);
    expect(compiled.test('aaaa')).toBe(false);
    const check = checkRegexPattern(pattern);
    expect(check.ok).toBe(false);
    expect(check.ok === false && check.reason).toContain('not run');
  });

  it('reports an invalid pattern with the engine syntax error, and it is always false', () => {
    const compiled = compileRegex('([');
    expect(compiled.engine).toBeNull();
    expect(compiled.problem?.kind).toBe('invalid');
    expect(checkRegexPattern('([')).toEqual({
      ok: false,
      reason: expect.stringContaining('Invalid regular expression'),
    });
  });

  it('reads targets as new RegExp(target) does: stringified, and a missing one is the empty pattern', () => {
    expect(compileRegex(undefined).test('anything')).toBe(true);
    expect(compileRegex(null).test('null')).toBe(true);
    expect(compileRegex(123).test('x123')).toBe(true);
    expect(compileRegex(['a', 'b']).test('a,b')).toBe(true);
    expect(compileRegex({}).test('o')).toBe(true); // "[object Object]" is a class
    expect(compileRegex({ toString: 1 }).problem?.kind).toBe('invalid');
  });
});

/**
 * Annex B and other corners where a naive translation to RE2 would change the answer. Each is
 * forced onto re2js and compared with the native RegExp on every value.
 */
const CORNERS: [pattern: string, values: string[]][] = [
  ['a$', ['a', 'a\n', 'ba']],
  ['^a', ['a', '\na', 'ba']],
  ['^.$', ['\n', '\r', '\u2028', '\u2029', 'x', '\ud83d', '😀', '\u0085']],
  ['^..$', ['😀', 'ab', '\ud83d\n']],
  ['^\\s$', ['\u000b', '\u00a0', '\ufeff', '\u1680', '\u180e', '\u2000', '\u200b', '\u3000', '\u0085', 'x']],
  ['^\\S+$', ['😀', '\u00a0x', 'abc']],
  ['^\\w+$', ['é', 'abc_1', 'ſ', 'K']],
  ['\\bé', ['é', 'aé', ' é']],
  ['x\\B', ['xé', 'xa', 'x']],
  ['^[^a]$', ['😀', '\ud83d', '\n', 'a', 'b']],
  ['^[😀]$', ['😀', '\ud83d', '\ude00', 'x']],
  ['^[\\ud800-\\udbff][\\udc00-\\udfff]$', ['😀', '\ud83d\ud83d', 'ab']],
  ['\\ud83d', ['😀', '\ud83d', 'x']],
  ['^[]$', ['', 'a', '[]']],
  ['^[^]$', ['a', '\n', '😀', '\ud83d']],
  ['[]a]', ['a]', ']', 'a']],
  ['^\\a\\e\\g\\z\\A\\Z\\q$', ['aegzAZq', 'x']],
  ['^\\Q.\\E$', ['Q.E', 'QxE', '.']],
  ['^\\p{L}$', ['p{L}', 'a']],
  ['^\\u{3}$', ['uuu', 'u{3}', '\u0003']],
  ['^\\x4$', ['x4', '\u0004']],
  ['^\\x41\\u0042$', ['AB']],
  ['^\\0$', ['\0', '0']],
  ['^\\01\\12\\377\\400$', ['\u0001\n\u00ff 0', 'x']],
  ['^\\8\\9$', ['89']],
  ['(a)\\2', ['a\u0002', 'aa']],
  ['^\\cA\\cz$', ['\u0001\u001a', 'cAcz']],
  ['^\\c1$', ['\\c1', '\u0011']],
  ['^[\\c1\\c_]+$', ['\u0011\u001f', 'c1']],
  ['^[\\c!]+$', ['\\c!', '\u0001']],
  ['^\\k$', ['k']],
  ['^[\\b]$', ['\b', 'b']],
  ['^[\\d-z]+$', ['1-z', 'm']],
  ['^[a-\\d]+$', ['a-1', 'b']],
  ['^[-a]$', ['-', 'a']],
  ['^[a-]$', ['-', 'a']],
  ['^[\\-]$', ['-']],
  ['a{', ['a{', 'a']],
  ['^a{,3}$', ['a{,3}', 'aaa']],
  ['^a{2}$', ['aa', 'aaa']],
  ['^a{2,}$', ['a', 'aa', 'aaaa']],
  ['^a{1,2}?$', ['aa', 'aaa']],
  ['^}]$', ['}]']],
  ['^(?:a|)+$', ['', 'aa', 'b']],
  ['^(?:a|b|)*c$', ['abc', 'c', 'abd']],
  ['(?<name>a)b', ['ab', 'b']],
  ['^(|a)+b$', ['ab', 'b', 'aab']],
  ['^(?:a*)+$', ['', 'aaa', 'ab']],
  ['a{0}b', ['b', 'ab']],
  ['^a{5000}$', ['a'.repeat(999), '']],
  ['^(?:ab){1,5000}$', ['ab'.repeat(499), `${'ab'.repeat(499)}a`]],
  ['^(?:a?){2000}$', ['a'.repeat(999), '', 'b']],
  ['^(?:a?b?){1001,1002}c$', [`${'ab'.repeat(499)}c`, 'c', 'ab']],
  ['^(?:^|a){1001}$', ['', 'a', 'aa']],
  ['^(?:){1001}(){2000,}$', ['', 'a']],
  ['\\t\\n\\v\\f\\r', ['\t\n\v\f\r']],
  ['/', ['/', 'x']],
];

describe('re2js translation agrees with the native RegExp', () => {
  it.each(CORNERS)('%j', (pattern, values) => {
    const compiled = compileRegex(pattern, { prefer: 're2' });
    expect(compiled.engine).toBe('re2');
    for (const value of values) {
      expect([value, compiled.test(value)]).toEqual([value, new RegExp(pattern).test(value)]);
    }
  });
});
