import type SQLite from 'better-sqlite3';
import { CompiledQuery, type Kysely, PostgresAdapter, sql } from 'kysely';
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
const EXPOSURE_ENTITY_KEY: ReadonlyMap<string, string> = new Map([
  ['statsig::gate_exposure', 'gate'],
  ['statsig::config_exposure', 'config'],
  ['statsig::layer_exposure', 'config'],
]);

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
const COLUMN_COUNT = EVENT_COLUMNS.length;

/**
 * Whether an event's `time` (ms since the epoch) can be stored: finite and within Date's range,
 * so no single event can fail a whole transaction (Postgres's bigint) for every batch in it.
 */
function validTime(time: number): boolean {
  return Number.isFinite(time) && Math.abs(time) <= 8.64e15;
}

/** The user's unit IDs as stored: `userID` first, then the custom IDs (a custom `userID` wins). */
function unitIdsOf(user: Record<string, unknown> | null): string {
  const userID = user?.userID ?? null;
  const customIDs = user?.customIDs;
  // Most events carry only a userID: skip the object spread (this runs once per event).
  if (customIDs === undefined || customIDs === null) return `{"userID":${JSON.stringify(userID)}}`;
  return JSON.stringify({ userID, ...(customIDs as object) });
}

/**
 * Writes one event's column values (in `EVENT_COLUMNS` order) into `into` from `offset`: a flat
 * parameter list for a multi-row insert, without an object per row.
 */
function writeEventValues(
  into: unknown[],
  offset: number,
  environment: string,
  event: IncomingEvent,
  now: number,
): void {
  const user = event.user;
  const metadata = event.metadata;
  const entityKey = EXPOSURE_ENTITY_KEY.get(event.eventName);
  into[offset] = environment;
  into[offset + 1] = now;
  into[offset + 2] = validTime(event.time) ? Math.trunc(event.time) : now;
  into[offset + 3] = event.eventName;
  into[offset + 4] = user ? text(user.userID) : null;
  into[offset + 5] = unitIdsOf(user);
  into[offset + 6] = entityKey && metadata ? text(metadata[entityKey]) : null;
  into[offset + 7] = entityKey && metadata ? text(metadata.ruleID) : null;
  into[offset + 8] = null;
  into[offset + 9] = text(event.value);
  into[offset + 10] = metadata ? JSON.stringify(metadata) : '{}';
  into[offset + 11] = event.secondaryExposures?.length ? JSON.stringify(event.secondaryExposures) : null;
}

/** `insert into events (...) values (?, ...), ...` for `rows` rows, in a dialect's placeholders. */
function insertEventsSql(rows: number, placeholder: (index: number) => string): string {
  const tuples: string[] = [];
  for (let row = 0; row < rows; row++) {
    const values: string[] = [];
    for (let column = 0; column < COLUMN_COUNT; column++)
      values.push(placeholder(row * COLUMN_COUNT + column));
    tuples.push(`(${values.join(', ')})`);
  }
  return `insert into events (${EVENT_COLUMNS.join(', ')}) values ${tuples.join(', ')}`;
}

/**
 * SQLite: rows per insert statement. A statement per row spends much of its time entering and
 * leaving the statement: with 16 rows per statement a row costs about 2.5 us of CPU instead of
 * 4-5 us (bench/event-insert.bench.ts), and more rows per statement gain nothing more.
 */
const SQLITE_ROWS_PER_INSERT = 16;

/**
 * `appendBatches` for SQLite with statements prepared once: Kysely compiles and prepares each
 * multi-row insert anew, which was most of ingestion's cost.
 */
function preparedAppend(sqlite: SQLite.Database) {
  const insertKey = sqlite.prepare(
    'insert into ingest_batches (environment, batch_key, received_at) values (?, ?, ?) on conflict do nothing',
  );
  const insertMany = sqlite.prepare(insertEventsSql(SQLITE_ROWS_PER_INSERT, () => '?'));
  const insertOne = sqlite.prepare(insertEventsSql(1, () => '?'));
  const many: unknown[] = new Array(SQLITE_ROWS_PER_INSERT * COLUMN_COUNT);
  const one: unknown[] = new Array(COLUMN_COUNT);
  return sqlite.transaction((batches: readonly EventBatch[], now: number): BatchOutcome[] =>
    batches.map((batch) => {
      if (batch.batchKey !== null && insertKey.run(batch.environment, batch.batchKey, now).changes === 0) {
        return { stored: 0, duplicate: true };
      }
      const { environment, events } = batch;
      let i = 0;
      for (; i + SQLITE_ROWS_PER_INSERT <= events.length; i += SQLITE_ROWS_PER_INSERT) {
        for (let row = 0; row < SQLITE_ROWS_PER_INSERT; row++) {
          writeEventValues(many, row * COLUMN_COUNT, environment, events[i + row] as IncomingEvent, now);
        }
        insertMany.run(many);
      }
      for (; i < events.length; i++) {
        writeEventValues(one, 0, environment, events[i] as IncomingEvent, now);
        insertOne.run(one);
      }
      return { stored: events.length, duplicate: false };
    }),
  );
}

/** Rows per insert outside SQLite's prepared path, well under either database's bind-parameter limit. */
const ROWS_PER_INSERT = 500;

/** Multi-row inserts written once per row count (SQLite's `?` placeholders). */
class InsertSql {
  private readonly byRows = new Map<number, string>();

  rows(count: number): string {
    let text = this.byRows.get(count);
    if (text === undefined) {
      text = insertEventsSql(count, () => '?');
      this.byRows.set(count, text);
    }
    return text;
  }
}

/** Postgres: rows per insert statement (12 array parameters). */
const POSTGRES_ROWS_PER_INSERT = 5000;

/**
 * Postgres: events as one array per column, taken apart by `unnest`. Twelve parameters per row
 * cost the server about 10 us a row (pg prepares each value) and the database a plan for 6,000
 * parameters per statement; as arrays, about 2 us a row here and 5 us in the database (JSON
 * taken apart in SQL cost the database twice that).
 */
const POSTGRES_INSERT = `insert into events (${EVENT_COLUMNS.join(', ')})
  select * from unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])`;

/** Durable event storage: exposures and custom events, with the user's unit IDs. */
export class EventStore {
  private readonly sqliteAppend:
    | ((batches: readonly EventBatch[], now: number) => BatchOutcome[])
    | undefined;
  private readonly insertSql = new InsertSql();
  private readonly postgres: boolean;
  /**
   * Write transactions that may run at once: Postgres runs them side by side (a batch key
   * inserted by two waits for the first and then counts as a duplicate); SQLite has one
   * connection.
   */
  readonly concurrentWrites: number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => number = Date.now,
    sqlite?: SQLite.Database,
  ) {
    this.sqliteAppend = sqlite && preparedAppend(sqlite);
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    this.concurrentWrites = this.postgres ? 2 : 1;
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
    if (this.postgres) return this.appendPostgres(batches, now);
    return this.db.transaction().execute(async (tx) => {
      const outcomes: BatchOutcome[] = [];
      const stored: EventBatch[] = [];
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
        stored.push(batch);
        outcomes.push({ stored: batch.events.length, duplicate: false });
      }
      let params: unknown[] = [];
      const flush = async () => {
        if (params.length === 0) return;
        await tx.executeQuery(CompiledQuery.raw(this.insertSql.rows(params.length / COLUMN_COUNT), params));
        params = [];
      };
      for (const { environment, events } of stored) {
        for (const event of events) {
          writeEventValues(params, params.length, environment, event, now);
          if (params.length === ROWS_PER_INSERT * COLUMN_COUNT) await flush();
        }
      }
      await flush();
      return outcomes;
    });
  }

  /**
   * Postgres: the batch keys in one statement (those it did not insert were there already) and
   * the events as column arrays, so a transaction of several batches is a few round trips.
   */
  private appendPostgres(batches: readonly EventBatch[], now: number): Promise<BatchOutcome[]> {
    return this.db.transaction().execute(async (tx) => {
      const keyOf = (batch: EventBatch) => `${batch.environment}\u0000${batch.batchKey}`;
      // A key twice in this call: the first stores, the rest are retries.
      const first = new Map<string, EventBatch>();
      for (const batch of batches) {
        if (batch.batchKey !== null && !first.has(keyOf(batch))) first.set(keyOf(batch), batch);
      }
      const inserted = new Set<string>();
      if (first.size > 0) {
        const keyed = [...first.values()];
        const { rows } = await sql<{ environment: string; batch_key: string }>`
          insert into ingest_batches (environment, batch_key, received_at)
          select environment, batch_key, ${now}::bigint
          from unnest(${keyed.map((batch) => batch.environment)}::text[], ${keyed.map((batch) => batch.batchKey)}::text[])
            as k(environment, batch_key)
          on conflict do nothing
          returning environment, batch_key`.execute(tx);
        for (const row of rows) inserted.add(`${row.environment}\u0000${row.batch_key}`);
      }
      const outcomes: BatchOutcome[] = [];
      const values: unknown[] = new Array(COLUMN_COUNT);
      let columns: unknown[][] = EVENT_COLUMNS.map(() => []);
      let rows = 0;
      const flush = async () => {
        if (rows === 0) return;
        await tx.executeQuery(CompiledQuery.raw(POSTGRES_INSERT, columns));
        columns = EVENT_COLUMNS.map(() => []);
        rows = 0;
      };
      for (const batch of batches) {
        if (batch.batchKey !== null && (first.get(keyOf(batch)) !== batch || !inserted.has(keyOf(batch)))) {
          outcomes.push({ stored: 0, duplicate: true });
          continue;
        }
        for (const event of batch.events) {
          writeEventValues(values, 0, batch.environment, event, now);
          for (let column = 0; column < COLUMN_COUNT; column++)
            (columns[column] as unknown[]).push(values[column]);
          if (++rows === POSTGRES_ROWS_PER_INSERT) await flush();
        }
        outcomes.push({ stored: batch.events.length, duplicate: false });
      }
      await flush();
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
