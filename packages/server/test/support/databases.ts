import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type OpenDatabase, openDatabase } from '../../src/store/database.js';

/**
 * The databases a store test runs on: SQLite always, Postgres when SWITCHYARD_TEST_DATABASE_URL
 * is set (CI sets it). Each Postgres suite gets its own schema, dropped afterwards, so test files
 * can run in parallel on one database.
 */
export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** Why this database is skipped, if it is. */
  skip?: string;
  open(): Promise<OpenDatabase>;
}

const postgresUrl = process.env.SWITCHYARD_TEST_DATABASE_URL;

export const TEST_DATABASES: TestDatabase[] = [
  { name: 'sqlite', open: () => openDatabase(':memory:') },
  {
    name: 'postgres',
    ...(!postgresUrl && { skip: 'SWITCHYARD_TEST_DATABASE_URL is not set (CI sets it)' }),
    async open() {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      const database = await openDatabase(postgresUrl as string, { schema });
      return {
        ...database,
        async close() {
          await database.close();
          const client = new pg.Client({ connectionString: postgresUrl });
          await client.connect();
          await client.query(`drop schema if exists ${schema} cascade`);
          await client.end();
        },
      };
    },
  },
];
