/**
 * Seeded simulations: interval coverage under A/A, the false-positive rate of the sequential
 * methods checked after every batch, and power against an analytic value. Each bound below is
 * stated with the binomial standard deviation of the simulated rate, so a failure means a real
 * miscalibration, not bad luck (the seed is fixed, so the run is deterministic anyway).
 */

import { describe, expect, it } from 'vitest';
import {
  compareArms,
  estimateLift,
  evaluateGuardrail,
  meanStatsFromValues,
  normalCdf,
  normalQuantile,
  summarizeMean,
  summarizeProportion,
  testConfidenceSequence,
  testFixedHorizon,
  testMixtureSprt,
  testSequentialSampleRatio,
} from '../src/index.js';
import { Random } from './support/random.js';

const report: string[] = [];
function note(line: string) {
  report.push(line);
  console.info(line);
}

/** Binomial standard deviation of a rate p estimated from `trials` simulations. */
const binomialSd = (p: number, trials: number) => Math.sqrt((p * (1 - p)) / trials);

function normalArm(random: Random, n: number, mean: number, sd: number) {
  const values = new Array<number>(n);
  for (let i = 0; i < n; i += 1) values[i] = mean + sd * random.normal();
  return meanStatsFromValues(values);
}

describe('A/A coverage of 95% intervals', () => {
  // 4,000 experiments: the SD of a 95% coverage rate is √(0.95·0.05/4000) = 0.34 pp, so the
  // 94–96% band is ±2.9 SD. (With 1,000 experiments the SD is 0.69 pp and the band only ±1.45 SD:
  // a correct implementation would fail it 15% of the time.)
  const EXPERIMENTS = 4000;

  it('means (n = 100 per arm, unequal variances): absolute (Welch t) and relative (delta method)', () => {
    const random = new Random(11);
    let absoluteCovered = 0;
    let relativeCovered = 0;
    for (let i = 0; i < EXPERIMENTS; i += 1) {
      const control = summarizeMean(normalArm(random, 100, 10, 2));
      const treatment = summarizeMean(normalArm(random, 100, 10, 4));
      const result = compareArms(control, treatment, { distribution: 't' });
      if (result.status !== 'ok' || result.absolute.status !== 'ok' || result.relative.status !== 'ok') {
        throw new Error('unexpected status');
      }
      if (result.absolute.interval[0] <= 0 && 0 <= result.absolute.interval[1]) absoluteCovered += 1;
      if (result.relative.interval[0] <= 0 && 0 <= result.relative.interval[1]) relativeCovered += 1;
    }
    const absolute = absoluteCovered / EXPERIMENTS;
    const relative = relativeCovered / EXPERIMENTS;
    note(
      `A/A means: coverage absolute ${(100 * absolute).toFixed(2)}%, relative ${(100 * relative).toFixed(2)}% (SD ${(100 * binomialSd(0.95, EXPERIMENTS)).toFixed(2)} pp)`,
    );
    expect(absolute).toBeGreaterThanOrEqual(0.94);
    expect(absolute).toBeLessThanOrEqual(0.96);
    expect(relative).toBeGreaterThanOrEqual(0.94);
    expect(relative).toBeLessThanOrEqual(0.96);
  });

  it('conversions (p = 0.1, n = 1,000 per arm, normal reference)', () => {
    const random = new Random(12);
    let covered = 0;
    for (let i = 0; i < EXPERIMENTS; i += 1) {
      const control = summarizeProportion({ n: 1000, sum: random.binomial(1000, 0.1) });
      const treatment = summarizeProportion({ n: 1000, sum: random.binomial(1000, 0.1) });
      const result = compareArms(control, treatment, { distribution: 'normal' });
      if (result.status !== 'ok' || result.absolute.status !== 'ok') throw new Error('unexpected status');
      if (result.absolute.interval[0] <= 0 && 0 <= result.absolute.interval[1]) covered += 1;
    }
    const coverage = covered / EXPERIMENTS;
    note(`A/A conversions: coverage ${(100 * coverage).toFixed(2)}%`);
    expect(coverage).toBeGreaterThanOrEqual(0.94);
    expect(coverage).toBeLessThanOrEqual(0.96);
  });
});

describe('false-positive rate when checked after every batch (A/A, 500 experiments × 20 looks)', () => {
  // Any look rejecting counts as a false positive. The SD of a 5% rate over 500 experiments is
  // 0.97 pp; the always-valid methods sit well below 5% (they are conservative), so "≤ 5%" is not
  // a coin flip. The fixed-horizon test peeked at the same way must exceed 10%, which shows the
  // simulation can see the inflation the sequential methods prevent.
  const EXPERIMENTS = 500;
  const LOOKS = 20;
  const BATCH = 100; // units per arm per look; N at the last look = 4,000

  function simulate(seed: number) {
    const random = new Random(seed);
    const rejections = { sequential: 0, oneSided: 0, msprt: 0, fixed: 0 };
    for (let e = 0; e < EXPERIMENTS; e += 1) {
      const control = { n: 0, sum: 0, sumSquares: 0 };
      const treatment = { n: 0, sum: 0, sumSquares: 0 };
      const rejected = { sequential: false, oneSided: false, msprt: false, fixed: false };
      let previous = { sequential: 1, oneSided: 1, msprt: 1 };
      for (let look = 0; look < LOOKS; look += 1) {
        for (const arm of [control, treatment]) {
          for (let i = 0; i < BATCH; i += 1) {
            const y = 10 + 3 * random.normal();
            arm.n += 1;
            arm.sum += y;
            arm.sumSquares += y * y;
          }
        }
        const lift = estimateLift(summarizeMean(control), summarizeMean(treatment));
        if (lift.status !== 'ok') throw new Error('unexpected status');
        const sequential = testConfidenceSequence(lift.absolute, { previousPValue: previous.sequential });
        const oneSided = evaluateGuardrail(lift.absolute, {
          direction: 'increase',
          previousPValue: previous.oneSided,
        });
        // τ² tuned to effects of about 5% of the mean.
        const msprt = testMixtureSprt(lift.absolute, {
          mixingVariance: 0.5 ** 2,
          previousPValue: previous.msprt,
        });
        const fixed = testFixedHorizon(lift.absolute);
        if (
          sequential.status !== 'ok' ||
          oneSided.status !== 'ok' ||
          msprt.status !== 'ok' ||
          fixed.status !== 'ok'
        ) {
          throw new Error('unexpected status');
        }
        previous = { sequential: sequential.pValue, oneSided: oneSided.pValue, msprt: msprt.pValue };
        rejected.sequential ||= sequential.significant;
        rejected.oneSided ||= oneSided.verdict === 'regression';
        rejected.msprt ||= msprt.significant;
        rejected.fixed ||= fixed.significant;
      }
      for (const key of Object.keys(rejections) as (keyof typeof rejections)[])
        if (rejected[key]) rejections[key] += 1;
    }
    return {
      sequential: rejections.sequential / EXPERIMENTS,
      oneSided: rejections.oneSided / EXPERIMENTS,
      msprt: rejections.msprt / EXPERIMENTS,
      fixed: rejections.fixed / EXPERIMENTS,
    };
  }

  it('confidence sequence (two- and one-sided) and mSPRT stay at or under 5%; peeking at a fixed test does not', () => {
    const rates = simulate(21);
    note(
      `Peeking FPR (500 × 20 looks): confidence sequence ${(100 * rates.sequential).toFixed(1)}%, one-sided guardrail ${(100 * rates.oneSided).toFixed(1)}%, mSPRT ${(100 * rates.msprt).toFixed(1)}%, fixed-horizon ${(100 * rates.fixed).toFixed(1)}% (SD at 5%: ${(100 * binomialSd(0.05, EXPERIMENTS)).toFixed(2)} pp)`,
    );
    expect(rates.sequential).toBeLessThanOrEqual(0.05);
    expect(rates.oneSided).toBeLessThanOrEqual(0.05);
    expect(rates.msprt).toBeLessThanOrEqual(0.05);
    expect(rates.fixed).toBeGreaterThan(0.1);
  });

  it('sequential SRM stays at or under 5% on a true 50/50 split', () => {
    const random = new Random(22);
    let alarms = 0;
    for (let e = 0; e < EXPERIMENTS; e += 1) {
      const counts = [0, 0];
      let previous = 1;
      let alarmed = false;
      for (let look = 0; look < LOOKS; look += 1) {
        for (let i = 0; i < 2 * BATCH; i += 1) {
          if (random.uniform() < 0.5) counts[0] = (counts[0] ?? 0) + 1;
          else counts[1] = (counts[1] ?? 0) + 1;
        }
        const result = testSequentialSampleRatio(counts, [1, 1], {
          previousPValue: previous,
          threshold: 0.05,
        });
        if (result.status !== 'ok') throw new Error('unexpected status');
        previous = result.pValue;
        alarmed ||= result.mismatch;
      }
      if (alarmed) alarms += 1;
    }
    note(
      `Sequential SRM false alarms (500 × 20 looks, threshold 0.05): ${((100 * alarms) / EXPERIMENTS).toFixed(1)}%`,
    );
    expect(alarms / EXPERIMENTS).toBeLessThanOrEqual(0.05);
  });
});

describe('power against a known +5% relative effect', () => {
  it('matches the analytic power of the two-sided test', () => {
    // Conversion 50% → 52.5% (+5% relative), 6,000 units per arm, α = 0.05.
    const EXPERIMENTS = 2000;
    const n = 6000;
    const pC = 0.5;
    const pT = 0.525;
    const se = Math.sqrt((pC * (1 - pC) + pT * (1 - pT)) / n);
    const z = -normalQuantile(0.025);
    const expected = normalCdf((pT - pC) / se - z) + normalCdf(-(pT - pC) / se - z); // ≈ 0.78
    const random = new Random(31);
    let detected = 0;
    for (let e = 0; e < EXPERIMENTS; e += 1) {
      const result = compareArms(
        summarizeProportion({ n, sum: random.binomial(n, pC) }),
        summarizeProportion({ n, sum: random.binomial(n, pT) }),
      );
      if (result.status !== 'ok' || result.relative.status !== 'ok') throw new Error('unexpected status');
      if (result.relative.significant && result.relative.estimate > 0) detected += 1;
    }
    const power = detected / EXPERIMENTS;
    // Tolerance: 3.5 binomial SDs of the simulated rate (0.93 pp each) plus 1 pp for the
    // normal approximation behind the analytic value (estimated variance, relative scale).
    const tolerance = 3.5 * binomialSd(expected, EXPERIMENTS) + 0.01;
    note(
      `Power at +5% relative (n = ${n}/arm): simulated ${(100 * power).toFixed(1)}%, analytic ${(100 * expected).toFixed(1)}% ± ${(100 * tolerance).toFixed(1)} pp`,
    );
    expect(Math.abs(power - expected)).toBeLessThanOrEqual(tolerance);
  });
});
