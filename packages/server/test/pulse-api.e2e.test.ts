/**
 * The "done when": through the API a team defines a request-timeout rate and a checkout
 * conversion, statsig-node 6.5.2 sends exposures and events to a real server, and Pulse answers
 * with intervals. The numbers are checked against @switchyard/stats run on per-user values the
 * test itself kept, so the whole pipeline (SDK, ingestion, aggregation, query) is differential.
 */

import type { RunningServer } from '@switchyard/server';
import {
  compareArms,
  estimateLift,
  evaluateGuardrail,
  summarizeProportion,
  summarizeRatio,
  testSampleRatio,
} from '@switchyard/stats';
import type { StatsigServer } from 'statsig-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { consoleApi } from './support/console-api.js';
import { blockedRequests, loadStatsigNode } from './support/statsig-node-network-guard.js';
import { startTestServer } from './support/test-server.js';

const SERVER_KEY = 'secret-pulse-api-test';
const CONSOLE_KEY = 'console-pulse-api-test';
const USERS = 2000;
const REQUESTS_PER_USER = 10;

let server: RunningServer;
let statsig: StatsigServer;
/** What each user did, as the test saw it: the reference for Pulse. */
const truth = new Map<string, { pass: boolean; requests: number; timeouts: number; purchased: boolean }>();

function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const api = consoleApi(() => server.url, CONSOLE_KEY);

beforeAll(async () => {
  server = await startTestServer({ server: SERVER_KEY, console: CONSOLE_KEY });
  await api('POST', '/metrics', {
    name: 'request_timeout_rate',
    type: 'ratio',
    numerator: {
      event: 'request',
      filters: [{ field: 'metadata.outcome', operator: 'eq', values: ['timeout'] }],
    },
    denominator: { event: 'request' },
    direction: 'decrease',
    guardrail: true,
  });
  await api('POST', '/metrics', {
    name: 'checkout_conversion',
    type: 'conversion',
    numerator: { event: 'purchase' },
  });
  await api('POST', '/gates', {
    name: 'new_checkout',
    rules: [{ name: 'canary', passPercentage: 50, conditions: [{ type: 'public' }] }],
  });

  const { StatsigServer } = loadStatsigNode();
  statsig = new StatsigServer(SERVER_KEY, { api: `${server.url}/v1`, logger: { logLevel: 'none' } as never });
  await statsig.initializeAsync();
  const next = random(42);
  for (let i = 0; i < USERS; i++) {
    const user = { userID: `user-${i}` };
    const pass = statsig.checkGateSync(user, 'new_checkout');
    // The new checkout times out three times as often; conversion is unchanged.
    const timeoutRate = pass ? 0.09 : 0.03;
    let timeouts = 0;
    for (let r = 0; r < REQUESTS_PER_USER; r++) {
      const timedOut = next() < timeoutRate;
      timeouts += timedOut ? 1 : 0;
      statsig.logEvent(user, 'request', null, { outcome: timedOut ? 'timeout' : 'ok' });
    }
    const purchased = next() < 0.2;
    if (purchased) statsig.logEvent(user, 'purchase', 30);
    truth.set(user.userID, { pass, requests: REQUESTS_PER_USER, timeouts, purchased });
    if (i % 50 === 49) await statsig.flush();
  }
  await statsig.shutdownAsync();
  await server.app.pulse.catchUp();
  // statsig-node delivered everything (a tight loop can outrun its buffer; the loop flushes).
  const stored = await server.app.events.list({ limit: 100_000 });
  expect(stored.filter((event) => event.eventName === 'statsig::gate_exposure')).toHaveLength(USERS);
  expect(stored.filter((event) => event.eventName === 'request')).toHaveLength(USERS * REQUESTS_PER_USER);
});

afterAll(async () => {
  await server?.close();
});

function arms() {
  const users = [...truth.values()];
  return { control: users.filter((u) => !u.pass), treatment: users.filter((u) => u.pass) };
}

function ratioStats(users: { requests: number; timeouts: number }[]) {
  return {
    n: users.length,
    sumX: users.reduce((s, u) => s + u.timeouts, 0),
    sumY: users.reduce((s, u) => s + u.requests, 0),
    sumX2: users.reduce((s, u) => s + u.timeouts ** 2, 0),
    sumY2: users.reduce((s, u) => s + u.requests ** 2, 0),
    sumXY: users.reduce((s, u) => s + u.timeouts * u.requests, 0),
  };
}

it("shows the canary's timeout regression and unchanged conversion, with the numbers @switchyard/stats gives on the raw data", async () => {
  const result = await api('GET', '/pulse/gates/new_checkout');
  expect(result.comparisons).toHaveLength(1);
  const [comparison] = result.comparisons;
  const { control, treatment } = arms();
  expect(comparison.control).toMatchObject({ name: 'fail', units: control.length });
  expect(comparison.treatment).toMatchObject({ name: 'pass', units: treatment.length });
  // The gate's salt is random, so the split (and whether it trips the check) differs per run:
  // the check must say what @switchyard/stats says of the true counts.
  const srm = testSampleRatio([control.length, treatment.length], [0.5, 0.5]);
  if (srm.status !== 'ok') throw new Error(`no SRM reference: ${srm.reason}`);
  expect(comparison.srm).toMatchObject({ expected: [0.5, 0.5], mismatch: srm.mismatch });
  expect(comparison.srm.pValue).toBeCloseTo(srm.pValue, 12);

  const timeouts = comparison.metrics.find((m: { metric: string }) => m.metric === 'request_timeout_rate');
  const expected = compareArms(summarizeRatio(ratioStats(control)), summarizeRatio(ratioStats(treatment)));
  if (expected.status !== 'ok' || expected.relative.status !== 'ok' || expected.absolute.status !== 'ok') {
    throw new Error('reference failed');
  }
  expect(timeouts.relative.estimate).toBeCloseTo(expected.relative.estimate, 9);
  expect(timeouts.relative.interval[0]).toBeCloseTo(expected.relative.interval[0], 9);
  expect(timeouts.relative.interval[1]).toBeCloseTo(expected.relative.interval[1], 9);
  expect(timeouts.absolute.pValue).toBeCloseTo(expected.absolute.pValue, 12);
  expect(timeouts).toMatchObject({ verdict: 'regressed', guardrailRegression: true, cuped: false });
  // Lower is better here: the canary almost surely loses, and shipping it is the costly choice.
  expect(timeouts.bayesian.chanceToWin).toBeLessThan(0.001);
  expect(timeouts.bayesian.risk.treatment).toBeGreaterThan(timeouts.bayesian.risk.control);
  const guardrail = evaluateGuardrail(
    (
      estimateLift(summarizeRatio(ratioStats(control)), summarizeRatio(ratioStats(treatment))) as never as {
        absolute: never;
      }
    ).absolute,
    { direction: 'decrease' },
  );
  expect(guardrail).toMatchObject({ status: 'ok', verdict: 'regression' });

  const conversion = comparison.metrics.find((m: { metric: string }) => m.metric === 'checkout_conversion');
  const converted = (users: { purchased: boolean }[]) =>
    summarizeProportion({ n: users.length, sum: users.filter((u) => u.purchased).length });
  const expectedConversion = compareArms(converted(control), converted(treatment));
  if (expectedConversion.status !== 'ok' || expectedConversion.relative.status !== 'ok')
    throw new Error('reference failed');
  expect(conversion.relative.estimate).toBeCloseTo(expectedConversion.relative.estimate, 9);
  expect(conversion.relative.pValue).toBeCloseTo(expectedConversion.relative.pValue, 9);
  // The verdict follows the absolute lift's test (no effect was simulated, so usually neutral).
  if (expectedConversion.absolute.status !== 'ok') throw new Error('reference failed');
  expect(conversion.verdict === 'neutral').toBe(!expectedConversion.absolute.significant);
  expect(conversion.control.mean).toBeCloseTo(control.filter((u) => u.purchased).length / control.length, 12);
});

it('widens the interval for peeking (sequential) and gives a daily series', async () => {
  const fixed = await api('GET', '/pulse/gates/new_checkout');
  const sequential = await api('GET', '/pulse/gates/new_checkout?sequential=true');
  const width = (result: {
    comparisons: { metrics: { metric: string; absolute: { interval: number[] } }[] }[];
  }) => {
    const metric = result.comparisons[0]?.metrics.find((m) => m.metric === 'request_timeout_rate');
    const [low = 0, high = 0] = metric?.absolute.interval ?? [];
    return high - low;
  };
  expect(width(sequential)).toBeGreaterThan(width(fixed));
  const series = await api('GET', '/pulse/gates/new_checkout/series');
  expect(series.days).toHaveLength(1);
  expect(series.days[0].through).toBe(new Date().toISOString().slice(0, 10));
  expect(series.days[0].comparisons[0].treatment.units).toBe(arms().treatment.length);
});

it('refuses unknown gates, environments and bad options with a 4xx and the field', async () => {
  const get = (path: string) =>
    fetch(`${server.url}/api/v1${path}`, { headers: { authorization: `Bearer ${CONSOLE_KEY}` } });
  expect((await get('/pulse/gates/nope')).status).toBe(404);
  const environment = await get('/pulse/gates/new_checkout?environment=moon');
  expect(environment.status).toBe(400);
  expect((await environment.json()).error.details.field).toBe('querystring.environment');
  const alpha = await get('/pulse/gates/new_checkout?alpha=2');
  expect(alpha.status).toBe(400);
  expect((await alpha.json()).error.details.field).toBe('querystring.alpha');
  expect(blockedRequests).toEqual([]);
});
