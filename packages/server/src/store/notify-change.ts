import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** The Postgres LISTEN/NOTIFY channel that announces configuration revisions. */
export const CONFIG_CHANNEL = 'switchyard_config';

/** What a NOTIFY on {@link CONFIG_CHANNEL} carries. */
export interface ChangeNotification {
  /**
   * The schema the writer's `config_state` lives in. Channels are per database, not per schema,
   * so instances (and test suites) that keep their tables in different schemas of one database
   * hear each other's notifications and must ignore the ones for another schema.
   */
  schema: string;
  revision: number;
}

/**
 * Postgres only: announces `revision` to every instance listening on {@link CONFIG_CHANNEL}.
 * Call it inside the transaction that bumped the revision: Postgres delivers the notification
 * only if and when that transaction commits, so listeners never hear of a revision they cannot
 * read yet, nor of one that was rolled back.
 *
 * @example
 * await db.transaction().execute(async (tx) => {
 *   const revision = await bumpRevision(tx, now);
 *   await notifyChange(tx, revision);
 * });
 */
export async function notifyChange(tx: Kysely<Database>, revision: number): Promise<void> {
  await sql`select pg_notify(${CONFIG_CHANNEL}, json_build_object('schema', current_schema(), 'revision', ${revision}::bigint)::text)`.execute(
    tx,
  );
}

/** Reads a {@link CONFIG_CHANNEL} payload; undefined when it is not one of ours. */
export function parseChangeNotification(payload: string | undefined): ChangeNotification | undefined {
  if (!payload) return undefined;
  try {
    const value = JSON.parse(payload) as Partial<ChangeNotification> | null;
    if (typeof value?.schema !== 'string' || !Number.isSafeInteger(value.revision)) return undefined;
    return { schema: value.schema, revision: value.revision as number };
  } catch {
    return undefined;
  }
}
