import {
  ErrorCode,
  type EvaluationContext,
  type FlagMetadata,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
  StandardResolutionReasons,
  type TrackingEventDetails,
} from '@openfeature/server-sdk';
import type { SwitchyardOptions } from './options.js';
import { EVALUATION_REASONS, type EvaluationDetails, Layer } from './results.js';
import { Switchyard } from './switchyard.js';
import { isIdentifiable, type SwitchyardUser } from './user.js';

/**
 * Flag keys starting with this read a layer parameter: `layer:<layer>.<parameter>`.
 *
 * @example
 * await client.getStringValue(`${LAYER_KEY_PREFIX}checkout_layer.title`, 'Buy', { targetingKey: 'u-42' });
 */
export const LAYER_KEY_PREFIX = 'layer:';

export interface SwitchyardProviderOptions {
  /** Log exposures for evaluations made through OpenFeature. Default true. */
  exposureLogging?: boolean;
}

/** Statsig user fields read from the evaluation context; every other attribute goes to `custom`. */
const USER_FIELDS = ['email', 'ip', 'userAgent', 'country', 'locale', 'appVersion'] as const;

/** OpenFeature values are JSON plus Dates; Statsig's time operators compare epoch milliseconds. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
  }
  return value;
}

/**
 * The Statsig user for an evaluation context: `targetingKey` (or `userID`) is the userID;
 * `customIDs`, `custom`, `privateAttributes`, `statsigEnvironment` and the user fields (`email`,
 * `ip`, `userAgent`, `country`, `locale`, `appVersion`) map to themselves; any other attribute
 * joins `custom`.
 *
 * @example
 * userFromContext({ targetingKey: 'u-42', plan: 'pro' }); // { userID: 'u-42', custom: { plan: 'pro' } }
 */
export function userFromContext(context: EvaluationContext): SwitchyardUser {
  const user: SwitchyardUser = {};
  const custom: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(context ?? {})) {
    const value = plain(raw);
    if (key === 'targetingKey' || key === 'userID') {
      if (typeof value === 'string' || typeof value === 'number') user.userID ??= value;
    } else if (key === 'customIDs' || key === 'privateAttributes' || key === 'statsigEnvironment') {
      if (typeof value === 'object' && value !== null) user[key] = value as Record<string, unknown>;
    } else if (key === 'custom') {
      if (typeof value === 'object' && value !== null) Object.assign(custom, value);
    } else if ((USER_FIELDS as readonly string[]).includes(key)) {
      if (value !== undefined && value !== null) user[key] = String(value);
    } else {
      custom[key] = value;
    }
  }
  if (typeof context?.targetingKey === 'string') user.userID = context.targetingKey;
  if (Object.keys(custom).length > 0) user.custom = custom;
  return user;
}

type ValueType = 'string' | 'number' | 'object';

function hasType(value: unknown, type: ValueType): boolean {
  if (type === 'object') return typeof value === 'object' && value !== null;
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  return typeof value === 'string';
}

function metadataOf(
  ruleID: string,
  details: EvaluationDetails,
  extra: Record<string, string | null | undefined> = {},
): FlagMetadata {
  const metadata: Record<string, string | number> = { ruleID, source: details.reason };
  if (details.revision !== null) metadata.revision = details.revision;
  for (const [key, value] of Object.entries(extra)) if (typeof value === 'string') metadata[key] = value;
  return metadata;
}

/** The OpenFeature reason for a decided value (errors are handled before). */
function reasonFor(ruleID: string, details: EvaluationDetails, groupName: string | null): string {
  if (details.reason === EVALUATION_REASONS.localOverride) return StandardResolutionReasons.STATIC;
  if (ruleID === 'disabled') return StandardResolutionReasons.DISABLED;
  if (ruleID === 'default') return StandardResolutionReasons.DEFAULT;
  // An experiment group: the value came from a random (sticky) split.
  if (groupName !== null) return StandardResolutionReasons.SPLIT;
  return StandardResolutionReasons.TARGETING_MATCH;
}

/** The error an evaluation reason stands for, if any. */
function errorFor(details: EvaluationDetails): { errorCode: ErrorCode; errorMessage: string } | undefined {
  const message = details.detail ?? details.reason;
  switch (details.reason) {
    case EVALUATION_REASONS.uninitialized:
      return { errorCode: ErrorCode.PROVIDER_NOT_READY, errorMessage: 'no configuration yet' };
    case EVALUATION_REASONS.unrecognized:
      return { errorCode: ErrorCode.FLAG_NOT_FOUND, errorMessage: 'not in the configuration' };
    case EVALUATION_REASONS.invalidSpec:
      return { errorCode: ErrorCode.PARSE_ERROR, errorMessage: message };
    case EVALUATION_REASONS.invalidArgument:
      return { errorCode: ErrorCode.INVALID_CONTEXT, errorMessage: message };
    case EVALUATION_REASONS.unsupported:
    case EVALUATION_REASONS.error:
      return { errorCode: ErrorCode.GENERAL, errorMessage: message };
    default:
      return undefined;
  }
}

function failure<T>(value: T, errorCode: ErrorCode, errorMessage: string): ResolutionDetails<T> {
  return { value, reason: StandardResolutionReasons.ERROR, errorCode, errorMessage };
}

/**
 * An OpenFeature server provider on the Switchyard SDK.
 *
 * Flag keys:
 * - boolean flags are feature gates: `new_checkout`;
 * - string, number and object flags are dynamic config (or experiment) parameters:
 *   `<config>.<parameter>` (config names may contain dots: the longest defined config name
 *   wins); an object flag without a parameter (`<config>`) is the whole value;
 * - `layer:<layer>.<parameter>` reads a layer parameter (logging its layer exposure);
 * - a boolean flag that is not a gate is read as a boolean config parameter.
 *
 * Reasons: the kill switch is DISABLED, no matching rule DEFAULT, an experiment group SPLIT,
 * another rule TARGETING_MATCH, an override STATIC. Unknown keys are FLAG_NOT_FOUND, a value of
 * another type TYPE_MISMATCH, a context without `targetingKey`/`userID`/`customIDs`
 * TARGETING_KEY_MISSING, no configuration yet PROVIDER_NOT_READY. Each configuration update
 * emits ConfigurationChanged with the changed gate, config and `layer:` names.
 *
 * @example
 * import { OpenFeature } from '@openfeature/server-sdk';
 * import { SwitchyardProvider } from '@switchyard/node/openfeature';
 *
 * await OpenFeature.setProviderAndWait(new SwitchyardProvider({ serverKey, url }));
 * const client = OpenFeature.getClient();
 * await client.getBooleanValue('new_checkout', false, { targetingKey: 'u-42' });
 * await client.getNumberValue('checkout.max_items', 10, { targetingKey: 'u-42' });
 */
export class SwitchyardProvider implements Provider {
  readonly metadata = { name: 'switchyard' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private sdk: Switchyard | undefined;
  private readonly ownsSdk: boolean;
  private readonly initOptions: SwitchyardOptions | undefined;
  private readonly exposureLogging: boolean;
  private unsubscribe: (() => void) | undefined;

  /** Wraps a running SDK (which the caller shuts down), or starts one from options (shut down in `onClose`). */
  constructor(sdkOrOptions: Switchyard | SwitchyardOptions, options: SwitchyardProviderOptions = {}) {
    if (sdkOrOptions instanceof Switchyard) {
      this.sdk = sdkOrOptions;
      this.ownsSdk = false;
    } else {
      this.initOptions = sdkOrOptions;
      this.ownsSdk = true;
    }
    this.exposureLogging = options.exposureLogging !== false;
  }

  /** The SDK underneath (after `initialize` when the provider started it). */
  get client(): Switchyard | undefined {
    return this.sdk;
  }

  async initialize(): Promise<void> {
    if (!this.sdk && this.initOptions) this.sdk = await Switchyard.init(this.initOptions);
    const sdk = this.sdk;
    if (!sdk) throw new Error('switchyard: no SDK to initialize');
    this.unsubscribe?.();
    let ready = sdk.stats().source !== 'none';
    this.unsubscribe = sdk.onConfigChange((change) => {
      if (!ready) {
        ready = true;
        this.events.emit(ProviderEvents.Ready, { message: 'configuration received' });
      }
      const { gates, configs, layers } = change.changed;
      this.events.emit(ProviderEvents.ConfigurationChanged, {
        flagsChanged: [...gates, ...configs, ...layers.map((name) => `${LAYER_KEY_PREFIX}${name}`)],
        metadata: { ...(change.revision !== null && { revision: change.revision }), source: change.source },
      });
    });
    // Nothing to serve (server unreachable, no cache, no bootstrap): report it; a later
    // configuration emits Ready.
    if (!ready) {
      throw new Error(`switchyard: no configuration (${sdk.initDetails.error?.message ?? 'unknown reason'})`);
    }
  }

  async onClose(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.ownsSdk) await this.sdk?.shutdown();
  }

  async resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    try {
      const ready = this.ready(defaultValue, context);
      if (!ready.ok) return ready.details;
      const { sdk, user } = ready;
      if (!sdk.hasGate(flagKey) && this.configKey(sdk, flagKey)) {
        return this.resolveParameter(sdk, user, flagKey, defaultValue, 'boolean');
      }
      const gate = sdk.getFeatureGate(user, flagKey, { disableExposureLogging: !this.exposureLogging });
      const error = errorFor(gate.evaluationDetails);
      if (error)
        return {
          ...failure(defaultValue, error.errorCode, error.errorMessage),
          flagMetadata: metadataOf(gate.ruleID, gate.evaluationDetails),
        };
      return {
        value: gate.value,
        variant: String(gate.value),
        reason: reasonFor(gate.ruleID, gate.evaluationDetails, null),
        flagMetadata: metadataOf(gate.ruleID, gate.evaluationDetails),
      };
    } catch (error) {
      return failure(defaultValue, ErrorCode.GENERAL, (error as Error).message);
    }
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext) {
    return this.resolveTyped(flagKey, defaultValue, context, 'string');
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext) {
    return this.resolveTyped(flagKey, defaultValue, context, 'number');
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext) {
    return this.resolveTyped(flagKey, defaultValue, context, 'object');
  }

  /** `track(name, context, { value, ...metadata })` logs a custom event. */
  track(trackingEventName: string, context: EvaluationContext, details: TrackingEventDetails = {}): void {
    try {
      if (!this.sdk) return;
      const { value, ...metadata } = details;
      this.sdk.logEvent(
        userFromContext(context),
        trackingEventName,
        value ?? null,
        plain(metadata) as Record<string, unknown>,
      );
    } catch {
      // Tracking never fails the caller.
    }
  }

  private async resolveTyped<T>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
    type: ValueType,
  ): Promise<ResolutionDetails<T>> {
    try {
      const ready = this.ready(defaultValue, context);
      if (!ready.ok) return ready.details;
      return this.resolveParameter(ready.sdk, ready.user, flagKey, defaultValue, type);
    } catch (error) {
      return failure(defaultValue, ErrorCode.GENERAL, (error as Error).message);
    }
  }

  private ready<T>(
    defaultValue: T,
    context: EvaluationContext,
  ): { ok: true; sdk: Switchyard; user: SwitchyardUser } | { ok: false; details: ResolutionDetails<T> } {
    const sdk = this.sdk;
    if (!sdk) {
      return {
        ok: false,
        details: failure(defaultValue, ErrorCode.PROVIDER_NOT_READY, 'the provider is not initialized'),
      };
    }
    const user = userFromContext(context);
    if (!isIdentifiable(user)) {
      return {
        ok: false,
        details: failure(
          defaultValue,
          ErrorCode.TARGETING_KEY_MISSING,
          'the context needs a targetingKey, userID or customIDs',
        ),
      };
    }
    return { ok: true, sdk, user };
  }

  /** `<config>.<parameter>` split at the longest defined config name; `<config>` alone has no parameter. */
  private configKey(sdk: Switchyard, key: string): { name: string; parameter: string | null } | undefined {
    if (sdk.hasConfig(key)) return { name: key, parameter: null };
    for (let dot = key.lastIndexOf('.'); dot > 0; dot = key.lastIndexOf('.', dot - 1)) {
      const name = key.slice(0, dot);
      if (sdk.hasConfig(name)) return { name, parameter: key.slice(dot + 1) };
    }
    return undefined;
  }

  private layerKey(sdk: Switchyard, key: string): { name: string; parameter: string | null } | undefined {
    const rest = key.slice(LAYER_KEY_PREFIX.length);
    if (sdk.hasLayer(rest)) return { name: rest, parameter: null };
    for (let dot = rest.lastIndexOf('.'); dot > 0; dot = rest.lastIndexOf('.', dot - 1)) {
      const name = rest.slice(0, dot);
      if (sdk.hasLayer(name)) return { name, parameter: rest.slice(dot + 1) };
    }
    return undefined;
  }

  private resolveParameter<T>(
    sdk: Switchyard,
    user: SwitchyardUser,
    flagKey: string,
    defaultValue: T,
    type: ValueType | 'boolean',
  ): ResolutionDetails<T> {
    const isLayer = flagKey.startsWith(LAYER_KEY_PREFIX);
    const key = isLayer ? this.layerKey(sdk, flagKey) : this.configKey(sdk, flagKey);
    if (!key) {
      return sdk.stats().source === 'none'
        ? failure(defaultValue, ErrorCode.PROVIDER_NOT_READY, 'no configuration yet')
        : failure(
            defaultValue,
            ErrorCode.FLAG_NOT_FOUND,
            `no ${isLayer ? 'layer' : 'config'} for "${flagKey}"`,
          );
    }
    const noExposure = { disableExposureLogging: !this.exposureLogging };
    const entity = isLayer
      ? sdk.getLayer(user, key.name, noExposure)
      : sdk.getConfig(user, key.name, noExposure);
    const details = entity.evaluationDetails;
    const extra = {
      groupName: entity.groupName,
      ...(entity instanceof Layer && { allocatedExperiment: entity.allocatedExperimentName }),
    };
    const flagMetadata = metadataOf(entity.ruleID, details, extra);
    const error = errorFor(details);
    if (error) return { ...failure(defaultValue, error.errorCode, error.errorMessage), flagMetadata };
    const value = key.parameter === null ? entity.value : entity.value[key.parameter];
    if (value === undefined || value === null) {
      // The config has no such parameter for this user (e.g. its default value lacks it).
      return { value: defaultValue, reason: StandardResolutionReasons.DEFAULT, flagMetadata };
    }
    const typeOk = type === 'boolean' ? typeof value === 'boolean' : hasType(value, type);
    if (!typeOk) {
      return {
        ...failure(
          defaultValue,
          ErrorCode.TYPE_MISMATCH,
          `"${flagKey}" is ${Array.isArray(value) ? 'array' : typeof value}, not ${type}`,
        ),
        flagMetadata,
      };
    }
    // A layer exposure is logged per parameter read, as Statsig counts them.
    if (entity instanceof Layer && key.parameter !== null) entity.get(key.parameter, value);
    return {
      value: value as T,
      variant: entity.groupName ?? entity.ruleID,
      reason: reasonFor(entity.ruleID, details, entity.groupName),
      flagMetadata,
    };
  }
}
