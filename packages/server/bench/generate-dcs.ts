/**
 * A Statsig-shaped download_config_specs payload for the server benchmark, generated from a
 * seed so every run loads the same project: feature gates with a few targeting rules and
 * partial rollouts, and experiments in layers (user_bucket allocation, as Statsig compiles them).
 */

export interface DcsShape {
  gates: number;
  experiments: number;
  /** Experiments per layer; the last layer may hold fewer. */
  experimentsPerLayer: number;
}

export interface GeneratedDcs {
  feature_gates: Record<string, unknown>[];
  dynamic_configs: Record<string, unknown>[];
  layer_configs: Record<string, unknown>[];
  layers: Record<string, string[]>;
  has_updates: true;
  time: number;
}

/** A benchmark user: what the gates' conditions read. */
export interface BenchUser {
  userID: string;
  email: string;
  country: string;
  appVersion: string;
  custom: { plan: string; level: number };
}

export const COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'BR', 'IN', 'JP', 'AU', 'NZ'] as const;
export const PLANS = ['free', 'pro', 'team', 'enterprise'] as const;
export const EMPLOYEE_DOMAIN = '@example.com';
/** Layer buckets, as Statsig's layer allocation (user_bucket over 1000 buckets with the layer salt). */
const LAYER_BUCKETS = 1000;

/** mulberry32: a small seeded generator, so the payload is identical from run to run. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[], count: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < count && pool.length > 0) {
    out.push(pool.splice(Math.floor(random() * pool.length), 1)[0] as T);
  }
  return out;
}

function salt(random: () => number): string {
  const hex = () =>
    Math.floor(random() * 0x10000)
      .toString(16)
      .padStart(4, '0');
  return `${hex()}${hex()}-${hex()}-4${hex().slice(1)}-a${hex().slice(1)}-${hex()}${hex()}${hex()}`;
}

function condition(
  type: string,
  operator: string | null,
  field: string | null,
  targetValue: unknown,
  additionalValues: Record<string, unknown> = {},
) {
  return { type, targetValue, operator, field, additionalValues, isDeviceBased: false, idType: 'userID' };
}

function rule(
  id: string,
  passPercentage: number,
  conditions: unknown[],
  returnValue: unknown,
  ruleSalt: string,
  extra: Record<string, unknown> = {},
) {
  return {
    name: id,
    passPercentage,
    conditions,
    returnValue,
    id,
    salt: ruleSalt,
    isDeviceBased: false,
    idType: 'userID',
    ...extra,
  };
}

function gateName(index: number): string {
  return `bench_gate_${String(index).padStart(3, '0')}`;
}

function generateGate(index: number, random: () => number): Record<string, unknown> {
  const id = (n: number) => `g${index}r${n}`;
  const rules = [
    rule(
      id(0),
      100,
      [condition('user_field', 'str_contains_any', 'email', [EMPLOYEE_DOMAIN])],
      true,
      salt(random),
    ),
  ];
  // Every tenth gate depends on an earlier one, so responses carry secondary exposures.
  if (index % 10 === 9) {
    rules.push(rule(id(1), 100, [condition('pass_gate', 'any', null, gateName(index - 1))], true, ''));
  }
  rules.push(
    rule(
      id(2),
      Math.round(10 + random() * 80),
      [condition('user_field', 'any', 'country', pick(random, COUNTRIES, 3))],
      true,
      salt(random),
    ),
    rule(
      id(3),
      Math.round(5 + random() * 45),
      [
        condition('user_field', 'version_gte', 'appVersion', `2.${Math.floor(random() * 10)}.0`),
        condition('user_field', 'any', 'plan', pick(random, PLANS, 2)),
      ],
      true,
      salt(random),
    ),
    rule(id(4), Math.round(1 + random() * 20), [condition('public', null, null, null)], true, salt(random)),
  );
  return {
    name: gateName(index),
    type: 'feature_gate',
    salt: salt(random),
    enabled: true,
    defaultValue: false,
    rules,
    isDeviceBased: false,
    idType: 'userID',
    entity: 'feature_gate',
  };
}

interface Experiment {
  name: string;
  layer: string;
  layerSalt: string;
  buckets: number[];
  parameter: string;
}

function generateExperiment(experiment: Experiment, index: number, random: () => number) {
  const experimentSalt = salt(random);
  const defaults = { [experiment.parameter]: 'default' };
  const groups = [
    { name: 'Control', upTo: 500, value: 'control' },
    { name: 'Test', upTo: 1000, value: 'test' },
  ];
  const rules: unknown[] = [
    // Users outside the experiment's share of the layer get the default value.
    rule(
      'layerAssignment',
      100,
      [condition('user_bucket', 'none', null, experiment.buckets, { salt: experiment.layerSalt })],
      defaults,
      '',
    ),
  ];
  // Some experiments target: users in a gate get the default too.
  if (index % 3 === 0) {
    rules.push(
      rule('targetingGate', 100, [condition('fail_gate', null, null, gateName(index * 5))], defaults, ''),
    );
  }
  groups.forEach((group, n) => {
    const groupId = `x${index}g${n}`;
    rules.push(
      rule(
        groupId,
        100,
        [condition('user_bucket', 'lt', null, group.upTo, { salt: experimentSalt })],
        { [experiment.parameter]: group.value },
        groupId,
        { groupName: group.name, isExperimentGroup: true },
      ),
    );
  });
  return {
    name: experiment.name,
    type: 'dynamic_config',
    salt: experimentSalt,
    enabled: true,
    defaultValue: defaults,
    rules,
    isDeviceBased: false,
    idType: 'userID',
    entity: 'experiment',
    isActive: true,
    hasSharedParams: true,
    explicitParameters: [experiment.parameter],
  };
}

/**
 * The payload for `POST /api/v1/import/statsig`.
 *
 * @example
 * const dcs = generateDcs({ gates: 300, experiments: 50, experimentsPerLayer: 5 });
 * dcs.feature_gates.length; // 300
 */
export function generateDcs(shape: DcsShape, seed = 20240601): GeneratedDcs {
  const random = createRandom(seed);
  const featureGates = Array.from({ length: shape.gates }, (_, index) => generateGate(index, random));
  const experiments: Experiment[] = [];
  const layerConfigs: Record<string, unknown>[] = [];
  const layers: Record<string, string[]> = {};
  const layerCount = Math.ceil(shape.experiments / shape.experimentsPerLayer);
  for (let layerIndex = 0; layerIndex < layerCount; layerIndex++) {
    const layer = `bench_layer_${layerIndex}`;
    const layerSalt = salt(random);
    const members = Math.min(shape.experimentsPerLayer, shape.experiments - experiments.length);
    // Each experiment gets a random, disjoint share of the layer's buckets; a tenth stays unallocated.
    const buckets = pick(
      random,
      Array.from({ length: LAYER_BUCKETS }, (_, n) => n),
      LAYER_BUCKETS,
    );
    const share = Math.floor((LAYER_BUCKETS * 0.9) / members);
    const parameters = Array.from({ length: members }, (_, n) => `param_${n}`);
    const delegations: unknown[] = [];
    const names: string[] = [];
    for (let n = 0; n < members; n++) {
      const experiment: Experiment = {
        name: `bench_experiment_${String(experiments.length).padStart(2, '0')}`,
        layer,
        layerSalt,
        buckets: buckets.slice(n * share, (n + 1) * share).sort((a, b) => a - b),
        parameter: parameters[n] as string,
      };
      experiments.push(experiment);
      names.push(experiment.name);
      delegations.push(
        rule(
          'experimentAssignment',
          100,
          [condition('user_bucket', 'any', null, experiment.buckets, { salt: layerSalt })],
          Object.fromEntries(parameters.map((parameter) => [parameter, 'default'])),
          '',
          { configDelegate: experiment.name },
        ),
      );
    }
    layers[layer] = names;
    layerConfigs.push({
      name: layer,
      type: 'dynamic_config',
      salt: layerSalt,
      enabled: true,
      defaultValue: Object.fromEntries(parameters.map((parameter) => [parameter, 'default'])),
      rules: delegations,
      isDeviceBased: false,
      idType: 'userID',
      entity: 'layer',
    });
  }
  return {
    feature_gates: featureGates,
    dynamic_configs: experiments.map((experiment, index) => generateExperiment(experiment, index, random)),
    layer_configs: layerConfigs,
    layers,
    has_updates: true,
    time: 1_717_200_000_000,
  };
}

/**
 * The n-th distinct benchmark user: a stable mix of countries, plans, app versions, and one
 * employee in fifty (who passes every gate's first rule).
 */
export function benchUser(n: number): BenchUser {
  return {
    userID: `user-${n}`,
    email: n % 50 === 0 ? `user-${n}${EMPLOYEE_DOMAIN}` : `user-${n}@mail.test`,
    country: COUNTRIES[n % COUNTRIES.length] as string,
    appVersion: `2.${n % 10}.${n % 7}`,
    custom: { plan: PLANS[n % PLANS.length] as string, level: n % 100 },
  };
}
