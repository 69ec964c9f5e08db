import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { entityName } from '../domain/rules.js';
import { ConflictError } from '../errors.js';
import type { EnvironmentGuard } from '../services/environment-guard.js';
import type { EntityStore } from '../store/entity-store.js';
import type { KeyStore } from '../store/key-store.js';

const policySchema = z.object({
  minRole: z.enum(['editor', 'admin']),
  requireApproval: z.boolean(),
});
const environmentSchema = z.object({
  name: z.string(),
  createdAt: z.number(),
  /** Who may change it; null: any editor, no approval. */
  policy: policySchema.nullable(),
});

/**
 * Environments: each has its own compiled configuration (rules may name the environments they
 * apply in) and its own keys. Creating one is audited like every configuration change.
 */
export function environmentRoutes(
  entities: EntityStore,
  keys: KeyStore,
  guard: EnvironmentGuard,
  clock: () => number,
): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/environments',
      {
        schema: {
          tags: ['environments'],
          summary: 'List environments',
          response: { 200: z.object({ environments: z.array(environmentSchema) }) },
        },
      },
      async () => {
        const policies = await guard.policies();
        return {
          environments: (await keys.environmentRecords()).map((environment) => {
            const policy = policies.find((p) => p.environment === environment.name);
            return {
              ...environment,
              policy: policy ? { minRole: policy.minRole, requireApproval: policy.requireApproval } : null,
            };
          }),
        };
      },
    );

    app.put(
      '/environments/:name/policy',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['environments'],
          summary:
            'Protect an environment: the least role that may change it, and whether changes need approval',
          description:
            'A change is to an environment when what its SDKs are served changes (a rule limited to development does not change production). With `requireApproval`, such changes go through POST /change-requests; turning things off (disable, rollback, pause-release) never waits. `{ "minRole": "editor", "requireApproval": false }` is the unprotected default.',
          params: z.object({ name: entityName }),
          body: policySchema,
          response: { 200: policySchema },
        },
      },
      async (request) => {
        const policy = await guard.setPolicy(
          { environment: request.params.name, ...request.body },
          request.actor,
        );
        return { minRole: policy.minRole, requireApproval: policy.requireApproval };
      },
    );

    app.post(
      '/environments',
      {
        config: { access: 'admin' },
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
          return { name, createdAt: now, policy: null };
        });
        return reply.status(201).send(created);
      },
    );
  };
}
