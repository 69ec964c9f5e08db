import type SQLite from 'better-sqlite3';
import type { Insertable, Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface IncomingEvent {
  eventName: string;
  time: number;
  user: Record<string, unknown> | null;
  value: unknown;
  metadata: Record<string, unknown> | null;
  secondaryExposures: unknown[] | null;
}

export interface StoredEvent {
  id: number;
  environment: string;
  eventName: string;
  time: number;
  userID: string | null;
  unitIDs: Record<string, unknown>;
  entity: string | null;
  ruleID: string | null;
  value: string | null;
  metadata: Record<string, unknown>;
  secondaryExposures: unknown[] | null;
}

/** Which metadata key names the exposed entity, per Statsig exposure event. */
const EXPOSURE_ENTITY_KEY: Record<string, string> = {
  'statsig::gate_exposure': 'gate',
  'statsig::config_exposure': 'config',
  'statsig::layer_exposure': 'config',
};

function text(value: unknown): string | null {
  return value === null || value === undefined
    ? null
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);
}

export interface EventBatch {
  environment: string;
  events: IncomingEvent[];
  /** Identifies the batch's content, so a retry is recognised; null: never deduplicated. */
  batchKey: string | null;
}

export interface BatchOutcome {
  stored: number;
  /** The batch was stored before (an SDK retry); nothing was stored now. */
  duplicate: boolean;
}

function toRow(environment: string, event: IncomingEvent, now: number): Insertable<Database['events']> {
  const user = event.user ?? {};
  const metadata = event.metadata ?? {};
  const entityKey = EXPOSURE_ENTITY_KEY[event.eventName];
  return {
    environment,
    received_at: now,
    time: Number.isFinite(event.time) ? event.time : now,
    event_name: event.eventName,
    user_id: text(user.userID),
    unit_ids: JSON.stringify({
      userID: user.userID ?? null,
      ...((user.customIDs as object | undefined) ?? {}),
    }),
    entity: entityKey ? text(metadata[entityKey]) : null,
    rule_id: entityKey ? text(metadata.ruleID) : null,
    group_name: null,
    value: text(event.value),
    metadata: JSON.stringify(metadata),
    secondary_exposures: event.secondaryExposures?.length ? JSON.stringify(event.secondaryExposures) : null,
  };
}

const EVENT_COLUMNS = [
  'environment',
  'received_at',
  'time',
  'event_name',
  'user_id',
  'unit_ids',
  'entity',
  'rule_id',
  'group_name',
  'value',
  'metadata',
  'secondary_exposures',
] as const;

/**
 * `appendBatches` for SQLite with statements prepared once: Kysely compiles and prepares each
 * multi-row insert anew, which was most of ingestion's cost.
 */
function preparedAppend(sqlite: SQLite.Database) {
  const insertKey = sqlite.prepare(
    'insert into ingest_batches (environment, batch_key, received_at) values (?, ?, ?) on conflict do nothing',
  );
  const insertEvent = sqlite.prepare(
    `insert into events (${EVENT_COLUMNS.join(', ')}) values (${EVENT_COLUMNS.map(() => '?').join(', ')})`,
  );
  return sqlite.transaction((batches: readonly EventBatch[], now: number): BatchOutcome[] =>
    batches.map((batch) => {
      if (batch.batchKey !== null && insertKey.run(batch.environment, batch.batchKey, now).changes === 0) {
        return { stored: 0, duplicate: true };
      }
      for (const event of batch.events) {
        const row = toRow(batch.environment, event, now);
        insertEvent.run(EVENT_COLUMNS.map((column) => row[column] ?? null));
      }
      return { stored: batch.events.length, duplicate: false };
    }),
  );
}

/** Durable event storage: exposures and custom events, with the user's unit IDs. */
export class EventStore {
  private readonly sqliteAppend:
    | ((batches: readonly EventBatch[], now: number) => BatchOutcome[])
    | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => number = Date.now,
    sqlite?: SQLite.Database,
  ) {
    this.sqliteAppend = sqlite && preparedAppend(sqlite);
  }

  async append(environment: string, events: IncomingEvent[]): Promise<number> {
    const [outcome] = await this.appendBatches([{ environment, events, batchKey: null }]);
    return outcome?.stored ?? 0;
  }

  /**
   * Stores several batches in one transaction (one commit for many requests). A batch whose
   * `batchKey` was stored before, in this call or an earlier one, is a retry: it is reported
   * as a duplicate and stored no second time.
   */
  async appendBatches(batches: readonly EventBatch[]): Promise<BatchOutcome[]> {
    const now = this.clock();
    const sqliteAppend = this.sqliteAppend;
    // SQLite: prepared statements in one synchronous transaction, under Kysely's connection lock.
    if (sqliteAppend) return this.db.connection().execute(async () => sqliteAppend(batches, now));
    return this.db.transaction().execute(async (tx) => {
      const outcomes: BatchOutcome[] = [];
      const rows: Insertable<Database['events']>[] = [];
      for (const batch of batches) {
        if (batch.batchKey !== null) {
          const inserted = await tx
            .insertInto('ingest_batches')
            .values({ environment: batch.environment, batch_key: batch.batchKey, received_at: now })
            .onConflict((oc) => oc.columns(['environment', 'batch_key']).doNothing())
            .executeTakeFirst();
          if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
            outcomes.push({ stored: 0, duplicate: true });
            continue;
          }
        }
        for (const event of batch.events) rows.push(toRow(batch.environment, event, now));
        outcomes.push({ stored: batch.events.length, duplicate: false });
      }
      // One statement per chunk keeps well under SQLite's and Postgres's bind-parameter limits.
      for (let i = 0; i < rows.length; i += 500) {
        await tx
          .insertInto('events')
          .values(rows.slice(i, i + 500))
          .execute();
      }
      return outcomes;
    });
  }

  /** Forgets batch keys older than `before` (ms): retries come within minutes, not days. */
  async forgetBatchKeys(before: number): Promise<void> {
    await this.db.deleteFrom('ingest_batches').where('received_at', '<', before).execute();
  }

  async list(filter: { environment?: string; limit?: number } = {}): Promise<StoredEvent[]> {
    let query = this.db
      .selectFrom('events')
      .selectAll()
      .orderBy('id')
      .limit(filter.limit ?? 1000);
    if (filter.environment) query = query.where('environment', '=', filter.environment);
    const rows = await query.execute();
    return rows.map((row) => ({
      id: Number(row.id),
      environment: row.environment,
      eventName: row.event_name,
      time: row.time,
      userID: row.user_id,
      unitIDs: JSON.parse(row.unit_ids),
      entity: row.entity,
      ruleID: row.rule_id,
      value: row.value,
      metadata: JSON.parse(row.metadata),
      secondaryExposures: row.secondary_exposures === null ? null : JSON.parse(row.secondary_exposures),
    }));
  }
}
