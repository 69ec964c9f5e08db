import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import { type FastifyPluginAsyncZod, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_ID_LENGTH, MAX_IDS_PER_CHANGE, MAX_UPLOAD_BYTES } from '../domain/id-list.js';
import { entityName } from '../domain/rules.js';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js';
import { expectedVersion } from '../http/if-match.js';
import type { IdListService } from '../services/id-list-service.js';
import type { IdListRecord } from '../store/id-list-store.js';

/** 100,000 IDs of a typical length (UUIDs, emails) in JSON; 1,000-character IDs need smaller calls. */
const CHANGE_BODY_LIMIT = 32 * 1024 * 1024;

/** Upload media types; a missing Content-Type (e.g. `curl -T`) counts as text/plain. */
const UPLOAD_TYPES = new Set(['text/plain', 'text/csv', 'application/octet-stream']);

const idListSchema = z.object({
  name: z.string(),
  fileId: z.string().describe('The current list file; a new upload starts a new one'),
  creationTime: z.number().describe('When the current file was started (ms)'),
  size: z.number().int().describe('Bytes of the current list file, as SDKs download it'),
  entryCount: z.number().int().describe('IDs in the list (distinct ID hashes)'),
  version: z.number().int(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

const nameParams = z.object({ name: entityName });
const reasonQuery = z.object({ reason: z.string().max(1000).optional() });
const changeBody = z.object({
  // Trimmed like uploaded lines, so " u-1" and "u-1" are the same ID whichever way it arrives.
  ids: z.array(z.string().trim().min(1).max(MAX_ID_LENGTH)).max(MAX_IDS_PER_CHANGE),
  version: z.number().int().optional(),
  reason: z.string().max(1000).optional(),
});

const VERSION_NOTE =
  'Send `If-Match: "<version>"` to get a 409 instead of overwriting a change made since you read the list.';

function present(record: IdListRecord) {
  return { ...record };
}

function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? 'text/plain').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** The upload as a byte stream, gunzipped when sent with `Content-Encoding: gzip`. */
function uploadStream(request: FastifyRequest): AsyncIterable<Buffer> | Iterable<Buffer> {
  const body = request.body as Readable | undefined;
  if (!body) return [];
  if (request.headers['content-encoding'] !== 'gzip') return body;
  const inflated = createGunzip();
  body.on('error', (error) => inflated.destroy(error));
  return body.pipe(inflated);
}

/**
 * ID lists (authoring API, console key). An upload replaces a list from a text body streamed
 * line by line; add and remove change it incrementally. SDKs read lists through
 * `POST /v1/get_id_lists` and the list files (routes/id-list-files.ts).
 */
export function idListRoutes(
  idLists: IdListService,
  /** Refuses a change to the named list that the caller may not make (protected environments). */
  checkWrite: (request: FastifyRequest, list: string) => Promise<void>,
): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('onRequest', async (request) => {
      if (request.method === 'GET' || request.method === 'HEAD') return;
      const name = (request.params as { name?: unknown }).name;
      if (typeof name === 'string') await checkWrite(request, name);
    });
    // Upload bodies reach the handler as the unread request stream, whatever their type; the
    // upload route checks the type before reading (JSON still goes to the JSON parser).
    app.removeContentTypeParser(['text/plain']);
    app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    app.get(
      '/id_lists',
      {
        schema: {
          tags: ['id_lists'],
          summary: 'List ID lists',
          response: { 200: z.object({ idLists: z.array(idListSchema) }) },
        },
      },
      async () => ({ idLists: (await idLists.list()).map(present) }),
    );

    app.get(
      '/id_lists/:name',
      {
        schema: {
          tags: ['id_lists'],
          summary: "An ID list's file and size",
          params: nameParams,
          response: { 200: idListSchema },
        },
      },
      async (request, reply) => {
        const record = await idLists.get(request.params.name);
        return reply.header('etag', `"${record.version}"`).send(present(record));
      },
    );

    app.put(
      '/id_lists/:name',
      {
        bodyLimit: MAX_UPLOAD_BYTES,
        // The body is a stream read by the handler; params and query are validated as usual.
        validatorCompiler: (route) =>
          route.httpPart === 'body'
            ? () => true
            : validatorCompiler(route as unknown as Parameters<typeof validatorCompiler>[0]),
        preParsing: async (request) => {
          if (!UPLOAD_TYPES.has(mediaType(request))) {
            throw new UnsupportedMediaTypeError(
              'unsupported_media_type',
              'upload IDs as text/plain (one per line) or text/csv (first column)',
              { field: 'headers.content-type' },
            );
          }
          // Refuse a body announced as too large before reading any of it.
          const declared = Number(request.headers['content-length']);
          if (declared > request.routeOptions.bodyLimit) {
            throw new PayloadTooLargeError(
              'payload_too_large',
              `the body is larger than ${request.routeOptions.bodyLimit} bytes`,
              { field: 'body', limit: request.routeOptions.bodyLimit },
            );
          }
          const encoding = request.headers['content-encoding'];
          if (encoding !== undefined && encoding !== 'identity' && encoding !== 'gzip') {
            throw new UnsupportedMediaTypeError(
              'unsupported_media_type',
              `Content-Encoding "${encoding}" is not supported (use gzip or none)`,
              { field: 'headers.content-encoding' },
            );
          }
        },
        schema: {
          tags: ['id_lists'],
          summary: 'Create or replace an ID list from a file of IDs',
          description: `One raw ID per line (\\n or \\r\\n; blank lines are ignored, whitespace around an ID is trimmed), or CSV (\`text/csv\`: the first column; \`?header=true\` skips a header row). Streamed: millions of IDs in one request (up to ${MAX_UPLOAD_BYTES / 1024 / 1024} MB, gzip allowed). The list gets a new file, which SDKs download in full. ${VERSION_NOTE} Example: \`curl -T ids.txt -H 'content-type: text/plain' -H 'authorization: Bearer <key>' $SY/api/v1/id_lists/beta_users\``,
          params: nameParams,
          querystring: reasonQuery.extend({
            header: z
              .enum(['true', 'false'])
              .default('false')
              .describe('The first non-blank line is a header, not an ID'),
          }),
          consumes: ['text/plain', 'text/csv'],
          body: z.string().describe('IDs, one per line'),
          response: {
            200: idListSchema.extend({ ids: z.number().int().describe('Lines with an ID read') }),
            201: idListSchema.extend({ ids: z.number().int().describe('Lines with an ID read') }),
          },
        },
      },
      async (request, reply) => {
        const { record, created, ids } = await idLists.upload(
          request.params.name,
          uploadStream(request),
          { csv: mediaType(request) === 'text/csv', header: request.query.header === 'true' },
          expectedVersion(request.headers['if-match']),
          { actor: request.actor, reason: request.query.reason },
          request.routeOptions.bodyLimit,
        );
        return reply
          .status(created ? 201 : 200)
          .header('etag', `"${record.version}"`)
          .send({ ...present(record), ids });
      },
    );

    const changeResponse = {
      add: idListSchema.extend({ added: z.number().int(), unchanged: z.number().int() }),
      remove: idListSchema.extend({ removed: z.number().int(), unchanged: z.number().int() }),
    };
    for (const action of ['add', 'remove'] as const) {
      app.post(
        `/id_lists/:name/${action}`,
        {
          bodyLimit: CHANGE_BODY_LIMIT,
          preParsing: async (request) => {
            if (mediaType(request) !== 'application/json') {
              throw new UnsupportedMediaTypeError(
                'unsupported_media_type',
                'send {"ids": [...]} as application/json',
                {
                  field: 'headers.content-type',
                },
              );
            }
          },
          schema: {
            tags: ['id_lists'],
            summary:
              action === 'add'
                ? 'Add IDs to a list (appended: SDKs download only the change)'
                : 'Remove IDs from a list (appended: SDKs download only the change)',
            description: `At most ${MAX_IDS_PER_CHANGE} IDs per call. IDs already ${action === 'add' ? 'in' : 'absent from'} the list are counted as unchanged. ${VERSION_NOTE}`,
            params: nameParams,
            body: changeBody,
            response: { 200: changeResponse[action] },
          },
        },
        async (request, reply) => {
          const { ids, version, reason } = request.body;
          const expected = expectedVersion(request.headers['if-match'], version);
          const by = { actor: request.actor, reason };
          const { record, changed, requested } =
            action === 'add'
              ? await idLists.add(request.params.name, ids, expected, by)
              : await idLists.remove(request.params.name, ids, expected, by);
          const counts = { unchanged: requested - changed };
          return reply
            .header('etag', `"${record.version}"`)
            .send(
              action === 'add'
                ? { ...present(record), ...counts, added: changed }
                : { ...present(record), ...counts, removed: changed },
            );
        },
      );
    }

    app.delete(
      '/id_lists/:name',
      {
        schema: {
          tags: ['id_lists'],
          summary: 'Delete an ID list',
          description: `SDKs are sent an empty file in its place (statsig-node 6.5.2 keeps lists that disappear), so every check against it fails "in" and passes "not in". Uploading to the name again recreates it. ${VERSION_NOTE}`,
          params: nameParams,
          querystring: reasonQuery,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await idLists.delete(request.params.name, expectedVersion(request.headers['if-match']), {
          actor: request.actor,
          reason: request.query.reason,
        });
        return reply.status(204).send(null);
      },
    );
  };
}
