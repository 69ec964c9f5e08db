import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { entityName } from '../domain/rules.js';
import { ConflictError } from '../errors.js';
import { authenticate, presentedKey } from '../http/auth.js';
import type { EntityStore } from '../store/entity-store.js';
import type { KeyStore } from '../store/key-store.js';

const environmentSchema = z.object({ name: z.string(), createdAt: z.number() });

/**
 * Environments: each has its own compiled configuration (rules may name the environments they
 * apply in) and its own keys. Creating one is audited like every configuration change.
 */
export function environmentRoutes(
  entities: EntityStore,
  keys: KeyStore,
  clock: () => number,
): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('onRequest', async (request) => {
      const key = await authenticate(keys, presentedKey(request), ['console']);
      request.actor = `key:${key.id}`;
    });

    app.get(
      '/environments',
      {
        schema: {
          tags: ['environments'],
          summary: 'List environments',
          response: { 200: z.object({ environments: z.array(environmentSchema) }) },
        },
      },
      async () => ({ environments: await keys.environmentRecords() }),
    );

    app.post(
      '/environments',
      {
        schema: {
          tags: ['environments'],
          summary: 'Create an environment (then create its keys with POST /keys)',
          body: z.object({ name: entityName, reason: z.string().max(1000).optional() }),
          response: { 201: environmentSchema },
        },
      },
      async (request, reply) => {
        const { name, reason } = request.body;
        const created = await entities.transaction(async (tx, audit) => {
          const existing = await tx
            .selectFrom('environments')
            .select('name')
            .where('name', '=', name)
            .executeTakeFirst();
          if (existing) {
            throw new ConflictError('already_exists', `environment "${name}" already exists`, {
              field: 'body.name',
            });
          }
          const now = clock();
          await tx.insertInto('environments').values({ name, created_at: now }).execute();
          await audit({
            kind: 'environment',
            name,
            version: 1,
            before: null,
            after: { name },
            change: { actor: request.actor, reason: reason ?? null, action: 'create' },
            now,
          });
          return { name, createdAt: now };
        });
        return reply.status(201).send(created);
      },
    );
  };
}
