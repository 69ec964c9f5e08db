import { createEvaluator, type EvaluationResult, type Spec, type StatsigUser } from '@switchyard/core';
import type { Snapshot } from './config-snapshots.js';

/** One spec's result for a user, with the rule that decided it, for people (the console's "evaluate as user"). */
export interface ExplainedResult {
  name: string;
  /** Gates: the answer; others: whether the deciding rule passed. */
  value: boolean;
  /** Configs, experiments and layers: the JSON the user gets. */
  json?: Record<string, unknown>;
  ruleID: string;
  /** The deciding rule's name, or what `ruleID` means (`default`, `disabled`...). */
  ruleName: string;
  groupName: string | null;
  reason: EvaluationResult['reason'];
  /** Gates this result read on the way (pass_gate conditions, segments, targeting). */
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

const SEGMENT_PREFIX = 'segment:';

function ruleName(spec: Spec, ruleID: string): string {
  if (ruleID === 'default') return 'default (no rule matched)';
  if (ruleID === 'disabled') return 'disabled (kill switch)';
  if (ruleID === '') return 'not evaluated';
  return spec.rules.find((rule) => rule.id === ruleID)?.name ?? ruleID;
}

function explain(spec: Spec, result: EvaluationResult, withJson: boolean): ExplainedResult {
  return {
    name: spec.name,
    value: result.value,
    ...(withJson && { json: result.json }),
    ruleID: result.ruleID,
    ruleName: ruleName(spec, result.ruleID),
    groupName: result.groupName,
    reason: result.reason,
    dependsOn: result.secondaryExposures.map((exposure) => ({
      gate: exposure.gate,
      value: exposure.gateValue === 'true',
      ruleID: exposure.ruleID,
    })),
  };
}

/**
 * Every gate, segment, config, experiment and layer of an environment for one user, with the
 * rule that decided each: the same core and specs the SDKs use, so what people see here is what
 * the apps get.
 */
export function evaluateUser(snapshot: Snapshot, user: StatsigUser): UserEvaluation {
  const evaluator = createEvaluator(snapshot.specs, snapshot.idLists ? { idLists: snapshot.idLists } : {});
  const bound = evaluator.bindUser(user);
  const gates = snapshot.specs.feature_gates ?? [];
  const configs = snapshot.specs.dynamic_configs ?? [];
  return {
    revision: snapshot.revision,
    gates: gates
      .filter((spec) => !spec.name.startsWith(SEGMENT_PREFIX))
      .map((spec) => explain(spec, bound.checkGate(spec.name), false)),
    segments: gates
      .filter((spec) => spec.name.startsWith(SEGMENT_PREFIX))
      .map((spec) => explain(spec, bound.checkGate(spec.name), false)),
    configs: configs
      .filter((spec) => spec.entity !== 'experiment' && spec.entity !== 'autotune')
      .map((spec) => explain(spec, bound.getConfig(spec.name), true)),
    experiments: configs
      .filter((spec) => spec.entity === 'experiment' || spec.entity === 'autotune')
      .map((spec) => explain(spec, bound.getConfig(spec.name), true)),
    layers: (snapshot.specs.layer_configs ?? []).map((spec) =>
      explain(spec, bound.getLayer(spec.name), true),
    ),
  };
}
