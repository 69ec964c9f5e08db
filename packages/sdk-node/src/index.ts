export { SYNC_MODES, type SyncMode } from './config-sync.js';
export { ERROR_CODES, type ErrorCode, SwitchyardError } from './errors.js';
export type { SwitchyardOptions } from './options.js';
export {
  DynamicConfig,
  EVALUATION_REASONS,
  type EvaluationDetails,
  type EvaluationReason,
  type FeatureGate,
  Layer,
  type TypeGuard,
} from './results.js';
export { type ChangedNames, CONFIG_SOURCES, type ConfigChange, type ConfigSource } from './spec-store.js';
export {
  type EvaluationOptions,
  type InitDetails,
  Switchyard,
  type SwitchyardStats,
} from './switchyard.js';
export type { SwitchyardUser } from './user.js';
export { SDK_TYPE, SDK_VERSION } from './version.js';
