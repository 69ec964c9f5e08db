/**
 * The published reference cases of stats-methods.md §9A (GrowthBook gbstats unit tests at
 * 8f1db44…) and the other numbers the document states, each with the tolerance it states:
 * values printed to 5 decimals must agree to ±5e-6; values printed in full, to 1e-9 relative.
 */

import { describe, expect, it } from 'vitest';
import {
  type ArmSummary,
  type CupedRatioStats,
  compareArms,
  computeBayesianEffect,
  type EffectEstimate,
  estimateCupedLift,
  estimateCupedRatioLift,
  estimateLift,
  type Outcome,
  summarizeMean,
  summarizeProportion,
  summarizeQuantile,
  testConfidenceSequence,
  testFixedHorizon,
  testSampleRatio,
} from '../src/index.js';

/** Printed to 5 decimals: the value rounds to it (allowing the rounding of a float that ends in 5). */
function expect5dp(actual: number, printed: number) {
  expect(Math.abs(actual - printed)).toBeLessThanOrEqual(5e-6 + 1e-12);
}

/** Printed in full: 1e-9 relative. */
function expectFull(actual: number, printed: number) {
  expect(Math.abs(actual - printed)).toBeLessThanOrEqual(1e-9 * Math.abs(printed));
}

function ok<T>(outcome: Outcome<T>): T {
  if (outcome.status !== 'ok') throw new Error(`expected ok, got ${outcome.status}: ${outcome.reason}`);
  return outcome;
}

const P1_CONTROL = { n: 3407, sum: 1396.87, sumSquares: 52377.9767 };
const P3_CONTROL = { n: 3000, sum: 1396.87, sumSquares: 52377.9767 };
const TREATMENT = { n: 3461, sum: 2422.7, sumSquares: 134698.29 };

describe('P1: Welch t, means', () => {
  const result = ok(compareArms(summarizeMean(P1_CONTROL), summarizeMean(TREATMENT), { distribution: 't' }));
  it('relative', () => {
    const r = ok(result.relative);
    expect5dp(r.estimate, 0.70732);
    expect5dp(r.standardError, 0.37879);
    expect5dp(r.interval[0], -0.03526);
    expect5dp(r.interval[1], 1.44989);
    expect5dp(r.pValue, 0.06191);
  });
  it('absolute', () => {
    const a = ok(result.absolute);
    expect5dp(a.estimate, 0.29);
    expect5dp(a.standardError, 0.12478);
    expect5dp(a.interval[0], 0.04538);
    expect5dp(a.interval[1], 0.53462);
    expect5dp(a.pValue, 0.02016);
  });
});

describe('P2: binomial', () => {
  it('relative', () => {
    const result = ok(
      compareArms(summarizeProportion({ n: 28, sum: 14 }), summarizeProportion({ n: 30, sum: 16 }), {
        distribution: 't',
      }),
    );
    const r = ok(result.relative);
    expect5dp(r.estimate, 0.06667);
    expect5dp(r.standardError, 0.2717);
    expect5dp(r.interval[0], -0.47767);
    expect5dp(r.interval[1], 0.61101);
    expect5dp(r.pValue, 0.80707);
  });
});

describe('P3: fixed one-sided, means (full floats)', () => {
  const lift = ok(estimateLift(summarizeMean(P3_CONTROL), summarizeMean(TREATMENT)));
  const run = (effect: Outcome<EffectEstimate>, alternative: 'greater' | 'less') =>
    ok(testFixedHorizon(effect, { alternative, distribution: 't' }));
  it('relative', () => {
    const greater = run(lift.relative, 'greater');
    expectFull(greater.estimate, 0.5033610858562358);
    expectFull(greater.standardError, 0.3334122146400735);
    expectFull(greater.interval[0], -0.045136675850396046);
    expect(greater.interval[1]).toBe(Number.POSITIVE_INFINITY);
    expectFull(greater.pValue, 0.06558262868467746);
    const less = run(lift.relative, 'less');
    expect(less.interval[0]).toBe(Number.NEGATIVE_INFINITY);
    expectFull(less.interval[1], 1.0518588475628676);
    expectFull(less.pValue, 0.9344173713153225);
  });
  it('absolute', () => {
    const greater = run(lift.absolute, 'greater');
    expectFull(greater.estimate, 0.23437666666666668);
    expectFull(greater.standardError, 0.12983081254184736);
    expectFull(greater.interval[0], 0.020791480063255735);
    expectFull(greater.pValue, 0.03554272489873023);
    const less = run(lift.absolute, 'less');
    expectFull(less.interval[1], 0.44796185327007765);
    expectFull(less.pValue, 0.9644572751012698);
  });
});

describe('P4: sequential two-sided', () => {
  it('means, N* = 1000, relative', () => {
    const lift = ok(estimateLift(summarizeMean(P3_CONTROL), summarizeMean(TREATMENT)));
    const r = ok(testConfidenceSequence(lift.relative, { nStar: 1000 }));
    expect5dp(r.estimate, 0.50336);
    expect5dp(r.standardError, 0.33341);
    expect5dp(r.interval[0], -0.55844);
    expect5dp(r.interval[1], 1.56516);
    expect(r.pValue).toBe(1);
  });
  it('proportions 1396/3000 vs 2422/3461, N* = 5000, relative', () => {
    const lift = ok(
      estimateLift(summarizeProportion({ n: 3000, sum: 1396 }), summarizeProportion({ n: 3461, sum: 2422 })),
    );
    const r = ok(testConfidenceSequence(lift.relative, { nStar: 5000 }));
    expect5dp(r.estimate, 0.50386);
    expect5dp(r.standardError, 0.03386);
    expect5dp(r.interval[0], 0.40098);
    expect5dp(r.interval[1], 0.60675);
    expect5dp(r.pValue, 0);
    // The document's own computation: 5.17e-44 (three significant figures).
    expect(Math.abs(r.pValue / 5.17e-44 - 1)).toBeLessThan(1e-3);
  });
});

describe('P5: sequential one-sided, N* = 5000 (safe-rollout settings)', () => {
  const lift = ok(estimateLift(summarizeMean(P3_CONTROL), summarizeMean(TREATMENT)));
  const run = (effect: Outcome<EffectEstimate>, alternative: 'greater' | 'less') =>
    ok(testConfidenceSequence(effect, { alternative, nStar: 5000 }));
  it('relative bounds; GrowthBook clamps both p-values to 0.4999, ours are at least that', () => {
    const greater = run(lift.relative, 'greater');
    expectFull(greater.interval[0], -0.42356454602790883);
    expect(greater.pValue).toBeGreaterThanOrEqual(0.4999);
    const less = run(lift.relative, 'less');
    expectFull(less.interval[1], 1.4302867177403806);
    expect(less.pValue).toBeGreaterThanOrEqual(0.4999);
  });
  it('absolute bounds and the bisection p-value', () => {
    const greater = run(lift.absolute, 'greater');
    expectFull(greater.interval[0], -0.12656844172804982);
    // GrowthBook bisects on alpha (rho fixed) until the bound is within 1e-6 of 0 and returns
    // the next midpoint, 0.46316491943359384; replaying its bisection reproduces that value
    // exactly (scripts/generate_fixtures.py). The exact root is 0.4630473577946262, inside
    // GrowthBook's final bracket of width (0.4999 − 1e-5)/2^11.
    expectFull(greater.pValue, 0.4630473577946262);
    expect(Math.abs(greater.pValue - 0.46316491943359384)).toBeLessThan((0.4999 - 1e-5) / 2 ** 11);
    const less = run(lift.absolute, 'less');
    expectFull(less.interval[1], 0.5953217750613832);
    expect(less.pValue).toBeGreaterThanOrEqual(0.4999);
  });
});

describe('P6: CUPED, sequential two-sided, N* = 5000, relative', () => {
  it('matches', () => {
    const lift = ok(
      estimateCupedLift(
        { ...P3_CONTROL, sumPre: 16.87, sumPre2: 527.9767, sumXPre: 1 },
        { ...TREATMENT, sumPre: 22.7, sumPre2: 1348.29, sumXPre: 1 },
      ),
    );
    expectFull(lift.theta, -0.011403222553755095);
    const r = ok(testConfidenceSequence(lift.relative, { nStar: 5000 }));
    expect5dp(r.estimate, 0.50338);
    expect5dp(r.standardError, 0.33341);
    expect5dp(r.interval[0], -0.50969);
    expect5dp(r.interval[1], 1.51646);
    expect(r.pValue).toBe(1);
  });
});

describe('P7: ratio CUPED, n = 100 per arm', () => {
  const control: CupedRatioStats = {
    n: 100,
    sumX: 485.112236689623,
    sumX2: 2715.484666118136,
    sumY: 679.9093275844917,
    sumY2: 4939.424001640236,
    sumXPre: 192.59138069991536,
    sumXPre2: 460.076026390857,
    sumYPre: 290.1398399750233,
    sumYPre2: 920.9461385038898,
    sumXXPre: 1113.6215759318352,
    sumYYPre: 2130.9404074446747,
    sumXPreYPre: 634.239482353647,
    sumXY: 3602.146836776702,
    sumXYPre: 1559.2878434944676,
    sumYXPre: 1460.3181079276983,
  };
  const treatment: CupedRatioStats = {
    n: 100,
    sumX: 514.7757826608777,
    sumX2: 2994.897482705013,
    sumY: 705.4090874383759,
    sumY2: 5291.36604146392,
    sumXPre: 206.94157227402536,
    sumXPre2: 514.2903702246757,
    sumYPre: 302.54389139107326,
    sumYPre2: 994.4506208125663,
    sumXXPre: 1237.0953021125997,
    sumYYPre: 2292.081739775257,
    sumXPreYPre: 698.4173425817908,
    sumXY: 3918.1561431600717,
    sumXYPre: 1701.0287270040265,
    sumYXPre: 1604.0759503266522,
  };
  const lift = ok(estimateCupedRatioLift(control, treatment));
  it('theta and Welch df (the document computes θ = 0.8290044254063292, ν = 194.418)', () => {
    expectFull(lift.theta, 0.8290044254063292);
    expect(Math.abs(ok(lift.relative).degreesOfFreedom - 194.418)).toBeLessThan(5e-4);
  });
  it('fixed two-sided, relative', () => {
    const r = ok(testFixedHorizon(lift.relative, { distribution: 't' }));
    expect5dp(r.estimate, -0.0007);
    expect5dp(r.standardError, 0.00391);
    expect5dp(r.interval[0], -0.00841);
    expect5dp(r.interval[1], 0.007);
    expect5dp(r.pValue, 0.85771);
  });
  it('sequential, N* = 5000', () => {
    const r = ok(testConfidenceSequence(lift.relative, { nStar: 5000 }));
    expect5dp(r.interval[0], -0.02063);
    expect5dp(r.interval[1], 0.01923);
    expect(r.pValue).toBe(1);
  });
});

describe('P8: Bayesian, relative', () => {
  it('binomial 49/100 vs 51/100, flat prior', () => {
    const lift = ok(
      estimateLift(summarizeProportion({ n: 100, sum: 49 }), summarizeProportion({ n: 100, sum: 51 })),
    );
    const b = ok(computeBayesianEffect(lift.relative));
    expect5dp(b.posteriorMean, 0.04082);
    expect5dp(b.posteriorStandardDeviation, 0.14725);
    expect5dp(b.credibleInterval[0], -0.24779);
    expect5dp(b.credibleInterval[1], 0.32943);
    expect5dp(b.chanceToWin, 0.60918);
    expect(Math.abs(b.risk.control - 0.0814)).toBeLessThanOrEqual(5e-5); // printed to 4 dp
    expect5dp(b.risk.treatment, 0.04058);
  });
  const meansLift = ok(
    estimateLift(
      summarizeMean({ n: 10, sum: 100, sumSquares: 1002.25 }),
      summarizeMean({ n: 10, sum: 105, sumSquares: 1111.5 }),
    ),
  );
  it('means, flat prior', () => {
    const b = ok(computeBayesianEffect(meansLift.relative));
    expect5dp(b.posteriorMean, 0.05);
    expect5dp(b.posteriorStandardDeviation, 0.03572);
    expect5dp(b.credibleInterval[0], -0.02);
    expect5dp(b.credibleInterval[1], 0.12);
    expect5dp(b.chanceToWin, 0.91923);
    expect5dp(b.risk.control, 0.05131);
    expect5dp(b.risk.treatment, 0.00131);
  });
  it('means, proper prior N(0.1, variance 0.1)', () => {
    const b = ok(computeBayesianEffect(meansLift.relative, { prior: { mean: 0.1, variance: 0.1 } }));
    expect5dp(b.posteriorMean, 0.05063);
    expect5dp(b.posteriorStandardDeviation, 0.03549);
    expect5dp(b.credibleInterval[0], -0.01893);
    expect5dp(b.credibleInterval[1], 0.12019);
    expect5dp(b.chanceToWin, 0.92315);
    expect5dp(b.risk.control, 0.05186);
    expect5dp(b.risk.treatment, 0.00123);
  });
});

describe('P9: quantile (P90), absolute and relative', () => {
  const control = summarizeQuantile({
    n: 11054,
    level: 0.9,
    quantile: 7.157987489967789,
    lower: 7.098780136176828,
    upper: 7.217194843758751,
  });
  const treatment = summarizeQuantile({
    n: 10861,
    level: 0.9,
    quantile: 7.694499927525767,
    lower: 7.64180598628119,
    upper: 7.747193868770344,
  });
  const lift = ok(estimateLift(control, treatment));
  it('absolute, improper flat prior', () => {
    const b = ok(computeBayesianEffect(lift.absolute));
    expectFull(b.posteriorMean, 0.5365124375579775);
    expectFull(b.credibleInterval[0], 0.4572559589115422);
    expectFull(b.credibleInterval[1], 0.6157689162044128);
  });
  it('relative, flat proper prior (variance 1e6)', () => {
    const b = ok(computeBayesianEffect(lift.relative, { prior: { mean: 0, variance: 1e6 } }));
    expectFull(b.posteriorMean, 0.07495297222736319);
    expectFull(b.credibleInterval[0], 0.06341005842481906);
    expectFull(b.credibleInterval[1], 0.08649588602990732);
  });
  it('p99 needs n > 380 at 95% (§1.5)', () => {
    const at = (n: number) =>
      summarizeQuantile({ n, level: 0.99, quantile: 1, lower: 0.9, upper: 1.1 }).status;
    expect(at(380)).toBe('insufficient-data');
    expect(at(381)).toBe('ok');
  });
});

describe('P10: SRM', () => {
  it('counts [1000, 1200], weights [0.5, 0.5]', () => {
    const r = ok(testSampleRatio([1000, 1200], [0.5, 0.5]));
    expect(Math.abs(r.pValue - 0.000020079)).toBeLessThanOrEqual(5e-10); // printed to 9 dp
    expectFull(r.pValue, 2.007865612426481e-5); // the document's computation
    expect(r.mismatch).toBe(true);
  });
});

describe('§4.2: width of the confidence sequence against the fixed-horizon z interval', () => {
  const widthRatio = (n: number, alternative: 'two-sided' | 'greater') => {
    const effect: EffectEstimate = {
      scale: 'absolute',
      estimate: 0,
      standardError: 1,
      degreesOfFreedom: 1e9,
      sampleSize: n,
      baselineMean: 1,
    };
    const cs = ok(testConfidenceSequence(effect, { alternative, nStar: 5000 }));
    const z = ok(testFixedHorizon(effect, { alternative, distribution: 'normal' }));
    return alternative === 'two-sided' ? cs.interval[1] / z.interval[1] : cs.interval[0] / z.interval[0];
  };
  it('1.549× two-sided and 1.690× one-sided at N = N*', () => {
    expect(widthRatio(5000, 'two-sided')).toBeCloseTo(1.549, 3);
    expect(widthRatio(5000, 'greater')).toBeCloseTo(1.69, 3);
  });
  it('1.97, 1.72, 1.60, 1.70 at N = 500, 1000, 20 000, 100 000', () => {
    expect(widthRatio(500, 'two-sided')).toBeCloseTo(1.97, 2);
    expect(widthRatio(1000, 'two-sided')).toBeCloseTo(1.72, 2);
    expect(widthRatio(20_000, 'two-sided')).toBeCloseTo(1.6, 2);
    expect(widthRatio(100_000, 'two-sided')).toBeCloseTo(1.7, 2);
  });
});

describe('arms accepted by every comparison', () => {
  it('a plain ArmSummary works as well as a summarize* outcome', () => {
    const arm: ArmSummary = { n: 3000, mean: 1396.87 / 3000, variance: 1 };
    expect(compareArms(arm, arm).status).toBe('ok');
  });
});
