import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { ERROR_CODES, SwitchyardError, toSwitchyardError } from './errors.js';
import type { HttpClient, OpenStream } from './http-client.js';
import {
  CONFIG_SOURCES,
  type ConfigChange,
  parseConfigSpecs,
  parseSharedDelta,
  type SpecStore,
} from './spec-store.js';

/**
 * How the SDK is following the server right now.
 *
 * @example
 * if (sdk.stats().mode === SYNC_MODES.polling) console.warn('no stream: polling');
 */
export const SYNC_MODES = {
  /** Not connected yet, or reconnecting after the stream dropped (before polling takes over). */
  connecting: 'connecting',
  /** Connected to `/v1/stream`: changes arrive as pushed events. */
  streaming: 'streaming',
  /** The stream is unavailable: download_config_specs is polled while reconnecting is retried. */
  polling: 'polling',
  /** No network (`localMode`): bootstrap or cache only. */
  local: 'local',
  /** Shut down. */
  closed: 'closed',
} as const;

export type SyncMode = (typeof SYNC_MODES)[keyof typeof SYNC_MODES];

/** How an update arrived. */
export type UpdateVia = 'stream' | 'poll';

export interface ConfigSyncOptions {
  http: HttpClient;
  store: SpecStore;
  /** `<server>/v1` */
  apiBase: string;
  serverKey: string;
  headers: () => Record<string, string>;
  streaming: boolean;
  pollIntervalMs: number;
  reconnectDelay: BackoffOptions;
  streamIdleTimeoutMs: number;
  streamFailuresBeforePolling: number;
  requestTimeoutMs: number;
  /** A new configuration is being served. */
  onUpdate(change: ConfigChange, via: UpdateVia): void;
  /** The held configuration is the server's revision `revision` (on connect and after each streamed update). */
  onInSync(revision: number): void;
  /**
   * ID lists may have changed: their changes bump the revision without touching specs, so this
   * is said for every revision step that is not exactly one spec change, and after any gap.
   */
  onIdListsStale(): void;
  onError(error: SwitchyardError): void;
}

export type FirstOutcome = { ok: true } | { ok: false; error: SwitchyardError };

/** Statuses meaning "this server has no stream endpoint": poll instead, and probe again later. */
const STREAM_UNSUPPORTED = new Set([404, 405, 501]);
/** Above this a `config` event is refused (a garbage stream must not exhaust memory). */
const MAX_EVENT_CHARS = 256 * 1024 * 1024;

type StreamEnd = 'ended' | 'resync';

/**
 * Follows the server's configuration: `/v1/stream` first (resuming with Last-Event-ID, applying
 * `delta` events based on the held revision), reconnecting with jittered backoff; while the
 * stream is unavailable (refused `streamFailuresBeforePolling` times in a row, or answered 404)
 * download_config_specs is polled with `sinceTime`, until a reconnect succeeds.
 */
export class ConfigSync {
  mode: SyncMode = SYNC_MODES.connecting;
  reconnects = 0;
  lastError: SwitchyardError | undefined;
  private stopped = false;
  private stream: OpenStream | undefined;
  private streamHealthy = false;
  private streamFailures = 0;
  private resyncs = 0;
  private streamUnsupported = false;
  private pollFailures = 0;
  private polling = false;
  private pollInFlight = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pollAbort = new AbortController();
  private settleFirst: (outcome: FirstOutcome) => void = () => {};
  private firstSettled = false;
  readonly firstOutcome: Promise<FirstOutcome>;

  constructor(private readonly options: ConfigSyncOptions) {
    this.firstOutcome = new Promise((resolve) => {
      this.settleFirst = (outcome) => {
        if (this.firstSettled) return;
        this.firstSettled = true;
        resolve(outcome);
      };
    });
  }

  start(): void {
    if (this.options.streaming) this.connect();
    else this.startPolling(true);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.mode = SYNC_MODES.closed;
    clearTimeout(this.pollTimer);
    clearTimeout(this.reconnectTimer);
    this.pollAbort.abort();
    this.stream?.close();
    this.settleFirst({ ok: false, error: new SwitchyardError(ERROR_CODES.network, 'shut down') });
  }

  // ---- streaming -------------------------------------------------------------------------

  private connect(): void {
    if (this.stopped) return;
    this.streamOnce()
      .then((end) => {
        if (this.stopped) return;
        // A stream that ends before delivering a configuration counts as a failure, or a
        // server that accepts and hangs up at once would keep polling from ever starting.
        if (!this.streamHealthy) {
          throw new SwitchyardError(ERROR_CODES.network, '/v1/stream ended before sending a configuration');
        }
        this.lostStream();
        this.streamFailures = 0;
        // A resync (a delta we cannot apply) reconnects at once to get the full config; a
        // server that keeps sending such deltas gets the usual delay.
        this.resyncs = end === 'resync' ? this.resyncs + 1 : 0;
        const immediate = end === 'resync' && this.resyncs <= 2;
        this.scheduleReconnect(immediate ? 0 : backoffDelay(this.resyncs, this.options.reconnectDelay));
      })
      .catch((error: unknown) => {
        if (this.stopped) return;
        const failure = toSwitchyardError(error, ERROR_CODES.network);
        const wasHealthy = this.streamHealthy;
        this.lostStream();
        this.streamFailures += 1;
        this.streamUnsupported = failure.status !== undefined && STREAM_UNSUPPORTED.has(failure.status);
        this.lastError = failure;
        if (wasHealthy || this.streamFailures === 1) {
          this.options.onError(
            new SwitchyardError(failure.code, `stream: ${failure.message}`, failure.status),
          );
        }
        if (!this.firstSettled) {
          // At start, one failed stream attempt is enough to try a plain download.
          this.startPolling(true);
        } else if (
          this.streamUnsupported ||
          this.streamFailures >= this.options.streamFailuresBeforePolling
        ) {
          this.startPolling(true);
        }
        this.scheduleReconnect(backoffDelay(this.streamFailures - 1, this.options.reconnectDelay));
      });
  }

  private lostStream(): void {
    this.stream = undefined;
    if (this.streamHealthy) this.reconnects += 1;
    this.streamHealthy = false;
    if (!this.stopped) this.mode = this.polling ? SYNC_MODES.polling : SYNC_MODES.connecting;
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
    this.reconnectTimer.unref();
  }

  private async streamOnce(): Promise<StreamEnd> {
    const { store } = this.options;
    const headers: Record<string, string> = {
      ...this.options.headers(),
      accept: 'text/event-stream',
      'cache-control': 'no-cache',
    };
    // Resume only from a revision this server gave us; otherwise ask for the full config.
    if (store.source === CONFIG_SOURCES.network && store.revision !== null) {
      headers['last-event-id'] = String(store.revision);
    }
    const opened = await this.options.http.openStream({
      url: `${this.options.apiBase}/stream`,
      headers,
      connectTimeoutMs: this.options.requestTimeoutMs,
    });
    if (this.stopped) {
      opened.close();
      return 'ended';
    }
    const contentType = String(opened.headers['content-type'] ?? '');
    if (opened.status !== 200 || !contentType.startsWith('text/event-stream')) {
      opened.response.resume();
      opened.close();
      throw new SwitchyardError(
        ERROR_CODES.httpStatus,
        `/v1/stream answered ${opened.status} ${contentType || '(no content type)'}`,
        opened.status,
      );
    }
    this.stream = opened;
    return new Promise<StreamEnd>((resolve, reject) => {
      let done = false;
      let idle: NodeJS.Timeout | undefined;
      const finish = (outcome: StreamEnd | SwitchyardError) => {
        if (done) return;
        done = true;
        clearTimeout(idle);
        opened.close();
        if (outcome instanceof SwitchyardError) reject(outcome);
        else resolve(outcome);
      };
      const armIdle = () => {
        // Restarted on every chunk: refreshing one timer is cheaper than replacing it.
        if (idle) {
          idle.refresh();
          return;
        }
        idle = setTimeout(
          () =>
            finish(
              new SwitchyardError(
                ERROR_CODES.network,
                `no event or heartbeat for ${this.options.streamIdleTimeoutMs} ms`,
              ),
            ),
          this.options.streamIdleTimeoutMs,
        );
        idle.unref();
      };
      const parser = createParser({
        maxBufferSize: MAX_EVENT_CHARS,
        onEvent: (event) => {
          if (done) return;
          try {
            const outcome = this.handleEvent(event);
            if (outcome) finish(outcome);
          } catch (error) {
            finish(toSwitchyardError(error, ERROR_CODES.invalidResponse));
          }
        },
        onError: (error) => {
          if (error.type === 'max-buffer-size-exceeded') {
            finish(new SwitchyardError(ERROR_CODES.invalidResponse, 'stream event too large'));
          }
        },
      });
      armIdle();
      opened.response.setEncoding('utf8');
      opened.response.on('data', (chunk: string) => {
        if (done) return;
        armIdle();
        try {
          parser.feed(chunk);
        } catch (error) {
          finish(toSwitchyardError(error, ERROR_CODES.invalidResponse));
        }
      });
      opened.response.on('end', () => finish('ended'));
      opened.response.on('close', () => finish('ended'));
      opened.response.on('error', (error) => finish(toSwitchyardError(error, ERROR_CODES.network)));
    });
  }

  /** Applies one event; returns how the stream must end, if it must. */
  private handleEvent(event: EventSourceMessage): StreamEnd | undefined {
    const { store } = this.options;
    switch (event.event) {
      case 'revision': {
        const revision = Number((JSON.parse(event.data) as { revision?: unknown }).revision);
        // The server sends a config next unless we already hold its revision; the stream
        // counts as up once we are in sync, not merely connected.
        if (store.source === CONFIG_SOURCES.network && store.revision === revision) {
          this.onStreamUp();
          store.syncedAt = Date.now();
          this.settleFirst({ ok: true });
          this.options.onInSync(revision);
          this.options.onIdListsStale();
        }
        return undefined;
      }
      case 'config': {
        const specs = parseConfigSpecs(event.data);
        const revision = event.id !== undefined && /^\d+$/.test(event.id) ? Number(event.id) : null;
        this.onStreamUp();
        if (
          store.source === CONFIG_SOURCES.network &&
          typeof specs.time === 'number' &&
          specs.time === store.time
        ) {
          // The same configuration (e.g. we last polled it): only learn its revision.
          store.revision = revision;
        } else {
          this.options.onUpdate(store.replace(specs, CONFIG_SOURCES.network, revision), 'stream');
        }
        this.resyncs = 0;
        store.syncedAt = Date.now();
        this.settleFirst({ ok: true });
        if (revision !== null) this.options.onInSync(revision);
        this.options.onIdListsStale();
        return undefined;
      }
      case 'delta': {
        const delta = parseSharedDelta(event.data);
        if (
          !this.streamHealthy ||
          store.source !== CONFIG_SOURCES.network ||
          store.revision !== delta.baseRevision
        ) {
          return 'resync';
        }
        this.options.onUpdate(store.applyDelta(delta), 'stream');
        store.syncedAt = Date.now();
        this.options.onInSync(delta.revision);
        const specsChanged = Object.values(delta.changed).some((specs) => specs.length > 0);
        const removed = Object.values(delta.removed).some((names) => names.length > 0);
        if (delta.revision !== delta.baseRevision + 1 || !(specsChanged || removed)) {
          this.options.onIdListsStale();
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private onStreamUp(): void {
    if (this.streamHealthy) return;
    this.streamHealthy = true;
    this.streamFailures = 0;
    this.streamUnsupported = false;
    this.mode = SYNC_MODES.streaming;
    this.stopPolling();
  }

  // ---- polling ---------------------------------------------------------------------------

  private startPolling(immediately: boolean): void {
    if (this.stopped || this.streamHealthy) return;
    if (!this.polling) {
      this.polling = true;
      this.pollFailures = 0;
      this.mode = SYNC_MODES.polling;
    }
    if (immediately) {
      clearTimeout(this.pollTimer);
      this.pollTimer = undefined;
      void this.pollOnce();
    } else {
      this.schedulePoll();
    }
  }

  private stopPolling(): void {
    this.polling = false;
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.pollAbort.abort();
    this.pollAbort = new AbortController();
  }

  private schedulePoll(): void {
    if (this.stopped || !this.polling || this.pollTimer) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      void this.pollOnce();
    }, this.options.pollIntervalMs);
    this.pollTimer.unref();
  }

  private async pollOnce(): Promise<void> {
    if (this.stopped || !this.polling) return;
    if (this.pollInFlight) {
      // One download at a time; the next comes on schedule.
      this.schedulePoll();
      return;
    }
    this.pollInFlight = true;
    try {
      await this.download(this.pollAbort.signal);
      this.pollFailures = 0;
      this.settleFirst({ ok: true });
    } catch (error) {
      if (this.stopped || !this.polling) return;
      const failure = toSwitchyardError(error, ERROR_CODES.network);
      this.pollFailures += 1;
      this.lastError = failure;
      if (this.pollFailures === 1) {
        this.options.onError(
          new SwitchyardError(failure.code, `download_config_specs: ${failure.message}`, failure.status),
        );
      }
      this.settleFirst({ ok: false, error: failure });
    } finally {
      this.pollInFlight = false;
    }
    this.schedulePoll();
  }

  /** One download_config_specs request; applies a newer configuration. Throws on failure. */
  private async download(signal: AbortSignal): Promise<void> {
    const { store } = this.options;
    // `sinceTime` only for a configuration this server gave us: a bootstrap's time means nothing to it.
    const since = store.source === CONFIG_SOURCES.network && store.time > 0 ? `?sinceTime=${store.time}` : '';
    const response = await this.options.http.request({
      method: 'GET',
      url: `${this.options.apiBase}/download_config_specs/${encodeURIComponent(this.options.serverKey)}.json${since}`,
      headers: { ...this.options.headers(), 'accept-encoding': 'gzip' },
      timeoutMs: this.options.requestTimeoutMs,
      background: true,
      signal,
    });
    if (response.status < 200 || response.status >= 300) {
      throw new SwitchyardError(ERROR_CODES.httpStatus, `answered ${response.status}`, response.status);
    }
    let body: unknown;
    try {
      body = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new SwitchyardError(ERROR_CODES.invalidResponse, 'the answer is not JSON');
    }
    if (signal.aborted || this.stopped) return;
    if ((body as { has_updates?: unknown } | null)?.has_updates === false) {
      if (store.source !== CONFIG_SOURCES.network) {
        throw new SwitchyardError(ERROR_CODES.invalidResponse, 'has_updates is false, yet nothing is held');
      }
      store.syncedAt = Date.now();
      return;
    }
    const specs = parseConfigSpecs(body);
    const time = typeof specs.time === 'number' ? specs.time : 0;
    store.syncedAt = Date.now();
    // An older answer (a lagging instance, or a request overtaken by the stream) changes nothing.
    if (store.source === CONFIG_SOURCES.network && time <= store.time) return;
    this.options.onUpdate(store.replace(specs, CONFIG_SOURCES.network, null), 'poll');
    this.options.onIdListsStale();
  }
}
