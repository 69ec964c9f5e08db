/**
 * The browser client: values precomputed by the server for one user (`POST /v1/initialize` with
 * `hash: "none"`, so names arrive raw and the client carries no hashing code), read
 * synchronously, cached per user in localStorage, refreshed when `/v1/stream` announces a new
 * revision, and exposures sent in batches to `/v1/rgstr`. Nothing here throws into the host
 * app: failures go to `onError` and getters fall back to defaults with a reason.
 *
 * Baseline: ES2022 browsers (the package is compiled to ES2022); DOM APIs newer than that
 * (AbortSignal.timeout, sendBeacon, EventSource, crypto.randomUUID) are used only if present.
 */

/** A user as Statsig defines it; `custom` and `privateAttributes` are free-form. */
export interface SwitchyardUser {
  userID?: string | number;
  email?: string;
  ip?: string;
  userAgent?: string;
  country?: string;
  locale?: string;
  appVersion?: string;
  custom?: Record<string, unknown>;
  /** Used for evaluation on the server, never stored with events. */
  privateAttributes?: Record<string, unknown>;
  customIDs?: Record<string, string>;
  statsigEnvironment?: Record<string, unknown>;
}

export interface SecondaryExposure {
  gate: string;
  gateValue: string;
  ruleID: string;
}

/** One entry of an initialize response; every field is checked before use. */
type Entry = Record<string, unknown>;

/**
 * The body of `POST /v1/initialize` with `hash: "none"`, as the server renders it for a user:
 * what `bootstrap` takes.
 */
export interface InitializeResponse {
  feature_gates: Record<string, unknown>;
  dynamic_configs: Record<string, unknown>;
  layer_configs: Record<string, unknown>;
  /** When the configuration last changed (ms): compared with `/v1/stream` revisions. */
  time: number;
  has_updates?: boolean;
  hash_used?: string;
  [field: string]: unknown;
}

/** Where the current values came from, or why there are none. */
export type ValueSource = 'Uninitialized' | 'Loading' | 'NetworkError' | 'Network' | 'Cache' | 'Bootstrap';

/**
 * Why a getter returned what it did: the source of the values, or `Unrecognized` (no such name
 * for this user), `InvalidValue` (the entry is malformed), or, without values, `Uninitialized`,
 * `Loading` or `NetworkError`.
 */
export type EvaluationReason = ValueSource | 'Unrecognized' | 'InvalidValue';

export interface FeatureGate {
  name: string;
  value: boolean;
  ruleID: string;
  reason: EvaluationReason;
  idType: string | null;
  secondaryExposures: SecondaryExposure[];
}

/** A dynamic config or an experiment. */
export interface DynamicConfig {
  name: string;
  value: Record<string, unknown>;
  ruleID: string;
  /** The experiment group, e.g. "Control"; null outside experiments. */
  groupName: string | null;
  reason: EvaluationReason;
  idType: string | null;
  isUserInExperiment: boolean;
  secondaryExposures: SecondaryExposure[];
  /** `value[key]`, or `fallback` when it is missing or of another type than `fallback`. */
  get<T>(key: string, fallback: T): T;
}

export type Experiment = DynamicConfig;

export interface Layer {
  name: string;
  /** Reading `value` directly logs no exposure; `get` does. */
  value: Record<string, unknown>;
  ruleID: string;
  groupName: string | null;
  reason: EvaluationReason;
  /** The experiment the layer delegated this user to, if any. */
  allocatedExperimentName: string | null;
  secondaryExposures: SecondaryExposure[];
  undelegatedSecondaryExposures: SecondaryExposure[];
  /** A parameter (logging a layer exposure for it), or `fallback` if missing or of another type. */
  get<T>(parameter: string, fallback: T): T;
}

export interface SwitchyardOptions {
  /** Base URL of the SDK API, e.g. `https://flags.example.com/v1`. Default `/v1` (same origin). */
  api?: string;
  /** The user to load bootstrap or cached values for right away, before `initialize()`. */
  user?: SwitchyardUser;
  /** Values the server rendered into the page (an initialize response with `hash: "none"`). */
  bootstrap?: InitializeResponse | null;
  /** Copied into every user's `statsigEnvironment`, e.g. `{ tier: 'staging' }`. */
  environment?: Record<string, unknown>;
  /** Follow `/v1/stream` for configuration changes (needs `EventSource`). Default true. */
  stream?: boolean;
  /**
   * The device's ID for stableID-typed gates and experiments; generated and kept in
   * localStorage by default. `false`: none (e.g. before consent).
   */
  stableID?: string | false;
  /** Log exposures when values are read. Default true. */
  exposures?: boolean;
  /** How long events wait before they are sent (ms). Default 10,000. */
  flushIntervalMs?: number;
  /** Events that trigger an immediate send. Default 50. */
  maxBatchSize?: number;
  /** Time limit of each request (ms). Default 10,000. */
  timeoutMs?: number;
  /** Every failure (network, storage, a listener), with where it happened. */
  onError?: (error: Error, context: string) => void;
}

/** What `subscribe` listeners read; a new object on every change. */
export interface ClientDetails {
  source: ValueSource;
  /** The values' configuration time (ms), 0 without values. */
  time: number;
}

interface QueuedEvent {
  eventName: string;
  user: SwitchyardUser;
  value: unknown;
  metadata: Record<string, string> | null;
  secondaryExposures?: SecondaryExposure[];
  time: number;
}

const SDK_VERSION = '0.1.0';
const PREFIX = 'switchyard:';
/** Users whose values are cached per client key; the least recently loaded is evicted. */
const CACHED_USERS = 10;
/** Queued events kept while the server is unreachable; older ones are dropped first. */
const MAX_QUEUE = 1000;
/** Distinct exposures remembered for deduplication before the set starts over. */
const MAX_DEDUP = 10_000;

const isObject = (value: unknown): value is Entry =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const list = <T>(value: unknown): T[] => (Array.isArray(value) ? value : []);
const orNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function pick<T>(source: Entry, key: string, fallback: T): T {
  const value = source[key];
  if (value == null) return fallback;
  if (
    fallback != null &&
    (typeof value !== typeof fallback || Array.isArray(value) !== Array.isArray(fallback))
  ) {
    return fallback;
  }
  return value as T;
}

/** A 53-bit string hash (cyrb53) naming cache entries; not a protocol hash. */
function hashKey(input: string): string {
  let a = 0xdeadbeef;
  let b = 0x41c6ce57;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    a = Math.imul(a ^ c, 2654435761);
    b = Math.imul(b ^ c, 1597334677);
  }
  a = Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909);
  b = Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
  return (4294967296 * (2097151 & b) + (a >>> 0)).toString(36);
}

/** crypto.randomUUID exists only in secure contexts; plain-http pages get a random string. */
const randomID = (): string =>
  globalThis.crypto?.randomUUID?.() ?? Math.random().toString(36).slice(2) + Date.now().toString(36);

function storage(): Storage | undefined {
  // Reading `localStorage` itself throws where storage is blocked (sandboxed frames, some modes).
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Switchyard browser client.
 *
 * @example
 * const client = new SwitchyardClient('client-…', { api: 'https://flags.example.com/v1' });
 * await client.initialize({ userID: 'alice' });
 * if (client.checkGate('new_checkout')) showNewCheckout();
 * client.getExperiment('checkout_button').get('color', 'grey');
 * client.logEvent('purchase', 12.5, { sku: 'A1' });
 */
export class SwitchyardClient {
  private current: ClientDetails = { source: 'Uninitialized', time: 0 };
  private values: InitializeResponse | null = null;
  private user: SwitchyardUser = {};
  private eventUser: SwitchyardUser = {};
  private userKey: string | undefined;
  private readonly api: string;
  private readonly stableID: string | undefined;
  private readonly sessionID = randomID();
  private bootstrap: InitializeResponse | null | undefined;
  private readonly listeners = new Set<() => void>();
  private queue: QueuedEvent[] = [];
  private readonly seen = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pending: [key: string | undefined, done: Promise<void>] | undefined;
  /** The newest configuration time `/v1/stream` announced. */
  private announced = 0;
  private stream: EventSource | undefined;
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly clientKey: string,
    private readonly options: SwitchyardOptions = {},
  ) {
    this.api = (options.api ?? '/v1').replace(/\/+$/, '');
    this.bootstrap = options.bootstrap;
    this.stableID = options.stableID === false ? undefined : options.stableID || this.storedStableID();
    if (options.user) this.load(options.user);
  }

  /**
   * Where the values came from and their configuration time; a new object on every change, so
   * it can serve as a store snapshot (React's useSyncExternalStore).
   *
   * @example
   * client.details; // { source: 'Cache', time: 1767225600000 }
   */
  get details(): ClientDetails {
    return this.current;
  }

  /**
   * Loads values for `user` and starts following changes. Bootstrap or cached values are
   * readable as soon as this is called; the promise settles once fresh values are in, or at
   * once when cached or bootstrapped values are served (they refresh in the background). It
   * never rejects: without values, getters return defaults with the reason.
   *
   * @example
   * await client.initialize({ userID: 'alice', country: 'NZ' });
   */
  initialize(user?: SwitchyardUser): Promise<void> {
    if (user || this.userKey === undefined) this.load(user ?? this.user);
    this.listen();
    this.openStream();
    const { source } = this.details;
    if (source === 'Network' || source === 'Bootstrap') return Promise.resolve();
    const refreshed = this.refresh();
    return source === 'Cache' ? Promise.resolve() : refreshed;
  }

  /**
   * Switches to another user: their cached values at once (if any), fresh ones from the
   * server. Same contract as `initialize`.
   *
   * @example
   * await client.updateUser({ userID: 'alice', email: 'alice@example.com' });
   */
  updateUser(user: SwitchyardUser): Promise<void> {
    return this.initialize(user);
  }

  /**
   * Fetches the current user's values now (normally the stream triggers this).
   *
   * @example
   * await client.refresh();
   */
  refresh(): Promise<void> {
    const key = this.userKey;
    const pending = this.pending;
    if (pending && pending[0] === key) return pending[1];
    const announced = this.announced;
    const done = this.fetchValues(key).finally(() => {
      if (this.pending?.[1] === done) this.pending = undefined;
      // A revision announced while this request was out may not be in its answer. Only a newer
      // announcement triggers another request, so a failing server is not asked in a loop.
      if (this.userKey === key && this.announced > announced && this.announced > this.details.time) {
        void this.refresh();
      }
    });
    this.pending = [key, done];
    return done;
  }

  /**
   * Whether the gate passes for the current user (false when unknown); logs an exposure.
   *
   * @example
   * client.checkGate('new_checkout'); // true
   */
  checkGate(name: string): boolean {
    return this.getGate(name).value;
  }

  /**
   * The gate with its rule and reason; logs an exposure.
   *
   * @example
   * const { value, ruleID, reason } = client.getGate('new_checkout');
   */
  getGate(name: string): FeatureGate {
    const [entry, source] = this.entry('feature_gates', name);
    const bad = entry && typeof entry.value !== 'boolean';
    const gate: FeatureGate = {
      name,
      value: entry?.value === true,
      ruleID: text(entry?.rule_id),
      reason: bad ? 'InvalidValue' : source,
      idType: orNull(entry?.id_type),
      secondaryExposures: list(entry?.secondary_exposures),
    };
    if (entry) {
      this.expose(
        'statsig::gate_exposure',
        { gate: name, gateValue: String(gate.value), ruleID: gate.ruleID },
        gate.secondaryExposures,
        gate.reason,
      );
    }
    return gate;
  }

  /**
   * A dynamic config; logs an exposure.
   *
   * @example
   * client.getConfig('pricing').get('price', 10);
   */
  getConfig(name: string): DynamicConfig {
    const [entry, source] = this.entry('dynamic_configs', name);
    const value = isObject(entry?.value) ? entry.value : {};
    const config: DynamicConfig = {
      name,
      value,
      ruleID: text(entry?.rule_id),
      groupName: orNull(entry?.group_name),
      reason: entry && value !== entry.value ? 'InvalidValue' : source,
      idType: orNull(entry?.id_type),
      isUserInExperiment: entry?.is_user_in_experiment === true,
      secondaryExposures: list(entry?.secondary_exposures),
      get: (key, fallback) => pick(value, key, fallback),
    };
    if (entry) {
      const metadata: Record<string, string> = { config: name, ruleID: config.ruleID };
      if (typeof entry.passed === 'boolean') metadata.rulePassed = String(entry.passed);
      this.expose('statsig::config_exposure', metadata, config.secondaryExposures, config.reason);
    }
    return config;
  }

  /**
   * An experiment (experiments are configs with groups); logs an exposure.
   *
   * @example
   * const experiment = client.getExperiment('checkout_button');
   * experiment.groupName; // 'Test'
   * experiment.get('color', 'grey'); // 'green'
   */
  getExperiment(name: string): Experiment {
    return this.getConfig(name);
  }

  /**
   * A layer; each `get(parameter)` logs an exposure for that parameter.
   *
   * @example
   * client.getLayer('checkout').get('headline', 'Welcome');
   */
  getLayer(name: string): Layer {
    const [entry, source] = this.entry('layer_configs', name);
    const value = isObject(entry?.value) ? entry.value : {};
    const allocated = orNull(entry?.allocated_experiment_name);
    const layer: Layer = {
      name,
      value,
      ruleID: text(entry?.rule_id),
      groupName: orNull(entry?.group_name),
      reason: entry && value !== entry.value ? 'InvalidValue' : source,
      allocatedExperimentName: allocated,
      secondaryExposures: list(entry?.secondary_exposures),
      undelegatedSecondaryExposures: list(entry?.undelegated_secondary_exposures),
      get: (parameter, fallback) => {
        if (entry && parameter in value) {
          const explicit = list(entry.explicit_parameters).includes(parameter);
          this.expose(
            'statsig::layer_exposure',
            {
              config: name,
              ruleID: layer.ruleID,
              allocatedExperiment: explicit ? (allocated ?? '') : '',
              parameterName: parameter,
              isExplicitParameter: String(explicit),
            },
            explicit ? layer.secondaryExposures : layer.undelegatedSecondaryExposures,
            layer.reason,
          );
        }
        return pick(value, parameter, fallback);
      },
    };
    return layer;
  }

  /**
   * The current values (an initialize response), e.g. to bootstrap a page rendered on a server.
   *
   * @example
   * const bootstrap = client.getValues(); // embed in the HTML, pass as `bootstrap`
   */
  getValues(): InitializeResponse | null {
    return this.values;
  }

  /**
   * Records a custom event for the current user.
   *
   * @example
   * client.logEvent('add_to_cart', 'SKU-1', { price: '9.99' });
   */
  logEvent(eventName: string, value?: string | number | null, metadata?: Record<string, string>): void {
    this.enqueue({ eventName, value: value ?? null, metadata: metadata ?? null });
  }

  /**
   * Calls `listener` whenever values or their source change; returns the unsubscribe function.
   *
   * @example
   * const stop = client.subscribe(() => render(client.checkGate('new_checkout')));
   */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /**
   * `subscribe` by event name.
   *
   * @example
   * client.on('values_updated', () => console.log(client.details.source));
   */
  on(_event: 'values_updated', listener: () => void): () => void {
    return this.subscribe(listener);
  }

  /**
   * Sends the queued events now.
   *
   * @example
   * await client.flush();
   */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.queue.splice(0);
    if (events.length === 0) return;
    let body: string;
    try {
      body = this.batch(events);
    } catch (error) {
      return this.fail(error, 'flush');
    }
    try {
      const response = await this.post('rgstr', body);
      if (response.status >= 500) throw new Error(`rgstr: HTTP ${response.status}`);
      if (!response.ok) this.fail(new Error(`rgstr: HTTP ${response.status}, events dropped`), 'flush');
    } catch (error) {
      // Kept for the next send: a network error or a server error may pass.
      this.queue = [...events, ...this.queue].slice(-MAX_QUEUE);
      this.schedule();
      this.fail(error, 'flush');
    }
  }

  /**
   * Stops following changes and sends queued events. Values stay readable; `initialize()`
   * starts again.
   *
   * @example
   * await client.shutdown();
   */
  shutdown(): Promise<void> {
    this.stream?.close();
    this.stream = undefined;
    this.unlisten?.();
    this.unlisten = undefined;
    return this.flush();
  }

  // ---------------------------------------------------------------------------------------------

  /** Applies bootstrap (first user only) or cached values for `user`, synchronously. */
  private load(user: SwitchyardUser): void {
    try {
      const next = this.options.environment
        ? { ...user, statsigEnvironment: this.options.environment }
        : user;
      const key = hashKey(`${this.clientKey}|${this.stableID}|${JSON.stringify(next)}`);
      if (key === this.userKey) return;
      this.user = next;
      this.userKey = key;
      const { privateAttributes: _private, ...eventUser } = next;
      this.eventUser = eventUser;
      const bootstrap = this.bootstrap;
      this.bootstrap = undefined;
      if (bootstrap !== undefined && bootstrap !== null) {
        if (this.valid(bootstrap)) {
          this.set(bootstrap, 'Bootstrap');
          this.save();
          return;
        }
        this.fail(new Error('bootstrap is not an initialize response with hash "none"'), 'bootstrap');
      }
      const cached = JSON.parse(storage()?.getItem(this.cacheKey()) ?? 'null') as unknown;
      if (this.valid(cached)) this.set(cached, 'Cache');
      else this.set(null, 'Loading');
    } catch (error) {
      this.fail(error, 'load');
      this.set(null, 'Loading');
    }
  }

  private valid(values: unknown): values is InitializeResponse {
    return (
      isObject(values) &&
      isObject(values.feature_gates) &&
      isObject(values.dynamic_configs) &&
      isObject(values.layer_configs) &&
      values.hash_used !== 'djb2' &&
      values.hash_used !== 'sha256'
    );
  }

  private set(values: InitializeResponse | null, source: ValueSource): void {
    this.values = values;
    this.current = { source, time: values && typeof values.time === 'number' ? values.time : 0 };
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (error) {
        this.fail(error, 'listener');
      }
    }
  }

  private async fetchValues(key: string | undefined): Promise<void> {
    const since = this.values ? this.details.time : undefined;
    try {
      const response = await this.post('initialize', {
        user: this.user,
        hash: 'none',
        ...(since && { sinceTime: since }),
        statsigMetadata: this.metadata(),
      });
      if (!response.ok) throw new Error(`initialize: HTTP ${response.status}`);
      const body = (await response.json()) as unknown;
      if (key !== this.userKey) return;
      if (isObject(body) && body.has_updates === false && this.values) {
        if (this.details.source !== 'Network') this.set(this.values, 'Network');
        return;
      }
      if (!this.valid(body)) throw new Error('initialize: not an initialize response');
      this.set(body, 'Network');
      this.save();
    } catch (error) {
      if (key !== this.userKey) return;
      this.fail(error, 'initialize');
      if (!this.values) this.set(null, 'NetworkError');
    }
  }

  private entry(kind: 'feature_gates' | 'dynamic_configs' | 'layer_configs', name: string) {
    const values = this.values;
    if (!values) return [undefined, this.details.source] as const;
    const entry = Object.hasOwn(values[kind], name) ? values[kind][name] : undefined;
    if (entry === undefined) return [undefined, 'Unrecognized'] as const;
    return isObject(entry) ? ([entry, this.details.source] as const) : ([undefined, 'InvalidValue'] as const);
  }

  private expose(
    eventName: string,
    metadata: Record<string, string>,
    secondaryExposures: SecondaryExposure[],
    reason: string,
  ): void {
    if (this.options.exposures === false) return;
    // Identical exposures (same user, entity, rule, parameter) are sent once per session.
    const key = [this.userKey, eventName, ...Object.values(metadata)].join('|');
    if (this.seen.has(key)) return;
    if (this.seen.size >= MAX_DEDUP) this.seen.clear();
    this.seen.add(key);
    this.enqueue({
      eventName,
      value: null,
      metadata: { ...metadata, reason, lcut: String(this.details.time) },
      secondaryExposures,
    });
  }

  private enqueue(event: Omit<QueuedEvent, 'user' | 'time'>): void {
    this.queue.push({ ...event, user: this.eventUser, time: Date.now() });
    if (this.queue.length > MAX_QUEUE) this.queue.shift();
    if (this.queue.length >= (this.options.maxBatchSize ?? 50)) void this.flush();
    else this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.flushIntervalMs ?? 10_000);
  }

  private metadata() {
    return {
      sdkType: 'switchyard-js',
      sdkVersion: SDK_VERSION,
      stableID: this.stableID,
      sessionID: this.sessionID,
    };
  }

  private batch(events: QueuedEvent[]): string {
    return JSON.stringify({ events, statsigMetadata: this.metadata() });
  }

  private url(path: string): string {
    return `${this.api}/${path}?k=${encodeURIComponent(this.clientKey)}`;
  }

  /** A string body is sent as text/plain, so cross-origin requests need no preflight. */
  private post(path: string, body: unknown): Promise<Response> {
    return fetch(this.url(path), {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      // AbortSignal.timeout is missing before Safari 16: such browsers wait as long as fetch does.
      signal: AbortSignal.timeout?.(this.options.timeoutMs ?? 10_000),
    });
  }

  private openStream(): void {
    if (this.options.stream === false || this.stream || typeof EventSource === 'undefined') return;
    try {
      const stream = new EventSource(this.url('stream'));
      this.stream = stream;
      // Client keys get `revision` events only: the values themselves come from /initialize.
      stream.addEventListener('revision', (event) => {
        try {
          const time = Number(JSON.parse((event as MessageEvent<string>).data).time);
          if (time > this.details.time) {
            this.announced = Math.max(this.announced, time);
            void this.refresh();
          }
        } catch (error) {
          this.fail(error, 'stream');
        }
      });
      stream.onerror = () => {
        // EventSource reconnects by itself unless the server refused the stream (e.g. a bad key).
        if (stream.readyState === 2) this.fail(new Error('stream closed'), 'stream');
      };
    } catch (error) {
      this.fail(error, 'stream');
    }
  }

  /** Pages may be closed without notice once hidden: queued events go out with sendBeacon then. */
  private listen(): void {
    if (this.unlisten || typeof document === 'undefined') return;
    const send = () => {
      if (this.queue.length === 0) return;
      clearTimeout(this.timer);
      this.timer = undefined;
      try {
        const url = this.url('rgstr');
        const body = this.batch(this.queue.splice(0));
        if (navigator.sendBeacon?.(url, body)) return;
        // Too large for a beacon (64 kB), or refused: the page may still live long enough.
        fetch(url, { method: 'POST', body, keepalive: body.length < 60_000 }).catch((error) =>
          this.fail(error, 'flush'),
        );
      } catch (error) {
        this.fail(error, 'flush');
      }
    };
    const hidden = () => {
      if (document.visibilityState === 'hidden') send();
    };
    // Safari may fire pagehide without hiding the page first.
    document.addEventListener('visibilitychange', hidden);
    addEventListener('pagehide', send);
    this.unlisten = () => {
      document.removeEventListener('visibilitychange', hidden);
      removeEventListener('pagehide', send);
    };
  }

  private cacheKey(): string {
    return `${PREFIX}values:${this.userKey}`;
  }

  /** Stores the values under the user's key and evicts the least recently stored users. */
  private save(): void {
    try {
      const store = storage();
      if (!store || !this.values) return;
      const indexKey = `${PREFIX}users:${hashKey(this.clientKey)}`;
      const key = this.cacheKey();
      const keys = (JSON.parse(store.getItem(indexKey) ?? '[]') as string[]).filter((k) => k !== key);
      keys.push(key);
      for (const old of keys.splice(0, Math.max(0, keys.length - CACHED_USERS))) store.removeItem(old);
      store.setItem(key, JSON.stringify(this.values));
      store.setItem(indexKey, JSON.stringify(keys));
    } catch (error) {
      this.fail(error, 'storage');
    }
  }

  private storedStableID(): string {
    try {
      const store = storage();
      const stored = store?.getItem(`${PREFIX}stableID`);
      if (stored) return stored;
      const id = randomID();
      store?.setItem(`${PREFIX}stableID`, id);
      return id;
    } catch {
      return randomID();
    }
  }

  private fail(error: unknown, context: string): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    try {
      if (this.options.onError) this.options.onError(failure, context);
      else console.warn(`[switchyard] ${context}:`, failure);
    } catch {
      // An onError that throws must not reach the host either.
    }
  }
}
