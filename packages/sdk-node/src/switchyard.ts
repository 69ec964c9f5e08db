import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { ConfigSpecs, EvaluationResult, SecondaryExposure } from '@switchyard/core';
import { readCacheFile, writeCacheFile } from './cache-file.js';
import { ConfigSync, SYNC_MODES, type SyncMode } from './config-sync.js';
import { ERROR_CODES, SwitchyardError, toSwitchyardError } from './errors.js';
import { EventLogger, type LogEvent, type SendOutcome } from './event-logger.js';
import { HttpClient } from './http-client.js';
import { IdListSync } from './id-list-sync.js';
import { IdListStore } from './id-lists.js';
import { type ResolvedOptions, resolveOptions, type SwitchyardOptions } from './options.js';
import { Overrides } from './overrides.js';
import {
  DynamicConfig,
  EVALUATION_REASONS,
  type EvaluationDetails,
  type EvaluationReason,
  type FeatureGate,
  Layer,
} from './results.js';
import {
  CONFIG_SOURCES,
  type ConfigChange,
  type ConfigSource,
  parseConfigSpecs,
  SpecStore,
} from './spec-store.js';
import { eventUser, isIdentifiable, type SwitchyardUser, unitKey } from './user.js';
import { SDK_TYPE, SDK_VERSION } from './version.js';

const gzip = promisify(gzipCallback);

const EXPOSURE_EVENTS = {
  gate: 'statsig::gate_exposure',
  config: 'statsig::config_exposure',
  layer: 'statsig::layer_exposure',
} as const;

/**
 * What `init` ended up with. `init` resolves in every case; this says what is being served and why.
 *
 * @example
 * const { source, error } = sdk.initDetails; // 'cache', SwitchyardError { code: 'network' }
 */
export interface InitDetails {
  /** Where the served configuration came from. */
  source: ConfigSource;
  /** Why it is not the server's (unreachable, timeout, refused key, ...), or another start-up problem. */
  error?: SwitchyardError;
  /** How long `init` took (ms). */
  durationMs: number;
  revision: number | null;
  /** The DCS `time` of the served configuration (ms; 0 when none). */
  time: number;
}

/**
 * A snapshot of the SDK's health, for dashboards and tests.
 *
 * @example
 * metrics.gauge('switchyard_dropped_events', sdk.stats().droppedEvents);
 */
export interface SwitchyardStats {
  mode: SyncMode;
  source: ConfigSource;
  /** The server's revision held, when known (polled configurations carry none). */
  revision: number | null;
  /** The DCS `time` of the held configuration (ms). */
  time: number;
  /** When the server last confirmed the held configuration is current (ms; 0 = never). */
  syncedAt: number;
  /** Times the stream was lost after being connected. */
  reconnects: number;
  lastError: string | undefined;
  /** ID lists held. */
  idLists: number;
  queuedEvents: number;
  sentEvents: number;
  /** Events lost: pushed out of a full queue, refused by the server, or out of retries. */
  droppedEvents: number;
  failedPosts: number;
}

/**
 * Per-call options of the evaluation methods.
 *
 * @example
 * sdk.checkGate(user, 'new_checkout', { disableExposureLogging: true });
 */
export interface EvaluationOptions {
  /** Do not log this call's exposure (e.g. evaluating for a debug page). */
  disableExposureLogging?: boolean;
}

type Kind = 'gate' | 'config' | 'layer';

/** An evaluation's outcome before it becomes a public result. */
interface Outcome {
  result: EvaluationResult;
  reason: EvaluationReason;
  detail?: string;
}

const SOURCE_REASONS: Record<ConfigSource, EvaluationReason> = {
  network: EVALUATION_REASONS.network,
  cache: EVALUATION_REASONS.cache,
  bootstrap: EVALUATION_REASONS.bootstrap,
  none: EVALUATION_REASONS.uninitialized,
};

const NO_EXPOSURES: readonly SecondaryExposure[] = Object.freeze([]);
/**
 * sdk_status reports go out at a random point of this window after each update (ms): not in
 * the first 200 ms, while the change is still being pushed to the rest of the fleet (a report
 * then competes for the server, and for the host's CPU where instances share one, with the
 * delivery it reports on), and by one second.
 */
const STATUS_WINDOW_MS = { from: 200, to: 1_000 } as const;
const EMPTY_VALUE: Readonly<Record<string, unknown>> = Object.freeze({});

/** A result standing for "no evaluation happened" (bad input, override, internal error). */
function blankResult(
  name: string,
  ruleID: string,
  value: boolean,
  json: Record<string, unknown>,
): EvaluationResult {
  return {
    name,
    value,
    ruleID,
    groupName: null,
    json,
    idType: null,
    secondaryExposures: [],
    undelegatedSecondaryExposures: [],
    allocatedExperimentName: null,
    explicitParameters: null,
    isExperimentGroup: false,
    configVersion: null,
    reason: 'Evaluated',
  };
}

/** JSON for a batch; events that cannot be serialised (cycles) are left out and counted. */
function serialiseEvents(
  events: LogEvent[],
  metadata: Record<string, unknown>,
): { body: string; skipped: number } {
  const replacer = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);
  try {
    return { body: JSON.stringify({ events, statsigMetadata: metadata }, replacer), skipped: 0 };
  } catch {
    const parts: string[] = [];
    for (const event of events) {
      try {
        parts.push(JSON.stringify(event, replacer));
      } catch {
        // Left out below.
      }
    }
    return {
      body: `{"events":[${parts.join(',')}],"statsigMetadata":${JSON.stringify(metadata)}}`,
      skipped: events.length - parts.length,
    };
  }
}

/**
 * The Switchyard server SDK: evaluates gates, dynamic configs, experiments and layers locally
 * with `@switchyard/core`, follows the server's changes over `/v1/stream` (polling when it must),
 * and logs exposures in Statsig's format. No method throws: problems return defaults with a
 * reason and go to `onError`.
 *
 * @example
 * import { Switchyard } from '@switchyard/node';
 *
 * const sdk = await Switchyard.init({ serverKey: 'secret-...', url: 'http://localhost:8080' });
 * if (sdk.checkGate({ userID: 'u-42' }, 'new_checkout')) showNewCheckout();
 * await sdk.shutdown();
 */
export class Switchyard {
  /** What `init` ended up with (set when `init` resolves). */
  initDetails: InitDetails = { source: CONFIG_SOURCES.none, durationMs: 0, revision: null, time: 0 };
  /** Random per instance; reported in `sdk_status` and as the event batches' session id. */
  readonly instanceId = randomUUID();

  private readonly options: ResolvedOptions;
  private readonly http = new HttpClient();
  private readonly idLists = new IdListStore();
  private readonly store: SpecStore;
  private readonly logger: EventLogger;
  private readonly gateOverrides = new Overrides<boolean>();
  private readonly configOverrides = new Overrides<Record<string, unknown>>();
  private readonly layerOverrides = new Overrides<Record<string, unknown>>();
  private readonly listeners = new Set<(change: ConfigChange) => void>();
  private sync: ConfigSync | undefined;
  private idListSync: IdListSync | undefined;
  private idListTimer: NodeJS.Timeout | undefined;
  private initTime = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly exposuresOn: boolean;
  private readonly eventsOn: boolean;
  private cacheWrite: Promise<void> | undefined;
  private cacheDirty = false;
  private statusInFlight = false;
  /** The next sdk_status to send: a revision and since when it is served (`performance.now()` ms). */
  private statusPending: { revision: number; servingSince: number } | null = null;

  /**
   * Starts an SDK and waits for its first configuration: from the server, or (when it cannot be
   * reached within `initTimeoutMs`) from `cacheFile` or `bootstrap`. Never rejects; see
   * `initDetails` for what is being served and why.
   *
   * @example
   * const sdk = await Switchyard.init({ serverKey: 'secret-...', url: 'http://localhost:8080' });
   * sdk.initDetails.source; // 'network' | 'cache' | 'bootstrap' | 'none'
   */
  static async init(options: SwitchyardOptions): Promise<Switchyard> {
    const sdk = new Switchyard(options);
    await sdk.initialize();
    return sdk;
  }

  private constructor(input: SwitchyardOptions) {
    this.options = resolveOptions(input);
    const { clock, environment } = this.options;
    this.store = new SpecStore({
      idLists: this.idLists,
      ...(clock && { clock }),
      ...(environment && { environment }),
    });
    this.eventsOn = !this.options.disableEvents && !this.options.localMode && this.options.apiBase !== null;
    this.exposuresOn = this.eventsOn && !this.options.disableExposureLogging;
    this.logger = new EventLogger({
      batchSize: this.options.eventBatchSize,
      flushIntervalMs: this.options.eventFlushIntervalMs,
      maxQueuedEvents: this.options.maxQueuedEvents,
      retryLimit: this.options.eventRetryLimit,
      retryDelay: this.options.eventRetryDelayMs,
      dedupeWindowMs: this.options.exposureDedupeWindowMs,
      send: (events, background) => this.sendEvents(events, background),
      onDropped: (count, why) =>
        this.report(new SwitchyardError(ERROR_CODES.eventsDropped, `dropped ${count} events: ${why}`)),
    });
  }

  // ---- evaluation ------------------------------------------------------------------------

  /**
   * Whether `user` passes the gate; false for unknown gates, bad input, or no configuration.
   * Logs a gate exposure (deduplicated).
   *
   * @example
   * sdk.checkGate({ userID: 'u-42', email: 'ana@company.com' }, 'new_checkout'); // true
   */
  checkGate(user: SwitchyardUser, gateName: string, options?: EvaluationOptions): boolean {
    try {
      if (!isIdentifiable(user) || typeof gateName !== 'string' || gateName === '') {
        this.invalidArgument('checkGate', gateName);
        return false;
      }
      if (this.gateOverrides.size > 0) {
        const override = this.gateOverrides.find(gateName, user.userID);
        if (override) return override.value;
      }
      const result = this.store.evaluator.checkGate(user, gateName);
      if (this.exposuresOn && options?.disableExposureLogging !== true) {
        this.logGateExposure(user, gateName, result, this.reasonOf(result));
      }
      return result.value;
    } catch (error) {
      this.report(toSwitchyardError(error));
      return false;
    }
  }

  /**
   * The gate's value with its rule and why.
   *
   * @example
   * const gate = sdk.getFeatureGate({ userID: 'u-42' }, 'new_checkout');
   * gate.value; gate.ruleID; gate.evaluationDetails.reason; // true, '6Hq...', 'Network'
   */
  getFeatureGate(user: SwitchyardUser, gateName: string, options?: EvaluationOptions): FeatureGate {
    const outcome = this.evaluate('gate', user, gateName, options);
    const { result } = outcome;
    return {
      name: typeof gateName === 'string' ? gateName : '',
      value: result.value,
      ruleID: result.ruleID,
      groupName: result.groupName,
      idType: result.idType,
      evaluationDetails: this.details(outcome),
      secondaryExposures: result.secondaryExposures,
    };
  }

  /**
   * A dynamic config's value for `user`; unknown configs give an empty value.
   *
   * @example
   * sdk.getConfig({ userID: 'u-42' }, 'checkout').get('max_items', 10);
   */
  getConfig(user: SwitchyardUser, configName: string, options?: EvaluationOptions): DynamicConfig {
    return this.dynamicConfig(user, configName, options);
  }

  /**
   * An experiment's group and parameters for `user` (experiments are dynamic configs in the DCS).
   *
   * @example
   * const experiment = sdk.getExperiment({ userID: 'u-42' }, 'checkout_button');
   * experiment.groupName; experiment.get('color', 'blue'); // 'Test', 'green'
   */
  getExperiment(user: SwitchyardUser, experimentName: string, options?: EvaluationOptions): DynamicConfig {
    return this.dynamicConfig(user, experimentName, options);
  }

  /**
   * A layer for `user`. Each parameter read with `get` logs a layer exposure.
   *
   * @example
   * sdk.getLayer({ userID: 'u-42' }, 'checkout_layer').get('button_text', 'Buy');
   */
  getLayer(user: SwitchyardUser, layerName: string, options?: EvaluationOptions): Layer {
    const outcome = this.evaluate('layer', user, layerName, options);
    const { result } = outcome;
    const logs =
      this.exposuresOn &&
      options?.disableExposureLogging !== true &&
      outcome.reason !== EVALUATION_REASONS.localOverride &&
      outcome.reason !== EVALUATION_REASONS.invalidArgument;
    return new Layer(
      {
        name: typeof layerName === 'string' ? layerName : '',
        value: result.json,
        ruleID: result.ruleID,
        groupName: result.groupName,
        idType: result.idType,
        rulePassed: result.value,
        allocatedExperimentName: result.allocatedExperimentName,
        explicitParameters: result.explicitParameters,
        evaluationDetails: this.details(outcome),
        secondaryExposures: result.secondaryExposures,
        undelegatedSecondaryExposures: result.undelegatedSecondaryExposures,
      },
      logs ? (layer, parameter) => this.logLayerExposure(user, layer.name, parameter, outcome) : null,
    );
  }

  // ---- events ----------------------------------------------------------------------------

  /**
   * Logs a custom event (sent with the exposures, in Statsig's format).
   *
   * @example
   * sdk.logEvent({ userID: 'u-42' }, 'purchase', 49.9, { currency: 'EUR' });
   */
  logEvent(
    user: SwitchyardUser | null,
    eventName: string,
    value?: string | number | null,
    metadata?: Record<string, unknown> | null,
  ): void {
    try {
      if (typeof eventName !== 'string' || eventName === '') {
        this.report(
          new SwitchyardError(ERROR_CODES.invalidArgument, 'logEvent: eventName must be a non-empty string'),
        );
        return;
      }
      if (!this.eventsOn || this.closed) return;
      const numberOrText = typeof value === 'number' ? (Number.isFinite(value) ? value : null) : value;
      this.logger.enqueue({
        eventName,
        user: eventUser(user, this.options.environment),
        time: Date.now(),
        value: typeof numberOrText === 'string' || typeof numberOrText === 'number' ? numberOrText : null,
        metadata:
          typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)
            ? { ...metadata }
            : null,
        secondaryExposures: NO_EXPOSURES,
        statsigMetadata: {},
      });
    } catch (error) {
      this.report(toSwitchyardError(error));
    }
  }

  /**
   * Sends every queued event now. Resolves when done (or given up on); never rejects.
   *
   * @example
   * await sdk.flush();
   */
  async flush(): Promise<void> {
    try {
      await this.logger.flush();
    } catch (error) {
      this.report(toSwitchyardError(error));
    }
  }

  /**
   * Stops following the server, sends the last events (within `shutdownTimeoutMs`), finishes
   * the cache file, and closes every connection and timer. Evaluations keep working on the last
   * configuration afterwards, without exposures. Idempotent; never rejects.
   *
   * @example
   * process.on('SIGTERM', () => void sdk.shutdown());
   */
  shutdown(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      clearInterval(this.idListTimer);
      this.sync?.stop();
      await this.logger.shutdown(this.options.shutdownTimeoutMs);
      await this.cacheWrite;
      this.http.close();
    })().catch((error: unknown) => this.report(toSwitchyardError(error)));
    return this.closing;
  }

  // ---- overrides (tests) -----------------------------------------------------------------

  /**
   * Forces a gate's value, for everyone or for one `userID` (tests). Overridden checks log no exposure.
   *
   * @example
   * sdk.overrideGate('new_checkout', true);          // everyone
   * sdk.overrideGate('new_checkout', false, 'u-42'); // except u-42
   */
  overrideGate(gateName: string, value: boolean, userID?: string): void {
    if (typeof gateName !== 'string') return;
    this.gateOverrides.set(gateName, value === true, userID ?? null);
  }

  /**
   * Forces a dynamic config's or experiment's value (tests).
   *
   * @example
   * sdk.overrideConfig('checkout', { max_items: 3 });
   */
  overrideConfig(configName: string, value: Record<string, unknown>, userID?: string): void {
    if (typeof configName !== 'string') return;
    this.configOverrides.set(configName, cloneValue(value), userID ?? null);
  }

  /**
   * Forces a layer's parameters (tests).
   *
   * @example
   * sdk.overrideLayer('checkout_layer', { button_text: 'Pay now' });
   */
  overrideLayer(layerName: string, value: Record<string, unknown>, userID?: string): void {
    if (typeof layerName !== 'string') return;
    this.layerOverrides.set(layerName, cloneValue(value), userID ?? null);
  }

  /**
   * Removes the overrides of one name (any kind), or all of them.
   *
   * @example
   * afterEach(() => sdk.clearOverrides());
   */
  clearOverrides(name?: string): void {
    for (const overrides of [this.gateOverrides, this.configOverrides, this.layerOverrides])
      overrides.clear(name);
  }

  // ---- observation -----------------------------------------------------------------------

  /**
   * Whether the served configuration defines this gate (no evaluation, no exposure).
   *
   * @example
   * if (!sdk.hasGate('new_checkout')) console.warn('gate missing');
   */
  hasGate(gateName: string): boolean {
    return this.store.names.gates.has(gateName);
  }

  /**
   * Whether the served configuration defines this dynamic config or experiment.
   *
   * @example
   * sdk.hasConfig('checkout'); // true
   */
  hasConfig(configName: string): boolean {
    return this.store.names.configs.has(configName);
  }

  /**
   * Whether the served configuration defines this layer.
   *
   * @example
   * sdk.hasLayer('checkout_layer'); // true
   */
  hasLayer(layerName: string): boolean {
    return this.store.names.layers.has(layerName);
  }

  /**
   * Calls `listener` after each configuration update; returns the unsubscribe function.
   *
   * @example
   * const stop = sdk.onConfigChange((change) => console.log(change.revision, change.changed.gates));
   */
  onConfigChange(listener: (change: ConfigChange) => void): () => void {
    if (typeof listener === 'function') this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * How the SDK is doing: sync mode, revision held, event counters.
   *
   * @example
   * sdk.stats().droppedEvents; // 0
   */
  stats(): SwitchyardStats {
    const events = this.logger.stats();
    return {
      mode: this.closed ? SYNC_MODES.closed : (this.sync?.mode ?? SYNC_MODES.local),
      source: this.store.source,
      revision: this.store.revision,
      time: this.store.time,
      syncedAt: this.store.syncedAt,
      reconnects: this.sync?.reconnects ?? 0,
      lastError: this.sync?.lastError?.message,
      idLists: this.idLists.lists.size,
      ...events,
    };
  }

  // ---- internals: evaluation -------------------------------------------------------------

  private dynamicConfig(user: SwitchyardUser, name: string, options?: EvaluationOptions): DynamicConfig {
    const outcome = this.evaluate('config', user, name, options);
    const { result } = outcome;
    return new DynamicConfig({
      name: typeof name === 'string' ? name : '',
      value: result.json,
      ruleID: result.ruleID,
      groupName: result.groupName,
      idType: result.idType,
      rulePassed: result.value,
      isExperimentGroup: result.isExperimentGroup,
      evaluationDetails: this.details(outcome),
      secondaryExposures: result.secondaryExposures,
    });
  }

  /** Evaluates one entity, logging gate and config exposures; never throws. */
  private evaluate(kind: Kind, user: SwitchyardUser, name: string, options?: EvaluationOptions): Outcome {
    try {
      if (!isIdentifiable(user) || typeof name !== 'string' || name === '') {
        const detail = this.invalidArgument(kind === 'gate' ? 'getFeatureGate' : `get ${kind}`, name);
        return {
          result: blankResult(String(name), '', false, EMPTY_VALUE),
          reason: EVALUATION_REASONS.invalidArgument,
          detail,
        };
      }
      const override = this.findOverride(kind, name, user.userID);
      if (override) return override;
      const { evaluator } = this.store;
      const result =
        kind === 'gate'
          ? evaluator.checkGate(user, name)
          : kind === 'layer'
            ? evaluator.getLayer(user, name)
            : evaluator.getConfig(user, name);
      const outcome: Outcome = { result, reason: this.reasonOf(result) };
      if (result.detail !== undefined) outcome.detail = result.detail;
      if (this.exposuresOn && options?.disableExposureLogging !== true) {
        if (kind === 'gate') this.logGateExposure(user, name, result, outcome.reason);
        else if (kind === 'config') this.logConfigExposure(user, name, result, outcome.reason);
      }
      return outcome;
    } catch (error) {
      const failure = toSwitchyardError(error);
      this.report(failure);
      return {
        result: blankResult(String(name), '', false, EMPTY_VALUE),
        reason: EVALUATION_REASONS.error,
        detail: failure.message,
      };
    }
  }

  private findOverride(kind: Kind, name: string, userID: unknown): Outcome | undefined {
    if (kind === 'gate') {
      const found = this.gateOverrides.size > 0 ? this.gateOverrides.find(name, userID) : undefined;
      return (
        found && {
          result: blankResult(name, 'override', found.value, EMPTY_VALUE),
          reason: EVALUATION_REASONS.localOverride,
        }
      );
    }
    const overrides = kind === 'layer' ? this.layerOverrides : this.configOverrides;
    const found = overrides.size > 0 ? overrides.find(name, userID) : undefined;
    return (
      found && {
        result: blankResult(name, 'override', true, found.value),
        reason: EVALUATION_REASONS.localOverride,
      }
    );
  }

  private reasonOf(result: EvaluationResult): EvaluationReason {
    switch (result.reason) {
      case 'Evaluated':
        return SOURCE_REASONS[this.store.source];
      case 'Unrecognized':
        return this.store.source === CONFIG_SOURCES.none
          ? EVALUATION_REASONS.uninitialized
          : EVALUATION_REASONS.unrecognized;
      case 'Unsupported':
        return EVALUATION_REASONS.unsupported;
      case 'InvalidSpec':
        return EVALUATION_REASONS.invalidSpec;
      default:
        return EVALUATION_REASONS.error;
    }
  }

  private details(outcome: Outcome): EvaluationDetails {
    const details: EvaluationDetails = {
      reason: outcome.reason,
      configSyncTime: this.store.time,
      initTime: this.initTime,
      serverTime: Date.now(),
      revision: this.store.revision,
    };
    if (outcome.detail !== undefined) details.detail = outcome.detail;
    return details;
  }

  private invalidArgument(method: string, name: unknown): string {
    const detail =
      typeof name !== 'string' || name === ''
        ? `${method}: the name must be a non-empty string`
        : `${method}: the user needs a userID (string or number) or at least one customID`;
    this.report(new SwitchyardError(ERROR_CODES.invalidArgument, detail));
    return detail;
  }

  // ---- internals: exposures --------------------------------------------------------------

  /** Queues an exposure, adding Statsig's evaluation-detail fields to its metadata. */
  private exposure(
    eventName: string,
    user: SwitchyardUser,
    metadata: Record<string, unknown>,
    reason: EvaluationReason,
    secondaryExposures: readonly SecondaryExposure[],
  ): void {
    if (this.closed) return;
    const now = Date.now();
    metadata.reason = reason;
    metadata.configSyncTime = this.store.time;
    metadata.initTime = this.initTime;
    metadata.serverTime = now;
    this.logger.enqueue({
      eventName,
      user: eventUser(user, this.options.environment),
      time: now,
      value: null,
      metadata,
      secondaryExposures,
      statsigMetadata: {},
    });
  }

  private logGateExposure(
    user: SwitchyardUser,
    name: string,
    result: EvaluationResult,
    reason: EvaluationReason,
  ) {
    const version = result.configVersion;
    const entity = `g\u0001${name}\u0001${result.value}\u0001${result.ruleID}\u0001${version}`;
    if (!this.logger.isNewExposure(entity, unitKey(user))) return;
    const metadata: Record<string, unknown> = {
      gate: name,
      gateValue: String(result.value),
      ruleID: result.ruleID,
    };
    if (version !== null) metadata.configVersion = String(version);
    this.exposure(EXPOSURE_EVENTS.gate, user, metadata, reason, result.secondaryExposures);
  }

  private logConfigExposure(
    user: SwitchyardUser,
    name: string,
    result: EvaluationResult,
    reason: EvaluationReason,
  ) {
    const version = result.configVersion;
    const entity = `c\u0001${name}\u0001${result.value}\u0001${result.ruleID}\u0001${version}`;
    if (!this.logger.isNewExposure(entity, unitKey(user))) return;
    const metadata: Record<string, unknown> = {
      config: name,
      ruleID: result.ruleID,
      rulePassed: String(result.value),
    };
    if (version !== null) metadata.configVersion = String(version);
    this.exposure(EXPOSURE_EVENTS.config, user, metadata, reason, result.secondaryExposures);
  }

  private logLayerExposure(
    user: SwitchyardUser,
    layerName: string,
    parameter: string,
    outcome: Outcome,
  ): void {
    try {
      const { result } = outcome;
      const explicit = result.explicitParameters?.includes(parameter) ?? false;
      const allocated = explicit ? (result.allocatedExperimentName ?? '') : '';
      const version = result.configVersion;
      const entity = `l\u0001${layerName}\u0001${result.ruleID}\u0001${allocated}\u0001${parameter}\u0001${explicit}\u0001${version}`;
      if (!this.logger.isNewExposure(entity, unitKey(user))) return;
      const metadata: Record<string, unknown> = {
        config: layerName,
        ruleID: result.ruleID,
        allocatedExperiment: allocated,
        parameterName: parameter,
        isExplicitParameter: String(explicit),
      };
      if (version !== null) metadata.configVersion = String(version);
      // Statsig: an explicit parameter carries every exposure; others only the layer's own.
      const exposures = explicit ? result.secondaryExposures : result.undelegatedSecondaryExposures;
      this.exposure(EXPOSURE_EVENTS.layer, user, metadata, outcome.reason, exposures);
    } catch (error) {
      this.report(toSwitchyardError(error));
    }
  }

  private async sendEvents(events: LogEvent[], background: boolean): Promise<SendOutcome> {
    if (this.options.apiBase === null) return 'drop';
    try {
      const { body, skipped } = serialiseEvents(events, {
        sdkType: SDK_TYPE,
        sdkVersion: SDK_VERSION,
        sessionID: this.instanceId,
      });
      if (skipped > 0) {
        this.report(
          new SwitchyardError(
            ERROR_CODES.eventsDropped,
            `dropped ${skipped} events that are not serialisable`,
          ),
        );
      }
      const response = await this.http.request({
        method: 'POST',
        url: `${this.options.apiBase}/log_event`,
        headers: {
          ...this.headers(),
          'content-type': 'application/json; charset=utf-8',
          'content-encoding': 'gzip',
          'statsig-event-count': String(events.length - skipped),
        },
        body: await gzip(body),
        timeoutMs: this.options.requestTimeoutMs,
        background,
      });
      if (response.status >= 200 && response.status < 300) return 'sent';
      const failure = new SwitchyardError(
        ERROR_CODES.httpStatus,
        `log_event answered ${response.status}`,
        response.status,
      );
      this.report(failure);
      return response.status === 408 || response.status === 429 || response.status >= 500 ? 'retry' : 'drop';
    } catch (error) {
      this.report(toSwitchyardError(error, ERROR_CODES.network));
      return 'retry';
    }
  }

  // ---- internals: start-up and sync ------------------------------------------------------

  private headers(): Record<string, string> {
    return {
      authorization: `Bearer ${this.options.serverKey}`,
      'statsig-sdk-type': SDK_TYPE,
      'statsig-sdk-version': SDK_VERSION,
      'statsig-server-session-id': this.instanceId,
    };
  }

  private async initialize(): Promise<void> {
    const started = Date.now();
    let error: SwitchyardError | undefined;
    try {
      const { options } = this;
      let bootstrap: ConfigSpecs | undefined;
      if (options.bootstrap !== undefined) {
        try {
          bootstrap = parseConfigSpecs(options.bootstrap);
        } catch (problem) {
          error = new SwitchyardError(
            ERROR_CODES.invalidArgument,
            `bootstrap: ${(problem as Error).message}`,
          );
          this.report(error);
        }
      }
      if (options.bootstrapIdLists) this.idLists.seed(options.bootstrapIdLists);
      if (options.localMode) {
        error = (await this.fallBack(bootstrap)) ?? error;
      } else if (options.apiBase === null || options.serverKey === '') {
        error = new SwitchyardError(
          ERROR_CODES.invalidArgument,
          options.apiBase === null ? 'url is missing or not an http(s) URL' : 'serverKey is missing',
        );
        this.report(error);
        await this.fallBack(bootstrap);
      } else {
        const outcome = await this.startSync(options.apiBase, started);
        if (outcome.ok) {
          error = undefined;
        } else {
          error = outcome.error;
          const cacheProblem = await this.fallBack(bootstrap);
          if (cacheProblem) this.report(cacheProblem);
        }
      }
    } catch (problem) {
      error = toSwitchyardError(problem);
      this.report(error);
    }
    this.initTime = Date.now();
    this.initDetails = {
      source: this.store.source,
      ...(error && { error }),
      durationMs: this.initTime - started,
      revision: this.store.revision,
      time: this.store.time,
    };
    if (this.eventsOn) this.logger.start();
  }

  /** Starts following the server; resolves with the first result, or a timeout, whichever is first. */
  private async startSync(
    apiBase: string,
    started: number,
  ): Promise<{ ok: true } | { ok: false; error: SwitchyardError }> {
    const { options } = this;
    this.idListSync = new IdListSync({
      http: this.http,
      store: this.idLists,
      apiBase,
      headers: () => this.headers(),
      timeoutMs: options.requestTimeoutMs,
      onError: (error) => this.report(error),
    });
    this.sync = new ConfigSync({
      http: this.http,
      store: this.store,
      apiBase,
      serverKey: options.serverKey,
      headers: () => this.headers(),
      streaming: options.streaming,
      pollIntervalMs: options.pollIntervalMs,
      reconnectDelay: options.reconnectDelayMs,
      streamIdleTimeoutMs: options.streamIdleTimeoutMs,
      streamFailuresBeforePolling: options.streamFailuresBeforePolling,
      requestTimeoutMs: options.requestTimeoutMs,
      onUpdate: (change) => this.onUpdate(change),
      // Remembered now: by the time the report goes out, a poll may have replaced the configuration.
      onInSync: (revision) => this.reportStatus(revision, this.store.servingSince),
      onIdListsStale: () => this.syncIdLists(),
      onError: (error) => this.report(error),
    });
    this.sync.start();
    this.idListTimer = setInterval(() => this.syncIdLists(), options.idListSyncIntervalMs);
    this.idListTimer.unref();

    // These timers are ref'd on purpose: a script awaiting init must not exit before it resolves.
    const deadline = started + options.initTimeoutMs;
    const outcome = await withDeadline(this.sync.firstOutcome, deadline, () => {
      const error = new SwitchyardError(
        ERROR_CODES.timeout,
        `no configuration from the server within ${options.initTimeoutMs} ms`,
      );
      this.report(error);
      return { ok: false as const, error };
    });
    if (outcome.ok) await withDeadline(this.idListSync.current(), deadline, () => false);
    return outcome;
  }

  /**
   * The server is out of reach: serve the newer of the cache file and the bootstrap. Returns
   * the cache problem, if any, for the caller to report.
   */
  private async fallBack(bootstrap: ConfigSpecs | undefined): Promise<SwitchyardError | undefined> {
    let problem: SwitchyardError | undefined;
    let cached: Awaited<ReturnType<typeof readCacheFile>> | undefined;
    if (this.options.cacheFile) {
      try {
        cached = await readCacheFile(this.options.cacheFile);
      } catch (error) {
        problem = toSwitchyardError(error, ERROR_CODES.cache);
      }
    }
    // The server may have answered while the file was read.
    if (this.store.source !== CONFIG_SOURCES.none) return problem;
    const timeOf = (specs: ConfigSpecs | undefined) => (typeof specs?.time === 'number' ? specs.time : -1);
    if (cached && timeOf(cached.specs) >= timeOf(bootstrap)) {
      this.idLists.restore(cached.idLists);
      this.store.replace(cached.specs, CONFIG_SOURCES.cache, null);
    } else if (bootstrap) {
      this.store.replace(bootstrap, CONFIG_SOURCES.bootstrap, null);
    }
    return problem;
  }

  private onUpdate(change: ConfigChange): void {
    if (this.store.evaluator.diagnostics.length > 0) {
      this.report(
        new SwitchyardError(
          ERROR_CODES.invalidResponse,
          `the configuration has problems (served anyway): ${this.store.evaluator.diagnostics.slice(0, 5).join('; ')}`,
        ),
      );
    }
    this.saveCache();
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.report(toSwitchyardError(error));
      }
    }
  }

  private syncIdLists(): void {
    if (this.closed || !this.idListSync) return;
    this.idListSync.sync().then(
      (changed) => {
        if (changed) this.saveCache();
      },
      (error: unknown) => this.report(toSwitchyardError(error)),
    );
  }

  /** Writes the cache file after the current write, coalescing updates that arrive meanwhile. */
  private saveCache(): void {
    const path = this.options.cacheFile;
    if (!path || this.store.source !== CONFIG_SOURCES.network || !this.store.specs) return;
    this.cacheDirty = true;
    if (this.cacheWrite) return;
    this.cacheWrite = (async () => {
      while (this.cacheDirty && this.store.specs) {
        this.cacheDirty = false;
        try {
          await writeCacheFile(path, {
            savedAt: Date.now(),
            revision: this.store.revision,
            specs: this.store.specs,
            idLists: this.idLists.save(),
          });
        } catch (error) {
          this.report(toSwitchyardError(error, ERROR_CODES.cache));
        }
      }
    })().finally(() => {
      this.cacheWrite = undefined;
    });
  }

  /**
   * Tells the server which revision this instance holds (latest wins; failures are not
   * retried). Sent after a random delay within STATUS_WINDOW_MS: a change reaches every
   * instance at once, and a thousand reports in the same millisecond, or while the change is
   * still being delivered, would compete for the server (and the host's CPU) with that
   * delivery. So that the server can tell when each instance started serving the revision
   * despite the delay, the report says how long it has been served (`heldForMs`, on the
   * monotonic clock).
   */
  private reportStatus(revision: number, servingSince: number): void {
    if (this.closed || this.options.apiBase === null) return;
    this.statusPending = { revision, servingSince };
    if (this.statusInFlight) return;
    this.statusInFlight = true;
    const { from, to } = STATUS_WINDOW_MS;
    const timer = setTimeout(() => this.sendStatus(), from + Math.random() * (to - from));
    timer.unref();
  }

  private sendStatus(): void {
    void (async () => {
      while (this.statusPending !== null && !this.closed) {
        const next = this.statusPending;
        // An update that arrived while the last report was in flight waits its turn too: never
        // sooner than STATUS_WINDOW_MS.from after it was applied.
        const wait = STATUS_WINDOW_MS.from - (performance.now() - next.servingSince);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
        if (this.statusPending !== next) continue;
        this.statusPending = null;
        try {
          await this.http.request({
            method: 'POST',
            url: `${this.options.apiBase}/sdk_status`,
            headers: { ...this.headers(), 'content-type': 'application/json' },
            body: statusBody(this.instanceId, next.revision, next.servingSince),
            timeoutMs: this.options.requestTimeoutMs,
            background: true,
          });
        } catch {
          // Best effort: an older server without this endpoint, or a blip; the next update reports again.
        }
      }
      this.statusInFlight = false;
    })();
  }

  /** Hands a problem to `onError`; a throwing handler is ignored. */
  private report(error: SwitchyardError): void {
    const handler = this.options.onError;
    if (!handler) return;
    try {
      handler(error);
    } catch {
      // The host's handler failed; nothing sensible is left to tell.
    }
  }
}

/**
 * The sdk_status report: how long the revision has been served (monotonic), and when by this
 * host's wall clock, which the server believes when the two agree (it then leaves out the
 * report's transit and queueing time).
 */
function statusBody(instanceId: string, revision: number, servingSince: number): string {
  const heldForMs = Math.max(0, Math.round(performance.now() - servingSince));
  return JSON.stringify({
    instanceId,
    revision,
    sdkType: SDK_TYPE,
    sdkVersion: SDK_VERSION,
    heldForMs,
    appliedAt: Date.now() - heldForMs,
  });
}

function cloneValue(value: Record<string, unknown>): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return {};
  try {
    return structuredClone(value);
  } catch {
    return { ...value };
  }
}

/** `promise`, or `onTimeout()` once `deadline` (epoch ms) passes. */
async function withDeadline<T>(promise: Promise<T>, deadline: number, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
