import type { ConfigSpecs } from '@switchyard/core';
import { buildInitializeResponse, createInitializeEvaluator } from '../src/services/client-initialize.js';
import { benchUser, generateDcs } from './generate-dcs.js';

const dcs = generateDcs({ gates: 300, experiments: 50, experimentsPerLayer: 5 }) as unknown as ConfigSpecs;
const evaluator = createInitializeEvaluator(dcs);
const N = 3000;
let n = 0;
for (let round = 0; round < 6; round++) {
  let t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const user = benchUser(n++);
    for (const name of evaluator.gateNames) evaluator.checkGate(user, name);
    for (const name of evaluator.configNames) evaluator.getConfig(user, name);
    for (const name of evaluator.layerNames) evaluator.getLayer(user, name);
  }
  const evalUs = Number(process.hrtime.bigint() - t) / 1000 / N;
  t = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < N; i++) {
    const user = benchUser(n++);
    const r = buildInitializeResponse(dcs, evaluator, user, { hash: 'djb2', stableID: `device-${n}` });
    bytes += JSON.stringify(r).length;
  }
  const fullUs = Number(process.hrtime.bigint() - t) / 1000 / N;
  console.log(`eval ${evalUs.toFixed(0)} us, build+stringify ${fullUs.toFixed(0)} us, ${bytes / N} chars`);
}
