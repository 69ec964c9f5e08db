/**
 * @switchyard/stats: experiment statistics over per-arm sufficient statistics. Pure TypeScript,
 * no I/O, no dependencies; runs unchanged in Node and browsers. Every function returns a result
 * with a `status` instead of throwing or returning NaN. Formulas: docs stats-methods.md.
 */

// Per-arm summaries
export { type ArmInput, type ArmSummary, sampleCovariance, sampleVariance } from './arm-summary.js';
export {
  type BayesianOptions,
  type BayesianResult,
  computeBayesianEffect,
  type GaussianPrior,
  GROWTHBOOK_PROPER_PRIOR,
} from './bayesian-effect.js';
export { incompleteBeta, logBeta, regularizedBeta } from './beta-function.js';

// Distributions and special functions
export { chiSquareCdf, chiSquareSf } from './chi-square-distribution.js';
export {
  type ConfidenceSequenceOptions,
  type ConfidenceSequenceResult,
  DEFAULT_N_STAR,
  sequentialRho,
  testConfidenceSequence,
} from './confidence-sequence.js';
export { DIRECTION, type Direction } from './direction.js';
export {
  type CupedArm,
  type CupedLiftEstimates,
  type CupedOptions,
  estimateCupedLift,
  estimateCupedTheta,
  METRIC_KIND,
  type MetricKind,
} from './estimate-cuped-lift.js';
export {
  type CupedRatioArm,
  type CupedRatioLiftEstimates,
  estimateCupedRatioLift,
} from './estimate-cuped-ratio-lift.js';
// Effects
export {
  type EffectEstimate,
  type EffectInput,
  estimateLift,
  type LiftEstimates,
  SCALE,
  type Scale,
  welchDegreesOfFreedom,
} from './estimate-lift.js';
export { evaluateGuardrail, type GuardrailOptions, type GuardrailResult } from './evaluate-guardrail.js';
export { computeFiellerInterval, type FiellerResult } from './fieller-interval.js';
export { logGamma, regularizedGammaP, regularizedGammaQ } from './gamma-function.js';
// Inference
export { ALTERNATIVE, type Alternative, type InferenceResult } from './inference-result.js';
export { type MixtureSprtOptions, type MixtureSprtResult, testMixtureSprt } from './mixture-sprt.js';
export { normalCdf, normalPdf, normalQuantile, normalSf } from './normal-distribution.js';
// Results and inputs
export { type FailureStatus, isOk, type Outcome, STATUS, type Status, type Unavailable } from './result.js';
export { expectedGateWeights } from './srm-weights.js';
export { studentTCdf, studentTPdf, studentTQuantile, studentTSf } from './student-t-distribution.js';
export {
  addCupedStats,
  addMeanStats,
  addRatioStats,
  type CupedMeanStats,
  type CupedRatioStats,
  cupedStatsFromValues,
  type MeanStats,
  meanStatsFromValues,
  type RatioStats,
  ratioStatsFromValues,
} from './sufficient-statistics.js';
export { summarizeMean, summarizeProportion } from './summarize-mean.js';
export { type QuantileStats, quantileRanks, summarizeQuantile } from './summarize-quantile.js';
export { type RatioSummary, ratioVariance, summarizeRatio } from './summarize-ratio.js';
export {
  AUTO_T_BELOW_DF,
  type FixedHorizonOptions,
  type FixedHorizonResult,
  REFERENCE_DISTRIBUTION,
  type ReferenceDistribution,
  testFixedHorizon,
} from './test-fixed-horizon.js';
export {
  type ArmComparison,
  compareArms,
  type LiftTest,
  type LiftTestResult,
  METHOD,
  type Method,
  type TestLiftOptions,
  testLift,
} from './test-lift.js';
// Sample ratio mismatch
export { DEFAULT_SRM_THRESHOLD, type SampleRatioResult, testSampleRatio } from './test-sample-ratio.js';
export {
  DEFAULT_CONCENTRATION,
  logDirichletMultinomialBayesFactor,
  type SequentialSampleRatioOptions,
  type SequentialSampleRatioResult,
  testSequentialSampleRatio,
} from './test-sequential-sample-ratio.js';

// Outliers
export {
  capValues,
  computePercentileCap,
  type PercentileCapOptions,
  type WinsorizeOptions,
  type WinsorizeResult,
  winsorize,
} from './winsorize.js';
