/**
 * Sets of UTF-16 code units (0..0xFFFF), as sorted, merged, inclusive ranges flattened into
 * `[lo0, hi0, lo1, hi1, ...]`. A JavaScript RegExp without the `u` flag matches code units,
 * so this is the alphabet every `str_matches` pattern is read over.
 */
export type CharSet = readonly number[];

export const MAX_CODE_UNIT = 0xffff;

export const EMPTY_SET: CharSet = [];

/** The set of the given inclusive ranges, in any order, overlapping or not. */
export function charSetOf(...ranges: (readonly [number, number])[]): CharSet {
  const sorted = [...ranges].filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of sorted) {
    const last = out.length - 1;
    if (last > 0 && lo <= (out[last] as number) + 1) {
      out[last] = Math.max(out[last] as number, hi);
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

export function singleton(code: number): CharSet {
  return [code, code];
}

function pairs(set: CharSet): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < set.length; i += 2) out.push([set[i] as number, set[i + 1] as number]);
  return out;
}

export function union(a: CharSet, b: CharSet): CharSet {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return charSetOf(...pairs(a), ...pairs(b));
}

export function complement(set: CharSet): CharSet {
  const out: number[] = [];
  let next = 0;
  for (const [lo, hi] of pairs(set)) {
    if (lo > next) out.push(next, lo - 1);
    next = hi + 1;
  }
  if (next <= MAX_CODE_UNIT) out.push(next, MAX_CODE_UNIT);
  return out;
}

export function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const aLo = a[i] as number;
    const aHi = a[i + 1] as number;
    const bLo = b[j] as number;
    const bHi = b[j + 1] as number;
    if (aLo <= bHi && bLo <= aHi) return true;
    if (aHi < bHi) i += 2;
    else j += 2;
  }
  return false;
}

/** The inclusive ranges of a set, for emitting it in another syntax. */
export function rangesOf(set: CharSet): [number, number][] {
  return pairs(set);
}

// The class escapes and `.` of ECMAScript RegExp without the `u` or `i` flags
// (ES2024 22.2.2.9 CharacterClassEscape; WhiteSpace and LineTerminator, 12.2 and 12.3).
// char-set.test.ts checks each one against V8 over every code unit.
export const DIGIT: CharSet = charSetOf([0x30, 0x39]);
export const WORD: CharSet = charSetOf([0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]);
export const SPACE: CharSet = charSetOf(
  [0x09, 0x0d], // tab, line feed, vertical tab, form feed, carriage return
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
);
const LINE_TERMINATORS: CharSet = charSetOf([0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]);
/** `.` without the `s` flag: everything but a line terminator. */
export const DOT: CharSet = complement(LINE_TERMINATORS);
