/** The chi-square distribution with k > 0 degrees of freedom (the SRM test's reference). */

import { regularizedGammaP, regularizedGammaQ } from './gamma-function.js';

/** P(X ≤ x) for X ~ χ²(df). */
export function chiSquareCdf(x: number, df: number): number {
  if (!(df > 0) || Number.isNaN(x)) return Number.NaN;
  return regularizedGammaP(0.5 * df, 0.5 * Math.max(x, 0));
}

/** P(X > x) for X ~ χ²(df), accurate in the upper tail (where SRM p-values live). */
export function chiSquareSf(x: number, df: number): number {
  if (!(df > 0) || Number.isNaN(x)) return Number.NaN;
  return regularizedGammaQ(0.5 * df, 0.5 * Math.max(x, 0));
}
