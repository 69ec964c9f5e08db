/**
 * How many rows one SQLite insert statement should carry (store/event-store.ts): inserts 200,000
 * event rows in transactions of 5,000, with 1 to 50 rows per prepared statement, into a file
 * database with the server's pragmas (WAL, synchronous=NORMAL). In process, no HTTP.
 *
 * Run: npx tsx packages/server/bench/event-insert.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const COLUMNS = [
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
];
const ROWS = 200_000;
const PER_TRANSACTION = 5_000;

function row(i: number): unknown[] {
  const exposure = i % 5 === 0;
  return [
    'production',
    Date.now(),
    Date.now(),
    exposure ? 'statsig::gate_exposure' : 'request',
    `u${i}`,
    `{"userID":"u${i}"}`,
    exposure ? 'canary' : null,
    exposure ? 'canary_rule' : null,
    null,
    exposure ? null : String(i % 50),
    exposure ? '{"gate":"canary","gateValue":"true","ruleID":"canary_rule"}' : '{}',
    null,
  ];
}

const rows = Array.from({ length: ROWS }, (_, i) => row(i));
const directory = mkdtempSync(join(tmpdir(), 'switchyard-insert-bench-'));
try {
  for (const perStatement of [1, 4, 8, 16, 32, 50]) {
    const db = new Database(join(directory, `events-${perStatement}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(
      `create table events (id integer primary key autoincrement, environment text not null,
        received_at bigint not null, time bigint not null, event_name text not null, user_id text,
        unit_ids text not null, entity text, rule_id text, group_name text, value text,
        metadata text not null, secondary_exposures text)`,
    );
    const tuple = `(${COLUMNS.map(() => '?').join(', ')})`;
    const insert = (count: number) =>
      db.prepare(`insert into events (${COLUMNS.join(', ')}) values ${Array(count).fill(tuple).join(', ')}`);
    const many = insert(perStatement);
    const one = insert(1);
    const params: unknown[] = new Array(perStatement * COLUMNS.length);
    const write = db.transaction((batch: unknown[][]) => {
      let i = 0;
      for (; i + perStatement <= batch.length; i += perStatement) {
        let k = 0;
        for (let r = i; r < i + perStatement; r++)
          for (const value of batch[r] as unknown[]) params[k++] = value;
        many.run(params);
      }
      for (; i < batch.length; i++) one.run(batch[i] as unknown[]);
    });
    const started = process.cpuUsage();
    for (let i = 0; i < ROWS; i += PER_TRANSACTION) write(rows.slice(i, i + PER_TRANSACTION));
    const used = process.cpuUsage(started);
    const cpuSeconds = (used.user + used.system) / 1e6;
    console.log(
      `${String(perStatement).padStart(2)} rows/statement: ${((cpuSeconds / ROWS) * 1e6).toFixed(2)} us CPU per row, ` +
        `${Math.round(ROWS / cpuSeconds).toLocaleString('en')} rows per CPU second`,
    );
    db.close();
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
