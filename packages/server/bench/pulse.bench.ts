/**
 * Events and Pulse under load (issue 5 item 7): log_event ingestion through HTTP (events per
 * second accepted and durable, i.e. committed before the 2xx), on SQLite and on Postgres, with
 * the server pinned to one core and autocannon on the other; then Pulse: how fast stored events
 * are folded into aggregates, and how long a result takes for many units and 10 metrics.
 *
 * Ingestion is measured twice per database: with no metrics defined (Pulse only moves its
 * cursor), and with the Pulse phase's gate and 10 metrics defined, so the aggregator folds the
 * same events while they arrive. Events per second are the 2xx responses of the measured run
 * times the batch size (a 2xx means committed); the stored count is checked against them.
 *
 * Run: npm run bench:pulse -w @switchyard/server. Settings (environment): BENCH_DURATION (s, 10),
 * BENCH_WARMUP (s, 2), BENCH_CONNECTIONS (8), BENCH_BATCH (events per request, 500),
 * BENCH_UNITS (units in the Pulse phase, 100000), BENCH_POSTGRES_URL
 * (postgres://postgres@127.0.0.1:5432/test; BENCH_POSTGRES=0 skips Postgres), BENCH_PULSE=0 skips
 * Pulse, BENCH_INGEST_WITH_METRICS=0 skips the ingestion runs with metrics, BENCH_CPU_PROF (a
 * directory: each server writes a V8 CPU profile there on exit).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { CleanupStack } from './cleanup-stack.js';
import { runLoad } from './run-load.js';
import { pinSelf, spawnService, waitUntilReady } from './spawn-service.js';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

const DURATION = setting('BENCH_DURATION', 10);
const WARMUP = setting('BENCH_WARMUP', 2);
const CONNECTIONS = setting('BENCH_CONNECTIONS', 8);
const BATCH = setting('BENCH_BATCH', 500);
const UNITS = setting('BENCH_UNITS', 100_000);
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const POSTGRES = process.env.BENCH_POSTGRES !== '0';
const PULSE = process.env.BENCH_PULSE !== '0';
const INGEST_WITH_METRICS = process.env.BENCH_INGEST_WITH_METRICS !== '0';
const INGEST_GOAL = 100_000;
const PULSE_GOAL_MS = 200;
const METRIC_COUNT = 10;

const KEYS = { server: 'secret-pulse-bench', console: 'console-pulse-bench' };
const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const cleanup = new CleanupStack();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

async function call(origin: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEYS.console}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** A batch of custom events and exposures, unique per `n` (retries of equal bodies are dropped). */
function batchBody(n: number): string {
  const events = [];
  for (let i = 0; i < BATCH; i++) {
    const unit = (n * BATCH + i) % 1_000_000;
    events.push(
      i % 5 === 0
        ? {
            eventName: 'statsig::gate_exposure',
            time: Date.now(),
            user: { userID: `u${unit}` },
            metadata: { gate: 'canary', gateValue: String(unit % 2 === 0), ruleID: 'canary_rule' },
          }
        : {
            eventName: i % 3 === 0 ? 'purchase' : 'request',
            time: Date.now(),
            user: { userID: `u${unit}` },
            value: i % 50,
          },
    );
  }
  return JSON.stringify({ events, statsigMetadata: { sdkType: 'bench', batch: n } });
}

interface Target {
  name: string;
  env: Record<string, string>;
  storedEvents(): Promise<number>;
}

async function startServer(target: Target, port: number) {
  const server = spawnService(
    `switchyard (${target.name})`,
    process.execPath,
    [
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      '--conditions=@switchyard/source',
      '--import',
      'tsx',
      join(packageDir, 'src/main.ts'),
    ],
    {
      cpu: 0,
      cwd: packageDir,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        PORT: String(port),
        SWITCHYARD_HOST: '127.0.0.1',
        SWITCHYARD_INIT_SERVER_KEY: KEYS.server,
        SWITCHYARD_INIT_ADMIN_KEY: KEYS.console,
        LOG_LEVEL: 'warn',
        ...target.env,
      },
    },
  );
  cleanup.push(`stop ${server.name}`, () => server.stop());
  const origin = `http://127.0.0.1:${port}`;
  await waitUntilReady(server, `${origin}/readyz`, 30_000);
  return { server, origin };
}

/** The Pulse phase's gate and metrics (conversion, sum, ratio over the bench's events). */
async function defineCatalogue(origin: string) {
  await call(origin, 'POST', '/api/v1/gates', {
    name: 'canary',
    rules: [{ name: 'half', passPercentage: 50 }],
  });
  for (let m = 0; m < METRIC_COUNT; m++) {
    await call(origin, 'POST', '/api/v1/metrics', {
      name: `metric_${m}`,
      type: m % 3 === 0 ? 'conversion' : m % 3 === 1 ? 'sum' : 'ratio',
      numerator: { event: m % 2 === 0 ? 'purchase' : 'request' },
      ...(m % 3 === 2 && { denominator: { event: 'request' } }),
    });
  }
}

async function measureIngestion(target: Target, withMetrics: boolean) {
  const { server, origin } = await startServer(target, await freePort());
  if (withMetrics) await defineCatalogue(origin);
  const before = await target.storedEvents();
  const load = await runLoad(
    {
      origin,
      method: 'POST',
      path: '/v1/log_event',
      headers: { 'statsig-api-key': KEYS.server, 'content-type': 'application/json' },
      body: batchBody,
      serverPid: server.pid,
    },
    { connections: CONNECTIONS, warmupSeconds: WARMUP, durationSeconds: DURATION },
  );
  const stored = (await target.storedEvents()) - before;
  await server.stop();
  // Every acknowledged batch of the measured run (and the warm-up's) must be stored.
  const acknowledged = Math.round(load.requestsPerSecond * DURATION) * BATCH;
  if (stored < acknowledged)
    throw new Error(`${target.name}: ${stored} events stored, ${acknowledged} acknowledged`);
  return { load, stored };
}

/** Pulse: units exposed to a gate, events for 10 metrics, folded, then one result timed. */
async function measurePulse(target: Target) {
  const { server, origin } = await startServer(target, await freePort());
  await defineCatalogue(origin);
  const started = Date.now();
  const perRequest = 1000;
  const post = async (first: number) => {
    const events = [];
    for (let unit = first; unit < Math.min(UNITS, first + perRequest / 2); unit++) {
      events.push({
        eventName: 'statsig::gate_exposure',
        time: Date.now(),
        user: { userID: `u${unit}` },
        metadata: { gate: 'canary', gateValue: String(unit % 2 === 0), ruleID: 'canary_rule' },
      });
      events.push({
        eventName: unit % 3 ? 'request' : 'purchase',
        time: Date.now(),
        user: { userID: `u${unit}` },
        value: unit % 97,
      });
    }
    const response = await fetch(`${origin}/v1/log_event`, {
      method: 'POST',
      headers: { 'statsig-api-key': KEYS.server, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    if (response.status !== 202) throw new Error(`log_event: ${response.status}`);
  };
  // Four requests in flight, as several SDK instances would send.
  let next = 0;
  const sender = async () => {
    for (let first = next; first < UNITS; first = next) {
      next += perRequest / 2;
      await post(first);
    }
  };
  await Promise.all([sender(), sender(), sender(), sender()]);
  const sent = Date.now() - started;
  // Wait until the aggregator has folded everything in (the result counts every unit). Only
  // the comparison's arms count: every metric repeats the units of its arms.
  const foldStarted = Date.now();
  for (;;) {
    const result = (await call(origin, 'GET', '/api/v1/pulse/gates/canary')) as {
      comparisons?: { control: { units: number }; treatment: { units: number } }[];
    };
    const units = (result.comparisons ?? []).reduce((sum, c) => sum + c.control.units + c.treatment.units, 0);
    if (units >= UNITS) break;
    if (Date.now() - foldStarted > 30 * 60_000) throw new Error('Pulse did not catch up within 30 minutes');
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const folded = Date.now() - started;
  const timings: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await call(origin, 'GET', '/api/v1/pulse/gates/canary');
    timings.push(performance.now() - t0);
  }
  timings.sort((a, b) => a - b);
  const series = async (query: string) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await call(origin, 'GET', `/api/v1/pulse/gates/canary/series${query}`);
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[2] ?? 0;
  };
  const daily = await series('');
  const hourly = await series('?granularity=hour');
  await server.stop();
  return {
    sentMs: sent,
    foldedMs: folded,
    queryP50: timings[10] ?? 0,
    queryMax: timings.at(-1) ?? 0,
    daily,
    hourly,
  };
}

async function main() {
  pinSelf(1);
  const targets: Target[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-pulse-bench-'));
  cleanup.push('remove the data directory', () => rmSync(dataDir, { recursive: true, force: true }));
  targets.push({
    name: 'SQLite',
    env: { SWITCHYARD_DATA_DIR: dataDir },
    async storedEvents() {
      const db = new Database(join(dataDir, 'switchyard.db'), { readonly: true, fileMustExist: true });
      try {
        return (db.prepare('select count(*) as n from events').get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
  });
  if (POSTGRES) {
    const schema = `pulse_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    cleanup.push('drop the Postgres schema', async () => {
      await admin.query(`drop schema if exists ${schema} cascade`);
      await admin.end();
    });
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    targets.push({
      name: 'Postgres',
      env: { DATABASE_URL: url.toString() },
      async storedEvents() {
        return Number((await admin.query(`select count(*) as n from ${schema}.events`)).rows[0]?.n ?? 0);
      },
    });
  }
  const rows: string[] = [];
  for (const target of targets) {
    for (const withMetrics of INGEST_WITH_METRICS ? [false, true] : [false]) {
      const { load, stored } = await measureIngestion(target, withMetrics);
      const cpu = (share: number | null) => (share === null ? '?' : `${Math.round(share * 100)}%`);
      rows.push(
        `| ingest, ${target.name}${withMetrics ? `, ${METRIC_COUNT} metrics defined` : ''} | ` +
          `${Math.round(load.requestsPerSecond * BATCH).toLocaleString('en')} events/s durable | ` +
          `${Math.round(load.requestsPerSecond)} req/s x ${BATCH}, p50 ${load.p50.toFixed(1)} ms, p99 ${load.p99.toFixed(1)} ms, ` +
          `server CPU ${cpu(load.serverCpu)}, load generator CPU ${cpu(load.clientCpu)}, other CPU ${cpu(load.otherCpu)}, ` +
          `failures ${load.failures}, ${stored.toLocaleString('en')} stored | ${INGEST_GOAL.toLocaleString('en')} events/s |`,
      );
      console.error(rows.at(-1));
    }
  }
  for (const target of PULSE ? targets.slice(0, 1) : []) {
    const pulse = await measurePulse(target);
    rows.push(
      `| Pulse, ${target.name}, ${UNITS.toLocaleString('en')} units x ${METRIC_COUNT} metrics | result in ${pulse.queryP50.toFixed(1)} ms (p50 of 20; max ${pulse.queryMax.toFixed(1)}); series: daily ${pulse.daily.toFixed(1)} ms, hourly ${pulse.hourly.toFixed(1)} ms (p50 of 5) | ` +
        `${(UNITS * 2).toLocaleString('en')} events sent in ${(pulse.sentMs / 1000).toFixed(1)} s, folded by ${(pulse.foldedMs / 1000).toFixed(1)} s | ${PULSE_GOAL_MS} ms |`,
    );
  }
  console.log('\n| what | measured | detail | goal |\n|---|---|---|---|');
  for (const row of rows) console.log(row);
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => cleanup.run());
