export { loadVectorFiles } from './load-vectors.js';
export {
  type ConformanceHost,
  defineConformanceSuite,
  expectEvaluation,
  exposureKeys,
  type ObservedEvaluation,
} from './run-conformance.js';
export { loadStatsigRulesets, type StatsigRulesets, type StatsigRulesetsCase } from './statsig-rulesets.js';
export * from './vector-file.js';
