import type { Spec } from '@switchyard/core';
import type { StoredExperiment } from '../domain/experiment.js';
import type { StoredMetric } from '../domain/metric.js';
import { NotFoundError } from '../errors.js';
import { DAY_MS } from '../pulse/aggregation.js';
import type { ArmStats } from '../pulse/arm-stats.js';
import {
  checkSampleRatio,
  compareMetric,
  type MetricResult,
  type PulseOptions,
  type SrmResult,
} from '../pulse/results.js';
import { type BucketStats, capFromBuckets, cappedSums } from '../pulse/value-buckets.js';
import type { EntityStore } from '../store/entity-store.js';
import type { PulseStore } from '../store/pulse-store.js';
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
  /** The last day counted (ISO date); to date when absent. */
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

/**
 * Pulse results: each gate rule's passing units against its failing ones, or each experiment
 * group against control, per metric, with intervals, CUPED, sequential tests and a sample-ratio
 * check. Reads only the per-arm daily sums, so its cost does not grow with units or events.
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
    const spec = (await this.snapshots.current(environment)).specs.feature_gates?.find(
      (s) => s.name === name,
    );
    const entity = `gate:${name}`;
    const totals = await this.totals(environment, entity, throughDay);
    if (!spec && totals.size === 0)
      throw new NotFoundError('not_found', `no gate "${name}" in ${environment}`, { name });
    const rules = [...new Set([...totals.keys()].map((arm) => arm.slice(0, arm.lastIndexOf(':'))))];
    const order = new Map((spec?.rules ?? []).map((rule, index) => [rule.id, index]));
    rules.sort(
      (a, b) => (order.get(a) ?? Number.MAX_SAFE_INTEGER) - (order.get(b) ?? Number.MAX_SAFE_INTEGER),
    );
    const plan: Plan = {
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
            weights: typeof pass === 'number' && pass > 0 && pass < 100 ? [1 - pass / 100, pass / 100] : null,
          };
        }),
    };
    return this.compute({ kind: 'gate', name }, environment, plan, totals, options, throughDay);
  }

  async experiment(
    environment: string,
    name: string,
    options: PulseOptions,
    throughDay?: number,
  ): Promise<PulseResult> {
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
    const totals = await this.totals(environment, `config:${name}`, throughDay);
    return this.compute({ kind: 'experiment', name }, environment, plan, totals, options, throughDay);
  }

  /** The days with data, for a daily series (ISO dates, oldest first). */
  async days(environment: string, kind: 'gate' | 'experiment', name: string): Promise<number[]> {
    return this.store.days(environment, `${kind === 'gate' ? 'gate' : 'config'}:${name}`);
  }

  private async totals(environment: string, entity: string, throughDay?: number) {
    const byArm = new Map<string, Map<string, ArmStats>>();
    for (const row of await this.store.armTotals(environment, entity, throughDay)) {
      let metrics = byArm.get(row.arm);
      if (!metrics) {
        metrics = new Map();
        byArm.set(row.arm, metrics);
      }
      metrics.set(row.metric, row.stats);
    }
    return byArm;
  }

  /** Value buckets by arm, then metric, then bucket (winsorized metrics only). */
  private async buckets(environment: string, entity: string, throughDay?: number) {
    const byArm = new Map<string, Map<string, Map<number, BucketStats>>>();
    for (const row of await this.store.bucketTotals(environment, entity, throughDay)) {
      let metrics = byArm.get(row.arm);
      if (!metrics) {
        metrics = new Map();
        byArm.set(row.arm, metrics);
      }
      let buckets = metrics.get(row.metric);
      if (!buckets) {
        buckets = new Map();
        metrics.set(row.metric, buckets);
      }
      buckets.set(row.bucket, row.stats);
    }
    return byArm;
  }

  private async compute(
    entity: PulseResult['entity'],
    environment: string,
    plan: Plan,
    totals: Map<string, Map<string, ArmStats>>,
    options: PulseOptions,
    throughDay: number | undefined,
  ): Promise<PulseResult> {
    const metrics = (await this.entities.list<StoredMetric>('metric')).map((record) => record.data);
    const buckets = metrics.some((metric) => metric.winsorizePercentile !== null)
      ? await this.buckets(
          environment,
          `${entity.kind === 'gate' ? 'gate' : 'config'}:${entity.name}`,
          throughDay,
        )
      : new Map<string, Map<string, Map<number, BucketStats>>>();
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
      entity,
      environment,
      through: throughDay === undefined ? null : isoDay(throughDay),
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
}
