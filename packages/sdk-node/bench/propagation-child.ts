/**
 * One child of the propagation benchmark: runs `count` SDK instances against the server and,
 * per round, records when each instance's checkGate first returns the expected value. The
 * instances hook `onConfigChange` (no polling loop), so the time recorded is when the update
 * became visible to a check. Timestamps are `process.hrtime.bigint()`, a monotonic clock shared
 * by every process on the machine, so the parent can compare them with its own.
 */
import { Switchyard } from '@switchyard/node';

type FromParent =
  | { type: 'start'; url: string; serverKey: string; count: number; gate: string }
  | { type: 'expect'; round: number; value: boolean }
  | { type: 'stop' };

const USER = { userID: 'propagation-bench-user' };
/** Instances started at once; a thousand simultaneous connects would only queue in the server. */
const START_CONCURRENCY = 25;

const send = (message: unknown) => process.send?.(message);

let instances: Switchyard[] = [];
let gate = '';
let round = 0;
/** Waiting for instances to see `expected`. */
let armed = false;
let expected = false;
let seenAt: (bigint | undefined)[] = [];
let seen = 0;
/** CPU time of this process when the round was armed (us). */
let cpuAtArm = process.cpuUsage();

function record(index: number): void {
  if (!armed || seenAt[index] !== undefined) return;
  const sdk = instances[index] as Switchyard;
  if (sdk.checkGate(USER, gate) !== expected) return;
  seenAt[index] = process.hrtime.bigint();
  seen += 1;
  if (seen === instances.length) {
    // CPU this process spent from arming to its last instance seeing the change (ms): what the
    // change cost here, whatever else the machine was doing.
    const cpu = process.cpuUsage(cpuAtArm);
    send({ type: 'seen', round, at: seenAt.map(String), cpuMs: (cpu.user + cpu.system) / 1000 });
    armed = false;
  }
}

async function start(message: Extract<FromParent, { type: 'start' }>): Promise<void> {
  gate = message.gate;
  const started: Switchyard[] = [];
  for (let i = 0; i < message.count; i += START_CONCURRENCY) {
    const batch = Math.min(START_CONCURRENCY, message.count - i);
    started.push(
      ...(await Promise.all(
        Array.from({ length: batch }, () =>
          Switchyard.init({
            serverKey: message.serverKey,
            url: message.url,
            initTimeoutMs: 30_000,
            // Exposures are not what is measured; sdk_status reports still go out.
            disableEvents: true,
          }),
        ),
      )),
    );
  }
  instances = started;
  instances.forEach((sdk, index) => {
    sdk.onConfigChange(() => record(index));
  });
  const failed = instances.filter((sdk) => sdk.initDetails.source !== 'network').length;
  const streaming = instances.filter((sdk) => sdk.stats().mode === 'streaming').length;
  send({ type: 'ready', failed, streaming });
}

process.on('message', (message: FromParent) => {
  if (message.type === 'start') {
    start(message).catch((error: unknown) => send({ type: 'error', message: String(error) }));
  } else if (message.type === 'expect') {
    expected = message.value;
    seenAt = new Array(instances.length).fill(undefined);
    seen = 0;
    round = message.round;
    cpuAtArm = process.cpuUsage();
    armed = true;
    // An instance may already hold the value (it should not): record it now rather than never.
    for (let index = 0; index < instances.length; index++) record(index);
    send({ type: 'armed', round: message.round });
  } else if (message.type === 'stop') {
    Promise.all(instances.map((sdk) => sdk.shutdown())).finally(() => {
      send({ type: 'stopped' });
      process.disconnect?.();
    });
  }
});
