/**
 * CUPED for ratio metrics (stats-methods.md §3.2, "Ratio metrics with CUPED"): the post ratio
 * is adjusted by θ times the same ratio over the pre-exposure window, with delta-method
 * variances over the four per-unit means (x, y, xPre, yPre).
 */

import { NEGLIGIBLE_VARIANCE_FRACTION, sampleCovariance, sampleVariance } from './arm-summary.js';
import { checkFiniteEffect, type EffectEstimate, type LiftEstimates, SCALE } from './estimate-lift.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import type { CupedRatioStats } from './sufficient-statistics.js';
import { checkRatioStats } from './summarize-ratio.js';
import { checkFinite, firstProblem } from './validate.js';

type Vector4 = readonly [number, number, number, number];
type Matrix4 = readonly [Vector4, Vector4, Vector4, Vector4];

/** Below this |θ| the adjustment is dropped (GrowthBook's rule). */
const NEGLIGIBLE_THETA = 1e-8;

export interface CupedRatioArm {
  readonly n: number;
  /** Σx / Σy, unadjusted. */
  readonly mean: number;
  /** Σx/Σy − θ ΣxPre/ΣyPre */
  readonly adjustedMean: number;
  /** Unit variance of the adjusted ratio, ∇ᵀΛ∇. */
  readonly adjustedVariance: number;
}

export interface CupedRatioLiftEstimates extends LiftEstimates {
  /** Pooled linearised cov(post ratio, pre ratio) / var(pre ratio); 0 when not adjusted. */
  readonly theta: number;
  readonly control: CupedRatioArm;
  readonly treatment: CupedRatioArm;
}

interface ArmMoments {
  readonly n: number;
  /** (x̄, ȳ, x̄Pre, ȳPre) */
  readonly means: Vector4;
  /** Sample covariance matrix of (x, y, xPre, yPre) over units. */
  readonly lambda: Matrix4;
}

function armMoments(s: CupedRatioStats): ArmMoments {
  const { n } = s;
  const sums: Vector4 = [s.sumX, s.sumY, s.sumXPre, s.sumYPre];
  const variance = (i: 0 | 1 | 2 | 3, sumSquares: number) => sampleVariance(n, sums[i], sumSquares);
  const covariance = (i: 0 | 1 | 2 | 3, j: 0 | 1 | 2 | 3, products: number) =>
    sampleCovariance(n, sums[i], sums[j], products);
  const vx = variance(0, s.sumX2);
  const vy = variance(1, s.sumY2);
  const vxp = variance(2, s.sumXPre2);
  const vyp = variance(3, s.sumYPre2);
  const cxy = covariance(0, 1, s.sumXY);
  const cxxp = covariance(0, 2, s.sumXXPre);
  const cxyp = covariance(0, 3, s.sumXYPre);
  const cyxp = covariance(1, 2, s.sumYXPre);
  const cyyp = covariance(1, 3, s.sumYYPre);
  const cxpyp = covariance(2, 3, s.sumXPreYPre);
  return {
    n,
    means: [s.sumX / n, s.sumY / n, s.sumXPre / n, s.sumYPre / n],
    lambda: [
      [vx, cxy, cxxp, cxyp],
      [cxy, vy, cyxp, cyyp],
      [cxxp, cyxp, vxp, cxpyp],
      [cxyp, cyyp, cxpyp, vyp],
    ],
  };
}

function quadraticForm(a: Vector4, m: Matrix4, b: Vector4): number {
  let total = 0;
  for (let i = 0; i < 4; i += 1) {
    const row = m[i as 0 | 1 | 2 | 3];
    for (let j = 0; j < 4; j += 1)
      total += a[i as 0 | 1 | 2 | 3] * row[j as 0 | 1 | 2 | 3] * b[j as 0 | 1 | 2 | 3];
  }
  return total;
}

/** ∇ of x̄/ȳ − θ x̄Pre/ȳPre with respect to (x̄, ȳ, x̄Pre, ȳPre). */
function gradient(means: Vector4, theta: number): Vector4 {
  const [x, y, xp, yp] = means;
  return [1 / y, -x / (y * y), -theta / yp, (theta * xp) / (yp * yp)];
}

function checkCupedRatioStats(label: string, stats: CupedRatioStats): string | null {
  if (typeof stats !== 'object' || stats === null) return `${label} must be an object`;
  const base = checkRatioStats(stats);
  if (base) return `${label}: ${base}`;
  const keys = [
    'sumXPre',
    'sumYPre',
    'sumXPre2',
    'sumYPre2',
    'sumXPreYPre',
    'sumXXPre',
    'sumYYPre',
    'sumXYPre',
    'sumYXPre',
  ] as const;
  return firstProblem(...keys.map((key) => checkFinite(`${label}.${key}`, stats[key])));
}

/**
 * θ = Σ_arms cov_lin(post ratio, pre ratio) / Σ_arms var_lin(pre ratio), with the linearised
 * (delta-method) unit covariances; the sums are not weighted by n (GrowthBook's rule).
 */
function pooledTheta(c: ArmMoments, t: ArmMoments): number {
  let covariance = 0;
  let variance = 0;
  for (const arm of [c, t]) {
    const g = gradient(arm.means, 1); // θ = 1: (∂post, −∂pre)
    const post: Vector4 = [g[0], g[1], 0, 0];
    const pre: Vector4 = [0, 0, -g[2], -g[3]];
    covariance += quadraticForm(post, arm.lambda, pre);
    variance += quadraticForm(pre, arm.lambda, pre);
  }
  return variance > 0 ? covariance / variance : 0;
}

/**
 * Absolute and relative lift of a ratio metric with CUPED. Falls back to the plain ratio
 * analysis (θ = 0) when |θ| < 1e-8 or an arm's pre-period denominator sums to 0. The relative
 * lift (A_T − A_C)/|R_C| divides by the unadjusted control ratio R_C, and its variance is the
 * delta method over all eight means with the exact gradient (equal to GrowthBook's for R_C > 0).
 */
export function estimateCupedRatioLift(
  control: CupedRatioStats,
  treatment: CupedRatioStats,
): Outcome<CupedRatioLiftEstimates> {
  const problem = checkCupedRatioStats('control', control) ?? checkCupedRatioStats('treatment', treatment);
  if (problem) return unavailable(STATUS.invalidInput, problem);
  if (control.n < 2 || treatment.n < 2) {
    return unavailable(STATUS.insufficientData, 'each arm needs at least 2 units');
  }
  if (control.sumY === 0 || treatment.sumY === 0) {
    return unavailable(STATUS.zeroDenominator, 'an arm’s denominator sums to 0');
  }
  const c = armMoments(control);
  const t = armMoments(treatment);
  const preUsable = control.sumYPre !== 0 && treatment.sumYPre !== 0;
  let theta = preUsable ? pooledTheta(c, t) : 0;
  if (Math.abs(theta) < NEGLIGIBLE_THETA) theta = 0;

  const arm = (m: ArmMoments): CupedRatioArm & { gradient: Vector4; unadjustedVariance: number } => {
    const g = theta === 0 ? gradient([m.means[0], m.means[1], 0, 1], 0) : gradient(m.means, theta);
    const preRatio = theta === 0 ? 0 : m.means[2] / m.means[3];
    const plain: Vector4 = [g[0], g[1], 0, 0];
    return {
      n: m.n,
      mean: m.means[0] / m.means[1],
      adjustedMean: m.means[0] / m.means[1] - theta * preRatio,
      adjustedVariance: Math.max(0, quadraticForm(g, m.lambda, g)),
      unadjustedVariance: quadraticForm(plain, m.lambda, plain),
      gradient: g,
    };
  };
  const ca = arm(c);
  const ta = arm(t);
  const negligible = (a: { adjustedVariance: number; unadjustedVariance: number }) =>
    !(a.adjustedVariance > NEGLIGIBLE_VARIANCE_FRACTION * Math.max(0, a.unadjustedVariance));
  if (negligible(ca) || negligible(ta)) {
    return unavailable(STATUS.zeroVariance, 'an arm has zero (adjusted) variance; no interval can be formed');
  }
  const vc = ca.adjustedVariance / c.n;
  const vt = ta.adjustedVariance / t.n;
  const degreesOfFreedom = (vt + vc) ** 2 / ((vt * vt) / (t.n - 1) + (vc * vc) / (c.n - 1));
  const common = { degreesOfFreedom, sampleSize: c.n + t.n, baselineMean: ca.mean };
  const difference = ta.adjustedMean - ca.adjustedMean;
  const absolute: EffectEstimate = {
    scale: SCALE.absolute,
    estimate: difference,
    standardError: Math.sqrt(vt + vc),
    ...common,
  };

  let relative: Outcome<EffectEstimate>;
  if (ca.mean === 0) {
    relative = unavailable(STATUS.zeroBaseline, 'the control ratio is 0; a relative lift is undefined');
  } else {
    // f = g/D with g = A_T − A_C and D = |R_C|; D depends on the control's post x̄ and ȳ only.
    const sign = Math.sign(ca.mean);
    const base = Math.abs(ca.mean);
    const [x, y] = c.means;
    const dBase: Vector4 = [sign / y, (-sign * x) / (y * y), 0, 0];
    const controlGradient = ca.gradient.map(
      (gi, i) => -gi / base - (difference / (base * base)) * (dBase[i] ?? 0),
    ) as unknown as Vector4;
    const treatmentGradient = ta.gradient.map((gi) => gi / base) as unknown as Vector4;
    const variance =
      quadraticForm(controlGradient, c.lambda, controlGradient) / c.n +
      quadraticForm(treatmentGradient, t.lambda, treatmentGradient) / t.n;
    relative = {
      status: STATUS.ok,
      scale: SCALE.relative,
      estimate: difference / base,
      standardError: Math.sqrt(Math.max(0, variance)),
      ...common,
    };
  }
  const strip = ({
    gradient: _g,
    unadjustedVariance: _u,
    ...rest
  }: CupedRatioArm & { gradient: Vector4; unadjustedVariance: number }): CupedRatioArm => rest;
  return {
    status: STATUS.ok,
    absolute: checkFiniteEffect({ status: STATUS.ok, ...absolute }),
    relative: checkFiniteEffect(relative),
    theta,
    control: strip(ca),
    treatment: strip(ta),
  };
}
