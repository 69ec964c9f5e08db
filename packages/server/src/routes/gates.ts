import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { StoredGate } from '../domain/gate.js';
import { conditionSchema, entityName, gateInputSchema, gatePatchSchema } from '../domain/gate.js';
import { authenticate, presentedKey } from '../http/auth.js';
import { expectedVersion } from '../http/if-match.js';
import type { GateService } from '../services/gate-service.js';
import type { EntityRecord } from '../store/entity-store.js';
import type { KeyStore } from '../store/key-store.js';

const storedRuleSchema = z.object({
  id: z.string(),
  name: z.string(),
  salt: z.string(),
  conditions: z.array(conditionSchema),
  passPercentage: z.number(),
  environments: z.array(z.string()).nullable(),
});

const gateRecordSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  createdAt: z.number(),
  updatedAt: z.number(),
  description: z.string(),
  tags: z.array(z.string()),
  owner: z.string().nullable(),
  enabled: z.boolean(),
  idType: z.string(),
  salt: z.string(),
  rules: z.array(storedRuleSchema),
});

const nameParams = z.object({ name: entityName });
const reasonBody = z.object({ reason: z.string().max(1000).optional() }).nullish();

function present(record: EntityRecord<StoredGate>) {
  return {
    ...record.data,
    version: record.version,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

export function gateRoutes(gates: GateService, keys: KeyStore): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('onRequest', async (request) => {
      const key = await authenticate(keys, presentedKey(request), ['console']);
      request.actor = `key:${key.id}`;
    });

    app.get(
      '/gates',
      {
        schema: {
          tags: ['gates'],
          summary: 'List gates',
          response: { 200: z.object({ gates: z.array(gateRecordSchema) }) },
        },
      },
      async () => ({ gates: (await gates.list()).map(present) }),
    );

    app.post(
      '/gates',
      {
        schema: {
          tags: ['gates'],
          summary: 'Create a gate',
          body: gateInputSchema.extend({ reason: z.string().max(1000).optional() }),
          response: { 201: gateRecordSchema },
        },
      },
      async (request, reply) => {
        const { reason, ...input } = request.body;
        const record = await gates.create(input, { actor: request.actor, reason });
        return reply.status(201).header('etag', `"${record.version}"`).send(present(record));
      },
    );

    app.get(
      '/gates/:name',
      {
        schema: {
          tags: ['gates'],
          summary: 'Get a gate',
          params: nameParams,
          response: { 200: gateRecordSchema },
        },
      },
      async (request, reply) => {
        const record = await gates.get(request.params.name);
        return reply.header('etag', `"${record.version}"`).send(present(record));
      },
    );

    app.patch(
      '/gates/:name',
      {
        schema: {
          tags: ['gates'],
          summary: 'Change a gate',
          description:
            'Send `If-Match: "<version>"` (or `version` in the body) to reject the write with 409 if someone changed the gate since you read it. Rules that carry their `id` keep their salt, so raising a percentage keeps everyone already in.',
          params: nameParams,
          body: gatePatchSchema.extend({
            version: z.number().int().optional(),
            reason: z.string().max(1000).optional(),
          }),
          response: { 200: gateRecordSchema },
        },
      },
      async (request, reply) => {
        const { version, reason, ...patch } = request.body;
        const expected = expectedVersion(request.headers['if-match'], version);
        const record = await gates.update(request.params.name, patch, expected, {
          actor: request.actor,
          reason,
        });
        return reply.header('etag', `"${record.version}"`).send(present(record));
      },
    );

    for (const [action, enabled] of [
      ['disable', false],
      ['enable', true],
    ] as const) {
      app.post(
        `/gates/:name/${action}`,
        {
          schema: {
            tags: ['gates'],
            summary: enabled ? 'Turn a gate back on' : 'Kill switch: turn a gate off everywhere',
            params: nameParams,
            body: reasonBody,
            response: { 200: gateRecordSchema },
          },
        },
        async (request) =>
          present(
            await gates.setEnabled(request.params.name, enabled, {
              actor: request.actor,
              reason: request.body?.reason,
            }),
          ),
      );
    }

    app.post(
      '/gates/:name/rules/:ruleId/resalt',
      {
        schema: {
          tags: ['gates'],
          summary: "Reshuffle a rule's users (new salt)",
          params: nameParams.extend({ ruleId: z.string().min(1) }),
          body: reasonBody,
          response: { 200: gateRecordSchema },
        },
      },
      async (request) =>
        present(
          await gates.resalt(request.params.name, request.params.ruleId, {
            actor: request.actor,
            reason: request.body?.reason,
          }),
        ),
    );

    app.get(
      '/gates/:name/history',
      {
        schema: {
          tags: ['gates'],
          summary: "A gate's versions, newest first",
          params: nameParams,
          response: {
            200: z.object({
              versions: z.array(
                z.object({
                  version: z.number(),
                  createdAt: z.number(),
                  actor: z.string(),
                  gate: gateRecordSchema.omit({ version: true, createdAt: true, updatedAt: true }),
                }),
              ),
            }),
          },
        },
      },
      async (request) => {
        await gates.get(request.params.name);
        const versions = await gates.history(request.params.name);
        return {
          versions: versions.map((entry) => ({
            version: entry.version,
            createdAt: entry.createdAt,
            actor: entry.actor,
            gate: entry.data,
          })),
        };
      },
    );

    app.post(
      '/gates/:name/revert',
      {
        schema: {
          tags: ['gates'],
          summary: 'Make an earlier version current again (as a new version)',
          params: nameParams,
          body: z.object({ version: z.number().int().min(1), reason: z.string().max(1000).optional() }),
          response: { 200: gateRecordSchema },
        },
      },
      async (request) =>
        present(
          await gates.revert(request.params.name, request.body.version, {
            actor: request.actor,
            reason: request.body.reason,
          }),
        ),
    );
  };
}
