import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { entityName } from './rules.js';

/**
 * Outgoing webhooks: what a notification is, how it is written for each format (our JSON, or a
 * Slack incoming-webhook message), how it is signed, and when a failed delivery is tried again.
 * Pure: no I/O, no clock (times are passed in).
 */

/** Something people should hear about: a rollback, an alert, a release stage that moved. */
export interface NotificationEvent {
  /** e.g. `guardrail.rollback`, `topline.alert`, `release.stage_changed`, `gate.rollback`, `webhook.test`. */
  type: string;
  /** One line for humans. */
  title: string;
  /** A few lines for humans (markdown-ish: `**bold**`, `[label](url)`). */
  text: string;
  environment?: string;
  entity?: { kind: string; name: string };
  /** The evidence, machine-readable. */
  data: Record<string, unknown>;
}

/** What `notify` did: the event's id (sent as `x-switchyard-event-id`) and how many webhooks it is queued for. */
export interface NotifyResult {
  eventId: string;
  deliveries: number;
  /** Why nothing was queued, when storing failed (notify never throws). */
  error?: string;
}

/**
 * The port the rest of the server sends notifications through. `notify` never throws: it resolves
 * once the deliveries are stored (durable), and sending happens in the background.
 *
 * @example
 * await notifier.notify({
 *   type: 'guardrail.rollback',
 *   title: 'checkout-v2 rolled back in production',
 *   text: '**error_rate** rose 12% (95% CI 8%..16%) at stage 2 (25%).',
 *   environment: 'production',
 *   entity: { kind: 'gate', name: 'checkout-v2' },
 *   data: { metric: 'error_rate', lift: 0.12 },
 * });
 */
export interface Notifier {
  notify(event: NotificationEvent): Promise<NotifyResult>;
}

/** The event as stored with each delivery, and as sent in the `json` format. */
export interface WebhookEventBody {
  id: string;
  type: string;
  /** ISO 8601. */
  createdAt: string;
  title: string;
  text: string;
  environment: string | null;
  entity: { kind: string; name: string } | null;
  data: Record<string, unknown>;
}

export const WEBHOOK_FORMATS = { json: 'json', slack: 'slack' } as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[keyof typeof WEBHOOK_FORMATS];

export const DELIVERY_STATUSES = { pending: 'pending', delivered: 'delivered', failed: 'failed' } as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[keyof typeof DELIVERY_STATUSES];

/** `*` (everything), an event type (`guardrail.rollback`), or every type under a prefix (`guardrail.*`). */
export const EVENT_PATTERN = /^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$/;

const eventPattern = z
  .string()
  .max(100)
  .regex(EVENT_PATTERN, '"*", an event type such as "guardrail.rollback", or a prefix such as "guardrail.*"');

const webhookUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).max(2000);
const webhookFormat = z.enum([WEBHOOK_FORMATS.json, WEBHOOK_FORMATS.slack]);
const webhookEvents = z.array(eventPattern).min(1).max(50);

/** The body of `POST /api/v1/webhooks`. */
export const webhookInput = z.object({
  name: entityName,
  url: webhookUrl,
  format: webhookFormat.default(WEBHOOK_FORMATS.json),
  events: webhookEvents.default(['*']),
  enabled: z.boolean().default(true),
});
export type WebhookInput = z.infer<typeof webhookInput>;

/** The body of `PATCH /api/v1/webhooks/:name`: fields left out keep their values (no defaults). */
export const webhookPatch = z.object({
  url: webhookUrl.optional(),
  format: webhookFormat.optional(),
  events: webhookEvents.optional(),
  enabled: z.boolean().optional(),
});
export type WebhookPatch = z.infer<typeof webhookPatch>;

/** A webhook as the API shows it (and the audit log records it): never its secret. */
export interface Webhook {
  name: string;
  url: string;
  format: WebhookFormat;
  events: string[];
  enabled: boolean;
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** A new signing secret: 32 random bytes, hex. */
export function generateWebhookSecret(): string {
  return randomBytes(32).toString('hex');
}

/** Whether a webhook subscribed to `patterns` wants events of `type`. */
export function matchesEvent(patterns: readonly string[], type: string): boolean {
  return patterns.some(
    (pattern) =>
      pattern === '*' ||
      pattern === type ||
      (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1))),
  );
}

/** The event as stored and sent: absent optional fields become null, so the shape never varies. */
export function eventBody(event: NotificationEvent, id: string, createdAtMs: number): WebhookEventBody {
  return {
    id,
    type: String(event.type),
    createdAt: new Date(createdAtMs).toISOString(),
    title: String(event.title ?? ''),
    text: String(event.text ?? ''),
    environment: event.environment ?? null,
    entity: event.entity ? { kind: String(event.entity.kind), name: String(event.entity.name) } : null,
    data: event.data ?? {},
  };
}

/** The request body for a webhook of `format`. */
export function renderWebhookBody(format: WebhookFormat, event: WebhookEventBody): string {
  return JSON.stringify(format === WEBHOOK_FORMATS.slack ? slackMessage(event) : event);
}

// Slack Block Kit limits: a header's plain text 150 characters, a section's text 3,000, a
// field's 2,000; at most 10 fields in a section and 10 elements in a context block.
const SLACK_HEADER_MAX = 150;
const SLACK_SECTION_MAX = 3000;
const SLACK_FIELD_MAX = 2000;

/**
 * A Slack incoming-webhook message: `text` is the fallback shown in notifications; `blocks` are a
 * header (the title), a section with the text, a section of fields (environment, entity) and a
 * context line (event type, time, id).
 */
export function slackMessage(event: WebhookEventBody): { text: string; blocks: unknown[] } {
  const title = event.title || event.type;
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(title, SLACK_HEADER_MAX), emoji: true } },
  ];
  if (event.text.trim()) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(slackMrkdwn(event.text), SLACK_SECTION_MAX) },
    });
  }
  const fields: { type: 'mrkdwn'; text: string }[] = [];
  if (event.environment) fields.push(slackField('Environment', event.environment));
  if (event.entity) fields.push(slackField(capitalize(event.entity.kind), event.entity.name));
  if (fields.length > 0) blocks.push({ type: 'section', fields });
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `${escapeSlack(event.type)} · ${event.createdAt} · event ${event.id}`,
      },
    ],
  });
  return { text: escapeSlack(title), blocks };
}

function slackField(label: string, value: string): { type: 'mrkdwn'; text: string } {
  return {
    type: 'mrkdwn',
    text: truncate(`*${escapeSlack(label)}*\n${escapeSlack(value)}`, SLACK_FIELD_MAX),
  };
}

/** Slack reads `&`, `<` and `>` as markup (`<!channel>` pings everyone), so text is escaped. */
export function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Markdown-ish text in Slack's mrkdwn: escaped, `**bold**` -> `*bold*`, `[label](url)` -> `<url|label>`. */
function slackMrkdwn(text: string): string {
  return escapeSlack(text)
    .replace(/\*\*(.+?)\*\*/g, '*$1*')
    .replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g, '<$2|$1>');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The `x-switchyard-signature` value: `v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. */
export function signWebhookBody(secret: string, timestampSeconds: number, body: string | Uint8Array): string {
  return `v1=${hmac(secret, String(timestampSeconds), body)}`;
}

function hmac(secret: string, timestamp: string, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

type HeaderValue = string | readonly string[] | null | undefined;

export interface WebhookSignatureCheck {
  /** The webhook's signing secret, as shown when it was created (a missing one verifies nothing). */
  secret: string | undefined;
  /** The raw request body, exactly as received (before any JSON parsing). */
  body: string | Uint8Array;
  /** The `x-switchyard-signature` header. */
  signature: HeaderValue;
  /** The `x-switchyard-timestamp` header (unix seconds). */
  timestamp: HeaderValue;
  /** Refuse timestamps further than this from `nowMs` (replays); 300 s by default. */
  toleranceSeconds?: number;
  /** Now, in epoch milliseconds; `Date.now()` by default. */
  nowMs?: number;
}

/**
 * Whether a request really came from this Switchyard webhook: the signature is HMAC-SHA256 of
 * `<timestamp>.<raw body>` with the webhook's secret, and the timestamp is recent. Compares in
 * constant time; accepts any of several comma-separated `v1=` signatures.
 *
 * @example
 * const ok = verifyWebhookSignature({
 *   secret: process.env.SWITCHYARD_WEBHOOK_SECRET ?? '',
 *   body: rawBody,
 *   signature: request.headers['x-switchyard-signature'],
 *   timestamp: request.headers['x-switchyard-timestamp'],
 * });
 */
export function verifyWebhookSignature({
  secret,
  body,
  signature,
  timestamp,
  toleranceSeconds = 300,
  nowMs = Date.now(),
}: WebhookSignatureCheck): boolean {
  const signatureValue = single(signature);
  const timestampValue = single(timestamp);
  if (!secret || !signatureValue || !timestampValue || !/^\d{1,12}$/.test(timestampValue)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestampValue)) > toleranceSeconds) return false;
  const expected = Buffer.from(hmac(secret, timestampValue, body), 'hex');
  return signatureValue.split(',').some((part) => {
    const [scheme, value] = part.trim().split('=', 2);
    if (scheme !== 'v1' || !value || !/^[0-9a-f]{64}$/i.test(value)) return false;
    return timingSafeEqual(Buffer.from(value, 'hex'), expected);
  });
}

function single(value: HeaderValue): string | undefined {
  return (typeof value === 'string' ? value : value?.[0]) ?? undefined;
}

/** What one attempt to deliver came to. */
export interface AttemptResult {
  /** The receiver's status, or null when none came (network error, timeout). */
  statusCode: number | null;
  /** Why it was not delivered (null when it was). */
  error: string | null;
  /** The receiver's `Retry-After`, in ms from now, when it sent one. */
  retryAfterMs?: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  /** The first retry's delay (ms) before jitter; each further retry doubles it. */
  baseDelayMs: number;
  /** Longest wait between attempts (ms), `Retry-After` included. */
  maxDelayMs: number;
}

export type AttemptDecision =
  | { status: 'delivered' }
  | { status: 'failed' }
  | { status: 'pending'; delayMs: number };

/** A 2xx is delivered; network errors, timeouts, 408, 429 and 5xx are tried again, anything else is final. */
export function isRetryable(result: AttemptResult): boolean {
  const code = result.statusCode;
  return code === null || code === 408 || code === 429 || code >= 500;
}

/**
 * After attempt number `attempts` (1-based): delivered, failed for good, or tried again after
 * `Retry-After` or exponential backoff with jitter (half the delay fixed, half random, so retries
 * of many deliveries spread out but still back off).
 */
export function decideAfterAttempt(
  result: AttemptResult,
  attempts: number,
  policy: RetryPolicy,
  random: () => number,
): AttemptDecision {
  if (result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300) {
    return { status: 'delivered' };
  }
  if (!isRetryable(result) || attempts >= policy.maxAttempts) return { status: 'failed' };
  if (result.retryAfterMs !== undefined) {
    return { status: 'pending', delayMs: Math.min(Math.max(result.retryAfterMs, 0), policy.maxDelayMs) };
  }
  const backoff = Math.min(policy.baseDelayMs * 2 ** (attempts - 1), policy.maxDelayMs);
  return { status: 'pending', delayMs: Math.round(backoff / 2 + (backoff / 2) * random()) };
}

/** `Retry-After` (delay-seconds or an HTTP date) in ms from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(date - nowMs, 0);
}
