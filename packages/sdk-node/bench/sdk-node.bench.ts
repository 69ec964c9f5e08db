/**
 * @switchyard/node benchmarks. Run: npm run bench -w @switchyard/node
 *
 * (a) checkGate through the SDK's public API against statsig-node 6.5.2's checkGate*Sync on
 *     the same specs and users (scenarios S1-S3), same process, best of rounds; once without
 *     exposure logging and once with it (both SDKs then dedupe and build each exposure event).
 * (b) Propagation: BENCH_INSTANCES SDK instances in BENCH_PROCESSES child processes, connected
 *     to one server (a child process on SQLite in a temporary directory); a gate's kill switch
 *     is flipped BENCH_FLIPS times and, per flip, the time from sending the change to each
 *     instance's checkGate returning the new value is recorded.
 *
 * Settings (environment): BENCH_USERS (200000), BENCH_ROUNDS (5), BENCH_PART (all | eval |
 * propagation), BENCH_INSTANCES (1000), BENCH_PROCESSES (4), BENCH_FLIPS (5),
 * BENCH_WARMUP_FLIPS (1, not counted), BENCH_DEBUG (per-flip lines), BENCH_GATES (20:
 * gates in the propagation project besides the flipped one), BENCH_CPU_PROF (a directory for V8
 * CPU profiles of the server and SDK child processes), BENCH_BUILT (the SDK child processes run
 * the compiled packages, as users do, instead of the TypeScript sources through tsx, whose
 * `keepNames` wraps every closure created; build first: npm run build -w @switchyard/node).
 * Only 127.0.0.1 is used; child processes and the temporary directory are removed even when
 * the run fails.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ConfigSpecs, StatsigUser } from '@switchyard/core';
import { Switchyard } from '@switchyard/node';
import statsigModule from 'statsig-node';
import { GATE, makeUsers, SCENARIOS } from './scenarios.js';

const setting = (name: string, fallback: number, min = 1) => {
  const raw = process.env[name];
  const value = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(value) && value >= min ? value : fallback;
};
const USER_COUNT = setting('BENCH_USERS', 200_000);
const ROUNDS = setting('BENCH_ROUNDS', 5);
const INSTANCES = setting('BENCH_INSTANCES', 1000);
const PROCESSES = setting('BENCH_PROCESSES', 4);
const FLIPS = setting('BENCH_FLIPS', 5);
const WARMUP_FLIPS = setting('BENCH_WARMUP_FLIPS', 1, 0);
const EXTRA_GATES = setting('BENCH_GATES', 20, 0);
const PART = process.env.BENCH_PART ?? 'all';
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF;

const benchDir = dirname(fileURLToPath(import.meta.url));
const packageDir = join(benchDir, '..');
const SOURCE_EXEC_ARGV = ['--conditions=@switchyard/source', '--import', 'tsx'];
/** tsx only for the child's own file: `@switchyard/node` and `@switchyard/core` resolve to their dist. */
const BUILT_EXEC_ARGV = ['--import', 'tsx'];
const BUILT = Boolean(process.env.BENCH_BUILT);

/** Refuses to measure a dist older than its sources (BENCH_BUILT). */
function checkBuilt(): void {
  for (const dir of [packageDir, join(packageDir, '..', 'core')]) {
    const newest = (folder: string, suffix: string) =>
      Math.max(
        0,
        ...readdirSync(folder, { recursive: true, encoding: 'utf8' })
          .filter((name) => name.endsWith(suffix) && !name.endsWith('.test.ts'))
          .map((name) => statSync(join(folder, name)).mtimeMs),
      );
    const built = existsSync(join(dir, 'dist')) ? newest(join(dir, 'dist'), '.js') : 0;
    if (built < newest(join(dir, 'src'), '.ts')) {
      throw new Error(`${dir}/dist is missing or older than its sources: npm run build -w @switchyard/node`);
    }
  }
}

type Check = (user: StatsigUser) => boolean;

// ---- (a) evaluation ------------------------------------------------------------------------

interface StatsigServerLike {
  initializeAsync(): Promise<unknown>;
  checkGateSync(user: StatsigUser, gate: string): boolean;
  checkGateWithExposureLoggingDisabledSync(user: StatsigUser, gate: string): boolean;
  shutdown(): void;
}

async function statsigServer(specs: ConfigSpecs): Promise<StatsigServerLike> {
  const { StatsigServer } = statsigModule as unknown as {
    StatsigServer: new (key: string, options: Record<string, unknown>) => StatsigServerLike;
  };
  // localMode: no network; exposures are still deduplicated and built, then not queued.
  const server = new StatsigServer('secret-bench', {
    localMode: true,
    bootstrapValues: JSON.stringify(specs),
  });
  await server.initializeAsync();
  return server;
}

// A full collection before each round, so garbage left by the previous measurement (of either
// SDK) is not collected during the next one.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Best-of-rounds nanoseconds per check over all users, and how many passed. */
function measure(check: Check, users: StatsigUser[]): { ns: number; passed: number } {
  let best = Number.POSITIVE_INFINITY;
  let passed = 0;
  for (let round = 0; round < ROUNDS; round++) {
    collectGarbage();
    let count = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < users.length; i++) if (check(users[i] as StatsigUser)) count++;
    best = Math.min(best, Number(process.hrtime.bigint() - start) / users.length);
    passed = count;
  }
  return { ns: best, passed };
}

const formatNs = (ns: number) => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} us` : `${ns.toFixed(0)} ns`);

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

async function benchEvaluation(): Promise<void> {
  const users = makeUsers(USER_COUNT);
  console.log(
    `(a) checkGate: @switchyard/node vs statsig-node 6.5.2, ${USER_COUNT} distinct users, best of ${ROUNDS}`,
  );
  console.log(`node ${process.version}, ${process.arch}\n`);
  const rows: string[][] = [];
  const noExposure = { disableExposureLogging: true };
  for (const scenario of SCENARIOS) {
    // No network: `localMode` for the plain check; for the logging one, a closed port, so
    // exposures are built and queued (the bounded queue drops the oldest) as when the server is down.
    const quiet = await Switchyard.init({
      serverKey: 'secret-bench',
      localMode: true,
      bootstrap: scenario.specs,
    });
    const logging = await Switchyard.init({
      serverKey: 'secret-bench',
      url: 'http://127.0.0.1:9',
      streaming: false,
      initTimeoutMs: 1000,
      pollIntervalMs: 3_600_000,
      eventFlushIntervalMs: 3_600_000,
      bootstrap: scenario.specs,
    });
    if (quiet.initDetails.source !== 'bootstrap' || logging.initDetails.source !== 'bootstrap') {
      throw new Error(`${scenario.id}: the SDK did not start from the bootstrap`);
    }
    const theirs = await statsigServer(scenario.specs);
    const checks: Record<string, Check> = {
      ours: (user) => quiet.checkGate(user, GATE, noExposure),
      theirs: (user) => theirs.checkGateWithExposureLoggingDisabledSync(user, GATE),
      oursLogging: (user) => logging.checkGate(user, GATE),
      theirsLogging: (user) => theirs.checkGateSync(user, GATE),
    };
    const warm = users.slice(0, 20_000);
    for (const check of Object.values(checks)) measure(check, warm);
    const result = Object.fromEntries(
      Object.entries(checks).map(([name, check]) => [name, measure(check, users)]),
    ) as Record<keyof typeof checks, { ns: number; passed: number }>;
    theirs.shutdown();
    await quiet.shutdown();
    await logging.shutdown();
    const passed = new Set(Object.values(result).map((r) => r.passed));
    if (passed.size !== 1) throw new Error(`${scenario.id}: the SDKs disagree on how many users pass`);
    const {
      ours,
      theirs: peer,
      oursLogging,
      theirsLogging,
    } = result as Record<string, { ns: number; passed: number }>;
    rows.push([
      `${scenario.id} ${scenario.title}`,
      formatNs((ours as { ns: number }).ns),
      formatNs((peer as { ns: number }).ns),
      `${((peer as { ns: number }).ns / (ours as { ns: number }).ns).toFixed(1)}x`,
      formatNs((oursLogging as { ns: number }).ns),
      formatNs((theirsLogging as { ns: number }).ns),
      `${((theirsLogging as { ns: number }).ns / (oursLogging as { ns: number }).ns).toFixed(1)}x`,
      String([...passed][0]),
    ]);
  }
  printTable(
    [
      'scenario',
      'switchyard checkGate',
      'statsig-node checkGateSync',
      'speed-up',
      'switchyard + exposures',
      'statsig-node + exposures',
      'speed-up',
      'passed',
    ],
    rows,
  );
}

// ---- (b) propagation -----------------------------------------------------------------------

const KEYS = { server: 'secret-bench-propagation', console: 'console-bench-propagation' };
const FLIPPED = 'kill_switch_bench';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function call(origin: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${KEYS.console}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function waitUntilReady(origin: string, exited: () => string | null): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const code = exited();
    if (code !== null) throw new Error(`the server exited (${code}) while starting`);
    try {
      if ((await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the server did not start within 30 s');
}

/** Messages from children, awaited by type. */
class Child {
  private readonly inbox: Record<string, unknown>[] = [];
  private readonly waiters: { type: string; resolve: (message: Record<string, unknown>) => void }[] = [];

  constructor(readonly process: ChildProcess) {
    process.on('message', (message: Record<string, unknown>) => {
      const index = this.waiters.findIndex((waiter) => waiter.type === message.type);
      if (message.type === 'error') throw new Error(`child: ${String(message.message)}`);
      if (index === -1) this.inbox.push(message);
      else this.waiters.splice(index, 1)[0]?.resolve(message);
    });
  }

  next(type: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const queued = this.inbox.findIndex((message) => message.type === type);
    if (queued !== -1) return Promise.resolve(this.inbox.splice(queued, 1)[0] as Record<string, unknown>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "${type}" from a child within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        type,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      });
    });
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function benchPropagation(cleanup: (() => Promise<void> | void)[]): Promise<void> {
  if (BUILT) checkBuilt();
  console.log(
    `\n(b) propagation: ${INSTANCES} SDK instances in ${PROCESSES} processes, one server (child process, SQLite), ` +
      `${FLIPS} kill-switch flips (after ${WARMUP_FLIPS} not counted), ${EXTRA_GATES + 1} gates in the project` +
      (BUILT ? '; the SDK processes run the compiled packages' : ''),
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-sdk-bench-'));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const profile = CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] : [];
  const server = spawn(process.execPath, [...profile, ...SOURCE_EXEC_ARGV, join(benchDir, 'run-server.ts')], {
    cwd: packageDir,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(port),
      SWITCHYARD_HOST: '127.0.0.1',
      SWITCHYARD_DATA_DIR: dataDir,
      SWITCHYARD_INIT_SERVER_KEY: KEYS.server,
      SWITCHYARD_INIT_ADMIN_KEY: KEYS.console,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let serverExit: string | null = null;
  server.once('exit', (code, signal) => {
    serverExit = String(code ?? signal);
  });
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        if (serverExit !== null) return resolve();
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
        setTimeout(() => server.kill('SIGKILL'), 5000).unref();
      }),
  );
  await waitUntilReady(origin, () => serverExit);

  // A small service's project: the flipped gate plus gates like S2 (employees, then 5%).
  await call(origin, 'POST', '/api/v1/gates', {
    name: FLIPPED,
    rules: [{ name: 'everyone', conditions: [{ type: 'public' }] }],
  });
  for (let i = 0; i < EXTRA_GATES; i++) {
    await call(origin, 'POST', '/api/v1/gates', {
      name: `feature_${i}`,
      rules: [
        {
          name: 'employees',
          conditions: [{ field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] }],
        },
        { name: 'canary', conditions: [{ type: 'public' }], passPercentage: 5 },
      ],
    });
  }

  const children: Child[] = [];
  for (let i = 0; i < PROCESSES; i++) {
    const child = fork(join(benchDir, 'propagation-child.ts'), [], {
      cwd: packageDir,
      execArgv: [...profile, ...(BUILT ? BUILT_EXEC_ARGV : SOURCE_EXEC_ARGV)],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    cleanup.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    children.push(new Child(child));
  }
  const perChild = Math.ceil(INSTANCES / PROCESSES);
  let assigned = 0;
  const started = Date.now();
  for (const child of children) {
    const count = Math.min(perChild, INSTANCES - assigned);
    assigned += count;
    child.process.send({ type: 'start', url: origin, serverKey: KEYS.server, count, gate: FLIPPED });
  }
  const ready = await Promise.all(children.map((child) => child.next('ready', 120_000)));
  const failed = ready.reduce((sum, message) => sum + Number(message.failed), 0);
  const streaming = ready.reduce((sum, message) => sum + Number(message.streaming), 0);
  console.log(
    `${INSTANCES} instances started in ${Date.now() - started} ms; ${streaming} streaming, ${failed} not from the network`,
  );
  if (failed > 0) throw new Error('some instances did not start from the network');

  const latencies: number[] = [];
  /** Per flip and process, the first instance to see the change: what one SDK per process sees. */
  const firsts: number[] = [];
  const requestTimes: number[] = [];
  /** Per flip and process, the CPU it spent until its last instance saw the change (ms). */
  const cpuPerFlip: number[] = [];
  let value = true;
  for (let flip = -WARMUP_FLIPS; flip < FLIPS; flip++) {
    value = !value;
    for (const child of children) child.process.send({ type: 'expect', round: flip, value });
    await Promise.all(children.map((child) => child.next('armed')));
    const sent = process.hrtime.bigint();
    const seen = Promise.all(children.map((child) => child.next('seen', 30_000)));
    await call(origin, 'POST', `/api/v1/gates/${FLIPPED}/${value ? 'enable' : 'disable'}`);
    requestTimes.push(Number(process.hrtime.bigint() - sent) / 1e6);
    const answers = await seen;
    // Warm-up flips (JIT, first patch compilations) are not counted.
    if (flip < 0) {
      requestTimes.pop();
    } else {
      for (const message of answers) {
        const times = (message.at as string[]).map((at) => Number(BigInt(at) - sent) / 1e6);
        firsts.push(Math.min(...times));
        cpuPerFlip.push(Number(message.cpuMs));
        if (process.env.BENCH_DEBUG) {
          console.log(
            `flip ${flip}: first ${Math.min(...times).toFixed(1)} ms, last ${Math.max(...times).toFixed(1)} ms, ` +
              `process CPU ${Number(message.cpuMs).toFixed(1)} ms`,
          );
        }
        latencies.push(...times);
      }
    }
    // The instances report their revision (sdk_status) over the second after an update; let
    // that traffic pass before the next flip.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  }
  const spread = (await call(origin, 'GET', '/api/v1/sdk-instances')) as {
    instances: number;
    atCurrentRevision: number;
  };
  latencies.sort((a, b) => a - b);
  firsts.sort((a, b) => a - b);
  requestTimes.sort((a, b) => a - b);
  cpuPerFlip.sort((a, b) => a - b);
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  printTable(
    [
      'change to checkGate',
      'samples',
      'p50',
      'p99',
      'max',
      'change request p50',
      'at the new revision (sdk_status)',
    ],
    [
      [
        `every instance (${INSTANCES} in ${PROCESSES} processes)`,
        String(latencies.length),
        ms(percentile(latencies, 50)),
        ms(percentile(latencies, 99)),
        ms(latencies.at(-1) as number),
        ms(percentile(requestTimes, 50)),
        `${spread.atCurrentRevision} of ${spread.instances}`,
      ],
      [
        'first instance of each process',
        String(firsts.length),
        ms(percentile(firsts, 50)),
        ms(percentile(firsts, 99)),
        ms(firsts.at(-1) as number),
        '',
        '',
      ],
    ],
  );
  const perInstance = (cpuMs: number) => `${((cpuMs / perChild) * 1000).toFixed(0)} us per instance`;
  console.log(
    `SDK process CPU per flip until its last instance saw the change: p50 ${ms(percentile(cpuPerFlip, 50))} ` +
      `(${perInstance(percentile(cpuPerFlip, 50))}), max ${ms(cpuPerFlip.at(-1) as number)}`,
  );
  // After shutdown() the children must exit by themselves: nothing of the SDK may keep them alive.
  const exits = children.map(
    (child) =>
      new Promise<boolean>((resolve) => {
        if (child.process.exitCode !== null) return resolve(true);
        const timer = setTimeout(() => resolve(false), 10_000);
        child.process.once('exit', () => {
          clearTimeout(timer);
          resolve(true);
        });
      }),
  );
  for (const child of children) child.process.send({ type: 'stop' });
  const exited = await Promise.all(exits);
  console.log(
    exited.every(Boolean)
      ? 'every child process exited by itself after shutdown()'
      : `${exited.filter((done) => !done).length} child processes were still running 10 s after shutdown()`,
  );
}

async function main(): Promise<void> {
  const cleanup: (() => Promise<void> | void)[] = [];
  const runCleanup = async () => {
    for (let step = cleanup.pop(); step; step = cleanup.pop()) {
      try {
        await step();
      } catch (error) {
        console.error(`cleanup failed: ${String(error)}`);
      }
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      runCleanup().finally(() => process.exit(130));
    });
  }
  try {
    if (PART === 'all' || PART === 'eval') await benchEvaluation();
    if (PART === 'all' || PART === 'propagation') await benchPropagation(cleanup);
  } finally {
    await runCleanup();
  }
}

await main();
