/**
 * Treatment-vs-control effect estimates with their standard errors (stats-methods.md §2.1,
 * §2.2): the absolute difference and the relative lift by the delta method, plus the
 * Welch–Satterthwaite degrees of freedom.
 */

import { type ArmInput, type ArmSummary, isUnavailable, resolveArm } from './arm-summary.js';
import { type Outcome, STATUS, unavailable } from './result.js';

export const SCALE = { absolute: 'absolute', relative: 'relative' } as const;
export type Scale = (typeof SCALE)[keyof typeof SCALE];

/** One effect with everything inference needs. */
export interface EffectEstimate {
  readonly scale: Scale;
  /** μ_T − μ_C (absolute) or (μ_T − μ_C)/|μ_C| (relative, a fraction: 0.05 = +5%). */
  readonly estimate: number;
  readonly standardError: number;
  /** Welch–Satterthwaite ν from the arms' unit variances (also used for the relative lift). */
  readonly degreesOfFreedom: number;
  /** N = n_C + n_T, the clock of the sequential methods. */
  readonly sampleSize: number;
  /** The (unadjusted) control mean; the Bayesian prior on the relative lift is scaled by it. */
  readonly baselineMean: number;
}

/** An EffectEstimate, or an estimate* outcome (a failure is passed through). */
export type EffectInput = EffectEstimate | Outcome<EffectEstimate>;

export interface LiftEstimates {
  readonly absolute: Outcome<EffectEstimate>;
  readonly relative: Outcome<EffectEstimate>;
}

/** ν = (σ²_T/n_T + σ²_C/n_C)² / ((σ²_T)²/(n_T²(n_T−1)) + (σ²_C)²/(n_C²(n_C−1))). */
export function welchDegreesOfFreedom(control: ArmSummary, treatment: ArmSummary): number {
  const vc = control.variance / control.n;
  const vt = treatment.variance / treatment.n;
  const denominator = (vt * vt) / (treatment.n - 1) + (vc * vc) / (control.n - 1);
  return ((vt + vc) * (vt + vc)) / denominator;
}

/**
 * Absolute and relative lift of treatment over control. Either arm with n < 2 or a unit
 * variance of 0 makes the whole result unavailable (GrowthBook's "uninformative" rule, §2.3); a
 * control mean of 0 makes only the relative lift unavailable.
 *
 * Relative lift: (μ_T − μ_C)/|μ_C| (dividing by |μ_C| keeps the sign meaningful for negative
 * baselines), with se² = σ²_T/(n_T μ_C²) + μ_T² σ²_C/(n_C μ_C⁴).
 */
export function estimateLift(control: ArmInput, treatment: ArmInput): Outcome<LiftEstimates> {
  const c = resolveArm('control', control);
  if (isUnavailable(c)) return c;
  const t = resolveArm('treatment', treatment);
  if (isUnavailable(t)) return t;
  if (!(c.variance > 0) || !(t.variance > 0)) {
    return unavailable(STATUS.zeroVariance, 'an arm has zero variance; no interval can be formed');
  }
  const degreesOfFreedom = welchDegreesOfFreedom(c, t);
  const common = { degreesOfFreedom, sampleSize: c.n + t.n, baselineMean: c.mean };
  const absolute: EffectEstimate = {
    scale: SCALE.absolute,
    estimate: t.mean - c.mean,
    standardError: Math.sqrt(t.variance / t.n + c.variance / c.n),
    ...common,
  };
  return {
    status: STATUS.ok,
    absolute: checkFiniteEffect({ status: STATUS.ok, ...absolute }),
    relative: checkFiniteEffect(relativeLift(c, t, common)),
  };
}

/** An effect whose numbers overflowed (inputs near 1e308) is reported, not passed on as ±Infinity. */
export function checkFiniteEffect(effect: Outcome<EffectEstimate>): Outcome<EffectEstimate> {
  if (effect.status !== STATUS.ok) return effect;
  const finite = [effect.estimate, effect.standardError, effect.degreesOfFreedom].every(Number.isFinite);
  return finite ? effect : unavailable(STATUS.invalidInput, 'the arms’ numbers overflow double precision');
}

function relativeLift(
  c: ArmSummary,
  t: ArmSummary,
  common: Pick<EffectEstimate, 'degreesOfFreedom' | 'sampleSize' | 'baselineMean'>,
): Outcome<EffectEstimate> {
  if (c.mean === 0)
    return unavailable(STATUS.zeroBaseline, 'the control mean is 0; a relative lift is undefined');
  // σ²_T/(n_T μ_C²) + μ_T² σ²_C/(n_C μ_C⁴), factored so μ_C⁴ cannot overflow.
  const r = t.mean / c.mean;
  const variance = (t.variance / t.n + (r * r * c.variance) / c.n) / (c.mean * c.mean);
  return {
    status: STATUS.ok,
    scale: SCALE.relative,
    estimate: (t.mean - c.mean) / Math.abs(c.mean),
    standardError: Math.sqrt(variance),
    ...common,
  };
}
