import autocannon from 'autocannon';
import { cpuSeconds, machineCpuSeconds } from './spawn-service.js';

export interface LoadSettings {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
}

export interface LoadTarget {
  /** Origin, e.g. http://127.0.0.1:4000 */
  origin: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** A fresh body per request; `n` counts up across warm-up and measurement, so no user repeats. */
  body?: (n: number) => string;
  /** The server's pid, to report how busy its core was. */
  serverPid?: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  /** Milliseconds, from every 2xx response of the measured run. */
  p50: number;
  p99: number;
  requests: number;
  /** Connection errors, timeouts and non-2xx answers. */
  failures: number;
  /** Mean bytes per response (headers and body). */
  responseBytes: number;
  /** Share of one core the server used during the measured run (1 = 100%); null when unknown. */
  serverCpu: number | null;
  /** The same for this process, the load generator: near 1, it rather than the server set the pace. */
  clientCpu: number;
  /**
   * CPU used by everything else on the machine, plus time stolen by the hypervisor, in cores:
   * above ~0.1 the run was disturbed. Null when unknown.
   */
  otherCpu: number | null;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function fire(target: LoadTarget, connections: number, seconds: number, counter: { next: number }) {
  const latencies: number[] = [];
  let bytes = 0;
  const { body } = target;
  const instance = autocannon({
    url: target.origin,
    connections,
    duration: seconds,
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method: target.method,
        path: target.path,
        headers: target.headers,
        ...(body && {
          setupRequest: (request) => {
            request.body = body(counter.next++);
            return request;
          },
        }),
      },
    ],
  });
  // autocannon's own histogram keeps whole milliseconds; these keep the fraction.
  instance.on('response', (_client, statusCode, resBytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    bytes += resBytes;
  });
  const result = await instance;
  return { result, latencies, bytes };
}

/**
 * Drives `target` with autocannon from this process: a warm-up whose numbers are dropped, then
 * a measured run with the same connections.
 */
export async function runLoad(target: LoadTarget, settings: LoadSettings): Promise<LoadResult> {
  const counter = { next: 0 };
  if (settings.warmupSeconds > 0) await fire(target, settings.connections, settings.warmupSeconds, counter);
  const cpuBefore = target.serverPid === undefined ? null : cpuSeconds(target.serverPid);
  const ownBefore = process.cpuUsage();
  const machineBefore = machineCpuSeconds();
  const started = process.hrtime.bigint();
  const { result, latencies, bytes } = await fire(
    target,
    settings.connections,
    settings.durationSeconds,
    counter,
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = target.serverPid === undefined ? null : cpuSeconds(target.serverPid);
  const own = process.cpuUsage(ownBefore);
  const machineAfter = machineCpuSeconds();
  const sorted = Float64Array.from(latencies).sort();
  const requests = latencies.length + result.non2xx;
  return {
    requestsPerSecond: latencies.length / result.duration,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    requests,
    failures: result.errors + result.non2xx,
    responseBytes: requests > 0 ? bytes / requests : 0,
    serverCpu: cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / elapsed,
    clientCpu: (own.user + own.system) / 1e6 / elapsed,
    otherCpu:
      machineBefore === null || machineAfter === null || cpuBefore === null || cpuAfter === null
        ? null
        : Math.max(
            0,
            (machineAfter.busy -
              machineBefore.busy -
              (cpuAfter - cpuBefore) -
              (own.user + own.system) / 1e6 +
              (machineAfter.steal - machineBefore.steal)) /
              elapsed,
          ),
  };
}
