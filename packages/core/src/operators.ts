/**
 * Condition operators, compiled once per condition against its constant target value.
 * Semantics follow statsig-node 6.5.2 exactly (protocol doc section 2.5), including its
 * coercions: JS `Number()`, `String()`, loose `==`, and local-timezone calendar days for `on`.
 */

import { compileRegex } from './regex/compile-regex.js';
import { STR_MATCHES_MAX_LENGTH } from './regex/estimate-backtracking.js';

/** Decides one condition for a computed user value. */
export type ValuePredicate = (value: unknown) => boolean;

const never: ValuePredicate = () => false;

function numeric(target: unknown, compare: (a: number, b: number) => boolean): ValuePredicate {
  if (target == null) return never;
  const b = Number(target);
  if (Number.isNaN(b)) return never;
  return (value) => {
    if (value == null) return false;
    const a = Number(value);
    return !Number.isNaN(a) && compare(a, b);
  };
}

function stripVersionExtension(version: string): string {
  const hyphen = version.indexOf('-');
  return hyphen >= 0 ? version.slice(0, hyphen) : version;
}

/**
 * -1/0/1 comparing dotted versions; null when either is unusable. Parts convert with
 * `Number()` (so `""` is 0), the shorter version pads with zeros, and a NaN part ends the
 * comparison as null only if no earlier part differed.
 */
function compareVersions(valueParts: readonly string[], targetParts: number[]): number | null {
  const length = Math.max(valueParts.length, targetParts.length);
  for (let i = 0; i < length; i++) {
    const part = valueParts[i];
    const a = part === undefined ? 0 : Number(part);
    const b = i < targetParts.length ? (targetParts[i] as number) : 0;
    if (Number.isNaN(a) || Number.isNaN(b)) return null;
    if (a < b) return -1;
    if (a > b) return 1;
  }
  return 0;
}

/**
 * The parts of the version string most recently compared. Every version condition of a
 * project usually reads the same field (appVersion), so one user's evaluation parses it once
 * instead of once per condition. Evaluation is synchronous, so nothing interleaves here.
 */
let lastVersion: string | undefined;
let lastVersionParts: readonly string[] | null = null;

/** The dotted parts of a version without its "-" extension; null for an empty version. */
function versionParts(value: string): readonly string[] | null {
  if (value !== lastVersion) {
    const stripped = stripVersionExtension(value);
    lastVersionParts = stripped.length === 0 ? null : stripped.split('.');
    lastVersion = value;
  }
  return lastVersionParts;
}

function version(target: unknown, accept: (comparison: number) => boolean): ValuePredicate {
  if (typeof target !== 'string') return never;
  const stripped = stripVersionExtension(target);
  if (stripped.length === 0) return never;
  const targetParts = stripped.split('.').map(Number);
  return (value) => {
    if (typeof value !== 'string') return false;
    const parts = versionParts(value);
    if (parts === null) return false;
    const comparison = compareVersions(parts, targetParts);
    return comparison !== null && accept(comparison);
  };
}

/**
 * statsig-node precomputes a string set only when the operator is spelled exactly in lower
 * case (`any`, `none`, ...); other spellings reach the per-element comparison, which differs
 * for null values. Both paths are kept so every spelling matches Statsig.
 */
function membership(target: unknown, caseInsensitive: boolean, exactSpelling: boolean): ValuePredicate {
  if (!Array.isArray(target)) return never;
  if (exactSpelling) {
    const set = new Set<string>();
    for (const item of target) {
      set.add(String(item));
      if (caseInsensitive) set.add(String(item).toLowerCase());
    }
    const byString: ValuePredicate = caseInsensitive
      ? (value) => {
          const text = String(value);
          return set.has(text) || set.has(text.toLowerCase());
        }
      : (value) => set.has(String(value));
    // Numbers against numbers (user_bucket slots): String() is one-to-one on numbers (0 and -0
    // aside, which Set lookups equate too) and leaves nothing to lower-case, so the numbers
    // themselves can be looked up, without making a string per check.
    if (target.length > 0 && target.every((item) => typeof item === 'number')) {
      const numbers = new Set<number>(target);
      return (value) => (typeof value === 'number' ? numbers.has(value) : byString(value));
    }
    return byString;
  }
  const items = target.filter((item) => item != null).map((item) => normalise(String(item), caseInsensitive));
  if (items.length === 0) return never;
  return (value) => {
    if (value == null) return false;
    const text = normalise(String(value), caseInsensitive);
    return items.includes(text);
  };
}

function normalise(text: string, lower: boolean): string {
  return lower ? text.toLowerCase() : text;
}

function stringMatchAny(target: unknown, match: (value: string, item: string) => boolean): ValuePredicate {
  if (!Array.isArray(target)) return never;
  const items = target.filter((item) => item != null).map((item) => String(item).toLowerCase());
  if (items.length === 0) return never;
  return (value) => {
    if (value == null) return false;
    const text = String(value).toLowerCase();
    for (const item of items) if (match(text, item)) return true;
    return false;
  };
}

/** Receives a problem found while compiling (a pattern refused, say); see evaluator diagnostics. */
export type ProblemReporter = (problem: string) => void;

function regexMatch(target: unknown, report: ProblemReporter | undefined): ValuePredicate {
  // Compiled once per condition; the engine is chosen so that no pattern can stall a check.
  const compiled = compileRegex(target);
  if (compiled.problem?.kind === 'refused') {
    report?.(
      `str_matches pattern ${describePattern(target)} is ${compiled.problem.reason}; the condition is false`,
    );
  }
  if (compiled.engine === null) return never;
  // statsig-node runs the test inside a try: a value that cannot become a string just fails.
  const regex = compiled.regex;
  if (regex) {
    // The native engine, called as before: an ordinary pattern's check costs what it did.
    return (value) => {
      try {
        const text = String(value);
        return text.length < STR_MATCHES_MAX_LENGTH && regex.test(text);
      } catch {
        return false;
      }
    };
  }
  const test = compiled.test;
  return (value) => {
    try {
      const text = String(value);
      return text.length < STR_MATCHES_MAX_LENGTH && test(text);
    } catch {
      return false;
    }
  };
}

function describePattern(target: unknown): string {
  const text = JSON.stringify(String(target));
  return text.length > 80 ? `${text.slice(0, 76)}..."` : text;
}

const SECONDS_THRESHOLD = 10_000_000_000;

function timeInMs(time: unknown): number {
  const numeric = Number(time);
  if (Number.isNaN(numeric)) return Number.NaN;
  return numeric < SECONDS_THRESHOLD ? numeric * 1000 : numeric;
}

/** A date operand as statsig-node reads it: strings through `new Date`, then as epoch; numbers as epoch s or ms. */
function toEpochMs(input: unknown): number {
  // `new Date(x)` throws on these in statsig-node, whose try/catch then answers false.
  if (typeof input === 'bigint' || typeof input === 'symbol') return Number.NaN;
  if (typeof input === 'string') {
    const parsed = new Date(input).getTime();
    if (!Number.isNaN(parsed)) return parsed;
  }
  return new Date(timeInMs(input)).getTime();
}

function localMidnight(epochMs: number): number {
  return new Date(epochMs).setHours(0, 0, 0, 0);
}

function dateCompare(target: unknown, compare: (a: number, b: number) => boolean): ValuePredicate {
  if (target == null) return never;
  // statsig-node converts both sides inside a try/catch; anything that throws compares false.
  let b: number;
  try {
    b = toEpochMs(target);
  } catch {
    return never;
  }
  if (Number.isNaN(b)) return never;
  return (value) => {
    if (value == null) return false;
    try {
      const a = toEpochMs(value);
      return !Number.isNaN(a) && compare(a, b);
    } catch {
      return false;
    }
  };
}

function arrayContains(target: unknown, decide: (values: Set<unknown>, items: unknown[][]) => boolean) {
  if (!Array.isArray(target)) return never;
  // Each target item also matches as parseInt(item): "2" finds a numeric 2 in the user's array.
  // Array.from reads holes as undefined, as statsig-node's index loop does.
  // biome-ignore lint/correctness/useParseIntRadix: statsig-node passes no radix, so "0x10" is 16.
  const items = Array.from(target, (item) => [item, Number.parseInt(item as string)]);
  return (value: unknown) => Array.isArray(value) && decide(new Set(value), items);
}

const hasAny = (values: Set<unknown>, items: unknown[][]) =>
  items.some(([item, parsed]) => values.has(item) || values.has(parsed));
const hasAll = (values: Set<unknown>, items: unknown[][]) =>
  items.every(([item, parsed]) => values.has(item) || values.has(parsed));

/**
 * Compiles `operator` (as written in the spec) against `target`. Returns null for an operator
 * this evaluator does not support, which makes the whole spec `Unsupported`.
 * ID-list operators are compiled by the condition compiler, since they need the lists.
 * `report` hears of conditions that deviate from statsig-node on purpose (a refused pattern).
 */
export function compileOperator(
  operator: string,
  target: unknown,
  report?: ProblemReporter,
): ValuePredicate | null {
  const op = operator.toLowerCase();
  switch (op) {
    case 'gt':
      return numeric(target, (a, b) => a > b);
    case 'gte':
      return numeric(target, (a, b) => a >= b);
    case 'lt':
      return numeric(target, (a, b) => a < b);
    case 'lte':
      return numeric(target, (a, b) => a <= b);
    case 'version_gt':
      return version(target, (c) => c > 0);
    case 'version_gte':
      return version(target, (c) => c >= 0);
    case 'version_lt':
      return version(target, (c) => c < 0);
    case 'version_lte':
      return version(target, (c) => c <= 0);
    case 'version_eq':
      return version(target, (c) => c === 0);
    case 'version_neq':
      return version(target, (c) => c !== 0);
    case 'any':
      return membership(target, true, operator === op);
    case 'none':
      return negate(membership(target, true, operator === op));
    case 'any_case_sensitive':
      return membership(target, false, operator === op);
    case 'none_case_sensitive':
      return negate(membership(target, false, operator === op));
    case 'str_starts_with_any':
      return stringMatchAny(target, (value, item) => value.startsWith(item));
    case 'str_ends_with_any':
      return stringMatchAny(target, (value, item) => value.endsWith(item));
    case 'str_contains_any':
      return stringMatchAny(target, (value, item) => value.includes(item));
    case 'str_contains_none':
      return negate(stringMatchAny(target, (value, item) => value.includes(item)));
    case 'str_matches':
      return regexMatch(target, report);
    case 'eq':
      // biome-ignore lint/suspicious/noDoubleEquals: Statsig's eq is JS loose equality (5 == "5").
      return (value) => value == target;
    case 'neq':
      // biome-ignore lint/suspicious/noDoubleEquals: Statsig's neq is JS loose inequality.
      return (value) => value != target;
    case 'before':
      return dateCompare(target, (a, b) => a < b);
    case 'after':
      return dateCompare(target, (a, b) => a > b);
    case 'on':
      return dateCompare(target, (a, b) => localMidnight(a) === localMidnight(b));
    case 'array_contains_any':
      return arrayContains(target, hasAny);
    case 'array_contains_none':
      return arrayContains(target, (values, items) => !hasAny(values, items));
    case 'array_contains_all':
      return arrayContains(target, hasAll);
    case 'not_array_contains_all':
      return arrayContains(target, (values, items) => !hasAll(values, items));
    default:
      return null;
  }
}

function negate(predicate: ValuePredicate): ValuePredicate {
  return (value) => !predicate(value);
}
