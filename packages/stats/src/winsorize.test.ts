import { describe, expect, it } from 'vitest';
import { capValues, computePercentileCap, winsorize } from './winsorize.js';

describe('winsorize', () => {
  it('linear-interpolated percentiles (numpy default)', () => {
    expect(computePercentileCap([1, 2, 3, 4, 100], 90)).toMatchObject({ status: 'ok', counted: 5 });
    const cap = computePercentileCap([1, 2, 3, 4, 100], 90);
    if (cap.status === 'ok') expect(cap.cap).toBeCloseTo(61.6, 12);
    expect(computePercentileCap([3, 1, 2], 0)).toMatchObject({ cap: 1 });
    expect(computePercentileCap([3, 1, 2], 100)).toMatchObject({ cap: 3 });
  });
  it('caps values, keeping zeros when they are ignored', () => {
    expect(winsorize([0, 1, 2, 3, 1000], { upperPercentile: 75 })).toMatchObject({
      values: [0, 1, 2, 3, 3],
      capped: 1,
    });
    const result = winsorize([0, 0, 0, 5, 6, 7, 100], { upperPercentile: 50, ignoreZeros: true });
    expect(result).toMatchObject({ status: 'ok', upperCap: 6.5, values: [0, 0, 0, 5, 6, 6.5, 6.5] });
  });
  it('a lower percentile too', () => {
    expect(winsorize([-100, 1, 2, 3, 100], { upperPercentile: 75, lowerPercentile: 25 })).toMatchObject({
      values: [1, 1, 2, 3, 3],
      lowerCap: 1,
      upperCap: 3,
    });
  });
  it('statuses', () => {
    expect(computePercentileCap([], 99).status).toBe('insufficient-data');
    expect(computePercentileCap([0, 0], 99, { ignoreZeros: true }).status).toBe('insufficient-data');
    expect(computePercentileCap([1, Number.NaN], 99).status).toBe('invalid-input');
    expect(computePercentileCap([1], 101).status).toBe('invalid-input');
    expect(winsorize([1, 2], { upperPercentile: 50, lowerPercentile: 60 }).status).toBe('invalid-input');
  });
  it('absolute caps', () => {
    expect(capValues([1, 50, 200], 100)).toEqual([1, 50, 100]);
    expect(capValues([-5, 50], 100, 0)).toEqual([0, 50]);
  });
});
