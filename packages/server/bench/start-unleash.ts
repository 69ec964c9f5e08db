import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { CleanupStack } from './cleanup-stack.js';
import type { BenchUser, GeneratedDcs } from './generate-dcs.js';
import { type Service, spawnService, waitUntilReady } from './spawn-service.js';

/** unleash-server 8 needs Node 22; 7.5.1 is the last release that runs on Node 20. */
export const UNLEASH_VERSION = '7.5.1';
const ADMIN_TOKEN = '*:*.switchyard-bench-admin-token';
const FRONTEND_TOKEN = 'default:development.switchyard-bench-frontend-token';
const ENVIRONMENT = 'development';
/** Concurrent admin API calls while creating flags. */
const ADMIN_CONCURRENCY = 8;

export interface UnleashOptions {
  /** Where bench/unleash/package.json lives. */
  directory: string;
  /** A Postgres URL whose user may create databases; the bench database is made beside it. */
  adminDatabaseUrl: string;
  database: string;
  port: number;
  cpu?: number;
  cleanup: CleanupStack;
  /** Time left for installing, starting and loading flags. */
  timeoutMs: number;
}

export interface RunningUnleash {
  service: Service;
  origin: string;
  frontendToken: string;
  flags: number;
  /** How long creating the flags through the admin API took (ms). */
  setupMs: number;
}

function run(command: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output = (output + chunk).slice(-4000);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output = (output + chunk).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}):\n${output}`));
    });
  });
}

/** Installs bench/unleash's pinned unleash-server unless present (it is not a workspace package). */
async function ensureInstalled(directory: string, timeoutMs: number): Promise<string> {
  const entry = join(directory, 'node_modules/unleash-server/dist/server.js');
  if (existsSync(entry)) return entry;
  console.log(`installing unleash-server ${UNLEASH_VERSION} into ${directory} (once)...`);
  // Under `npm run`, npm_execpath is the npm that runs us; otherwise the one on PATH.
  const npmCli = process.env.npm_execpath;
  const [command, prefix] =
    npmCli?.endsWith('.js') === true ? [process.execPath, [npmCli]] : ['npm', [] as string[]];
  await run(command, [...prefix, 'install', '--prefix', directory, '--no-audit', '--no-fund'], timeoutMs);
  if (!existsSync(entry)) throw new Error(`npm install finished but ${entry} is missing`);
  return entry;
}

function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

interface Strategy {
  name: 'flexibleRollout';
  parameters: { rollout: string; stickiness: 'default'; groupId: string };
  constraints: {
    contextName: string;
    operator: string;
    values?: string[];
    value?: string;
    inverted?: boolean;
  }[];
  variants?: {
    name: string;
    weight: number;
    weightType: 'variable';
    stickiness: 'default';
    payload: { type: 'json'; value: string };
  }[];
}

interface FlagDefinition {
  name: string;
  type: 'release' | 'experiment';
  strategies: Strategy[];
}

interface StatsigCondition {
  type: string;
  operator: string | null;
  field: string | null;
  targetValue: unknown;
}

/**
 * The Statsig conditions the generator uses, as Unleash constraints (context fields other than
 * userId are `properties`). `version_gte x` is "not SEMVER_LT x". Gate dependencies (pass_gate)
 * have no strategy-level equivalent and are left out.
 */
function toConstraint(condition: StatsigCondition): Strategy['constraints'][number] | null | 'skip-rule' {
  const values = Array.isArray(condition.targetValue) ? condition.targetValue.map(String) : [];
  switch (condition.type) {
    case 'public':
      return null;
    case 'user_field':
      if (condition.operator === 'any')
        return { contextName: String(condition.field), operator: 'IN', values };
      if (condition.operator === 'str_contains_any') {
        return { contextName: String(condition.field), operator: 'STR_CONTAINS', values };
      }
      if (condition.operator === 'version_gte') {
        return {
          contextName: String(condition.field),
          operator: 'SEMVER_LT',
          value: String(condition.targetValue),
          inverted: true,
        };
      }
      throw new Error(`no Unleash equivalent for user_field ${condition.operator}`);
    default:
      return 'skip-rule';
  }
}

/** The same project as the Statsig payload: one flag per gate and per experiment. */
export function unleashFlags(dcs: GeneratedDcs): FlagDefinition[] {
  const flags: FlagDefinition[] = dcs.feature_gates.map((gate) => {
    const strategies: Strategy[] = [];
    for (const rule of gate.rules as {
      id: string;
      passPercentage: number;
      conditions: StatsigCondition[];
    }[]) {
      const constraints = rule.conditions.map(toConstraint);
      if (constraints.includes('skip-rule')) continue;
      strategies.push({
        name: 'flexibleRollout',
        parameters: { rollout: String(rule.passPercentage), stickiness: 'default', groupId: rule.id },
        constraints: constraints.filter(
          (c): c is Strategy['constraints'][number] => c !== null && c !== 'skip-rule',
        ),
      });
    }
    return { name: String(gate.name), type: 'release', strategies };
  });
  // An experiment: its share of its layer (same groupId across the layer), then two variants.
  for (const [layer, experiments] of Object.entries(dcs.layers)) {
    for (const experiment of experiments) {
      flags.push({
        name: experiment,
        type: 'experiment',
        strategies: [
          {
            name: 'flexibleRollout',
            parameters: {
              rollout: String(Math.floor(90 / experiments.length)),
              stickiness: 'default',
              groupId: layer,
            },
            constraints: [],
            variants: ['control', 'test'].map((group) => ({
              name: group,
              weight: 500,
              weightType: 'variable',
              stickiness: 'default',
              payload: { type: 'json', value: JSON.stringify({ [`${experiment}_param`]: group }) },
            })),
          },
        ],
      });
    }
  }
  return flags;
}

/** The frontend API's context for a benchmark user. */
export function unleashContext(user: BenchUser): unknown {
  return {
    context: {
      userId: user.userID,
      properties: {
        email: user.email,
        country: user.country,
        appVersion: user.appVersion,
        plan: user.custom.plan,
      },
    },
  };
}

async function admin(origin: string, method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: { authorization: ADMIN_TOKEN, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`Unleash ${method} ${path}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

const FEATURES = '/api/admin/projects/default/features';

async function createFlag(origin: string, flag: FlagDefinition, enable: boolean): Promise<void> {
  await admin(origin, 'POST', FEATURES, { name: flag.name, type: flag.type });
  for (const strategy of flag.strategies) {
    await admin(origin, 'POST', `${FEATURES}/${flag.name}/environments/${ENVIRONMENT}/strategies`, strategy);
  }
  if (enable) await enableFlag(origin, flag.name);
}

function enableFlag(origin: string, name: string): Promise<void> {
  return admin(origin, 'POST', `${FEATURES}/${name}/environments/${ENVIRONMENT}/on`);
}

async function frontendFlags(origin: string, body: unknown): Promise<string[]> {
  const response = await fetch(`${origin}/api/frontend`, {
    method: 'POST',
    headers: { authorization: FRONTEND_TOKEN, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`Unleash frontend API: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { toggles: { name: string }[] }).toggles.map((toggle) => toggle.name);
}

/**
 * Installs (once), starts and loads unleash-server against a fresh Postgres database: admin
 * and frontend tokens from its INIT_* variables, the flags through its admin API. Everything
 * it starts or creates is registered on `cleanup`.
 */
export async function startUnleash(
  options: UnleashOptions,
  flags: FlagDefinition[],
  probe: unknown,
): Promise<RunningUnleash> {
  const deadline = Date.now() + options.timeoutMs;
  const left = () => Math.max(1000, deadline - Date.now());
  const entry = await ensureInstalled(options.directory, left());
  const { database, adminDatabaseUrl } = options;
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`invalid database name ${database}`);
  await adminQuery(adminDatabaseUrl, `drop database if exists ${database} with (force)`);
  await adminQuery(adminDatabaseUrl, `create database ${database}`);
  options.cleanup.push(`drop database ${database}`, () =>
    adminQuery(adminDatabaseUrl, `drop database if exists ${database} with (force)`),
  );
  const service = spawnService('unleash-server', process.execPath, [entry], {
    cpu: options.cpu,
    cwd: options.directory,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl(adminDatabaseUrl, database),
      DATABASE_SSL: 'false',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(options.port),
      // Both would call out to Unleash's servers.
      CHECK_VERSION: 'false',
      SEND_TELEMETRY: 'false',
      LOG_LEVEL: 'error',
      INIT_ADMIN_API_TOKENS: ADMIN_TOKEN,
      INIT_FRONTEND_API_TOKENS: FRONTEND_TOKEN,
    },
  });
  options.cleanup.push('stop unleash-server', () => service.stop());
  const origin = `http://127.0.0.1:${options.port}`;
  await waitUntilReady(service, `${origin}/health`, left());

  const started = Date.now();
  // The first flag is switched on last: once the frontend API shows it, its cache holds the rest.
  const [last, ...rest] = flags;
  if (!last) throw new Error('no flags to create');
  const queue = [...rest];
  await createFlag(origin, last, false);
  await Promise.all(
    Array.from({ length: ADMIN_CONCURRENCY }, async () => {
      for (let flag = queue.shift(); flag; flag = queue.shift()) {
        if (Date.now() > deadline) throw new Error('creating the flags took too long');
        await createFlag(origin, flag, true);
      }
    }),
  );
  await enableFlag(origin, last.name);
  const setupMs = Date.now() - started;
  // The frontend API answers from a cache refreshed from the database; `probe` passes `last`.
  for (;;) {
    const seen = await frontendFlags(origin, probe);
    if (seen.includes(last.name)) break;
    if (Date.now() > deadline) {
      throw new Error(`the frontend API still shows ${seen.length} flags, not yet ${last.name}`);
    }
    await sleep(250);
  }
  return { service, origin, frontendToken: FRONTEND_TOKEN, flags: flags.length, setupMs };
}
