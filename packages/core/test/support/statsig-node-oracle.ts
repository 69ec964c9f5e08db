/**
 * statsig-node 6.5.2 as a test oracle: one offline SDK instance per DCS, evaluated through its
 * public API (so user validation and `environment` normalisation run as in production), with
 * the internal evaluation captured for the fields the public objects hide (secondary
 * exposures, the delegated experiment).
 *
 * Offline by construction: `localMode` makes its fetcher reject every request, and
 * `disableAllLogging` stops the one hard-coded call `localMode` does not cover (the
 * sdk_exception reporter, protocol doc §0.2). As a tripwire, statsig-node's only HTTP client
 * (node-fetch, via utils/safeFetch) and `globalThis.fetch` are replaced by recorders before the
 * SDK loads; the test asserts nothing was recorded.
 */
import { createRequire } from 'node:module';
import type { StatsigUser } from '@switchyard/core';
import type { StatsigUser as SdkUser, StatsigOptions, StatsigServer } from 'statsig-node';

const require = createRequire(import.meta.url);

type StatsigModule = typeof import('statsig-node');

/** URLs statsig-node (or anything else in this process) tried to fetch. */
export const networkAttempts: string[] = [];

let sdk: { module: StatsigModule } | undefined;
const realFetch = globalThis.fetch;

function blockedFetch(url: unknown): Promise<never> {
  networkAttempts.push(String(url));
  return Promise.reject(new Error(`network blocked in the differential test: ${String(url)}`));
}

/** Loads statsig-node behind the network tripwire; the SDK must not have been loaded before. */
function loadSdk() {
  if (sdk) return sdk;
  const entry = require.resolve('statsig-node');
  if (require.cache[entry]) {
    throw new Error('statsig-node was loaded before the network guard; load it only through this module');
  }
  const sdkRequire = createRequire(entry);
  const fetchPath = sdkRequire.resolve('node-fetch');
  sdkRequire(fetchPath);
  const cached = require.cache[fetchPath];
  if (!cached) throw new Error('node-fetch did not load');
  // safeFetch takes `require('node-fetch')` (or its `.default`) once, at load.
  cached.exports = blockedFetch;
  globalThis.fetch = blockedFetch as typeof fetch;
  sdk = { module: sdkRequire(entry) as StatsigModule };
  return sdk;
}

/** Puts `globalThis.fetch` back (node-fetch stays blocked for statsig-node, which keeps its copy). */
export function releaseNetworkGuard(): void {
  globalThis.fetch = realFetch;
}

/** The parts of statsig-node's internal ConfigEvaluation the comparison reads. */
export interface SdkEvaluation {
  value: boolean;
  rule_id: string;
  group_name: string | null;
  json_value: Record<string, unknown> | null;
  secondary_exposures: { gate: string; gateValue: string; ruleID: string }[];
  undelegated_secondary_exposures: { gate: string; gateValue: string; ruleID: string }[];
  config_delegate: string | null;
  is_experiment_group: boolean;
  unsupported: boolean;
}

type EvaluatorMethod = (...args: unknown[]) => SdkEvaluation;

interface SdkInternals {
  _evaluator: Record<'checkGate' | 'getConfig' | 'getLayer', EvaluatorMethod>;
  _store: { store: { idLists: Record<string, unknown> } };
}

export interface OracleOptions {
  /** statsig-node's `environment` option; omitted when undefined. */
  environment?: Record<string, string>;
  /**
   * ID lists by name, as the entries of a list file: 8-character base64 SHA-256 prefixes, as
   * our server writes them (`idListEntryHash`). The same sets go to our evaluator, so the
   * lists are identical and only each side's hashing of the user's ID can differ.
   */
  idLists: Record<string, Iterable<string>>;
}

export interface OracleResult {
  /** The public API's answer (FeatureGate / DynamicConfig / Layer). */
  publicValue: boolean | null;
  publicRuleID: string;
  publicGroupName: string | null;
  /** The evaluation behind it, captured at the top of statsig-node's Evaluator. */
  evaluation: SdkEvaluation | null;
}

export class StatsigNodeOracle {
  private captured: SdkEvaluation | null = null;

  private constructor(
    private readonly server: StatsigServer,
    /** Messages statsig-node logged at warn or error level (an unexpected exception lands here). */
    readonly logged: string[],
  ) {}

  /** One initialised SDK instance for a DCS (JSON text, as bootstrapValues), with the ID lists injected. */
  static async create(dcsJson: string, options: OracleOptions): Promise<StatsigNodeOracle> {
    const { module } = loadSdk();
    const logged: string[] = [];
    const record =
      (level: string) =>
      (...parts: unknown[]) =>
        logged.push(`${level}: ${parts.map(String).join(' ')}`);
    const sdkOptions: StatsigOptions = {
      localMode: true,
      bootstrapValues: dcsJson,
      disableAllLogging: true,
      disableDiagnostics: true,
      disableRulesetsSync: true,
      disableIdListsSync: true,
      // localMode cannot download ID lists; they are injected below instead.
      initStrategyForIDLists: 'none',
      initStrategyForIP3Country: 'await',
      logger: { logLevel: 'warn', warn: record('warn'), error: record('error') },
    };
    if (options.environment) sdkOptions.environment = options.environment;
    const server = new module.StatsigServer('secret-differential-test', sdkOptions);
    const details = await server.initializeAsync();
    if (!details.success || details.source !== 'Bootstrap') {
      throw new Error(`statsig-node did not initialise from bootstrap: ${JSON.stringify(details)}`);
    }
    const internals = server as unknown as SdkInternals;
    // SpecStore keeps each list as { ids: { <8-char base64 sha256 prefix>: true }, ... }
    // (SpecStore.ts, IDListUtil.ts): what a completed get_id_lists sync leaves behind.
    for (const [name, entries] of Object.entries(options.idLists)) {
      internals._store.store.idLists[name] = {
        ids: Object.fromEntries([...entries].map((entry) => [entry, true])),
        readBytes: 0,
        url: 'injected-by-differential-test',
        fileID: `injected-${name}`,
        creationTime: 0,
      };
    }
    const oracle = new StatsigNodeOracle(server, logged);
    oracle.captureTopLevelEvaluations(internals._evaluator);
    return oracle;
  }

  /**
   * Wraps the Evaluator's entry points to keep the outermost evaluation of each public call.
   * Nested gates (pass_gate) and layer delegates re-enter these methods through `this`, so a
   * depth counter tells the top-level result apart.
   */
  private captureTopLevelEvaluations(evaluator: SdkInternals['_evaluator']): void {
    let depth = 0;
    for (const method of ['checkGate', 'getConfig', 'getLayer'] as const) {
      const original = evaluator[method].bind(evaluator);
      evaluator[method] = (...args: unknown[]) => {
        depth++;
        try {
          const result = original(...args);
          if (depth === 1) this.captured = result;
          return result;
        } finally {
          depth--;
        }
      };
    }
  }

  private take(): SdkEvaluation | null {
    const evaluation = this.captured;
    this.captured = null;
    return evaluation;
  }

  checkGate(user: StatsigUser, name: string): OracleResult {
    this.captured = null;
    const gate = this.server.getFeatureGate(user as SdkUser, name, { disableExposureLogging: true });
    return {
      publicValue: gate.value,
      publicRuleID: gate.ruleID,
      publicGroupName: gate.groupName,
      evaluation: this.take(),
    };
  }

  getConfig(user: StatsigUser, name: string, asExperiment: boolean): OracleResult {
    this.captured = null;
    const config = asExperiment
      ? this.server.getExperiment(user as SdkUser, name, { disableExposureLogging: true })
      : this.server.getConfig(user as SdkUser, name, { disableExposureLogging: true });
    return {
      publicValue: null,
      publicRuleID: config.getRuleID(),
      publicGroupName: config.getGroupName(),
      evaluation: this.take(),
    };
  }

  getLayer(user: StatsigUser, name: string): OracleResult {
    this.captured = null;
    const layer = this.server.getLayer(user as SdkUser, name, { disableExposureLogging: true });
    return {
      publicValue: null,
      publicRuleID: layer.getRuleID(),
      publicGroupName: layer.getGroupName(),
      evaluation: this.take(),
    };
  }

  async shutdown(): Promise<void> {
    await this.server.shutdownAsync();
  }
}

/**
 * Runs `fn` with `Date.now()` pinned to `ms`: statsig-node reads the clock for `current_time`
 * (our evaluator takes the same instant through its `clock` option). A plain replacement, not
 * a spy, so a million calls record nothing.
 */
export function withDateNow<T>(ms: number, fn: () => T): T {
  const real = Date.now;
  Date.now = () => ms;
  try {
    return fn();
  } finally {
    Date.now = real;
  }
}
