import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Output kept from a child, to explain a failure. */
const TAIL_CHARS = 4000;

let tasksetAvailable: boolean | undefined;

/** Whether `taskset` runs here and the machine has the CPU (0-based) to pin to. */
export function canPin(cpu: number): boolean {
  // cpus() lists every online CPU, also after this process has pinned itself.
  if (cpu >= cpus().length) return false;
  if (tasksetAvailable === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      tasksetAvailable = true;
    } catch {
      tasksetAvailable = false;
    }
  }
  return tasksetAvailable;
}

/** Pins every thread of this process (the load generator) to one CPU; false when it cannot. */
export function pinSelf(cpu: number): boolean {
  if (!canPin(cpu)) return false;
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
  return true;
}

export interface Service {
  name: string;
  /** The service's own pid (taskset execs it, so it is the pid of the Node process). */
  pid: number;
  /** stdout and stderr, last few thousand characters. */
  output(): string;
  /** Set once the process has exited. */
  exitCode(): number | string | null;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Pin to this CPU with taskset when possible. */
  cpu?: number;
}

/** Starts a long-running child (a server), optionally pinned to one CPU. */
export function spawnService(name: string, command: string, args: string[], options: SpawnOptions): Service {
  const pinned = options.cpu !== undefined && canPin(options.cpu);
  const [file, argv] = pinned ? ['taskset', ['-c', String(options.cpu), command, ...args]] : [command, args];
  const child: ChildProcess = spawn(file, argv, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let code: number | string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (exitCode, signal) => {
      code = exitCode ?? signal;
      resolve();
    });
    child.once('error', (error) => {
      code = error.message;
      resolve();
    });
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const pid = child.pid;
  return {
    name,
    pid,
    output: () => tail,
    exitCode: () => code,
    async stop(graceMs = 5000) {
      if (code !== null) return;
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** CPU time (user + system, all threads) a process has used so far, in seconds; null off Linux. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3; utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Linux reports them in clock ticks of 1/100 s (USER_HZ) on every mainstream architecture.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * CPU time the whole machine has spent busy (every CPU, user + system + interrupts) and stolen by
 * the hypervisor, in seconds since boot; null off Linux.
 */
export function machineCpuSeconds(): { busy: number; steal: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal ...
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0);
    return { busy: busy / 100, steal: (steal ?? 0) / 100 };
  } catch {
    return null;
  }
}

/** Polls `url` until it answers 2xx, the service exits, or `timeoutMs` passes. */
export async function waitUntilReady(service: Service, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.exitCode() !== null) {
      throw new Error(`${service.name} exited (${service.exitCode()}) while starting:\n${service.output()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`${service.name} was not ready at ${url} within ${timeoutMs} ms:\n${service.output()}`);
}
