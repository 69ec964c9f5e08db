/**
 * Student's t distribution with any real degrees of freedom ν > 0 (Welch–Satterthwaite gives
 * non-integer ν): density, CDF, survival function and quantile. ν = Infinity is the normal.
 */

import { incompleteBeta, logBeta } from './beta-function.js';
import { normalCdf, normalPdf, normalQuantile, normalSf } from './normal-distribution.js';

const EPSILON = 2.220446049250313e-16;

/**
 * P(T < −|t|) = ½ I_x(ν/2, ½) with x = ν/(ν+t²). Both x and y = 1 − x are formed directly so
 * neither loses digits to cancellation (and t² never overflows).
 */
function lowerTail(t: number, df: number): number {
  const absolute = Math.abs(t);
  if (absolute === Number.POSITIVE_INFINITY) return 0;
  let x: number;
  let y: number;
  if (absolute * absolute > df) {
    const r = df / absolute / absolute;
    x = r / (1 + r);
    y = 1 / (1 + r);
  } else {
    const t2 = absolute * absolute;
    x = df / (df + t2);
    y = t2 / (df + t2);
  }
  return 0.5 * incompleteBeta(0.5 * df, 0.5, x, y).lower;
}

function isValidDf(df: number): boolean {
  return df > 0 && !Number.isNaN(df);
}

/** Student-t CDF P(T ≤ t) with ν = df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !isValidDf(df)) return Number.NaN;
  if (df === Number.POSITIVE_INFINITY) return normalCdf(t);
  const tail = lowerTail(t, df);
  return t < 0 ? tail : 1 - tail;
}

/** Student-t survival function P(T > t), accurate in the upper tail. */
export function studentTSf(t: number, df: number): number {
  if (Number.isNaN(t) || !isValidDf(df)) return Number.NaN;
  if (df === Number.POSITIVE_INFINITY) return normalSf(t);
  const tail = lowerTail(t, df);
  return t > 0 ? tail : 1 - tail;
}

/** Student-t density. */
export function studentTPdf(t: number, df: number): number {
  if (Number.isNaN(t) || !isValidDf(df)) return Number.NaN;
  if (df === Number.POSITIVE_INFINITY) return normalPdf(t);
  if (!Number.isFinite(t)) return 0;
  // (1 + t²/ν)^(−(ν+1)/2) / (√ν B(ν/2, ½))
  const r = Math.abs(t) / Math.sqrt(df);
  const logOnePlusR2 = r < 1e150 ? Math.log1p(r * r) : 2 * Math.log(r); // r² would overflow
  const logKernel = -0.5 * (df + 1) * logOnePlusR2;
  return Math.exp(logKernel - 0.5 * Math.log(df) - logBeta(0.5 * df, 0.5));
}

/**
 * A starting point for the upper-tail quantile: exact for ν = 1 and 2, otherwise the larger
 * of a Cornish–Fisher expansion around the normal quantile and the power-law tail
 * t ≈ (p ν √ν B(ν/2, ½))^(−1/ν), each of which is good where the other is poor.
 */
function initialUpperQuantile(p: number, df: number): number {
  if (df === 1) return 1 / Math.tan(Math.PI * p);
  if (df === 2) return (1 - 2 * p) / Math.sqrt(2 * p * (1 - p));
  const z = -normalQuantile(p);
  const z2 = z * z;
  const g1 = (z * (z2 + 1)) / 4;
  const g2 = (z * ((5 * z2 + 16) * z2 + 3)) / 96;
  const g3 = (z * (((3 * z2 + 19) * z2 + 17) * z2 - 15)) / 384;
  const cornishFisher = z + g1 / df + g2 / (df * df) + g3 / (df * df * df);
  const powerTail = Math.exp(-(Math.log(p * df) + 0.5 * Math.log(df) + logBeta(0.5 * df, 0.5)) / df);
  const guess = Math.max(cornishFisher, Number.isFinite(powerTail) ? powerTail : 0);
  return guess > 0 ? guess : z;
}

/**
 * t > 0 with P(T > t) = p, for 0 < p < ½: safeguarded Newton steps inside a bracket that
 * every evaluation narrows, so it converges for any start.
 */
function upperQuantile(p: number, df: number): number {
  let t = initialUpperQuantile(p, df);
  let low = 0;
  let high = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 200; i += 1) {
    const error = lowerTail(t, df) - p; // decreasing in t
    if (error === 0) return t;
    if (error > 0) low = t;
    else high = t;
    let next = t + error / studentTPdf(t, df);
    if (!(next > low && next < high)) {
      // Bisect: geometrically while the bracket spans orders of magnitude (heavy tails).
      if (high === Number.POSITIVE_INFINITY) next = 4 * t;
      else if (low > 0 && high > 4 * low) next = Math.sqrt(low * high);
      else next = 0.5 * (low + high);
    }
    if (Math.abs(next - t) <= 4 * EPSILON * t) return next;
    t = next;
  }
  return t;
}

/** Student-t quantile: t with P(T ≤ t) = p, for p in [0, 1] (±Infinity at the ends). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p >= 0 && p <= 1) || !isValidDf(df)) return Number.NaN;
  if (df === Number.POSITIVE_INFINITY) return normalQuantile(p);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  if (p > 0.5) return upperQuantile(1 - p, df);
  return -upperQuantile(p, df);
}
