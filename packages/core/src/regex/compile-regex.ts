/**
 * The `str_matches` strategy: a pattern from a spec must not be able to stall a check, whether
 * the pattern or the user's value is hostile (`(a+)+$` against 999 `a`s and a `!` takes V8
 * longer than anyone waits). Each pattern is compiled once, and runs on:
 *
 * 1. the native RegExp (statsig-node's engine, so exactly its answers, and the fastest) when a
 *    conservative static bound on its backtracking (estimateBacktracking) is within
 *    NATIVE_STEP_BUDGET for every value statsig-node would test (under 1000 code units);
 * 2. otherwise re2js, a linear-time port of RE2, on a faithful translation of the pattern
 *    (toRe2Syntax), which gives the same answers as the native RegExp;
 * 3. otherwise nothing: patterns that need backtracking features RE2 lacks (backreferences,
 *    lookarounds) and are not provably cheap are refused, always false, and reported.
 *
 * Invalid patterns are false, as in statsig-node.
 */
import { RE2JS } from 're2js';
import { estimateBacktracking, STR_MATCHES_MAX_LENGTH } from './estimate-backtracking.js';
import { parseJsPattern } from './parse-js-pattern.js';
import { NotTranslatable, toRe2Input, toRe2Syntax } from './to-re2-syntax.js';

/**
 * The most backtracking steps (as estimateBacktracking counts them) a pattern may need to stay
 * on the native engine. Against adversarial 999-character values, thousands of generated
 * patterns at or under this never took V8 more than about 2 ms, while those between 1 and 10
 * million took up to 18 ms (README, performance). Anchored and literal patterns count in the
 * thousands; an unanchored search with a repeat that can give back (`.*x`: about 3 million)
 * goes to re2js, which is as fast or faster there (V8 retries the repeat at every start).
 */
export const NATIVE_STEP_BUDGET = 1_000_000;

export type RegexEngine = 'native' | 're2';

export interface CompiledRegex {
  /** Which engine tests values; null when none does (the pattern is invalid or refused). */
  readonly engine: RegexEngine | null;
  /**
   * Why no engine runs the pattern: `invalid` (the engine's syntax error; statsig-node answers
   * false too) or `refused` (by us; statsig-node would run it, and could hang).
   */
  readonly problem: { readonly kind: 'invalid' | 'refused'; readonly reason: string } | null;
  /**
   * Tests a string shorter than STR_MATCHES_MAX_LENGTH. Like `RegExp#test` it could throw (a
   * stack overflow); the operator catches, as statsig-node does, so the hot path has one try.
   */
  readonly test: (text: string) => boolean;
  /** The native RegExp, when that is the engine (callers can skip the `test` wrapper). */
  readonly regex: RegExp | null;
}

const never = () => false;

/** The source `new RegExp(target)` reads, or null when it throws (an invalid pattern). */
function nativeOf(target: unknown): { regex: RegExp; source: string } | { error: string } {
  try {
    // Same coercion as `new RegExp(target)` in statsig-node: a non-string target is
    // stringified, and a missing one is the empty pattern.
    const regex = new RegExp(target as string);
    return { regex, source: target === undefined ? '' : String(target) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Compiles a `str_matches` target. `prefer: 're2'` skips the native engine when the pattern can
 * be translated (for tests that compare the engines).
 */
export function compileRegex(target: unknown, options: { prefer?: RegexEngine } = {}): CompiledRegex {
  const native = nativeOf(target);
  if ('error' in native) {
    return { engine: null, problem: { kind: 'invalid', reason: native.error }, test: never, regex: null };
  }
  const { regex, source } = native;
  const tree = parseJsPattern(source);
  if (tree === null) {
    return refused('it uses syntax the safety check does not understand');
  }
  let steps: number;
  try {
    steps = estimateBacktracking(tree);
  } catch {
    steps = Number.POSITIVE_INFINITY;
  }
  if (steps <= NATIVE_STEP_BUDGET && options.prefer !== 're2') {
    return { engine: 'native', problem: null, test: (text) => regex.test(text), regex };
  }
  let linear: RE2JS;
  try {
    linear = RE2JS.compile(toRe2Syntax(tree, STR_MATCHES_MAX_LENGTH - 1));
  } catch (error) {
    if (steps <= NATIVE_STEP_BUDGET) {
      return { engine: 'native', problem: null, test: (text) => regex.test(text), regex };
    }
    const why =
      error instanceof NotTranslatable
        ? error.message
        : `the linear-time engine cannot compile it (${error instanceof Error ? error.message : String(error)})`;
    return refused(`it could backtrack for too long on the native engine, and ${why}`);
  }
  return { engine: 're2', problem: null, test: (text) => linear.test(toRe2Input(text)), regex: null };
}

function refused(reason: string): CompiledRegex {
  return {
    engine: null,
    problem: { kind: 'refused', reason: `not run: ${reason}` },
    test: never,
    regex: null,
  };
}

export type RegexPatternCheck =
  | { readonly ok: true; readonly engine: RegexEngine }
  | { readonly ok: false; readonly reason: string };

/**
 * Whether a `str_matches` target would run, for validating specs when they are written:
 * `ok: false` for an invalid pattern (always false, as in statsig-node) and for one the
 * evaluator refuses to run (always false, unlike statsig-node, which could hang on it).
 * Targets are read as the evaluator reads them (`new RegExp(target)`).
 *
 * @example
 * checkRegexPattern('@company\\.com$'); // { ok: true, engine: 'native' }
 * checkRegexPattern('(a+)+$');          // { ok: true, engine: 're2' } (linear time)
 * checkRegexPattern('(.*)\\1$');        // { ok: false, reason: 'not run: ... backreferences ...' }
 * checkRegexPattern('([');              // { ok: false, reason: 'Invalid regular expression: /([/: ...' }
 */
export function checkRegexPattern(pattern: unknown): RegexPatternCheck {
  const compiled = compileRegex(pattern);
  if (compiled.engine !== null) return { ok: true, engine: compiled.engine };
  const problem = compiled.problem as NonNullable<CompiledRegex['problem']>;
  return { ok: false, reason: problem.reason };
}
