/**
 * OpenFeature web provider (`@switchyard/js/openfeature`).
 *
 * Flag keys:
 * - boolean flags are feature gates: `getBooleanValue('new_checkout', false)`;
 * - string, number and object flags read dynamic configs and experiments: the key
 *   `"<config>.<parameter>"` (split at the last dot) is one parameter, e.g.
 *   `getStringValue('checkout_button.color', 'grey')`; an object flag whose key names a config
 *   (`getObjectValue('pricing', {})`) is the config's whole value.
 *
 * The evaluation context becomes the user: `targetingKey` is the `userID`; `email`, `ip`,
 * `userAgent`, `country`, `locale`, `appVersion`, `customIDs`, `privateAttributes` and
 * `statsigEnvironment` keep their meaning; any other attribute goes into `custom`.
 */
import {
  ErrorCode,
  type EvaluationContext,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
  StandardResolutionReasons,
  type TrackingEventDetails,
} from '@openfeature/web-sdk';
import type { EvaluationReason, SwitchyardClient, SwitchyardUser } from './switchyard-client.js';

const USER_FIELDS = new Set([
  'email',
  'ip',
  'userAgent',
  'country',
  'locale',
  'appVersion',
  'customIDs',
  'privateAttributes',
  'statsigEnvironment',
  'custom',
]);

/**
 * The Switchyard user for an OpenFeature evaluation context.
 *
 * @example
 * contextToUser({ targetingKey: 'alice', plan: 'pro' }); // { userID: 'alice', custom: { plan: 'pro' } }
 */
export function contextToUser(context: EvaluationContext = {}): SwitchyardUser {
  const user: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (key === 'targetingKey') user.userID = value;
    else if (key === 'custom' && value && typeof value === 'object') Object.assign(custom, value);
    else if (USER_FIELDS.has(key)) user[key] = value;
    else custom[key] = value;
  }
  if (Object.keys(custom).length > 0) user.custom = custom;
  return user as SwitchyardUser;
}

type Resolved<T> = ResolutionDetails<T>;
type Found = { value: unknown; variant: string; reason: EvaluationReason; ruleID: string };

/**
 * OpenFeature's reason and error code for a Switchyard reason; `undefined` when values were found.
 */
function failure(reason: EvaluationReason): Pick<Resolved<never>, 'errorCode' | 'errorMessage'> | undefined {
  switch (reason) {
    case 'Unrecognized':
      return { errorCode: ErrorCode.FLAG_NOT_FOUND, errorMessage: 'no such flag for this user' };
    case 'InvalidValue':
      return { errorCode: ErrorCode.PARSE_ERROR, errorMessage: 'the value is malformed' };
    case 'Uninitialized':
    case 'Loading':
    case 'NetworkError':
      return { errorCode: ErrorCode.PROVIDER_NOT_READY, errorMessage: `no values (${reason})` };
    default:
      return undefined;
  }
}

/**
 * OpenFeature web provider backed by a `SwitchyardClient`: the client's values are read
 * synchronously, context changes become `updateUser`, and every change of values is emitted
 * as `ConfigurationChanged`.
 *
 * @example
 * await OpenFeature.setProviderAndWait(
 *   new SwitchyardWebProvider(new SwitchyardClient('client-…', { api: 'https://flags.example.com/v1' })),
 *   { targetingKey: 'alice' },
 * );
 * OpenFeature.getClient().getBooleanValue('new_checkout', false);
 */
export class SwitchyardWebProvider implements Provider {
  readonly metadata = { name: 'switchyard' } as const;
  readonly runsOn = 'client' as const;
  readonly events = new OpenFeatureEventEmitter();
  private unsubscribe: (() => void) | undefined;

  constructor(readonly client: SwitchyardClient) {}

  async initialize(context?: EvaluationContext): Promise<void> {
    this.unsubscribe ??= this.client.subscribe(() => {
      if (this.client.getValues()) this.events.emit(ProviderEvents.ConfigurationChanged);
    });
    await this.client.initialize(contextToUser(context));
    // OpenFeature marks the provider as errored; values arriving later emit ConfigurationChanged.
    if (!this.client.getValues()) throw new Error(`switchyard: no values (${this.client.details.source})`);
  }

  async onContextChange(_old: EvaluationContext, next: EvaluationContext): Promise<void> {
    await this.client.updateUser(contextToUser(next));
  }

  async onClose(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.client.shutdown();
  }

  track(name: string, _context: EvaluationContext, details?: TrackingEventDetails): void {
    const { value, ...rest } = details ?? {};
    const metadata = Object.fromEntries(
      Object.entries(rest).map(([key, field]) => [
        key,
        typeof field === 'string' ? field : JSON.stringify(field),
      ]),
    );
    this.client.logEvent(name, value ?? null, metadata);
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): Resolved<boolean> {
    const gate = this.client.getGate(flagKey);
    return this.resolve(defaultValue, {
      value: gate.value,
      variant: String(gate.value),
      reason: gate.reason,
      ruleID: gate.ruleID,
    });
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string): Resolved<string> {
    return this.resolve(defaultValue, this.parameter(flagKey, false));
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number): Resolved<number> {
    return this.resolve(defaultValue, this.parameter(flagKey, false));
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): Resolved<T> {
    return this.resolve(defaultValue, this.parameter(flagKey, true));
  }

  /** `<config>.<parameter>`, or the whole config for object flags naming one. */
  private parameter(flagKey: string, whole: boolean): Found {
    const dot = flagKey.lastIndexOf('.');
    if (whole && (dot < 0 || Object.hasOwn(this.client.getValues()?.dynamic_configs ?? {}, flagKey))) {
      const config = this.client.getConfig(flagKey);
      return {
        value: config.value,
        variant: config.groupName ?? config.ruleID,
        reason: config.reason,
        ruleID: config.ruleID,
      };
    }
    if (dot < 0) return { value: undefined, variant: '', reason: 'Unrecognized', ruleID: '' };
    const config = this.client.getConfig(flagKey.slice(0, dot));
    const parameter = flagKey.slice(dot + 1);
    const known = Object.hasOwn(config.value, parameter);
    return {
      value: config.value[parameter],
      variant: config.groupName ?? config.ruleID,
      // A config that exists without the parameter: the flag (config and parameter) is unknown.
      reason: known || failure(config.reason) ? config.reason : 'Unrecognized',
      ruleID: config.ruleID,
    };
  }

  private resolve<T>(defaultValue: T, found: Found): Resolved<T> {
    const flagMetadata = { ruleID: found.ruleID, switchyardReason: found.reason };
    const error = failure(found.reason);
    if (error)
      return { value: defaultValue, reason: StandardResolutionReasons.ERROR, flagMetadata, ...error };
    const { value } = found;
    const sameType =
      typeof value === typeof defaultValue &&
      value !== null &&
      Array.isArray(value) === Array.isArray(defaultValue);
    if (!sameType) {
      return {
        value: defaultValue,
        reason: StandardResolutionReasons.ERROR,
        flagMetadata,
        errorCode: ErrorCode.TYPE_MISMATCH,
        errorMessage: `the value is ${value === null ? 'null' : typeof value}`,
      };
    }
    return {
      value: value as T,
      variant: found.variant,
      reason:
        found.reason === 'Cache'
          ? StandardResolutionReasons.CACHED
          : StandardResolutionReasons.TARGETING_MATCH,
      flagMetadata,
    };
  }
}
