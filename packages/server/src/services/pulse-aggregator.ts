import type { Spec } from '@switchyard/core';
import type { StoredMetric } from '../domain/metric.js';
import { type AggregatedEvent, Aggregation, unitIdOf } from '../pulse/aggregation.js';
import { exposureArm } from '../pulse/exposures.js';
import { type CompiledMetric, compileMetric } from '../pulse/metric-events.js';
import type { SqlDialectName } from '../store/database.js';
import type { EntityStore } from '../store/entity-store.js';
import type { PulseStore, UnitRef } from '../store/pulse-store.js';
import type { SnapshotSource } from './config-snapshots.js';

export interface PulseAggregatorOptions {
  /** Events folded in per transaction. */
  chunkSize?: number;
  /** How often new events are folded in (ms); 0: only when `catchUp` is called. */
  intervalMs?: number;
  /**
   * Postgres only: events received less than this long ago (ms) wait for the next run, since a transaction
   * that took a lower id may commit after a higher one was read.
   */
  commitLagMs?: number;
  clock?: () => number;
  log?: { warn(object: unknown, message: string): void };
  /**
   * True while the server is busy taking in events. A run then folds one chunk and leaves the
   * rest for the next interval, so aggregation takes a bounded share of the (one) core and, on
   * SQLite, of the only connection, and ingestion keeps its throughput; idle, it catches up.
   */
  busy?: () => boolean;
}

/**
 * The version of what the aggregates hold. Part of the catalogue key: a server whose stored
 * aggregates were made by another version rebuilds them from the first event.
 * 2: hourly rows, and the pre-period numerator and denominator of ratio and mean metrics.
 */
const AGGREGATES_VERSION = 2;

/** Statsig's exposure events: what puts a unit in an arm. */
const EXPOSURE_EVENTS = ['statsig::gate_exposure', 'statsig::config_exposure', 'statsig::layer_exposure'];

/** Every spec's unit type, by Pulse entity (`gate:<name>`, `config:<name>`). */
function unitTypes(specs: { feature_gates?: Spec[]; dynamic_configs?: Spec[] }): Map<string, string> {
  const types = new Map<string, string>();
  for (const spec of specs.feature_gates ?? []) types.set(`gate:${spec.name}`, spec.idType ?? 'userID');
  for (const spec of specs.dynamic_configs ?? []) types.set(`config:${spec.name}`, spec.idType ?? 'userID');
  return types;
}

/**
 * Folds stored events into Pulse's aggregates, in id order, a chunk per transaction, so a
 * result costs a sum over (arm, metric, day) rows rather than a scan of events. A change to
 * the metric catalogue starts the aggregates over from the first event (a rebuild gives the
 * same numbers as the incremental path, since both fold the same events in the same order).
 */
export class PulseAggregator {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private closed = false;

  constructor(
    private readonly dialect: SqlDialectName,
    private readonly store: PulseStore,
    private readonly entities: EntityStore,
    private readonly snapshots: SnapshotSource,
    /** The environments whose specs say each entity's unit type. */
    private readonly environments: () => Promise<string[]>,
    private readonly options: PulseAggregatorOptions = {},
  ) {}

  start(): void {
    const interval = this.options.intervalMs ?? 2000;
    if (interval <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      // A run still going (or a catchUp) covers this tick.
      if (this.running) return;
      this.track(this.runUntilCurrent(true)).catch((error) =>
        this.options.log?.warn({ err: error }, 'pulse aggregation failed'),
      );
    }, interval);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running?.catch(() => {});
  }

  /**
   * Folds in every event stored so far, busy or not (after any run under way); returns how
   * many. One run at a time.
   */
  catchUp(): Promise<number> {
    const previous = this.running?.catch(() => 0) ?? Promise.resolve(0);
    return this.track(previous.then(() => this.runUntilCurrent(false)));
  }

  private track(run: Promise<number>): Promise<number> {
    this.running = run;
    const forget = () => {
      if (this.running === run) this.running = undefined;
    };
    run.then(forget, forget);
    return run;
  }

  private async runUntilCurrent(yieldWhenBusy: boolean): Promise<number> {
    let total = 0;
    while (!this.closed) {
      const folded = await this.runChunk();
      if (folded === 0) break;
      total += folded;
      if (yieldWhenBusy && this.options.busy?.()) break;
      // Let what queued for the connection during the chunk (requests' queries, ingestion's
      // writes; on SQLite there is one connection) go before the next chunk takes it again.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return total;
  }

  private async runChunk(): Promise<number> {
    const metrics = (await this.entities.list<StoredMetric>('metric')).map((record) => record.data);
    const catalogue = JSON.stringify({ version: AGGREGATES_VERSION, metrics });
    const compiled = metrics.map(compileMetric);
    // Only exposures and the events metrics read are folded; the rest is skipped in SQL. With
    // no metrics nothing is folded (there would be no result to show), only the cursor moves:
    // the first metric changes the catalogue, which rebuilds from the first event anyway.
    const relevant =
      metrics.length === 0
        ? []
        : [
            ...new Set([
              ...EXPOSURE_EVENTS,
              ...metrics.flatMap((metric) =>
                [metric.numerator.event, metric.denominator?.event ?? []].flat(),
              ),
            ]),
          ];
    // Read before the transaction: on SQLite it holds the only connection.
    const unitTypesByEnvironment = new Map<string, Map<string, string>>();
    if (relevant.length > 0) {
      for (const environment of await this.environments()) {
        unitTypesByEnvironment.set(environment, unitTypes((await this.snapshots.current(environment)).specs));
      }
    }
    const folded = await this.store.exclusive(async (tx) => {
      let { lastEventId, catalogue: followed } = await this.store.state(tx);
      if (followed !== catalogue) {
        await this.store.reset(tx, catalogue);
        lastEventId = 0;
      }
      // The chunk: the next `chunkSize` events by id (on Postgres, old enough to be committed).
      let range = tx
        .selectFrom('events')
        .select('id')
        .where('id', '>', lastEventId)
        .orderBy('id')
        .limit(this.options.chunkSize ?? 5000);
      if (this.dialect === 'postgres') {
        range = range.where(
          'received_at',
          '<=',
          (this.options.clock ?? Date.now)() - (this.options.commitLagMs ?? 2000),
        );
      }
      const bounds = await tx
        .selectFrom(range.as('chunk'))
        .select((eb) => [eb.fn.max('chunk.id').as('last'), eb.fn.countAll().as('count')])
        .executeTakeFirst();
      const count = Number(bounds?.count ?? 0);
      if (count === 0) return 0;
      const last = Number(bounds?.last);
      const rows =
        relevant.length === 0
          ? []
          : await tx
              .selectFrom('events')
              .select(['id', 'environment', 'time', 'event_name', 'unit_ids', 'value', 'metadata'])
              .where('id', '>', lastEventId)
              .where('id', '<=', last)
              .where('event_name', 'in', relevant)
              .orderBy('id')
              .execute();
      const events = parseEvents(rows, unitTypesByEnvironment);
      const units = await this.store.loadUnits(
        tx,
        unitRefs(events, compiled),
        new Map(compiled.map((metric) => [metric.name, metric.unitType])),
      );
      const aggregation = new Aggregation(compiled, units);
      for (const event of events) aggregation.apply(event);
      await this.store.commit(tx, aggregation.changes(), units, last);
      return count;
    });
    return folded ?? 0;
  }
}

/** The stored rows as the aggregation reads them. */
function parseEvents(
  rows: {
    environment: string;
    time: number;
    event_name: string;
    unit_ids: string;
    value: string | null;
    metadata: string;
  }[],
  unitTypesByEnvironment: ReadonlyMap<string, ReadonlyMap<string, string>>,
): AggregatedEvent[] {
  const events: AggregatedEvent[] = [];
  for (const row of rows) {
    const metadata = parseObject(row.metadata);
    const arm = exposureArm(row.event_name, metadata);
    events.push({
      environment: row.environment,
      time: Number(row.time),
      eventName: row.event_name,
      value: row.value,
      metadata,
      unitIds: parseObject(row.unit_ids),
      exposure: arm && {
        ...arm,
        unitType: unitTypesByEnvironment.get(row.environment)?.get(arm.entity) ?? 'userID',
      },
    });
  }
  return events;
}

function unitRefs(events: readonly AggregatedEvent[], metrics: readonly CompiledMetric[]): UnitRef[] {
  const refs = new Map<string, UnitRef>();
  const add = (environment: string, unitType: string, unitIds: Record<string, unknown>) => {
    const unitId = unitIdOf(unitIds, unitType);
    if (unitId !== null)
      refs.set(`${environment}\u0000${unitType}\u0000${unitId}`, { environment, unitType, unitId });
  };
  const metricUnitTypes = new Set(metrics.map((metric) => metric.unitType));
  for (const event of events) {
    if (event.exposure) add(event.environment, event.exposure.unitType, event.unitIds);
    for (const unitType of metricUnitTypes) add(event.environment, unitType, event.unitIds);
  }
  return [...refs.values()];
}

function parseObject(json: string): Record<string, unknown> {
  try {
    const value = JSON.parse(json) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
