import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { entityName } from '../domain/rules.js';
import { DELIVERY_STATUSES, WEBHOOK_FORMATS, webhookInput, webhookPatch } from '../domain/webhook.js';
import { NotFoundError } from '../errors.js';
import { expectedVersion } from '../http/if-match.js';
import type { WebhookNotifier } from '../services/webhook-notifier.js';
import type { WebhookStore } from '../store/webhook-store.js';

const tags = ['webhooks'];
const nameParams = z.object({ name: entityName });
const reasonField = { reason: z.string().max(1000).optional() };

const webhookSchema = z.object({
  name: z.string(),
  url: z.string(),
  format: z.enum([WEBHOOK_FORMATS.json, WEBHOOK_FORMATS.slack]),
  events: z.array(z.string()),
  enabled: z.boolean(),
  version: z.number().int(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

const deliverySchema = z.object({
  id: z.string(),
  eventId: z.string(),
  type: z.string(),
  status: z.enum([DELIVERY_STATUSES.pending, DELIVERY_STATUSES.delivered, DELIVERY_STATUSES.failed]),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.number(),
  lastAttemptAt: z.number().nullable(),
  nextAttemptAt: z.number().nullable(),
  deliveredAt: z.number().nullable(),
});

/**
 * `/api/v1/webhooks` (console key): where notifications go (rollbacks, alerts, release stages).
 * The signing secret is in the creation response only; every change is audited without it.
 */
export function webhookRoutes(store: WebhookStore, notifier: WebhookNotifier): FastifyPluginAsyncZod {
  return async (app) => {
    // Only admins see or change these (webhook URLs can hold Slack secrets; keys grant access).
    app.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'admin' };
    });
    const by = (request: { actor: string }, reason: string | undefined) => ({
      actor: request.actor,
      reason: reason ?? null,
    });
    const found = async (name: string) => {
      const webhook = await store.get(name);
      if (!webhook) throw new NotFoundError('not_found', `webhook "${name}" does not exist`, { name });
      return webhook;
    };

    app.get(
      '/webhooks',
      {
        schema: {
          tags,
          summary: 'List webhooks (never their secrets)',
          response: { 200: z.object({ webhooks: z.array(webhookSchema) }) },
        },
      },
      async () => ({ webhooks: await store.list() }),
    );

    app.post(
      '/webhooks',
      {
        schema: {
          tags,
          summary: 'Create a webhook; its signing secret is in this response only',
          description:
            'Each delivery is a POST signed with `x-switchyard-signature: v1=<hex HMAC-SHA256(secret, "<x-switchyard-timestamp>.<raw body>")>`. `format: "slack"` sends a Slack incoming-webhook message. `events` takes event types, prefixes such as `guardrail.*`, or `*`.',
          body: webhookInput.extend(reasonField),
          response: { 201: webhookSchema.extend({ secret: z.string() }) },
        },
      },
      async (request, reply) => {
        const { reason, ...input } = request.body;
        const { webhook, secret } = await store.create(input, by(request, reason));
        return reply
          .status(201)
          .header('etag', `"${webhook.version}"`)
          .send({ ...webhook, secret });
      },
    );

    app.get(
      '/webhooks/:name',
      { schema: { tags, summary: 'Get a webhook', params: nameParams, response: { 200: webhookSchema } } },
      async (request, reply) => {
        const webhook = await found(request.params.name);
        return reply.header('etag', `"${webhook.version}"`).send(webhook);
      },
    );

    app.patch(
      '/webhooks/:name',
      {
        schema: {
          tags,
          summary: 'Change a webhook',
          description:
            'Fields left out keep their values. Send `If-Match: "<version>"` (or `version`) to be refused with 409 if it changed since you read it.',
          params: nameParams,
          body: webhookPatch.extend({ version: z.number().int().optional(), ...reasonField }),
          response: { 200: webhookSchema },
        },
      },
      async (request, reply) => {
        const { version, reason, ...patch } = request.body;
        const expected = expectedVersion(request.headers['if-match'], version);
        const webhook = await store.update(request.params.name, patch, expected, by(request, reason));
        return reply.header('etag', `"${webhook.version}"`).send(webhook);
      },
    );

    app.delete(
      '/webhooks/:name',
      {
        schema: {
          tags,
          summary: 'Delete a webhook and its deliveries (pending ones are not sent)',
          params: nameParams,
          querystring: z.object(reasonField),
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        const expected = expectedVersion(request.headers['if-match']);
        await store.delete(request.params.name, expected, by(request, request.query.reason));
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/webhooks/:name/test',
      {
        schema: {
          tags,
          summary: 'Send a test event now; answers with the delivery (one attempt, not retried)',
          params: nameParams,
          response: { 200: z.object({ delivered: z.boolean(), delivery: deliverySchema }) },
        },
      },
      async (request) => {
        const delivery = await notifier.sendTest(request.params.name, request.actor);
        return { delivered: delivery.status === DELIVERY_STATUSES.delivered, delivery };
      },
    );

    app.get(
      '/webhooks/:name/deliveries',
      {
        schema: {
          tags,
          summary: "A webhook's recent deliveries, newest first",
          params: nameParams,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
          response: { 200: z.object({ deliveries: z.array(deliverySchema) }) },
        },
      },
      async (request) => {
        await found(request.params.name);
        return { deliveries: await store.deliveries(request.params.name, request.query.limit) };
      },
    );
  };
}
