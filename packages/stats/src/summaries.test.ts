import { describe, expect, it } from 'vitest';
import {
  addRatioStats,
  cupedStatsFromValues,
  meanStatsFromValues,
  ratioStatsFromValues,
} from './sufficient-statistics.js';
import { summarizeMean, summarizeProportion } from './summarize-mean.js';
import { quantileRanks, summarizeQuantile } from './summarize-quantile.js';
import { summarizeRatio } from './summarize-ratio.js';

describe('summarizeMean', () => {
  it('mean and sample variance', () => {
    expect(summarizeMean({ n: 4, sum: 10, sumSquares: 30 })).toEqual({
      status: 'ok',
      n: 4,
      mean: 2.5,
      variance: 5 / 3,
    });
  });
  it('rejects malformed input with a reason', () => {
    expect(summarizeMean({ n: 2.5, sum: 1, sumSquares: 1 })).toMatchObject({
      status: 'invalid-input',
      reason: 'n must be a non-negative integer',
    });
    expect(summarizeMean({ n: 3, sum: Number.NaN, sumSquares: 1 }).status).toBe('invalid-input');
    expect(summarizeMean({ n: 3, sum: 1, sumSquares: -1 }).status).toBe('invalid-input');
    expect(summarizeMean(null as never).status).toBe('invalid-input');
  });
  it('n < 2 is insufficient data', () => {
    expect(summarizeMean({ n: 1, sum: 3, sumSquares: 9 }).status).toBe('insufficient-data');
    expect(summarizeMean({ n: 0, sum: 0, sumSquares: 0 }).status).toBe('insufficient-data');
  });
  it('constant values have exactly zero variance despite binary rounding', () => {
    const stats = meanStatsFromValues(Array.from({ length: 7 }, () => 0.1));
    expect(summarizeMean(stats)).toMatchObject({ status: 'ok', variance: 0 });
  });
});

describe('summarizeProportion', () => {
  it('uses p(1 − p) without the n/(n − 1) correction', () => {
    expect(summarizeProportion({ n: 1000, sum: 120 })).toMatchObject({
      status: 'ok',
      mean: 0.12,
      variance: 0.12 * 0.88,
    });
  });
  it('checks the counts', () => {
    expect(summarizeProportion({ n: 10, sum: 11 }).status).toBe('invalid-input');
    expect(summarizeProportion({ n: 10, sum: 3, sumSquares: 4 }).status).toBe('invalid-input');
    expect(summarizeProportion({ n: 10, sum: 3, sumSquares: 3 }).status).toBe('ok');
  });
});

describe('summarizeRatio', () => {
  it('Σx/Σy with the delta-method variance', () => {
    const x = [1, 0, 3, 2];
    const y = [4, 1, 10, 5];
    const result = summarizeRatio(ratioStatsFromValues(x, y));
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.mean).toBe(6 / 20);
    // Linearisation: Var of (x − R y)/ȳ over units, n − 1 divisor.
    const r = 6 / 20;
    const yBar = 5;
    const residuals = x.map((xi, i) => (xi - r * (y[i] ?? 0)) / yBar);
    const mean = residuals.reduce((a, b) => a + b, 0) / 4;
    const variance = residuals.reduce((a, b) => a + (b - mean) ** 2, 0) / 3;
    expect(result.variance).toBeCloseTo(variance, 14);
  });
  it('a zero denominator is reported', () => {
    expect(summarizeRatio({ n: 5, sumX: 0, sumY: 0, sumX2: 0, sumY2: 0, sumXY: 0 }).status).toBe(
      'zero-denominator',
    );
  });
  it('RatioStats add across shards', () => {
    const a = ratioStatsFromValues([1, 2], [3, 4]);
    const b = ratioStatsFromValues([5], [6]);
    expect(addRatioStats(a, b)).toEqual(ratioStatsFromValues([1, 2, 5], [3, 4, 6]));
  });
  it('CUPED sums from values', () => {
    expect(cupedStatsFromValues([1, 2], [3, 5])).toEqual({
      n: 2,
      sum: 3,
      sumSquares: 5,
      sumPre: 8,
      sumPre2: 34,
      sumXPre: 13,
    });
  });
});

describe('summarizeQuantile', () => {
  it('variance from the order statistics at the outer-CI ranks', () => {
    const ranks = quantileRanks(10_000, 0.9);
    expect(ranks.lower).toBeCloseTo(10_000 * (0.9 - 1.959963984540054 * Math.sqrt(0.09 / 10_000)), 9);
    const result = summarizeQuantile({ n: 10_000, level: 0.9, quantile: 5, lower: 4.9, upper: 5.1 });
    expect(result).toMatchObject({ status: 'ok', mean: 5 });
    if (result.status === 'ok')
      expect(result.variance).toBeCloseTo(9999 * (0.2 / (2 * 1.959963984540054)) ** 2, 12);
  });
  it('rejects inverted order statistics', () => {
    expect(summarizeQuantile({ n: 1000, level: 0.5, quantile: 1, lower: 2, upper: 1 }).status).toBe(
      'invalid-input',
    );
  });
});
