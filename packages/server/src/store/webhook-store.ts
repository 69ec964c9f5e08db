import { type Kysely, sql, type Transaction } from 'kysely';
import {
  DELIVERY_STATUSES,
  type DeliveryStatus,
  generateWebhookSecret,
  type Webhook,
  type WebhookFormat,
  type WebhookInput,
  type WebhookPatch,
} from '../domain/webhook.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { SqlDialectName } from './database.js';
import type { ChangeContext, EntityStore } from './entity-store.js';
import type { Database } from './schema.js';

/**
 * The tables of migration 0010-webhooks, kept beside the only code that reads them (a type alias:
 * Kysely's `withTables` needs an index signature, which interfaces lack).
 */
export type WebhookTables = {
  webhooks: {
    name: string;
    url: string;
    format: WebhookFormat;
    /** JSON array of event patterns. */
    events: string;
    /** 1 or 0 (an integer on both databases). */
    enabled: number;
    /** The HMAC signing secret (hex). Needed in clear to sign; never leaves this store except to sign. */
    secret: string;
    version: number;
    created_at: number;
    updated_at: number;
  };
  /** One event for one webhook, from queued to delivered or failed for good. */
  webhook_deliveries: {
    id: string;
    webhook: string;
    event_id: string;
    event_type: string;
    /** JSON of the event (`WebhookEventBody`); rendered in the webhook's format at each attempt. */
    event: string;
    status: DeliveryStatus;
    /** Attempts started (counted when claimed, so a crash mid-attempt still counts). */
    attempts: number;
    max_attempts: number;
    /** When the next attempt may start (pending deliveries). */
    next_attempt_at: number;
    /** An instance holds the delivery until then (its attempt in flight); null when free. */
    claimed_until: number | null;
    claim_token: string | null;
    last_status_code: number | null;
    last_error: string | null;
    last_attempt_at: number | null;
    delivered_at: number | null;
    created_at: number;
  };
};

type WebhookDatabase = Database & WebhookTables;
type WebhookRow = WebhookTables['webhooks'];
type DeliveryRow = WebhookTables['webhook_deliveries'];

export const WEBHOOK_KIND = 'webhook';

/** A webhook with what delivering to it takes. */
export interface WebhookTarget {
  name: string;
  url: string;
  format: WebhookFormat;
  events: string[];
  enabled: boolean;
  secret: string;
}

/** A delivery as `GET /webhooks/:name/deliveries` shows it. */
export interface WebhookDelivery {
  id: string;
  eventId: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  lastAttemptAt: number | null;
  /** Pending deliveries only: when the next attempt may start. */
  nextAttemptAt: number | null;
  deliveredAt: number | null;
}

export interface NewDelivery {
  id: string;
  webhook: string;
  eventId: string;
  eventType: string;
  event: string;
  maxAttempts: number;
  now: number;
}

/** A delivery this instance claimed: its attempt is the only one until `claimed_until`. */
export interface ClaimedDelivery {
  id: string;
  webhook: string;
  eventId: string;
  event: string;
  /** This attempt's number (1-based). */
  attempt: number;
  maxAttempts: number;
}

export type AttemptOutcome =
  | { status: 'delivered'; statusCode: number; now: number }
  | { status: 'failed'; statusCode: number | null; error: string; now: number }
  | { status: 'pending'; statusCode: number | null; error: string; now: number; nextAttemptAt: number };

/**
 * Webhooks and their deliveries, in tables of their own. Configuration changes are audited through
 * `EntityStore.transaction` (the audit log shows the webhook without its secret). Deliveries are a
 * durable queue: claimed with a lease by one `UPDATE ... RETURNING` (on Postgres over rows locked
 * with `SKIP LOCKED`), so two instances never attempt the same delivery at once.
 */
export class WebhookStore {
  private readonly db: Kysely<WebhookDatabase>;

  constructor(
    db: Kysely<Database>,
    private readonly entities: EntityStore,
    private readonly clock: () => number,
    private readonly dialect: SqlDialectName,
  ) {
    this.db = db.withTables<WebhookTables>();
  }

  async list(): Promise<Webhook[]> {
    const rows = await this.db.selectFrom('webhooks').selectAll().orderBy('name').execute();
    return rows.map(toWebhook);
  }

  async get(name: string): Promise<Webhook | undefined> {
    const row = await this.db.selectFrom('webhooks').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toWebhook(row);
  }

  /** The webhook with its secret, for delivering; throws `not_found`. */
  async target(name: string): Promise<WebhookTarget> {
    const row = await this.db.selectFrom('webhooks').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw notFound(name);
    return toTarget(row);
  }

  async targets(names: readonly string[]): Promise<Map<string, WebhookTarget>> {
    if (names.length === 0) return new Map();
    const rows = await this.db.selectFrom('webhooks').selectAll().where('name', 'in', names).execute();
    return new Map(rows.map((row) => [row.name, toTarget(row)]));
  }

  async enabledTargets(): Promise<WebhookTarget[]> {
    const rows = await this.db.selectFrom('webhooks').selectAll().where('enabled', '=', 1).execute();
    return rows.map(toTarget);
  }

  /** Creates the webhook with a new secret, returned here only. */
  async create(
    input: WebhookInput,
    change: Omit<ChangeContext, 'action'>,
  ): Promise<{ webhook: Webhook; secret: string }> {
    const secret = generateWebhookSecret();
    return this.entities.transaction(async (tx, audit) => {
      const db = tx.withTables<WebhookTables>();
      if (await db.selectFrom('webhooks').select('name').where('name', '=', input.name).executeTakeFirst()) {
        throw new ConflictError('already_exists', `webhook "${input.name}" already exists`, {
          field: 'body.name',
        });
      }
      const now = this.clock();
      const row: WebhookRow = {
        name: input.name,
        url: input.url,
        format: input.format,
        events: JSON.stringify(input.events),
        enabled: input.enabled ? 1 : 0,
        secret,
        version: 1,
        created_at: now,
        updated_at: now,
      };
      await db.insertInto('webhooks').values(row).execute();
      const webhook = toWebhook(row);
      await audit({
        kind: WEBHOOK_KIND,
        name: input.name,
        version: 1,
        before: null,
        after: audited(webhook),
        change: { ...change, action: 'create' },
        now,
      });
      return { webhook, secret };
    });
  }

  /** Changes the given fields if the webhook is at `expectedVersion` (when given); 409 otherwise. */
  async update(
    name: string,
    patch: WebhookPatch,
    expectedVersion: number | undefined,
    change: Omit<ChangeContext, 'action'>,
  ): Promise<Webhook> {
    return this.entities.transaction(async (tx, audit) => {
      const db = tx.withTables<WebhookTables>();
      const current = await this.current(db, name, expectedVersion);
      const now = this.clock();
      const next: WebhookRow = {
        ...current,
        ...(patch.url !== undefined && { url: patch.url }),
        ...(patch.format !== undefined && { format: patch.format }),
        ...(patch.events !== undefined && { events: JSON.stringify(patch.events) }),
        ...(patch.enabled !== undefined && { enabled: patch.enabled ? 1 : 0 }),
        version: current.version + 1,
        updated_at: now,
      };
      const updated = await db
        .updateTable('webhooks')
        .set({
          url: next.url,
          format: next.format,
          events: next.events,
          enabled: next.enabled,
          version: next.version,
          updated_at: now,
        })
        .where('name', '=', name)
        .where('version', '=', current.version)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) {
        throw new ConflictError('version_conflict', `webhook "${name}" changed concurrently`, { name });
      }
      const webhook = toWebhook(next);
      await audit({
        kind: WEBHOOK_KIND,
        name,
        version: next.version,
        before: audited(toWebhook(current)),
        after: audited(webhook),
        change: { ...change, action: 'update' },
        now,
      });
      return webhook;
    });
  }

  /** Deletes the webhook and its deliveries (pending ones are not sent). */
  async delete(
    name: string,
    expectedVersion: number | undefined,
    change: Omit<ChangeContext, 'action'>,
  ): Promise<void> {
    await this.entities.transaction(async (tx, audit) => {
      const db = tx.withTables<WebhookTables>();
      const current = await this.current(db, name, expectedVersion);
      await db.deleteFrom('webhook_deliveries').where('webhook', '=', name).execute();
      await db.deleteFrom('webhooks').where('name', '=', name).execute();
      await audit({
        kind: WEBHOOK_KIND,
        name,
        version: current.version + 1,
        before: audited(toWebhook(current)),
        after: null,
        change: { ...change, action: 'delete' },
        now: this.clock(),
      });
    });
  }

  private async current(
    db: Transaction<WebhookDatabase> | Kysely<WebhookDatabase>,
    name: string,
    expectedVersion: number | undefined,
  ): Promise<WebhookRow> {
    const current = await db.selectFrom('webhooks').selectAll().where('name', '=', name).executeTakeFirst();
    if (!current) throw notFound(name);
    if (expectedVersion !== undefined && current.version !== expectedVersion) {
      throw new ConflictError(
        'version_conflict',
        `webhook "${name}" is at version ${current.version}, not ${expectedVersion}`,
        { currentVersion: current.version },
      );
    }
    return current;
  }

  /** Queues deliveries (one statement: all or none), due at once. */
  async enqueue(deliveries: readonly NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.db
      .insertInto('webhook_deliveries')
      .values(deliveries.map((delivery) => newDeliveryRow(delivery, null, null)))
      .execute();
  }

  /** Queues a delivery already claimed by the caller (an attempt it makes at once). */
  async enqueueClaimed(delivery: NewDelivery, token: string, leaseMs: number): Promise<ClaimedDelivery> {
    const row = { ...newDeliveryRow(delivery, delivery.now + leaseMs, token), attempts: 1 };
    await this.db.insertInto('webhook_deliveries').values(row).execute();
    return toClaimed(row);
  }

  /**
   * Claims up to `limit` deliveries due at `now` (pending, next attempt due, not held by anyone)
   * until `now + leaseMs`, counting the attempt. The lease outlives an attempt (its timeout), so
   * it only runs out when the instance holding it died mid-attempt; then another takes over.
   */
  async claimDue(now: number, limit: number, leaseMs: number, token: string): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    let due = this.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('status', '=', DELIVERY_STATUSES.pending)
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit);
    // SQLite runs one write at a time; on Postgres rows another instance is claiming are skipped.
    if (this.dialect === 'postgres') due = due.forUpdate().skipLocked();
    const rows = await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({ claimed_until: now + leaseMs, claim_token: token, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', due)
      // Checked again on the row itself: under Postgres's read committed an UPDATE that waited for
      // another claim re-evaluates these on the claimed row and skips it.
      .where('status', '=', DELIVERY_STATUSES.pending)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]))
      .returningAll()
      .execute();
    return rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at).map(toClaimed);
  }

  /** Records an attempt's outcome, if this claim still holds the delivery; false otherwise. */
  async finish(id: string, token: string, outcome: AttemptOutcome): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set({
        status: outcome.status,
        claimed_until: null,
        claim_token: null,
        last_status_code: outcome.statusCode,
        last_error: outcome.status === 'delivered' ? null : outcome.error.slice(0, 1000),
        last_attempt_at: outcome.now,
        ...(outcome.status === 'delivered' && { delivered_at: outcome.now }),
        ...(outcome.status === 'pending' && { next_attempt_at: outcome.nextAttemptAt }),
      })
      .where('id', '=', id)
      .where('claim_token', '=', token)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** When the next pending delivery becomes claimable (its next attempt, or its lease running out). */
  async nextDueAt(): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select(
        sql<
          number | string | null
        >`min(case when claimed_until > next_attempt_at then claimed_until else next_attempt_at end)`.as(
          'due',
        ),
      )
      .where('status', '=', DELIVERY_STATUSES.pending)
      .executeTakeFirst();
    return row?.due === null || row?.due === undefined ? undefined : Number(row.due);
  }

  async delivery(id: string): Promise<WebhookDelivery | undefined> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toDelivery(row);
  }

  /** The webhook's latest deliveries, newest first. */
  async deliveries(webhook: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('webhook', '=', webhook)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toDelivery);
  }

  /** Forgets finished deliveries last attempted before `before`; returns how many. */
  async prune(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('webhook_deliveries')
      .where('status', '!=', DELIVERY_STATUSES.pending)
      .where('last_attempt_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function notFound(name: string): NotFoundError {
  return new NotFoundError('not_found', `webhook "${name}" does not exist`, { name });
}

function newDeliveryRow(
  delivery: NewDelivery,
  claimedUntil: number | null,
  token: string | null,
): DeliveryRow {
  return {
    id: delivery.id,
    webhook: delivery.webhook,
    event_id: delivery.eventId,
    event_type: delivery.eventType,
    event: delivery.event,
    status: DELIVERY_STATUSES.pending,
    attempts: 0,
    max_attempts: delivery.maxAttempts,
    next_attempt_at: delivery.now,
    claimed_until: claimedUntil,
    claim_token: token,
    last_status_code: null,
    last_error: null,
    last_attempt_at: null,
    delivered_at: null,
    created_at: delivery.now,
  };
}

function toWebhook(row: WebhookRow): Webhook {
  return {
    name: row.name,
    url: row.url,
    format: row.format,
    events: JSON.parse(row.events) as string[],
    enabled: Number(row.enabled) === 1,
    version: Number(row.version),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** What the audit log records of a webhook: its settings, never its secret. */
function audited(webhook: Webhook) {
  return {
    name: webhook.name,
    url: webhook.url,
    format: webhook.format,
    events: webhook.events,
    enabled: webhook.enabled,
  };
}

function toTarget(row: WebhookRow): WebhookTarget {
  const { name, url, format, events, enabled } = toWebhook(row);
  return { name, url, format, events, enabled, secret: row.secret };
}

function toClaimed(row: DeliveryRow): ClaimedDelivery {
  return {
    id: row.id,
    webhook: row.webhook,
    eventId: row.event_id,
    event: row.event,
    attempt: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
  };
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    eventId: row.event_id,
    type: row.event_type,
    status: row.status,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
    lastError: row.last_error,
    createdAt: Number(row.created_at),
    lastAttemptAt: row.last_attempt_at === null ? null : Number(row.last_attempt_at),
    nextAttemptAt: row.status === DELIVERY_STATUSES.pending ? Number(row.next_attempt_at) : null,
    deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
  };
}
