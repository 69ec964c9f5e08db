import { describe, expect, it } from 'vitest';
import { estimateCupedLift } from './estimate-cuped-lift.js';
import { estimateCupedRatioLift } from './estimate-cuped-ratio-lift.js';
import { estimateLift } from './estimate-lift.js';
import { type CupedRatioStats, ratioStatsFromValues } from './sufficient-statistics.js';
import { summarizeMean, summarizeProportion } from './summarize-mean.js';
import { summarizeRatio } from './summarize-ratio.js';
import { compareArms, testLift } from './test-lift.js';

const control = { n: 500, sum: 1020, sumSquares: 4100 };
const treatment = { n: 520, sum: 1100, sumSquares: 4500 };

describe('estimateLift statuses', () => {
  it('passes a failed summary through, naming the arm', () => {
    const result = estimateLift(summarizeMean({ n: 1, sum: 1, sumSquares: 1 }), summarizeMean(treatment));
    expect(result).toEqual({
      status: 'insufficient-data',
      reason: 'control: 1 units; at least 2 are needed',
    });
  });
  it('zero variance in either arm makes the result unavailable', () => {
    const result = estimateLift(
      summarizeProportion({ n: 100, sum: 0 }),
      summarizeProportion({ n: 100, sum: 4 }),
    );
    expect(result.status).toBe('zero-variance');
  });
  it('a zero control mean leaves the absolute lift and reports the relative one', () => {
    const result = estimateLift({ n: 10, mean: 0, variance: 1 }, { n: 10, mean: 1, variance: 1 });
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.absolute.status).toBe('ok');
    expect(result.relative.status).toBe('zero-baseline');
  });
  it('a negative baseline keeps the sign of the lift meaningful', () => {
    const result = estimateLift({ n: 10, mean: -2, variance: 1 }, { n: 10, mean: -1, variance: 1 });
    if (result.status !== 'ok' || result.relative.status !== 'ok') throw new Error('unexpected');
    expect(result.relative.estimate).toBe(0.5); // improvement from −2 to −1 is +50%
  });
  it('overflowing numbers are reported, not returned as Infinity', () => {
    const result = estimateLift({ n: 10, mean: -1e308, variance: 1 }, { n: 10, mean: 1e308, variance: 1 });
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.absolute.status).toBe('invalid-input');
  });
  it('testLift and compareArms pass failures through', () => {
    expect(testLift({ status: 'zero-variance', reason: 'x' }).status).toBe('zero-variance');
    expect(
      compareArms(summarizeMean(control), summarizeMean(treatment), { method: 'bogus' as never }).status,
    ).toBe('invalid-input');
  });
});

describe('CUPED', () => {
  it('with a constant covariate θ = 0 and the result equals the unadjusted analysis', () => {
    const cuped = estimateCupedLift(
      { ...control, sumPre: 1000, sumPre2: 2000, sumXPre: 2040 },
      { ...treatment, sumPre: 1040, sumPre2: 2080, sumXPre: 2200 },
    );
    const plain = estimateLift(summarizeMean(control), summarizeMean(treatment));
    if (cuped.status !== 'ok' || plain.status !== 'ok') throw new Error('unexpected');
    expect(cuped.theta).toBe(0);
    expect(cuped.absolute).toEqual(plain.absolute);
    expect(cuped.relative).toEqual(plain.relative);
  });
  it('a strong covariate shrinks the standard error by about √(1 − ρ²)', () => {
    // Post = pre + small noise, for 4 units per arm repeated: ρ close to 1.
    const pre = [1, 2, 3, 4, 5, 6, 7, 8];
    const post = pre.map((x, i) => x + (i % 2 === 0 ? 0.1 : -0.1));
    const stats = (shift: number) => ({
      n: 8,
      sum: post.reduce((a, b) => a + b + shift, 0),
      sumSquares: post.reduce((a, b) => a + (b + shift) ** 2, 0),
      sumPre: pre.reduce((a, b) => a + b, 0),
      sumPre2: pre.reduce((a, b) => a + b * b, 0),
      sumXPre: post.reduce((a, b, i) => a + (b + shift) * (pre[i] ?? 0), 0),
    });
    const result = estimateCupedLift(stats(0), stats(0.5));
    if (result.status !== 'ok' || result.absolute.status !== 'ok') throw new Error('unexpected');
    expect(result.theta).toBeCloseTo(1, 1);
    expect(result.absolute.estimate).toBeCloseTo(0.5, 12);
    expect(result.absolute.standardError).toBeLessThan(0.1);
  });
  it('proportion kind checks 0/1 sums', () => {
    const bad = estimateCupedLift(
      { n: 10, sum: 3, sumSquares: 4, sumPre: 2, sumPre2: 2, sumXPre: 1 },
      { n: 10, sum: 3, sumSquares: 3, sumPre: 2, sumPre2: 2, sumXPre: 1 },
      { kind: 'proportion' },
    );
    expect(bad.status).toBe('invalid-input');
  });
  it('ratio CUPED falls back to the plain ratio when the pre-period denominators are 0', () => {
    const arm = (scale: number): CupedRatioStats => ({
      ...ratioStatsFromValues(
        [1, 0, 3, 2].map((x) => x * scale),
        [4, 1, 10, 5],
      ),
      sumXPre: 0,
      sumYPre: 0,
      sumXPre2: 0,
      sumYPre2: 0,
      sumXPreYPre: 0,
      sumXXPre: 0,
      sumYYPre: 0,
      sumXYPre: 0,
      sumYXPre: 0,
    });
    const cuped = estimateCupedRatioLift(arm(1), arm(1.2));
    const plain = estimateLift(summarizeRatio(arm(1)), summarizeRatio(arm(1.2)));
    if (cuped.status !== 'ok' || plain.status !== 'ok') throw new Error('unexpected');
    expect(cuped.theta).toBe(0);
    if (cuped.absolute.status !== 'ok' || plain.absolute.status !== 'ok') throw new Error('unexpected');
    expect(cuped.absolute.estimate).toBeCloseTo(plain.absolute.estimate, 14);
    expect(cuped.absolute.standardError).toBeCloseTo(plain.absolute.standardError, 14);
  });
});
