import type { FastifyBaseLogger } from 'fastify';
import type { StoredMetric } from '../domain/metric.js';
import { compileMetric } from '../pulse/metric-events.js';
import type { AuditEntry, EntityStore } from '../store/entity-store.js';
import type { ToplineAlert, ToplineMinute, ToplineStore } from '../store/topline-store.js';

export interface ToplineNotification {
  type: 'topline.alert';
  title: string;
  text: string;
  environment: string;
  entity: { kind: 'metric'; name: string };
  data: Record<string, unknown>;
}

export interface ToplineMonitorOptions {
  clock?: () => number;
  /** The window watched, and the baseline before it (minutes). */
  recentMinutes?: number;
  baselineMinutes?: number;
  /** Denominator needed in each window before anything is said. */
  minDenominator?: number;
  /** z-score of the harmful move needed (high: the check runs every minute, unadjusted). */
  zThreshold?: number;
  /** Smallest relative move worth an alert. */
  minRelativeChange?: number;
  /** No second alert for the same metric and environment within this many minutes. */
  quietMinutes?: number;
  /** Postgres: events younger than this wait (ids commit out of order). */
  commitLagMs?: number;
  log?: Pick<FastifyBaseLogger, 'warn'>;
  notify?: (notification: ToplineNotification) => void;
}

interface WindowTotals {
  num: number;
  num2: number;
  den: number;
}

const CHUNK = 20_000;
const MINUTE = 60_000;

/**
 * The topline alert: guardrail metrics (ratios and means) over everyone, recent minutes against
 * the hour before, so a release that hurts both arms (a shared dependency, a migration) is
 * still caught, with the configuration change that preceded it. Per-event means and variances
 * come from per-minute sums; the test is a z-test between the two windows at a strict threshold,
 * since it is repeated every minute. It alerts; it does not act (nothing says which change to undo).
 */
export class ToplineMonitor {
  private readonly clock: () => number;

  constructor(
    private readonly store: ToplineStore,
    private readonly entities: EntityStore,
    private readonly options: ToplineMonitorOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  private async watchedMetrics(): Promise<StoredMetric[]> {
    return (await this.entities.list<StoredMetric>('metric'))
      .map((record) => record.data)
      .filter((metric) => metric.guardrail && (metric.type === 'ratio' || metric.type === 'mean'));
  }

  /** Folds new events into per-minute totals; returns how many events were read. */
  async catchUp(): Promise<number> {
    const metrics = (await this.watchedMetrics()).map(compileMetric);
    let cursor = await this.store.cursor();
    let read = 0;
    const lag = this.options.commitLagMs ?? 0;
    for (;;) {
      const events = await this.store.eventsAfter(cursor, CHUNK, lag > 0 ? this.clock() - lag : null);
      if (events.length === 0) break;
      const minutes = new Map<string, ToplineMinute>();
      for (const event of events) {
        for (const metric of metrics) {
          const contribution = metric.contribution(event);
          if (!contribution) continue;
          const minute = Math.floor(event.time / MINUTE);
          const key = `${event.environment}\u0000${metric.name}\u0000${minute}`;
          let row = minutes.get(key);
          if (!row) {
            row = { environment: event.environment, metric: metric.name, minute, num: 0, num2: 0, den: 0 };
            minutes.set(key, row);
          }
          row.num += contribution.num;
          row.num2 += contribution.num * contribution.num;
          row.den += contribution.den;
        }
      }
      cursor = (events.at(-1) as { id: number }).id;
      read += events.length;
      await this.store.add([...minutes.values()], cursor, this.clock());
      if (events.length < CHUNK) break;
    }
    return read;
  }

  /** Checks every watched metric in every environment; returns the alerts raised now. */
  async check(): Promise<ToplineAlert[]> {
    const now = this.clock();
    const recent = this.options.recentMinutes ?? 10;
    const baseline = this.options.baselineMinutes ?? 60;
    // Whole minutes only: the current one is still filling.
    const end = Math.floor(now / MINUTE);
    const raised: ToplineAlert[] = [];
    for (const metric of await this.watchedMetrics()) {
      const recentTotals = await this.store.totals(metric.name, end - recent, end);
      const baselineTotals = await this.store.totals(metric.name, end - recent - baseline, end - recent);
      for (const [environment, current] of recentTotals) {
        const before = baselineTotals.get(environment);
        if (!before) continue;
        const move = this.assess(metric, current, before);
        if (!move) continue;
        const last = await this.store.lastAlert(environment, metric.name);
        if (last !== null && now - last < (this.options.quietMinutes ?? 30) * MINUTE) continue;
        const change = await this.precedingChange(now - (recent + baseline) * MINUTE, now);
        const evidence = {
          metric: metric.name,
          direction: metric.direction,
          recent: { minutes: recent, mean: move.recentMean, denominator: current.den },
          baseline: { minutes: baseline, mean: move.baselineMean, denominator: before.den },
          relativeChange: move.relative,
          z: move.z,
          precedingChange: change && {
            at: change.at,
            actor: change.actor,
            action: change.action,
            kind: change.kind,
            name: change.name,
            reason: change.reason,
            revision: change.revision,
          },
        };
        const alert = { environment, metric: metric.name, at: now, evidence };
        raised.push(await this.store.recordAlert(alert));
        const pct = `${move.relative >= 0 ? '+' : ''}${(move.relative * 100).toFixed(1)}%`;
        this.options.notify?.({
          type: 'topline.alert',
          title: `${metric.name} moved ${pct} for everyone in ${environment}`,
          text: [
            `${metric.name}: ${fmt(move.recentMean)} over the last ${recent} min against ${fmt(move.baselineMean)} over the ${baseline} min before (z = ${move.z.toFixed(1)}).`,
            change
              ? `The change before it: ${change.action} of ${change.kind} "${change.name}" by ${change.actor} at ${new Date(change.at).toISOString()}.`
              : `No configuration change in the last ${recent + baseline} minutes.`,
          ].join('\n'),
          environment,
          entity: { kind: 'metric', name: metric.name },
          data: evidence,
        });
      }
    }
    return raised;
  }

  /** A harmful move of `metric` between the windows, or null. */
  private assess(metric: StoredMetric, current: WindowTotals, before: WindowTotals) {
    const minimum = this.options.minDenominator ?? 1000;
    if (current.den < minimum || before.den < minimum) return null;
    const recentMean = current.num / current.den;
    const baselineMean = before.num / before.den;
    const variance = (totals: WindowTotals, mean: number) =>
      Math.max(0, totals.num2 / totals.den - mean * mean) / totals.den;
    const se = Math.sqrt(variance(current, recentMean) + variance(before, baselineMean));
    if (se === 0 || baselineMean === 0) return null;
    const z = (recentMean - baselineMean) / se;
    const harmful = metric.direction === 'decrease' ? z : -z;
    const relative = recentMean / baselineMean - 1;
    if (harmful < (this.options.zThreshold ?? 4)) return null;
    if (Math.abs(relative) < (this.options.minRelativeChange ?? 0.1)) return null;
    return { z, relative, recentMean, baselineMean };
  }

  /** The last configuration change between `from` and `to`. */
  private async precedingChange(from: number, to: number): Promise<AuditEntry | undefined> {
    return (await this.entities.audit({ limit: 100 })).find(
      (entry) =>
        entry.at >= from && entry.at <= to && entry.revision !== null && entry.kind !== 'scheduled_change',
    );
  }
}

function fmt(value: number): string {
  return Number(value.toPrecision(4)).toString();
}
