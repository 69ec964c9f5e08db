import { describe, expect, it } from 'vitest';
import {
  type CharSet,
  charSetOf,
  complement,
  DIGIT,
  DOT,
  intersects,
  MAX_CODE_UNIT,
  rangesOf,
  SPACE,
  union,
  WORD,
} from './char-set.js';

function has(set: CharSet, code: number): boolean {
  return rangesOf(set).some(([lo, hi]) => lo <= code && code <= hi);
}

describe('char sets', () => {
  it.each([
    ['\\d', DIGIT],
    ['\\w', WORD],
    ['\\s', SPACE],
    ['.', DOT],
  ] as const)('%s holds exactly the code units V8 matches with it (no flags)', (classEscape, set) => {
    const regex = new RegExp(`^${classEscape}$`);
    const differing: number[] = [];
    for (let code = 0; code <= MAX_CODE_UNIT; code++) {
      if (regex.test(String.fromCharCode(code)) !== has(set, code)) differing.push(code);
    }
    expect(differing).toEqual([]);
  });

  it('merges, complements and intersects ranges', () => {
    expect(charSetOf([5, 9], [1, 3], [4, 4], [20, 30], [25, 26])).toEqual([1, 9, 20, 30]);
    expect(complement([0, 9, 20, MAX_CODE_UNIT])).toEqual([10, 19]);
    expect(complement([])).toEqual([0, MAX_CODE_UNIT]);
    expect(union([1, 2], [3, 4])).toEqual([1, 4]);
    expect(intersects([1, 5, 10, 12], [6, 9])).toBe(false);
    expect(intersects([1, 5, 10, 12], [6, 10])).toBe(true);
  });
});
