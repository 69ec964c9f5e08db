/** Property tests (fast-check): invariants that must hold for any valid input, and no crash on any input. */

import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  type ArmSummary,
  addMeanStats,
  compareArms,
  computeBayesianEffect,
  computeFiellerInterval,
  type EffectEstimate,
  estimateCupedLift,
  estimateLift,
  meanStatsFromValues,
  normalCdf,
  normalQuantile,
  normalSf,
  studentTCdf,
  studentTQuantile,
  studentTSf,
  summarizeMean,
  testConfidenceSequence,
  testFixedHorizon,
  testSampleRatio,
  testSequentialSampleRatio,
  winsorize,
} from '../src/index.js';

const RUNS = { numRuns: 300 };

const armArbitrary: fc.Arbitrary<ArmSummary> = fc.record({
  n: fc.integer({ min: 2, max: 1_000_000 }),
  mean: fc.double({ min: -1000, max: 1000, noNaN: true }).filter((m) => Math.abs(m) > 1e-3),
  variance: fc.double({ min: 1e-4, max: 1e4, noNaN: true }),
});

const effectArbitrary: fc.Arbitrary<EffectEstimate> = fc.record({
  scale: fc.constantFrom('absolute' as const, 'relative' as const),
  estimate: fc.double({ min: -100, max: 100, noNaN: true }),
  standardError: fc.double({ min: 1e-4, max: 100, noNaN: true }),
  degreesOfFreedom: fc.double({ min: 1, max: 1e7, noNaN: true }),
  sampleSize: fc.integer({ min: 4, max: 10_000_000 }),
  baselineMean: fc.double({ min: 0.01, max: 100, noNaN: true }),
});

const alternativeArbitrary = fc.constantFrom('two-sided' as const, 'greater' as const, 'less' as const);

describe('intervals', () => {
  it('contain the point estimate: fixed horizon (t and z) and confidence sequence, every alternative', () => {
    fc.assert(
      fc.property(
        effectArbitrary,
        alternativeArbitrary,
        fc.constantFrom(0.01, 0.05, 0.2),
        (effect, alternative, alpha) => {
          for (const result of [
            testFixedHorizon(effect, { alternative, alpha, distribution: 't' }),
            testFixedHorizon(effect, { alternative, alpha, distribution: 'normal' }),
            testConfidenceSequence(effect, { alternative, alpha }),
          ]) {
            if (result.status !== 'ok') return false;
            if (!(result.interval[0] <= result.estimate && result.estimate <= result.interval[1]))
              return false;
            if (!(result.pValue >= 0 && result.pValue <= 1)) return false;
          }
          return true;
        },
      ),
      RUNS,
    );
  });

  it('the confidence sequence is never narrower than the fixed-horizon z interval', () => {
    fc.assert(
      fc.property(effectArbitrary, fc.double({ min: 100, max: 1e6, noNaN: true }), (effect, nStar) => {
        const cs = testConfidenceSequence(effect, { nStar });
        const z = testFixedHorizon(effect, { distribution: 'normal' });
        if (cs.status !== 'ok' || z.status !== 'ok') return false;
        return cs.halfWidth >= z.interval[1] - z.estimate;
      }),
      RUNS,
    );
  });

  it('Fieller intervals contain the point estimate', () => {
    fc.assert(
      fc.property(armArbitrary, armArbitrary, (control, treatment) => {
        const result = computeFiellerInterval(control, treatment);
        if (result.status === 'unbounded-interval') return true;
        if (result.status !== 'ok') return false;
        return result.interval[0] <= result.estimate + 1e-12 && result.estimate <= result.interval[1] + 1e-12;
      }),
      RUNS,
    );
  });
});

describe('symmetry and monotonicity', () => {
  it('swapping the arms negates the absolute lift and keeps its se, df and two-sided p', () => {
    fc.assert(
      fc.property(armArbitrary, armArbitrary, (a, b) => {
        const forward = compareArms(a, b, { distribution: 't' });
        const backward = compareArms(b, a, { distribution: 't' });
        if (forward.status !== 'ok' || backward.status !== 'ok') return false;
        const f = forward.absolute;
        const g = backward.absolute;
        if (f.status !== 'ok' || g.status !== 'ok') return false;
        const close = (x: number, y: number) => Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(x));
        return (
          f.estimate === -g.estimate &&
          close(f.standardError, g.standardError) &&
          close(
            f.method === 'fixed-horizon' ? f.degreesOfFreedom : 0,
            g.method === 'fixed-horizon' ? g.degreesOfFreedom : 0,
          ) &&
          Math.abs(f.pValue - g.pValue) <= 1e-12
        );
      }),
      RUNS,
    );
  });

  it('a larger effect (same variances) never has a larger p-value: fixed and sequential', () => {
    fc.assert(
      fc.property(
        armArbitrary,
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        (control, d1, d2) => {
          const [small, large] = d1 <= d2 ? [d1, d2] : [d2, d1];
          const p = (delta: number, method: 'fixed-horizon' | 'confidence-sequence') => {
            const result = compareArms(control, { ...control, mean: control.mean + delta }, { method });
            if (result.status !== 'ok' || result.absolute.status !== 'ok')
              throw new Error('unexpected status');
            return result.absolute.pValue;
          };
          return (
            p(large, 'fixed-horizon') <= p(small, 'fixed-horizon') &&
            p(large, 'confidence-sequence') <= p(small, 'confidence-sequence')
          );
        },
      ),
      RUNS,
    );
  });

  it('an identical treatment has estimate 0 and p = 1', () => {
    fc.assert(
      fc.property(armArbitrary, (arm) => {
        const result = compareArms(arm, arm);
        return (
          result.status === 'ok' &&
          result.absolute.status === 'ok' &&
          result.absolute.estimate === 0 &&
          result.absolute.pValue === 1
        );
      }),
      RUNS,
    );
  });
});

describe('distributions', () => {
  const probability = fc.double({ min: 1e-12, max: 1 - 1e-12, noNaN: true });
  const df = fc.oneof(fc.integer({ min: 1, max: 50 }), fc.double({ min: 0.5, max: 1e8, noNaN: true }));

  it('the quantile inverts the CDF (normal and Student t, from the nearer tail)', () => {
    fc.assert(
      fc.property(probability, df, (p, nu) => {
        const z = normalQuantile(p);
        const t = studentTQuantile(p, nu);
        // Compare in the tail that p is closer to, where both sides carry full relative precision.
        const tail = p < 0.5 ? p : 1 - p;
        const zTail = p < 0.5 ? normalCdf(z) : normalSf(z);
        const tTail = p < 0.5 ? studentTCdf(t, nu) : studentTSf(t, nu);
        return Math.abs(zTail - tail) <= 1e-12 * tail && Math.abs(tTail - tail) <= 1e-11 * tail;
      }),
      RUNS,
    );
  });

  it('CDFs are symmetric and monotone', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        df,
        (x, step, nu) => {
          return (
            studentTCdf(-x, nu) === studentTSf(x, nu) &&
            normalCdf(-x) === normalSf(x) &&
            studentTCdf(x, nu) <= studentTCdf(x + step, nu) &&
            normalCdf(x) <= normalCdf(x + step)
          );
        },
      ),
      RUNS,
    );
  });
});

describe('Bayesian effect', () => {
  it('risk(control) − risk(treatment) is the posterior mean and chance to win is a probability', () => {
    fc.assert(
      fc.property(effectArbitrary, fc.boolean(), (effect, proper) => {
        const result = computeBayesianEffect(effect, proper ? { prior: { mean: 0, variance: 0.09 } } : {});
        if (result.status !== 'ok') return false;
        const difference = result.risk.control - result.risk.treatment;
        return (
          Math.abs(difference - result.posteriorMean) <=
            1e-9 * Math.max(1, result.posteriorStandardDeviation) &&
          result.chanceToWin >= 0 &&
          result.chanceToWin <= 1 &&
          result.risk.control >= 0 &&
          result.risk.treatment >= 0
        );
      }),
      RUNS,
    );
  });
});

describe('SRM', () => {
  it('counts in exact proportion to the weights give p = 1; p is always a probability', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 1, max: 1000 }),
        (parts, scale) => {
          const counts = parts.map((part) => part * scale);
          const exact = testSampleRatio(counts, parts);
          const sequential = testSequentialSampleRatio(counts, parts);
          return (
            exact.status === 'ok' &&
            Math.abs(exact.statistic) < 1e-9 &&
            exact.pValue > 1 - 1e-9 &&
            sequential.status === 'ok' &&
            sequential.pValue >= 0 &&
            sequential.pValue <= 1
          );
        },
      ),
      RUNS,
    );
  });
});

describe('sufficient statistics and capping', () => {
  it('sums of parts equal the sums of the whole; winsorizing never raises a value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 199 }),
        fc.double({ min: 50, max: 100, noNaN: true }),
        (values, cut, percentile) => {
          const at = Math.min(cut, values.length);
          const whole = meanStatsFromValues(values);
          const parts = addMeanStats(
            meanStatsFromValues(values.slice(0, at)),
            meanStatsFromValues(values.slice(at)),
          );
          const capped = winsorize(values, { upperPercentile: percentile });
          if (capped.status !== 'ok') return false;
          return (
            parts.n === whole.n &&
            Math.abs(parts.sum - whole.sum) <= 1e-9 * Math.max(1, whole.sum) &&
            capped.values.every((v, i) => v <= (values[i] ?? 0) && v <= capped.upperCap)
          );
        },
      ),
      RUNS,
    );
  });
});

describe('robustness', () => {
  const anyNumber = fc.oneof(
    fc.double(),
    fc.integer(),
    fc.constantFrom(0, 1, -1, 2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308),
  );
  const anyArm = fc.oneof(
    fc.record({ n: anyNumber, mean: anyNumber, variance: anyNumber }),
    fc.constantFrom(null, undefined, 3, 'arm', {}),
  );
  const noNaN = (value: unknown): boolean => {
    if (typeof value === 'number') return !Number.isNaN(value);
    if (Array.isArray(value)) return value.every(noNaN);
    if (value && typeof value === 'object') return Object.values(value).every(noNaN);
    return true;
  };

  it('comparisons never throw and never return NaN, whatever they are given', () => {
    fc.assert(
      fc.property(anyArm, anyArm, alternativeArbitrary, (a, b, alternative) => {
        for (const method of ['fixed-horizon', 'confidence-sequence'] as const) {
          const result = compareArms(a as ArmSummary, b as ArmSummary, { alternative, method });
          if (typeof result.status !== 'string' || !noNaN(result)) return false;
        }
        const fieller = computeFiellerInterval(a as ArmSummary, b as ArmSummary);
        return typeof fieller.status === 'string' && noNaN(fieller);
      }),
      { numRuns: 1000 },
    );
  });

  it('summaries, CUPED and SRM never throw and never return NaN', () => {
    const stats = fc.record({ n: anyNumber, sum: anyNumber, sumSquares: anyNumber });
    fc.assert(
      fc.property(
        stats,
        stats,
        anyNumber,
        anyNumber,
        fc.array(anyNumber, { maxLength: 4 }),
        (s, t, pre, pre2, counts) => {
          const c1 = { ...s, sumPre: pre, sumPre2: pre2, sumXPre: pre };
          const c2 = { ...t, sumPre: pre2, sumPre2: pre, sumXPre: pre2 };
          const results = [
            summarizeMean(s),
            estimateLift(summarizeMean(s), summarizeMean(t)),
            estimateCupedLift(c1, c2),
            testSampleRatio(
              counts,
              counts.map(() => 1),
            ),
            testSequentialSampleRatio(
              counts,
              counts.map(() => 1),
            ),
          ];
          return results.every((result) => typeof result.status === 'string' && noNaN(result));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
