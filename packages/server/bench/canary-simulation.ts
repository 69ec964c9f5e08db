/**
 * A seeded simulation of a canary stage, minute by minute, feeding the guardrail monitor's own
 * decision (`assessStage`, with Pulse's `compareMetric` and sample-ratio check) the per-arm
 * sums Pulse would hold after each minute. Used by the false-rollback and detection tests and
 * by the detection-time benchmark, so both measure the code that decides in production.
 *
 * Model: a population of users, of whom `activePerMinute` (drawn uniformly) are active in each
 * minute; an active user makes `requestsPerMinute` requests, each timing out with the baseline rate
 * (control) or the baseline times (1 + regression) (canary). A user joins an arm at its first
 * active minute (its first exposure). The guardrail is the per-user ratio timeouts / requests.
 */

import type { StoredMetric } from '../src/domain/metric.js';
import type { StoredReleasePlan } from '../src/domain/release-plan.js';
import { emptyArmStats } from '../src/pulse/arm-stats.js';
import { checkSampleRatio, compareMetric } from '../src/pulse/results.js';
import { assessStage, type StageAssessment } from '../src/release/assess-stage.js';
import type { Comparison } from '../src/services/pulse-results.js';

export interface CanaryScenario {
  /** Users active in a minute (all arms). */
  activePerMinute: number;
  /** Share of a minute's users active in it: the population is activePerMinute / activeShare. */
  activeShare?: number;
  /** Canary share (the stage's percentage / 100). */
  canaryShare: number;
  baselineTimeoutRate: number;
  /** Relative change of the canary's timeout rate: 0.25 = +25%. */
  regression: number;
  requestsPerMinute?: number;
  /** Minutes simulated at most (a look after each). */
  minutes: number;
  seed: number;
  /** The plan's alpha and N*; defaults are a new plan's. */
  alpha?: number;
  nStar?: number;
}

export interface CanaryOutcome {
  /** Minute (1-based) of the look that rolled back; null if none did. */
  rolledBackAt: number | null;
  /** Canary units exposed by then (or by the end). */
  canaryUnits: number;
  controlUnits: number;
  /** Looks held for a sample-ratio mismatch. */
  srmHolds: number;
  last: StageAssessment;
}

export const TIMEOUT_METRIC: StoredMetric = {
  name: 'request_timeout_rate',
  description: '',
  tags: [],
  type: 'ratio',
  numerator: { event: 'request_timeout', filters: [] },
  denominator: { event: 'request', filters: [] },
  numeratorAggregation: 'count',
  denominatorAggregation: 'count',
  direction: 'decrease',
  guardrail: true,
  winsorizePercentile: null,
  unitType: 'userID',
} as unknown as StoredMetric;

/** mulberry32: small, fast, seeded. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Binomial(n, p) by inversion from one uniform (n small, p small: a few steps). */
function binomial(n: number, p: number, u: number): number {
  let probability = (1 - p) ** n;
  let cumulative = probability;
  let k = 0;
  while (u > cumulative && k < n) {
    probability *= ((n - k) / (k + 1)) * (p / (1 - p));
    k += 1;
    cumulative += probability;
  }
  return k;
}

export function canaryPlan(
  scenario: Pick<CanaryScenario, 'canaryShare' | 'alpha' | 'nStar'>,
): StoredReleasePlan {
  return {
    stages: [
      {
        ruleId: 'release-sim-1',
        name: 'Canary',
        segment: null,
        percentage: scenario.canaryShare * 100,
        minDurationMinutes: 0,
        minUnits: 0,
        guardrails: [TIMEOUT_METRIC.name],
      },
      {
        ruleId: 'release-sim-2',
        name: 'Everyone',
        segment: null,
        percentage: 100,
        minDurationMinutes: 0,
        minUnits: 0,
        guardrails: [],
      },
    ],
    environment: 'production',
    autoAdvance: false,
    onRegression: 'kill',
    alpha: scenario.alpha ?? 0.05,
    nStar: scenario.nStar ?? 10_000,
    salt: 'sim',
    current: 0,
    stageStartedAt: 0,
    status: 'active',
    lastRollback: null,
  };
}

/** Plays the scenario until the first rollback or the last minute. */
export function simulateCanary(scenario: CanaryScenario): CanaryOutcome {
  const random = seededRandom(scenario.seed);
  const share = scenario.activeShare ?? 0.2;
  const population = Math.round(scenario.activePerMinute / share);
  const requests = scenario.requestsPerMinute ?? 5;
  const plan = canaryPlan(scenario);
  const canaryRate = scenario.baselineTimeoutRate * (1 + scenario.regression);
  // Per user: arm (-1 not exposed yet, 0 control, 1 canary) and cumulative timeouts / requests.
  const inCanary = new Uint8Array(population);
  for (let user = 0; user < population; user++) inCanary[user] = random() < scenario.canaryShare ? 1 : 0;
  const exposed = new Uint8Array(population);
  const timeouts = new Float64Array(population);
  const made = new Float64Array(population);
  const arms = [emptyArmStats(), emptyArmStats()];
  let srmHolds = 0;
  let last: StageAssessment | undefined;
  for (let minute = 1; minute <= scenario.minutes; minute++) {
    // The minute's active users, drawn uniformly (with replacement: a user drawn twice is busier).
    for (let draw = 0; draw < scenario.activePerMinute; draw++) {
      const user = Math.floor(random() * population);
      const arm = inCanary[user] as 0 | 1;
      const stats = arms[arm] as ReturnType<typeof emptyArmStats>;
      const y0 = timeouts[user] as number;
      const d0 = made[user] as number;
      if (!exposed[user]) {
        exposed[user] = 1;
        stats.n += 1;
      }
      const y1 = y0 + binomial(requests, arm ? canaryRate : scenario.baselineTimeoutRate, random());
      const d1 = d0 + requests;
      timeouts[user] = y1;
      made[user] = d1;
      stats.sumY += y1 - y0;
      stats.sumY2 += y1 * y1 - y0 * y0;
      stats.sumD += d1 - d0;
      stats.sumD2 += d1 * d1 - d0 * d0;
      stats.sumYD += y1 * d1 - y0 * d0;
    }
    const [control, canary] = arms as [ReturnType<typeof emptyArmStats>, ReturnType<typeof emptyArmStats>];
    const stage = plan.stages[0] as StoredReleasePlan['stages'][number];
    const comparison: Comparison = {
      control: { arm: `${stage.ruleId}:false`, name: 'fail', units: control.n },
      treatment: { arm: `${stage.ruleId}:true`, name: 'pass', units: canary.n },
      rule: stage.ruleId,
      srm: checkSampleRatio([control.n, canary.n], [1 - scenario.canaryShare, scenario.canaryShare]),
      metrics: [
        {
          ...compareMetric(TIMEOUT_METRIC, control, canary, {
            alpha: plan.alpha / stage.guardrails.length,
            cuped: false,
            sequential: true,
            nStar: plan.nStar,
          }),
          cap: null,
        },
      ],
    };
    last = assessStage(plan, comparison, minute * 60_000);
    if (last.verdict === 'sample_ratio_mismatch') srmHolds += 1;
    if (last.outcome === 'rollback') {
      return { rolledBackAt: minute, canaryUnits: canary.n, controlUnits: control.n, srmHolds, last };
    }
  }
  return {
    rolledBackAt: null,
    canaryUnits: arms[1]?.n ?? 0,
    controlUnits: arms[0]?.n ?? 0,
    srmHolds,
    last: last as StageAssessment,
  };
}
