import { type Kysely, sql } from 'kysely';

/** A migration recorded in the database, and when it ran (ISO 8601, the migrating host's clock). */
export interface AppliedMigration {
  name: string;
  appliedAt: string;
}

/**
 * The migrations this database has run, oldest first, from Kysely's own bookkeeping table
 * (`kysely_migration`, in the connection's current schema on Postgres). `switchyard migrate`
 * reports the ones that ran just now.
 */
export async function appliedMigrations(db: Kysely<unknown>): Promise<AppliedMigration[]> {
  const { rows } = await sql<{
    name: string;
    timestamp: string;
  }>`select name, timestamp from kysely_migration order by timestamp, name`.execute(db);
  return rows.map((row) => ({ name: row.name, appliedAt: String(row.timestamp) }));
}
