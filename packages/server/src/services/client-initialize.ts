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
 * The object form of {@link renderInitializeResponse} (which the endpoint serves), parsed back
 * from its JSON, so the two cannot disagree.
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
  return JSON.parse(renderInitializeResponse(specs, evaluator, user, options)) as ClientInitializeResponse;
}

/**
 * The initialize payload for one user as JSON text: the same bytes as
 * `JSON.stringify(buildInitializeResponse(...))`, written directly.
 *
 * Why text rather than objects: for a few hundred specs, building the response objects and
 * then serialising them cost more CPU than evaluating the specs. What does not depend on the
 * user (hashed names, idType, device-basedness, the layer parameters, the JSON of each rule's
 * return value) is prepared once per evaluator and reused; per user only the evaluated values,
 * rule ids, groups and secondary exposures are written. Each gate is evaluated once per user
 * (`Evaluator.bindUser`), also when other specs depend on it.
 *
 * @example
 * reply.type('application/json; charset=utf-8').send(
 *   renderInitializeResponse(specs, evaluator, { userID: 'alice' }, { hash: 'djb2' }),
 * );
 */
export function renderInitializeResponse(
  specs: ConfigSpecs,
  evaluator: Evaluator,
  user: StatsigUser,
  options: InitializeOptions,
): string {
  const writer = writerFor(specs, evaluator, resolveInitializeHash(options.hash));
  const evaluated = prepareUser(user, specs, options.stableID);
  const bound = evaluator.bindUser(evaluated);

  let gates = '';
  for (const slot of writer.gates) gates += writer.gate(slot, bound.checkGate(slot.name));
  let configs = '';
  for (const slot of writer.configs) configs += writer.config(slot, bound.getConfig(slot.name));
  let layers = '';
  for (const slot of writer.layers) layers += writer.layer(slot, bound.getLayer(slot.name));

  const evaluatedKeys: ClientInitializeResponse['evaluated_keys'] = {};
  if (evaluated.userID) evaluatedKeys.userID = evaluated.userID;
  if (isPlainObject(evaluated.customIDs) && Object.keys(evaluated.customIDs).length > 0) {
    evaluatedKeys.customIDs = evaluated.customIDs;
  }
  // Private attributes take part in evaluation but never leave the server.
  const { privateAttributes: _private, ...echoed } = evaluated;

  // Key order as the object form's (ClientInitializeResponse), so the bytes match it too.
  return (
    `{"feature_gates":{${gates}},"dynamic_configs":{${configs}},"layer_configs":{${layers}}` +
    `,"sdkParams":{},"has_updates":true,"generator":"switchyard","time":${writer.time}` +
    `,"evaluated_keys":${JSON.stringify(evaluatedKeys)},"hash_used":"${writer.hash}"` +
    `,"user":${JSON.stringify(echoed)}}`
  );
}

// ---------------------------------------------------------------------------------------------
// The response writer: per evaluator, DCS and hash, what every user's response shares.

/** One response entry: the spec evaluated for it and the text that does not vary per user. */
interface Slot {
  /** The spec name to evaluate. */
  name: string;
  spec: Spec;
  /** `"<key>":{"name":"<key>","value":`, after a comma unless it is the first entry. */
  open: string;
  /** `,"is_device_based":<bool>,"secondary_exposures":` (configs and layers). */
  deviceBased: string;
  /** `parametersJson(spec.explicitParameters)`; undefined when that throws (see `tryParametersJson`). */
  explicitParameters: string | undefined;
  /** Texts of this entry already written (see `findEntry`). */
  entries: CachedEntry[];
}

/**
 * An entry's text and the result fields it was written from. Without secondary exposures, the
 * text depends on nothing else, and a spec has only a few rules, so most users get a text
 * written for an earlier user: one string instead of a dozen pieces, which also makes the
 * response quicker to flatten and send.
 */
interface CachedEntry {
  reason: EvaluationResult['reason'];
  value: boolean;
  ruleID: string;
  groupName: string | null;
  json: object;
  explicitParameters: readonly string[] | null;
  isExperimentGroup: boolean;
  allocatedExperimentName: string | null;
  text: string;
}

/** Texts kept per entry: more than its rules give unless results vary oddly (errors). */
const CACHED_ENTRIES_PER_SLOT = 16;

/** The text written for a result equal to this one in every field but the (empty) exposures. */
function findEntry(entries: readonly CachedEntry[], result: EvaluationResult): string | undefined {
  for (const entry of entries) {
    if (
      entry.ruleID === result.ruleID &&
      entry.value === result.value &&
      entry.json === result.json &&
      entry.reason === result.reason &&
      entry.groupName === result.groupName &&
      entry.explicitParameters === result.explicitParameters &&
      entry.isExperimentGroup === result.isExperimentGroup &&
      entry.allocatedExperimentName === result.allocatedExperimentName
    ) {
      return entry.text;
    }
  }
  return undefined;
}

/**
 * `text` as one flat string. V8 keeps a concatenation as a tree of its parts (a rope) and
 * flattens it when the string is used whole (to measure or send the response), but a rope
 * inside another is walked again each time. Strings kept for reuse are flattened once.
 */
function flatten(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/** Keeps `written` (flattened) for `findEntry`; returns the flat text to use now. */
function rememberEntry(entries: CachedEntry[], result: EvaluationResult, written: string): string {
  if (entries.length >= CACHED_ENTRIES_PER_SLOT) return written;
  const text = flatten(written);
  entries.push({
    reason: result.reason,
    value: result.value,
    ruleID: result.ruleID,
    groupName: result.groupName,
    json: result.json,
    explicitParameters: result.explicitParameters,
    isExperimentGroup: result.isExperimentGroup,
    allocatedExperimentName: result.allocatedExperimentName,
    text,
  });
  return text;
}

interface GateSlot extends Slot {
  /** `,"id_type":<json>}` or `}` when the spec has no idType. */
  close: string;
}

interface ConfigSlot extends Slot {
  /** `,"id_type":<json>`. */
  idType: string;
  /** Entity `dynamic_config`: a `passed` flag. */
  isDynamicConfig: boolean;
  /** Any entity but `dynamic_config` and `autotune`: the experiment flags. */
  isExperiment: boolean;
  /** `true` / `false`. */
  isActive: string;
  /** The experiment has layer parameters (`hasSharedParams`): its value is merged over the layer's defaults. */
  layerDefault: { value: unknown } | undefined;
  /** Merged value JSON per experiment value object (values are frozen and shared across users). */
  merged: Map<object, string>;
}

/** What a layer's response says about the experiment it delegated a user to. */
interface Delegate {
  /** `,"allocated_experiment_name":<json>,"is_experiment_active":<bool>,"is_user_in_experiment":`. */
  text: string;
  /** The experiment's spec; absent from the DCS, the user is never "in" it. */
  experiment: Spec | undefined;
  /** `tryParametersJson(experiment.explicitParameters)`. */
  explicitParameters: string | undefined;
}

/** The `{}` an Unsupported result reports as its value (statsig-node's). */
const UNSUPPORTED_VALUE: object = Object.freeze({});

/** An ordinary object orders integer-like keys (array indices) first, ascending, as JSON.stringify then writes them. */
function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
}

/**
 * The entries of a response map in the order `JSON.stringify` writes an object built by
 * assigning them one by one (the object form, and statsig-node's): `object[key] = value`
 * keeps the first position of a key and the last value (names whose hashes collide),
 * integer-like keys (djb2 names) come first in numeric order, and `__proto__` sets the
 * prototype instead of a property, so it is not written.
 */
function orderLikeObject<T>(entries: Iterable<[string, T]>): [string, T][] {
  const byKey = new Map<string, T>();
  for (const [key, value] of entries) if (key !== '__proto__') byKey.set(key, value);
  const indices: [string, T][] = [];
  const others: [string, T][] = [];
  for (const entry of byKey) (isArrayIndex(entry[0]) ? indices : others).push(entry);
  indices.sort((a, b) => Number(a[0]) - Number(b[0]));
  return [...indices, ...others];
}

/** A spec's `explicitParameters` as the response lists them: `[...(value ?? [])]`, as JSON. */
function parametersJson(value: unknown): string {
  return JSON.stringify([...((value ?? []) as unknown[])]);
}

/**
 * `parametersJson`, or undefined when the spread throws (a non-iterable list): such a spec's
 * responses then fail at response time (as parametersJson again), not the whole writer.
 */
function tryParametersJson(value: unknown): string | undefined {
  try {
    return parametersJson(value);
  } catch {
    return undefined;
  }
}

class ResponseWriter {
  readonly gates: GateSlot[];
  readonly configs: ConfigSlot[];
  readonly layers: Slot[];
  /** The DCS `time` as JSON. */
  readonly time: string;
  /** JSON text of primitives (rule ids, group names) and of frozen values, by identity. */
  private readonly texts = new Map<unknown, string | undefined>();
  /** JSON of a gate name as it appears in the response (hashed or raw). */
  private readonly names = new Map<string, string>();
  private readonly delegates = new Map<string, Delegate>();
  private readonly index: SpecIndex;

  constructor(
    readonly specs: ConfigSpecs,
    readonly hash: InitializeHash,
  ) {
    this.index = indexSpecs(specs);
    this.time = JSON.stringify(typeof specs.time === 'number' ? specs.time : 0);
    const hashName = hash === 'djb2' ? djb2 : (name: string) => name;
    const slotsOf = (specsByName: Map<string, Spec>, keep: (spec: Spec) => boolean = () => true): Slot[] => {
      const keyed = [...specsByName]
        .filter(([, spec]) => keep(spec))
        .map(([name, spec]): [string, { name: string; spec: Spec }] => [hashName(name), { name, spec }]);
      return orderLikeObject(keyed).map(([key, { name, spec }], position) => {
        const quoted = JSON.stringify(key);
        return {
          name,
          spec,
          open: flatten(`${position === 0 ? '' : ','}${quoted}:{"name":${quoted},"value":`),
          deviceBased: flatten(`,"is_device_based":${isDeviceBased(spec)},"secondary_exposures":`),
          explicitParameters: tryParametersJson(spec.explicitParameters),
          entries: [],
        };
      });
    };
    this.gates = slotsOf(
      this.index.gates,
      (spec) => spec.entity !== 'segment' && spec.entity !== 'holdout',
    ).map((slot) => ({
      ...slot,
      close:
        slot.spec.idType === undefined ? '}' : flatten(`,"id_type":${JSON.stringify(slot.spec.idType)}}`),
    }));
    this.configs = slotsOf(this.index.configs).map((slot) => this.configSlot(slot));
    this.layers = slotsOf(this.index.layers);
  }

  private configSlot(slot: Slot): ConfigSlot {
    const { spec, name } = slot;
    const isExperiment = spec.entity !== 'dynamic_config' && spec.entity !== 'autotune';
    let layerDefault: ConfigSlot['layerDefault'];
    if (isExperiment && spec.hasSharedParams === true) {
      const layerName = this.index.experimentToLayer.get(name);
      const layer = layerName === undefined ? undefined : this.index.layers.get(layerName);
      layerDefault = { value: layer?.defaultValue };
    }
    return {
      ...slot,
      idType: flatten(`,"id_type":${JSON.stringify(spec.idType ?? null)}`),
      isDynamicConfig: spec.entity === 'dynamic_config',
      isExperiment,
      isActive: String(spec.isActive === true),
      layerDefault,
      merged: new Map(),
    };
  }

  gate(slot: GateSlot, result: EvaluationResult): string {
    const reusable = result.secondaryExposures.length === 0;
    const cached = reusable ? findEntry(slot.entries, result) : undefined;
    if (cached !== undefined) return cached;
    const value = result.reason === 'Unsupported' ? false : result.value;
    const text =
      `${slot.open}${value}${this.field(',"rule_id":', result.ruleID)}` +
      `,"secondary_exposures":${this.exposures(result.secondaryExposures)}${slot.close}`;
    return reusable ? rememberEntry(slot.entries, result, text) : text;
  }

  config(slot: ConfigSlot, result: EvaluationResult): string {
    const reusable = result.secondaryExposures.length === 0;
    const cached = reusable ? findEntry(slot.entries, result) : undefined;
    if (cached !== undefined) return cached;
    const text = this.writeConfig(slot, result);
    return reusable ? rememberEntry(slot.entries, result, text) : text;
  }

  layer(slot: Slot, result: EvaluationResult): string {
    const reusable =
      result.secondaryExposures.length === 0 && result.undelegatedSecondaryExposures.length === 0;
    const cached = reusable ? findEntry(slot.entries, result) : undefined;
    if (cached !== undefined) return cached;
    const text = this.writeLayer(slot, result);
    return reusable ? rememberEntry(slot.entries, result, text) : text;
  }

  private writeConfig(slot: ConfigSlot, result: EvaluationResult): string {
    const value = result.reason === 'Unsupported' ? UNSUPPORTED_VALUE : result.json;
    let out = `${slot.open}${slot.layerDefault ? this.mergedValue(slot, value) : this.text(value)}`;
    out += this.common(slot, result);
    // An experiment with layer parameters lists its own explicit parameters, wherever the key is.
    const explicit = slot.layerDefault
      ? (slot.explicitParameters ?? parametersJson(slot.spec.explicitParameters))
      : undefined;
    if (result.explicitParameters) {
      out += `,"explicit_parameters":${explicit ?? this.text(result.explicitParameters)}`;
    }
    out += slot.idType;
    if (slot.isDynamicConfig) out += `,"passed":${result.value === true}`;
    if (slot.isExperiment) {
      out += `,"is_user_in_experiment":${result.isExperimentGroup},"is_experiment_active":${slot.isActive}`;
      if (slot.layerDefault) {
        out += ',"is_in_layer":true';
        if (!result.explicitParameters) out += `,"explicit_parameters":${explicit}`;
      }
    }
    return `${out}}`;
  }

  private writeLayer(slot: Slot, result: EvaluationResult): string {
    const value = result.reason === 'Unsupported' ? UNSUPPORTED_VALUE : result.json;
    const name = result.allocatedExperimentName;
    // A delegated result is the experiment's own evaluation, so its flags describe the experiment.
    const delegate = name !== null && name !== '' ? this.delegate(name) : undefined;
    const explicit = delegate
      ? (delegate.explicitParameters ?? parametersJson(delegate.experiment?.explicitParameters))
      : (slot.explicitParameters ?? parametersJson(slot.spec.explicitParameters));
    let out = `${slot.open}${this.text(value)}${this.common(slot, result)}`;
    out += `,"explicit_parameters":${explicit}`;
    out += `,"undelegated_secondary_exposures":${this.exposures(result.undelegatedSecondaryExposures)}`;
    if (delegate) out += `${delegate.text}${delegate.experiment ? result.isExperimentGroup : false}`;
    return `${out}}`;
  }

  /** From `group` to `group_name`, shared by configs and layers. */
  private common(slot: Slot, result: EvaluationResult): string {
    let out =
      this.field(',"group":', result.ruleID) +
      this.field(',"rule_id":', result.ruleID) +
      `${slot.deviceBased}${this.exposures(result.secondaryExposures)}`;
    if (result.groupName !== null) out += this.field(',"group_name":', result.groupName);
    return out;
  }

  private delegate(name: string): Delegate {
    let delegate = this.delegates.get(name);
    if (!delegate) {
      const experiment = this.index.configs.get(name);
      delegate = {
        text: flatten(
          `,"allocated_experiment_name":${this.gateName(name)}` +
            `,"is_experiment_active":${experiment?.isActive === true},"is_user_in_experiment":`,
        ),
        experiment,
        explicitParameters: tryParametersJson(experiment?.explicitParameters),
      };
      this.delegates.set(name, delegate);
    }
    return delegate;
  }

  private mergedValue(slot: ConfigSlot, value: object): string {
    let text = slot.merged.get(value);
    if (text === undefined) {
      // The experiment's value over the layer's defaults: the client reads the layer's other
      // parameters from the experiment too.
      text = JSON.stringify({ ...(slot.layerDefault?.value as object), ...value });
      slot.merged.set(value, text);
    }
    return text;
  }

  private exposures(exposures: readonly SecondaryExposure[]): string {
    if (exposures.length === 0) return '[]';
    let out = '[';
    for (let i = 0; i < exposures.length; i++) {
      const exposure = exposures[i] as SecondaryExposure;
      out +=
        `${i === 0 ? '' : ','}{"gate":${this.gateName(exposure.gate)}` +
        `${this.field(',"gateValue":', exposure.gateValue)}${this.field(',"ruleID":', exposure.ruleID)}}`;
    }
    return `${out}]`;
  }

  /** A gate name as the response spells it: djb2-hashed (or raw), as JSON. */
  private gateName(name: string): string {
    let text = this.names.get(name);
    if (text === undefined) {
      text = JSON.stringify(this.hash === 'djb2' ? djb2(name) : name);
      this.names.set(name, text);
    }
    return text;
  }

  /** `prefix` and the value's JSON, or nothing for a value JSON leaves out (undefined). */
  private field(prefix: string, value: unknown): string {
    const text = this.text(value);
    return text === undefined ? '' : prefix + text;
  }

  /**
   * JSON text of a value repeated across users: rule ids, group names, and the frozen values and
   * parameter lists the evaluator hands out (one object per rule), so bounded by the DCS.
   */
  private text(value: unknown): string | undefined {
    let text = this.texts.get(value);
    if (text === undefined && !this.texts.has(value)) {
      text = JSON.stringify(value);
      this.texts.set(value, text);
    }
    return text;
  }
}

/** Writers per evaluator (their caches hold the evaluator's frozen values), per hash. */
const writers = new WeakMap<Evaluator, { specs: ConfigSpecs; byHash: Map<InitializeHash, ResponseWriter> }>();

function writerFor(specs: ConfigSpecs, evaluator: Evaluator, hash: InitializeHash): ResponseWriter {
  let entry = writers.get(evaluator);
  if (!entry || entry.specs !== specs) {
    entry = { specs, byHash: new Map() };
    writers.set(evaluator, entry);
  }
  let writer = entry.byHash.get(hash);
  if (!writer) {
    writer = new ResponseWriter(specs, hash);
    entry.byHash.set(hash, writer);
  }
  return writer;
}
