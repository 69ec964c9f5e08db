import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { entityName } from '../domain/rules.js';
import type { Principal } from '../http/principal.js';
import type { ChangeRequests } from '../services/change-requests.js';

const changeRequestSchema = z.object({
  id: z.number(),
  kind: z.string(),
  name: z.string(),
  operation: z.string(),
  body: z.record(z.string(), z.unknown()),
  expectedVersion: z.number().nullable(),
  reason: z.string().nullable(),
  status: z.enum(['pending', 'approved', 'rejected', 'applied']),
  requestedBy: z.string(),
  requestedAt: z.number(),
  reviewedBy: z.string().nullable(),
  reviewedAt: z.number().nullable(),
  appliedVersion: z.number().nullable(),
});
const idParams = z.object({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

/** `/api/v1/change-requests`: changes to protected environments, reviewed by a second person. */
export function changeRequestRoutes(changes: ChangeRequests): FastifyPluginAsyncZod {
  return async (app) => {
    const principal = (request: { principal?: Principal }) => request.principal as Principal;

    app.post(
      '/change-requests',
      {
        schema: {
          tags: ['change requests'],
          summary: 'Ask for a change to be reviewed (for environments that require approval)',
          description:
            'operation: `create`, `update` (body: the PATCH body), `revert` (body: `{ version }`) or `action:<name>` (e.g. `action:enable`). Give `expectedVersion` to have it apply only to the version you reviewed.',
          body: z.object({
            kind: z.string().min(1).max(50),
            name: entityName,
            operation: z.string().min(1).max(60),
            body: z.record(z.string(), z.unknown()).default({}),
            expectedVersion: z.number().int().min(1).optional(),
            reason: z.string().max(1000).optional(),
          }),
          response: { 201: changeRequestSchema },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await changes.request(request.body, principal(request))),
    );

    app.get(
      '/change-requests',
      {
        schema: {
          tags: ['change requests'],
          summary: 'List change requests, newest first',
          querystring: z.object({
            status: z.enum(['pending', 'approved', 'rejected', 'applied']).optional(),
          }),
          response: { 200: z.object({ changeRequests: z.array(changeRequestSchema) }) },
        },
      },
      async (request) => ({ changeRequests: await changes.list(request.query.status) }),
    );

    app.get(
      '/change-requests/:id',
      {
        schema: {
          tags: ['change requests'],
          summary:
            'A change request with the object before and after it, and the protected environments it changes',
          params: idParams,
          response: {
            200: changeRequestSchema.extend({
              preview: z.object({
                before: z.unknown(),
                after: z.unknown(),
                problem: z.string().nullable(),
                environments: z.array(z.string()),
              }),
            }),
          },
        },
      },
      async (request) => ({
        ...(await changes.get(request.params.id)),
        preview: await changes.preview(request.params.id),
      }),
    );

    for (const verb of ['approve', 'reject'] as const) {
      app.post(
        `/change-requests/:id/${verb}`,
        {
          schema: {
            tags: ['change requests'],
            summary: verb === 'approve' ? 'Approve (a signed-in person other than the requester)' : 'Reject',
            params: idParams,
            response: { 200: changeRequestSchema },
          },
        },
        async (request) => changes[verb](request.params.id, principal(request)),
      );
    }

    app.post(
      '/change-requests/:id/apply',
      {
        schema: {
          tags: ['change requests'],
          summary: 'Apply an approved change request',
          params: idParams,
          response: {
            200: z.object({ changeRequest: changeRequestSchema, version: z.number() }),
          },
        },
      },
      async (request) => {
        const { changeRequest, record } = await changes.apply(request.params.id, principal(request));
        return { changeRequest, version: record.version };
      },
    );
  };
}
