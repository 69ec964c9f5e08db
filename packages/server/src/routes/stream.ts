import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { authenticate, presentedKey } from '../http/auth.js';
import type { ChangeFeed } from '../services/change-feed.js';
import type { ConfigSnapshots, Snapshot } from '../services/config-snapshots.js';
import type { KeyStore } from '../store/key-store.js';

/** Server-sent event names on `/v1/stream`. */
export const STREAM_EVENTS = {
  /**
   * `{ revision, time }`: the revision the stream starts at. Client-key streams (browsers) get
   * only these, one per change, and fetch their own values from /v1/initialize: rules never
   * reach a browser.
   */
  revision: 'revision',
  /** The environment's full download_config_specs JSON at the event's id (the revision). */
  config: 'config',
  /**
   * What changed since `baseRevision`, for clients that hold exactly that revision:
   * `{ revision, time, baseRevision, changed: { feature_gates: Spec[], dynamic_configs, layer_configs },
   * removed: { <namespace>: name[] }, layers, id_lists }`. A client at any other revision gets `config`.
   */
  delta: 'delta',
} as const;

const NAMESPACES = ['feature_gates', 'dynamic_configs', 'layer_configs'] as const;

/** Each spec's JSON by namespace and name, computed once per snapshot. */
const specJsonBySnapshot = new WeakMap<Snapshot, Map<string, Map<string, string>>>();

function specJson(snapshot: Snapshot): Map<string, Map<string, string>> {
  let index = specJsonBySnapshot.get(snapshot);
  if (!index) {
    index = new Map(
      NAMESPACES.map((namespace) => [
        namespace,
        new Map((snapshot.specs[namespace] ?? []).map((spec) => [spec.name, JSON.stringify(spec)])),
      ]),
    );
    specJsonBySnapshot.set(snapshot, index);
  }
  return index;
}

/** The `delta` event data taking a client from `base` to `next`. */
function describeDelta(base: Snapshot, next: Snapshot): string {
  const before = specJson(base);
  const after = specJson(next);
  const changed: Record<string, unknown[]> = {};
  const removed: Record<string, string[]> = {};
  for (const namespace of NAMESPACES) {
    const old = before.get(namespace) ?? new Map<string, string>();
    const current = after.get(namespace) ?? new Map<string, string>();
    changed[namespace] = [...current]
      .filter(([name, json]) => old.get(name) !== json)
      .map(([, json]) => JSON.parse(json));
    removed[namespace] = [...old.keys()].filter((name) => !current.has(name));
  }
  return JSON.stringify({
    revision: next.revision,
    time: next.time,
    baseRevision: base.revision,
    changed,
    removed,
    layers: next.specs.layers ?? {},
    id_lists: next.specs.id_lists ?? {},
  });
}

const DEFAULT_HEARTBEAT_MS = 15_000;
/**
 * A stream whose unsent output exceeds this is closed rather than buffered further: a client
 * that cannot keep up reconnects with Last-Event-ID and gets the current config in one event.
 */
const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** After a failed snapshot read (database down), the next fan-out attempt (ms). */
const RETRY_FANOUT_MS = 1_000;

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // nginx buffers proxied responses unless told not to.
  'x-accel-buffering': 'no',
};

const HEARTBEAT = Buffer.from(':\n\n');
const SHUTTING_DOWN = {
  error: { code: 'shutting_down', message: 'this instance is shutting down; reconnect' },
};

export interface StreamHubOptions {
  snapshots: Pick<ConfigSnapshots, 'current'>;
  feed: ChangeFeed;
  /** Interval between heartbeat comments, shared by every stream (ms). */
  heartbeatMs?: number;
  maxBufferedBytes?: number;
  log?: Pick<FastifyBaseLogger, 'warn'>;
}

interface Stream {
  response: ServerResponse;
  environment: string;
  /** The revision this client has been sent. */
  revision: number;
  /** Server keys see specs (`config`, `delta`); client keys only `revision` events. */
  rules: boolean;
}

/**
 * Every open `/v1/stream` response, grouped by environment. One feed subscription and one
 * heartbeat timer serve all streams; on a change each environment's snapshot is read once, its
 * `delta` (for clients at the previous revision) and `config` (for the rest) encoded at most once,
 * then written to every stream of that environment. A kill switch is a few hundred bytes per
 * stream instead of the whole configuration.
 */
export class StreamHub {
  private readonly streams = new Map<string, Set<Stream>>();
  /**
   * Per environment, the last snapshot streams were brought to (the base of the next delta) and
   * its `config` event, encoded on first need and reused until the revision moves.
   */
  private readonly configFrames = new Map<string, { snapshot: Snapshot; frame?: Buffer }>();
  private readonly heartbeatMs: number;
  private readonly maxBufferedBytes: number;
  private readonly unsubscribe: () => void;
  private connected = 0;
  private latest = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private fanOut: Promise<void> | undefined;
  private fanOutAgain = false;
  private closing = false;

  constructor(private readonly options: StreamHubOptions) {
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.latest = options.feed.revision;
    this.unsubscribe = options.feed.subscribe((revision) => {
      this.latest = Math.max(this.latest, revision);
      this.scheduleFanOut();
    });
  }

  /** Connected streams, for the metrics gauge. */
  get size(): number {
    return this.connected;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** Reads the environment's current snapshot (before the response is taken over). */
  snapshot(environment: string): Promise<Snapshot> {
    return this.options.snapshots.current(environment);
  }

  /**
   * Starts the event stream on `response`: a `revision` event, then the full `config` unless
   * the client's `Last-Event-ID` shows it already has this revision.
   */
  open(
    response: ServerResponse,
    environment: string,
    snapshot: Snapshot,
    lastEventId?: string,
    rules = true,
  ): void {
    // Shutdown began while this request read its snapshot: a stream registered now would never end.
    if (this.closing) {
      response.writeHead(503, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(SHUTTING_DOWN));
      return;
    }
    // Browsers open client-key streams cross-origin; a client key is public, so any origin may.
    response.writeHead(
      200,
      rules ? STREAM_HEADERS : { ...STREAM_HEADERS, 'access-control-allow-origin': '*' },
    );
    const stream: Stream = { response, environment, revision: snapshot.revision, rules };
    let environmentStreams = this.streams.get(environment);
    if (!environmentStreams) {
      environmentStreams = new Set();
      this.streams.set(environment, environmentStreams);
    }
    environmentStreams.add(stream);
    this.connected += 1;
    this.startHeartbeat();
    response.on('close', () => this.remove(stream));
    response.on('error', () => this.remove(stream));

    const revisionFrame = encodeRevision(snapshot);
    const upToDate = !rules || lastEventId?.trim() === String(snapshot.revision);
    // Remember the revision as a delta base even when this client needs no config now.
    if (!this.configFrames.has(environment)) this.configFrames.set(environment, { snapshot });
    response.write(
      upToDate ? revisionFrame : Buffer.concat([revisionFrame, this.configFrame(snapshot, environment)]),
    );
    // A change may have been announced between reading the snapshot and registering the stream.
    if (this.latest > snapshot.revision) this.scheduleFanOut();
  }

  /** Ends every stream and refuses new ones (graceful shutdown). Idempotent. */
  closeAll(): void {
    this.closing = true;
    this.unsubscribe();
    clearTimeout(this.retry);
    this.stopHeartbeat();
    for (const environmentStreams of this.streams.values()) {
      for (const stream of environmentStreams) stream.response.end();
    }
    this.streams.clear();
    this.configFrames.clear();
    this.connected = 0;
  }

  private remove(stream: Stream): void {
    const environmentStreams = this.streams.get(stream.environment);
    if (!environmentStreams?.delete(stream)) return;
    this.connected -= 1;
    if (environmentStreams.size === 0) this.streams.delete(stream.environment);
    if (this.connected === 0) this.stopHeartbeat();
  }

  /** Runs one fan-out at a time; announcements during one make it run once more afterwards. */
  private scheduleFanOut(): void {
    if (this.closing) return;
    if (this.fanOut) {
      this.fanOutAgain = true;
      return;
    }
    this.fanOut = this.fanOutUntilCurrent().finally(() => {
      this.fanOut = undefined;
    });
  }

  private async fanOutUntilCurrent(): Promise<void> {
    do {
      this.fanOutAgain = false;
      for (const environment of [...this.streams.keys()]) {
        let snapshot: Snapshot;
        try {
          snapshot = await this.options.snapshots.current(environment);
        } catch (error) {
          this.options.log?.warn({ err: error, environment }, 'stream fan-out: reading the snapshot failed');
          this.retryFanOutLater();
          continue;
        }
        const environmentStreams = this.streams.get(environment);
        if (!environmentStreams || this.closing) continue;
        // Clients at the previously sent revision get only what changed; others the full config.
        const previous = this.configFrames.get(environment)?.snapshot;
        if (!previous || previous.revision < snapshot.revision)
          this.configFrames.set(environment, { snapshot });
        let delta: Buffer | undefined;
        let revision: Buffer | undefined;
        for (const stream of environmentStreams) {
          if (stream.revision >= snapshot.revision) continue;
          if (stream.response.writableLength > this.maxBufferedBytes) {
            // Too far behind; it reconnects and resumes from its Last-Event-ID.
            stream.response.destroy();
            this.remove(stream);
            continue;
          }
          if (!stream.rules) {
            revision ??= encodeRevision(snapshot);
            stream.response.write(revision);
          } else if (previous && stream.revision === previous.revision) {
            delta ??= encodeEvent(STREAM_EVENTS.delta, snapshot.revision, describeDelta(previous, snapshot));
            stream.response.write(delta);
          } else {
            stream.response.write(this.configFrame(snapshot, environment));
          }
          stream.revision = snapshot.revision;
        }
      }
    } while (this.fanOutAgain && !this.closing);
  }

  private retryFanOutLater(): void {
    if (this.retry || this.closing) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.scheduleFanOut();
    }, RETRY_FANOUT_MS);
    this.retry.unref();
  }

  private configFrame(snapshot: Snapshot, environment: string): Buffer {
    const cached = this.configFrames.get(environment);
    if (cached?.snapshot.revision === snapshot.revision) {
      cached.frame ??= encodeEvent(STREAM_EVENTS.config, snapshot.revision, snapshot.json);
      return cached.frame;
    }
    const frame = encodeEvent(STREAM_EVENTS.config, snapshot.revision, snapshot.json);
    // An older snapshot (read by a request before a change landed) must not become the delta base.
    if (!cached || cached.snapshot.revision < snapshot.revision)
      this.configFrames.set(environment, { snapshot, frame });
    return frame;
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const environmentStreams of this.streams.values()) {
        for (const stream of environmentStreams) stream.response.write(HEARTBEAT);
      }
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

function encodeRevision(snapshot: Snapshot): Buffer {
  return encodeEvent(
    STREAM_EVENTS.revision,
    snapshot.revision,
    JSON.stringify({ revision: snapshot.revision, time: snapshot.time }),
  );
}

/** One server-sent event; a multi-line payload becomes several `data:` lines, as SSE requires. */
function encodeEvent(event: string, id: number, data: string): Buffer {
  const lines = data.includes('\n') ? data.split(/\r?\n/) : [data];
  return Buffer.from(`id: ${id}\nevent: ${event}\n${lines.map((line) => `data: ${line}\n`).join('')}\n`);
}

/**
 * `GET /stream` (register with prefix `/v1`): server-sent events for our own SDKs, with a
 * server key (specs) or a client key (revisions only) as `Authorization: Bearer`,
 * `STATSIG-API-KEY`, or `?k=`. The hub's streams are
 * ended in `preClose`, before Fastify waits for open connections, so shutdown never hangs on them.
 */
export function streamRoutes(hub: StreamHub, keys: KeyStore): FastifyPluginAsync {
  return async (app) => {
    app.addHook('preClose', async () => hub.closeAll());

    app.get<{ Querystring: { k?: string } }>(
      '/stream',
      // `?k=a&k=b` arrives as an array: refused here, it never reaches the key lookup.
      { schema: { hide: true, querystring: z.object({ k: z.string().optional() }) } },
      async (request, reply) => {
        // EventSource cannot send headers: browsers pass their client key as `?k=`.
        const key = await authenticate(keys, presentedKey(request) ?? request.query.k, ['server', 'client']);
        if (hub.isClosing) return reply.status(503).send(SHUTTING_DOWN);
        const snapshot = await hub.snapshot(key.environment);
        // The client may have gone while we read the database; a closed socket never emits close again.
        if (request.raw.socket.destroyed) return reply.hijack();
        reply.hijack();
        const lastEventId = request.headers['last-event-id'];
        hub.open(
          reply.raw,
          key.environment,
          snapshot,
          typeof lastEventId === 'string' ? lastEventId : undefined,
          key.kind === 'server',
        );
        return reply;
      },
    );
  };
}
