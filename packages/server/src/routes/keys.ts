import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { EntityStore } from '../store/entity-store.js';
import type { ApiKey, KeyStore } from '../store/key-store.js';

const keySchema = z.object({
  id: z.string(),
  environment: z.string(),
  kind: z.enum(['server', 'client', 'console']),
  prefix: z.string(),
  createdAt: z.number(),
  revokedAt: z.number().nullable(),
  lastUsedAt: z.number().nullable(),
  access: z.enum(['read', 'write']),
});

/** API keys: created with their secret shown once, listed without secrets, revoked by id. */
export function keyRoutes(keys: KeyStore, entities: EntityStore, clock: () => number): FastifyPluginAsyncZod {
  return async (app) => {
    // Key events are audited without a configuration revision: SDKs have nothing new to fetch.
    const audit = (actor: string, action: string, key: ApiKey) =>
      entities.appendAudit({
        kind: 'api_key',
        name: key.id,
        before: null,
        after: { environment: key.environment, kind: key.kind, access: key.access, prefix: key.prefix },
        change: { actor, action },
        now: clock(),
      });
    // Only admins see or change these (webhook URLs can hold Slack secrets; keys grant access).
    app.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'admin' };
    });

    app.get(
      '/keys',
      {
        schema: {
          tags: ['keys'],
          summary: 'List API keys (never their secrets)',
          response: { 200: z.object({ keys: z.array(keySchema) }) },
        },
      },
      async () => ({
        keys: await keys.list(),
      }),
    );

    app.post(
      '/keys',
      {
        schema: {
          tags: ['keys'],
          summary: 'Create an API key; the secret is in this response only',
          description:
            'server: the SDK protocol with secrets (rules, events); client: initialize and events only; console: this API, `access` read (viewer) or write (admin, the default).',
          body: z.object({
            environment: z.string().min(1).max(200),
            kind: z.enum(['server', 'client', 'console']),
            access: z.enum(['read', 'write']).default('write'),
          }),
          response: { 201: keySchema.extend({ secret: z.string() }) },
        },
      },
      async (request, reply) => {
        if (!(await keys.environments()).includes(request.body.environment)) {
          throw new InvalidInputError(
            'unknown_environment',
            `environment "${request.body.environment}" does not exist`,
            {
              field: 'body.environment',
            },
          );
        }
        const { key, secret } = await keys.create(
          request.body.environment,
          request.body.kind,
          undefined,
          request.body.access,
        );
        await audit(request.actor, 'create', key);
        return reply.status(201).send({ ...key, secret });
      },
    );

    app.post(
      '/keys/:id/revoke',
      {
        schema: {
          tags: ['keys'],
          summary: 'Revoke an API key',
          params: z.object({ id: z.string().max(100) }),
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        const key = (await keys.list()).find((candidate) => candidate.id === request.params.id);
        if (!key || !(await keys.revoke(request.params.id))) {
          throw new NotFoundError('not_found', `no active key with id "${request.params.id}"`, {
            id: request.params.id,
          });
        }
        await audit(request.actor, 'revoke', key);
        return reply.status(204).send(null);
      },
    );
  };
}
