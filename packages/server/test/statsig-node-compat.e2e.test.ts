/**
 * End to end with the real statsig-node 6.5.2 (protocol doc §10.1): a server started in
 * process on 127.0.0.1, gates authored through the HTTP API, and statsig-node pointed at
 * `<server>/v1`. For 2,000 generated users statsig-node's answers must equal @switchyard/core's
 * evaluator over the DCS the server serves; the kill switch reaches the SDK on a sync; the
 * SDK's exposures and custom events land in the event store; nothing leaves 127.0.0.1.
 */
import { type ConfigSpecs, createEvaluator, type Evaluator, type StatsigUser } from '@switchyard/core';
import type { RunningServer } from '@switchyard/server';
import type { StatsigUser as SdkUser, StatsigServer } from 'statsig-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPLOYEE_DOMAIN, generateCompatUsers } from './support/compat-users.js';
import { consoleApi } from './support/console-api.js';
import { blockedRequests, loadStatsigNode, sdkRequests } from './support/statsig-node-network-guard.js';
import { startTestServer } from './support/test-server.js';

const SERVER_KEY = 'secret-compat-test-key';
const CONSOLE_KEY = 'console-compat-test-key';
const USER_COUNT = 2_000;
/** Mismatches printed in a failure message. */
const SHOWN = 10;

const GATES = {
  checkout: 'new_checkout',
  company: 'company_rollout',
  upsell: 'checkout_upsell',
  targeted: 'targeted_launch',
  staged: 'staged_rollout',
} as const;
const GATE_NAMES = Object.values(GATES);

interface GateRecord {
  name: string;
  enabled: boolean;
  idType: string;
  rules: { id: string; name: string; passPercentage: number; environments: string[] | null }[];
}

const users = generateCompatUsers(USER_COUNT);
const sdkUser = (user: StatsigUser) => user as SdkUser;

let server: RunningServer;
let statsig: StatsigServer;
let shutDown = false;
/** What statsig-node logged at warn or error level. */
const sdkLog: string[] = [];
const created = new Map<string, GateRecord>();

const api = consoleApi(() => server.url, CONSOLE_KEY);

async function createGate(input: Record<string, unknown>): Promise<GateRecord> {
  const record = (await api('POST', '/gates', input)) as GateRecord;
  created.set(record.name, record);
  return record;
}

function ruleId(gate: string, ruleName: string): string {
  const rule = created.get(gate)?.rules.find((candidate) => candidate.name === ruleName);
  if (!rule) throw new Error(`no rule "${ruleName}" on gate "${gate}"`);
  return rule.id;
}

async function downloadConfigSpecs(
  key = SERVER_KEY,
  query = '',
): Promise<{ status: number; json: ConfigSpecs }> {
  const response = await fetch(`${server.url}/v1/download_config_specs/${key}.json${query}`);
  return { status: response.status, json: (await response.json()) as ConfigSpecs };
}

/** @switchyard/core over the DCS the server serves right now to the production server key. */
async function currentEvaluator(): Promise<Evaluator> {
  const { status, json } = await downloadConfigSpecs();
  expect(status).toBe(200);
  const evaluator = createEvaluator(json);
  expect(evaluator.diagnostics).toEqual([]);
  return evaluator;
}

interface Comparison {
  /** `userID|gate` -> our answer. */
  expected: Map<string, { value: boolean; ruleID: string }>;
  mismatches: string[];
}

/** statsig-node (checkGate, logging exposures, and getFeatureGate) against our evaluator, for every user and gate. */
function compareAll(evaluator: Evaluator): Comparison {
  const expected = new Map<string, { value: boolean; ruleID: string }>();
  const mismatches: string[] = [];
  for (const user of users) {
    for (const gate of GATE_NAMES) {
      const ours = evaluator.checkGate(user, gate);
      const checked = statsig.checkGate(sdkUser(user), gate);
      const featureGate = statsig.getFeatureGate(sdkUser(user), gate);
      expected.set(`${user.userID}|${gate}`, { value: ours.value, ruleID: ours.ruleID });
      const theirs = {
        value: checked,
        ruleID: featureGate.ruleID,
        reason: featureGate.evaluationDetails?.reason,
      };
      if (
        theirs.value !== ours.value ||
        featureGate.value !== ours.value ||
        theirs.ruleID !== ours.ruleID ||
        theirs.reason !== 'Network'
      ) {
        mismatches.push(
          `${gate} ${JSON.stringify(user)}: statsig-node ${JSON.stringify(theirs)}, ours ${JSON.stringify({ value: ours.value, ruleID: ours.ruleID })}`,
        );
      }
    }
  }
  return { expected, mismatches };
}

async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 8_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const storedEvents = () => server.app.events.list({ limit: 100_000 });

/** Flushes of a full buffer are fire-and-forget: waits until statsig-node has every response. */
const requestsSettled = () =>
  waitFor(
    'statsig-node requests in flight',
    async () => sdkRequests.filter((request) => request.status === null && request.error === null),
    (pending) => pending.length === 0,
  );

describe('statsig-node 6.5.2 against a running Switchyard server', () => {
  beforeAll(async () => {
    server = await startTestServer({ server: SERVER_KEY, console: CONSOLE_KEY });

    await createGate({
      name: GATES.checkout,
      description: 'employees, then a 5% canary',
      rules: [
        {
          name: 'employees',
          conditions: [
            { type: 'user_field', field: 'email', operator: 'str_ends_with_any', value: [EMPLOYEE_DOMAIN] },
          ],
        },
        { name: 'canary', conditions: [{ type: 'public' }], passPercentage: 5 },
      ],
    });
    await createGate({
      name: GATES.company,
      idType: 'companyID',
      rules: [{ name: 'a third of companies', conditions: [{ type: 'public' }], passPercentage: 33.33 }],
    });
    await createGate({
      name: GATES.upsell,
      rules: [{ name: 'checkout users', conditions: [{ type: 'pass_gate', value: GATES.checkout }] }],
    });
    await createGate({
      name: GATES.targeted,
      rules: [
        {
          name: 'north america, recent app, adults',
          conditions: [
            { field: 'country', operator: 'any', value: ['US', 'CA'] },
            { field: 'appVersion', operator: 'version_gte', value: '2.0.0' },
            { field: 'age', operator: 'gt', value: 20 },
          ],
        },
      ],
    });
    await createGate({
      name: GATES.staged,
      rules: [
        { name: 'everyone on staging', environments: ['staging'], conditions: [{ type: 'public' }] },
        {
          name: 'employees in production',
          environments: ['production'],
          conditions: [{ field: 'email', operator: 'str_ends_with_any', value: [EMPLOYEE_DOMAIN] }],
        },
      ],
    });

    const { StatsigServer } = loadStatsigNode();
    const record =
      (level: string) =>
      (...parts: unknown[]) =>
        sdkLog.push(`${level}: ${parts.map(String).join(' ')}`);
    statsig = new StatsigServer(SERVER_KEY, {
      api: `${server.url}/v1`,
      logger: { logLevel: 'warn', warn: record('warn'), error: record('error') },
    });
  });

  afterAll(async () => {
    if (statsig && !shutDown) await statsig.shutdownAsync();
    await server?.close();
  });

  it('initialises from the network: download_config_specs and get_id_lists on our server', async () => {
    const details = await statsig.initializeAsync();
    expect(details.error).toBeUndefined();
    expect(details).toMatchObject({ success: true, source: 'Network' });
    expect(statsig.getFeatureGateList().sort()).toEqual([...GATE_NAMES].sort());
    const paths = sdkRequests.map((request) => `${request.method} ${new URL(request.url).pathname}`);
    expect(paths).toContain(`GET /v1/download_config_specs/${SERVER_KEY}.json`);
    expect(paths).toContain('POST /v1/get_id_lists');
    expect(sdkRequests.filter((request) => request.status !== 200)).toEqual([]);
  });

  it('serves the production key a DCS without staging-only rules; a staging key gets them', async () => {
    const { json } = await downloadConfigSpecs();
    const staged = json.feature_gates.find((spec) => spec.name === GATES.staged);
    expect(staged?.rules.map((rule) => rule.id)).toEqual([ruleId(GATES.staged, 'employees in production')]);
    expect(json.feature_gates.find((spec) => spec.name === GATES.company)).toMatchObject({
      idType: 'companyID',
      rules: [{ passPercentage: 33.33, idType: 'companyID' }],
    });

    const { secret } = await server.app.keys.create('staging', 'server');
    const staging = createEvaluator((await downloadConfigSpecs(secret)).json);
    expect(staging.checkGate({ userID: 'user-1' }, GATES.staged)).toMatchObject({
      value: true,
      ruleID: ruleId(GATES.staged, 'everyone on staging'),
    });
  });

  let firstComparison: Comparison;

  it('agrees with @switchyard/core for 2,000 users on every gate', async () => {
    const evaluator = await currentEvaluator();
    firstComparison = compareAll(evaluator);
    const { expected, mismatches } = firstComparison;
    expect(mismatches.length, mismatches.slice(0, SHOWN).join('\n')).toBe(0);

    const results = (gate: string) =>
      users.map((user) => ({ user, ...expected.get(`${user.userID}|${gate}`) }));
    // Employees take the first rule of new_checkout; 5% of the others pass the canary.
    const employeesRule = ruleId(GATES.checkout, 'employees');
    const checkout = results(GATES.checkout);
    const employees = checkout.filter((result) => result.ruleID === employeesRule);
    expect(employees.length).toBe(USER_COUNT / 50);
    expect(employees.every((result) => result.value)).toBe(true);
    const others = checkout.filter((result) => result.ruleID !== employeesRule);
    const canary = others.filter((result) => result.value);
    expect(canary.every((result) => result.ruleID === ruleId(GATES.checkout, 'canary'))).toBe(true);
    expect(canary.length / others.length).toBeGreaterThan(0.03);
    expect(canary.length / others.length).toBeLessThan(0.07);

    // company_rollout buckets companies, not users: one answer per companyID, about a third pass.
    const byCompany = new Map<string, boolean>();
    for (const result of results(GATES.company)) {
      const company = result.user.customIDs?.companyID as string | undefined;
      if (!company) {
        continue;
      }
      if (byCompany.has(company)) expect(byCompany.get(company)).toBe(result.value);
      byCompany.set(company, result.value ?? false);
    }
    const passingCompanies = [...byCompany.values()].filter(Boolean).length / byCompany.size;
    expect(passingCompanies).toBeGreaterThan(0.25);
    expect(passingCompanies).toBeLessThan(0.42);

    // checkout_upsell passes exactly for those new_checkout lets in.
    for (const result of results(GATES.upsell)) {
      expect(result.value).toBe(expected.get(`${result.user.userID}|${GATES.checkout}`)?.value);
    }

    const targeted = results(GATES.targeted).filter((result) => result.value).length;
    expect(targeted).toBeGreaterThan(50);
    expect(targeted).toBeLessThan(USER_COUNT / 2);

    // The staging-only rule never applies to a production key: only employees pass.
    const staged = results(GATES.staged).filter((result) => result.value);
    expect(staged.length).toBe(employees.length);
    expect(staged.every((result) => result.ruleID === ruleId(GATES.staged, 'employees in production'))).toBe(
      true,
    );
  });

  it('stores every gate exposure with its gate, rule and user, and custom events with value and metadata', async () => {
    const buyer = users[7] as StatsigUser;
    statsig.logEvent(sdkUser(buyer), 'purchase', 12.5, { sku: 'x' });
    await statsig.flush();

    const { expected } = firstComparison;
    const events = await waitFor(
      `${expected.size} gate exposures`,
      storedEvents,
      (stored) =>
        stored.filter((event) => event.eventName === 'statsig::gate_exposure').length >= expected.size &&
        stored.some((event) => event.eventName === 'purchase'),
    );

    const exposures = events.filter((event) => event.eventName === 'statsig::gate_exposure');
    expect(exposures.length).toBe(expected.size);
    const wrong: string[] = [];
    const seen = new Set<string>();
    for (const exposure of exposures) {
      const key = `${exposure.userID}|${exposure.entity}`;
      seen.add(key);
      const want = expected.get(key);
      if (
        !want ||
        exposure.ruleID !== want.ruleID ||
        exposure.metadata.gate !== exposure.entity ||
        exposure.metadata.ruleID !== want.ruleID ||
        exposure.metadata.gateValue !== String(want.value) ||
        exposure.environment !== 'production'
      ) {
        wrong.push(`${JSON.stringify(exposure)} expected ${JSON.stringify(want)}`);
      }
    }
    expect(wrong.length, wrong.slice(0, SHOWN).join('\n')).toBe(0);
    expect(seen.size).toBe(expected.size);

    // An exposure of a gate that consulted another carries that gate as a secondary exposure.
    const upsellExposures = exposures.filter((event) => event.entity === GATES.upsell);
    expect(upsellExposures.length).toBeGreaterThan(0);
    for (const exposure of upsellExposures) {
      expect(exposure.secondaryExposures).toEqual([
        expect.objectContaining({ gate: GATES.checkout, gateValue: expect.any(String) }),
      ]);
    }

    // Custom unit IDs travel with the exposure.
    const companyUser = users.find((user) => user.customIDs?.companyID) as StatsigUser;
    const companyExposure = exposures.find(
      (event) => event.userID === companyUser.userID && event.entity === GATES.company,
    );
    expect(companyExposure?.unitIDs).toMatchObject({
      userID: companyUser.userID,
      companyID: companyUser.customIDs?.companyID,
    });

    const purchases = events.filter((event) => event.eventName === 'purchase');
    expect(purchases).toHaveLength(1);
    expect(purchases[0]).toMatchObject({
      userID: buyer.userID,
      environment: 'production',
      entity: null,
      ruleID: null,
      value: '12.5',
      metadata: { sku: 'x' },
    });

    // Every log_event post succeeded on its first, gzip-compressed attempt (a retry goes out plain).
    await requestsSettled();
    const logPosts = sdkRequests.filter((request) => request.url.endsWith('/v1/log_event'));
    expect(logPosts.length).toBeGreaterThan(0);
    expect(logPosts.map((request) => [request.contentEncoding, request.status])).toEqual(
      logPosts.map(() => ['gzip', 202]),
    );
  });

  it('kill switch: disabling a gate reaches statsig-node on sync (false, rule "disabled"); enabling restores it', async () => {
    const disabled = (await api('POST', `/gates/${GATES.checkout}/disable`, {
      reason: 'compat test',
    })) as GateRecord;
    expect(disabled.enabled).toBe(false);
    await statsig.syncStoreSpecs();

    for (const user of users) {
      const gate = statsig.getFeatureGate(sdkUser(user), GATES.checkout);
      if (gate.value !== false || gate.ruleID !== 'disabled') {
        expect.fail(`${user.userID}: ${JSON.stringify({ value: gate.value, ruleID: gate.ruleID })}`);
      }
    }
    const employee = users.find((user) => user.email?.endsWith(EMPLOYEE_DOMAIN)) as StatsigUser;
    expect(statsig.checkGate(sdkUser(employee), GATES.checkout)).toBe(false);
    // A gate that requires the disabled one fails too, the same way on both sides.
    const evaluator = await currentEvaluator();
    expect(evaluator.checkGate(employee, GATES.checkout)).toMatchObject({ value: false, ruleID: 'disabled' });
    const mismatches = compareAll(evaluator).mismatches;
    expect(mismatches.length, mismatches.slice(0, SHOWN).join('\n')).toBe(0);
    expect(statsig.checkGate(sdkUser(employee), GATES.upsell)).toBe(false);

    // The disabled checks were exposures too, with rule "disabled".
    await statsig.flush();
    const disabledExposures = await waitFor(
      'the kill-switch exposures',
      async () =>
        (await storedEvents()).filter(
          (event) =>
            event.eventName === 'statsig::gate_exposure' &&
            event.entity === GATES.checkout &&
            event.ruleID === 'disabled',
        ),
      (stored) => stored.length >= USER_COUNT,
    );
    expect(disabledExposures).toHaveLength(USER_COUNT);
    expect(disabledExposures.every((event) => event.metadata.gateValue === 'false')).toBe(true);

    const enabled = (await api('POST', `/gates/${GATES.checkout}/enable`)) as GateRecord;
    expect(enabled.enabled).toBe(true);
    await statsig.syncStoreSpecs();
    expect(statsig.checkGate(sdkUser(employee), GATES.checkout)).toBe(true);
    expect(statsig.getFeatureGate(sdkUser(employee), GATES.checkout).ruleID).toBe(
      ruleId(GATES.checkout, 'employees'),
    );
    expect(statsig.checkGate(sdkUser(employee), GATES.upsell)).toBe(true);

    // Both syncs went out with sinceTime and were answered.
    const syncs = sdkRequests.filter(
      (request) => request.url.includes('/download_config_specs/') && request.url.includes('sinceTime='),
    );
    expect(syncs.length).toBeGreaterThanOrEqual(2);
    expect(syncs.every((request) => request.status === 200)).toBe(true);
  });

  it('answers sinceTime = the last time with {has_updates: false}', async () => {
    const { json } = await downloadConfigSpecs();
    expect(json.has_updates).toBe(true);
    expect(json.time).toBeGreaterThan(0);
    const since = await downloadConfigSpecs(SERVER_KEY, `?sinceTime=${json.time}`);
    expect(since.status).toBe(200);
    expect(since.json).toMatchObject({ has_updates: false });
    // An older sinceTime still gets the full configuration.
    const older = await downloadConfigSpecs(SERVER_KEY, `?sinceTime=${(json.time as number) - 1}`);
    expect(older.json).toMatchObject({ has_updates: true, time: json.time });
  });

  it('shuts down cleanly; nothing left 127.0.0.1 and statsig-node reported no errors', async () => {
    await statsig.shutdownAsync();
    shutDown = true;
    await requestsSettled();
    expect(blockedRequests).toEqual([]);
    expect(sdkRequests.filter((request) => request.status === null || request.status >= 300)).toEqual([]);
    expect(sdkLog.filter((line) => line.startsWith('error'))).toEqual([]);
  });
});
