/**
 * Pulse's incremental aggregation against a brute-force reference computed from the raw events
 * in the test: every arm's sufficient statistics must match exactly (integer values keep float
 * sums exact), whatever the chunking, with late events and re-exposures; a rebuild from the raw
 * events gives the same numbers. Runs on SQLite and on Postgres.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { DAY_MS, PRE_PERIOD_DAYS } from '../src/pulse/aggregation.js';
import { type ArmStats, emptyArmStats, unitContribution } from '../src/pulse/arm-stats.js';
import type { OpenDatabase } from '../src/store/database.js';
import { TEST_DATABASES } from './support/databases.js';

const CONSOLE = 'console-pulse-test';
const SERVER = 'secret-pulse-test';
const DAY0 = 20_000; // days since the epoch
const METRICS = [
  { name: 'purchase_conversion', type: 'conversion', numerator: { event: 'purchase' } },
  { name: 'revenue', type: 'sum', numerator: { event: 'purchase' } },
  {
    name: 'timeout_rate',
    type: 'ratio',
    numerator: {
      event: 'request',
      filters: [{ field: 'metadata.outcome', operator: 'eq', values: ['timeout'] }],
    },
    denominator: { event: 'request' },
    direction: 'decrease',
  },
  { name: 'requests', type: 'event_count', numerator: { event: 'request' } },
  { name: 'revenue_capped', type: 'sum', numerator: { event: 'purchase' }, winsorizePercentile: 90 },
] as const;

interface RawEvent {
  eventName: string;
  time: number;
  user: { userID: string };
  value?: number;
  metadata?: Record<string, string>;
}

/** A small seeded PRNG (mulberry32), so the data set is the same on every run. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Users exposed over 6 days, events before and after, some sent late, some re-exposed. */
function generate(seed: number, users: number, inOrder: boolean): RawEvent[] {
  const next = random(seed);
  const at = (day: number) => (DAY0 + day) * DAY_MS + Math.floor(next() * (DAY_MS - 1));
  const events: RawEvent[] = [];
  for (let u = 0; u < users; u++) {
    const user = { userID: `u${u}` };
    const exposureDay = Math.floor(next() * 6);
    const exposed = next() < 0.85;
    const value = next() < 0.5;
    const own: RawEvent[] = [];
    for (let e = Math.floor(next() * 8); e > 0; e--) {
      const day = exposureDay - 3 + Math.floor(next() * 10);
      own.push(
        next() < 0.3
          ? { eventName: 'purchase', time: at(day), user, value: 1 + Math.floor(next() * 100) }
          : {
              eventName: 'request',
              time: at(day),
              user,
              metadata: { outcome: next() < 0.2 ? 'timeout' : 'ok' },
            },
      );
    }
    if (exposed) {
      const time = (DAY0 + exposureDay) * DAY_MS;
      own.push({
        eventName: 'statsig::gate_exposure',
        time,
        user,
        metadata: { gate: 'canary', gateValue: String(value), ruleID: 'canary_rule' },
      });
      if (next() < 0.1) {
        own.push({
          eventName: 'statsig::gate_exposure',
          time: time + 1000,
          user,
          metadata: { gate: 'canary', gateValue: String(!value), ruleID: 'canary_rule' },
        });
      }
    }
    events.push(...own);
  }
  if (inOrder) return events.sort((a, b) => a.time - b.time);
  // Arrival order: mostly by time, but a fifth of the events arrive late, after everything else.
  const late = events.filter(() => next() < 0.2);
  const onTime = events.filter((event) => !late.includes(event)).sort((a, b) => a.time - b.time);
  return [...onTime, ...late];
}

const dayOf = (time: number) => Math.floor(time / DAY_MS);

/** Pulse's statistics computed the slow, obvious way from the events in arrival order. */
function reference(events: RawEvent[], throughDay = Number.POSITIVE_INFINITY): Map<string, ArmStats> {
  const exposures = new Map<string, { arm: string; day: number }>();
  for (const event of events) {
    if (event.eventName !== 'statsig::gate_exposure' || exposures.has(event.user.userID)) continue;
    exposures.set(event.user.userID, {
      arm: `${event.metadata?.ruleID}:${event.metadata?.gateValue}`,
      day: dayOf(event.time),
    });
  }
  const out = new Map<string, ArmStats>();
  for (const [userID, exposure] of exposures) {
    if (exposure.day > throughDay) continue;
    const own = events.filter((event) => event.user.userID === userID && dayOf(event.time) <= throughDay);
    const sum = (pick: (event: RawEvent) => number, post: boolean) =>
      own
        .filter((event) =>
          post
            ? dayOf(event.time) >= exposure.day
            : dayOf(event.time) < exposure.day && dayOf(event.time) >= exposure.day - PRE_PERIOD_DAYS,
        )
        .reduce((total, event) => total + pick(event), 0);
    const purchases = (event: RawEvent) => (event.eventName === 'purchase' ? 1 : 0);
    const revenue = (event: RawEvent) => (event.eventName === 'purchase' ? (event.value ?? 0) : 0);
    const requests = (event: RawEvent) => (event.eventName === 'request' ? 1 : 0);
    const timeouts = (event: RawEvent) =>
      event.eventName === 'request' && event.metadata?.outcome === 'timeout' ? 1 : 0;
    const values: Record<string, { y: number; d: number; x: number }> = {
      purchase_conversion: {
        y: sum(purchases, true) > 0 ? 1 : 0,
        d: 0,
        x: sum(purchases, false) > 0 ? 1 : 0,
      },
      revenue: { y: sum(revenue, true), d: 0, x: sum(revenue, false) },
      timeout_rate: { y: sum(timeouts, true), d: sum(requests, true), x: 0 },
      requests: { y: sum(requests, true), d: 0, x: sum(requests, false) },
      revenue_capped: { y: sum(revenue, true), d: 0, x: sum(revenue, false) },
    };
    for (const [metric, value] of Object.entries(values)) {
      const key = `${exposure.arm}|${metric}`;
      const stats = out.get(key) ?? emptyArmStats();
      const unit = unitContribution(value);
      for (const field of Object.keys(stats) as (keyof ArmStats)[]) stats[field] += unit[field];
      out.set(key, stats);
    }
  }
  return out;
}

describe.each(TEST_DATABASES)('Pulse aggregation on $name', (testDatabase) => {
  if (testDatabase.skip) {
    it.skip(`skipped: ${testDatabase.skip}`, () => {});
    return;
  }
  let database: OpenDatabase;
  let app: App;

  beforeEach(async () => {
    database = await testDatabase.open();
    // Small chunks: the numbers must not depend on where one transaction ends and the next starts.
    app = await buildApp({ database, pulseIntervalMs: 0, pulseCommitLagMs: 0, pulseChunkSize: 37 });
    await app.keys.ensure('production', 'console', CONSOLE);
    await app.keys.ensure('production', 'server', SERVER);
    await api('POST', '/gates', { name: 'canary', rules: [{ name: 'half', passPercentage: 50 }] });
    for (const metric of METRICS) await api('POST', '/metrics', metric);
  });
  afterEach(async () => {
    await app.http.close();
    await database.close();
  });

  async function api(method: 'POST' | 'PATCH', url: string, payload: object) {
    const response = await app.http.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${CONSOLE}` },
      payload,
    });
    expect(response.statusCode, response.body).toBeLessThan(300);
  }

  async function send(events: RawEvent[]) {
    for (let i = 0; i < events.length; i += 97) {
      const response = await app.http.inject({
        method: 'POST',
        url: '/v1/log_event',
        headers: { 'statsig-api-key': SERVER },
        payload: { events: events.slice(i, i + 97) },
      });
      expect(response.statusCode).toBe(202);
    }
  }

  async function totals(throughDay?: number): Promise<Map<string, ArmStats>> {
    const rows = await app.pulseStore.armTotals('production', 'gate:canary', throughDay);
    return new Map(rows.map((row) => [`${row.arm}|${row.metric}`, row.stats]));
  }

  it('matches the brute-force reference with late events and re-exposures, in any chunking, and after a rebuild', async () => {
    const events = generate(7, 400, false);
    // Half now, folded in; the rest later, in another run (incremental, across runs and chunks).
    await send(events.slice(0, 900));
    await app.pulse.catchUp();
    await send(events.slice(900));
    expect(await app.pulse.catchUp()).toBe(events.length - 900);
    const expected = reference(events);
    expect(expected.size).toBe(10);
    expect(await totals()).toEqual(expected);

    // Changing the catalogue rebuilds from the raw events; reverting it rebuilds the same numbers.
    await api('PATCH', '/metrics/revenue', {
      numerator: { event: 'purchase', valueField: 'metadata.nothing' },
    });
    await app.pulse.catchUp();
    expect((await totals()).get('canary_rule:true|revenue')?.sumY).toBe(0);
    await api('POST', '/metrics/revenue/revert', { version: 1 });
    await app.pulse.catchUp();
    expect(await totals()).toEqual(expected);
  });

  it('caps winsorized metrics per unit at the percentile of the non-zero values, within a bucket (9%) above it', async () => {
    const events = generate(5, 400, false);
    await send(events);
    await app.pulse.catchUp();
    const response = await app.http.inject({
      method: 'GET',
      url: '/api/v1/pulse/gates/canary?cuped=false',
      headers: { authorization: `Bearer ${CONSOLE}` },
    });
    expect(response.statusCode, response.body).toBe(200);
    const [comparison] = response.json().comparisons;
    const result = comparison.metrics.find((m: { metric: string }) => m.metric === 'revenue_capped');
    // Per-unit post-exposure revenue by arm, the slow way.
    const firstExposure = new Map<string, { arm: string; day: number }>();
    for (const event of events) {
      if (event.eventName === 'statsig::gate_exposure' && !firstExposure.has(event.user.userID)) {
        firstExposure.set(event.user.userID, {
          arm: String(event.metadata?.gateValue),
          day: dayOf(event.time),
        });
      }
    }
    const revenue = new Map<string, number>();
    for (const event of events) {
      const exposure = firstExposure.get(event.user.userID);
      if (event.eventName !== 'purchase' || !exposure || dayOf(event.time) < exposure.day) continue;
      revenue.set(event.user.userID, (revenue.get(event.user.userID) ?? 0) + (event.value ?? 0));
    }
    const values = (arm: string) =>
      [...firstExposure].filter(([, e]) => e.arm === arm).map(([userID]) => revenue.get(userID) ?? 0);
    const nonZero = [...values('true'), ...values('false')].filter((v) => v !== 0).sort((a, b) => a - b);
    const exact = nonZero[Math.ceil(0.9 * nonZero.length) - 1] ?? 0;
    expect(result.cap).toBeGreaterThanOrEqual(exact);
    expect(result.cap).toBeLessThanOrEqual(exact * 2 ** (1 / 8));
    expect(Math.max(...nonZero)).toBeGreaterThan(result.cap);
    const cappedMean = (arm: string) => {
      const all = values(arm).map((v) => Math.min(v, result.cap));
      return all.reduce((a, b) => a + b, 0) / all.length;
    };
    expect(result.control.mean).toBeCloseTo(cappedMean('false'), 9);
    expect(result.treatment.mean).toBeCloseTo(cappedMean('true'), 9);
  });

  it('gives each day its cumulative result when events arrive in time order', async () => {
    const events = generate(11, 250, true);
    await send(events);
    await app.pulse.catchUp();
    for (const day of [DAY0 + 1, DAY0 + 3, DAY0 + 8]) {
      expect(await totals(day)).toEqual(reference(events, day));
    }
    expect(await app.pulseStore.days('production', 'gate:canary')).toContain(DAY0);
  });
});
