import { createGunzip, gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyRequest, preParsingAsyncHookHandler } from 'fastify';
import { InvalidInputError, OverloadedError } from '../errors.js';
import { authenticate, presentedKey } from '../http/auth.js';
import type { Metrics } from '../http/metrics.js';
import type { Snapshot, SnapshotSource } from '../services/config-snapshots.js';
import { batchKeyOf, type EventIngestion } from '../services/event-ingestion.js';
import type { BatchOutcome, IncomingEvent } from '../store/event-store.js';
import type { KeyStore } from '../store/key-store.js';

/** Statsig SDKs batch at most 1,000 events; 10 MB (after gunzip) leaves room for large metadata. */
const EVENT_BODY_LIMIT = 10 * 1024 * 1024;

interface RejectedEvent {
  index: number;
  field: string;
  message: string;
}

/**
 * Reads a batch. A malformed event is rejected on its own (and reported) so one bad event
 * never costs the rest of the batch; only a body without an `events` array is refused whole.
 * The parsed objects are used as they are (no copies): only the user's unit IDs are ever
 * stored from `user`, never its other fields (private attributes are for evaluation only).
 */
export function parseEvents(body: unknown): { events: IncomingEvent[]; rejected: RejectedEvent[] } {
  const raw = (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(raw))
    throw new InvalidInputError('invalid_request', 'events must be an array', { field: 'body.events' });
  const events: IncomingEvent[] = [];
  const rejected: RejectedEvent[] = [];
  for (let index = 0; index < raw.length; index++) {
    const event = raw[index] as Record<string, unknown> | null;
    const eventName = event?.eventName;
    if (!event || typeof eventName !== 'string' || eventName.length === 0) {
      rejected.push({
        index,
        field: `body.events.${index}.eventName`,
        message: 'must be a non-empty string',
      });
      continue;
    }
    const { user, metadata, secondaryExposures } = event;
    events.push({
      eventName,
      time: Number(event.time),
      user: user && typeof user === 'object' ? (user as Record<string, unknown>) : null,
      value: event.value ?? null,
      metadata: metadata && typeof metadata === 'object' ? (metadata as Record<string, unknown>) : null,
      secondaryExposures: Array.isArray(secondaryExposures) ? secondaryExposures : null,
    });
  }
  return { events, rejected };
}

/**
 * The DCS gzipped once per snapshot: statsig-node accepts gzip, and a large configuration
 * shrinks about 8x (655 KB to 81 KB in the server bench) for one compression per revision.
 */
const gzippedBySnapshot = new WeakMap<Snapshot, Buffer>();

function gzippedSpecs(snapshot: Snapshot): Buffer {
  let gzipped = gzippedBySnapshot.get(snapshot);
  if (!gzipped) {
    gzipped = gzipSync(snapshot.json);
    gzippedBySnapshot.set(snapshot, gzipped);
  }
  return gzipped;
}

/**
 * log_event bodies arrive gzip-compressed on first attempts and plain on retries. A corrupt body
 * fails the parse with a 400; the error listener keeps it from crashing the process when the
 * body is never read (e.g. a 415 for its content type).
 */
const inflateGzip: preParsingAsyncHookHandler = async (request, _reply, payload) => {
  if (request.headers['content-encoding'] !== 'gzip') return payload;
  // Fastify checks Content-Length against the bytes received, which are the compressed ones.
  const inflated = Object.assign(payload.pipe(createGunzip()), { receivedEncodedLength: 0 });
  inflated.on('error', () => {});
  payload.on('data', (chunk: Buffer) => {
    inflated.receivedEncodedLength += chunk.length;
  });
  return inflated;
};

/** Each log_event request's body as received (inflated), for its batch key. */
const rawBodies = new WeakMap<FastifyRequest, Buffer>();

/**
 * Statsig's server-SDK protocol (shared/docs/statsig-protocol.md sections 1 and 5; ID lists,
 * section 6, are in id-list-files.ts): statsig-node pointed at `http://host/v1` works unchanged.
 */
export function sdkRoutes(
  snapshots: SnapshotSource,
  ingestion: EventIngestion,
  keys: KeyStore,
  metrics?: Pick<Metrics, 'onEventsStored' | 'onEventsRejected'>,
): FastifyPluginAsync {
  return async (app) => {
    // JSON bodies are read as bytes, so the batch key hashes them as they are instead of
    // serialising the parsed body again; Fastify's own parser (with its prototype-poisoning
    // checks) still does the parsing.
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      rawBodies.set(request, body as Buffer);
      // Typed for strings; it parses a Buffer the same way (secure-json-parse accepts both).
      parseJson(request, body as unknown as string, done);
    });

    app.get<{ Params: { file: string }; Querystring: { sinceTime?: string } }>(
      '/download_config_specs/:file',
      async (request, reply) => {
        const fromPath = request.params.file.replace(/\.json$/, '');
        const key = await authenticate(keys, fromPath || presentedKey(request), ['server']);
        const snapshot = await snapshots.current(key.environment);
        // Our SDKs report the revision they hold (sdk_status); Statsig's ignore the header.
        reply.header('x-switchyard-revision', String(snapshot.revision));
        const since = Number(request.query.sinceTime);
        if (Number.isFinite(since) && since >= snapshot.time) {
          return reply.send({ has_updates: false, time: snapshot.time });
        }
        reply.type('application/json').header('vary', 'accept-encoding');
        if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
          return reply.header('content-encoding', 'gzip').send(gzippedSpecs(snapshot));
        }
        return reply.send(snapshot.json);
      },
    );

    app.post(
      '/log_event',
      { bodyLimit: EVENT_BODY_LIMIT, preParsing: inflateGzip },
      async (request, reply) => {
        const key = await authenticate(keys, presentedKey(request), ['server', 'client']);
        const batch = parseEvents(request.body);
        metrics?.onEventsRejected(batch.rejected.length);
        const idempotencyKey = request.headers['idempotency-key'];
        let outcome: BatchOutcome;
        try {
          outcome = await ingestion.submit(
            key.environment,
            batch.events,
            batchKeyOf(
              rawBodies.get(request) ?? '',
              typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
            ),
          );
        } catch (error) {
          // statsig-node retries a 503 but drops a batch answered with 429.
          if (error instanceof OverloadedError && request.headers['statsig-sdk-type'] === 'statsig-node') {
            return reply
              .status(503)
              .header('retry-after', String(error.retryAfterSeconds))
              .send({
                error: { code: error.code, message: error.message },
              });
          }
          throw error;
        }
        metrics?.onEventsStored(outcome.stored);
        return reply.status(202).send({
          success: true,
          stored: outcome.stored,
          duplicate: outcome.duplicate,
          rejected: batch.rejected,
        });
      },
    );
  };
}
