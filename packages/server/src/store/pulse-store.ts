import { type Kysely, sql, type Transaction } from 'kysely';
import {
  type Aggregation,
  type ArmDelta,
  type BucketDelta,
  HOURS_PER_DAY,
  type UnitState,
  unitKey,
} from '../pulse/aggregation.js';
import { type ArmStats, emptyArmStats } from '../pulse/arm-stats.js';
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
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialectName,
  ) {}

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
    const exposureRows = changes.newExposures.map(({ key, entity, exposure }) => {
      const [environment = '', unitType = '', unitId = ''] = key.split('\u0000');
      return {
        environment,
        entity,
        unit_type: unitType,
        unit_id: unitId,
        arm: exposure.arm,
        first_day: exposure.firstDay,
        first_hour: exposure.firstHour,
      };
    });
    for (const part of chunks(exposureRows, 100)) {
      await tx
        .insertInto('pulse_exposures')
        .values(part)
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    const dayRows = [...changes.changedDays].map((changed) => {
      const [environment = '', unitType = '', unitId = '', metric = '', day = '0'] = changed.split('\u0000');
      const value = units
        .get(unitKey(environment, unitType, unitId))
        ?.days.get(metric)
        ?.get(Number(day)) ?? {
        num: 0,
        den: 0,
      };
      return { environment, metric, unit_id: unitId, day: Number(day), num: value.num, den: value.den };
    });
    for (const part of chunks(dayRows, 100)) {
      await tx
        .insertInto('pulse_unit_days')
        .values(part)
        .onConflict((oc) =>
          oc
            .columns(['environment', 'unit_id', 'metric', 'day'])
            .doUpdateSet((eb) => ({ num: eb.ref('excluded.num'), den: eb.ref('excluded.den') })),
        )
        .execute();
    }
    const armDays = changes.armDayDeltas.map(({ period, ...delta }) => ({
      ...armColumns(delta),
      day: period,
    }));
    const armHours = changes.armHourDeltas.map(({ period, ...delta }) => ({
      ...armColumns(delta),
      hour: period,
    }));
    const bucketDays = changes.bucketDayDeltas.map(({ period, ...delta }) => ({
      ...bucketColumns(delta),
      day: period,
    }));
    const bucketHours = changes.bucketHourDeltas.map(({ period, ...delta }) => ({
      ...bucketColumns(delta),
      hour: period,
    }));
    const armKey = ['environment', 'entity', 'metric', 'arm'] as const;
    await addInto(tx, 'pulse_arm_days', armDays, [...armKey, 'day']);
    await addInto(tx, 'pulse_arm_hours', armHours, [...armKey, 'hour']);
    await addInto(tx, 'pulse_arm_buckets', bucketDays, [...armKey, 'day', 'bucket']);
    await addInto(tx, 'pulse_arm_bucket_hours', bucketHours, [...armKey, 'hour', 'bucket']);
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

function armColumns({ environment, entity, arm, metric, stats }: Omit<ArmDelta, 'period'>) {
  return {
    environment,
    entity,
    arm,
    metric,
    n: stats.n,
    sum_y: stats.sumY,
    sum_y2: stats.sumY2,
    sum_d: stats.sumD,
    sum_d2: stats.sumD2,
    sum_yd: stats.sumYD,
    sum_x: stats.sumX,
    sum_x2: stats.sumX2,
    sum_xy: stats.sumXY,
    sum_e: stats.sumE,
    sum_e2: stats.sumE2,
    sum_xe: stats.sumXE,
    sum_de: stats.sumDE,
    sum_ye: stats.sumYE,
    sum_dx: stats.sumDX,
  };
}

function bucketColumns({ environment, entity, arm, metric, bucket, stats }: Omit<BucketDelta, 'period'>) {
  return {
    environment,
    entity,
    arm,
    metric,
    bucket,
    n: stats.n,
    sum_y: stats.sumY,
    sum_y2: stats.sumY2,
    sum_x: stats.sumX,
    sum_xy: stats.sumXY,
  };
}

/**
 * Inserts rows of sums, or adds them to the rows already there: every column outside `key` is a
 * sum (a delta folded in), so `n`, `sum_*` add up across chunks.
 */
async function addInto<
  Table extends 'pulse_arm_days' | 'pulse_arm_hours' | 'pulse_arm_buckets' | 'pulse_arm_bucket_hours',
>(
  tx: Transaction<Database>,
  table: Table,
  rows: Database[Table][],
  key: readonly (keyof Database[Table] & string)[],
): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const sums = Object.keys(first).filter((column) => !key.includes(column as never));
  for (const part of chunks(rows, 50)) {
    await tx
      .insertInto(table)
      .values(part as never)
      .onConflict((oc) =>
        oc
          .columns(key as never)
          .doUpdateSet(
            (eb) =>
              Object.fromEntries(
                sums.map((column) => [
                  column,
                  eb(eb.ref(`${table}.${column}` as never), '+', eb.ref(`excluded.${column}` as never)),
                ]),
              ) as never,
          ),
      )
      .execute();
  }
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
