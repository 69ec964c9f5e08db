/**
 * Evaluations per second of @switchyard/core against statsig-node 6.5.2 on identical specs
 * and users, in the same process, plus @openfeature/flagd-core (the fastest other peer we
 * know of) on equivalent flag definitions. Run: npm run bench -w @switchyard/core
 *
 * statsig-node is measured two ways: its public `checkGate` with exposure logging disabled
 * (what an application pays) and its internal `Evaluator.checkGate` (the evaluator alone,
 * without argument validation, user normalisation and error boundary). The speed-up is
 * reported against the faster of the two.
 */
import { FlagdCore } from '@openfeature/flagd-core';
import { createEvaluator, type StatsigUser } from '@switchyard/core';
import statsigModule from 'statsig-node';
import { FLAGD_SCENARIOS, toFlagdContext } from './flagd-scenarios.js';
import { GATE, makeUsers, SCENARIOS } from './scenarios.js';

const USER_COUNT = Number(process.env.BENCH_USERS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

type Check<T = StatsigUser> = (input: T) => boolean;

interface StatsigServerLike {
  initializeAsync(): Promise<unknown>;
  checkGate(user: StatsigUser, gate: string, options?: { disableExposureLogging?: boolean }): boolean;
  shutdown(): void;
}

async function statsigChecks(
  specs: unknown,
): Promise<{ publicApi: Check; evaluator: Check; close: () => void }> {
  const { StatsigServer } = statsigModule as unknown as {
    StatsigServer: new (key: string, options: Record<string, unknown>) => StatsigServerLike;
  };
  const server = new StatsigServer('secret-bench', {
    localMode: true,
    bootstrapValues: JSON.stringify(specs),
    disableAllLogging: true,
  });
  await server.initializeAsync();
  // Internal evaluator, reached the way statsig-node's own tests do.
  const internals = server as unknown as {
    _evaluator: { checkGate(user: StatsigUser, name: string, ctx: unknown): { value: boolean } };
  };
  const { StatsigContext } = (await import('statsig-node/dist/utils/StatsigContext.js')) as unknown as {
    StatsigContext: { new: (ctx: Record<string, unknown>) => unknown };
  };
  return {
    publicApi: (user) => server.checkGate(user, GATE, { disableExposureLogging: true }),
    evaluator: (user) =>
      internals._evaluator.checkGate(user, GATE, StatsigContext.new({ caller: 'checkGate' })).value,
    close: () => server.shutdown(),
  };
}

/** Best-of-rounds nanoseconds per evaluation over all users, and how many passed. */
function measure<T>(check: Check<T>, inputs: T[]): { nsPerEval: number; passed: number } {
  let best = Number.POSITIVE_INFINITY;
  let passed = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let count = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < inputs.length; i++) if (check(inputs[i] as T)) count++;
    const elapsed = Number(process.hrtime.bigint() - start);
    best = Math.min(best, elapsed / inputs.length);
    passed = count;
  }
  return { nsPerEval: best, passed };
}

function format(ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} us` : `${ns.toFixed(0)} ns`;
}

function perSecond(ns: number): string {
  return `${(1e9 / ns / 1e6).toFixed(2)} M/s`;
}

async function main(): Promise<void> {
  const users = makeUsers(USER_COUNT);
  console.log(
    `@switchyard/core vs statsig-node 6.5.2: ${USER_COUNT} distinct users, best of ${ROUNDS} rounds`,
  );
  console.log(`node ${process.version}, ${process.arch}\n`);
  const header = [
    'scenario',
    'switchyard',
    'statsig-node evaluator',
    'statsig-node checkGate',
    'speed-up vs statsig',
    'flagd-core',
    'passed (ours/statsig)',
  ];
  const flagdContexts = users.map(toFlagdContext);
  const silent = { error() {}, warn() {}, info() {}, debug() {} };
  const rows: string[][] = [];
  for (const scenario of SCENARIOS) {
    const ours = createEvaluator(scenario.specs);
    const oursCheck: Check = (user) => ours.checkGate(user, GATE).value;
    const theirs = await statsigChecks(scenario.specs);
    // Warm all three before timing any of them.
    measure(oursCheck, users.slice(0, 20_000));
    measure(theirs.evaluator, users.slice(0, 20_000));
    measure(theirs.publicApi, users.slice(0, 20_000));
    const a = measure(oursCheck, users);
    const b = measure(theirs.evaluator, users);
    const c = measure(theirs.publicApi, users);
    theirs.close();
    const flagd = new FlagdCore();
    flagd.setConfigurations(FLAGD_SCENARIOS[scenario.id] as string);
    const flagdCheck: Check<Record<string, unknown>> = (context) =>
      flagd.resolveBooleanEvaluation(GATE, false, context as never, silent).value;
    measure(flagdCheck, flagdContexts.slice(0, 20_000));
    const d = measure(flagdCheck, flagdContexts);
    const fastestPeer = Math.min(b.nsPerEval, c.nsPerEval);
    rows.push([
      `${scenario.id} ${scenario.title}`,
      `${format(a.nsPerEval)} (${perSecond(a.nsPerEval)})`,
      `${format(b.nsPerEval)} (${perSecond(b.nsPerEval)})`,
      `${format(c.nsPerEval)} (${perSecond(c.nsPerEval)})`,
      `${(fastestPeer / a.nsPerEval).toFixed(1)}x`,
      `${format(d.nsPerEval)} (${perSecond(d.nsPerEval)})`,
      `${a.passed}/${b.passed}`,
    ]);
    if (a.passed !== b.passed || b.passed !== c.passed) {
      throw new Error(`${scenario.id}: implementations disagree on how many users pass`);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

await main();
