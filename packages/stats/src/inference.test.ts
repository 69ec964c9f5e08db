import { describe, expect, it } from 'vitest';
import { computeBayesianEffect } from './bayesian-effect.js';
import { testConfidenceSequence } from './confidence-sequence.js';
import type { EffectEstimate } from './estimate-lift.js';
import { evaluateGuardrail } from './evaluate-guardrail.js';
import { computeFiellerInterval } from './fieller-interval.js';
import { testMixtureSprt } from './mixture-sprt.js';
import { testFixedHorizon } from './test-fixed-horizon.js';

const effect = (estimate: number, standardError = 1, sampleSize = 5000): EffectEstimate => ({
  scale: 'absolute',
  estimate,
  standardError,
  degreesOfFreedom: 50,
  sampleSize,
  baselineMean: 10,
});

describe('testFixedHorizon', () => {
  it('auto picks Welch t below 100 degrees of freedom and the normal above', () => {
    expect(testFixedHorizon(effect(1))).toMatchObject({
      status: 'ok',
      distribution: 't',
      degreesOfFreedom: 50,
    });
    expect(testFixedHorizon({ ...effect(1), degreesOfFreedom: 100 })).toMatchObject({
      distribution: 'normal',
    });
  });
  it('validates options and the effect', () => {
    expect(testFixedHorizon(effect(1), { alpha: 1 }).status).toBe('invalid-input');
    expect(testFixedHorizon(effect(1), { alternative: 'up' as never }).status).toBe('invalid-input');
    expect(testFixedHorizon({ ...effect(1), standardError: 0 }).status).toBe('invalid-input');
    expect(testFixedHorizon({ status: 'zero-baseline', reason: 'r' }).status).toBe('zero-baseline');
  });
});

describe('testConfidenceSequence', () => {
  it('p < α exactly when the interval excludes 0, for each alternative', () => {
    for (const estimate of [-5, -3.2, -1, 0, 1, 3.2, 5]) {
      for (const alternative of ['two-sided', 'greater', 'less'] as const) {
        const r = testConfidenceSequence(effect(estimate, 1), { alternative });
        if (r.status !== 'ok') throw new Error(r.reason);
        const excludes = r.interval[0] > 0 || r.interval[1] < 0;
        expect(r.significant, `${estimate} ${alternative}`).toBe(excludes);
      }
    }
  });
  it('keeps the running minimum of the p-value', () => {
    const r = testConfidenceSequence(effect(0.1), { previousPValue: 0.03 });
    expect(r).toMatchObject({ status: 'ok', pValue: 0.03, pValueThisLook: 1, significant: true });
  });
  it('refuses one-sided α ≥ 0.5', () => {
    expect(testConfidenceSequence(effect(1), { alternative: 'less', alpha: 0.5 }).status).toBe(
      'invalid-input',
    );
  });
});

describe('testMixtureSprt', () => {
  it('requires a mixing variance and is consistent with its interval', () => {
    expect(testMixtureSprt(effect(1), { mixingVariance: 0 }).status).toBe('invalid-input');
    for (const estimate of [0, 2, 4, 6]) {
      const r = testMixtureSprt(effect(estimate), { mixingVariance: 4 });
      if (r.status !== 'ok') throw new Error(r.reason);
      expect(r.significant).toBe(r.interval[0] > 0 || r.interval[1] < 0);
    }
  });
});

describe('evaluateGuardrail', () => {
  it('higher-is-better: a clear drop is a regression, a rise is not', () => {
    expect(evaluateGuardrail(effect(-6), { direction: 'increase' })).toMatchObject({ verdict: 'regression' });
    expect(evaluateGuardrail(effect(6), { direction: 'increase' })).toMatchObject({
      verdict: 'no-regression-detected',
    });
  });
  it('lower-is-better (errors, latency): a clear rise is a regression', () => {
    const result = evaluateGuardrail(effect(6), { direction: 'decrease', method: 'fixed-horizon' });
    expect(result).toMatchObject({ status: 'ok', verdict: 'regression' });
    if (result.status === 'ok') expect(result.bound).toBe(result.test.interval[0]);
  });
  it('a margin tolerates harm up to its size', () => {
    const options = { direction: 'decrease', method: 'fixed-horizon', distribution: 'normal' } as const;
    expect(evaluateGuardrail(effect(4), options)).toMatchObject({ verdict: 'regression' });
    expect(evaluateGuardrail(effect(4), { ...options, margin: 3 })).toMatchObject({
      verdict: 'no-regression-detected',
    });
  });
  it('validates the direction', () => {
    expect(evaluateGuardrail(effect(1), { direction: 'up' as never }).status).toBe('invalid-input');
  });
});

describe('computeBayesianEffect', () => {
  it('lower-is-better swaps chance to win and the risks', () => {
    const up = computeBayesianEffect(effect(1));
    const down = computeBayesianEffect(effect(1), { direction: 'decrease' });
    if (up.status !== 'ok' || down.status !== 'ok') throw new Error('unexpected');
    expect(down.chanceToWin).toBeCloseTo(1 - up.chanceToWin, 15);
    expect(down.risk).toEqual({ control: up.risk.treatment, treatment: up.risk.control });
  });
  it('the absolute-scale prior is scaled by the control mean', () => {
    const prior = { mean: 0.1, variance: 0.01 };
    const absolute = computeBayesianEffect({ ...effect(1), baselineMean: 10 }, { prior });
    // Prior N(1, 1) on the absolute scale, likelihood N(1, 1): posterior mean 1, variance ½.
    expect(absolute).toMatchObject({ status: 'ok', posteriorMean: 1 });
    if (absolute.status === 'ok') expect(absolute.posteriorStandardDeviation).toBeCloseTo(Math.SQRT1_2, 15);
  });
});

describe('computeFiellerInterval', () => {
  it('is unbounded when the control mean is indistinguishable from 0', () => {
    const result = computeFiellerInterval({ n: 10, mean: 0.1, variance: 1 }, { n: 10, mean: 1, variance: 1 });
    expect(result.status).toBe('unbounded-interval');
  });
  it('is asymmetric around the estimate and close to the delta method for precise controls', () => {
    const result = computeFiellerInterval(
      { n: 10_000, mean: 10, variance: 4 },
      { n: 10_000, mean: 10.5, variance: 4 },
    );
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.estimate).toBeCloseTo(0.05, 15);
    expect(result.interval[1] - result.estimate).toBeGreaterThan(result.estimate - result.interval[0]);
  });
  it('flips the interval with a negative baseline, like the relative lift', () => {
    const result = computeFiellerInterval(
      { n: 1000, mean: -10, variance: 4 },
      { n: 1000, mean: -9, variance: 4 },
    );
    if (result.status !== 'ok') throw new Error(result.reason);
    expect(result.estimate).toBeCloseTo(0.1, 15);
    expect(result.interval[0]).toBeLessThan(0.1);
    expect(result.interval[1]).toBeGreaterThan(0.1);
  });
});
