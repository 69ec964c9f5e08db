import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Switchyard, type SwitchyardUser } from '@switchyard/node';
import { type RunningServer, startServer } from '@switchyard/server';
import { DemoTraffic, type TickCounts } from './traffic.js';

export interface DemoOptions {
  /** Where the demo's database goes; emptied first, kept afterwards for the console. */
  dataDir: string;
  print?: (line: string) => void;
  port?: number;
  /** App servers: SDK instances sharing the traffic. */
  appServers?: number;
  /** Real seconds of the employees-only stage. */
  employeesSeconds?: number;
  /** Real seconds the canary may run before the demo gives up waiting for the monitor. */
  maxCanarySeconds?: number;
  /** How often the guardrail monitor looks (ms); production's default is a minute. */
  monitorIntervalMs?: number;
  /** Traffic: a tick of visits every `tickMs`. */
  tickMs?: number;
  activePerTick?: number;
  users?: number;
  seed?: number;
}

export interface DemoReport {
  url: string;
  consoleKey: string;
  rolledBack: boolean;
  /** Seconds from the canary's start to the rollback. */
  detectionSeconds: number | null;
  /** Canary (pass) and control (fail) units of the stage when it was rolled back. */
  units: { canary: number; control: number } | null;
  /** Per app server, ms from the rollback (server time) until its checkGate answered false. */
  sdkReachedMs: number[];
  /** The server's own measure, from the SDKs' acknowledgements. */
  convergence: {
    instances: number;
    reached: number;
    p50Ms: number | null;
    p99Ms: number | null;
    p100Ms: number | null;
  } | null;
  webhookDelivered: boolean;
}

const GATE = 'new_checkout';
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const percent = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;

/**
 * The release story on a fresh embedded database, with real SDK instances: a gate released to
 * employees, then to a 5% canary whose users suffer more request timeouts; the guardrail
 * monitor notices, rolls the gate back by itself, and the app servers get the rollback pushed.
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const print = options.print ?? ((line: string) => console.log(line));
  const started = Date.now();
  const clock = () => {
    const seconds = (Date.now() - started) / 1000;
    return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${(seconds % 60).toFixed(1).padStart(4, '0')}`;
  };
  const say = (line: string) => print(`[${clock()}] ${line}`);
  const dataDir = resolve(options.dataDir);
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const keys = {
    server: `secret-demo-${randomBytes(12).toString('hex')}`,
    client: `client-demo-${randomBytes(12).toString('hex')}`,
    console: `console-demo-${randomBytes(12).toString('hex')}`,
  };
  const server: RunningServer = await startServer(
    {
      port: options.port ?? 0,
      host: '127.0.0.1',
      databaseUrl: join(dataDir, 'switchyard.db'),
      initKeys: keys,
      logLevel: 'warn',
    },
    false,
    {
      pulseIntervalMs: 1000,
      guardrailIntervalMs: options.monitorIntervalMs ?? 5000,
      scheduleIntervalMs: 1000,
    },
  );
  const cleanups: (() => Promise<unknown>)[] = [() => server.close()];
  const api = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> => {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${keys.console}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  };

  try {
    say(`Switchyard is running at ${server.url} on a fresh SQLite database in ${dataDir}`);
    const webhook = await startWebhookReceiver();
    cleanups.push(() => new Promise((done) => webhook.server.close(done)));
    await api('POST', '/webhooks', {
      name: 'on-call-slack',
      url: webhook.url,
      format: 'slack',
      events: ['guardrail.*', 'release.*'],
    });

    // 1. The catalogue and the gate with its release plan.
    await api('POST', '/segments', {
      name: 'employees',
      description: 'Everyone with a company address',
      rules: [
        {
          name: 'staff',
          conditions: [
            { type: 'user_field', field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] },
          ],
        },
      ],
    });
    await api('POST', '/metrics', {
      name: 'request_timeout_rate',
      description: 'Timed-out requests per request',
      type: 'ratio',
      numerator: {
        event: 'request',
        filters: [{ field: 'metadata.outcome', operator: 'eq', values: ['timeout'] }],
      },
      denominator: { event: 'request' },
      direction: 'decrease',
      guardrail: true,
    });
    await api('POST', '/metrics', {
      name: 'checkout_conversion',
      type: 'conversion',
      numerator: { event: 'purchase' },
      direction: 'increase',
    });
    await api('POST', '/metrics', {
      name: 'revenue',
      type: 'sum',
      numerator: { event: 'purchase' },
      direction: 'increase',
    });
    const gate = await api<{ releasePlan: { stages: { name: string; ruleId: string }[] } }>(
      'POST',
      '/gates',
      {
        name: GATE,
        description: 'The new one-page checkout',
        releasePlan: {
          stages: [
            { name: 'Employees', segment: 'employees' },
            {
              name: 'Canary 5%',
              percentage: 5,
              minDurationMinutes: 30,
              minUnits: 2000,
              guardrails: ['request_timeout_rate'],
            },
            { name: '25%', percentage: 25, minDurationMinutes: 60, guardrails: ['request_timeout_rate'] },
            { name: '50%', percentage: 50, minDurationMinutes: 60, guardrails: ['request_timeout_rate'] },
            { name: 'Everyone', percentage: 100 },
          ],
          onRegression: 'kill',
        },
      },
    );
    const canaryRule = gate.releasePlan.stages[1]?.ruleId as string;
    say(
      `Created gate "${GATE}" with a release plan: ${gate.releasePlan.stages.map((s) => s.name).join(' -> ')}`,
    );
    say(
      '  guardrail of the canary: request_timeout_rate (one-sided sequential test, looked at every few seconds here, every minute by default)',
    );

    // 2. App servers: real SDK instances, streaming.
    const servers = await Promise.all(
      Array.from({ length: options.appServers ?? 4 }, () =>
        Switchyard.init({ serverKey: keys.server, url: server.url, eventFlushIntervalMs: 500 }),
      ),
    );
    cleanups.push(() => Promise.all(servers.map((sdk) => sdk.shutdown())));
    say(
      `${servers.length} app servers connected (@switchyard/node, ${servers.filter((s) => s.stats().mode === 'streaming').length} streaming)`,
    );

    const traffic = new DemoTraffic(servers, {
      gate: GATE,
      users: options.users ?? 20_000,
      employees: 60,
      activePerTick: options.activePerTick ?? 400,
      requestsPerVisit: 4,
      timeoutRate: { old: 0.02, new: 0.05 },
      purchaseRate: 0.1,
      meanOrder: 60,
      seed: options.seed ?? 7,
    });
    const totals: TickCounts = { visits: 0, onNewCheckout: 0, requests: 0, timeouts: 0, purchases: 0 };
    let window: TickCounts = { ...totals };
    const timer = setInterval(() => {
      const counts = traffic.tick();
      for (const key of Object.keys(totals) as (keyof TickCounts)[]) {
        totals[key] += counts[key];
        window[key] += counts[key];
      }
    }, options.tickMs ?? 200);
    cleanups.push(async () => clearInterval(timer));
    const report = () => {
      say(
        `  traffic: ${window.visits} visits (${window.onNewCheckout} on the new checkout), ${window.requests} requests, ${window.timeouts} timeouts, ${window.purchases} purchases`,
      );
      window = { visits: 0, onNewCheckout: 0, requests: 0, timeouts: 0, purchases: 0 };
    };

    // 3. Dogfood.
    say('Stage 1: Employees. Only staff get the new checkout.');
    const employee = traffic.employees[0] as SwitchyardUser;
    const customer = traffic.users[0] as SwitchyardUser;
    say(
      `  ${employee.email}: ${servers[0]?.checkGate(employee, GATE, { disableExposureLogging: true })}, ${customer.email}: ${servers[0]?.checkGate(customer, GATE, { disableExposureLogging: true })}`,
    );
    const employeesMs = (options.employeesSeconds ?? 6) * 1000;
    for (let waited = 0; waited < employeesMs; waited += 2000) {
      await sleep(Math.min(2000, employeesMs - waited));
      report();
    }

    // 4. Canary.
    await api('POST', `/gates/${GATE}/advance`, { reason: 'employees are happy' });
    const canaryStarted = Date.now();
    say('Stage 2: Canary 5%. A sticky 5% of customers get the new checkout (advanced by hand).');
    // A customer in the canary: watched on every app server to time the rollback's arrival.
    await sleep(300);
    const probe = traffic.users.find((user) =>
      servers[0]?.checkGate(user, GATE, { disableExposureLogging: true }),
    );
    const sawOff: (number | null)[] = servers.map(() => null);
    servers.forEach((sdk, index) => {
      sdk.onConfigChange(() => {
        if (
          probe &&
          sawOff[index] === null &&
          !sdk.checkGate(probe, GATE, { disableExposureLogging: true })
        ) {
          sawOff[index] = Date.now();
        }
      });
    });

    let seenChecks = 0;
    let rollback: { at: number; reason: string | null } | null = null;
    let units: DemoReport['units'] = null;
    const deadline = canaryStarted + (options.maxCanarySeconds ?? 90) * 1000;
    let lastReport = Date.now();
    while (Date.now() < deadline && !rollback) {
      await sleep(500);
      if (Date.now() - lastReport >= 2000) {
        report();
        lastReport = Date.now();
      }
      const release = await api<{
        checks: {
          id: number;
          outcome: string;
          evidence: { reasons: string[]; units: { canary: number; control: number } };
        }[];
        plan: { status: string };
      }>('GET', `/gates/${GATE}/release?checks=50`);
      const fresh = release.checks.filter((check) => check.id > seenChecks).reverse();
      for (const check of fresh) {
        seenChecks = Math.max(seenChecks, check.id);
        const { units: seen, reasons } = check.evidence;
        say(
          `  guardrail look: ${check.outcome}, canary ${seen.canary} units vs control ${seen.control}: ${reasons.join('; ')}`,
        );
        if (check.outcome.startsWith('rollback')) units = seen;
      }
      if (release.plan.status === 'rolled_back') {
        const audit = await api<{ entries: { at: number; actor: string; reason: string | null }[] }>(
          'GET',
          `/audit?kind=gate&name=${GATE}&limit=1`,
        );
        const entry = audit.entries[0];
        rollback = { at: entry?.at ?? Date.now(), reason: entry?.reason ?? null };
        say(`ROLLED BACK by ${entry?.actor}: ${entry?.reason}`);
      }
    }
    const detectionSeconds = rollback ? (rollback.at - canaryStarted) / 1000 : null;
    if (!rollback) say(`The monitor did not roll back within ${options.maxCanarySeconds ?? 90} s.`);
    else say(`  detected ${detectionSeconds?.toFixed(1)} s after the canary started`);

    // 5. Did every app get it?
    await sleep(2500);
    report();
    const sdkReachedMs = rollback
      ? sawOff
          .filter((at): at is number => at !== null)
          .map((at) => Math.max(0, at - (rollback as { at: number }).at))
      : [];
    if (rollback) {
      say(
        `Rollback reached ${sdkReachedMs.length} of ${servers.length} app servers by push, after ${sdkReachedMs.map((ms) => `${ms} ms`).join(', ')}`,
      );
    }
    const changes = await api<{ changes: { action: string; convergence: DemoReport['convergence'] }[] }>(
      'GET',
      `/changes?kind=gate&name=${GATE}&limit=1`,
    );
    const convergence = rollback ? (changes.changes[0]?.convergence ?? null) : null;
    if (convergence) {
      const ms = (value: number | null) => (value === null ? 'not yet' : `${value} ms`);
      say(
        `  server-side (SDK acknowledgements): ${convergence.reached} of ${convergence.instances} instances hold the rollback; 50% after ${ms(convergence.p50Ms)}, 99% after ${ms(convergence.p99Ms)}, 100% after ${ms(convergence.p100Ms)}`,
      );
    }
    const webhookDelivered = webhook.received.some((body) => JSON.stringify(body).includes('Rolled back'));
    say(
      webhookDelivered ? '  on-call Slack webhook delivered (signed)' : '  (the webhook has not arrived yet)',
    );

    // 6. The numbers, from Pulse.
    const pulse = await api<{
      comparisons: {
        rule?: string;
        control: { units: number };
        treatment: { units: number };
        srm: { pValue: number | null };
        metrics: {
          metric: string;
          control: { mean: number | null };
          treatment: { mean: number | null };
          relative: { estimate: number; interval: [number | null, number | null] } | null;
        }[];
      }[];
    }>('GET', `/pulse/gates/${GATE}?sequential=true`);
    const canary = pulse.comparisons.find((comparison) => comparison.rule === canaryRule);
    if (canary) {
      say(
        `Pulse, canary (pass, ${canary.treatment.units} units) vs everyone else (fail, ${canary.control.units} units), 95% always-valid intervals:`,
      );
      for (const metric of canary.metrics) {
        const r = metric.relative;
        const bound = (value: number | null) => (value === null ? 'inf' : percent(value));
        const mean = (value: number | null) =>
          value === null ? 'n/a' : Number(value.toPrecision(3)).toString();
        print(
          `    ${metric.metric.padEnd(22)} canary ${mean(metric.treatment.mean).padStart(8)}  control ${mean(metric.control.mean).padStart(8)}  lift ${r ? `${percent(r.estimate)} [${bound(r.interval[0])}, ${bound(r.interval[1])}]` : 'n/a'}`,
        );
      }
    }
    say(
      `${totals.visits} visits, ${totals.requests} requests, ${totals.purchases} purchases sent through the SDKs.`,
    );
    print('');
    print(`The data stays in ${dataDir}. Look at it with the server and its console:`);
    print(`  SWITCHYARD_DATA_DIR=${dataDir} npm start      (console key: ${keys.console})`);
    return {
      url: server.url,
      consoleKey: keys.console,
      rolledBack: rollback !== null,
      detectionSeconds,
      units,
      sdkReachedMs,
      convergence,
      webhookDelivered,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

async function startWebhookReceiver(): Promise<{ server: Server; url: string; received: unknown[] }> {
  const received: unknown[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      try {
        received.push(JSON.parse(body));
      } catch {
        received.push(body);
      }
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/slack`, received };
}
