import type { ConfigSpecs } from '@switchyard/core';
import type { BackoffOptions } from './backoff.js';
import type { SwitchyardError } from './errors.js';

/**
 * Settings of `Switchyard.init`. Only `serverKey` and `url` are needed against a server;
 * everything else has a default suited to production.
 *
 * @example
 * const sdk = await Switchyard.init({
 *   serverKey: process.env.SWITCHYARD_SERVER_KEY!,
 *   url: 'http://switchyard.internal:8080',
 *   cacheFile: '/var/cache/myapp/switchyard.json',
 *   onError: (error) => logger.warn({ code: error.code }, error.message),
 * });
 */
export interface SwitchyardOptions {
  /** A server key (`secret-...`) of the environment to serve. */
  serverKey: string;
  /** The server's base URL, e.g. `http://localhost:8080` (a trailing `/v1` is accepted too). */
  url?: string;
  /** Replaces every user's `statsigEnvironment`, e.g. `{ tier: 'staging' }` (as statsig-node's option). */
  environment?: Record<string, unknown>;
  /** How long `init` waits for the server before serving cache, bootstrap or defaults (ms). Default 3000. */
  initTimeoutMs?: number;
  /** A download_config_specs payload (JSON text or object) to serve when the server is unreachable at start. */
  bootstrap?: string | ConfigSpecs;
  /** ID lists (raw unit IDs per list name) to evaluate `in_segment_list` with until the server is reached. */
  bootstrapIdLists?: Record<string, readonly string[]>;
  /**
   * A file to keep the last configuration (and ID lists) in: written atomically after each
   * update, read at start when the server is unreachable. The newer of it and `bootstrap` wins.
   */
  cacheFile?: string;
  /** No network at all: serve `bootstrap` (or `cacheFile`), send no events. For tests. */
  localMode?: boolean;
  /** Follow `/v1/stream` (default). With false, only poll download_config_specs. */
  streaming?: boolean;
  /** Interval of download_config_specs polls while the stream is unavailable (ms). Default 10,000. */
  pollIntervalMs?: number;
  /** Reconnect delay of the stream, doubling from `minMs` to `maxMs`, with jitter. Default 500 ms to 30 s. */
  reconnectDelayMs?: BackoffOptions;
  /** A stream silent this long (the server sends a heartbeat every 15 s) is reopened (ms). Default 45,000. */
  streamIdleTimeoutMs?: number;
  /** Consecutive failed stream attempts before polling starts (a 404 starts it at once). Default 2. */
  streamFailuresBeforePolling?: number;
  /** ID lists are synced after changes and at least this often (ms). Default 60,000. */
  idListSyncIntervalMs?: number;
  /** Timeout of each HTTP request (ms). Default 10,000. */
  requestTimeoutMs?: number;
  /** Send no events at all: no exposures, no custom events. */
  disableEvents?: boolean;
  /** Log no exposures (custom events are still sent). One call can also opt out with `{ disableExposureLogging: true }`. */
  disableExposureLogging?: boolean;
  /** Events per log_event post (at most 1,000); a full batch is sent at once. Default 500. */
  eventBatchSize?: number;
  /** Queued events are sent at least this often (ms). Default 10,000. */
  eventFlushIntervalMs?: number;
  /** Events kept while the server is unreachable; beyond it the oldest are dropped (`stats().droppedEvents`). Default 10,000. */
  maxQueuedEvents?: number;
  /** Retries of a failed post before its events are dropped. Default 5. */
  eventRetryLimit?: number;
  /** Delay between retries of a failed post, doubling. Default 1 s to 60 s. */
  eventRetryDelayMs?: BackoffOptions;
  /** An identical exposure (same unit IDs, entity, rule and value) is logged once per window (ms). Default 60,000. */
  exposureDedupeWindowMs?: number;
  /** `shutdown()` waits at most this long for the last events to be sent (ms). Default 5,000. */
  shutdownTimeoutMs?: number;
  /** Told about every problem (unreachable server, refused events, bad input). Never required. */
  onError?: (error: SwitchyardError) => void;
  /** Current time for `current_time` conditions (ms); the system clock by default. For tests. */
  clock?: () => number;
}

/** The options with every default applied. */
export interface ResolvedOptions {
  serverKey: string;
  apiBase: string | null;
  environment: Record<string, unknown> | undefined;
  initTimeoutMs: number;
  bootstrap: string | ConfigSpecs | undefined;
  bootstrapIdLists: Record<string, readonly string[]> | undefined;
  cacheFile: string | undefined;
  localMode: boolean;
  streaming: boolean;
  pollIntervalMs: number;
  reconnectDelayMs: BackoffOptions;
  streamIdleTimeoutMs: number;
  streamFailuresBeforePolling: number;
  idListSyncIntervalMs: number;
  requestTimeoutMs: number;
  disableEvents: boolean;
  disableExposureLogging: boolean;
  eventBatchSize: number;
  eventFlushIntervalMs: number;
  maxQueuedEvents: number;
  eventRetryLimit: number;
  eventRetryDelayMs: BackoffOptions;
  exposureDedupeWindowMs: number;
  shutdownTimeoutMs: number;
  onError: ((error: SwitchyardError) => void) | undefined;
  clock: (() => number) | undefined;
}

/** A positive finite number at least `min`, else the default. */
function positive(value: unknown, fallback: number, min = 1): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min ? value : fallback;
}

function backoff(value: unknown, fallback: BackoffOptions): BackoffOptions {
  const given = (value ?? {}) as Partial<BackoffOptions>;
  const minMs = positive(given.minMs, fallback.minMs);
  return { minMs, maxMs: Math.max(minMs, positive(given.maxMs, fallback.maxMs)) };
}

/** `http://host:8080`, `http://host:8080/`, `http://host:8080/v1` -> `http://host:8080/v1`. */
export function apiBaseOf(url: unknown): string | null {
  if (typeof url !== 'string' || url.trim() === '') return null;
  try {
    const parsed = new URL(url.trim());
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
    const path = parsed.pathname.replace(/\/+$/, '');
    return `${parsed.origin}${path.endsWith('/v1') ? path : `${path}/v1`}`;
  } catch {
    return null;
  }
}

/** Applies defaults; never throws, whatever it is given. */
export function resolveOptions(input: SwitchyardOptions | null | undefined): ResolvedOptions {
  const options = (typeof input === 'object' && input !== null ? input : {}) as Partial<SwitchyardOptions>;
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  return {
    serverKey: typeof options.serverKey === 'string' ? options.serverKey.trim() : '',
    apiBase: apiBaseOf(options.url),
    environment: isObject(options.environment) ? options.environment : undefined,
    initTimeoutMs: positive(options.initTimeoutMs, 3_000),
    bootstrap:
      typeof options.bootstrap === 'string' || isObject(options.bootstrap)
        ? (options.bootstrap as string | ConfigSpecs)
        : undefined,
    bootstrapIdLists: isObject(options.bootstrapIdLists)
      ? (options.bootstrapIdLists as Record<string, readonly string[]>)
      : undefined,
    cacheFile:
      typeof options.cacheFile === 'string' && options.cacheFile !== '' ? options.cacheFile : undefined,
    localMode: options.localMode === true,
    streaming: options.streaming !== false,
    pollIntervalMs: positive(options.pollIntervalMs, 10_000, 10),
    reconnectDelayMs: backoff(options.reconnectDelayMs, { minMs: 500, maxMs: 30_000 }),
    streamIdleTimeoutMs: positive(options.streamIdleTimeoutMs, 45_000, 10),
    streamFailuresBeforePolling: Math.floor(positive(options.streamFailuresBeforePolling, 2)),
    idListSyncIntervalMs: positive(options.idListSyncIntervalMs, 60_000, 10),
    requestTimeoutMs: positive(options.requestTimeoutMs, 10_000, 10),
    disableEvents: options.disableEvents === true,
    disableExposureLogging: options.disableExposureLogging === true,
    // Statsig's SDKs and our server's body limit assume at most 1,000 events per post.
    eventBatchSize: Math.min(1_000, Math.floor(positive(options.eventBatchSize, 500))),
    eventFlushIntervalMs: positive(options.eventFlushIntervalMs, 10_000, 10),
    maxQueuedEvents: Math.floor(positive(options.maxQueuedEvents, 10_000)),
    eventRetryLimit: Math.floor(positive(options.eventRetryLimit, 5, 0)),
    eventRetryDelayMs: backoff(options.eventRetryDelayMs, { minMs: 1_000, maxMs: 60_000 }),
    exposureDedupeWindowMs: positive(options.exposureDedupeWindowMs, 60_000, 10),
    shutdownTimeoutMs: positive(options.shutdownTimeoutMs, 5_000, 0),
    onError: typeof options.onError === 'function' ? options.onError : undefined,
    clock: typeof options.clock === 'function' ? options.clock : undefined,
  };
}
