import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { handleError } from './http/error-handler.js';
import { auditRoutes } from './routes/audit.js';
import { clientSdkRoutes } from './routes/client-sdk.js';
import { gateRoutes } from './routes/gates.js';
import { importRoutes } from './routes/import.js';
import { keyRoutes } from './routes/keys.js';
import { sdkRoutes } from './routes/sdk.js';
import { ConfigSnapshots, type SnapshotSource } from './services/config-snapshots.js';
import { GateService } from './services/gate-service.js';
import type { OpenDatabase } from './store/database.js';
import { EntityStore } from './store/entity-store.js';
import { EventStore } from './store/event-store.js';
import { KeyStore } from './store/key-store.js';

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
}

export interface App {
  http: FastifyInstance;
  keys: KeyStore;
  entities: EntityStore;
  events: EventStore;
  snapshots: ConfigSnapshots;
}

/** Builds the HTTP app on an open, migrated database. */
export async function buildApp({
  database,
  logger = false,
  clock = Date.now,
  snapshots: sdkSnapshots,
}: AppOptions): Promise<App> {
  const keys = new KeyStore(database.db, clock);
  const entities = new EntityStore(database.db, clock);
  const events = new EventStore(database.db, clock);
  const snapshots = new ConfigSnapshots(entities);
  const gates = new GateService(entities);
  await keys.ensureEnvironments();

  const http = Fastify({ logger, bodyLimit: 1024 * 1024 });
  http.setValidatorCompiler(validatorCompiler);
  http.setSerializerCompiler(serializerCompiler);
  http.setErrorHandler(handleError);
  http.decorateRequest('actor', '');

  await http.register(swagger, {
    openapi: {
      info: { title: 'Switchyard authoring API', version: '1' },
      components: { securitySchemes: { consoleKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ consoleKey: [] }],
    },
    transform: jsonSchemaTransform,
  });

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
      await api.register(gateRoutes(gates, keys));
      await api.register(auditRoutes(entities, keys));
      await api.register(keyRoutes(keys));
      await api.register(importRoutes(entities, keys));
      api.get('/openapi.json', { schema: { hide: true } }, async () => http.swagger());
    },
    { prefix: '/api/v1' },
  );
  await http.register(sdkRoutes(sdkSnapshots ?? snapshots, events, keys), { prefix: '/v1' });
  await http.register(clientSdkRoutes(sdkSnapshots ?? snapshots, events, keys), { prefix: '/v1' });
  return { http, keys, entities, events, snapshots };
}
