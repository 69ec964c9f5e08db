import {
  type ConfigSpecs,
  createEvaluator,
  djb2,
  type EvaluationResult,
  type Evaluator,
  type IdListSource,
  type SecondaryExposure,
  type Spec,
  type StatsigUser,
} from '@switchyard/core';

/**
 * Name hashing asked for by a client. `sha256` is accepted but answered with djb2:
 * @statsig/js-client looks names up raw or by djb2 only, so sha256 keys would make every
 * lookup "Unrecognized" (protocol doc §7.1, §7.3).
 */
export type InitializeHashRequest = 'djb2' | 'none' | 'sha256';
/** The hashing an initialize response actually uses (its `hash_used`). */
export type InitializeHash = 'djb2' | 'none';

export interface InitializeOptions {
  hash: InitializeHashRequest;
  /**
   * The client's stableID (js-client sends it in `statsigMetadata`, not in the user). Copied
   * into `user.customIDs.stableID` when the user has none, so stableID-typed specs bucket the
   * device (protocol doc §7.2).
   */
  stableID?: string | null;
}

export interface ClientSecondaryExposure {
  /** The gate name, hashed like the response keys. */
  gate: string;
  gateValue: string;
  ruleID: string;
}

export interface ClientGateValue {
  name: string;
  value: boolean;
  rule_id: string;
  secondary_exposures: ClientSecondaryExposure[];
  /** The spec's idType as stored; absent when the spec has none (as statsig-node). */
  id_type?: string | null;
}

/** What dynamic configs, experiments and layers share (statsig-node's _specToInitializeResponse). */
export interface ClientEntityValue {
  name: string;
  value: unknown;
  /** The rule id again (legacy clients read `group`). */
  group: string;
  rule_id: string;
  /** The spec's idType is stableID. */
  is_device_based: boolean;
  secondary_exposures: ClientSecondaryExposure[];
  group_name?: string;
  explicit_parameters?: string[];
}

export interface ClientConfigValue extends ClientEntityValue {
  id_type: string | null;
  /** Dynamic configs only (entity `dynamic_config`). */
  passed?: boolean;
  /** Experiments (any entity but `dynamic_config` and `autotune`). */
  is_user_in_experiment?: boolean;
  is_experiment_active?: boolean;
  /** Experiments with shared (layer) parameters. */
  is_in_layer?: boolean;
}

export interface ClientLayerValue extends ClientEntityValue {
  explicit_parameters: string[];
  /** Set when the layer delegated the user to an experiment (hashed name). */
  allocated_experiment_name?: string;
  is_experiment_active?: boolean;
  is_user_in_experiment?: boolean;
  undelegated_secondary_exposures: ClientSecondaryExposure[];
}

/** statsig-node's getClientInitializeResponse payload (protocol doc §4), as js-client reads it (§7.3). */
export interface ClientInitializeResponse {
  feature_gates: Record<string, ClientGateValue>;
  dynamic_configs: Record<string, ClientConfigValue>;
  layer_configs: Record<string, ClientLayerValue>;
  sdkParams: Record<string, never>;
  has_updates: true;
  generator: 'switchyard';
  /** The DCS `time` (last configuration change, ms): js-client's lcut and next `sinceTime`. */
  time: number;
  evaluated_keys: { userID?: unknown; customIDs?: Record<string, unknown> };
  hash_used: InitializeHash;
  /** The user as evaluated, without `privateAttributes`. */
  user: StatsigUser;
}

/** `sha256` and anything unknown become djb2; only an explicit `none` serves raw names. */
export function resolveInitializeHash(requested: unknown): InitializeHash {
  return requested === 'none' ? 'none' : 'djb2';
}

/**
 * The evaluator an initialize response is computed with: one per DCS, reused for every user.
 *
 * The DCS `default_environment` is left to `buildInitializeResponse`, which, like statsig-node's
 * getClientInitializeResponse, fills it in only for users without a `statsigEnvironment`; an
 * evaluator over the raw DCS would impose it on every user instead (core's checkGate semantics).
 *
 * `idLists` are the ID lists' entries (`in_segment_list`), read at check time: the server
 * passes its live copy, so list changes apply without a new evaluator.
 *
 * @example
 * const evaluator = createInitializeEvaluator(snapshot.specs, snapshot.idLists); // once per snapshot
 * buildInitializeResponse(snapshot.specs, evaluator, { userID: 'u1' }, { hash: 'djb2' });
 */
export function createInitializeEvaluator(specs: ConfigSpecs, idLists?: IdListSource): Evaluator {
  return createEvaluator({ ...specs, default_environment: null }, idLists ? { idLists } : {});
}

/** The raw specs by name (a later duplicate wins, as in statsig-node's store), per DCS object. */
interface SpecIndex {
  gates: Map<string, Spec>;
  configs: Map<string, Spec>;
  layers: Map<string, Spec>;
  experimentToLayer: Map<string, string>;
}

const indexes = new WeakMap<ConfigSpecs, SpecIndex>();

function byName(list: unknown): Map<string, Spec> {
  const index = new Map<string, Spec>();
  if (!Array.isArray(list)) return index;
  for (const spec of list as unknown[]) {
    if (spec && typeof spec === 'object' && typeof (spec as Spec).name === 'string') {
      index.set((spec as Spec).name, spec as Spec);
    }
  }
  return index;
}

function indexSpecs(specs: ConfigSpecs): SpecIndex {
  const cached = indexes.get(specs);
  if (cached) return cached;
  const experimentToLayer = new Map<string, string>();
  const layers = specs.layers;
  if (layers && typeof layers === 'object') {
    for (const [layer, experiments] of Object.entries(layers)) {
      if (!Array.isArray(experiments)) continue;
      for (const experiment of experiments) experimentToLayer.set(String(experiment), layer);
    }
  }
  const index: SpecIndex = {
    gates: byName(specs.feature_gates),
    configs: byName(specs.dynamic_configs),
    layers: byName(specs.layer_configs),
    experimentToLayer,
  };
  indexes.set(specs, index);
  return index;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isDeviceBased(spec: Spec): boolean {
  return typeof spec.idType === 'string' && spec.idType.toLowerCase() === 'stableid';
}

/**
 * The user as statsig-node evaluates it for a client response: a JSON copy (as its
 * cloneEnforce), the stableID added when missing, and the DCS default environment when the
 * user has none.
 */
function prepareUser(
  user: StatsigUser,
  specs: ConfigSpecs,
  stableID: string | null | undefined,
): StatsigUser {
  const copy = isPlainObject(user) ? (JSON.parse(JSON.stringify(user)) as StatsigUser) : {};
  if (typeof stableID === 'string' && stableID !== '') {
    const customIDs = isPlainObject(copy.customIDs) ? copy.customIDs : {};
    if (customIDs.stableID == null || customIDs.stableID === '') {
      copy.customIDs = { ...customIDs, stableID };
    }
  }
  if (copy.statsigEnvironment == null && specs.default_environment != null) {
    copy.statsigEnvironment = { tier: specs.default_environment };
  }
  return copy;
}

/**
 * The @statsig/js-client initialize payload for one user: exactly what statsig-node 6.5.2's
 * `getClientInitializeResponse(user, undefined, { hash })` returns for the same DCS, except
 * `generator` ("switchyard") and no `sdkInfo` (it describes the statsig-node process).
 * Segments and holdouts are left out; names and secondary-exposure gates are hashed.
 *
 * Pure: `evaluator` must be built from `specs` (see `createInitializeEvaluator`).
 *
 * @example
 * buildInitializeResponse(specs, evaluator, { userID: 'alice' }, { hash: 'djb2', stableID: 'device-1' })
 *   .feature_gates[djb2('new_checkout')]?.value; // true or false
 */
export function buildInitializeResponse(
  specs: ConfigSpecs,
  evaluator: Evaluator,
  user: StatsigUser,
  options: InitializeOptions,
): ClientInitializeResponse {
  const hashUsed = resolveInitializeHash(options.hash);
  const hashName = hashUsed === 'djb2' ? djb2 : (name: string) => name;
  const hashExposures = (exposures: readonly SecondaryExposure[]): ClientSecondaryExposure[] =>
    exposures.map((exposure) => ({
      gate: hashName(exposure.gate),
      gateValue: exposure.gateValue,
      ruleID: exposure.ruleID,
    }));
  const index = indexSpecs(specs);
  const evaluated = prepareUser(user, specs, options.stableID);

  const featureGates: Record<string, ClientGateValue> = {};
  for (const [name, spec] of index.gates) {
    if (spec.entity === 'segment' || spec.entity === 'holdout') continue;
    const result = evaluator.checkGate(evaluated, name);
    const key = hashName(name);
    const gate: ClientGateValue = {
      name: key,
      value: result.reason === 'Unsupported' ? false : result.value,
      rule_id: result.ruleID,
      secondary_exposures: hashExposures(result.secondaryExposures),
    };
    if (spec.idType !== undefined) gate.id_type = spec.idType;
    featureGates[key] = gate;
  }

  const dynamicConfigs: Record<string, ClientConfigValue> = {};
  for (const [name, spec] of index.configs) {
    const result = evaluator.getConfig(evaluated, name);
    const key = hashName(name);
    const config: ClientConfigValue = {
      ...commonFields(key, spec, result, hashExposures),
      id_type: spec.idType ?? null,
    };
    if (spec.entity === 'dynamic_config') config.passed = result.value === true;
    if (spec.entity !== 'dynamic_config' && spec.entity !== 'autotune') {
      config.is_user_in_experiment = result.isExperimentGroup;
      config.is_experiment_active = spec.isActive === true;
      if (spec.hasSharedParams === true) {
        config.is_in_layer = true;
        config.explicit_parameters = [...(spec.explicitParameters ?? [])];
        const layerName = index.experimentToLayer.get(name);
        const layer = layerName === undefined ? undefined : index.layers.get(layerName);
        // The experiment's value over the layer's defaults: the client reads the layer's other
        // parameters from the experiment too.
        config.value = { ...(layer?.defaultValue as object), ...(config.value as object) };
      }
    }
    dynamicConfigs[key] = config;
  }

  const layerConfigs: Record<string, ClientLayerValue> = {};
  for (const [name, spec] of index.layers) {
    const result = evaluator.getLayer(evaluated, name);
    const key = hashName(name);
    const common = commonFields(key, spec, result, hashExposures);
    const layer: ClientLayerValue = {
      ...common,
      explicit_parameters: [...(spec.explicitParameters ?? [])],
      undelegated_secondary_exposures: hashExposures(result.undelegatedSecondaryExposures),
    };
    const delegate = result.allocatedExperimentName;
    if (delegate !== null && delegate !== '') {
      const experiment = index.configs.get(delegate);
      layer.allocated_experiment_name = hashName(delegate);
      // A delegated result is the experiment's own evaluation, so its flags describe the experiment.
      layer.is_experiment_active = experiment?.isActive === true;
      layer.is_user_in_experiment = experiment ? result.isExperimentGroup : false;
      layer.explicit_parameters = [...(experiment?.explicitParameters ?? [])];
    }
    layerConfigs[key] = layer;
  }

  const evaluatedKeys: ClientInitializeResponse['evaluated_keys'] = {};
  if (evaluated.userID) evaluatedKeys.userID = evaluated.userID;
  if (isPlainObject(evaluated.customIDs) && Object.keys(evaluated.customIDs).length > 0) {
    evaluatedKeys.customIDs = evaluated.customIDs;
  }
  // Private attributes take part in evaluation but never leave the server.
  const { privateAttributes: _private, ...echoed } = evaluated;

  return {
    feature_gates: featureGates,
    dynamic_configs: dynamicConfigs,
    layer_configs: layerConfigs,
    sdkParams: {},
    has_updates: true,
    generator: 'switchyard',
    time: typeof specs.time === 'number' ? specs.time : 0,
    evaluated_keys: evaluatedKeys,
    hash_used: hashUsed,
    user: echoed,
  };
}

function commonFields(
  key: string,
  spec: Spec,
  result: EvaluationResult,
  hashExposures: (exposures: readonly SecondaryExposure[]) => ClientSecondaryExposure[],
): ClientEntityValue {
  const fields: ClientEntityValue = {
    name: key,
    value: result.reason === 'Unsupported' ? {} : result.json,
    group: result.ruleID,
    rule_id: result.ruleID,
    is_device_based: isDeviceBased(spec),
    secondary_exposures: hashExposures(result.secondaryExposures),
  };
  if (result.groupName !== null) fields.group_name = result.groupName;
  if (result.explicitParameters) fields.explicit_parameters = [...result.explicitParameters];
  return fields;
}
