/**
 * Differential test: @switchyard/core against statsig-node 6.5.2's own evaluator, on the same
 * generated DCS JSON, for every generated user x every gate, config, experiment and layer.
 * Agreement must be 100% on the value, rule ID, group name, JSON value and secondary exposures
 * (compared as sets), and on "is experiment group"; for layers also on the allocated
 * experiment and the undelegated exposures. A disagreement prints the specs most affected and
 * a few cases with their users, so they can be replayed.
 *
 * Both sides get the same DCS JSON text, the same ID-list entries (8-character hashes, as our
 * server writes them), the same instant for `current_time` and the same `environment`.
 *
 * Runs: the users' own statsigEnvironment; statsig-node's `environment` option (and ours, set
 * identically); a DCS `default_environment` without `app_id`.
 */
import { type ConfigSpecs, createEvaluator, type EvaluationResult, idListEntryHash } from '@switchyard/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CONDITION_TYPES,
  dcsCoverage,
  generateSpecs,
  OPERATORS,
  type RuleMap,
  ruleMap,
} from './support/generate-specs.js';
import { EDGE_USERS, generateUsers, isIdentifiable } from './support/generate-users.js';
import { FIXED_NOW, idListMembers } from './support/pools.js';
import {
  networkAttempts,
  type OracleResult,
  releaseNetworkGuard,
  type SdkEvaluation,
  StatsigNodeOracle,
  withDateNow,
} from './support/statsig-node-oracle.js';

const SEED = 20_240_615;
const GENERATED_USERS = 10_000;
/** Disagreements printed in a failure message. */
const SHOWN = 12;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const generated = generateSpecs(SEED);
const users = [...EDGE_USERS, ...generateUsers(SEED + 1, GENERATED_USERS)];
const listMembers = idListMembers();
const ourIdLists = new Map(
  Object.entries(listMembers).map(([name, ids]) => [name, new Set(ids.map(idListEntryHash))]),
);
const experimentNames = new Set(
  generated.dcs.dynamic_configs.filter((spec) => spec.entity === 'experiment').map((spec) => spec.name),
);
const rules = ruleMap(generated.dcs);

/** The same specs with a DCS `default_environment` and no `app_id` (target_app reads null). */
function withDefaultEnvironment(dcs: ConfigSpecs): ConfigSpecs {
  const { app_id: _unused, ...rest } = dcs;
  return { ...rest, default_environment: 'development' };
}

interface Run {
  name: string;
  dcs: ConfigSpecs;
  environment?: Record<string, string>;
  /** Every `stride`-th user; the first run takes all of them. */
  stride: number;
}

const RUNS: Run[] = [
  { name: 'users’ own statsigEnvironment', dcs: generated.dcs, stride: 1 },
  {
    name: 'environment option',
    dcs: generated.dcs,
    environment: { tier: 'staging', Region: 'eu' },
    stride: 4,
  },
  { name: 'DCS default_environment, no app_id', dcs: withDefaultEnvironment(generated.dcs), stride: 8 },
];

type Kind = 'gate' | 'config' | 'experiment' | 'layer';

type Exposure = { gate: string; gateValue: string; ruleID: string };

/** One side's answer, reduced to the compared fields. */
interface Observation {
  value: boolean;
  ruleID: string;
  groupName: string | null;
  json: string;
  exposures: readonly Exposure[];
  isExperimentGroup: boolean;
  /** Layers only. */
  undelegated?: readonly Exposure[];
  allocated?: string | null;
}

const jsonText = new WeakMap<object, string>();

/** JSON with object keys sorted, so key order does not count as a difference. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'undefined';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/**
 * A JSON value as the SDKs expose it (a non-object reads as `{}`), in canonical text. Cached
 * by identity: both evaluators hand out the same object for a rule every time.
 */
function jsonOf(value: unknown): string {
  const object = value !== null && typeof value === 'object' ? value : {};
  let text = jsonText.get(object);
  if (text === undefined) {
    text = canonicalJson(object);
    jsonText.set(object, text);
  }
  return text;
}

const exposureKey = (e: Exposure) => `${e.gate}|${e.gateValue}|${e.ruleID}`;

/** Secondary exposures as a set: sorted distinct `gate|gateValue|ruleID` keys. */
function exposureSet(exposures: readonly Exposure[] | undefined): string[] {
  return [...new Set((exposures ?? []).map(exposureKey))].sort();
}

/** Equal as sets. Both sides normally list them in the same order, which is checked first. */
function sameExposures(a: readonly Exposure[] | undefined, b: readonly Exposure[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length === b.length) {
    let same = true;
    for (let i = 0; i < a.length && same; i++)
      same = exposureKey(a[i] as Exposure) === exposureKey(b[i] as Exposure);
    if (same) return true;
  }
  return exposureSet(a).join('\n') === exposureSet(b).join('\n');
}

function ours(result: EvaluationResult, kind: Kind): Observation {
  const observation: Observation = {
    value: result.value,
    ruleID: result.ruleID,
    groupName: result.groupName,
    json: jsonOf(result.json),
    exposures: result.secondaryExposures,
    isExperimentGroup: result.isExperimentGroup,
  };
  if (kind === 'layer') {
    observation.undelegated = result.undelegatedSecondaryExposures;
    observation.allocated = result.allocatedExperimentName;
  }
  return observation;
}

/**
 * statsig-node's answer: rule ID and group name as its public objects report them, the value
 * (gates: the public boolean), JSON value, exposures and delegate from its evaluation. The
 * JSON value is read as DynamicConfig/Layer expose it (non-objects become `{}`).
 */
function theirs(result: OracleResult, kind: Kind): Observation | string {
  const evaluation: SdkEvaluation | null = result.evaluation;
  if (!evaluation) return 'statsig-node returned without evaluating (error boundary?)';
  if (
    evaluation.rule_id !== result.publicRuleID ||
    (evaluation.group_name ?? null) !== result.publicGroupName
  ) {
    return `captured evaluation (${evaluation.rule_id}) is not the public result (${result.publicRuleID})`;
  }
  const observation: Observation = {
    value: kind === 'gate' ? result.publicValue === true : evaluation.value === true,
    ruleID: result.publicRuleID,
    groupName: result.publicGroupName,
    json: jsonOf(evaluation.json_value),
    exposures: evaluation.secondary_exposures ?? [],
    isExperimentGroup: evaluation.is_experiment_group === true,
  };
  if (kind === 'layer') {
    observation.undelegated = evaluation.undelegated_secondary_exposures ?? [];
    observation.allocated = evaluation.config_delegate ?? null;
  }
  return observation;
}

interface Disagreement {
  run: string;
  kind: Kind;
  name: string;
  userIndex: number;
  fields: string[];
  ours: Observation;
  statsig: Observation | string;
}

function differingFields(a: Observation, b: Observation): string[] {
  const fields: string[] = [];
  for (const key of ['value', 'ruleID', 'groupName', 'json', 'isExperimentGroup', 'allocated'] as const) {
    if (a[key] !== b[key]) fields.push(key);
  }
  if (!sameExposures(a.exposures, b.exposures)) fields.push('exposures');
  if (!sameExposures(a.undelegated, b.undelegated)) fields.push('undelegated');
  return fields;
}

/** An observation with exposures as sorted key lists, for printing. */
function printable(observation: Observation | string) {
  if (typeof observation === 'string') return observation;
  return {
    ...observation,
    exposures: exposureSet(observation.exposures),
    ...(observation.undelegated && { undelegated: exposureSet(observation.undelegated) }),
  };
}

/** JSON with lone surrogates and control characters escaped, cut to `max` characters. */
function show(value: unknown, max = 400): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function report(disagreements: Disagreement[], total: number, bySpec: Map<string, number>): string {
  if (disagreements.length === 0) return 'no disagreements';
  const worst = [...bySpec].sort((a, b) => b[1] - a[1]).slice(0, 16);
  const lines = [
    `${total} disagreement(s); most in: ${worst.map(([name, count]) => `${name} (${count})`).join(', ')}`,
    `first ${disagreements.length} (one per spec, at most two per user):`,
  ];
  for (const d of disagreements.slice(0, SHOWN)) {
    lines.push(
      `- [${d.run}] ${d.kind} ${d.name} user #${d.userIndex} ${show(users[d.userIndex])}`,
      `    differs in: ${d.fields.join(', ')}`,
      `    ours:    ${show(printable(d.ours), 600)}`,
      `    statsig: ${show(printable(d.statsig), 600)}`,
    );
  }
  return lines.join('\n');
}

/**
 * Per spec, what statsig-node answered across the first run's users: rule ID -> bit mask of
 * values seen (1: true, 2: false). Feeds the "exercised both ways" checks.
 */
const outcomes = new Map<string, Map<string, number>>();

/** The whole comparison without allocating; `ours`/`theirs` only run to explain a difference. */
function agrees(mine: EvaluationResult, sdk: OracleResult, kind: Kind): boolean {
  const evaluation = sdk.evaluation;
  if (!evaluation || evaluation.rule_id !== sdk.publicRuleID) return false;
  if ((evaluation.group_name ?? null) !== sdk.publicGroupName) return false;
  const value = kind === 'gate' ? sdk.publicValue === true : evaluation.value === true;
  if (mine.value !== value || mine.ruleID !== sdk.publicRuleID || mine.groupName !== sdk.publicGroupName) {
    return false;
  }
  if (mine.isExperimentGroup !== (evaluation.is_experiment_group === true)) return false;
  if (jsonOf(mine.json) !== jsonOf(evaluation.json_value)) return false;
  if (!sameExposures(mine.secondaryExposures, evaluation.secondary_exposures ?? [])) return false;
  if (kind !== 'layer') return true;
  return (
    mine.allocatedExperimentName === (evaluation.config_delegate ?? null) &&
    sameExposures(mine.undelegatedSecondaryExposures, evaluation.undelegated_secondary_exposures ?? [])
  );
}

let totalComparisons = 0;

afterAll(() => {
  releaseNetworkGuard();
});

describe('differential: @switchyard/core vs statsig-node 6.5.2', () => {
  it('generates a DCS that uses every condition type and operator', () => {
    const coverage = dcsCoverage(generated.dcs);
    expect([...CONDITION_TYPES].filter((type) => !coverage.types.has(type))).toEqual([]);
    expect([...OPERATORS].filter((operator) => !coverage.operators.has(operator))).toEqual([]);
    for (const percentage of [0, 0.5, 33.33, 50, 100]) expect(coverage.passPercentages).toContain(percentage);
    expect([...coverage.passPercentages].filter((p) => !Number.isInteger(p)).length).toBeGreaterThanOrEqual(
      4,
    );
    for (const unitType of ['userID', 'stableID', 'companyID', 'CompanyID'])
      expect(coverage.unitTypes).toContain(unitType);
    for (const entity of ['feature_gate', 'segment', 'holdout', 'dynamic_config', 'experiment', 'layer']) {
      expect(coverage.entities).toContain(entity);
    }
    expect(coverage.disabledSpecs).toBeGreaterThanOrEqual(3);
    expect(coverage.configDelegates).toBeGreaterThanOrEqual(5);
    expect(coverage.experimentGroupRules).toBeGreaterThanOrEqual(10);
    expect(coverage.nestedGateReferences).toBeGreaterThanOrEqual(30);
    expect(coverage.segmentReferences).toBeGreaterThanOrEqual(1);
    // Deterministic: the same seed yields the same JSON.
    expect(JSON.stringify(generateSpecs(SEED).dcs)).toBe(JSON.stringify(generated.dcs));
  });

  it('generates at least 10,000 identifiable users of every awkward shape', () => {
    expect(users.length).toBeGreaterThanOrEqual(10_000);
    // statsig-node refuses unidentifiable users without evaluating them (see generate-users.ts).
    expect(users.filter((user) => !isIdentifiable(user))).toEqual([]);
    const ids = users.map((user) => user.userID);
    const strings = ids.filter((id): id is string => typeof id === 'string');
    const count = (predicate: (id: string) => boolean) => strings.filter(predicate).length;
    expect(count((id) => /[\u3040-\u30ff\u4e00-\u9fff]/.test(id))).toBeGreaterThan(50);
    expect(count((id) => /\p{Extended_Pictographic}/u.test(id))).toBeGreaterThan(50);
    expect(count((id) => /\p{M}/u.test(id))).toBeGreaterThan(50);
    expect(count((id) => LONE_SURROGATE.test(id))).toBeGreaterThan(50);
    expect(count((id) => id === '')).toBeGreaterThan(10);
    expect(ids.filter((id) => typeof id === 'number').length).toBeGreaterThan(50);
    expect(users.filter((user) => user.userID === undefined && user.customIDs).length).toBeGreaterThan(100);
    const customKeys = new Set(users.flatMap((user) => Object.keys(user.customIDs ?? {})));
    for (const key of ['companyID', 'CompanyID', 'companyid', 'stableID', 'StableID'])
      expect(customKeys).toContain(key);
    const types = (read: (user: (typeof users)[number]) => unknown) =>
      new Set(users.map(read).map((v) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v)));
    expect(types((user) => user.email)).toEqual(
      new Set(['string', 'number', 'boolean', 'array', 'object', 'null', 'undefined']),
    );
    expect(types((user) => user.custom?.level)).toEqual(
      new Set(['string', 'number', 'boolean', 'array', 'null', 'undefined']),
    );
  });

  for (const run of RUNS) {
    it(`agrees on value, rule ID, group, JSON and exposures: ${run.name}`, async () => {
      // Both sides read the same JSON text: statsig-node as bootstrapValues, ours parsed.
      const json = JSON.stringify(run.dcs);
      const oracle = await StatsigNodeOracle.create(json, {
        idLists: Object.fromEntries(ourIdLists),
        ...(run.environment && { environment: run.environment }),
      });
      const evaluator = createEvaluator(JSON.parse(json) as ConfigSpecs, {
        idLists: ourIdLists,
        clock: () => FIXED_NOW,
        ...(run.environment && { environment: run.environment }),
      });
      // The generator includes unsupported specs on purpose; nothing else may be reported.
      const reported = evaluator.diagnostics;
      expect(reported.filter((problem) => !problem.includes(' is unsupported: '))).toEqual([]);
      expect(reported.length).toBeGreaterThan(0);

      const specs: [Kind, string][] = [
        ...generated.gateNames.map((name): [Kind, string] => ['gate', name]),
        ...generated.configNames.map((name): [Kind, string] => [
          experimentNames.has(name) ? 'experiment' : 'config',
          name,
        ]),
        ...generated.layerNames.map((name): [Kind, string] => ['layer', name]),
        // Names no spec has in that namespace, including names of Object.prototype members
        // (statsig-node keeps specs in plain objects).
        ['gate', 'no_such_gate'],
        ['gate', 'config_basic'],
        ['config', 'no_such_config'],
        ['layer', 'no_such_layer'],
        ['gate', 'constructor'],
        ['config', 'toString'],
        ['layer', '__proto__'],
      ];
      const seen = specs.map(([, name]) => {
        const byRule = outcomes.get(name) ?? new Map<string, number>();
        outcomes.set(name, byRule);
        return byRule;
      });
      const recordOutcomes = run.stride === 1;
      const disagreements: Disagreement[] = [];
      const bySpec = new Map<string, number>();
      let mismatches = 0;
      let comparisons = 0;
      try {
        withDateNow(FIXED_NOW, () => {
          for (let userIndex = 0; userIndex < users.length; userIndex += run.stride) {
            const user = users[userIndex] as (typeof users)[number];
            // statsig-node writes statsigEnvironment into the user it is given: hand it a copy.
            const sdkUser = { ...user };
            for (let specIndex = 0; specIndex < specs.length; specIndex++) {
              const [kind, name] = specs[specIndex] as [Kind, string];
              let mine: EvaluationResult;
              let sdk: OracleResult;
              if (kind === 'gate') {
                mine = evaluator.checkGate(user, name);
                sdk = oracle.checkGate(sdkUser, name);
              } else if (kind === 'layer') {
                mine = evaluator.getLayer(user, name);
                sdk = oracle.getLayer(sdkUser, name);
              } else {
                mine =
                  kind === 'experiment'
                    ? evaluator.getExperiment(user, name)
                    : evaluator.getConfig(user, name);
                sdk = oracle.getConfig(sdkUser, name, kind === 'experiment');
              }
              comparisons++;
              if (recordOutcomes && sdk.evaluation) {
                const byRule = seen[specIndex] as Map<string, number>;
                const ruleID = sdk.evaluation.rule_id;
                byRule.set(ruleID, (byRule.get(ruleID) ?? 0) | (sdk.evaluation.value ? 1 : 2));
              }
              if (agrees(mine, sdk, kind)) continue;
              mismatches++;
              bySpec.set(name, (bySpec.get(name) ?? 0) + 1);
              // Spread the examples: one per spec, two per user.
              const shownForUser = disagreements.filter((d) => d.userIndex === userIndex).length;
              const shownForSpec = disagreements.some((d) => d.name === name);
              if (disagreements.length < SHOWN && shownForUser < 2 && !shownForSpec) {
                const a = ours(mine, kind);
                const b = theirs(sdk, kind);
                const fields = typeof b === 'string' ? ['statsig-node'] : differingFields(a, b);
                disagreements.push({ run: run.name, kind, name, userIndex, fields, ours: a, statsig: b });
              }
            }
          }
        });
      } finally {
        await oracle.shutdown();
      }
      totalComparisons += comparisons;
      console.info(
        `[differential] ${run.name}: ${comparisons} comparisons (${Math.ceil(users.length / run.stride)} users x ${specs.length} specs), ${mismatches} disagreements`,
      );
      expect(oracle.logged).toEqual([]);
      expect(comparisons).toBeGreaterThan(run.stride === 1 ? 700_000 : 80_000);
      expect(mismatches, report(disagreements, mismatches, bySpec)).toBe(0);
    });
  }

  it('exercised every operator and condition type both ways, and most gates both ways', () => {
    expect(outcomes.size).toBeGreaterThan(0);
    const { hit, missed } = probeOutcomes(rules);
    const notBothWays = (names: readonly string[]) => names.filter((n) => !(hit.has(n) && missed.has(n)));
    expect(notBothWays(OPERATORS)).toEqual([]);
    expect(notBothWays(CONDITION_TYPES.filter((type) => type !== 'public'))).toEqual([]);
    // Fuzz, disabled and unsupported gates may well be constant; the designed ones should not be.
    const designed = generated.gateNames.filter((name) => /^(cov|composite|nesting|rollout)_/.test(name));
    const bothWays = designed.filter((name) => {
      let mask = 0;
      for (const values of outcomes.get(name)?.values() ?? []) mask |= values;
      return mask === 3;
    });
    expect(bothWays.length / designed.length).toBeGreaterThan(0.8);
  });

  it('ran offline and reported its size', () => {
    expect(networkAttempts).toEqual([]);
    console.info(
      `[differential] total: ${totalComparisons} comparisons; ${users.length} users; ` +
        `${generated.gateNames.length} gates, ${generated.configNames.length} configs/experiments, ` +
        `${generated.layerNames.length} layers`,
    );
    expect(totalComparisons).toBeGreaterThan(1_000_000);
  });
});

/**
 * A rule with one deciding condition was "hit" when statsig-node's result names it, and
 * "missed" when the result names a later rule or the default (the user reached the rule and
 * its condition failed). Collected by operator and by condition type.
 */
function probeOutcomes(map: RuleMap): { hit: Set<string>; missed: Set<string> } {
  const hit = new Set<string>();
  const missed = new Set<string>();
  for (const [spec, probes] of map.probes) {
    const counts = outcomes.get(spec);
    const indexOf = map.indexOf.get(spec);
    const ruleCount = map.ruleCount.get(spec) ?? 0;
    if (!counts || !indexOf) continue;
    for (const ruleID of counts.keys()) {
      const matched = ruleID === 'default' ? ruleCount : indexOf.get(ruleID);
      if (matched === undefined) continue;
      for (const probe of probes) {
        const into = probe.index === matched ? hit : probe.index < matched ? missed : null;
        if (!into) continue;
        into.add(probe.type);
        if (probe.operator) into.add(probe.operator);
      }
    }
  }
  return { hit, missed };
}
