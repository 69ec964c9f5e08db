import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { type DialectAdapter, Kysely, PostgresDialect, SqliteAdapter, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

export type SqlDialectName = 'sqlite' | 'postgres';

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: SqlDialectName;
  /**
   * SQLite only: the raw connection behind `db`, for hot paths that run prepared statements.
   * Use it only inside `db.connection().execute(...)`, which holds Kysely's lock on it.
   */
  sqlite?: SQLite.Database;
  close(): Promise<void>;
}

// Postgres returns int8 (bigint, bigserial) as strings; our int8 values are epoch ms and ids,
// far below 2^53, so numbers are exact.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export interface DatabaseOptions {
  /** Postgres only: keep every table in this schema (created if missing), e.g. one per test suite. */
  schema?: string;
}

/**
 * SQLite runs DDL inside transactions, but Kysely's SqliteAdapter says it cannot, so Kysely's
 * migrator ran each migration statement by statement: a crash in the middle of the first start
 * left tables of a migration it had not recorded, and every start after it failed with "table
 * ... already exists". Saying it can makes the migrator run all pending migrations in one
 * transaction (in Kysely 0.28 the migrator is the flag's only reader), so a crash leaves the
 * database as it was. Drop this once Kysely's own SqliteAdapter says so.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class TransactionalDdlSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * Opens the database named by `url` (`postgres://...` or a SQLite file path; `:memory:` for
 * tests) and migrates it to the latest schema.
 */
export async function openDatabase(url: string, options: DatabaseOptions = {}): Promise<OpenDatabase> {
  const dialect: SqlDialectName = /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
  let db: Kysely<Database>;
  let sqlite: SQLite.Database | undefined;
  if (dialect === 'postgres') {
    const schema = options.schema;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema))
      throw new Error(`invalid schema name "${schema}"`);
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      ...(schema && { options: `-c search_path=${schema}` }),
    });
    if (schema) await pool.query(`create schema if not exists ${schema}`);
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    if (url !== ':memory:') mkdirSync(dirname(url), { recursive: true });
    sqlite = new SQLite(url);
    // WAL lets readers run during a write; NORMAL sync is durable across process crashes.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    db = new Kysely<Database>({ dialect: new TransactionalDdlSqliteDialect({ database: sqlite }) });
  }
  await migrateToLatest(db as Kysely<unknown>, dialect);
  return { db, dialect, ...(sqlite && { sqlite }), close: () => db.destroy() };
}
