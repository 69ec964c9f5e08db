/**
 * End to end for the kinds authored natively (segments, dynamic configs, layers, experiments),
 * with the real statsig-node 6.5.2 and @statsig/js-client against a server on 127.0.0.1:
 * statsig-node's answers for 2,000 generated users, and js-client's for 50 of them, must equal
 * @switchyard/core's evaluator over the DCS the server serves; allocations, group splits and
 * layer exclusivity must look as authored; a config's kill switch and shipping an experiment
 * (in a layer and outside one) reach statsig-node on a sync; nothing leaves 127.0.0.1.
 * Exposure storage is covered by statsig-node-compat.e2e.test.ts, so both SDKs log nothing here.
 */
import { isDeepStrictEqual } from 'node:util';
import { type StatsigUser as ClientUser, LogLevel, StatsigClient } from '@statsig/js-client';
import {
  type ConfigSpecs,
  createEvaluator,
  type EvaluationResult,
  type Evaluator,
  type StatsigUser,
} from '@switchyard/core';
import type { RunningServer } from '@switchyard/server';
import type { StatsigUser as SdkUser, StatsigServer } from 'statsig-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPLOYEE_DOMAIN, generateCompatUsers } from './support/compat-users.js';
import { consoleApi } from './support/console-api.js';
import { blockedRequests, loadStatsigNode, sdkRequests } from './support/statsig-node-network-guard.js';
import { startTestServer } from './support/test-server.js';

const SERVER_KEY = 'secret-authored-kinds-test';
const CLIENT_KEY = 'client-authored-kinds-test';
const CONSOLE_KEY = 'console-authored-kinds-test';
const USER_COUNT = 2_000;
/** Every 40th user goes through js-client: 50 users, staff among them. */
const CLIENT_EVERY = 40;
/** Mismatches printed in a failure message. */
const SHOWN = 10;

const SEGMENT = 'staff';
const GATE = 'early_access';
const CONFIG = 'pricing';
const CHECKOUT = 'checkout_flow';
const LAYER = 'storefront';
const BUTTON = 'button_test';
const PRICE = 'price_test';
const EXPERIMENTS = [CHECKOUT, BUTTON, PRICE];

const PRICING_DEFAULT = { price: 10, currency: 'USD' };
const STAFF_PRICING = { price: 0, currency: 'USD' };
const US_PRICING = { price: 12, currency: 'USD' };
const CHECKOUT_DEFAULT = { steps: 3, express: false };
const CHECKOUT_GROUPS = [
  { name: 'Control', weight: 34, parameters: { steps: 3, express: false } },
  { name: 'Express', weight: 33, parameters: { steps: 2, express: true } },
  { name: 'OnePage', weight: 33, parameters: { steps: 1, express: true } },
];
const LAYER_DEFAULT = { button_color: 'grey', price: 10 };
const PARAMS = Object.keys(LAYER_DEFAULT);
const SHIPPED_PRICE = { button_color: 'green', price: 8 };

const users = generateCompatUsers(USER_COUNT, 20_250_607);
/** Always OnePage, although the targeting gate (staff or north america) keeps them out. */
const OVERRIDDEN = users
  .filter((user) => !user.email?.toLowerCase().endsWith(EMPLOYEE_DOMAIN))
  .filter((user) => !['US', 'CA'].includes(user.country?.toUpperCase() ?? ''))
  .slice(0, 3)
  .map((user) => String(user.userID));
const sdkUser = (user: StatsigUser) => user as SdkUser;
const label = (user: StatsigUser) => JSON.stringify(user);

let server: RunningServer;
let statsig: StatsigServer;
const sdkLog: string[] = [];

const api = consoleApi(() => server.url, CONSOLE_KEY);

/** @switchyard/core over the DCS the server serves right now to the production server key. */
async function currentEvaluator(): Promise<Evaluator> {
  const response = await fetch(`${server.url}/v1/download_config_specs/${SERVER_KEY}.json`);
  expect(response.status).toBe(200);
  const evaluator = createEvaluator((await response.json()) as ConfigSpecs);
  expect(evaluator.diagnostics).toEqual([]);
  return evaluator;
}

interface Answer {
  value: unknown;
  ruleID: string;
  groupName?: string | null;
  allocatedExperiment?: string | null;
}
type Answers = Record<string, Answer>;

const layerValue = (get: (parameter: string) => unknown) =>
  Object.fromEntries(PARAMS.map((parameter) => [parameter, get(parameter) ?? null]));
const configAnswer = (result: EvaluationResult): Answer => ({
  value: result.json,
  ruleID: result.ruleID,
  groupName: result.groupName,
});

function oursFor(evaluator: Evaluator, user: StatsigUser): Answers {
  const gate = evaluator.checkGate(user, GATE);
  const layer = evaluator.getLayer(user, LAYER);
  return {
    [GATE]: { value: gate.value, ruleID: gate.ruleID },
    [CONFIG]: configAnswer(evaluator.getConfig(user, CONFIG)),
    ...Object.fromEntries(
      EXPERIMENTS.map((name) => [name, configAnswer(evaluator.getExperiment(user, name))]),
    ),
    [LAYER]: {
      value: layerValue((parameter) => layer.json[parameter]),
      ruleID: layer.ruleID,
      groupName: layer.groupName,
      allocatedExperiment: layer.allocatedExperimentName,
    },
  };
}

/** statsig-node's answers, and the names whose evaluation did not come from the network. */
function statsigNodeFor(user: StatsigUser): { answers: Answers; notNetwork: string[] } {
  const notNetwork: string[] = [];
  const gate = statsig.getFeatureGate(sdkUser(user), GATE);
  const config = (name: string, read: typeof statsig.getConfig): Answer => {
    const result = read.call(statsig, sdkUser(user), name);
    if (result.getEvaluationDetails()?.reason !== 'Network') notNetwork.push(name);
    return { value: result.value, ruleID: result.getRuleID(), groupName: result.getGroupName() };
  };
  const layer = statsig.getLayer(sdkUser(user), LAYER);
  if (layer.getEvaluationDetails()?.reason !== 'Network') notNetwork.push(LAYER);
  return {
    notNetwork,
    answers: {
      [GATE]: { value: statsig.checkGate(sdkUser(user), GATE), ruleID: gate.ruleID },
      [CONFIG]: config(CONFIG, statsig.getConfig),
      ...Object.fromEntries(EXPERIMENTS.map((name) => [name, config(name, statsig.getExperiment)])),
      [LAYER]: {
        value: layerValue((parameter) => layer.getValue(parameter)),
        ruleID: layer.getRuleID(),
        groupName: layer.getGroupName(),
        allocatedExperiment: layer.getAllocatedExperimentName() ?? null,
      },
    },
  };
}

/** Every user through statsig-node and core: core's answers, and where statsig-node differs. */
function compareStatsigNode(evaluator: Evaluator): { ours: Map<StatsigUser, Answers>; mismatches: string[] } {
  const ours = new Map<StatsigUser, Answers>();
  const mismatches: string[] = [];
  for (const user of users) {
    const expected = oursFor(evaluator, user);
    ours.set(user, expected);
    const { answers, notNetwork } = statsigNodeFor(user);
    for (const name of Object.keys(expected)) {
      if (!isDeepStrictEqual(answers[name], expected[name]) || notNetwork.includes(name)) {
        mismatches.push(
          `${name} ${label(user)}: statsig-node ${JSON.stringify(answers[name])}${notNetwork.includes(name) ? ' (not Network)' : ''}, ours ${JSON.stringify(expected[name])}`,
        );
      }
    }
  }
  return { ours, mismatches };
}

function expectNone(mismatches: string[]): void {
  expect(mismatches.length, mismatches.slice(0, SHOWN).join('\n')).toBe(0);
}

/**
 * part/whole within 5 binomial standard deviations of `nominal`: salts are new on every run, so
 * the split is a fresh random draw each time, and a tighter bound would fail now and then.
 */
function expectShare(what: string, part: number, whole: number, nominal: number): void {
  expect(whole, what).toBeGreaterThan(0);
  const tolerance = 5 * Math.sqrt((nominal * (1 - nominal)) / whole);
  expect(Math.abs(part / whole - nominal), `${what}: ${part}/${whole}`).toBeLessThan(tolerance);
}

const ship = (experiment: string, group: string) =>
  api<{ status: string }>('POST', `/experiments/${experiment}/ship`, { group });

describe('natively authored segments, configs, experiments and layers through statsig-node and js-client', () => {
  beforeAll(async () => {
    server = await startTestServer({ server: SERVER_KEY, client: CLIENT_KEY, console: CONSOLE_KEY });
    const staff = { type: 'pass_gate', value: `segment:${SEGMENT}` };
    await api('POST', '/segments', {
      name: SEGMENT,
      rules: [
        {
          name: 'company email',
          conditions: [{ field: 'email', operator: 'str_ends_with_any', value: [EMPLOYEE_DOMAIN] }],
        },
      ],
    });
    await api('POST', '/gates', {
      name: GATE,
      rules: [
        { name: 'staff', conditions: [staff] },
        { name: 'north america', conditions: [{ field: 'country', operator: 'any', value: ['US', 'CA'] }] },
      ],
    });
    await api('POST', '/configs', {
      name: CONFIG,
      defaultValue: PRICING_DEFAULT,
      rules: [
        { name: 'staff', conditions: [staff], value: STAFF_PRICING },
        {
          name: 'us half',
          conditions: [{ field: 'country', operator: 'any', value: ['US'] }],
          passPercentage: 50,
          value: US_PRICING,
        },
      ],
    });
    await api('POST', '/experiments', {
      name: CHECKOUT,
      groups: CHECKOUT_GROUPS,
      allocationPercent: 60,
      targetingGate: GATE,
      defaultValue: CHECKOUT_DEFAULT,
      overrides: [{ group: 'OnePage', ids: OVERRIDDEN }],
    });
    await api('POST', '/layers', { name: LAYER, defaultValue: LAYER_DEFAULT });
    // button_test sets a subset of the layer's parameters; price_test sets all of them.
    await api('POST', '/experiments', {
      name: BUTTON,
      layer: LAYER,
      allocationPercent: 40,
      groups: [
        { name: 'Control', weight: 50, parameters: { button_color: 'grey' } },
        { name: 'Blue', weight: 50, parameters: { button_color: 'blue' } },
      ],
    });
    await api('POST', '/experiments', {
      name: PRICE,
      layer: LAYER,
      allocationPercent: 50,
      groups: [
        { name: 'Control', weight: 50, parameters: LAYER_DEFAULT },
        { name: 'Discount', weight: 50, parameters: SHIPPED_PRICE },
      ],
    });
    for (const name of EXPERIMENTS) {
      const started = await api<{ status: string }>('POST', `/experiments/${name}/start`, {});
      expect(started.status).toBe('running');
    }

    const { StatsigServer } = loadStatsigNode();
    const record =
      (level: string) =>
      (...parts: unknown[]) =>
        sdkLog.push(`${level}: ${parts.map(String).join(' ')}`);
    statsig = new StatsigServer(SERVER_KEY, {
      api: `${server.url}/v1`,
      disableAllLogging: true,
      logger: { logLevel: 'warn', warn: record('warn'), error: record('error') },
    });
    const details = await statsig.initializeAsync();
    expect(details.error).toBeUndefined();
    expect(details).toMatchObject({ success: true, source: 'Network' });
  });

  afterAll(async () => {
    await statsig?.shutdownAsync();
    await server?.close();
  });

  let initial: Map<StatsigUser, Answers>;

  it('statsig-node equals @switchyard/core for 2,000 users on the gate, config, experiments and layer', async () => {
    const { ours, mismatches } = compareStatsigNode(await currentEvaluator());
    initial = ours; // the distribution checks below still run when statsig-node disagrees
    expectNone(mismatches);
  });

  it('targets, allocates and splits as authored', () => {
    const answers = users.map((user) => ({ user, got: initial.get(user) as Answers }));
    const staff = answers.filter((a) => a.user.email?.toLowerCase().endsWith(EMPLOYEE_DOMAIN));
    expect(staff.length).toBe(USER_COUNT / 50);

    // The segment reaches the gate and the config through pass_gate segment:staff.
    expect(staff.every((a) => a.got[GATE]?.value === true)).toBe(true);
    expect(staff.map((a) => a.got[CONFIG]?.value)).toEqual(staff.map(() => STAFF_PRICING));
    const us = answers.filter((a) => !staff.includes(a) && a.user.country?.toUpperCase() === 'US');
    const usPriced = us.filter((a) => isDeepStrictEqual(a.got[CONFIG]?.value, US_PRICING));
    expectShare('US pricing', usPriced.length, us.length, 0.5);
    const elsewhere = answers.filter((a) => !staff.includes(a) && a.user.country?.toUpperCase() !== 'US');
    expect(elsewhere.every((a) => isDeepStrictEqual(a.got[CONFIG]?.value, PRICING_DEFAULT))).toBe(true);

    // checkout_flow: overrides first, then 60% allocation, then the targeting gate, then groups.
    const overridden = answers.filter((a) => OVERRIDDEN.includes(String(a.user.userID)));
    expect(overridden.map((a) => a.got[CHECKOUT]?.groupName)).toEqual(OVERRIDDEN.map(() => 'OnePage'));
    expect(overridden.map((a) => a.got[GATE]?.value)).toEqual([false, false, false]);
    const rest = answers.filter((a) => !overridden.includes(a));
    const allocated = rest.filter((a) => a.got[CHECKOUT]?.ruleID !== 'layerAssignment');
    expectShare('allocated', allocated.length, rest.length, 0.6);
    const inGroups = allocated.filter((a) => a.got[CHECKOUT]?.groupName !== null);
    // Exactly the allocated users who pass the targeting gate get a group.
    expect(inGroups.map((a) => a.user.userID)).toEqual(
      allocated.filter((a) => a.got[GATE]?.value === true).map((a) => a.user.userID),
    );
    expect(inGroups.length).toBeGreaterThan(300);
    for (const group of CHECKOUT_GROUPS) {
      const members = inGroups.filter((a) => a.got[CHECKOUT]?.groupName === group.name);
      expectShare(group.name, members.length, inGroups.length, group.weight / 100);
      expect(members.every((a) => isDeepStrictEqual(a.got[CHECKOUT]?.value, group.parameters))).toBe(true);
    }
    const outside = rest.filter((a) => a.got[CHECKOUT]?.groupName === null);
    expect(outside.every((a) => isDeepStrictEqual(a.got[CHECKOUT]?.value, CHECKOUT_DEFAULT))).toBe(true);

    // The layer: at most one experiment per user, ~40% and ~50% of users, the rest on defaults.
    const inButton = answers.filter((a) => a.got[BUTTON]?.groupName != null);
    const inPrice = answers.filter((a) => a.got[PRICE]?.groupName != null);
    expect(inButton.filter((a) => inPrice.includes(a)).map((a) => a.user.userID)).toEqual([]);
    expectShare(BUTTON, inButton.length, USER_COUNT, 0.4);
    expectShare(PRICE, inPrice.length, USER_COUNT, 0.5);
    for (const a of answers) {
      const layer = a.got[LAYER] as Answer;
      const expected = inButton.includes(a) ? BUTTON : inPrice.includes(a) ? PRICE : null;
      expect(layer.allocatedExperiment ?? null, label(a.user)).toBe(expected);
      const value = expected ? a.got[expected]?.value : LAYER_DEFAULT;
      expect(layer.value, label(a.user)).toEqual(value);
      expect(Object.keys(value as object).sort(), label(a.user)).toEqual([...PARAMS].sort());
    }
    const blue = inButton.filter((a) => a.got[BUTTON]?.groupName === 'Blue');
    expectShare('Blue', blue.length, inButton.length, 0.5);
    expect(
      blue.every((a) => isDeepStrictEqual(a.got[LAYER]?.value, { button_color: 'blue', price: 10 })),
    ).toBe(true);
  });

  it('js-client (through /v1/initialize) shows the core evaluator values for 50 users', async () => {
    const sample = users.filter((_, index) => index % CLIENT_EVERY === 0);
    expect(sample.length).toBe(USER_COUNT / CLIENT_EVERY);
    const evaluator = await currentEvaluator();
    const [first, ...others] = sample as [StatsigUser, ...StatsigUser[]];
    const client = new StatsigClient(CLIENT_KEY, first as ClientUser, {
      networkConfig: { api: `${server.url}/v1`, sdkExceptionUrl: `${server.url}/v1/sdk_exception` },
      loggingEnabled: 'disabled',
      logLevel: LogLevel.Error,
    });
    const mismatches: string[] = [];
    const compare = (user: StatsigUser) => {
      // The server evaluates the user with the stableID js-client sends in statsigMetadata.
      const stableID = client.getContext().stableID;
      const ours = oursFor(evaluator, { ...user, customIDs: { ...(user.customIDs ?? {}), stableID } });
      // js-client does not expose a layer's allocated experiment.
      delete ours[LAYER]?.allocatedExperiment;
      const config = client.getDynamicConfig(CONFIG);
      const layer = client.getLayer(LAYER);
      const theirs: Answers = {
        [GATE]: { value: client.checkGate(GATE), ruleID: client.getFeatureGate(GATE).ruleID },
        [CONFIG]: { value: config.value, ruleID: config.ruleID, groupName: null },
        ...Object.fromEntries(
          EXPERIMENTS.map((name) => {
            const { value, ruleID, groupName } = client.getExperiment(name);
            return [name, { value, ruleID, groupName }];
          }),
        ),
        [LAYER]: {
          value: layerValue((parameter) => layer.get(parameter)),
          ruleID: layer.ruleID,
          groupName: layer.groupName,
        },
      };
      for (const name of Object.keys(ours)) {
        if (!isDeepStrictEqual(theirs[name], ours[name])) {
          mismatches.push(
            `${name} ${label(user)}: js-client ${JSON.stringify(theirs[name])}, ours ${JSON.stringify(ours[name])}`,
          );
        }
      }
      if (config.details.reason !== 'Network:Recognized')
        mismatches.push(`${label(user)}: ${config.details.reason}`);
    };
    try {
      expect(await client.initializeAsync()).toMatchObject({ success: true, source: 'Network', error: null });
      compare(first);
      for (const user of others) {
        expect(await client.updateUserAsync(user as ClientUser)).toMatchObject({
          success: true,
          source: 'Network',
        });
        compare(user);
      }
    } finally {
      await client.shutdown();
    }
    expectNone(mismatches);
    // The sample really covers in-group, unallocated and layer-delegated users.
    const sampled = sample.map((user) => initial.get(user) as Answers);
    expect(sampled.some((a) => a[CHECKOUT]?.groupName !== null)).toBe(true);
    expect(sampled.some((a) => a[CHECKOUT]?.ruleID === 'layerAssignment')).toBe(true);
    expect(sampled.some((a) => a[LAYER]?.allocatedExperiment === BUTTON)).toBe(true);
    expect(sampled.some((a) => a[LAYER]?.allocatedExperiment === PRICE)).toBe(true);
  });

  it('config kill switch: after a sync statsig-node gives everyone the default with rule "disabled"', async () => {
    await api('POST', `/configs/${CONFIG}/disable`, { reason: 'compat test' });
    await statsig.syncStoreSpecs();
    const wrong = users
      .map((user) => ({ user, config: statsig.getConfig(sdkUser(user), CONFIG) }))
      .filter(
        ({ config }) =>
          config.getRuleID() !== 'disabled' || !isDeepStrictEqual(config.value, PRICING_DEFAULT),
      )
      .map(({ user, config }) => `${label(user)}: ${JSON.stringify([config.value, config.getRuleID()])}`);
    expectNone(wrong);
    expectNone(compareStatsigNode(await currentEvaluator()).mismatches);
  });

  it('shipping checkout_flow gives every user the shipped group after a sync', async () => {
    expect((await ship(CHECKOUT, 'Express')).status).toBe('shipped');
    await statsig.syncStoreSpecs();
    const value = { ...CHECKOUT_DEFAULT, ...CHECKOUT_GROUPS.find((g) => g.name === 'Express')?.parameters };
    const wrong = users
      .map((user) => ({ user, experiment: statsig.getExperiment(sdkUser(user), CHECKOUT) }))
      .filter(({ experiment }) => !isDeepStrictEqual(experiment.value, value))
      .map(({ user, experiment }) => `${label(user)}: ${JSON.stringify(experiment.value)}`);
    expectNone(wrong);
    expectNone(compareStatsigNode(await currentEvaluator()).mismatches);
  });

  it("shipping price_test makes its params the layer's value outside button_test; button_test keeps its users", async () => {
    expect((await ship(PRICE, 'Discount')).status).toBe('shipped');
    await statsig.syncStoreSpecs();
    const wrong: string[] = [];
    for (const user of users) {
      const before = initial.get(user) as Answers;
      const layer = statsig.getLayer(sdkUser(user), LAYER);
      const value = layerValue((parameter) => layer.getValue(parameter));
      const button = statsig.getExperiment(sdkUser(user), BUTTON);
      const inButton = before[BUTTON]?.groupName != null;
      // button_test sets only button_color: its users get the shipped price with their own colour.
      const ownColor = (before[BUTTON]?.value as Record<string, unknown> | undefined)?.button_color;
      const expected = inButton ? { ...SHIPPED_PRICE, button_color: ownColor } : SHIPPED_PRICE;
      if (
        !isDeepStrictEqual(value, expected) ||
        button.getGroupName() !== (before[BUTTON]?.groupName ?? null) ||
        (layer.getAllocatedExperimentName() ?? null) !== (inButton ? BUTTON : null) ||
        !isDeepStrictEqual(statsig.getExperiment(sdkUser(user), PRICE).value, SHIPPED_PRICE)
      ) {
        wrong.push(
          `${label(user)}: layer ${JSON.stringify(value)} in ${button.getGroupName()}, expected ${JSON.stringify(expected)}`,
        );
      }
    }
    expectNone(wrong);
    expectNone(compareStatsigNode(await currentEvaluator()).mismatches);
  });

  it('nothing left 127.0.0.1; every statsig-node request succeeded and it logged no error', () => {
    expect(blockedRequests).toEqual([]);
    const syncs = sdkRequests.filter((request) => request.url.includes('sinceTime='));
    expect(syncs.length).toBeGreaterThanOrEqual(3);
    expect(sdkRequests.filter((request) => request.status !== 200)).toEqual([]);
    expect(sdkLog.filter((line) => line.startsWith('error'))).toEqual([]);
  });
});
