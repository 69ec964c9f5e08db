import { describe, expect, it } from 'vitest';
import { incompleteBeta, logBeta, regularizedBeta } from './beta-function.js';
import { chiSquareCdf, chiSquareSf } from './chi-square-distribution.js';
import { logGamma, regularizedGammaP, regularizedGammaQ } from './gamma-function.js';
import { normalCdf, normalPdf, normalQuantile, normalSf } from './normal-distribution.js';
import { studentTCdf, studentTPdf, studentTQuantile, studentTSf } from './student-t-distribution.js';

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('special functions', () => {
  it('logGamma at known points', () => {
    // Near its roots at 1 and 2 logGamma has an absolute (not relative) error of a few ulps of 15.
    expect(Math.abs(logGamma(1))).toBeLessThan(4e-15);
    expect(Math.abs(logGamma(2))).toBeLessThan(4e-15);
    expect(relative(logGamma(0.5), Math.log(Math.sqrt(Math.PI)))).toBeLessThan(5e-15);
    expect(relative(logGamma(10), Math.log(362880))).toBeLessThan(1e-15);
    expect(relative(logGamma(100), 359.1342053695754)).toBeLessThan(1e-15);
    expect(relative(logGamma(1e-300), 690.77552789821368)).toBeLessThan(1e-15);
    expect(logGamma(0)).toBeNaN();
  });
  it('logBeta keeps precision when one argument is huge', () => {
    // B(a, ½) = √π Γ(a)/Γ(a+½) ≈ √(π/a)(1 + 1/(8a)) for large a.
    const a = 1e9;
    expect(relative(logBeta(a, 0.5), 0.5 * Math.log(Math.PI / a) + Math.log1p(1 / (8 * a)))).toBeLessThan(
      1e-14,
    );
  });
  it('incomplete beta: symmetry, ends and a closed form', () => {
    const { lower, upper } = incompleteBeta(2.5, 0.5, 0.3);
    expect(lower + upper).toBeCloseTo(1, 15);
    expect(regularizedBeta(0, 2, 3)).toBe(0);
    expect(regularizedBeta(1, 2, 3)).toBe(1);
    // I_x(1, b) = 1 − (1 − x)^b
    expect(relative(regularizedBeta(0.2, 1, 3.5), 1 - 0.8 ** 3.5)).toBeLessThan(1e-14);
    expect(regularizedBeta(0.5, -1, 2)).toBeNaN();
  });
  it('incomplete gamma: P + Q = 1 and P(1, x) = 1 − e^(−x)', () => {
    expect(regularizedGammaP(3.2, 2.1) + regularizedGammaQ(3.2, 2.1)).toBeCloseTo(1, 15);
    expect(relative(regularizedGammaQ(1, 30), Math.exp(-30))).toBeLessThan(1e-14);
    expect(regularizedGammaP(2, 0)).toBe(0);
    expect(regularizedGammaQ(2, Number.POSITIVE_INFINITY)).toBe(0);
  });
});

describe('normal', () => {
  it('known values', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(relative(normalQuantile(0.975), 1.959963984540054)).toBeLessThan(1e-15);
    expect(relative(normalSf(10), 7.619853024160527e-24)).toBeLessThan(1e-14);
    expect(relative(normalPdf(1), 0.24197072451914337)).toBeLessThan(1e-15);
  });
  it('edge inputs', () => {
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(1.5)).toBeNaN();
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalSf(Number.POSITIVE_INFINITY)).toBe(0);
    expect(normalSf(1e300)).toBe(0);
    expect(normalCdf(Number.NaN)).toBeNaN();
  });
});

describe('Student t', () => {
  it('closed forms for 1 and 2 degrees of freedom', () => {
    for (const t of [-30, -2.5, -0.3, 0.7, 4, 1e5]) {
      expect(relative(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI)).toBeLessThan(1e-13);
      expect(relative(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)))).toBeLessThan(1e-13);
    }
    expect(relative(studentTQuantile(0.975, 1), Math.tan(Math.PI * 0.475))).toBeLessThan(1e-14);
  });
  it('tends to the normal', () => {
    expect(relative(studentTSf(3, 1e12), normalSf(3))).toBeLessThan(1e-9);
    expect(studentTCdf(1.3, Number.POSITIVE_INFINITY)).toBe(normalCdf(1.3));
    expect(studentTQuantile(0.9, Number.POSITIVE_INFINITY)).toBe(normalQuantile(0.9));
  });
  it('density integrates to the CDF difference (trapezoid check)', () => {
    const df = 3.7;
    let area = 0;
    const steps = 30_000;
    const h = 3 / steps;
    for (let i = 0; i < steps; i += 1) {
      const x = -1 + i * h;
      area += (h * (studentTPdf(x, df) + studentTPdf(x + h, df))) / 2;
    }
    expect(area).toBeCloseTo(studentTCdf(2, df) - studentTCdf(-1, df), 8);
  });
  it('edge inputs', () => {
    expect(studentTCdf(1, 0)).toBeNaN();
    expect(studentTCdf(1, -3)).toBeNaN();
    expect(studentTQuantile(0.5, 7)).toBe(0);
    expect(studentTQuantile(0, 7)).toBe(Number.NEGATIVE_INFINITY);
    expect(studentTSf(Number.POSITIVE_INFINITY, 5)).toBe(0);
  });
});

describe('chi-square', () => {
  it('2 degrees of freedom is exponential with mean 2', () => {
    expect(relative(chiSquareSf(13.8, 2), Math.exp(-6.9))).toBeLessThan(1e-14);
    expect(chiSquareCdf(-1, 3)).toBe(0);
    expect(chiSquareSf(1, 0)).toBeNaN();
  });
});
