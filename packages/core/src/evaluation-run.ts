import type { EvaluationResult, SecondaryExposure, StatsigUser } from './types.js';

/** State of one top-level check, shared by nested gate and delegate evaluations. */
export interface EvaluationRun {
  readonly user: StatsigUser;
  /** The effective `statsigEnvironment` (options.environment, DCS default, or the user's own). */
  readonly environment: unknown;
  /**
   * Results of gates already evaluated in this run, by the gate's `slot`. A gate referenced by
   * several rules (a holdout, a targeting gate, a shared segment) is evaluated once; without
   * this, gates that reference shared gates twice take exponential time in the depth of the
   * graph. `IN_PROGRESS` marks gates being evaluated right now, so a reference cycle is
   * reported instead of recursing forever. Created on the first gate a run caches; a map, not
   * an array as long as the DCS's gates, so a single check of a large project stays small.
   */
  gateResults?: Map<number, EvaluationResult | typeof IN_PROGRESS>;
}

/** A `gateResults` entry for a gate whose evaluation has started and not finished. */
export const IN_PROGRESS = 0;

/** What a condition decided: fail, pass, or "unsupported" (which fails the whole spec). */
export type Outcome = 0 | 1 | 2;
export const FAIL: Outcome = 0;
export const PASS: Outcome = 1;
export const UNSUPPORTED: Outcome = 2;

/** A compiled condition. Gate conditions append the exposures they cause to `exposures`. */
export type CompiledCondition = (run: EvaluationRun, exposures: SecondaryExposure[]) => Outcome;

/** Evaluates a gate by name for a condition (pass_gate and friends). */
export type NestedGateEvaluator = (name: string, run: EvaluationRun) => EvaluationResult;
