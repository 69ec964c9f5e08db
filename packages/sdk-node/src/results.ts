import type { SecondaryExposure } from '@switchyard/core';

/**
 * Why a result has its value. The first three say where the deciding configuration came from
 * (Statsig's SDKs say `Network` and `Bootstrap` the same way); the rest say why no rule decided.
 *
 * @example
 * sdk.getFeatureGate(user, 'x').evaluationDetails.reason === EVALUATION_REASONS.unrecognized;
 */
export const EVALUATION_REASONS = {
  /** Evaluated on the configuration downloaded from the server. */
  network: 'Network',
  /** Evaluated on the configuration read from `cacheFile` (server unreachable at start). */
  cache: 'Cache',
  /** Evaluated on the `bootstrap` configuration (server unreachable at start). */
  bootstrap: 'Bootstrap',
  /** A local override (`overrideGate`, `overrideConfig`, `overrideLayer`). */
  localOverride: 'LocalOverride',
  /** No gate, config or layer of that name in the configuration. */
  unrecognized: 'Unrecognized',
  /** The spec uses a condition type or operator this SDK does not know: false / default, as in Statsig. */
  unsupported: 'Unsupported',
  /** The spec could not be compiled; its default is returned. */
  invalidSpec: 'InvalidSpec',
  /** No configuration at all yet (server unreachable, no cache, no bootstrap). */
  uninitialized: 'Uninitialized',
  /** The call itself was unusable: no user ID or custom ID, or an empty name. */
  invalidArgument: 'InvalidArgument',
  /** Evaluation failed unexpectedly (e.g. gates referencing each other in a cycle). */
  error: 'Error',
} as const;

export type EvaluationReason = (typeof EVALUATION_REASONS)[keyof typeof EVALUATION_REASONS];

/**
 * Where a result came from and when.
 *
 * @example
 * const { reason, revision } = sdk.getConfig(user, 'checkout').evaluationDetails; // 'Network', 42
 */
export interface EvaluationDetails {
  reason: EvaluationReason;
  /** The DCS `time` of the configuration evaluated (ms; 0 when none). */
  configSyncTime: number;
  /** When `init` finished (ms). */
  initTime: number;
  /** When this evaluation ran (ms). */
  serverTime: number;
  /** The server's configuration revision evaluated, when known. */
  revision: number | null;
  /** More about an `Unsupported`, `InvalidSpec`, `InvalidArgument` or `Error` reason. */
  detail?: string;
}

/**
 * A gate's answer with why.
 *
 * @example
 * const { value, ruleID } = sdk.getFeatureGate({ userID: 'u-42' }, 'new_checkout');
 */
export interface FeatureGate {
  readonly name: string;
  readonly value: boolean;
  /** The deciding rule's id, `default` (no rule matched), `disabled` (kill switch), `override`, or `""`. */
  readonly ruleID: string;
  readonly groupName: string | null;
  readonly idType: string | null;
  readonly evaluationDetails: EvaluationDetails;
  /** Gates consulted on the way (holdouts, prerequisites), as logged with the exposure. */
  readonly secondaryExposures: readonly SecondaryExposure[];
}

/** What configs, experiments and layers share. */
interface ValueFields {
  name: string;
  value: Readonly<Record<string, unknown>>;
  ruleID: string;
  groupName: string | null;
  idType: string | null;
  evaluationDetails: EvaluationDetails;
  secondaryExposures: readonly SecondaryExposure[];
}

export interface DynamicConfigFields extends ValueFields {
  /** Whether the deciding rule passed (its value is served); false means the default value. */
  rulePassed: boolean;
  /** Experiments: the user is in the experiment (the deciding rule is an experiment group). */
  isExperimentGroup: boolean;
}

export interface LayerFields extends ValueFields {
  /** Whether the deciding rule passed (for a delegated layer: the experiment's rule). */
  rulePassed: boolean;
  allocatedExperimentName: string | null;
  undelegatedSecondaryExposures: readonly SecondaryExposure[];
  explicitParameters: readonly string[] | null;
}

/** Type guard accepted by `get` for shapes `typeof` cannot tell apart. */
export type TypeGuard<T> = (value: unknown) => value is T;

/**
 * Statsig's typed lookup: the stored value when it has the default's type (arrays and objects
 * told apart), the default otherwise; with a null or undefined default, whatever is stored.
 */
function typedValue<T>(
  source: Readonly<Record<string, unknown>>,
  key: string,
  defaultValue: T,
  typeGuard: TypeGuard<T> | undefined,
): { found: boolean; value: T } {
  const stored = typeof key === 'string' && Object.hasOwn(source, key) ? source[key] : undefined;
  if (stored === undefined || stored === null) return { found: false, value: defaultValue };
  if (typeGuard)
    return typeGuard(stored) ? { found: true, value: stored } : { found: false, value: defaultValue };
  if (defaultValue === undefined || defaultValue === null) return { found: true, value: stored as T };
  if (typeof stored === typeof defaultValue && Array.isArray(stored) === Array.isArray(defaultValue)) {
    return { found: true, value: stored as T };
  }
  return { found: false, value: defaultValue };
}

/**
 * Makes a value read-only all the way down, once: results share the compiled configuration's
 * objects (no copy per call), so a caller mutating one would otherwise change what every later
 * evaluation returns.
 */
export function freezeDeep<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) freezeDeep(child);
  return value;
}

/**
 * A dynamic config or experiment for one user.
 *
 * @example
 * const config = sdk.getConfig({ userID: 'u1' }, 'checkout');
 * const color = config.get('button_color', 'blue'); // 'blue' unless the config says otherwise
 */
export class DynamicConfig implements DynamicConfigFields {
  readonly name: string;
  readonly value: Readonly<Record<string, unknown>>;
  readonly ruleID: string;
  readonly groupName: string | null;
  readonly idType: string | null;
  readonly rulePassed: boolean;
  readonly isExperimentGroup: boolean;
  readonly evaluationDetails: EvaluationDetails;
  readonly secondaryExposures: readonly SecondaryExposure[];

  constructor(fields: DynamicConfigFields) {
    this.name = fields.name;
    this.value = freezeDeep(fields.value);
    this.ruleID = fields.ruleID;
    this.groupName = fields.groupName;
    this.idType = fields.idType;
    this.rulePassed = fields.rulePassed;
    this.isExperimentGroup = fields.isExperimentGroup;
    this.evaluationDetails = fields.evaluationDetails;
    this.secondaryExposures = fields.secondaryExposures;
  }

  /**
   * The parameter `key` when it has `defaultValue`'s type, else `defaultValue`.
   *
   * @example
   * config.get('max_items', 10); // a number from the config, or 10
   */
  get<T>(key: string, defaultValue: T, typeGuard?: TypeGuard<T>): T {
    try {
      return typedValue(this.value, key, defaultValue, typeGuard).value;
    } catch {
      return defaultValue;
    }
  }
}

/**
 * A layer for one user. Reading a parameter with `get` logs a layer exposure for it (Statsig
 * counts a user in an experiment only for the parameters actually read); `value` does not.
 *
 * @example
 * const layer = sdk.getLayer({ userID: 'u1' }, 'checkout_layer');
 * layer.get('button_text', 'Buy'); // logs statsig::layer_exposure for button_text
 */
export class Layer implements LayerFields {
  readonly name: string;
  /** Every parameter; reading it here logs no exposure (prefer `get`). */
  readonly value: Readonly<Record<string, unknown>>;
  readonly ruleID: string;
  readonly groupName: string | null;
  readonly idType: string | null;
  readonly rulePassed: boolean;
  readonly allocatedExperimentName: string | null;
  readonly explicitParameters: readonly string[] | null;
  readonly evaluationDetails: EvaluationDetails;
  readonly secondaryExposures: readonly SecondaryExposure[];
  readonly undelegatedSecondaryExposures: readonly SecondaryExposure[];
  private readonly onRead: ((layer: Layer, parameter: string) => void) | null;

  constructor(fields: LayerFields, onRead: ((layer: Layer, parameter: string) => void) | null) {
    this.name = fields.name;
    this.value = freezeDeep(fields.value);
    this.ruleID = fields.ruleID;
    this.groupName = fields.groupName;
    this.idType = fields.idType;
    this.rulePassed = fields.rulePassed;
    this.allocatedExperimentName = fields.allocatedExperimentName;
    this.explicitParameters = fields.explicitParameters;
    this.evaluationDetails = fields.evaluationDetails;
    this.secondaryExposures = fields.secondaryExposures;
    this.undelegatedSecondaryExposures = fields.undelegatedSecondaryExposures;
    this.onRead = onRead;
  }

  /** The parameter `key` when it has `defaultValue`'s type (logging its exposure), else `defaultValue`. */
  get<T>(key: string, defaultValue: T, typeGuard?: TypeGuard<T>): T {
    try {
      const result = typedValue(this.value, key, defaultValue, typeGuard);
      if (result.found) this.onRead?.(this, key);
      return result.value;
    } catch {
      return defaultValue;
    }
  }
}
