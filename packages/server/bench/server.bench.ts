/**
 * The server under load, as issue 3 item 8 asks: `/v1/initialize` for distinct users and
 * `/v1/download_config_specs` against 300 gates and 50 experiments (in layers) imported from a
 * generated Statsig payload, with the server pinned to one core; the fan-out of a gate change
 * to 1,000 `/v1/stream` clients; and unleash-server's frontend API with the same 350 flags,
 * pinned the same way and driven with the same autocannon settings, side by side.
 *
 * Run: npm run bench -w @switchyard/server. Only 127.0.0.1 is used. Settings (environment):
 * BENCH_DURATION (s, 10), BENCH_WARMUP (s, 3), BENCH_CONNECTIONS (50), BENCH_STREAMS (1000),
 * BENCH_FANOUT_ROUNDS (5), BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1), BENCH_PEER (1; 0 skips
 * unleash-server), BENCH_POSTGRES_URL (postgres://postgres@127.0.0.1:5432/test, for the peer),
 * BENCH_TIME_LIMIT (s, 170: past it everything started is stopped and the run fails),
 * BENCH_CPU_PROF (a directory: the Switchyard server writes a V8 CPU profile there on exit).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CleanupStack } from './cleanup-stack.js';
import { benchUser, EMPLOYEE_DOMAIN, generateDcs } from './generate-dcs.js';
import { type FanOutResult, measureFanOut } from './measure-fan-out.js';
import { type LoadResult, type LoadSettings, runLoad } from './run-load.js';
import { pinSelf, spawnService, waitUntilReady } from './spawn-service.js';
import { startUnleash, UNLEASH_VERSION, unleashContext, unleashFlags } from './start-unleash.js';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

const SHAPE = { gates: 300, experiments: 50, experimentsPerLayer: 5 };
const LOAD: LoadSettings = {
  connections: setting('BENCH_CONNECTIONS', 50),
  warmupSeconds: setting('BENCH_WARMUP', 3),
  durationSeconds: setting('BENCH_DURATION', 10),
};
const STREAMS = setting('BENCH_STREAMS', 1000);
const FANOUT_ROUNDS = setting('BENCH_FANOUT_ROUNDS', 5);
const SERVER_CPU = setting('BENCH_SERVER_CPU', 0);
const CLIENT_CPU = setting('BENCH_CLIENT_CPU', 1);
const PEER = process.env.BENCH_PEER !== '0';
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const TIME_LIMIT_MS = setting('BENCH_TIME_LIMIT', 170) * 1000;
/** A directory for V8 CPU profiles of the Switchyard server (--cpu-prof), to see where its time goes. */
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF;
/** `cpus()` lists every CPU even after this process pins itself (availableParallelism() then says 1). */
const MACHINE = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`;

const KEYS = {
  server: 'secret-switchyard-bench-server',
  client: 'client-switchyard-bench-client',
  console: 'console-switchyard-bench-console',
};
/** An authored gate (the kill switch flipped in the fan-out); imported specs have no kill switch. */
const KILL_SWITCH = 'bench_kill_switch';
/** Unleash Edge's published figure for 350 features (Rust), the goal in issue 3. */
const INITIALIZE_GOAL = 6900;
const FANOUT_P99_GOAL_MS = 100;

const benchDir = dirname(fileURLToPath(import.meta.url));
const packageDir = dirname(benchDir);
const started = Date.now();
const cleanup = new CleanupStack();
/** Set when a signal, an uncaught error or the time limit ends the run: nothing more is reported. */
let aborted = false;

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

async function call(origin: string, method: string, path: string, key: string, body?: unknown) {
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

function initializeBody(n: number): string {
  return JSON.stringify({ user: benchUser(n), hash: 'djb2', statsigMetadata: { stableID: `device-${n}` } });
}

function ms(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 1)} ms` : 'n/a';
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function rate(value: number): string {
  return `${Math.round(value).toLocaleString('en-US')}`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function loadRow(what: string, server: string, result: LoadResult): string[] {
  return [
    what,
    server,
    rate(result.requestsPerSecond),
    ms(result.p50),
    ms(result.p99),
    result.serverCpu === null ? 'n/a' : `${Math.round(result.serverCpu * 100)}%`,
    `${Math.round(result.clientCpu * 100)}%`,
    kb(result.responseBytes),
    String(result.failures),
  ];
}

interface Outcome {
  initialize?: LoadResult;
  dcs?: LoadResult;
  fanOut?: FanOutResult;
  peer?: LoadResult;
  peerProblem?: string;
  notes: string[];
}

async function benchSwitchyard(outcome: Outcome): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  cleanup.push('remove the data directory', () => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const server = spawnService(
    'switchyard',
    process.execPath,
    [
      ...(CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] : []),
      '--conditions=@switchyard/source',
      '--import',
      'tsx',
      join(packageDir, 'src/main.ts'),
    ],
    {
      cpu: SERVER_CPU,
      cwd: packageDir,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: String(port),
        SWITCHYARD_HOST: '127.0.0.1',
        SWITCHYARD_DATA_DIR: dataDir,
        SWITCHYARD_INIT_SERVER_KEY: KEYS.server,
        SWITCHYARD_INIT_CLIENT_KEY: KEYS.client,
        SWITCHYARD_INIT_ADMIN_KEY: KEYS.console,
        LOG_LEVEL: 'warn',
      },
    },
  );
  cleanup.push('stop the switchyard server', () => server.stop());
  await waitUntilReady(server, `${origin}/readyz`, 30_000);

  const dcs = generateDcs(SHAPE);
  const imported = await call(origin, 'POST', '/api/v1/import/statsig', KEYS.console, dcs);
  await call(origin, 'POST', '/api/v1/gates', KEYS.console, {
    name: KILL_SWITCH,
    rules: [{ name: 'everyone', conditions: [{ type: 'public' }] }],
  });
  const sample = JSON.parse(
    await (
      await fetch(`${origin}/v1/initialize`, {
        method: 'POST',
        headers: { 'statsig-api-key': KEYS.client },
        body: initializeBody(1),
      })
    ).text(),
  ) as Record<string, Record<string, unknown>>;
  const counts = ['feature_gates', 'dynamic_configs', 'layer_configs'].map(
    (key) => Object.keys(sample[key] ?? {}).length,
  );
  outcome.notes.push(
    `switchyard: imported ${(imported.created as unknown[]).length} specs; one initialize response holds ` +
      `${counts[0]} gates, ${counts[1]} experiments, ${counts[2]} layers`,
  );
  if (counts[0] !== SHAPE.gates + 1 || counts[1] !== SHAPE.experiments) {
    throw new Error(`the initialize response does not hold the imported project: ${counts.join('/')}`);
  }

  console.log('measuring POST /v1/initialize...');
  outcome.initialize = await runLoad(
    {
      origin,
      method: 'POST',
      path: '/v1/initialize',
      headers: { 'statsig-api-key': KEYS.client, 'content-type': 'application/json' },
      body: initializeBody,
      serverPid: server.pid,
    },
    LOAD,
  );
  console.log('measuring GET /v1/download_config_specs...');
  outcome.dcs = await runLoad(
    {
      origin,
      method: 'GET',
      path: `/v1/download_config_specs/${KEYS.server}.json`,
      headers: {},
      serverPid: server.pid,
    },
    LOAD,
  );
  console.log(`measuring the fan-out to ${STREAMS} streams...`);
  outcome.fanOut = await measureFanOut({
    origin,
    serverKey: KEYS.server,
    streams: STREAMS,
    rounds: FANOUT_ROUNDS,
    roundTimeoutMs: 10_000,
    change: async (round) => {
      await call(
        origin,
        'POST',
        `/api/v1/gates/${KILL_SWITCH}/${round % 2 === 0 ? 'disable' : 'enable'}`,
        KEYS.console,
        {},
      );
    },
  });
  // Free the core for the peer.
  await server.stop();
}

async function benchUnleash(outcome: Outcome): Promise<void> {
  const dcs = generateDcs(SHAPE);
  const flags = unleashFlags(dcs);
  const employee = { ...benchUser(1), email: `probe${EMPLOYEE_DOMAIN}` };
  const unleash = await startUnleash(
    {
      directory: join(benchDir, 'unleash'),
      adminDatabaseUrl: POSTGRES_URL,
      database: 'unleash_bench',
      port: await freePort(),
      cpu: SERVER_CPU,
      cleanup,
      timeoutMs: Math.max(10_000, TIME_LIMIT_MS - (Date.now() - started) - 2 * 1000 * LOAD.durationSeconds),
    },
    flags,
    unleashContext(employee),
  );
  outcome.notes.push(
    `unleash-server ${UNLEASH_VERSION}: ${unleash.flags} flags created through its admin API in ` +
      `${(unleash.setupMs / 1000).toFixed(1)} s`,
  );
  console.log('measuring unleash-server POST /api/frontend...');
  outcome.peer = await runLoad(
    {
      origin: unleash.origin,
      method: 'POST',
      path: '/api/frontend',
      headers: { authorization: unleash.frontendToken, 'content-type': 'application/json' },
      body: (n) => JSON.stringify(unleashContext(benchUser(n))),
      serverPid: unleash.service.pid,
    },
    LOAD,
  );
  await unleash.service.stop();
}

function report(outcome: Outcome, pinned: boolean): void {
  console.log(
    `\nSwitchyard server: ${SHAPE.gates} gates, ${SHAPE.experiments} experiments in ` +
      `${Math.ceil(SHAPE.experiments / SHAPE.experimentsPerLayer)} layers; node ${process.version}, ` +
      MACHINE,
  );
  console.log(
    pinned
      ? `server pinned to CPU ${SERVER_CPU}, load generator (autocannon, stream clients) to CPU ${CLIENT_CPU}`
      : 'not pinned (taskset missing or too few CPUs): numbers share cores with the load generator',
  );
  console.log(
    `autocannon: ${LOAD.connections} connections, ${LOAD.warmupSeconds} s warm-up, ` +
      `${LOAD.durationSeconds} s measured; every request a new user\n`,
  );
  for (const note of outcome.notes) console.log(note);
  const rows: string[][] = [];
  if (outcome.initialize) {
    rows.push(loadRow('POST /v1/initialize (distinct users)', 'switchyard', outcome.initialize));
  }
  if (outcome.peer)
    rows.push(
      loadRow('POST /api/frontend (distinct users)', `unleash-server ${UNLEASH_VERSION}`, outcome.peer),
    );
  else if (PEER || outcome.peerProblem) {
    rows.push([
      'POST /api/frontend (distinct users)',
      `unleash-server ${UNLEASH_VERSION}`,
      `not measured: ${outcome.peerProblem ?? 'skipped'}`,
      '',
      '',
      '',
      '',
      '',
      '',
    ]);
  }
  if (outcome.dcs) rows.push(loadRow('GET /v1/download_config_specs', 'switchyard', outcome.dcs));
  console.log('');
  console.log(
    table(
      ['endpoint', 'server', 'req/s', 'p50', 'p99', 'server CPU', 'client CPU', 'response', 'failures'],
      rows,
    ),
  );
  const clientBound = [
    ['initialize', outcome.initialize],
    ['unleash-server', outcome.peer],
    ['download_config_specs', outcome.dcs],
  ].filter(([, result]) => {
    const load = result as LoadResult | undefined;
    return load?.serverCpu != null && load.serverCpu < 0.9;
  });
  if (clientBound.length > 0) {
    console.log(
      `note: the server was under 90% busy for ${clientBound.map(([name]) => name).join(', ')}: ` +
        'the load generator set the pace there, so the server can do more than shown',
    );
  }
  const disturbed = [
    ['initialize', outcome.initialize],
    ['unleash-server', outcome.peer],
    ['download_config_specs', outcome.dcs],
  ].flatMap(([name, result]) => {
    const other = (result as LoadResult | undefined)?.otherCpu;
    return other != null && other > 0.1 ? [`${name} (${Math.round(other * 100)}% of a core)`] : [];
  });
  if (disturbed.length > 0) {
    console.log(
      `note: other processes or the hypervisor took CPU during ${disturbed.join(', ')}: those numbers are low`,
    );
  }
  if (outcome.fanOut) {
    const f = outcome.fanOut;
    console.log(`\nthe gate change request itself answered in ${ms(f.changeP50)} (median)`);
    console.log(
      table(
        [
          'fan-out: gate change -> config event',
          'streams',
          'changes',
          'p50',
          'p99',
          'max',
          'first byte p50 / p99',
          'event',
          'missed',
        ],
        [
          [
            'POST /api/v1/gates/:name/disable|enable',
            String(f.streams),
            String(f.rounds),
            ms(f.p50),
            ms(f.p99),
            ms(f.max),
            `${ms(f.firstByteP50)} / ${ms(f.firstByteP99)}`,
            kb(f.eventBytes),
            String(f.missed),
          ],
        ],
      ),
    );
  }
  console.log('\ngoals (issue 3):');
  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'met' : 'NOT met');
  const init = outcome.initialize?.requestsPerSecond;
  console.log(
    `- initialize >= ${rate(INITIALIZE_GOAL)} req/s on one core: ${verdict(init === undefined ? undefined : init >= INITIALIZE_GOAL)}` +
      (init === undefined ? '' : ` (${rate(init)})`),
  );
  const peer = outcome.peer?.requestsPerSecond;
  console.log(
    `- initialize faster than unleash-server's frontend API: ${verdict(init === undefined || peer === undefined ? undefined : init > peer)}` +
      (init === undefined || peer === undefined ? '' : ` (${(init / peer).toFixed(2)}x)`),
  );
  const fanOut = outcome.fanOut;
  const fanOutOk =
    fanOut === undefined || fanOut.streams < 1000
      ? undefined
      : fanOut.p99 < FANOUT_P99_GOAL_MS && fanOut.missed === 0;
  console.log(
    `- fan-out to 1,000 streams, p99 < ${FANOUT_P99_GOAL_MS} ms: ${verdict(fanOutOk)}` +
      (fanOut === undefined ? '' : ` (${ms(fanOut.p99)} with ${fanOut.streams} streams)`),
  );
  console.log(`\ntotal run time ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function main(): Promise<void> {
  const fail = (why: string) => {
    if (aborted) return;
    aborted = true;
    console.error(why);
    void cleanup.run().finally(() => process.exit(1));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => fail(`${signal}: stopping`));
  }
  process.on('uncaughtException', (error) => fail(`uncaught: ${error.stack ?? error}`));
  process.on('unhandledRejection', (error) => fail(`unhandled rejection: ${error}`));
  const watchdog = setTimeout(
    () => fail(`time limit of ${TIME_LIMIT_MS / 1000} s reached (BENCH_TIME_LIMIT)`),
    TIME_LIMIT_MS,
  );

  const pinned = pinSelf(CLIENT_CPU);
  const outcome: Outcome = { notes: [] };
  try {
    await benchSwitchyard(outcome);
    if (PEER) {
      try {
        await benchUnleash(outcome);
      } catch (error) {
        if (aborted) return;
        outcome.peerProblem = (error instanceof Error ? error.message : String(error)).split('\n')[0];
        console.error(`unleash-server not measured: ${error instanceof Error ? error.message : error}`);
      }
    }
    await cleanup.run();
    if (!aborted) report(outcome, pinned);
  } finally {
    await cleanup.run();
    clearTimeout(watchdog);
  }
}

await main();
