import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EntityStore } from '../store/entity-store.js';

const auditEntrySchema = z.object({
  id: z.number(),
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  kind: z.string(),
  name: z.string(),
  version: z.number().nullable(),
  reason: z.string().nullable(),
  diff: z.object({ before: z.unknown(), after: z.unknown() }),
  revision: z.number().nullable(),
});

/** The audit log, newest first. Read-only: nothing in the API edits or deletes it. */
export function auditRoutes(entities: EntityStore): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/audit',
      {
        schema: {
          tags: ['audit'],
          summary: 'Audit log: who changed what, when, with the diff',
          querystring: z.object({
            kind: z.string().optional(),
            name: z.string().optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          }),
          response: { 200: z.object({ entries: z.array(auditEntrySchema) }) },
        },
      },
      async (request) => {
        return { entries: await entities.audit(request.query) };
      },
    );
  };
}
