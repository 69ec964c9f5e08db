import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export type ScheduledStatus = Database['scheduled_changes']['status'];

export interface ScheduledChange {
  id: number;
  kind: string;
  name: string;
  action: string;
  body: Record<string, unknown>;
  runAt: number;
  status: ScheduledStatus;
  createdBy: string;
  createdAt: number;
  reason: string | null;
  firedAt: number | null;
  outcome: unknown;
}

type Row = Database['scheduled_changes'] & { id: number };

function fromRow(row: Row): ScheduledChange {
  return {
    id: Number(row.id),
    kind: row.kind,
    name: row.name,
    action: row.action,
    body: JSON.parse(row.body),
    runAt: Number(row.run_at),
    status: row.status,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    reason: row.reason,
    firedAt: row.fired_at === null ? null : Number(row.fired_at),
    outcome: row.outcome === null ? null : JSON.parse(row.outcome),
  };
}

/**
 * Changes to make at a time. Each is claimed (pending -> running) by one conditional update
 * before it runs, so two server instances, or a restart, never fire it twice.
 */
export class ScheduledChangeStore {
  constructor(private readonly db: Kysely<Database>) {}

  async add(
    change: Pick<ScheduledChange, 'kind' | 'name' | 'action' | 'body' | 'runAt' | 'createdBy' | 'reason'>,
    now: number,
    /** The surrounding transaction, when the change is audited with it. */
    db: Kysely<Database> = this.db,
  ): Promise<ScheduledChange> {
    const row = await db
      .insertInto('scheduled_changes')
      .values({
        kind: change.kind,
        name: change.name,
        action: change.action,
        body: JSON.stringify(change.body),
        run_at: change.runAt,
        status: 'pending',
        created_by: change.createdBy,
        created_at: now,
        reason: change.reason,
        fired_at: null,
        outcome: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return fromRow(row as Row);
  }

  async get(id: number): Promise<ScheduledChange | undefined> {
    const row = await this.db
      .selectFrom('scheduled_changes')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && fromRow(row as Row);
  }

  async list(filter: { kind?: string; name?: string; status?: ScheduledStatus; limit?: number } = {}) {
    let query = this.db
      .selectFrom('scheduled_changes')
      .selectAll()
      .orderBy('run_at', 'desc')
      .limit(filter.limit ?? 100);
    if (filter.kind) query = query.where('kind', '=', filter.kind);
    if (filter.name) query = query.where('name', '=', filter.name);
    if (filter.status) query = query.where('status', '=', filter.status);
    return (await query.execute()).map((row) => fromRow(row as Row));
  }

  /** Pending changes due at `now`, oldest first. */
  async due(now: number, limit = 50): Promise<ScheduledChange[]> {
    const rows = await this.db
      .selectFrom('scheduled_changes')
      .selectAll()
      .where('status', '=', 'pending')
      .where('run_at', '<=', now)
      .orderBy('run_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => fromRow(row as Row));
  }

  /** Moves `id` from pending to `status`; false when it was no longer pending (someone else took it). */
  async claim(
    id: number,
    status: 'running' | 'cancelled',
    now: number,
    db: Kysely<Database> = this.db,
  ): Promise<boolean> {
    const result = await db
      .updateTable('scheduled_changes')
      .set({ status, fired_at: now })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async finish(id: number, status: 'done' | 'failed', outcome: unknown): Promise<void> {
    await this.db
      .updateTable('scheduled_changes')
      .set({ status, outcome: JSON.stringify(outcome) })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Changes left running by an instance that stopped mid-change: marked failed, never re-run
   * (a change fires at most once; the audit log shows whether it landed).
   */
  async abandonRunning(olderThan: number): Promise<number> {
    const result = await this.db
      .updateTable('scheduled_changes')
      .set({
        status: 'failed',
        outcome: JSON.stringify({ error: 'interrupted: the server stopped while running it' }),
      })
      .where('status', '=', 'running')
      .where('fired_at', '<', olderThan)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
