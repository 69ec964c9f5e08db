/**
 * Wire types: Statsig's download_config_specs v1 payload and user object, as documented in
 * shared/docs/statsig-protocol.md sections 1.5-1.8. Fields are typed loosely (`unknown`)
 * where real payloads vary, because the evaluator must cope with whatever arrives.
 */

export interface SpecCondition {
  type: string;
  operator?: string | null;
  targetValue?: unknown;
  field?: string | null;
  additionalValues?: Record<string, unknown> | null;
  idType?: string | null;
  [extra: string]: unknown;
}

export interface SpecRule {
  id: string;
  name?: string;
  salt?: string | null;
  passPercentage: number;
  conditions?: SpecCondition[] | null;
  returnValue?: unknown;
  idType?: string | null;
  groupName?: string | null;
  isExperimentGroup?: boolean | null;
  configDelegate?: string | null;
  samplingRate?: number | null;
  [extra: string]: unknown;
}

export interface Spec {
  name: string;
  type?: string;
  entity?: string;
  salt: string;
  enabled: boolean;
  defaultValue?: unknown;
  idType?: string | null;
  rules: SpecRule[];
  isActive?: boolean | null;
  hasSharedParams?: boolean | null;
  explicitParameters?: string[] | null;
  targetAppIDs?: string[] | null;
  version?: number | null;
  forwardAllExposures?: boolean | null;
  [extra: string]: unknown;
}

/** A download_config_specs v1 response. */
export interface ConfigSpecs {
  has_updates?: boolean;
  time?: number;
  feature_gates: Spec[];
  dynamic_configs: Spec[];
  layer_configs: Spec[];
  layers?: Record<string, string[]>;
  default_environment?: string | null;
  app_id?: string | null;
  [extra: string]: unknown;
}

/** A Statsig user object. Unknown fields are allowed and read by `user_field` conditions. */
export interface StatsigUser {
  userID?: string | number | null;
  email?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  country?: string | null;
  locale?: string | null;
  appVersion?: string | null;
  custom?: Record<string, unknown> | null;
  privateAttributes?: Record<string, unknown> | null;
  customIDs?: Record<string, unknown> | null;
  statsigEnvironment?: Record<string, unknown> | null;
  [extra: string]: unknown;
}

export interface SecondaryExposure {
  gate: string;
  gateValue: string;
  ruleID: string;
}

/**
 * Why a result has the value it has.
 * - `Evaluated`: the spec's rules decided (including `disabled` and `default`).
 * - `Unrecognized`: no spec of that name.
 * - `Unsupported`: a condition type or operator this evaluator does not know was reached;
 *   the whole spec is false, as in Statsig's SDKs.
 * - `InvalidSpec`: the spec could not be compiled (e.g. `rules` is not an array).
 * - `Error`: evaluation failed unexpectedly (e.g. a gate cycle); the default is returned.
 */
export type EvaluationReason = 'Evaluated' | 'Unrecognized' | 'Unsupported' | 'InvalidSpec' | 'Error';

export interface EvaluationResult {
  /** Spec name asked for. */
  name: string;
  /** Gates: the answer. Configs, experiments, layers: whether the deciding rule passed. */
  value: boolean;
  /** The deciding rule's id, or `default`, `disabled`, or `""` (unrecognized, unsupported). */
  ruleID: string;
  /** Experiment group of the deciding rule, even when its pass percentage failed. */
  groupName: string | null;
  /** The JSON value (configs, experiments, layers); `{}` for gates. */
  json: Record<string, unknown>;
  /** Unit type of the spec (for a delegated layer: of the experiment). */
  idType: string | null;
  secondaryExposures: SecondaryExposure[];
  /** Layers: exposures gathered before delegating to an experiment. Otherwise the same as secondaryExposures. */
  undelegatedSecondaryExposures: SecondaryExposure[];
  /** Layers: the experiment the user was allocated to, if any. */
  allocatedExperimentName: string | null;
  /** Experiments in a layer, and layers delegated to one: the parameters the experiment owns. */
  explicitParameters: readonly string[] | null;
  /** The deciding rule is an experiment group (the user is in the experiment). */
  isExperimentGroup: boolean;
  /** The spec's `version`, reported as `configVersion` in exposures. */
  configVersion: number | null;
  reason: EvaluationReason;
  /** Human-readable detail for `Unsupported`, `InvalidSpec` and `Error`. */
  detail?: string;
}

/** A set of ID-list entries (8-character hashes, see `idListEntryHash`), looked up by list name. */
export interface IdListSource {
  get(listName: string): ReadonlySet<string> | undefined;
}
