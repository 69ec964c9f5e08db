/**
 * The topline alert: a guardrail metric that rises for everyone (both arms, so no canary
 * comparison can see it) is reported with the configuration change that preceded it; a steady
 * metric is not.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../bench/canary-simulation.js';
import { type App, buildApp } from '../src/app.js';
import type { OpenDatabase } from '../src/store/database.js';
import { TEST_DATABASES } from './support/databases.js';

const CONSOLE = 'console-topline-test';
const SERVER = 'secret-topline-test';
const START = Date.UTC(2026, 10, 26, 8, 0, 0);
const MINUTE = 60_000;

describe.each(TEST_DATABASES)('topline alerts on $name', (testDatabase) => {
  if (testDatabase.skip) {
    it.skip(`skipped: ${testDatabase.skip}`, () => {});
    return;
  }
  let database: OpenDatabase;
  let app: App;
  let now = START;

  beforeEach(async () => {
    now = START;
    database = await testDatabase.open();
    app = await buildApp({
      database,
      clock: () => now,
      pulseIntervalMs: 0,
      pulseCommitLagMs: 0,
      guardrailIntervalMs: 0,
    });
    await app.keys.ensure('production', 'console', CONSOLE);
    await app.keys.ensure('production', 'server', SERVER);
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
  });
  afterEach(async () => {
    await app.http.close();
    await database.close();
  });

  // biome-ignore lint/suspicious/noExplicitAny: tests read the answers loosely
  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const response = await app.http.inject({
      method: method as 'GET',
      url: `/api/v1${path}`,
      headers: { authorization: `Bearer ${CONSOLE}` },
      ...(body !== undefined && { payload: body as object }),
    });
    if (response.statusCode >= 300)
      throw new Error(`${method} ${path} -> ${response.statusCode}: ${response.body}`);
    return response.json();
  }

  /** `perMinute` requests in each minute of [from, to), timing out at `rate`. */
  async function requests(from: number, to: number, perMinute: number, rate: number, seed: number) {
    const random = seededRandom(seed);
    const events: object[] = [];
    for (let minute = from; minute < to; minute++) {
      for (let i = 0; i < perMinute; i++) {
        events.push({
          eventName: 'request',
          time: START + minute * MINUTE + i,
          user: { userID: `user-${i % 300}` },
          metadata: { outcome: random() < rate ? 'timeout' : 'ok' },
        });
      }
    }
    for (let i = 0; i < events.length; i += 10_000) {
      const response = await app.http.inject({
        method: 'POST',
        url: '/v1/log_event',
        headers: { 'statsig-api-key': SERVER, 'content-type': 'application/json' },
        payload: JSON.stringify({
          events: events.slice(i, i + 10_000),
          statsigMetadata: { sdkType: 'test' },
        }),
      });
      expect(response.statusCode).toBe(202);
    }
  }

  it('reports timeouts rising for everyone, with the change before them, once', async () => {
    await requests(0, 60, 500, 0.01, 1);
    now = START + 60 * MINUTE + 5_000;
    await api('POST', '/gates', { name: 'new_cache', description: 'shared by both checkouts' });
    await requests(60, 70, 500, 0.03, 2);
    now = START + 70 * MINUTE + 1_000;
    const run = await api('POST', '/release-monitor/run');
    expect(run.toplineAlerts).toHaveLength(1);
    const [alert] = (await api('GET', '/topline-alerts')).alerts;
    expect(alert).toMatchObject({ environment: 'production', metric: 'request_timeout_rate', at: now });
    expect(alert.evidence.recent.mean).toBeGreaterThan(0.02);
    expect(alert.evidence.baseline.mean).toBeLessThan(0.015);
    expect(alert.evidence.recent.denominator).toBe(5000);
    expect(alert.evidence.baseline.denominator).toBe(30_000);
    expect(alert.evidence.z).toBeGreaterThan(4);
    expect(alert.evidence.precedingChange).toMatchObject({
      kind: 'gate',
      name: 'new_cache',
      action: 'create',
    });
    // Not again within the quiet period.
    now += 5 * MINUTE;
    expect((await api('POST', '/release-monitor/run')).toplineAlerts).toHaveLength(0);
  });

  it('says nothing while the metric holds steady', async () => {
    await requests(0, 70, 500, 0.01, 3);
    now = START + 70 * MINUTE + 1_000;
    expect((await api('POST', '/release-monitor/run')).toplineAlerts).toHaveLength(0);
    expect((await api('GET', '/topline-alerts')).alerts).toHaveLength(0);
  });
});
