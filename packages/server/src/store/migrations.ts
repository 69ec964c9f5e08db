import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { SqlDialectName } from './database.js';

/**
 * Schema migrations, in order. They run at every start (already-applied ones are skipped) and
 * are written once for both databases; `dialect` covers the few places where they differ.
 */
function migrations(dialect: SqlDialectName): Record<string, Migration> {
  const time = 'bigint';
  // An auto-numbered primary key: SQLite's rowid alias, Postgres's bigserial.
  const withId = (db: Kysely<unknown>, table: string) =>
    db.schema
      .createTable(table)
      .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      );
  return {
    '0001-initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('environments')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('created_at', time, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('environment', 'text', (c) => c.notNull().references('environments.name'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('key_hash', 'text', (c) => c.notNull().unique())
          .addColumn('key_prefix', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('revoked_at', time)
          .addColumn('last_used_at', time)
          .execute();
        await db.schema
          .createTable('entities')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('entities_pk', ['kind', 'name'])
          .execute();
        await db.schema
          .createTable('entity_versions')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('entity_versions_pk', ['kind', 'name', 'version'])
          .execute();
        await withId(db, 'audit_log')
          .addColumn('at', time, (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('version', 'integer')
          .addColumn('reason', 'text')
          .addColumn('diff', 'text', (c) => c.notNull())
          .execute();
        await withId(db, 'events')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('received_at', time, (c) => c.notNull())
          .addColumn('time', time, (c) => c.notNull())
          .addColumn('event_name', 'text', (c) => c.notNull())
          .addColumn('user_id', 'text')
          .addColumn('unit_ids', 'text', (c) => c.notNull())
          .addColumn('entity', 'text')
          .addColumn('rule_id', 'text')
          .addColumn('group_name', 'text')
          .addColumn('value', 'text')
          .addColumn('metadata', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('config_state')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('changed_at', time, (c) => c.notNull())
          .execute();
        await sql`insert into config_state (id, revision, changed_at) values (1, 0, 0)`.execute(db);
      },
    },
    '0002-event-secondary-exposures': {
      async up(db: Kysely<unknown>) {
        // JSON array of {gate, gateValue, ruleID}: the gates consulted on the way to an exposure.
        await db.schema.alterTable('events').addColumn('secondary_exposures', 'text').execute();
      },
    },
    '0003-id-lists': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('id_lists')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('file_id', 'text', (c) => c.notNull().unique())
          .addColumn('previous_file_id', 'text')
          .addColumn('creation_time', time, (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('entry_count', 'integer', (c) => c.notNull())
          .addColumn('chunk_count', 'integer', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull())
          .addColumn('deleted_at', time)
          .execute();
        await db.schema
          .createIndex('id_lists_previous_file_id')
          .on('id_lists')
          .column('previous_file_id')
          .execute();
        // Chunks of about 1 MB: an incremental change appends one; nothing is ever rewritten.
        await db.schema
          .createTable('id_list_chunks')
          .addColumn('file_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('start_byte', 'bigint', (c) => c.notNull())
          .addColumn('end_byte', 'bigint', (c) => c.notNull())
          .addColumn('content', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('id_list_chunks_pk', ['file_id', 'seq'])
          .execute();
      },
    },
    '0004-sdk-instances': {
      async up(db: Kysely<unknown>) {
        // What each SDK instance last said it holds, so people can see how far a change has spread.
        await db.schema
          .createTable('sdk_instances')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('instance_id', 'text', (c) => c.notNull())
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('sdk_type', 'text', (c) => c.notNull())
          .addColumn('sdk_version', 'text', (c) => c.notNull())
          .addColumn('reported_at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('sdk_instances_pk', ['environment', 'instance_id'])
          .execute();
      },
    },
    '0005-ingest-batches': {
      async up(db: Kysely<unknown>) {
        // Event batches already stored, by a key of their content: an SDK's retry of a batch
        // that did land is acknowledged without storing it twice.
        await db.schema
          .createTable('ingest_batches')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('batch_key', 'text', (c) => c.notNull())
          .addColumn('received_at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('ingest_batches_pk', ['environment', 'batch_key'])
          .execute();
        await db.schema
          .createIndex('ingest_batches_received_at')
          .on('ingest_batches')
          .column('received_at')
          .execute();
      },
    },
    '0006-pulse': {
      async up(db: Kysely<unknown>) {
        const real = 'double precision';
        // A unit's first exposure to an entity: its arm (rule and value, or group rule) and day.
        await db.schema
          .createTable('pulse_exposures')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('entity', 'text', (c) => c.notNull())
          .addColumn('unit_type', 'text', (c) => c.notNull())
          .addColumn('unit_id', 'text', (c) => c.notNull())
          .addColumn('arm', 'text', (c) => c.notNull())
          .addColumn('first_day', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('pulse_exposures_pk', ['environment', 'entity', 'unit_type', 'unit_id'])
          .execute();
        await db.schema
          .createIndex('pulse_exposures_unit')
          .on('pulse_exposures')
          .columns(['environment', 'unit_type', 'unit_id'])
          .execute();
        // Per unit, metric and day: the numerator (count or sum) and the denominator (ratios).
        await db.schema
          .createTable('pulse_unit_days')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('metric', 'text', (c) => c.notNull())
          .addColumn('unit_id', 'text', (c) => c.notNull())
          .addColumn('day', 'integer', (c) => c.notNull())
          .addColumn('num', real, (c) => c.notNull())
          .addColumn('den', real, (c) => c.notNull())
          .addPrimaryKeyConstraint('pulse_unit_days_pk', ['environment', 'unit_id', 'metric', 'day'])
          .execute();
        // Per entity, arm, metric and day: the sufficient statistics added that day, so any
        // cumulative total (to date, or up to a day) is a sum over rows, never over units.
        await db.schema
          .createTable('pulse_arm_days')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('entity', 'text', (c) => c.notNull())
          .addColumn('arm', 'text', (c) => c.notNull())
          .addColumn('metric', 'text', (c) => c.notNull())
          .addColumn('day', 'integer', (c) => c.notNull())
          .addColumn('n', real, (c) => c.notNull())
          .addColumn('sum_y', real, (c) => c.notNull())
          .addColumn('sum_y2', real, (c) => c.notNull())
          .addColumn('sum_d', real, (c) => c.notNull())
          .addColumn('sum_d2', real, (c) => c.notNull())
          .addColumn('sum_yd', real, (c) => c.notNull())
          .addColumn('sum_x', real, (c) => c.notNull())
          .addColumn('sum_x2', real, (c) => c.notNull())
          .addColumn('sum_xy', real, (c) => c.notNull())
          .addPrimaryKeyConstraint('pulse_arm_days_pk', ['environment', 'entity', 'metric', 'arm', 'day'])
          .execute();
        // Single row: the last event aggregated, and the metric catalogue the aggregates follow.
        await db.schema
          .createTable('pulse_state')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('last_event_id', 'bigint', (c) => c.notNull())
          .addColumn('catalogue', 'text', (c) => c.notNull())
          .execute();
        await db
          .insertInto('pulse_state' as never)
          .values({ id: 1, last_event_id: 0, catalogue: '' } as never)
          .execute();
      },
    },
    '0007-pulse-value-buckets': {
      async up(db: Kysely<unknown>) {
        const real = 'double precision';
        // Per entity, arm, metric, day and value bucket: the change in its units and sums, so
        // a capped (winsorized) result is a sum over rows too (pulse/value-buckets.ts).
        await db.schema
          .createTable('pulse_arm_buckets')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('entity', 'text', (c) => c.notNull())
          .addColumn('arm', 'text', (c) => c.notNull())
          .addColumn('metric', 'text', (c) => c.notNull())
          .addColumn('day', 'integer', (c) => c.notNull())
          .addColumn('bucket', 'integer', (c) => c.notNull())
          .addColumn('n', real, (c) => c.notNull())
          .addColumn('sum_y', real, (c) => c.notNull())
          .addColumn('sum_y2', real, (c) => c.notNull())
          .addColumn('sum_x', real, (c) => c.notNull())
          .addColumn('sum_xy', real, (c) => c.notNull())
          .addPrimaryKeyConstraint('pulse_arm_buckets_pk', [
            'environment',
            'entity',
            'metric',
            'arm',
            'day',
            'bucket',
          ])
          .execute();
      },
    },
    '0009-release': {
      async up(db: Kysely<unknown>) {
        // The revision each change produced: fleet convergence is reported per change.
        await db.schema.alterTable('audit_log').addColumn('revision', 'integer').execute();
        // When each SDK instance started serving each revision it reported (its own "held for"
        // subtracted from the report's arrival), so a change's spread is measured, not assumed.
        await db.schema
          .createTable('sdk_acks')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('instance_id', 'text', (c) => c.notNull())
          .addColumn('applied_at', time, (c) => c.notNull())
          .addPrimaryKeyConstraint('sdk_acks_pk', ['environment', 'revision', 'instance_id'])
          .execute();
        await db.schema.createIndex('sdk_acks_applied_at').on('sdk_acks').column('applied_at').execute();
        // Changes people asked for at a time (a release stage, a kill switch); each fires once.
        await withId(db, 'scheduled_changes')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('run_at', time, (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('reason', 'text')
          .addColumn('fired_at', time)
          .addColumn('outcome', 'text')
          .execute();
        await db.schema
          .createIndex('scheduled_changes_due')
          .on('scheduled_changes')
          .columns(['status', 'run_at'])
          .execute();
        // Every look the guardrail monitor took at a release stage, with its evidence.
        await withId(db, 'guardrail_checks')
          .addColumn('gate', 'text', (c) => c.notNull())
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('stage_id', 'text', (c) => c.notNull())
          .addColumn('at', time, (c) => c.notNull())
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('evidence', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('guardrail_checks_gate')
          .on('guardrail_checks')
          .columns(['gate', 'at'])
          .execute();
      },
    },
    '0010-webhooks': {
      async up(db: Kysely<unknown>) {
        // Where notifications go. The secret signs deliveries, so it is kept as given (not hashed).
        await db.schema
          .createTable('webhooks')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('format', 'text', (c) => c.notNull())
          .addColumn('events', 'text', (c) => c.notNull())
          .addColumn('enabled', 'integer', (c) => c.notNull())
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('updated_at', time, (c) => c.notNull())
          .execute();
        // A durable queue: one row per event and webhook, claimed with a lease while attempted.
        await db.schema
          .createTable('webhook_deliveries')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('webhook', 'text', (c) => c.notNull())
          .addColumn('event_id', 'text', (c) => c.notNull())
          .addColumn('event_type', 'text', (c) => c.notNull())
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('max_attempts', 'integer', (c) => c.notNull())
          .addColumn('next_attempt_at', time, (c) => c.notNull())
          .addColumn('claimed_until', time)
          .addColumn('claim_token', 'text')
          .addColumn('last_status_code', 'integer')
          .addColumn('last_error', 'text')
          .addColumn('last_attempt_at', time)
          .addColumn('delivered_at', time)
          .addColumn('created_at', time, (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('webhook_deliveries_due')
          .on('webhook_deliveries')
          .columns(['status', 'next_attempt_at'])
          .execute();
        await db.schema
          .createIndex('webhook_deliveries_webhook')
          .on('webhook_deliveries')
          .columns(['webhook', 'created_at'])
          .execute();
      },
    },
    '0008-pulse-hours': {
      async up(db: Kysely<unknown>) {
        const real = 'double precision';
        // The hour of a unit's first exposure: deltas are attributed to hours as well as days.
        await db.schema.alterTable('pulse_exposures').addColumn('first_hour', 'integer').execute();
        // The pre-period denominator of ratio and mean metrics and its products, for CUPED on
        // them (pulse/arm-stats.ts). Existing rows become 0; Pulse rebuilds its aggregates
        // anyway when its aggregation version changes (services/pulse-aggregator.ts).
        const preDenominatorSums = ['sum_e', 'sum_e2', 'sum_xe', 'sum_de', 'sum_ye', 'sum_dx'];
        for (const column of preDenominatorSums) {
          await db.schema
            .alterTable('pulse_arm_days')
            .addColumn(column, real, (c) => c.notNull().defaultTo(0))
            .execute();
        }
        // The same statistics and value buckets per hour (hours since the epoch), for hourly series.
        await db.schema
          .createTable('pulse_arm_hours')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('entity', 'text', (c) => c.notNull())
          .addColumn('arm', 'text', (c) => c.notNull())
          .addColumn('metric', 'text', (c) => c.notNull())
          .addColumn('hour', 'integer', (c) => c.notNull())
          .addColumn('n', real, (c) => c.notNull())
          .addColumn('sum_y', real, (c) => c.notNull())
          .addColumn('sum_y2', real, (c) => c.notNull())
          .addColumn('sum_d', real, (c) => c.notNull())
          .addColumn('sum_d2', real, (c) => c.notNull())
          .addColumn('sum_yd', real, (c) => c.notNull())
          .addColumn('sum_x', real, (c) => c.notNull())
          .addColumn('sum_x2', real, (c) => c.notNull())
          .addColumn('sum_xy', real, (c) => c.notNull())
          .addColumn('sum_e', real, (c) => c.notNull())
          .addColumn('sum_e2', real, (c) => c.notNull())
          .addColumn('sum_xe', real, (c) => c.notNull())
          .addColumn('sum_de', real, (c) => c.notNull())
          .addColumn('sum_ye', real, (c) => c.notNull())
          .addColumn('sum_dx', real, (c) => c.notNull())
          .addPrimaryKeyConstraint('pulse_arm_hours_pk', ['environment', 'entity', 'metric', 'arm', 'hour'])
          .execute();
        await db.schema
          .createTable('pulse_arm_bucket_hours')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('entity', 'text', (c) => c.notNull())
          .addColumn('arm', 'text', (c) => c.notNull())
          .addColumn('metric', 'text', (c) => c.notNull())
          .addColumn('hour', 'integer', (c) => c.notNull())
          .addColumn('bucket', 'integer', (c) => c.notNull())
          .addColumn('n', real, (c) => c.notNull())
          .addColumn('sum_y', real, (c) => c.notNull())
          .addColumn('sum_y2', real, (c) => c.notNull())
          .addColumn('sum_x', real, (c) => c.notNull())
          .addColumn('sum_xy', real, (c) => c.notNull())
          .addPrimaryKeyConstraint('pulse_arm_bucket_hours_pk', [
            'environment',
            'entity',
            'metric',
            'arm',
            'hour',
            'bucket',
          ])
          .execute();
      },
    },
    '0011-topline': {
      async up(db: Kysely<unknown>) {
        // Guardrail metrics over everyone, per minute, for the topline alert (its own cursor).
        await db.schema
          .createTable('topline_minutes')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('metric', 'text', (c) => c.notNull())
          .addColumn('minute', 'integer', (c) => c.notNull())
          .addColumn('num', 'double precision', (c) => c.notNull())
          .addColumn('num2', 'double precision', (c) => c.notNull())
          .addColumn('den', 'double precision', (c) => c.notNull())
          .addPrimaryKeyConstraint('topline_minutes_pk', ['environment', 'metric', 'minute'])
          .execute();
        await db.schema
          .createTable('topline_state')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('last_event_id', 'bigint', (c) => c.notNull())
          .execute();
        await withId(db, 'topline_alerts')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('metric', 'text', (c) => c.notNull())
          .addColumn('at', time, (c) => c.notNull())
          .addColumn('evidence', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0012-access-control': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('disabled_at', time)
          .execute();
        await db.schema
          .createTable('sessions')
          .addColumn('id_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
          .addColumn('created_at', time, (c) => c.notNull())
          .addColumn('expires_at', time, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('environment_policies')
          .addColumn('environment', 'text', (c) => c.primaryKey().references('environments.name'))
          .addColumn('min_role', 'text', (c) => c.notNull())
          .addColumn('require_approval', 'integer', (c) => c.notNull())
          .execute();
        await withId(db, 'change_requests')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('operation', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('expected_version', 'integer')
          .addColumn('reason', 'text')
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('requested_by', 'text', (c) => c.notNull())
          .addColumn('requested_at', time, (c) => c.notNull())
          .addColumn('reviewed_by', 'text')
          .addColumn('reviewed_at', time)
          .addColumn('applied_version', 'integer')
          .execute();
        // One row per setting; the first-admin setup token's hash lives here until it is used.
        await db.schema
          .createTable('settings')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
        // Console keys are read-only or read-write; every key made before this was read-write.
        await db.schema
          .alterTable('api_keys')
          .addColumn('access', 'text', (c) => c.notNull().defaultTo('write'))
          .execute();
        // The audit log is append-only for every client of the database, not only for the API.
        if (dialect === 'postgres') {
          await sql`create or replace function switchyard_audit_append_only() returns trigger
            language plpgsql as $$ begin raise exception 'audit_log is append-only'; end $$`.execute(db);
          await sql`create trigger audit_log_append_only before update or delete on audit_log
            for each row execute function switchyard_audit_append_only()`.execute(db);
        } else {
          for (const operation of ['update', 'delete']) {
            await sql
              .raw(
                `create trigger audit_log_no_${operation} before ${operation} on audit_log
                 begin select raise(abort, 'audit_log is append-only'); end`,
              )
              .execute(db);
          }
        }
      },
    },
  };
}

export async function migrateToLatest(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  // Kysely's migrator finds its own tables in any schema unless told which one, so with several
  // installs (or test suites) in one Postgres database it would take another schema's for ours.
  const migrationTableSchema =
    dialect === 'postgres'
      ? (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const { error, results } = await new Migrator({
    db,
    provider,
    // 0008 landed after 0009 and 0010 on main; they touch separate tables, so a database that ran
    // the later ones first may run 0008 now rather than refuse to start.
    allowUnorderedMigrations: true,
    ...(migrationTableSchema && { migrationTableSchema }),
  }).migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
