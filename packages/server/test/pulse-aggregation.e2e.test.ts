/**
 * Pulse's incremental aggregation against a brute-force reference computed from the raw events
 * in the test: every arm's sufficient statistics must match exactly (integer values keep float
 * sums exact), whatever the chunking, with late events and re-exposures, to date, per day and
 * per hour; a rebuild from the raw events gives the same numbers. Runs on SQLite and on Postgres.
 */
import { type CupedRatioStats, estimateCupedRatioLift, METHOD, testLift } from '@switchyard/stats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { DAY_MS, HOUR_MS, PRE_PERIOD_DAYS } from '../src/pulse/aggregation.js';
import { type ArmStats, addArmStats, emptyArmStats, unitContribution } from '../src/pulse/arm-stats.js';
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
  // Revenue per purchase: a mean is the ratio of the value's sum to the count of the events.
  { name: 'order_value', type: 'mean', numerator: { event: 'purchase' } },
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

/**
 * Users exposed over 6 days (at any hour), events before and after, some sent late, some
 * re-exposed.
 */
function generate(seed: number, users: number, inOrder: boolean): RawEvent[] {
  const next = random(seed);
  const at = (day: number) => (DAY0 + day) * DAY_MS + Math.floor(next() * (DAY_MS - 1));
  const events: RawEvent[] = [];
  for (let u = 0; u < users; u++) {
    const user = { userID: `u${u}` };
    const exposureDay = Math.floor(next() * 6);
    const exposureHour = Math.floor(next() * 24);
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
      const time = (DAY0 + exposureDay) * DAY_MS + exposureHour * HOUR_MS + Math.floor(next() * 1000);
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
const hourOf = (time: number) => Math.floor(time / HOUR_MS);

/**
 * Pulse's statistics computed the slow, obvious way from the events in arrival order, counting
 * only what happened through the end of `throughHour` (hours since the epoch). Days decide what
 * is post- and pre-exposure; hours only what has happened yet.
 */
function reference(events: RawEvent[], throughHour = Number.POSITIVE_INFINITY): Map<string, ArmStats> {
  const out = new Map<string, ArmStats>();
  for (const { arm, values } of unitValues(events, throughHour)) {
    for (const [metric, value] of Object.entries(values)) {
      const key = `${arm}|${metric}`;
      out.set(key, addArmStats(out.get(key) ?? emptyArmStats(), unitContribution(value)));
    }
  }
  return out;
}

type Values = { y: number; d: number; x: number; e: number };

/** Each exposed unit's arm and per-metric values (post `y`, `d`; pre-period `x`, `e`). */
function unitValues(
  events: RawEvent[],
  throughHour = Number.POSITIVE_INFINITY,
): { arm: string; values: Record<string, Values> }[] {
  const exposures = new Map<string, { arm: string; day: number; hour: number }>();
  for (const event of events) {
    if (event.eventName !== 'statsig::gate_exposure' || exposures.has(event.user.userID)) continue;
    exposures.set(event.user.userID, {
      arm: `${event.metadata?.ruleID}:${event.metadata?.gateValue}`,
      day: dayOf(event.time),
      hour: hourOf(event.time),
    });
  }
  const out: { arm: string; values: Record<string, Values> }[] = [];
  for (const [userID, exposure] of exposures) {
    if (exposure.hour > throughHour) continue;
    const own = events.filter((event) => event.user.userID === userID && hourOf(event.time) <= throughHour);
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
    const values: Record<string, Values> = {
      purchase_conversion: {
        y: sum(purchases, true) > 0 ? 1 : 0,
        d: 0,
        x: sum(purchases, false) > 0 ? 1 : 0,
        e: 0,
      },
      revenue: { y: sum(revenue, true), d: 0, x: sum(revenue, false), e: 0 },
      // A ratio's covariate is its pre-period numerator and denominator.
      timeout_rate: {
        y: sum(timeouts, true),
        d: sum(requests, true),
        x: sum(timeouts, false),
        e: sum(requests, false),
      },
      requests: { y: sum(requests, true), d: 0, x: sum(requests, false), e: 0 },
      order_value: {
        y: sum(revenue, true),
        d: sum(purchases, true),
        x: sum(revenue, false),
        e: sum(purchases, false),
      },
      revenue_capped: { y: sum(revenue, true), d: 0, x: sum(revenue, false), e: 0 },
    };
    out.push({ arm: exposure.arm, values });
  }
  return out;
}

/** A ratio's sums in @switchyard/stats' terms (ratio x / y), from per-unit values. */
function cupedRatioSums(units: Values[]): CupedRatioStats {
  const sum = (pick: (unit: Values) => number) => units.reduce((total, unit) => total + pick(unit), 0);
  return {
    n: units.length,
    sumX: sum((u) => u.y),
    sumY: sum((u) => u.d),
    sumX2: sum((u) => u.y * u.y),
    sumY2: sum((u) => u.d * u.d),
    sumXY: sum((u) => u.y * u.d),
    sumXPre: sum((u) => u.x),
    sumYPre: sum((u) => u.e),
    sumXPre2: sum((u) => u.x * u.x),
    sumYPre2: sum((u) => u.e * u.e),
    sumXPreYPre: sum((u) => u.x * u.e),
    sumXXPre: sum((u) => u.y * u.x),
    sumYYPre: sum((u) => u.d * u.e),
    sumXYPre: sum((u) => u.y * u.e),
    sumYXPre: sum((u) => u.d * u.x),
  };
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

  /** The totals at the end of every hour with data, summed from the hourly rows as a series does. */
  async function hourlyTotals(): Promise<Map<number, Map<string, ArmStats>>> {
    const rows = await app.pulseStore.armSeries('production', 'gate:canary', 'hour');
    const running = new Map<string, ArmStats>();
    const byHour = new Map<number, Map<string, ArmStats>>();
    for (const row of rows) {
      const key = `${row.arm}|${row.metric}`;
      running.set(key, addArmStats(running.get(key) ?? emptyArmStats(), row.stats));
      byHour.set(row.period, new Map([...running].map(([k, stats]) => [k, { ...stats }])));
    }
    return byHour;
  }

  /** The hourly (or daily) rows of every table, to compare a rebuild with the incremental path. */
  async function allRows() {
    const tables = [
      'pulse_arm_days',
      'pulse_arm_hours',
      'pulse_arm_buckets',
      'pulse_arm_bucket_hours',
    ] as const;
    const out: Record<string, unknown[]> = {};
    for (const table of tables) {
      const rows = (await database.db.selectFrom(table).selectAll().execute()) as Record<string, unknown>[];
      out[table] = rows
        .map((row) =>
          Object.fromEntries(
            Object.entries(row).map(([k, v]) => [
              k,
              typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v,
            ]),
          ),
        )
        .filter((row) => Object.entries(row).some(([k, v]) => /^(n|sum_)/.test(k) && v !== 0))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    }
    return out;
  }

  it('matches the brute-force reference with late events and re-exposures, in any chunking, and after a rebuild', async () => {
    const events = generate(7, 400, false);
    // Half now, folded in; the rest later, in another run (incremental, across runs and chunks).
    await send(events.slice(0, 900));
    await app.pulse.catchUp();
    await send(events.slice(900));
    expect(await app.pulse.catchUp()).toBe(events.length - 900);
    const expected = reference(events);
    expect(expected.size).toBe(12);
    expect(await totals()).toEqual(expected);
    // Ratios keep their pre-period numerator and denominator (CUPED on ratios).
    expect(expected.get('canary_rule:true|timeout_rate')?.sumE).toBeGreaterThan(0);
    // Every hour's and day's rows add up to the same totals.
    expect([...(await hourlyTotals()).values()].at(-1)).toEqual(expected);
    const incremental = await allRows();

    // Changing the catalogue rebuilds from the raw events; reverting it rebuilds the same numbers,
    // row for row (days, hours, value buckets).
    await api('PATCH', '/metrics/revenue', {
      numerator: { event: 'purchase', valueField: 'metadata.nothing' },
    });
    await app.pulse.catchUp();
    expect((await totals()).get('canary_rule:true|revenue')?.sumY).toBe(0);
    await api('POST', '/metrics/revenue/revert', { version: 1 });
    await app.pulse.catchUp();
    expect(await totals()).toEqual(expected);
    expect(await allRows()).toEqual(incremental);
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

  it('applies CUPED to ratio and mean metrics with their pre-period numerator and denominator', async () => {
    const events = generate(3, 600, false);
    await send(events);
    await app.pulse.catchUp();
    const result = async (cuped: boolean) => {
      const response = await app.http.inject({
        method: 'GET',
        url: `/api/v1/pulse/gates/canary?cuped=${cuped}`,
        headers: { authorization: `Bearer ${CONSOLE}` },
      });
      expect(response.statusCode, response.body).toBe(200);
      return response.json().comparisons[0].metrics as {
        metric: string;
        cuped: boolean;
        absolute: { estimate: number; interval: [number, number] };
        relative: { estimate: number; interval: [number, number] };
      }[];
    };
    const [adjusted, plain] = [await result(true), await result(false)];
    const units = unitValues(events);
    for (const metric of ['timeout_rate', 'order_value']) {
      const arm = (value: boolean) =>
        cupedRatioSums(
          units.filter((u) => u.arm === `canary_rule:${value}`).map((u) => u.values[metric] as Values),
        );
      const expected = testLift(estimateCupedRatioLift(arm(false), arm(true)), {
        alpha: 0.05,
        method: METHOD.fixedHorizon,
      });
      if (expected.status !== 'ok' || expected.absolute.status !== 'ok' || expected.relative.status !== 'ok')
        throw new Error(`no reference for ${metric}`);
      const got = adjusted.find((m) => m.metric === metric);
      expect(got?.cuped, metric).toBe(true);
      expect(got?.absolute.estimate).toBeCloseTo(expected.absolute.estimate, 12);
      expect(got?.absolute.interval[0]).toBeCloseTo(expected.absolute.interval[0], 12);
      expect(got?.absolute.interval[1]).toBeCloseTo(expected.absolute.interval[1], 12);
      expect(got?.relative.estimate).toBeCloseTo(expected.relative.estimate, 12);
      // The adjustment moved the estimate, and without it the plain ratio is shown.
      const without = plain.find((m) => m.metric === metric);
      expect(without?.cuped).toBe(false);
      expect(without?.absolute.estimate).not.toBeCloseTo(got?.absolute.estimate ?? 0, 12);
    }
  });

  it('gives each day and each hour its cumulative result when events arrive in time order', async () => {
    const events = generate(11, 250, true);
    // Two runs, so hours are folded incrementally across them too.
    const half = events.findIndex((event) => event.time >= (DAY0 + 3) * DAY_MS + 5 * HOUR_MS);
    await send(events.slice(0, half));
    await app.pulse.catchUp();
    await send(events.slice(half));
    await app.pulse.catchUp();
    for (const day of [DAY0 + 1, DAY0 + 3, DAY0 + 8]) {
      expect(await totals(day)).toEqual(reference(events, (day + 1) * 24 - 1));
    }
    expect(await app.pulseStore.days('production', 'gate:canary')).toContain(DAY0);
    const hourly = await hourlyTotals();
    const hours = [...hourly.keys()];
    expect(hours.length).toBeGreaterThan(100);
    // Every hour with data (a series has one point per such hour).
    for (const hour of hours) expect(hourly.get(hour), `hour ${hour}`).toEqual(reference(events, hour));
    // The last hour of a day is that day's result.
    const lastOfDay3 = Math.max(...hours.filter((hour) => Math.floor(hour / 24) === DAY0 + 3));
    expect(hourly.get(lastOfDay3)).toEqual(await totals(DAY0 + 3));

    // Through HTTP: one point per hour, the units of the reference at that hour.
    const response = await app.http.inject({
      method: 'GET',
      url: '/api/v1/pulse/gates/canary/series?granularity=hour',
      headers: { authorization: `Bearer ${CONSOLE}` },
    });
    expect(response.statusCode, response.body).toBe(200);
    const series = response.json();
    expect(series.granularity).toBe('hour');
    expect(series.hours.map((point: { through: string }) => point.through)).toEqual(
      hours.map((hour) => new Date(hour * HOUR_MS).toISOString()),
    );
    const at = hours[60] as number;
    const point = series.hours[60];
    expect(point.comparisons[0].treatment.units).toBe(
      reference(events, at).get('canary_rule:true|requests')?.n,
    );
    const daily = await app.http.inject({
      method: 'GET',
      url: `/api/v1/pulse/gates/canary/series?from=${new Date((DAY0 + 2) * DAY_MS).toISOString()}&to=${new Date((DAY0 + 3) * DAY_MS).toISOString().slice(0, 10)}`,
      headers: { authorization: `Bearer ${CONSOLE}` },
    });
    expect(daily.json().days.map((point: { through: string }) => point.through)).toEqual([
      new Date((DAY0 + 2) * DAY_MS).toISOString().slice(0, 10),
      new Date((DAY0 + 3) * DAY_MS).toISOString().slice(0, 10),
    ]);
    // The daily series' last point is the result through that day.
    const through = await app.http.inject({
      method: 'GET',
      url: `/api/v1/pulse/gates/canary?through=${new Date((DAY0 + 3) * DAY_MS).toISOString().slice(0, 10)}`,
      headers: { authorization: `Bearer ${CONSOLE}` },
    });
    expect(daily.json().days[1]).toEqual(through.json());
  });
});
