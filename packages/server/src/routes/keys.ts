import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { authenticate, presentedKey } from '../http/auth.js';
import type { KeyStore } from '../store/key-store.js';

const keySchema = z.object({
  id: z.string(),
  environment: z.string(),
  kind: z.enum(['server', 'client', 'console']),
  prefix: z.string(),
  createdAt: z.number(),
  revokedAt: z.number().nullable(),
  lastUsedAt: z.number().nullable(),
});

/** API keys: created with their secret shown once, listed without secrets, revoked by id. */
export function keyRoutes(keys: KeyStore): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('onRequest', async (request) => {
      await authenticate(keys, presentedKey(request), ['console']);
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
          body: z.object({ environment: z.string().min(1), kind: z.enum(['server', 'client', 'console']) }),
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
        const { key, secret } = await keys.create(request.body.environment, request.body.kind);
        return reply.status(201).send({ ...key, secret });
      },
    );

    app.post(
      '/keys/:id/revoke',
      {
        schema: {
          tags: ['keys'],
          summary: 'Revoke an API key',
          params: z.object({ id: z.string() }),
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        if (!(await keys.revoke(request.params.id))) {
          throw new NotFoundError('not_found', `no active key with id "${request.params.id}"`, {
            id: request.params.id,
          });
        }
        return reply.status(204).send(null);
      },
    );
  };
}
