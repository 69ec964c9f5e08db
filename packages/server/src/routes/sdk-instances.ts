import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { authenticate, presentedKey } from '../http/auth.js';
import type { SnapshotSource } from '../services/config-snapshots.js';
import { convergenceOf } from '../services/fleet-convergence.js';
import type { EntityStore } from '../store/entity-store.js';
import type { KeyStore } from '../store/key-store.js';
import type { SdkInstanceStore } from '../store/sdk-instance-store.js';

/**
 * `POST /v1/sdk_status` (server or client key): an SDK instance says which configuration
 * revision it holds. `GET /api/v1/sdk-instances` (console key): how many instances hold the
 * current revision, so a kill switch's reach can be checked, not assumed.
 */
export function sdkStatusRoutes(instances: SdkInstanceStore, keys: KeyStore): FastifyPluginAsyncZod {
  return async (app) => {
    const reporters = new WeakMap<object, string>();
    // Browsers report too (client keys are public): any origin, key in `?k=` or a header.
    app.options('/sdk_status', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .header('access-control-allow-origin', '*')
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', 'content-type, statsig-api-key, authorization')
        .header('access-control-max-age', '86400')
        .status(204)
        .send(),
    );
    app.post(
      '/sdk_status',
      {
        // Who is reporting is settled before the body is looked at: strangers learn nothing of its schema.
        onRequest: async (request, reply) => {
          reply.header('access-control-allow-origin', '*');
          const query = request.query as { k?: unknown };
          const key = await authenticate(
            keys,
            presentedKey(request) ?? (typeof query.k === 'string' ? query.k : undefined),
            ['server', 'client'],
          );
          reporters.set(request, key.environment);
        },
        schema: {
          hide: true,
          querystring: z.object({ k: z.string().optional() }),
          body: z.object({
            instanceId: z.string().min(8).max(100),
            revision: z.number().int().min(0),
            sdkType: z.string().min(1).max(50).default('unknown'),
            sdkVersion: z.string().min(1).max(50).default('unknown'),
            /** How long the instance had served `revision` when it sent this (ms; reports are spread out). */
            heldForMs: z.number().min(0).max(86_400_000).optional(),
            /** When it started serving `revision`, by its own clock (ms since the epoch). */
            appliedAt: z.number().min(0).optional(),
          }),
        },
      },
      async (request, reply) => {
        reply.header('access-control-allow-origin', '*');
        await instances.report({ environment: reporters.get(request) as string, ...request.body });
        return reply.status(202).send({ ok: true });
      },
    );
  };
}

const convergenceSchema = z.object({
  instances: z.number(),
  reached: z.number(),
  p50Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  p100Ms: z.number().nullable(),
});

export function sdkInstanceApiRoutes(
  instances: SdkInstanceStore,
  snapshots: SnapshotSource,
  keys: KeyStore,
  entities: EntityStore,
): FastifyPluginAsyncZod {
  return async (app) => {
    const checkEnvironment = async (environment: string) => {
      if (!(await keys.environments()).includes(environment)) {
        throw new InvalidInputError('unknown_environment', `environment "${environment}" does not exist`, {
          field: 'querystring.environment',
        });
      }
    };

    app.get(
      '/changes',
      {
        schema: {
          tags: ['sdks'],
          summary: 'Recent configuration changes and how fast each reached the connected SDK instances',
          querystring: z.object({
            environment: z.string().min(1).default('production'),
            kind: z.string().min(1).optional(),
            name: z.string().min(1).optional(),
            limit: z.coerce.number().int().min(1).max(100).default(20),
          }),
          response: {
            200: z.object({
              environment: z.string(),
              changes: z.array(
                z.object({
                  id: z.number(),
                  at: z.number(),
                  actor: z.string(),
                  action: z.string(),
                  kind: z.string(),
                  name: z.string(),
                  revision: z.number(),
                  reason: z.string().nullable(),
                  convergence: convergenceSchema,
                }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const { environment, kind, name, limit } = request.query;
        await checkEnvironment(environment);
        const entries = (await entities.audit({ kind, name, limit })).filter(
          (entry): entry is typeof entry & { revision: number } => entry.revision !== null,
        );
        const changes = [];
        for (const entry of entries) {
          const reach = await instances.reach(environment, entry.revision, entry.at);
          changes.push({
            id: entry.id,
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            kind: entry.kind,
            name: entry.name,
            revision: entry.revision,
            reason: entry.reason,
            convergence: convergenceOf(reach),
          });
        }
        return { environment, changes };
      },
    );

    app.get(
      '/sdk-instances',
      {
        schema: {
          tags: ['sdks'],
          summary: 'How many SDK instances hold the current configuration revision',
          querystring: z.object({
            environment: z.string().min(1).default('production'),
            /** Only instances heard from within this many seconds. */
            withinSeconds: z.coerce.number().int().min(1).max(86_400).default(600),
          }),
          response: {
            200: z.object({
              environment: z.string(),
              revision: z.number(),
              instances: z.number(),
              atCurrentRevision: z.number(),
              byRevision: z.array(z.object({ revision: z.number(), instances: z.number() })),
              bySdk: z.array(
                z.object({ sdkType: z.string(), sdkVersion: z.string(), instances: z.number() }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const { environment, withinSeconds } = request.query;
        await checkEnvironment(environment);
        const { revision } = await snapshots.current(environment);
        const spread = await instances.spread(environment, revision, withinSeconds * 1000);
        return {
          environment,
          revision,
          instances: spread.instances,
          atCurrentRevision: spread.atLeast,
          byRevision: spread.byRevision,
          bySdk: spread.bySdk,
        };
      },
    );
  };
}
