import { describe, expect, it } from 'vitest';
import { logGamma } from './gamma-function.js';
import { expectedGateWeights } from './srm-weights.js';
import { testSampleRatio } from './test-sample-ratio.js';
import {
  logDirichletMultinomialBayesFactor,
  testSequentialSampleRatio,
} from './test-sequential-sample-ratio.js';

describe('testSampleRatio', () => {
  it('normalises weights and reports expected counts', () => {
    const result = testSampleRatio([100, 300], [1, 3]);
    expect(result).toMatchObject({
      status: 'ok',
      statistic: 0,
      pValue: 1,
      expected: [100, 300],
      mismatch: false,
    });
  });
  it('statuses for degenerate input', () => {
    expect(testSampleRatio([0, 0], [1, 1]).status).toBe('insufficient-data');
    expect(testSampleRatio([5, 5], [1, 0]).status).toBe('invalid-input');
    expect(testSampleRatio([5], [1]).status).toBe('invalid-input');
    expect(testSampleRatio([5, -1], [1, 1]).status).toBe('invalid-input');
    expect(testSampleRatio([5, 5], [1, 1, 1]).status).toBe('invalid-input');
  });
});

describe('testSequentialSampleRatio', () => {
  it('the Stirling form equals the direct log-gamma sum where both are accurate', () => {
    const counts = [480, 530, 495];
    const p = [0.3, 0.4, 0.3];
    const k = 100;
    let direct = logGamma(k) - logGamma(k + 1505);
    counts.forEach((x, i) => {
      const a = k * (p[i] ?? 0);
      direct += logGamma(a + x) - logGamma(a) - x * Math.log(p[i] ?? 0);
    });
    expect(logDirichletMultinomialBayesFactor(counts, p, k)).toBeCloseTo(direct, 9);
  });
  it('flags a large mismatch and keeps the running minimum', () => {
    const first = testSequentialSampleRatio([5000, 6000], [1, 1]);
    expect(first).toMatchObject({ status: 'ok', mismatch: true });
    const later = testSequentialSampleRatio([5000, 5000], [1, 1], { previousPValue: 1e-6 });
    expect(later).toMatchObject({ status: 'ok', pValue: 1e-6, mismatch: true });
  });
});

describe('expectedGateWeights', () => {
  it('balanced gates compare equal slices; unbalanced ones the gate split', () => {
    expect(expectedGateWeights(0.05, { balanced: true })).toEqual({ status: 'ok', weights: [0.5, 0.5] });
    expect(expectedGateWeights(0.2, { balanced: false })).toEqual({ status: 'ok', weights: [0.8, 0.2] });
    expect(expectedGateWeights(1, { balanced: false }).status).toBe('invalid-input');
  });
});
