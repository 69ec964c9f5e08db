/**
 * Writes a parsed JavaScript pattern in RE2 syntax with the same matches, for re2js. Nothing
 * is passed through as text: every character set is spelled out as ranges (so JavaScript's
 * `\s`, `.` and Annex B escapes keep their JavaScript meaning), groups become non-capturing,
 * and `^` / `$` / `\b` / `\B` carry over (RE2 without flags reads them as JavaScript does
 * without flags: start and end of input, ASCII word boundary).
 *
 * JavaScript matches UTF-16 code units; RE2 matches code points, and re2js joins surrogate
 * pairs into one. So the value is rewritten before matching (`toRe2Input`): each surrogate
 * code unit becomes its own code point in Plane 15 (U+F0000 + unit - 0xD800), which no
 * JavaScript string can otherwise hold as a single code unit, and the translated sets map
 * surrogate code units the same way. Each code unit is then exactly one RE2 character.
 */
import { rangesOf } from './char-set.js';
import type { PatternNode } from './parse-js-pattern.js';
import { matchesEmptyAnywhere, maxWidth, minWidth } from './pattern-widths.js';

const SURROGATE_MIN = 0xd800;
const SURROGATE_MAX = 0xdfff;
const SURROGATE_PLANE = 0xf0000;

/** RE2 refuses repeat counts above this. */
const RE2_MAX_REPEAT = 1000;

const NOTHING = '[^\\x{0}-\\x{10FFFF}]';

/** A pattern that cannot be written in RE2 syntax (backreferences, lookarounds, huge repeats). */
export class NotTranslatable extends Error {}

/**
 * The RE2 pattern for `node`, matched against `toRe2Input(value)`; values are at most
 * `maxLength` code units long (which bounds the repeat counts that can matter).
 * Throws NotTranslatable.
 */
export function toRe2Syntax(node: PatternNode, maxLength: number): string {
  switch (node.kind) {
    case 'chars':
      return re2Class(node.set);
    case 'assertion':
      return node.assertion;
    case 'backreference':
      throw new NotTranslatable('backreferences are not supported by the linear-time engine');
    case 'lookaround':
      throw new NotTranslatable('lookaround assertions are not supported by the linear-time engine');
    case 'sequence':
      return node.items.map((item) => toRe2Syntax(item, maxLength)).join('');
    case 'alternation':
      return `(?:${node.branches.map((branch) => toRe2Syntax(branch, maxLength)).join('|')})`;
    case 'repeat':
      return re2Repeat(node, maxLength);
  }
}

function re2Repeat(node: PatternNode & { kind: 'repeat' }, maxLength: number): string {
  let { min, max } = node;
  const body = `(?:${toRe2Syntax(node.body, maxLength)})`;
  // A body that only ever matches the empty string (`()`, `(?:^)`) matches the same however
  // often it repeats: once, or not at all.
  if (maxWidth(node.body) === 0) return min === 0 ? '' : body;
  const width = minWidth(node.body);
  if (width > 0) {
    // No value has room for more than `most` iterations: a larger max is unbounded (which
    // keeps RE2's program small), and a larger min never matches.
    const most = Math.floor(maxLength / width);
    if (min > most) return NOTHING;
    if (max >= most) max = Number.POSITIVE_INFINITY;
  } else {
    // A body that can match empty: a match with more than maxLength + 1 iterations has an
    // empty one, and empty iterations can be dropped or repeated at will, so counts above
    // maxLength + 1 are all alike (JavaScript's rule that an empty iteration past `min` fails
    // changes which match is found, not whether there is one). When the body matches empty
    // anywhere, missing iterations can always be made up with empty ones: `min` is moot.
    min = matchesEmptyAnywhere(node.body) ? 0 : Math.min(min, maxLength + 1);
    if (max > maxLength + 1) max = Number.POSITIVE_INFINITY;
  }
  if (min > RE2_MAX_REPEAT || (Number.isFinite(max) && max > RE2_MAX_REPEAT)) {
    throw new NotTranslatable(
      `a repeat count above ${RE2_MAX_REPEAT} is not supported by the linear-time engine`,
    );
  }
  if (!Number.isFinite(max)) return min === 0 ? `${body}*` : min === 1 ? `${body}+` : `${body}{${min},}`;
  return min === max ? `${body}{${min}}` : `${body}{${min},${max}}`;
}

const hex = (code: number) => `\\x{${code.toString(16)}}`;

function re2Class(set: readonly number[]): string {
  const parts: string[] = [];
  const add = (lo: number, hi: number) => parts.push(lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`);
  for (const [lo, hi] of rangesOf(set)) {
    if (lo < SURROGATE_MIN) add(lo, Math.min(hi, SURROGATE_MIN - 1));
    if (lo <= SURROGATE_MAX && hi >= SURROGATE_MIN) {
      const offset = SURROGATE_PLANE - SURROGATE_MIN;
      add(Math.max(lo, SURROGATE_MIN) + offset, Math.min(hi, SURROGATE_MAX) + offset);
    }
    if (hi > SURROGATE_MAX) add(Math.max(lo, SURROGATE_MAX + 1), hi);
  }
  if (parts.length === 0) return NOTHING;
  const single = set.length === 2 && set[0] === set[1] ? String.fromCharCode(set[0] as number) : null;
  if (single !== null && /^[0-9A-Za-z]$/.test(single)) return single;
  return `[${parts.join('')}]`;
}

const SURROGATE = /[\ud800-\udfff]/;
const SURROGATES = /[\ud800-\udfff]/g;

/** The value re2js matches for a JavaScript string (see the file comment). */
export function toRe2Input(value: string): string {
  if (!SURROGATE.test(value)) return value;
  return value.replace(SURROGATES, (unit) =>
    String.fromCodePoint(SURROGATE_PLANE + unit.charCodeAt(0) - SURROGATE_MIN),
  );
}
