import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { entityName } from '../domain/rules.js';
import { expectedVersion } from '../http/if-match.js';
import type { Principal } from '../http/principal.js';
import type { AuthoringService } from '../services/authoring-service.js';
import type { EntityRecord } from '../store/entity-store.js';

const nameParams = z.object({ name: entityName });
const reasonField = { reason: z.string().max(1000).optional() };

function present<Stored>(record: EntityRecord<Stored>) {
  return {
    ...record.data,
    version: record.version,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

type Encoded = { version: number; updatedAt: number; value: unknown };

/**
 * A kind's list as its response schema encodes it, each record encoded once per version and
 * kept until the next list: encoding every record with zod on every request was most of the
 * list's time (1,000 gates with their rules: apps/console/bench/gates-list.bench.ts), and a
 * record changes only with a new version.
 */
function listEncoder<Stored>(record: z.ZodType): (records: EntityRecord<Stored>[]) => unknown[] {
  let encoded = new Map<string, Encoded>();
  return (records) => {
    const next = new Map<string, Encoded>();
    const values = records.map((found) => {
      const cached = encoded.get(found.name);
      const value =
        cached && cached.version === found.version && cached.updatedAt === found.updatedAt
          ? cached.value
          : z.encode(record, present(found));
      next.set(found.name, { version: found.version, updatedAt: found.updatedAt, value });
      return value;
    });
    encoded = next;
    return values;
  };
}

/**
 * `/api/v1/<path>` for one authored kind: list, create, read, change (with `If-Match`), the
 * kind's actions, rule resalting, history and revert. Every kind gets the same API; the
 * schemas that validate requests also document them in the OpenAPI document.
 */
export function authoringRoutes<Stored extends { name: string }>(
  service: AuthoringService<Stored>,
): FastifyPluginAsyncZod {
  const { kind } = service;
  const label = kind.kind.replace('_', ' ');
  const tags = [kind.path];
  const record = kind.stored.extend({
    version: z.number().int(),
    createdAt: z.number(),
    updatedAt: z.number(),
  });
  const encodeList = listEncoder<Stored>(record);
  return async (app) => {
    const by = (request: { actor: string; principal?: Principal }, reason: string | undefined) => ({
      actor: request.actor,
      reason,
      principal: request.principal,
    });

    app.get(
      `/${kind.path}`,
      {
        schema: {
          tags,
          summary: `List ${label}s`,
          response: { 200: z.object({ [kind.path]: z.array(record) }) },
        },
        // The records are encoded already (the schema above still documents the answer).
        serializerCompiler: () => (data) => JSON.stringify(data),
      },
      async () => ({ [kind.path]: encodeList(await service.list()) }) as never,
    );

    app.post(
      `/${kind.path}`,
      {
        schema: {
          tags,
          summary: `Create a ${label}`,
          body: kind.input.extend(reasonField),
          response: { 201: record },
        },
      },
      async (request, reply) => {
        const { reason, ...input } = request.body as { reason?: string; name: string };
        const created = await service.create(input, by(request, reason));
        return reply.status(201).header('etag', `"${created.version}"`).send(present(created));
      },
    );

    app.get(
      `/${kind.path}/:name`,
      { schema: { tags, summary: `Get a ${label}`, params: nameParams, response: { 200: record } } },
      async (request, reply) => {
        const found = await service.get(request.params.name);
        return reply.header('etag', `"${found.version}"`).send(present(found));
      },
    );

    app.patch(
      `/${kind.path}/:name`,
      {
        schema: {
          tags,
          summary: `Change a ${label}`,
          description:
            'Send `If-Match: "<version>"` (or `version` in the body) to have the write rejected with 409 if someone changed the object since you read it. Fields left out keep their values. Rules that carry their `id` keep their salt, so raising a percentage keeps everyone already in.',
          params: nameParams,
          body: kind.patch.extend({ version: z.number().int().optional(), ...reasonField }),
          response: { 200: record },
        },
      },
      async (request, reply) => {
        const { version, reason, ...patch } = request.body as { version?: number; reason?: string };
        const expected = expectedVersion(request.headers['if-match'], version);
        const updated = await service.update(request.params.name, patch, expected, by(request, reason));
        return reply.header('etag', `"${updated.version}"`).send(present(updated));
      },
    );

    for (const action of kind.actions) {
      app.post(
        `/${kind.path}/:name/${action.name}`,
        {
          schema: {
            tags,
            summary: action.summary,
            params: nameParams,
            body: actionBody(action.body),
            response: { 200: record },
          },
        },
        async (request, reply) => {
          const { reason, ...body } = (request.body ?? {}) as { reason?: string };
          const updated = await service.act(request.params.name, action.name, body, by(request, reason));
          return reply.header('etag', `"${updated.version}"`).send(present(updated));
        },
      );
    }

    if (kind.hasRules) {
      app.post(
        `/${kind.path}/:name/rules/:ruleId/resalt`,
        {
          schema: {
            tags,
            summary: "Reshuffle a rule's users (new salt)",
            params: nameParams.extend({ ruleId: z.string().min(1) }),
            body: z.object(reasonField).nullish(),
            response: { 200: record },
          },
        },
        async (request) =>
          present(
            await service.resalt(
              request.params.name,
              request.params.ruleId,
              by(request, request.body?.reason),
            ),
          ),
      );
    }

    app.get(
      `/${kind.path}/:name/history`,
      {
        schema: {
          tags,
          summary: `A ${label}'s versions, newest first`,
          params: nameParams,
          response: {
            200: z.object({
              versions: z.array(
                z.object({
                  version: z.number(),
                  createdAt: z.number(),
                  actor: z.string(),
                  data: kind.stored,
                }),
              ),
            }),
          },
        },
      },
      async (request) => ({ versions: await service.history(request.params.name) }),
    );

    app.post(
      `/${kind.path}/:name/revert`,
      {
        schema: {
          tags,
          summary: 'Make an earlier version current again (as a new version)',
          params: nameParams,
          body: z.object({ version: z.number().int().min(1), ...reasonField }),
          response: { 200: record },
        },
      },
      async (request) =>
        present(
          await service.revert(request.params.name, request.body.version, by(request, request.body.reason)),
        ),
    );
  };
}

/** An action's body schema; optional when every field of it is (a bare `POST .../disable` works). */
function actionBody(body: z.ZodObject | undefined) {
  const schema = body ? body.extend(reasonField) : z.object(reasonField);
  return schema.safeParse({}).success ? schema.nullish() : schema;
}
