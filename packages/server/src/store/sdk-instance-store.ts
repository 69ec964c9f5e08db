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
}
