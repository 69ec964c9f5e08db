import { gunzipSync } from 'node:zlib';
import type { ConfigSpecs, Evaluator, StatsigUser } from '@switchyard/core';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../errors.js';
import { authenticate, presentedKey } from '../http/auth.js';
import { bodyTooDeep, MAX_JSON_DEPTH, tooDeepAt } from '../http/json-depth.js';
import type { Metrics } from '../http/metrics.js';
import {
  createInitializeEvaluator,
  type InitializeHash,
  renderInitializeResponse,
  resolveInitializeHash,
} from '../services/client-initialize.js';
import type { Snapshot, SnapshotSource } from '../services/config-snapshots.js';
import { batchKeyOf, type EventIngestion } from '../services/event-ingestion.js';
import type { KeyStore } from '../store/key-store.js';
import { parseEvents } from './sdk.js';

/** A user object is small; 1 MB is Fastify's default and leaves room for large custom fields. */
const INITIALIZE_BODY_LIMIT = 1024 * 1024;
/** js-client batches at most 100 events; the same 10 MB as log_event. */
const EVENT_BODY_LIMIT = 10 * 1024 * 1024;
/** Limit on a gunzipped body, so a small compressed upload cannot expand without bound. */
const INFLATED_BODY_LIMIT = 10 * 1024 * 1024;

/**
 * Request headers a browser may send cross-origin: js-client's /rgstr sends the statsig-*
 * ones (so it is preflighted, protocol doc §7.4); any other `statsig-*` header asked for in a
 * preflight is allowed too, so a newer client version does not break.
 */
const ALLOWED_HEADERS = [
  'content-type',
  'content-encoding',
  'statsig-api-key',
  'statsig-event-count',
  'statsig-retry-count',
  'statsig-sdk-type',
  'statsig-sdk-version',
  'statsig-client-time',
  'statsig-encoded',
];

/** What one snapshot needs to answer clients: built once per snapshot object, never per request. */
export interface ClientEvaluation {
  evaluator: Evaluator;
  /**
   * Some spec has a `current_time` condition, so a user's values can change while the DCS
   * does not; `sinceTime` then cannot prove the client's cache is current.
   */
  timeDependent: boolean;
}

const evaluations = new WeakMap<Snapshot, ClientEvaluation>();

function hasTimeCondition(specs: ConfigSpecs): boolean {
  for (const list of [specs.feature_gates, specs.dynamic_configs, specs.layer_configs]) {
    if (!Array.isArray(list)) continue;
    for (const spec of list) {
      for (const rule of Array.isArray(spec?.rules) ? spec.rules : []) {
        for (const condition of Array.isArray(rule?.conditions) ? rule.conditions : []) {
          if (String(condition?.type).toLowerCase() === 'current_time') return true;
        }
      }
    }
  }
  return false;
}

/** The evaluator (and its facts) for a snapshot; a new snapshot object means a new revision. */
export function clientEvaluationFor(snapshot: Snapshot): ClientEvaluation {
  let evaluation = evaluations.get(snapshot);
  if (!evaluation) {
    evaluation = {
      evaluator: createInitializeEvaluator(snapshot.specs, snapshot.idLists),
      timeDependent: hasTimeCondition(snapshot.specs),
    };
    evaluations.set(snapshot, evaluation);
  }
  return evaluation;
}

type Query = Record<string, unknown>;

function invalid(message: string, field: string): InvalidInputError {
  return new InvalidInputError('invalid_request', message, { field });
}

/** js-client sends its key as `?k=`; other clients may use `STATSIG-API-KEY` or a Bearer token. */
function clientKey(request: FastifyRequest): string | undefined {
  const k = (request.query as Query).k;
  return typeof k === 'string' && k !== '' ? k : presentedKey(request);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The JSON body of a client request, whatever its transport encoding:
 * - `gz=1` (js-client's /rgstr, no Content-Encoding header) or `Content-Encoding: gzip`: gzip;
 * - `se=1` (js-client in browsers): base64, then reversed character by character. js-client
 *   encodes with `btoa`, which takes one byte per character (Latin-1) and refuses anything
 *   beyond U+00FF (the client then sends plain JSON), so the inverse decodes the bytes as
 *   Latin-1, not UTF-8.
 */
function decodeBody(request: FastifyRequest): unknown {
  return parseBodyText(decodeBodyText(request));
}

/** The text of a client request's body, with its transport encoding undone (see decodeBody). */
function decodeBodyText(request: FastifyRequest): string {
  const query = request.query as Query;
  let bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  if (bytes.length === 0) throw invalid('the request body is empty', 'body');
  if (query.gz === '1' || request.headers['content-encoding'] === 'gzip') {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: INFLATED_BODY_LIMIT });
    } catch {
      throw invalid(`the body is not gzip data of at most ${INFLATED_BODY_LIMIT} bytes`, 'body');
    }
  }
  let text: string;
  if (query.se === '1') {
    const base64 = bytes.toString('latin1').split('').reverse().join('').trim();
    if (base64.length % 4 !== 0 || !BASE64.test(base64)) {
      throw invalid('se=1 needs a reversed base64 body', 'body');
    }
    text = Buffer.from(base64, 'base64').toString('latin1');
  } else {
    text = bytes.toString('utf8');
  }
  return text;
}

function parseBodyText(text: string): unknown {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw invalid('the body is not valid JSON', 'body');
  }
  // Read by hand (not by Fastify's parser), so the app-wide depth limit does not see it: a user
  // nested 10,000 levels overflowed the stack when echoed back (a 500).
  const tooDeep = tooDeepAt(body, MAX_JSON_DEPTH);
  if (tooDeep !== undefined) throw bodyTooDeep(tooDeep);
  return body;
}

interface InitializeRequest {
  user: StatsigUser;
  hash: InitializeHash;
  sinceTime: number | null;
  stableID: string | null;
}

/** Validates what the response depends on; unknown fields (deltas, checksums) are ignored. */
function readInitializeRequest(body: unknown): InitializeRequest {
  if (!isPlainObject(body)) throw invalid('the body must be a JSON object', 'body');
  const user = body.user ?? {};
  if (!isPlainObject(user)) throw invalid('user must be an object', 'body.user');
  // The stableID is written into customIDs; other odd fields are the evaluator's to tolerate.
  if (user.customIDs != null && !isPlainObject(user.customIDs)) {
    throw invalid('user.customIDs must be an object', 'body.user.customIDs');
  }
  const hash = body.hash ?? 'djb2';
  if (typeof hash !== 'string') throw invalid('hash must be a string', 'body.hash');
  const sinceTime = body.sinceTime ?? null;
  if (sinceTime !== null && (typeof sinceTime !== 'number' || !Number.isFinite(sinceTime))) {
    throw invalid('sinceTime must be a number', 'body.sinceTime');
  }
  const metadata = isPlainObject(body.statsigMetadata) ? body.statsigMetadata : {};
  const stableID = typeof metadata.stableID === 'string' ? metadata.stableID : null;
  return { user: user as StatsigUser, hash: resolveInitializeHash(hash), sinceTime, stableID };
}

/** Browsers read a cross-origin response only with this header; no credentials are involved. */
function allowOrigin(request: FastifyRequest, reply: FastifyReply): void {
  const origin = request.headers.origin;
  reply.header('access-control-allow-origin', origin ?? '*');
  if (origin && !reply.hasHeader('vary')) reply.header('vary', 'Origin');
}

function allowedHeaders(requested: string | undefined): string {
  const names = new Set(ALLOWED_HEADERS);
  for (const name of (requested ?? '').split(',')) {
    const header = name.trim().toLowerCase();
    if (header.startsWith('statsig-')) names.add(header);
  }
  return [...names].join(', ');
}

/**
 * @statsig/js-client's endpoints (protocol doc §7): `POST /initialize` answers with the
 * evaluated values for one user, `POST /rgstr` stores its events; both take a client or
 * server key (`?k=` or `STATSIG-API-KEY`) and answer browsers' CORS preflights.
 *
 * @example
 * await app.register(clientSdkRoutes(snapshots, events, keys), { prefix: '/v1' });
 */
export function clientSdkRoutes(
  snapshots: SnapshotSource,
  ingestion: EventIngestion,
  keys: KeyStore,
  metrics?: Pick<Metrics, 'onEventsStored' | 'onEventsRejected'>,
): FastifyPluginAsync {
  return async (app) => {
    // Bodies arrive as text/plain JSON, base64 (se=1), gzip without Content-Encoding (gz=1), or
    // with no Content-Type at all; decodeBody sorts them out from the raw bytes.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    app.addHook('onSend', async (request, reply, payload) => {
      allowOrigin(request, reply);
      return payload;
    });

    for (const path of ['/initialize', '/rgstr']) {
      app.options(path, async (request, reply) => {
        const requested = request.headers['access-control-request-headers'];
        reply.header('access-control-allow-methods', 'POST, OPTIONS');
        reply.header('access-control-allow-headers', allowedHeaders(requested));
        reply.header('access-control-max-age', '86400');
        reply.header('vary', 'Origin, Access-Control-Request-Headers');
        return reply.status(204).send();
      });
    }

    app.post('/initialize', { bodyLimit: INITIALIZE_BODY_LIMIT }, async (request, reply) => {
      const key = await authenticate(keys, clientKey(request), ['client', 'server']);
      const input = readInitializeRequest(decodeBody(request));
      const snapshot = await snapshots.current(key.environment);
      const { evaluator, timeDependent } = clientEvaluationFor(snapshot);
      // js-client sends sinceTime only with a cached response for this very user and hash.
      if (input.sinceTime !== null && !timeDependent && input.sinceTime >= snapshot.time) {
        return reply.send({ has_updates: false, time: snapshot.time });
      }
      // Already JSON: Fastify sends a string with a JSON content type as it is.
      return reply.type('application/json; charset=utf-8').send(
        renderInitializeResponse(snapshot.specs, evaluator, input.user, {
          hash: input.hash,
          stableID: input.stableID,
        }),
      );
    });

    app.post('/rgstr', { bodyLimit: EVENT_BODY_LIMIT }, async (request, reply) => {
      const key = await authenticate(keys, clientKey(request), ['client', 'server']);
      const text = decodeBodyText(request);
      const body = parseBodyText(text);
      const batch = parseEvents(body);
      // As on /initialize: the device's stableID travels in statsigMetadata, and exposures of
      // stableID-typed experiments need it among the unit IDs.
      const metadata = (body as { statsigMetadata?: unknown }).statsigMetadata;
      const stableID = isPlainObject(metadata) ? metadata.stableID : undefined;
      if (typeof stableID === 'string' && stableID !== '') {
        for (const event of batch.events) {
          const user = event.user ?? {};
          const customIDs = isPlainObject(user.customIDs) ? user.customIDs : {};
          if (customIDs.stableID == null || customIDs.stableID === '') {
            event.user = { ...user, customIDs: { ...customIDs, stableID } };
          }
        }
      }
      metrics?.onEventsRejected(batch.rejected.length);
      // Keyed by the decoded body's text: a retried batch is acknowledged, not stored twice.
      const idempotencyKey = request.headers['idempotency-key'];
      const outcome = await ingestion.submit(
        key.environment,
        batch.events,
        batchKeyOf(text, typeof idempotencyKey === 'string' ? idempotencyKey : undefined),
      );
      metrics?.onEventsStored(outcome.stored);
      return reply.status(202).send({
        success: true,
        stored: outcome.stored,
        duplicate: outcome.duplicate,
        rejected: batch.rejected,
      });
    });
  };
}
