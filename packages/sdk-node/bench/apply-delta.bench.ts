/**
 * Per-instance CPU of one `delta` event, without the network: what the propagation benchmark's
 * SDK processes spend per instance besides reading their sockets. Real frames are captured from
 * a server (in process, SQLite) with the propagation project (a kill switch plus BENCH_GATES
 * gates like S2), flipped BENCH_FLIPS times; then BENCH_INSTANCES spec stores, each holding the
 * full configuration, take every frame as an SDK does (parse, shared per process; apply; compile
 * the patch; the first checkGate). Measured with `process.cpuUsage`, so other work on the
 * machine inflates it less than wall time. The first pass is cold (as the propagation
 * benchmark's six flips mostly are); later passes are warm (JIT-optimised).
 *
 * Run: npx tsx --conditions=@switchyard/source bench/apply-delta.bench.ts (from packages/sdk-node)
 */
import { IdListStore } from '../src/id-lists.js';
import { parseConfigSpecs, parseSharedDelta, SpecStore } from '../src/spec-store.js';
import { KEYS, TestServer } from '../test/support/test-server.js';

const setting = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};
const INSTANCES = setting('BENCH_INSTANCES', 250);
const GATES = setting('BENCH_GATES', 20);
const FLIPS = setting('BENCH_FLIPS', 6);
const PASSES = setting('BENCH_PASSES', 30);
const GATE = 'kill_switch_bench';

async function captureFrames(): Promise<{ config: string; deltas: string[] }> {
  const server = await TestServer.start();
  try {
    await server.api('POST', '/gates', {
      name: GATE,
      rules: [{ name: 'everyone', conditions: [{ type: 'public' }] }],
    });
    for (let i = 0; i < GATES; i++) {
      await server.api('POST', '/gates', {
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
    const response = await fetch(`${server.url}/v1/stream`, {
      headers: { authorization: `Bearer ${KEYS.server}`, accept: 'text/event-stream' },
    });
    if (!response.body) throw new Error('no stream body');
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let config = '';
    const deltas: string[] = [];
    let buffer = '';
    const read = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const lines = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
          const data = lines
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          if (event === 'config') config = data;
          if (event === 'delta') deltas.push(data);
        }
      }
    })();
    for (let flip = 0; flip < FLIPS; flip++) {
      await server.api('POST', `/gates/${GATE}/${flip % 2 === 0 ? 'disable' : 'enable'}`);
    }
    const deadline = Date.now() + 10_000;
    while (deltas.length < FLIPS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await reader.cancel();
    await read.catch(() => {});
    if (!config || deltas.length < FLIPS) throw new Error(`captured ${deltas.length} of ${FLIPS} deltas`);
    return { config, deltas };
  } finally {
    await server.remove();
  }
}

const { config, deltas } = await captureFrames();
const stores = Array.from({ length: INSTANCES }, () => {
  const store = new SpecStore({ idLists: new IdListStore() });
  store.replace(parseConfigSpecs(config), 'network', 0);
  return store;
});
const user = { userID: 'propagation-bench-user' };
const perPass: number[] = [];
for (let pass = 0; pass < PASSES; pass++) {
  let microseconds = 0;
  for (const frame of deltas) {
    // Each instance reads its own copy of the frame from its own socket.
    const copies = stores.map(() => Buffer.from(frame).toString('utf8'));
    const before = process.cpuUsage();
    stores.forEach((store, index) => {
      store.applyDelta(parseSharedDelta(copies[index] as string));
      store.evaluator.checkGate(user, GATE);
    });
    const used = process.cpuUsage(before);
    microseconds += used.user + used.system;
  }
  perPass.push(microseconds / deltas.length / INSTANCES);
}
const warm = perPass.slice(1).sort((a, b) => a - b);
console.log(
  `${INSTANCES} spec stores, ${GATES + 1} gates, delta frames of ${deltas[0]?.length} characters: ` +
    `CPU per instance per delta: first pass ${perPass[0]?.toFixed(1)} us, ` +
    `later passes median ${warm[Math.floor(warm.length / 2)]?.toFixed(1)} us`,
);
