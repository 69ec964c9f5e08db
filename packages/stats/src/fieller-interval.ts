/**
 * Fieller's interval for the relative lift (stats-methods.md §2.4; Statsig's recommended
 * default): exact for a ratio of independent normal means, asymmetric around the estimate, and
 * honest when the control mean is barely distinguishable from zero (where the delta method's
 * symmetric interval is too narrow).
 */

import { type ArmInput, isUnavailable, resolveArm } from './arm-summary.js';
import { normalQuantile } from './normal-distribution.js';
import { type Outcome, STATUS, unavailable } from './result.js';
import { checkProbability } from './validate.js';

export interface FiellerResult {
  /** (μ_T − μ_C)/|μ_C|, the same point estimate as the delta method. */
  readonly estimate: number;
  /** Two-sided 1 − α interval for the relative lift. */
  readonly interval: readonly [number, number];
  /** g = z² Var(μ̂_C)/μ̂_C²; the interval is bounded only when g < 1. */
  readonly g: number;
}

/**
 * With r = μ̂_T/μ̂_C, v_k = σ²_k/n_k and g = z²v_C/μ̂_C², the interval for r is
 *   (r ± (z/|μ̂_C|)·√(r²v_C + (1 − g)v_T)) / (1 − g),
 * and the relative lift is sign(μ̂_C)·(r − 1) (so it matches (μ_T − μ_C)/|μ_C|). When g ≥ 1 the
 * set is unbounded: status `unbounded-interval`.
 *
 * Statsig writes v as var/(n − 1) with var the population variance, which is our σ²/n with σ²
 * the sample variance; for conversions (σ² = p(1 − p)) the two differ by n/(n − 1).
 *
 * @example computeFiellerInterval(summarizeMean(control), summarizeMean(treatment), { alpha: 0.05 })
 */
export function computeFiellerInterval(
  control: ArmInput,
  treatment: ArmInput,
  options: { readonly alpha?: number } = {},
): Outcome<FiellerResult> {
  const c = resolveArm('control', control);
  if (isUnavailable(c)) return c;
  const t = resolveArm('treatment', treatment);
  if (isUnavailable(t)) return t;
  const alpha = options.alpha ?? 0.05;
  const problem = checkProbability('alpha', alpha);
  if (problem) return unavailable(STATUS.invalidInput, problem);
  if (c.mean === 0)
    return unavailable(STATUS.zeroBaseline, 'the control mean is 0; a relative lift is undefined');
  if (!(c.variance > 0) || !(t.variance > 0)) {
    return unavailable(STATUS.zeroVariance, 'an arm has zero variance; no interval can be formed');
  }
  const z = -normalQuantile(alpha / 2);
  const vc = c.variance / c.n;
  const vt = t.variance / t.n;
  const g = (z * z * vc) / (c.mean * c.mean);
  const estimate = (t.mean - c.mean) / Math.abs(c.mean);
  if (!(g < 1)) {
    return unavailable(
      STATUS.unboundedInterval,
      `the control mean is not distinguishable from 0 at this alpha (g = ${g.toPrecision(3)} ≥ 1); only the estimate ${estimate} is meaningful`,
    );
  }
  const r = t.mean / c.mean;
  const spread = (z / Math.abs(c.mean)) * Math.sqrt(r * r * vc + (1 - g) * vt);
  const low = (r - spread) / (1 - g) - 1;
  const high = (r + spread) / (1 - g) - 1;
  const interval: readonly [number, number] = c.mean > 0 ? [low, high] : [-high, -low];
  return { status: STATUS.ok, estimate, interval, g };
}
