export { createEvaluator, type Evaluator, type EvaluatorOptions, type UserEvaluation } from './evaluator.js';
export {
  type Bucketer,
  createBucketer,
  djb2,
  hash64,
  idListEntryHash,
  PASS_PERCENTAGE_BUCKETS,
  sha256Base64,
  USER_BUCKET_COUNT,
} from './hash/bucket.js';
export {
  checkRegexPattern,
  NATIVE_STEP_BUDGET,
  type RegexEngine,
  type RegexPatternCheck,
} from './regex/compile-regex.js';
export { STR_MATCHES_MAX_LENGTH } from './regex/estimate-backtracking.js';
export type {
  ConfigSpecs,
  EvaluationReason,
  EvaluationResult,
  IdListSource,
  SecondaryExposure,
  Spec,
  SpecCondition,
  SpecRule,
  StatsigUser,
} from './types.js';
export {
  CONDITION_TYPES,
  type ConditionType,
  LIST_OPERATORS,
  OPERATORS,
  type Operator,
} from './vocabulary.js';
