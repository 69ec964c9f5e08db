/**
 * Guardrail detection time (issue 6 item 6): how many simulated minutes, and how many canary
 * units, until the guardrail monitor rolls back a request-timeout regression in a 5% canary,
 * by regression size and traffic; and the false-rollback rate when nothing regressed. The
 * monitor looks once a minute (its default), through the same decision code as in production
 * (bench/canary-simulation.ts). Beside it, what a once-a-day rollout check (Statsig Cloud's
 * cadence for rollout alerts) gives for the same stage: the next daily run, 0-24 h later.
 *
 * Run: npm run bench:detection -w @switchyard/server. Settings (environment): BENCH_SEEDS (10
 * runs per cell), BENCH_MINUTES (60: the longest a stage is watched here), BENCH_AA_RUNS (200).
 */
import { type CanaryOutcome, simulateCanary } from './canary-simulation.js';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

const SEEDS = setting('BENCH_SEEDS', 10);
const MINUTES = setting('BENCH_MINUTES', 60);
const AA_RUNS = setting('BENCH_AA_RUNS', 200);
const TRAFFIC = [10_000, 40_000, 100_000];
const REGRESSIONS = [0.05, 0.1, 0.25, 0.5];
const BASELINE = 0.01;
const CANARY = 0.05;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

console.log(
  `Guardrail detection: 5% canary, ${BASELINE * 100}% baseline timeout rate, 5 requests per active user-minute, ` +
    `a look every minute for up to ${MINUTES} minutes, ${SEEDS} seeded runs per cell (alpha 0.05, N* 10,000)\n`,
);
const rows: string[][] = [];
const started = performance.now();
for (const traffic of TRAFFIC) {
  for (const regression of REGRESSIONS) {
    const outcomes: CanaryOutcome[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      outcomes.push(
        simulateCanary({
          activePerMinute: traffic,
          canaryShare: CANARY,
          baselineTimeoutRate: BASELINE,
          regression,
          minutes: MINUTES,
          seed: seed * 7919 + traffic + Math.round(regression * 1000),
        }),
      );
    }
    const detected = outcomes.filter((outcome) => outcome.rolledBackAt !== null);
    const minutes = detected.map((outcome) => outcome.rolledBackAt as number);
    const units = detected.map((outcome) => outcome.canaryUnits);
    rows.push([
      traffic.toLocaleString('en-US'),
      `+${Math.round(regression * 100)}%`,
      `${detected.length}/${outcomes.length}`,
      detected.length ? String(median(minutes)) : '-',
      detected.length ? String(Math.max(...minutes)) : '-',
      detected.length ? median(units).toLocaleString('en-US') : '-',
      '0-1,440 (next daily run)',
    ]);
  }
}
printTable(
  [
    'active users/min',
    'regression',
    'rolled back',
    'minutes p50',
    'minutes max',
    'canary units p50',
    'daily check (Statsig Cloud), minutes',
  ],
  rows,
);

let falseRollbacks = 0;
for (let run = 1; run <= AA_RUNS; run++) {
  const outcome = simulateCanary({
    activePerMinute: 4_000,
    canaryShare: CANARY,
    baselineTimeoutRate: BASELINE,
    regression: 0,
    minutes: 30,
    seed: 100_000 + run,
  });
  if (outcome.rolledBackAt !== null) falseRollbacks += 1;
}
console.log(
  `\nA/A (no regression), 4,000 active users/min, looked at every minute for 30 minutes: ` +
    `${falseRollbacks} false rollbacks in ${AA_RUNS} runs (${((100 * falseRollbacks) / AA_RUNS).toFixed(1)}%; the plan's alpha is 5%)`,
);
console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
