export {
  type ClientDetails,
  type DynamicConfig,
  type EvaluationReason,
  type Experiment,
  type FeatureGate,
  type InitializeResponse,
  type Layer,
  type SecondaryExposure,
  SwitchyardClient,
  type SwitchyardOptions,
  type SwitchyardUser,
  type ValueSource,
} from './switchyard-client.js';
