import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { StoredGate } from './domain/gate.js';
import { AUTHORED_KINDS } from './domain/kinds.js';
import type { StoredSegment } from './domain/segment.js';
import { handleError } from './http/error-handler.js';
import { jsonDepthLimit } from './http/json-depth.js';
import { LoginThrottle, type LoginThrottleOptions } from './http/login-throttle.js';
import { Metrics, metricsPlugin } from './http/metrics.js';
import { authenticateConsole } from './http/principal.js';
import { withRedactedUrls } from './http/redact-url.js';
import { registerSdkRateLimit, type SdkRateLimitOptions } from './http/sdk-rate-limit.js';
import { ChangeScheduler } from './release/change-scheduler.js';
import { GuardrailMonitor } from './release/guardrail-monitor.js';
import { ToplineMonitor } from './release/topline-monitor.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { authoringRoutes } from './routes/authoring.js';
import { changeRequestRoutes } from './routes/change-requests.js';
import { clientSdkRoutes } from './routes/client-sdk.js';
import { registerConsole } from './routes/console-app.js';
import { environmentRoutes } from './routes/environments.js';
import { evaluateRoutes } from './routes/evaluate.js';
import { idListFileRoutes } from './routes/id-list-files.js';
import { idListRoutes } from './routes/id-lists.js';
import { importRoutes } from './routes/import.js';
import { keyRoutes } from './routes/keys.js';
import { pulseRoutes } from './routes/pulse.js';
import { releaseRoutes } from './routes/release.js';
import { sdkRoutes } from './routes/sdk.js';
import { sdkInstanceApiRoutes, sdkStatusRoutes } from './routes/sdk-instances.js';
import { StreamHub, streamRoutes } from './routes/stream.js';
import { userRoutes } from './routes/users.js';
import { webhookRoutes } from './routes/webhooks.js';
import type { ScryptParameters } from './security/passwords.js';
import { AuthoringService } from './services/authoring-service.js';
import { type ChangeFeed, type FeedLogger, InProcessChangeFeed } from './services/change-feed.js';
import { ChangeRequests } from './services/change-requests.js';
import { ConfigSnapshots, type SnapshotSource } from './services/config-snapshots.js';
import { EnvironmentGuard } from './services/environment-guard.js';
import { EventIngestion } from './services/event-ingestion.js';
import { IdListService } from './services/id-list-service.js';
import { PulseAggregator } from './services/pulse-aggregator.js';
import { PulseResults } from './services/pulse-results.js';
import { UserAttributeCatalog } from './services/user-attribute-catalog.js';
import { WebhookNotifier, type WebhookNotifierOptions } from './services/webhook-notifier.js';
import { ChangeRequestStore } from './store/change-request-store.js';
import type { OpenDatabase } from './store/database.js';
import { EntityStore } from './store/entity-store.js';
import { EventStore } from './store/event-store.js';
import { GuardrailCheckStore } from './store/guardrail-check-store.js';
import { IdListStore } from './store/id-list-store.js';
import { KeyStore } from './store/key-store.js';
import { PulseStore } from './store/pulse-store.js';
import { ScheduledChangeStore } from './store/scheduled-change-store.js';
import { SdkInstanceStore } from './store/sdk-instance-store.js';
import { ToplineStore } from './store/topline-store.js';
import { UserStore } from './store/user-store.js';
import { WebhookStore } from './store/webhook-store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is acting, e.g. `key:<id>`; set by authentication, never a secret. */
    actor: string;
  }
}

export interface AppOptions {
  database: OpenDatabase;
  /** Serves SDKs fixed specs instead of the stored configuration (tests). */
  snapshots?: SnapshotSource;
  logger?: FastifyServerOptions['logger'];
  clock?: () => number;
  /** Where revision changes come from; in-process (one instance) when absent. */
  changeFeed?: (entities: EntityStore, log: FeedLogger) => ChangeFeed;
  /** Interval of `/v1/stream` heartbeats (ms). */
  streamHeartbeatMs?: number;
  /**
   * The base URL SDKs reach this server at (`SWITCHYARD_PUBLIC_URL`), for the ID-list file URLs
   * in get_id_lists; by default each request's own protocol and host.
   */
  publicUrl?: string;
  /** Events accepted but not yet committed, at most, before ingestion answers 429. */
  maxPendingEvents?: number;
  /** How often Pulse folds new events into its aggregates (ms); 0: only on `pulse.catchUp()`. */
  pulseIntervalMs?: number;
  /** Postgres: events younger than this (ms) wait for Pulse's next run (commit order). */
  pulseCommitLagMs?: number;
  /** Events Pulse folds in per transaction. */
  pulseChunkSize?: number;
  /** How often the guardrail monitor looks at every release (ms); 0: only on demand. Default 60 s. */
  guardrailIntervalMs?: number;
  /** How often scheduled changes are looked for (ms); 0: only on demand. Default 5 s. */
  scheduleIntervalMs?: number;
  /** The built web console to serve at `/` (default: apps/console/dist of this checkout). */
  consoleDir?: string;
  /** Outgoing webhooks: concurrency, timeouts, retries; tests inject a clock and timers. */
  webhooks?: WebhookNotifierOptions;
  /** Password hashing cost (tests lower it; production keeps the default). */
  passwordHashing?: ScryptParameters;
  /** Failed sign-ins allowed before 429. */
  loginThrottle?: LoginThrottleOptions;
  /** Requests per client (address and key) on the SDK endpoints before 429. */
  sdkRateLimit?: SdkRateLimitOptions;
  /** Hops of X-Forwarded-For to trust (behind a reverse proxy); none by default. */
  trustProxyHops?: number;
}

export interface App {
  http: FastifyInstance;
  keys: KeyStore;
  users: UserStore;
  /** Who may change protected environments, and which changes need approval. */
  guard: EnvironmentGuard;
  entities: EntityStore;
  events: EventStore;
  ingestion: EventIngestion;
  pulse: PulseAggregator;
  pulseStore: PulseStore;
  idLists: IdListStore;
  snapshots: ConfigSnapshots;
  feed: ChangeFeed;
  streams: StreamHub;
  metrics: Metrics;
  monitor: GuardrailMonitor;
  scheduler: ChangeScheduler;
  /** Sends notifications (rollbacks, alerts, release stages) to the configured webhooks. */
  notifier: WebhookNotifier;
}

/** Builds the HTTP app on an open, migrated database. */
export async function buildApp({
  database,
  logger = false,
  clock = Date.now,
  snapshots: sdkSnapshots,
  changeFeed,
  streamHeartbeatMs,
  publicUrl,
  maxPendingEvents,
  pulseIntervalMs,
  pulseCommitLagMs,
  pulseChunkSize,
  webhooks: webhookOptions,
  guardrailIntervalMs,
  scheduleIntervalMs,
  consoleDir,
  passwordHashing,
  loginThrottle,
  sdkRateLimit,
  trustProxyHops,
}: AppOptions): Promise<App> {
  const http = Fastify({
    logger: withRedactedUrls(logger),
    bodyLimit: 1024 * 1024,
    // A URL the router refuses (a bad %-escape, an over-long parameter) gets the usual error body.
    frameworkErrors: handleError,
    // Trust the nearest `trustProxyHops` proxies' X-Forwarded-For entries, no more.
    trustProxy: (_address: string, hop: number) => hop < (trustProxyHops ?? 0),
  });
  const keys = new KeyStore(database.db, clock);
  const entities = new EntityStore(database.db, clock, {
    dialect: database.dialect,
    onCommitted: (revision) => feed.notify(revision),
  });
  const feed = changeFeed?.(entities, http.log) ?? new InProcessChangeFeed({ log: http.log });
  const events = new EventStore(database.db, clock, database.sqlite);
  const attributes = new UserAttributeCatalog(16, clock);
  const ingestion = new EventIngestion(events, {
    clock,
    onAccepted: (environment, accepted) => attributes.observe(environment, accepted),
    maxPendingEvents,
    onRefused: (count) => metrics.onEventsRefused(count),
  });
  const idLists = new IdListStore(database.db, entities, clock, database.dialect);
  const snapshots = new ConfigSnapshots(entities, idLists.members);
  const users = new UserStore(database.db, clock, passwordHashing);
  const guard = new EnvironmentGuard(database.db, entities, clock);
  const authoring = AUTHORED_KINDS.map(
    (kind) => new AuthoringService(entities, kind, AUTHORED_KINDS, clock, guard),
  );
  const changeRequests = new ChangeRequests(
    authoring as unknown as AuthoringService<{ name: string }>[],
    new ChangeRequestStore(database.db),
    guard,
    entities,
    clock,
  );
  const idListService = new IdListService(idLists);
  const sdkInstances = new SdkInstanceStore(database.db, clock);
  const pulseStore = new PulseStore(database.db, database.dialect);
  const pulse = new PulseAggregator(
    database.dialect,
    pulseStore,
    entities,
    snapshots,
    () => keys.environments(),
    {
      clock,
      intervalMs: pulseIntervalMs,
      commitLagMs: pulseCommitLagMs,
      chunkSize: pulseChunkSize,
      log: http.log,
      busy: () => ingestion.busy(),
    },
  );
  const webhookStore = new WebhookStore(database.db, entities, clock, database.dialect);
  const notifier = new WebhookNotifier(webhookStore, { clock, log: http.log, ...webhookOptions });
  const pulseResults = new PulseResults(pulseStore, entities, snapshots);
  const gates = authoring.find(
    (service) => service.kind.kind === 'gate',
  ) as unknown as AuthoringService<StoredGate>;
  const guardrailChecks = new GuardrailCheckStore(database.db);
  const toplineStore = new ToplineStore(database.db);
  const monitor = new GuardrailMonitor(gates, pulse, pulseResults, guardrailChecks, {
    clock,
    intervalMs: guardrailIntervalMs,
    log: http.log,
    notify: (notification) => notifier.notify(notification),
    topline: new ToplineMonitor(toplineStore, entities, {
      clock,
      commitLagMs: database.dialect === 'postgres' ? (pulseCommitLagMs ?? 2000) : 0,
      log: http.log,
      notify: (notification) => notifier.notify(notification),
    }),
  });
  const scheduledChanges = new ScheduledChangeStore(database.db);
  const scheduler = new ChangeScheduler(
    scheduledChanges,
    new Map(
      authoring.map((service) => [
        service.kind.kind,
        service as unknown as AuthoringService<{ name: string }>,
      ]),
    ),
    { clock, intervalMs: scheduleIntervalMs, log: http.log },
  );
  await keys.ensureEnvironments();
  const streams = new StreamHub({
    snapshots: sdkSnapshots ?? snapshots,
    feed,
    heartbeatMs: streamHeartbeatMs,
    log: http.log,
  });
  const metrics = new Metrics({
    connectedStreams: () => streams.size,
    configRevision: async () => (await entities.revision()).revision,
  });
  http.setValidatorCompiler(validatorCompiler);
  http.setSerializerCompiler(serializerCompiler);
  http.setErrorHandler(handleError);
  http.decorateRequest('actor', '');
  await http.register(metricsPlugin(metrics));
  await http.register(cookie);
  await registerSdkRateLimit(http, sdkRateLimit);
  await http.register(jsonDepthLimit());

  await http.register(swagger, {
    openapi: {
      info: { title: 'Switchyard authoring API', version: '1' },
      components: { securitySchemes: { consoleKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ consoleKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // Browsable docs of the same document, served from the package's bundled assets (no CDN).
  await http.register(swaggerUi, { routePrefix: '/api/docs' });

  http.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  http.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await entities.revision();
      return { ok: true };
    } catch {
      return reply.status(503).send({ ok: false });
    }
  });

  await http.register(
    async (api) => {
      // The authoring API's answers can be large (a thousand gates is ~750 kB of JSON): gzip or
      // brotli them for the console. Only here: SDK routes compress (or stream) on their own.
      // Request bodies are left alone: uploads (ID lists) read their own Content-Encoding.
      api.addHook('onRoute', (route) => {
        route.config = { ...(route.config as object), decompress: false } as typeof route.config;
      });
      await api.register(compress, { threshold: 2048, encodings: ['br', 'gzip'] });
      // One gate for the whole authoring API: who is calling (a console key or a signed-in
      // person) and whether their role may use this route (see http/principal.ts).
      api.addHook('onRequest', async (request) => {
        await authenticateConsole(request, keys, users);
      });
      await api.register(authRoutes(users, entities, new LoginThrottle({ clock, ...loginThrottle }), clock));
      await api.register(userRoutes(users, entities, clock));
      await api.register(changeRequestRoutes(changeRequests));
      for (const service of authoring) await api.register(authoringRoutes(service));
      await api.register(
        idListRoutes(idListService, async (request, list) => {
          // A list a segment uses decides who passes wherever that segment is served: changing it
          // is a change to every protected environment (it cannot go through a change request).
          const segments = await entities.list<StoredSegment>('segment');
          if (segments.some((segment) => segment.data.idList === list)) {
            await guard.assertMayChangeUnattended(request.principal);
          }
        }),
      );
      await api.register(auditRoutes(entities));
      await api.register(keyRoutes(keys, entities, clock));
      await api.register(environmentRoutes(entities, keys, guard, clock));
      await api.register(sdkInstanceApiRoutes(sdkInstances, snapshots, keys, entities));
      await api.register(pulseRoutes(pulseResults, keys));
      await api.register(
        releaseRoutes({
          guard,
          entities,
          gates,
          checks: guardrailChecks,
          schedule: scheduledChanges,
          scheduler,
          monitor,
          topline: toplineStore,
          clock,
        }),
      );
      await api.register(evaluateRoutes(snapshots, keys, attributes));
      await api.register(importRoutes(entities, keys, guard));
      await api.register(webhookRoutes(webhookStore, notifier));
      api.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
        http.swagger(),
      );
    },
    { prefix: '/api/v1' },
  );
  await http.register(sdkRoutes(sdkSnapshots ?? snapshots, ingestion, keys, metrics), { prefix: '/v1' });
  await http.register(sdkStatusRoutes(sdkInstances, keys), { prefix: '/v1' });
  await http.register(
    idListFileRoutes(idListService, keys, {
      publicUrl,
      onBytesServed: (bytes) => metrics.onIdListBytesServed(bytes),
    }),
    { prefix: '/v1' },
  );
  await http.register(clientSdkRoutes(sdkSnapshots ?? snapshots, ingestion, keys, metrics), {
    prefix: '/v1',
  });
  registerConsole(http, consoleDir);
  // Its preClose hook ends every stream before Fastify waits for open connections to finish.
  await http.register(streamRoutes(streams, keys), { prefix: '/v1' });
  // Requests still writing events finish first; then the feed stops.
  http.addHook('onClose', async () => {
    await ingestion.drain();
    await pulse.close();
    await feed.close();
  });
  await feed.start();
  http.addHook('onClose', async () => {
    await monitor.close();
    await scheduler.close();
    await notifier.close();
  });
  pulse.start();
  notifier.start();
  monitor.start();
  await scheduler.start();
  return {
    http,
    keys,
    users,
    guard,
    entities,
    events,
    ingestion,
    pulse,
    pulseStore,
    idLists,
    snapshots,
    feed,
    streams,
    metrics,
    notifier,
    monitor,
    scheduler,
  };
}
