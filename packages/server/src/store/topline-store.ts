import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** One metric's totals over all traffic in one minute of one environment. */
export interface ToplineMinute {
  environment: string;
  metric: string;
  minute: number;
  /** Sum of the numerator contributions, of their squares, and of the denominator. */
  num: number;
  num2: number;
  den: number;
}

export interface ToplineAlert {
  id: number;
  environment: string;
  metric: string;
  at: number;
  evidence: unknown;
}

/** Minutes older than this are dropped (at most once an hour). */
const KEEP_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Per-minute totals of the guardrail metrics over everyone (not per arm), for the topline
 * alert: a metric that moves for all users at once, e.g. timeouts after a change that hurt
 * both arms. Kept apart from Pulse's per-unit aggregates, with its own cursor over events.
 */
export class ToplineStore {
  private lastPrune = 0;

  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Events after `afterId`, in id order: the parts a metric reads. `receivedBefore`: on Postgres
   * ids are not committed in order, so the youngest events wait for a later run (as in Pulse).
   */
  async eventsAfter(afterId: number, limit: number, receivedBefore: number | null) {
    let query = this.db
      .selectFrom('events')
      .select(['id', 'environment', 'time', 'event_name', 'value', 'metadata'])
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit);
    if (receivedBefore !== null) query = query.where('received_at', '<', receivedBefore);
    const rows = await query.execute();
    return rows.map((row) => ({
      id: Number(row.id),
      environment: row.environment,
      time: Number(row.time),
      eventName: row.event_name,
      value: row.value === null ? null : String(row.value),
      metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    }));
  }

  async cursor(): Promise<number> {
    const row = await this.db
      .selectFrom('topline_state')
      .select('last_event_id')
      .where('id', '=', 1)
      .executeTakeFirst();
    return Number(row?.last_event_id ?? 0);
  }

  /** Adds `minutes` into the stored totals and moves the cursor, in one transaction. */
  async add(minutes: ToplineMinute[], lastEventId: number, now: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const minute of minutes) {
        await tx
          .insertInto('topline_minutes')
          .values(minute)
          .onConflict((oc) =>
            oc.columns(['environment', 'metric', 'minute']).doUpdateSet({
              num: sql`topline_minutes.num + excluded.num`,
              num2: sql`topline_minutes.num2 + excluded.num2`,
              den: sql`topline_minutes.den + excluded.den`,
            }),
          )
          .execute();
      }
      await tx
        .insertInto('topline_state')
        .values({ id: 1, last_event_id: lastEventId })
        .onConflict((oc) => oc.column('id').doUpdateSet({ last_event_id: lastEventId }))
        .execute();
    });
    if (now - this.lastPrune > 60 * 60 * 1000) {
      this.lastPrune = now;
      await this.db
        .deleteFrom('topline_minutes')
        .where('minute', '<', Math.floor((now - KEEP_MS) / 60_000))
        .execute();
    }
  }

  /** Totals of `metric` per environment over minutes [from, to). */
  async totals(metric: string, fromMinute: number, toMinute: number) {
    const rows = await this.db
      .selectFrom('topline_minutes')
      .select((eb) => [
        'environment',
        eb.fn.sum<number>('num').as('num'),
        eb.fn.sum<number>('num2').as('num2'),
        eb.fn.sum<number>('den').as('den'),
      ])
      .where('metric', '=', metric)
      .where('minute', '>=', fromMinute)
      .where('minute', '<', toMinute)
      .groupBy('environment')
      .execute();
    return new Map(
      rows.map((row) => [
        row.environment,
        { num: Number(row.num), num2: Number(row.num2), den: Number(row.den) },
      ]),
    );
  }

  /** Stores the alert; returns it with its id. */
  async recordAlert(alert: Omit<ToplineAlert, 'id'>): Promise<ToplineAlert> {
    const row = await this.db
      .insertInto('topline_alerts')
      .values({
        environment: alert.environment,
        metric: alert.metric,
        at: alert.at,
        evidence: JSON.stringify(alert.evidence),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: Number(row.id), ...alert };
  }

  async lastAlert(environment: string, metric: string): Promise<number | null> {
    const row = await this.db
      .selectFrom('topline_alerts')
      .select((eb) => eb.fn.max('at').as('at'))
      .where('environment', '=', environment)
      .where('metric', '=', metric)
      .executeTakeFirst();
    return row?.at == null ? null : Number(row.at);
  }

  async alerts(filter: { environment?: string; limit?: number } = {}): Promise<ToplineAlert[]> {
    let query = this.db
      .selectFrom('topline_alerts')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 50);
    if (filter.environment) query = query.where('environment', '=', filter.environment);
    return (await query.execute()).map((row) => ({
      id: Number(row.id),
      environment: row.environment,
      metric: row.metric,
      at: Number(row.at),
      evidence: JSON.parse(row.evidence),
    }));
  }
}
