import { CompiledQuery, type Kysely, sql, type Transaction } from 'kysely';
import {
  type Aggregation,
  type ArmDelta,
  type BucketDelta,
  HOURS_PER_DAY,
  type UnitState,
  unitKey,
} from '../pulse/aggregation.js';
import { ARM_STAT_FIELDS, type ArmStats, emptyArmStats } from '../pulse/arm-stats.js';
import type { BucketStats } from '../pulse/value-buckets.js';
import type { SqlDialectName } from './database.js';
import type { Database } from './schema.js';

type Changes = ReturnType<Aggregation['changes']>;

/** The unit a chunk of events touches. */
export interface UnitRef {
  environment: string;
  unitType: string;
  unitId: string;
}

export interface ArmMetricTotals {
  arm: string;
  metric: string;
  stats: ArmStats;
}

/** What a series is cut by: days or hours since the epoch (UTC). */
export type Granularity = 'day' | 'hour';

/** One arm's statistics of one metric added in one period (a day or an hour). */
export interface ArmPeriodRow extends ArmMetricTotals {
  period: number;
}

/** One value bucket's change in one period. */
export interface BucketPeriodRow {
  period: number;
  arm: string;
  metric: string;
  bucket: number;
  stats: BucketStats;
}

const IN_CHUNK = 400;
/** Postgres: serialises aggregation across instances sharing one database. */
const PULSE_LOCK_KEY = 7_361_000_001;

function chunks<T>(items: readonly T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Pulse's aggregates: first exposures, per-unit daily metric values, per-arm daily sufficient
 * statistics, and the cursor of the last event folded in. A chunk's reads and writes and its
 * cursor move happen in one transaction, so every event counts exactly once.
 */
export class PulseStore {
  private readonly writes: ReturnType<typeof bulkWrites>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialectName,
  ) {
    this.writes = bulkWrites(dialect);
  }

  /**
   * Runs `work` in a transaction holding the aggregation lock (on Postgres, one instance at a
   * time; SQLite has one writer anyway). Returns undefined when another instance holds it.
   */
  async exclusive<R>(work: (tx: Transaction<Database>) => Promise<R>): Promise<R | undefined> {
    return this.db.transaction().execute(async (tx) => {
      if (this.dialect === 'postgres') {
        const { rows } = await sql<{
          locked: boolean;
        }>`select pg_try_advisory_xact_lock(${PULSE_LOCK_KEY}) as locked`.execute(tx);
        if (!rows[0]?.locked) return undefined;
      }
      return work(tx);
    });
  }

  async state(tx: Transaction<Database>): Promise<{ lastEventId: number; catalogue: string }> {
    const row = await tx.selectFrom('pulse_state').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
    return { lastEventId: Number(row.last_event_id), catalogue: row.catalogue };
  }

  /** Forgets every aggregate: the next chunks rebuild them from the first event. */
  async reset(tx: Transaction<Database>, catalogue: string): Promise<void> {
    await tx.deleteFrom('pulse_exposures').execute();
    await tx.deleteFrom('pulse_unit_days').execute();
    await tx.deleteFrom('pulse_arm_days').execute();
    await tx.deleteFrom('pulse_arm_buckets').execute();
    await tx.deleteFrom('pulse_arm_hours').execute();
    await tx.deleteFrom('pulse_arm_bucket_hours').execute();
    await tx.updateTable('pulse_state').set({ last_event_id: 0, catalogue }).where('id', '=', 1).execute();
  }

  /** The state of every unit in `refs`: its exposures and its daily metric values. */
  async loadUnits(
    tx: Transaction<Database>,
    refs: readonly UnitRef[],
    metricUnitTypes: ReadonlyMap<string, string>,
  ) {
    const units = new Map<string, UnitState>();
    const unitOf = (key: string) => {
      let unit = units.get(key);
      if (!unit) {
        unit = { exposures: new Map(), days: new Map() };
        units.set(key, unit);
      }
      return unit;
    };
    // By environment and unit type, so the exposure lookup uses its index (environment,
    // unit_type, unit_id) instead of reading every exposure of the environment.
    const byType = new Map<string, { environment: string; unitType: string; ids: Set<string> }>();
    const byEnvironment = new Map<string, Set<string>>();
    for (const ref of refs) {
      unitOf(unitKey(ref.environment, ref.unitType, ref.unitId));
      const typeKey = `${ref.environment}\u0000${ref.unitType}`;
      let group = byType.get(typeKey);
      if (!group) {
        group = { environment: ref.environment, unitType: ref.unitType, ids: new Set() };
        byType.set(typeKey, group);
      }
      group.ids.add(ref.unitId);
      let ids = byEnvironment.get(ref.environment);
      if (!ids) {
        ids = new Set();
        byEnvironment.set(ref.environment, ids);
      }
      ids.add(ref.unitId);
    }
    for (const { environment, unitType, ids } of byType.values()) {
      for (const part of chunks([...ids])) {
        const exposures = await tx
          .selectFrom('pulse_exposures')
          .select(['entity', 'unit_id', 'arm', 'first_day', 'first_hour'])
          .where('environment', '=', environment)
          .where('unit_type', '=', unitType)
          .where('unit_id', 'in', part)
          .execute();
        for (const row of exposures) {
          unitOf(unitKey(environment, unitType, row.unit_id)).exposures.set(row.entity, {
            arm: row.arm,
            firstDay: row.first_day,
            firstHour: row.first_hour ?? row.first_day * HOURS_PER_DAY,
          });
        }
      }
    }
    for (const [environment, ids] of byEnvironment) {
      for (const part of chunks([...ids])) {
        const days = await tx
          .selectFrom('pulse_unit_days')
          .select(['metric', 'unit_id', 'day', 'num', 'den'])
          .where('environment', '=', environment)
          .where('unit_id', 'in', part)
          .execute();
        for (const row of days) {
          const unitType = metricUnitTypes.get(row.metric);
          if (unitType === undefined) continue;
          const key = unitKey(environment, unitType, row.unit_id);
          if (!units.has(key)) continue;
          const unit = unitOf(key);
          let metricDays = unit.days.get(row.metric);
          if (!metricDays) {
            metricDays = new Map();
            unit.days.set(row.metric, metricDays);
          }
          metricDays.set(row.day, { num: row.num, den: row.den });
        }
      }
    }
    return units;
  }

  /** Writes a chunk's changes and moves the cursor to `lastEventId`. */
  async commit(
    tx: Transaction<Database>,
    changes: Changes,
    units: ReadonlyMap<string, UnitState>,
    lastEventId: number,
  ) {
    const writes = this.writes;
    await writes.exposures.run(
      tx,
      changes.newExposures.map(({ key, entity, exposure }) => {
        const [environment = '', unitType = '', unitId = ''] = key.split('\u0000');
        return [environment, entity, unitType, unitId, exposure.arm, exposure.firstDay, exposure.firstHour];
      }),
    );
    await writes.unitDays.run(
      tx,
      [...changes.changedDays].map((changed) => {
        const [environment = '', unitType = '', unitId = '', metric = '', day = '0'] =
          changed.split('\u0000');
        const value = units
          .get(unitKey(environment, unitType, unitId))
          ?.days.get(metric)
          ?.get(Number(day)) ?? { num: 0, den: 0 };
        return [environment, metric, unitId, Number(day), value.num, value.den];
      }),
    );
    const arm = ({ environment, entity, arm, metric, period, stats }: ArmDelta) => [
      environment,
      entity,
      arm,
      metric,
      period,
      ...ARM_STAT_FIELDS.map((field) => stats[field]),
    ];
    const bucket = ({ environment, entity, arm, metric, period, bucket, stats }: BucketDelta) => [
      environment,
      entity,
      arm,
      metric,
      period,
      bucket,
      stats.n,
      stats.sumY,
      stats.sumY2,
      stats.sumX,
      stats.sumXY,
    ];
    await writes.armDays.run(tx, changes.armDayDeltas.map(arm));
    await writes.armHours.run(tx, changes.armHourDeltas.map(arm));
    await writes.bucketDays.run(tx, changes.bucketDayDeltas.map(bucket));
    await writes.bucketHours.run(tx, changes.bucketHourDeltas.map(bucket));
    await tx.updateTable('pulse_state').set({ last_event_id: lastEventId }).where('id', '=', 1).execute();
  }

  /** Per arm and metric, the statistics to date (or through `throughDay`). */
  async armTotals(environment: string, entity: string, throughDay?: number): Promise<ArmMetricTotals[]> {
    let query = this.db
      .selectFrom('pulse_arm_days')
      .select((eb) => [
        'arm',
        'metric',
        ...ARM_SUM_COLUMNS.map((column) => eb.fn.sum<number>(column).as(column)),
      ])
      .where('environment', '=', environment)
      .where('entity', '=', entity)
      .groupBy(['arm', 'metric']);
    if (throughDay !== undefined) query = query.where('day', '<=', throughDay);
    const rows = await query.execute();
    return rows.map((row) => ({ arm: row.arm, metric: row.metric, stats: toStats(row) }));
  }

  /** Per arm, metric and value bucket: units and sums to date (or through `throughDay`). */
  async bucketTotals(
    environment: string,
    entity: string,
    throughDay?: number,
  ): Promise<{ arm: string; metric: string; bucket: number; stats: BucketStats }[]> {
    let query = this.db
      .selectFrom('pulse_arm_buckets')
      .select((eb) => [
        'arm',
        'metric',
        'bucket',
        eb.fn.sum<number>('n').as('n'),
        eb.fn.sum<number>('sum_y').as('sum_y'),
        eb.fn.sum<number>('sum_y2').as('sum_y2'),
        eb.fn.sum<number>('sum_x').as('sum_x'),
        eb.fn.sum<number>('sum_xy').as('sum_xy'),
      ])
      .where('environment', '=', environment)
      .where('entity', '=', entity)
      .groupBy(['arm', 'metric', 'bucket']);
    if (throughDay !== undefined) query = query.where('day', '<=', throughDay);
    const rows = await query.execute();
    return rows
      .map((row) => ({
        arm: row.arm,
        metric: row.metric,
        bucket: Number(row.bucket),
        stats: {
          n: Number(row.n ?? 0),
          sumY: Number(row.sum_y ?? 0),
          sumY2: Number(row.sum_y2 ?? 0),
          sumX: Number(row.sum_x ?? 0),
          sumXY: Number(row.sum_xy ?? 0),
        },
      }))
      .filter((row) => row.stats.n !== 0);
  }

  /** The days on which `entity` has statistics, oldest first. */
  async days(environment: string, entity: string): Promise<number[]> {
    const rows = await this.db
      .selectFrom('pulse_arm_days')
      .select('day')
      .distinct()
      .where('environment', '=', environment)
      .where('entity', '=', entity)
      .orderBy('day')
      .execute();
    return rows.map((row) => row.day);
  }

  /**
   * Every (period, arm, metric) row of `entity`, oldest period first: what each day or hour
   * added. A series sums them as it goes, so its cost is one read of these rows.
   */
  async armSeries(environment: string, entity: string, granularity: Granularity): Promise<ArmPeriodRow[]> {
    const rows =
      granularity === 'day'
        ? await this.db
            .selectFrom('pulse_arm_days')
            .select(['day as period', 'arm', 'metric', ...ARM_SUM_COLUMNS])
            .where('environment', '=', environment)
            .where('entity', '=', entity)
            .orderBy('day')
            .execute()
        : await this.db
            .selectFrom('pulse_arm_hours')
            .select(['hour as period', 'arm', 'metric', ...ARM_SUM_COLUMNS])
            .where('environment', '=', environment)
            .where('entity', '=', entity)
            .orderBy('hour')
            .execute();
    return rows.map((row) => ({
      period: Number(row.period),
      arm: row.arm,
      metric: row.metric,
      stats: toStats(row),
    }));
  }

  /** Every (period, arm, metric, bucket) row of `entity`, oldest period first. */
  async bucketSeries(
    environment: string,
    entity: string,
    granularity: Granularity,
  ): Promise<BucketPeriodRow[]> {
    const columns = ['arm', 'metric', 'bucket', 'n', 'sum_y', 'sum_y2', 'sum_x', 'sum_xy'] as const;
    const rows =
      granularity === 'day'
        ? await this.db
            .selectFrom('pulse_arm_buckets')
            .select(['day as period', ...columns])
            .where('environment', '=', environment)
            .where('entity', '=', entity)
            .orderBy('day')
            .execute()
        : await this.db
            .selectFrom('pulse_arm_bucket_hours')
            .select(['hour as period', ...columns])
            .where('environment', '=', environment)
            .where('entity', '=', entity)
            .orderBy('hour')
            .execute();
    return rows.map((row) => ({
      period: Number(row.period),
      arm: row.arm,
      metric: row.metric,
      bucket: Number(row.bucket),
      stats: {
        n: Number(row.n),
        sumY: Number(row.sum_y),
        sumY2: Number(row.sum_y2),
        sumX: Number(row.sum_x),
        sumXY: Number(row.sum_xy),
      },
    }));
  }
}

/** The sum columns of `pulse_arm_days` and `pulse_arm_hours`, in ArmStats order. */
const ARM_SUM_COLUMNS = [
  'n',
  'sum_y',
  'sum_y2',
  'sum_d',
  'sum_d2',
  'sum_yd',
  'sum_x',
  'sum_x2',
  'sum_xy',
  'sum_e',
  'sum_e2',
  'sum_xe',
  'sum_de',
  'sum_ye',
  'sum_dx',
] as const;

type ColumnType = 'text' | 'integer' | 'double precision';

/**
 * A multi-row insert (or upsert) of one table, its SQL written once per row count: building
 * each chunk's statement with Kysely cost more than SQLite's work on it. Postgres takes the rows
 * as one array per column (`unnest`), so a statement's plan does not grow with its rows.
 */
class BulkWrite {
  private readonly sqlByRows = new Map<number, string>();
  private readonly rowsPerStatement: number;

  constructor(
    private readonly dialect: SqlDialectName,
    private readonly table: string,
    private readonly columns: readonly (readonly [name: string, type: ColumnType])[],
    /** `on conflict ...`: what a row whose key is there already does. */
    private readonly onConflict: string,
  ) {
    // SQLite: well under its 32,766 bind parameters.
    this.rowsPerStatement = dialect === 'postgres' ? 5000 : Math.floor(4000 / columns.length);
  }

  async run(tx: Transaction<Database>, rows: readonly unknown[][]): Promise<void> {
    for (let i = 0; i < rows.length; i += this.rowsPerStatement) {
      const part = rows.slice(i, i + this.rowsPerStatement);
      const parameters =
        this.dialect === 'postgres'
          ? this.columns.map((_, column) => part.map((row) => row[column]))
          : part.flat();
      await tx.executeQuery(CompiledQuery.raw(this.sql(part.length), parameters));
    }
  }

  private sql(rows: number): string {
    const postgres = this.dialect === 'postgres';
    let text = this.sqlByRows.get(postgres ? 0 : rows);
    if (text === undefined) {
      const names = this.columns.map(([name]) => name).join(', ');
      const source = postgres
        ? `select * from unnest(${this.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})`
        : `values ${Array.from({ length: rows }, () => `(${this.columns.map(() => '?').join(', ')})`).join(', ')}`;
      text = `insert into ${this.table} (${names}) ${source} ${this.onConflict}`;
      this.sqlByRows.set(postgres ? 0 : rows, text);
    }
    return text;
  }
}

const ARM_KEY = [
  ['environment', 'text'],
  ['entity', 'text'],
  ['arm', 'text'],
  ['metric', 'text'],
] as const;

/**
 * Rows of sums added into the rows already there: every column outside the key is a sum (a
 * delta folded in), so `n` and `sum_*` add up across chunks.
 */
function addInto(
  dialect: SqlDialectName,
  table: string,
  period: 'day' | 'hour',
  extraKey: readonly string[],
  sums: readonly string[],
): BulkWrite {
  const key = [...ARM_KEY.map(([name]) => name), period, ...extraKey];
  return new BulkWrite(
    dialect,
    table,
    [
      ...ARM_KEY,
      [period, 'integer'],
      ...extraKey.map((name) => [name, 'integer'] as const),
      ...sums.map((name) => [name, 'double precision'] as const),
    ],
    `on conflict (${key.join(', ')}) do update set ${sums.map((sum) => `${sum} = ${table}.${sum} + excluded.${sum}`).join(', ')}`,
  );
}

const BUCKET_SUMS = ['n', 'sum_y', 'sum_y2', 'sum_x', 'sum_xy'];

function bulkWrites(dialect: SqlDialectName) {
  return {
    exposures: new BulkWrite(
      dialect,
      'pulse_exposures',
      [
        ['environment', 'text'],
        ['entity', 'text'],
        ['unit_type', 'text'],
        ['unit_id', 'text'],
        ['arm', 'text'],
        ['first_day', 'integer'],
        ['first_hour', 'integer'],
      ],
      'on conflict do nothing',
    ),
    unitDays: new BulkWrite(
      dialect,
      'pulse_unit_days',
      [
        ['environment', 'text'],
        ['metric', 'text'],
        ['unit_id', 'text'],
        ['day', 'integer'],
        ['num', 'double precision'],
        ['den', 'double precision'],
      ],
      'on conflict (environment, unit_id, metric, day) do update set num = excluded.num, den = excluded.den',
    ),
    armDays: addInto(dialect, 'pulse_arm_days', 'day', [], ARM_SUM_COLUMNS),
    armHours: addInto(dialect, 'pulse_arm_hours', 'hour', [], ARM_SUM_COLUMNS),
    bucketDays: addInto(dialect, 'pulse_arm_buckets', 'day', ['bucket'], BUCKET_SUMS),
    bucketHours: addInto(dialect, 'pulse_arm_bucket_hours', 'hour', ['bucket'], BUCKET_SUMS),
  };
}

function toStats(row: Record<string, unknown>): ArmStats {
  const stats = emptyArmStats();
  const number = (value: unknown) => Number(value ?? 0);
  stats.n = number(row.n);
  stats.sumY = number(row.sum_y);
  stats.sumY2 = number(row.sum_y2);
  stats.sumD = number(row.sum_d);
  stats.sumD2 = number(row.sum_d2);
  stats.sumYD = number(row.sum_yd);
  stats.sumX = number(row.sum_x);
  stats.sumX2 = number(row.sum_x2);
  stats.sumXY = number(row.sum_xy);
  stats.sumE = number(row.sum_e);
  stats.sumE2 = number(row.sum_e2);
  stats.sumXE = number(row.sum_xe);
  stats.sumDE = number(row.sum_de);
  stats.sumYE = number(row.sum_ye);
  stats.sumDX = number(row.sum_dx);
  return stats;
}
