import type { FastifyBaseLogger } from 'fastify';
import type { StoredGate } from '../domain/gate.js';
import type { StoredReleasePlan } from '../domain/release-plan.js';
import { ConflictError } from '../errors.js';
import type { AuthoringService } from '../services/authoring-service.js';
import type { PulseAggregator } from '../services/pulse-aggregator.js';
import type { PulseResults } from '../services/pulse-results.js';
import type { EntityRecord } from '../store/entity-store.js';
import type { GuardrailCheckStore } from '../store/guardrail-check-store.js';
import type { ToplineAlert } from '../store/topline-store.js';
import { assessStage, type StageAssessment } from './assess-stage.js';
import type { ToplineMonitor } from './topline-monitor.js';

/** What the monitor tells people (webhooks): see services/webhook-notifier.ts. */
export interface ReleaseNotification {
  type: 'guardrail.rollback' | 'release.stage_changed';
  title: string;
  text: string;
  environment: string;
  entity: { kind: 'gate'; name: string };
  data: Record<string, unknown>;
}

export interface GuardrailMonitorOptions {
  clock?: () => number;
  /** How often every active release is looked at (ms); 0: only on `runOnce()`. Default one minute. */
  intervalMs?: number;
  log?: Pick<FastifyBaseLogger, 'warn' | 'info'>;
  notify?: (notification: ReleaseNotification) => void;
  /** Also watched on each run: guardrail metrics over everyone. */
  topline?: ToplineMonitor;
}

export interface MonitorRun {
  looks: ReleaseLook[];
  toplineAlerts: ToplineAlert[];
}

/** One look at one gate's release. */
export interface ReleaseLook {
  gate: string;
  environment: string;
  assessment: StageAssessment;
  /** What the monitor did: the action it took, or why it could not. */
  acted: 'rolled_back' | 'advanced' | 'nothing' | 'lost_race';
}

export const MONITOR_ACTOR = 'system:guardrail-monitor';

/**
 * Watches every release in progress: per look, Pulse's result for the current stage's rule
 * (canary = its passing units, control = its failing ones), read with the plan's alpha split
 * over the stage's guardrails and always-valid confidence sequences, so a look every minute is
 * as safe as one at the end. A regression rolls the gate back by itself (with the evidence in
 * the audit entry and a webhook); a healthy stage past its minimums advances when the plan
 * says so. Acting is conditional on the gate's version it read, so with several server
 * instances only one acts.
 */
export class GuardrailMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<MonitorRun> | undefined;
  private readonly clock: () => number;

  constructor(
    private readonly gates: AuthoringService<StoredGate>,
    private readonly pulse: Pick<PulseAggregator, 'catchUp'>,
    private readonly results: Pick<PulseResults, 'gate'>,
    private readonly checks: GuardrailCheckStore,
    private readonly options: GuardrailMonitorOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    const interval = this.options.intervalMs ?? 60_000;
    if (interval <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.runOnce().catch((error) => this.options.log?.warn({ err: error }, 'guardrail monitor failed'));
    }, interval);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }

  /** Looks at every release being served now, then at the topline. One run at a time. */
  runOnce(): Promise<MonitorRun> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<MonitorRun> {
    const looks = await this.lookAtAll();
    let toplineAlerts: ToplineAlert[] = [];
    const topline = this.options.topline;
    if (topline) {
      try {
        await topline.catchUp();
        toplineAlerts = await topline.check();
      } catch (error) {
        this.options.log?.warn({ err: error }, 'topline check failed');
      }
    }
    return { looks, toplineAlerts };
  }

  private async lookAtAll(): Promise<ReleaseLook[]> {
    await this.pulse.catchUp();
    const looks: ReleaseLook[] = [];
    for (const record of await this.gates.list()) {
      const plan = record.data.releasePlan;
      if (!plan || !isServed(record.data, plan)) continue;
      try {
        looks.push(await this.look(record, plan));
      } catch (error) {
        this.options.log?.warn({ err: error, gate: record.name }, 'guardrail look failed');
      }
    }
    return looks;
  }

  private async look(record: EntityRecord<StoredGate>, plan: StoredReleasePlan): Promise<ReleaseLook> {
    const stage = plan.stages[plan.current];
    const guardrails = Math.max(1, stage?.guardrails.length ?? 1);
    const result =
      stage?.percentage === null
        ? undefined
        : await this.results.gate(plan.environment, record.name, {
            alpha: plan.alpha / guardrails,
            cuped: false,
            sequential: true,
            nStar: plan.nStar,
          });
    const comparison = result?.comparisons.find((candidate) => candidate.rule === stage?.ruleId);
    const now = this.clock();
    // Only an active plan moves forward by itself; a paused one is still watched.
    const assessment = assessStage(
      plan.status === 'active' ? plan : { ...plan, autoAdvance: false },
      comparison,
      now,
    );
    await this.checks.record({
      gate: record.name,
      environment: plan.environment,
      stageId: stage?.ruleId ?? '',
      at: now,
      outcome: `${assessment.outcome}:${assessment.verdict}`,
      evidence: { reasons: assessment.reasons, ...assessment.evidence },
    });
    const base = { gate: record.name, environment: plan.environment, assessment };
    if (assessment.outcome === 'hold') return { ...base, acted: 'nothing' };
    const reason = assessment.reasons.join('; ');
    try {
      if (assessment.outcome === 'rollback') {
        const updated = await this.gates.act(
          record.name,
          'rollback',
          { evidence: { reasons: assessment.reasons, ...assessment.evidence } },
          { actor: MONITOR_ACTOR, reason: `guardrail regression: ${reason}` },
          record.version,
        );
        this.notifyRollback(record.name, plan, updated.data, assessment);
        return { ...base, acted: 'rolled_back' };
      }
      const updated = await this.gates.act(
        record.name,
        'advance',
        {},
        { actor: MONITOR_ACTOR, reason: `stage healthy: ${reason}` },
        record.version,
      );
      this.notifyAdvance(record.name, plan, updated.data);
      return { ...base, acted: 'advanced' };
    } catch (error) {
      // Someone (a person, another instance's monitor) changed the gate since it was read.
      if (error instanceof ConflictError) return { ...base, acted: 'lost_race' };
      throw error;
    }
  }

  private notifyRollback(
    name: string,
    plan: StoredReleasePlan,
    gate: StoredGate,
    assessment: StageAssessment,
  ) {
    const stage = plan.stages[plan.current];
    const how =
      gate.releasePlan?.lastRollback?.action === 'previous_stage'
        ? `went back to stage "${gate.releasePlan.stages[gate.releasePlan.current]?.name}"`
        : 'was turned off (kill switch)';
    this.options.notify?.({
      type: 'guardrail.rollback',
      title: `Rolled back ${name}: a guardrail regressed in stage "${stage?.name}"`,
      text: [`${name} ${how} in ${plan.environment}.`, ...assessment.reasons].join('\n'),
      environment: plan.environment,
      entity: { kind: 'gate', name },
      data: { reasons: assessment.reasons, ...assessment.evidence },
    });
  }

  private notifyAdvance(name: string, plan: StoredReleasePlan, gate: StoredGate) {
    const next = gate.releasePlan?.stages[gate.releasePlan.current];
    this.options.notify?.({
      type: 'release.stage_changed',
      title: `${name} advanced to stage "${next?.name}"`,
      text: `Stage "${plan.stages[plan.current]?.name}" was healthy; ${name} now serves "${next?.name}".`,
      environment: plan.environment,
      entity: { kind: 'gate', name },
      data: { from: plan.current, to: gate.releasePlan?.current ?? null },
    });
  }
}

/** Whether the release is being served (and so must be watched) in its environment. */
function isServed(gate: StoredGate, plan: StoredReleasePlan): boolean {
  if (!gate.enabled || (gate.disabledIn ?? []).includes(plan.environment)) return false;
  return plan.status === 'active' || plan.status === 'paused';
}
