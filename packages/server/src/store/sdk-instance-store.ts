import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Instances silent for longer than this are forgotten (checked at most once a minute). */
const FORGET_AFTER_MS = 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 1000;

export interface SdkReport {
  environment: string;
  instanceId: string;
  revision: number;
  sdkType: string;
  sdkVersion: string;
  /** How long the instance had served `revision` when it sent the report (ms); 0 when not said. */
  heldForMs?: number;
  /**
   * When the instance started serving `revision`, by its own wall clock (ms). Used when it is
   * consistent with `heldForMs` (no later than the report's arrival minus the time held, and at
   * most CLOCK_TRUST_MS before it): then it leaves out the report's time in transit and in the
   * server's queue; a skewed clock falls back to the arrival minus the time held.
   */
  appliedAt?: number;
}

/** Reports claiming to have held a revision longer than this are clamped (a bad clock, a bug). */
const MAX_HELD_MS = 10 * 60 * 1000;
/** An instance that has not reached a change counts as alive if heard from this long before it. */
const ALIVE_WINDOW_MS = 10 * 60 * 1000;
/** How much earlier than arrival-minus-held an SDK's own apply time may be and still be believed. */
const CLOCK_TRUST_MS = 5_000;

/** When each instance of a fleet reached a revision, for one change. */
export interface ChangeReach {
  /** Instances that held an older revision at the change and were still heard from after it. */
  instances: number;
  /** Of those, ms from the change to when each started serving it (or a later revision), ascending. */
  reachedAfterMs: number[];
}

export interface SdkSpread {
  /** Instances that reported within the window. */
  instances: number;
  /** Of those, how many hold at least `revision`. */
  atLeast: number;
  byRevision: { revision: number; instances: number }[];
  bySdk: { sdkType: string; sdkVersion: string; instances: number }[];
}

/**
 * The configuration revision each SDK instance last reported (on connect and after every
 * update), so people can see how far a change has spread. In the database, so every server
 * instance answers the same whichever one the SDK reports to.
 */
export class SdkInstanceStore {
  private lastPrune = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => number = Date.now,
  ) {}

  async report(report: SdkReport): Promise<void> {
    const row = {
      environment: report.environment,
      instance_id: report.instanceId,
      revision: report.revision,
      sdk_type: report.sdkType,
      sdk_version: report.sdkVersion,
      reported_at: this.clock(),
    };
    const held = Math.min(Math.max(0, Math.round(report.heldForMs ?? 0)), MAX_HELD_MS);
    const latest = row.reported_at - held;
    const claimed = report.appliedAt;
    const appliedAt =
      claimed !== undefined && claimed <= latest && claimed >= latest - CLOCK_TRUST_MS
        ? Math.round(claimed)
        : latest;
    await this.db
      .insertInto('sdk_acks')
      .values({
        environment: row.environment,
        revision: row.revision,
        instance_id: row.instance_id,
        applied_at: appliedAt,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    await this.db
      .insertInto('sdk_instances')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['environment', 'instance_id']).doUpdateSet({
          revision: row.revision,
          sdk_type: row.sdk_type,
          sdk_version: row.sdk_version,
          reported_at: row.reported_at,
        }),
      )
      .execute();
    if (row.reported_at - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = row.reported_at;
      await this.db
        .deleteFrom('sdk_instances')
        .where('reported_at', '<', row.reported_at - FORGET_AFTER_MS)
        .execute();
      await this.db
        .deleteFrom('sdk_acks')
        .where('applied_at', '<', row.reported_at - FORGET_AFTER_MS)
        .execute();
    }
  }

  /** Instances of `environment` heard from within `windowMs`, against `revision`. */
  async spread(environment: string, revision: number, windowMs: number): Promise<SdkSpread> {
    const rows = await this.db
      .selectFrom('sdk_instances')
      .select(['revision', 'sdk_type', 'sdk_version'])
      .where('environment', '=', environment)
      .where('reported_at', '>=', this.clock() - windowMs)
      .execute();
    const count = <K extends string>(keyOf: (row: (typeof rows)[number]) => K) => {
      const counts = new Map<K, number>();
      for (const row of rows) counts.set(keyOf(row), (counts.get(keyOf(row)) ?? 0) + 1);
      return counts;
    };
    return {
      instances: rows.length,
      atLeast: rows.filter((row) => Number(row.revision) >= revision).length,
      byRevision: [...count((row) => String(row.revision))]
        .map(([value, instances]) => ({ revision: Number(value), instances }))
        .sort((a, b) => b.revision - a.revision),
      bySdk: [...count((row) => `${row.sdk_type}\u0000${row.sdk_version}`)].map(([key, instances]) => {
        const [sdkType = '', sdkVersion = ''] = key.split('\u0000');
        return { sdkType, sdkVersion, instances };
      }),
    };
  }

  /**
   * How a change (`revision`, made at `changedAt`) reached the fleet: the instances that held an
   * older revision when it was made, and when each started serving it or a later one. Instances
   * that started after the change are left out: their first report says when they started, not
   * how fast the change travelled.
   */
  async reach(environment: string, revision: number, changedAt: number): Promise<ChangeReach> {
    const before = await this.db
      .selectFrom('sdk_acks')
      .select('instance_id')
      .distinct()
      .where('environment', '=', environment)
      .where('revision', '<', revision)
      .where('applied_at', '<=', changedAt)
      .execute();
    const holders = new Set(before.map((row) => row.instance_id));
    const after = await this.db
      .selectFrom('sdk_acks')
      .select(['instance_id', (eb) => eb.fn.min('applied_at').as('first')])
      .where('environment', '=', environment)
      .where('revision', '>=', revision)
      .groupBy('instance_id')
      .execute();
    const reached = after.filter((row) => holders.has(row.instance_id));
    const reachedIds = new Set(reached.map((row) => row.instance_id));
    // Holders that never reached it count against the change if they were alive around it:
    // heard from within ALIVE_WINDOW_MS before it (SDKs report on connect and on every update).
    const silent = [...holders].filter((id) => !reachedIds.has(id));
    let alive = 0;
    for (let i = 0; i < silent.length; i += 500) {
      const rows = await this.db
        .selectFrom('sdk_instances')
        .select('instance_id')
        .where('environment', '=', environment)
        .where('instance_id', 'in', silent.slice(i, i + 500))
        .where('reported_at', '>=', changedAt - ALIVE_WINDOW_MS)
        .execute();
      alive += rows.length;
    }
    const reachedAfterMs = reached
      .map((row) => Math.max(0, Number(row.first) - changedAt))
      .sort((a, b) => a - b);
    return { instances: reached.length + alive, reachedAfterMs };
  }
}
