/**
 * The wire shapes the console reads, written from the server's route schemas
 * (packages/server/src/routes, served as /api/v1/openapi.json). The console talks to the API
 * only, so these are declared here rather than imported from the server.
 */

import type { EnvironmentPolicy } from './access-types.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Condition {
  type: string;
  field?: string;
  operator?: string;
  value?: Json;
  idType?: string;
  salt?: string;
}

export interface Rule {
  id?: string;
  salt?: string;
  name: string;
  conditions: Condition[];
  passPercentage: number;
  environments: string[] | null;
}

export interface ConfigRule extends Rule {
  value: JsonObject;
}

/** Every authored object carries these. */
export interface Versioned {
  name: string;
  version: number;
  createdAt: number;
  updatedAt: number;
  description: string;
  tags: string[];
  owner: string | null;
}

export interface Stage {
  ruleId: string;
  name: string;
  segment: string | null;
  percentage: number | null;
  minDurationMinutes: number;
  minUnits: number;
  guardrails: string[];
}

export type ReleaseStatus = 'active' | 'paused' | 'rolled_back' | 'completed';
export type RegressionAction = 'kill' | 'previous_stage';

export interface ReleasePlan {
  stages: Stage[];
  environment: string;
  autoAdvance: boolean;
  onRegression: RegressionAction;
  alpha: number;
  nStar: number;
  salt: string;
  current: number;
  stageStartedAt: number;
  status: ReleaseStatus;
  lastRollback: { at: number; fromStage: number; action: RegressionAction; evidence: unknown } | null;
}

export interface StageInput {
  name: string;
  segment?: string;
  percentage?: number;
  minDurationMinutes: number;
  minUnits: number;
  guardrails: string[];
}

export interface ReleasePlanInput {
  stages: StageInput[];
  environment: string;
  autoAdvance: boolean;
  onRegression: RegressionAction;
  alpha: number;
}

export interface Gate extends Versioned {
  enabled: boolean;
  idType: string;
  salt: string;
  rules: Rule[];
  releasePlan: ReleasePlan | null;
  disabledIn: string[];
}

export interface Segment extends Versioned {
  idType: string;
  rules: Rule[];
  idList: string | null;
}

export interface DynamicConfig extends Versioned {
  enabled: boolean;
  idType: string;
  defaultValue: JsonObject;
  rules: ConfigRule[];
}

export type ExperimentStatus = 'draft' | 'running' | 'stopped' | 'shipped';

export interface ExperimentGroup {
  id?: string;
  name: string;
  weight: number;
  parameters: JsonObject;
}

/** Units that always get a group (the team testing each variant), checked before allocation. */
export interface ExperimentOverride {
  group: string;
  ids: string[];
  /** Unit type of `ids`; the experiment's when absent. */
  idType?: string;
}

export interface Experiment extends Versioned {
  hypothesis: string;
  idType: string;
  groups: ExperimentGroup[];
  allocationPercent: number;
  targetingGate: string | null;
  layer: string | null;
  defaultValue: JsonObject;
  overrides: ExperimentOverride[];
  status: ExperimentStatus;
  shippedGroup: string | null;
  startedAt: number | null;
  endedAt: number | null;
}

export interface Layer extends Versioned {
  idType: string;
  defaultValue: JsonObject;
}

export interface EventSelector {
  event: string;
  valueField: string;
  filters: { field: string; operator: string; values: (string | number | boolean)[] }[];
}

export interface Metric extends Versioned {
  type: 'event_count' | 'sum' | 'mean' | 'conversion' | 'ratio';
  numerator: EventSelector;
  denominator: EventSelector | null;
  numeratorAggregation: 'count' | 'sum';
  denominatorAggregation: 'count' | 'sum';
  direction: 'increase' | 'decrease';
  guardrail: boolean;
  winsorizePercentile: number | null;
  unitType: string;
}

export interface Environment {
  name: string;
  createdAt: number;
  /** Who may change it, and whether changes need approval; null (or absent): any editor. */
  policy?: EnvironmentPolicy | null;
}

export interface HistoryVersion<T> {
  version: number;
  createdAt: number;
  actor: string;
  data: T;
}

export interface GuardrailCheck {
  id: number;
  gate: string;
  environment: string;
  stageId: string;
  at: number;
  outcome: string;
  evidence: unknown;
}

export interface ScheduledChange {
  id: number;
  kind: string;
  name: string;
  action: string;
  body: Record<string, unknown>;
  runAt: number;
  status: 'pending' | 'running' | 'done' | 'failed' | 'cancelled';
  createdBy: string;
  createdAt: number;
  reason: string | null;
  firedAt: number | null;
  outcome: unknown;
}

export interface GateRelease {
  gate: string;
  version: number;
  enabled: boolean;
  disabledIn: string[];
  plan: ReleasePlan | null;
  stage: Stage | null;
  checks: GuardrailCheck[];
  scheduled: ScheduledChange[];
}

export interface PulseInterval {
  estimate: number;
  interval: [number | null, number | null];
  pValue: number;
  significant: boolean;
}

export type Verdict = 'improved' | 'regressed' | 'neutral' | 'unavailable';

export interface PulseMetric {
  metric: string;
  type: string;
  direction: string;
  guardrail: boolean;
  control: { units: number; mean: number | null };
  treatment: { units: number; mean: number | null };
  absolute: PulseInterval | null;
  relative: PulseInterval | null;
  cuped: boolean;
  sequential: boolean;
  verdict: Verdict;
  guardrailRegression: boolean | null;
  guardrailBound: number | null;
  bayesian: { chanceToWin: number; risk: { control: number; treatment: number } } | null;
  cap: number | null;
  reason?: string;
}

export interface PulseArm {
  arm: string;
  name: string;
  units: number;
}

export interface PulseComparison {
  control: PulseArm;
  treatment: PulseArm;
  rule?: string;
  srm: {
    expected: number[] | null;
    observed: number[];
    pValue: number | null;
    mismatch: boolean | null;
    reason?: string;
  };
  metrics: PulseMetric[];
}

export interface PulseResult {
  entity: { kind: 'gate' | 'experiment'; name: string };
  environment: string;
  through: string | null;
  options: { alpha: number; cuped: boolean; sequential: boolean; nStar?: number };
  comparisons: PulseComparison[];
}

export interface PulseSeries {
  granularity: 'day' | 'hour';
  days?: (PulseResult & { through: string })[];
  hours?: (PulseResult & { through: string })[];
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  kind: string;
  name: string;
  version: number | null;
  reason: string | null;
  diff: { before: unknown; after: unknown };
  revision: number | null;
}

export interface ApiKey {
  id: string;
  environment: string;
  kind: 'server' | 'client' | 'console';
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
  /** Console keys: `read` acts as a viewer, `write` as an admin. */
  access: 'read' | 'write';
}

export interface IdList {
  name: string;
  fileId: string;
  creationTime: number;
  size: number;
  entryCount: number;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface SdkInstances {
  environment: string;
  revision: number;
  instances: number;
  atCurrentRevision: number;
  byRevision: { revision: number; instances: number }[];
  bySdk: { sdkType: string; sdkVersion: string; instances: number }[];
}

export interface Convergence {
  instances: number;
  reached: number;
  p50Ms: number | null;
  p99Ms: number | null;
  p100Ms: number | null;
}

export interface ChangeWithConvergence {
  id: number;
  at: number;
  actor: string;
  action: string;
  kind: string;
  name: string;
  revision: number;
  reason: string | null;
  convergence: Convergence;
}

export interface ExplainedResult {
  name: string;
  value: boolean;
  json?: Record<string, unknown>;
  ruleID: string;
  ruleName: string;
  groupName: string | null;
  reason: string;
  dependsOn: { gate: string; value: boolean; ruleID: string }[];
}

export interface UserEvaluation {
  revision: number;
  gates: ExplainedResult[];
  segments: ExplainedResult[];
  configs: ExplainedResult[];
  experiments: ExplainedResult[];
  layers: ExplainedResult[];
}

export type WebhookFormat = 'json' | 'slack';

export interface Webhook {
  name: string;
  url: string;
  format: WebhookFormat;
  events: string[];
  enabled: boolean;
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  maxAttempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  lastAttemptAt: number | null;
  nextAttemptAt: number | null;
  deliveredAt: number | null;
}
