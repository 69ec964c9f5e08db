/**
 * Pulse in process, without HTTP for the events: how fast stored events are folded into the
 * aggregates (CPU time per event), and what a result and a daily and an hourly series cost, on
 * a SQLite file database. Units are exposed to a gate over DAYS days (at any hour) and send
 * custom events before and after; 10 metrics (conversion, sum, ratio) read them.
 *
 * Run: npx tsx --conditions=@switchyard/source packages/server/bench/pulse-aggregation.bench.ts
 * Settings (environment): BENCH_UNITS (50000), BENCH_EVENTS_PER_UNIT (4), BENCH_DAYS (14),
 * BENCH_CHUNK (Pulse's chunk size, 5000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { DAY_MS, HOUR_MS } from '../src/pulse/aggregation.js';
import { openDatabase } from '../src/store/database.js';
import type { IncomingEvent } from '../src/store/event-store.js';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const UNITS = setting('BENCH_UNITS', 50_000);
const EVENTS_PER_UNIT = setting('BENCH_EVENTS_PER_UNIT', 4);
const DAYS = setting('BENCH_DAYS', 14);
const CHUNK = setting('BENCH_CHUNK', 5000);
const CONSOLE = 'console-pulse-aggregation-bench';
const START = Math.floor(Date.now() / DAY_MS - DAYS) * DAY_MS;

/** mulberry32: the same events on every run. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function main() {
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-pulse-aggregation-'));
  const database = await openDatabase(join(directory, 'switchyard.db'));
  const app = await buildApp({ database, pulseIntervalMs: 0, pulseChunkSize: CHUNK });
  try {
    await app.keys.ensure('production', 'console', CONSOLE);
    const api = async (url: string, payload: object) => {
      const response = await app.http.inject({
        method: 'POST',
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${CONSOLE}` },
        payload,
      });
      if (response.statusCode >= 300) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    };
    await api('/gates', { name: 'canary', rules: [{ name: 'half', passPercentage: 50 }] });
    for (let m = 0; m < 10; m++) {
      await api('/metrics', {
        name: `metric_${m}`,
        type: m % 3 === 0 ? 'conversion' : m % 3 === 1 ? 'sum' : 'ratio',
        numerator: { event: m % 2 === 0 ? 'purchase' : 'request' },
        ...(m % 3 === 2 && { denominator: { event: 'request' } }),
      });
    }
    // Events in time order, as they would arrive.
    const next = random(1);
    const events: IncomingEvent[] = [];
    for (let unit = 0; unit < UNITS; unit++) {
      const user = { userID: `u${unit}` };
      const exposed = START + Math.floor(next() * (DAYS - 1) * DAY_MS) + DAY_MS;
      events.push({
        eventName: 'statsig::gate_exposure',
        time: exposed,
        user,
        value: null,
        metadata: { gate: 'canary', gateValue: String(unit % 2 === 0), ruleID: 'canary_rule' },
        secondaryExposures: null,
      });
      for (let e = 0; e < EVENTS_PER_UNIT; e++) {
        events.push({
          eventName: next() < 0.3 ? 'purchase' : 'request',
          time: exposed + Math.floor((next() - 0.3) * 2 * DAY_MS),
          user,
          value: Math.floor(next() * 100),
          metadata: null,
          secondaryExposures: null,
        });
      }
    }
    events.sort((a, b) => a.time - b.time);
    for (let i = 0; i < events.length; i += 5000)
      await app.events.append('production', events.slice(i, i + 5000));

    const started = performance.now();
    const cpu = process.cpuUsage();
    const folded = await app.pulse.catchUp();
    const foldMs = performance.now() - started;
    const foldCpu = cpuMs(cpu);
    const timed = async (url: string, times: number) => {
      const durations: number[] = [];
      let bytes = 0;
      for (let i = 0; i < times; i++) {
        const t0 = performance.now();
        const response = await app.http.inject({
          method: 'GET',
          url: `/api/v1/pulse/gates/canary${url}`,
          headers: { authorization: `Bearer ${CONSOLE}` },
        });
        durations.push(performance.now() - t0);
        if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
        bytes = response.body.length;
      }
      durations.sort((a, b) => a - b);
      return `${durations[Math.floor(times / 2)]?.toFixed(1)} ms p50 of ${times} (${(bytes / 1024).toFixed(0)} KB)`;
    };
    const hours = Math.round((Date.now() - START) / HOUR_MS);
    console.log(`| what | measured |\n|---|---|`);
    console.log(
      `| fold ${folded.toLocaleString('en')} events (${UNITS.toLocaleString('en')} units, 10 metrics, ${DAYS} days) | ` +
        `${Math.round(folded / (foldMs / 1000)).toLocaleString('en')} events/s, ${((foldCpu / folded) * 1000).toFixed(1)} us CPU per event |`,
    );
    console.log(`| result to date | ${await timed('', 20)} |`);
    console.log(`| daily series (${DAYS} days) | ${await timed('/series', 5)} |`);
    console.log(`| hourly series (~${hours} hours) | ${await timed('/series?granularity=hour', 3)} |`);
  } finally {
    await app.http.close();
    await database.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
