import type { Spec } from '@switchyard/core';
import type { StoredExperiment } from '../domain/experiment.js';
import type { StoredMetric } from '../domain/metric.js';
import { NotFoundError } from '../errors.js';
import { DAY_MS, HOUR_MS } from '../pulse/aggregation.js';
import { type ArmStats, addArmStats, emptyArmStats } from '../pulse/arm-stats.js';
import {
  checkSampleRatio,
  compareMetric,
  type MetricResult,
  type PulseOptions,
  type SrmResult,
} from '../pulse/results.js';
import { type BucketStats, capFromBuckets, cappedSums } from '../pulse/value-buckets.js';
import type { EntityStore } from '../store/entity-store.js';
import type { ArmPeriodRow, BucketPeriodRow, Granularity, PulseStore } from '../store/pulse-store.js';
import type { SnapshotSource } from './config-snapshots.js';

export interface Comparison {
  control: { arm: string; name: string; units: number };
  treatment: { arm: string; name: string; units: number };
  /** Gates: the rule compared (its passing units against its failing ones). */
  rule?: string;
  srm: SrmResult;
  /** `cap`: winsorized metrics' per-unit cap (null: not capped). */
  metrics: (MetricResult & { cap: number | null })[];
}

export interface PulseResult {
  entity: { kind: 'gate' | 'experiment'; name: string };
  environment: string;
  /**
   * The last day counted (ISO date), or in an hourly series the start of the last hour counted
   * (ISO timestamp); null: to date.
   */
  through: string | null;
  options: PulseOptions;
  comparisons: Comparison[];
}

interface ArmPlan {
  arm: string;
  name: string;
}

interface Plan {
  comparisons: {
    control: ArmPlan;
    treatment: ArmPlan;
    rule?: string;
    weights: number[] | null;
    arms: ArmPlan[];
  }[];
}

export function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** An hour since the epoch as the ISO timestamp of its start, e.g. `2026-11-26T13:00:00.000Z`. */
export function isoHour(hour: number): string {
  return new Date(hour * HOUR_MS).toISOString();
}

/** One point of a series: the cumulative result at the end of a day or an hour. */
export interface PulseSeriesPoint {
  /** Days or hours since the epoch (UTC). */
  period: number;
  result: PulseResult;
}

/** The group split of an experiment spec, from its `user_bucket lt <bound>` rules (out of 1,000). */
function weightsFromSpec(rules: Spec['rules']): number[] | null {
  let previous = 0;
  const weights: number[] = [];
  for (const rule of rules) {
    const bound = rule.conditions?.find(
      (condition) => condition.type === 'user_bucket' && condition.operator === 'lt',
    )?.targetValue;
    if (typeof bound !== 'number') return null;
    weights.push((bound - previous) / 1000);
    previous = bound;
  }
  return weights;
}

type Totals = Map<string, Map<string, ArmStats>>;
type Buckets = Map<string, Map<string, Map<number, BucketStats>>>;

/** What a result is computed from, apart from the arms' numbers: read once per request. */
interface Subject {
  entity: PulseResult['entity'];
  /** `gate:<name>` or `config:<name>`: the aggregates' key. */
  key: string;
  /** Gates' comparisons depend on which rules have units in both arms, so on the totals. */
  plan(totals: Totals): Plan;
}

function mapIn<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/**
 * Pulse results: each gate rule's passing units against its failing ones, or each experiment
 * group against control, per metric, with intervals, CUPED, sequential tests and a sample-ratio
 * check. Reads only the per-arm daily (or hourly) sums, so its cost does not grow with units or
 * events.
 */
export class PulseResults {
  constructor(
    private readonly store: PulseStore,
    private readonly entities: EntityStore,
    private readonly snapshots: SnapshotSource,
  ) {}

  async gate(
    environment: string,
    name: string,
    options: PulseOptions,
    throughDay?: number,
  ): Promise<PulseResult> {
    return this.result(
      await this.gateSubject(environment, name, throughDay),
      environment,
      options,
      throughDay,
    );
  }

  async experiment(
    environment: string,
    name: string,
    options: PulseOptions,
    throughDay?: number,
  ): Promise<PulseResult> {
    return this.result(await this.experimentSubject(environment, name), environment, options, throughDay);
  }

  /**
   * The cumulative result at the end of every day or hour with data (oldest first), optionally
   * only those from `fromPeriod` to `toPeriod` (days or hours since the epoch). The rows are
   * read once and summed as the periods go by, so the cost is O(periods x arms x metrics) (plus
   * value buckets for winsorized metrics), not a query per period.
   */
  async series(
    kind: 'gate' | 'experiment',
    environment: string,
    name: string,
    options: PulseOptions,
    granularity: Granularity,
    range: { fromPeriod?: number; toPeriod?: number } = {},
  ): Promise<PulseSeriesPoint[]> {
    const subject =
      kind === 'gate'
        ? await this.gateSubject(environment, name)
        : await this.experimentSubject(environment, name);
    const metrics = await this.metrics();
    const winsorized = metrics.some((metric) => metric.winsorizePercentile !== null);
    const [armRows, bucketRows] = await Promise.all([
      this.store.armSeries(environment, subject.key, granularity),
      winsorized ? this.store.bucketSeries(environment, subject.key, granularity) : [],
    ]);
    const totals: Totals = new Map();
    const buckets: Buckets = new Map();
    const points: PulseSeriesPoint[] = [];
    const label = granularity === 'day' ? isoDay : isoHour;
    let a = 0;
    let b = 0;
    while (a < armRows.length) {
      const period = (armRows[a] as ArmPeriodRow).period;
      for (; a < armRows.length && (armRows[a] as ArmPeriodRow).period === period; a++) {
        const row = armRows[a] as ArmPeriodRow;
        const byMetric = mapIn(totals, row.arm, () => new Map<string, ArmStats>());
        addArmStats(
          mapIn(byMetric, row.metric, () => emptyArmStats()),
          row.stats,
        );
      }
      for (; b < bucketRows.length && (bucketRows[b] as BucketPeriodRow).period <= period; b++) {
        const row = bucketRows[b] as BucketPeriodRow;
        const byBucket = mapIn(
          mapIn(buckets, row.arm, () => new Map<string, Map<number, BucketStats>>()),
          row.metric,
          () => new Map<number, BucketStats>(),
        );
        const stats = mapIn(byBucket, row.bucket, () => ({ n: 0, sumY: 0, sumY2: 0, sumX: 0, sumXY: 0 }));
        stats.n += row.stats.n;
        stats.sumY += row.stats.sumY;
        stats.sumY2 += row.stats.sumY2;
        stats.sumX += row.stats.sumX;
        stats.sumXY += row.stats.sumXY;
      }
      if (range.fromPeriod !== undefined && period < range.fromPeriod) continue;
      if (range.toPeriod !== undefined && period > range.toPeriod) break;
      points.push({
        period,
        result: evaluate(
          subject,
          environment,
          subject.plan(totals),
          totals,
          buckets,
          metrics,
          options,
          label(period),
        ),
      });
    }
    return points;
  }

  /** The days with data, for a daily series (oldest first). */
  async days(environment: string, kind: 'gate' | 'experiment', name: string): Promise<number[]> {
    return this.store.days(environment, `${kind === 'gate' ? 'gate' : 'config'}:${name}`);
  }

  private async gateSubject(environment: string, name: string, throughDay?: number): Promise<Subject> {
    const spec = (await this.snapshots.current(environment)).specs.feature_gates?.find(
      (s) => s.name === name,
    );
    const key = `gate:${name}`;
    // Without a spec, a gate is known by its data (e.g. deleted since): look before saying 404.
    if (!spec && (await this.store.armTotals(environment, key, throughDay)).length === 0)
      throw new NotFoundError('not_found', `no gate "${name}" in ${environment}`, { name });
    const order = new Map((spec?.rules ?? []).map((rule, index) => [rule.id, index]));
    return {
      entity: { kind: 'gate', name },
      key,
      plan(totals) {
        const rules = [...new Set([...totals.keys()].map((arm) => arm.slice(0, arm.lastIndexOf(':'))))];
        rules.sort(
          (a, b) => (order.get(a) ?? Number.MAX_SAFE_INTEGER) - (order.get(b) ?? Number.MAX_SAFE_INTEGER),
        );
        return {
          comparisons: rules
            .filter((rule) => totals.has(`${rule}:true`) && totals.has(`${rule}:false`))
            .map((rule) => {
              const pass = spec?.rules.find((candidate) => candidate.id === rule)?.passPercentage;
              const control = { arm: `${rule}:false`, name: 'fail' };
              const treatment = { arm: `${rule}:true`, name: 'pass' };
              return {
                rule,
                control,
                treatment,
                arms: [control, treatment],
                weights:
                  typeof pass === 'number' && pass > 0 && pass < 100 ? [1 - pass / 100, pass / 100] : null,
              };
            }),
        };
      },
    };
  }

  private async experimentSubject(environment: string, name: string): Promise<Subject> {
    const native = await this.entities.get<StoredExperiment>('experiment', name);
    const spec = (await this.snapshots.current(environment)).specs.dynamic_configs?.find(
      (s) => s.name === name,
    );
    let groups: (ArmPlan & { weight: number | null })[];
    if (native) {
      groups = native.data.groups.map((group) => ({
        arm: group.id,
        name: group.name,
        weight: group.weight / 100,
      }));
    } else if (spec) {
      const rules = spec.rules.filter((rule) => rule.isExperimentGroup);
      const weights = weightsFromSpec(rules);
      groups = rules.map((rule, index) => ({
        arm: rule.id,
        name: rule.groupName ?? rule.id,
        weight: weights?.[index] ?? null,
      }));
    } else {
      throw new NotFoundError('not_found', `no experiment "${name}" in ${environment}`, { name });
    }
    const control = groups.find((group) => /^control$/i.test(group.name)) ?? groups[0];
    const allWeights = groups.every((group) => group.weight !== null)
      ? groups.map((g) => g.weight as number)
      : null;
    const plan: Plan = {
      comparisons: control
        ? groups
            .filter((group) => group !== control)
            .map((treatment) => ({ control, treatment, arms: groups, weights: allWeights }))
        : [],
    };
    return { entity: { kind: 'experiment', name }, key: `config:${name}`, plan: () => plan };
  }

  private async metrics(): Promise<StoredMetric[]> {
    return (await this.entities.list<StoredMetric>('metric')).map((record) => record.data);
  }

  /** The result to date, or through the end of `throughDay`. */
  private async result(
    subject: Subject,
    environment: string,
    options: PulseOptions,
    throughDay: number | undefined,
  ): Promise<PulseResult> {
    const metrics = await this.metrics();
    const totals: Totals = new Map();
    for (const row of await this.store.armTotals(environment, subject.key, throughDay)) {
      mapIn(totals, row.arm, () => new Map<string, ArmStats>()).set(row.metric, row.stats);
    }
    const buckets: Buckets = new Map();
    if (metrics.some((metric) => metric.winsorizePercentile !== null)) {
      for (const row of await this.store.bucketTotals(environment, subject.key, throughDay)) {
        mapIn(
          mapIn(buckets, row.arm, () => new Map<string, Map<number, BucketStats>>()),
          row.metric,
          () => new Map<number, BucketStats>(),
        ).set(row.bucket, row.stats);
      }
    }
    return evaluate(
      subject,
      environment,
      subject.plan(totals),
      totals,
      buckets,
      metrics,
      options,
      throughDay === undefined ? null : isoDay(throughDay),
    );
  }
}

/** The result for given totals: pure, so a series computes each period from its running sums. */
function evaluate(
  subject: Subject,
  environment: string,
  plan: Plan,
  totals: Totals,
  buckets: Buckets,
  metrics: readonly StoredMetric[],
  options: PulseOptions,
  through: string | null,
): PulseResult {
  /** The arms' stats of one metric, capped at the percentile of the compared arms pooled. */
  const statsOf = (metric: StoredMetric, arms: readonly ArmPlan[]) => {
    const raw = (arm: string) => totals.get(arm)?.get(metric.name);
    if (metric.winsorizePercentile === null) return { cap: null, of: raw };
    const pooled = new Map<number, number>();
    for (const arm of arms) {
      for (const [bucket, stats] of buckets.get(arm.arm)?.get(metric.name) ?? []) {
        pooled.set(bucket, (pooled.get(bucket) ?? 0) + stats.n);
      }
    }
    const cap = capFromBuckets(pooled, metric.winsorizePercentile);
    if (cap === null) return { cap: null, of: raw };
    return {
      cap,
      of: (arm: string) => {
        const stats = raw(arm);
        const armBuckets = buckets.get(arm)?.get(metric.name);
        if (!stats || !armBuckets) return stats;
        const capped = cappedSums(armBuckets, cap);
        return { ...stats, sumY: capped.sumY, sumY2: capped.sumY2, sumXY: capped.sumXY };
      },
    };
  };
  const units = (arm: string) =>
    Math.max(0, ...[...(totals.get(arm)?.values() ?? [])].map((stats) => stats.n));
  return {
    entity: subject.entity,
    environment,
    through,
    options,
    comparisons: plan.comparisons.map((comparison) => ({
      control: { ...comparison.control, units: units(comparison.control.arm) },
      treatment: { ...comparison.treatment, units: units(comparison.treatment.arm) },
      ...(comparison.rule !== undefined && { rule: comparison.rule }),
      srm: checkSampleRatio(
        comparison.arms.map((arm) => units(arm.arm)),
        comparison.weights,
      ),
      metrics: metrics.map((metric) => {
        const { cap, of } = statsOf(metric, comparison.arms);
        return {
          ...compareMetric(metric, of(comparison.control.arm), of(comparison.treatment.arm), options),
          cap,
        };
      }),
    })),
  };
}
