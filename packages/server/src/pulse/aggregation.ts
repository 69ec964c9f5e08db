import { type ArmStats, addArmStats, addUnit, emptyArmStats, type UnitValues } from './arm-stats.js';
import type { ExposureArm } from './exposures.js';
import type { CompiledMetric, Contribution, MetricEvent } from './metric-events.js';
import { type BucketStats, bucketOf } from './value-buckets.js';

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;
export const HOURS_PER_DAY = 24;
/** CUPED's covariate: the unit's value over this many days before its exposure day. */
export const PRE_PERIOD_DAYS = 14;

/** One stored event as the aggregation reads it. */
export interface AggregatedEvent extends MetricEvent {
  environment: string;
  time: number;
  unitIds: Record<string, unknown>;
  /** Set for exposure events. */
  exposure: (ExposureArm & { unitType: string }) | null;
}

/** A unit's first exposure to one entity. */
export interface UnitExposure {
  arm: string;
  firstDay: number;
  /** Hours since the epoch; `firstDay` is the day it falls in. */
  firstHour: number;
}

/** What the aggregation knows of one unit (`environment`, unit type, unit id). */
export interface UnitState {
  exposures: Map<string, UnitExposure>;
  /** metric -> day -> that day's numerator and denominator. */
  days: Map<string, Map<number, Contribution>>;
}

export function unitKey(environment: string, unitType: string, unitId: string): string {
  return `${environment}\u0000${unitType}\u0000${unitId}`;
}

export function armPeriodKey(
  environment: string,
  entity: string,
  arm: string,
  metric: string,
  period: number,
): string {
  return `${environment}\u0000${entity}\u0000${arm}\u0000${metric}\u0000${period}`;
}

export function dayOf(time: number): number {
  return Math.floor(time / DAY_MS);
}

export function hourOf(time: number): number {
  return Math.floor(time / HOUR_MS);
}

/** The day an hour (since the epoch) falls in. */
export function dayOfHour(hour: number): number {
  return Math.floor(hour / HOURS_PER_DAY);
}

/** A change to one arm's statistics, attributed to the period (day or hour) it takes effect in. */
export interface ArmDelta {
  environment: string;
  entity: string;
  arm: string;
  metric: string;
  period: number;
  stats: ArmStats;
}

/** A change to one value bucket of an arm, attributed to a day or an hour. */
export interface BucketDelta {
  environment: string;
  entity: string;
  arm: string;
  metric: string;
  period: number;
  bucket: number;
  stats: BucketStats;
}

/**
 * Folds events, in id order, into per-unit state and per-arm statistic deltas. A unit joins an
 * arm at its first exposure to the entity (later exposures, even to another arm, are ignored);
 * from that day on its events are post-exposure, in the 14 days before they are its CUPED
 * covariate (for ratios: numerator and denominator). Each delta is attributed to the hour it
 * takes effect in (the event's hour, or the exposure's hour if later) and to that hour's day, so
 * the sum of the rows up to an hour or a day is the cumulative result at its end. The caller
 * loads the state of every unit the events touch before calling `apply`, and writes back what
 * `changes()` lists.
 */
export class Aggregation {
  private readonly newExposures: { key: string; entity: string; exposure: UnitExposure }[] = [];
  private readonly changedDays = new Set<string>();
  /** By hour; the days' deltas are their sums (changes()). */
  private readonly bucketDeltas = new Map<string, BucketDelta>();
  private readonly armDeltas = new Map<string, ArmDelta>();

  constructor(
    private readonly metrics: readonly CompiledMetric[],
    private readonly units: Map<string, UnitState>,
  ) {}

  apply(event: AggregatedEvent): void {
    if (event.exposure) this.applyExposure(event, event.exposure);
    for (const metric of this.metrics) {
      const contribution = metric.contribution(event);
      if (!contribution) continue;
      const unitId = unitIdOf(event.unitIds, metric.unitType);
      if (unitId === null) continue;
      this.applyContribution(event, metric, unitId, contribution);
    }
  }

  /** What to write back: new exposures, changed unit days (by unit key), arm and bucket deltas. */
  changes() {
    // A unit that left a bucket and came back within the chunk changes nothing there.
    const moved = ({ stats }: BucketDelta) => stats.n !== 0 || stats.sumY !== 0 || stats.sumX !== 0;
    const armHourDeltas = [...this.armDeltas.values()];
    const bucketHourDeltas = [...this.bucketDeltas.values()];
    return {
      newExposures: this.newExposures,
      changedDays: this.changedDays,
      armDayDeltas: byDay(armHourDeltas, '', emptyArmStats, addArmStats),
      armHourDeltas,
      bucketDayDeltas: byDay(bucketHourDeltas, 'bucket', emptyBucketStats, addBucketStats).filter(moved),
      bucketHourDeltas: bucketHourDeltas.filter(moved),
    };
  }

  private applyExposure(event: AggregatedEvent, exposure: ExposureArm & { unitType: string }): void {
    const unitId = unitIdOf(event.unitIds, exposure.unitType);
    if (unitId === null) return;
    const key = unitKey(event.environment, exposure.unitType, unitId);
    const unit = this.unit(key);
    if (unit.exposures.has(exposure.entity)) return;
    const firstHour = hourOf(event.time);
    const firstDay = dayOfHour(firstHour);
    const joined = { arm: exposure.arm, firstDay, firstHour };
    unit.exposures.set(exposure.entity, joined);
    this.newExposures.push({ key, entity: exposure.entity, exposure: joined });
    for (const metric of this.metrics) {
      if (metric.unitType !== exposure.unitType) continue;
      const values = this.valuesOf(unit, metric, firstDay);
      addUnit(
        this.armDelta(event.environment, exposure.entity, joined.arm, metric.name, firstHour),
        values,
        1,
      );
      if (metric.winsorized) {
        this.moveBucket(event.environment, exposure.entity, joined.arm, metric.name, firstHour, null, values);
      }
    }
  }

  private applyContribution(
    event: AggregatedEvent,
    metric: CompiledMetric,
    unitId: string,
    contribution: Contribution,
  ) {
    const key = unitKey(event.environment, metric.unitType, unitId);
    const unit = this.unit(key);
    const hour = hourOf(event.time);
    const day = dayOfHour(hour);
    const before = new Map<string, UnitValues>();
    for (const [entity, exposure] of unit.exposures)
      before.set(entity, this.valuesOf(unit, metric, exposure.firstDay));
    let days = unit.days.get(metric.name);
    if (!days) {
      days = new Map();
      unit.days.set(metric.name, days);
    }
    const current = days.get(day) ?? { num: 0, den: 0 };
    days.set(day, { num: current.num + contribution.num, den: current.den + contribution.den });
    this.changedDays.add(`${key}\u0000${metric.name}\u0000${day}`);
    for (const [entity, exposure] of unit.exposures) {
      const previous = before.get(entity);
      if (!previous) continue;
      const next = this.valuesOf(unit, metric, exposure.firstDay);
      // Post-exposure changes take effect in the event's hour; pre-period ones (and those of the
      // exposure's day before the exposure) from the exposure's hour.
      const effective = Math.max(hour, exposure.firstHour);
      const delta = this.armDelta(event.environment, entity, exposure.arm, metric.name, effective);
      addUnit(delta, next, 1);
      addUnit(delta, previous, -1);
      if (metric.winsorized) {
        this.moveBucket(event.environment, entity, exposure.arm, metric.name, effective, previous, next);
      }
    }
  }

  /** The unit's post-exposure `y` and `d` and pre-exposure `x` and `e`, for an exposure on `firstDay`. */
  private valuesOf(unit: UnitState, metric: CompiledMetric, firstDay: number): UnitValues {
    let post = 0;
    let den = 0;
    let pre = 0;
    let preDen = 0;
    for (const [day, value] of unit.days.get(metric.name) ?? []) {
      if (day >= firstDay) {
        post += value.num;
        den += value.den;
      } else if (day >= firstDay - PRE_PERIOD_DAYS) {
        pre += value.num;
        preDen += value.den;
      }
    }
    return { y: metric.unitValue(post), d: den, x: metric.unitValue(pre), e: preDen };
  }

  private unit(key: string): UnitState {
    let unit = this.units.get(key);
    if (!unit) {
      unit = { exposures: new Map(), days: new Map() };
      this.units.set(key, unit);
    }
    return unit;
  }

  /** A unit's values leave the bucket of `from` (none for a new unit) for the bucket of `to`. */
  private moveBucket(
    environment: string,
    entity: string,
    arm: string,
    metric: string,
    hour: number,
    from: UnitValues | null,
    to: UnitValues,
  ) {
    const add = (values: UnitValues, sign: 1 | -1) => {
      const bucket = bucketOf(values.y);
      const key = `${armPeriodKey(environment, entity, arm, metric, hour)}\u0000${bucket}`;
      let row = this.bucketDeltas.get(key);
      if (!row) {
        row = { environment, entity, arm, metric, period: hour, bucket, stats: emptyBucketStats() };
        this.bucketDeltas.set(key, row);
      }
      row.stats.n += sign;
      row.stats.sumY += sign * values.y;
      row.stats.sumY2 += sign * values.y * values.y;
      row.stats.sumX += sign * values.x;
      row.stats.sumXY += sign * values.x * values.y;
    };
    if (from) add(from, -1);
    add(to, 1);
  }

  /** The arm's delta for the hour a change takes effect in. */
  private armDelta(environment: string, entity: string, arm: string, metric: string, hour: number): ArmStats {
    const key = armPeriodKey(environment, entity, arm, metric, hour);
    let row = this.armDeltas.get(key);
    if (!row) {
      row = { environment, entity, arm, metric, period: hour, stats: emptyArmStats() };
      this.armDeltas.set(key, row);
    }
    return row.stats;
  }
}

function emptyBucketStats(): BucketStats {
  return { n: 0, sumY: 0, sumY2: 0, sumX: 0, sumXY: 0 };
}

function addBucketStats(into: BucketStats, delta: BucketStats): BucketStats {
  into.n += delta.n;
  into.sumY += delta.sumY;
  into.sumY2 += delta.sumY2;
  into.sumX += delta.sumX;
  into.sumXY += delta.sumXY;
  return into;
}

/** Hourly deltas summed into their days (in hour order within the chunk, as the hours were). */
function byDay<
  Row extends {
    environment: string;
    entity: string;
    arm: string;
    metric: string;
    period: number;
    stats: S;
    bucket?: number;
  },
  S,
>(rows: readonly Row[], extra: '' | 'bucket', empty: () => S, add: (into: S, delta: S) => S): Row[] {
  const days = new Map<string, Row>();
  for (const row of rows) {
    const day = dayOfHour(row.period);
    const key = `${armPeriodKey(row.environment, row.entity, row.arm, row.metric, day)}\u0000${extra && row.bucket}`;
    let sum = days.get(key);
    if (!sum) {
      sum = { ...row, period: day, stats: empty() };
      days.set(key, sum);
    }
    add(sum.stats, row.stats);
  }
  return [...days.values()];
}

/** The unit's ID of `unitType` (`userID`, or a custom ID such as `stableID`), if it has one. */
export function unitIdOf(unitIds: Record<string, unknown>, unitType: string): string | null {
  const direct = unitIds[unitType];
  const value =
    direct ?? Object.entries(unitIds).find(([type]) => type.toLowerCase() === unitType.toLowerCase())?.[1];
  return typeof value === 'string' && value.length > 0
    ? value
    : typeof value === 'number'
      ? String(value)
      : null;
}
