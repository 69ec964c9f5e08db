/**
 * The CPU cost of one `/v1/initialize` response without HTTP: the same project as
 * server.bench.ts (300 gates, 50 experiments in 10 layers), every response for a new user,
 * split into evaluating every spec for the user (`Evaluator.bindUser`) and the whole response
 * text (`renderInitializeResponse`, evaluation included). CPU time of this process
 * (`process.cpuUsage`), best of the rounds, so other work on a shared machine inflates it less
 * than wall time would.
 *
 * Run: npx tsx --conditions=@switchyard/source packages/server/bench/initialize-render.bench.ts
 * Settings (environment): BENCH_USERS (per round, 2000), BENCH_ROUNDS (8).
 */
import { cpus } from 'node:os';
import type { ConfigSpecs, StatsigUser } from '@switchyard/core';
import { createInitializeEvaluator, renderInitializeResponse } from '../src/services/client-initialize.js';
import { benchUser, generateDcs } from './generate-dcs.js';

const USERS = Number(process.env.BENCH_USERS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const SHAPE = { gates: 300, experiments: 50, experimentsPerLayer: 5 };

const specs = generateDcs(SHAPE) as unknown as ConfigSpecs;
const evaluator = createInitializeEvaluator(specs);
let next = 0;

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Best-of-rounds CPU microseconds per user of `work`. */
function measure(work: (n: number) => number): number {
  let best = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const start = cpuMicros();
    for (let i = 0; i < USERS; i++) sink += work(next++);
    best = Math.min(best, (cpuMicros() - start) / USERS);
  }
  if (sink < 0) console.log(sink);
  return best;
}

const evaluate = (n: number): number => {
  const bound = evaluator.bindUser({ ...benchUser(n), customIDs: { stableID: `device-${n}` } });
  let passed = 0;
  for (const name of evaluator.gateNames) passed += bound.checkGate(name).value ? 1 : 0;
  for (const name of evaluator.configNames) passed += bound.getConfig(name).value ? 1 : 0;
  for (const name of evaluator.layerNames) passed += bound.getLayer(name).value ? 1 : 0;
  return passed;
};
let bytes = 0;
const render = (n: number): number => {
  const text = renderInitializeResponse(specs, evaluator, benchUser(n) as unknown as StatsigUser, {
    hash: 'djb2',
    stableID: `device-${n}`,
  });
  bytes = Buffer.byteLength(text);
  return bytes;
};

// Warm-up: compile, and fill the per-evaluator caches of the response writer.
measure(evaluate);
measure(render);
const evaluation = measure(evaluate);
const response = measure(render);

console.log(
  `initialize without HTTP: ${SHAPE.gates} gates, ${SHAPE.experiments} experiments in ` +
    `${SHAPE.experiments / SHAPE.experimentsPerLayer} layers; node ${process.version}, ` +
    `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}; best of ${ROUNDS} rounds of ${USERS} users\n`,
);
console.log('| step | CPU per user |');
console.log('|---|---|');
console.log(`| evaluate every spec (bindUser) | ${evaluation.toFixed(0)} us |`);
console.log(
  `| whole response text (${(bytes / 1024).toFixed(1)} KB, evaluation included) | ${response.toFixed(0)} us |`,
);
