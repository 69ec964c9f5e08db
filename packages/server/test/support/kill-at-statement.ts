/**
 * A preload (`node --import`) for crash tests: counts the SQL statements the process sends to
 * better-sqlite3 or pg and SIGKILLs it just before statement number
 * SWITCHYARD_TEST_KILL_AT_STATEMENT, a crash at an exact point of, say, the first start's
 * migrations. With `count` it writes `sql-statement <n>` to stderr for each statement instead.
 */
import SQLite from 'better-sqlite3';
import pg from 'pg';

const setting = process.env.SWITCHYARD_TEST_KILL_AT_STATEMENT ?? '';
const killAt = setting === 'count' ? 0 : Number(setting);
let statements = 0;

function beforeStatement(): void {
  statements += 1;
  if (setting === 'count') process.stderr.write(`sql-statement ${statements}\n`);
  else if (statements === killAt) process.kill(process.pid, 'SIGKILL');
}

if (setting === 'count' || (Number.isSafeInteger(killAt) && killAt > 0)) {
  const prepare = SQLite.prototype.prepare;
  SQLite.prototype.prepare = function (this: SQLite.Database, ...args: Parameters<typeof prepare>) {
    beforeStatement();
    return prepare.apply(this, args);
  } as typeof prepare;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    beforeStatement();
    return (query as (...args: unknown[]) => unknown).apply(this, args);
  } as typeof query;
}
