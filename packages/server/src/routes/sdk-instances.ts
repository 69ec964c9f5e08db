import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { authenticate, presentedKey } from '../http/auth.js';
import type { SnapshotSource } from '../services/config-snapshots.js';
import type { KeyStore } from '../store/key-store.js';
import type { SdkInstanceStore } from '../store/sdk-instance-store.js';

/**
 * `POST /v1/sdk_status` (server or client key): an SDK instance says which configuration
 * revision it holds. `GET /api/v1/sdk-instances` (console key): how many instances hold the
 * current revision, so a kill switch's reach can be checked, not assumed.
 */
export function sdkStatusRoutes(instances: SdkInstanceStore, keys: KeyStore): FastifyPluginAsyncZod {
  return async (app) => {
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
        schema: {
          hide: true,
          querystring: z.object({ k: z.string().optional() }),
          body: z.object({
            instanceId: z.string().min(8).max(100),
            revision: z.number().int().min(0),
            sdkType: z.string().min(1).max(50).default('unknown'),
            sdkVersion: z.string().min(1).max(50).default('unknown'),
          }),
        },
      },
      async (request, reply) => {
        reply.header('access-control-allow-origin', '*');
        const key = await authenticate(keys, presentedKey(request) ?? request.query.k, ['server', 'client']);
        await instances.report({ environment: key.environment, ...request.body });
        return reply.status(202).send({ ok: true });
      },
    );
  };
}

export function sdkInstanceApiRoutes(
  instances: SdkInstanceStore,
  snapshots: SnapshotSource,
  keys: KeyStore,
): FastifyPluginAsyncZod {
  return async (app) => {
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
        await authenticate(keys, presentedKey(request), ['console']);
        const { environment, withinSeconds } = request.query;
        if (!(await keys.environments()).includes(environment)) {
          throw new InvalidInputError('unknown_environment', `environment "${environment}" does not exist`, {
            field: 'querystring.environment',
          });
        }
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
