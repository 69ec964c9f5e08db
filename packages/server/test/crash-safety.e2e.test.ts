/**
 * Crash safety: the real server (src/main.ts through tsx) in a child process, killed with
 * SIGKILL in the middle of its work and started again on the same database: a SQLite file, and
 * a Postgres schema of its own when SWITCHYARD_TEST_DATABASE_URL is set.
 *
 * Each round runs both workloads at once and ends with a SIGKILL at a random point; the
 * database is checked after every kill:
 * - Events: clients send statsig-style batches to /v1/log_event and /v1/rgstr. Every batch the
 *   server acknowledged is stored exactly once, every batch is stored whole or not at all, and
 *   the retries of the rest (same body, as the SDKs send them; the server keys batches by their
 *   content) store nothing twice.
 * - Authoring: writers create and change gates through /api/v1. Every gate is at a version a
 *   writer wrote, with that version's data, and its versions and audit entries are exactly
 *   those of the versions it went through; the configuration revision counts them.
 * Apart from that, the first start is killed at sampled SQL statements (migrations, bootstrap
 * keys): the next start succeeds by itself and ends with the schema of an uninterrupted one.
 *
 * Kill points are random; SWITCHYARD_CRASH_SEED replays a run (failures print the seed).
 */
import { randomInt } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/start-server.js';
import type { OpenDatabase } from '../src/store/database.js';
import {
  KILL_AT_STATEMENT,
  PROCESS_DATABASES,
  type ProcessDatabase,
  type ProcessDatabaseTarget,
  type ServerProcess,
  startServerProcess,
} from './support/server-process.js';

const SERVER_KEY = 'secret-crash-safety-server';
const CONSOLE_KEY = 'console-crash-safety-admin';
const KEYS = { SWITCHYARD_INIT_SERVER_KEY: SERVER_KEY, SWITCHYARD_INIT_ADMIN_KEY: CONSOLE_KEY };

/** Rounds of work, each ended by a SIGKILL, per database. */
const KILL_ROUNDS = 3;
const EVENT_CLIENTS = 6;
const GATE_WRITERS = 4;
const GATES_PER_WRITER = 3;
/** First-start crashes per database, at statements spread over the whole start. */
const STARTUP_KILL_POINTS = 2;

/**
 * A last guard, not a measure: the tests start the server several times (about two seconds
 * each on an idle machine, far more on a loaded one); starts have their own guard.
 */
const TEST_TIMEOUT_MS = 600_000;

const SEED = Number(process.env.SWITCHYARD_CRASH_SEED ?? randomInt(2 ** 31));

/** A small seeded generator (mulberry32), so a failing run can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Kills the server a random few milliseconds after `tick()` was called a random number of
 * times (up to `maxCount`), while the clients keep requests in flight.
 */
function killAtRandom(server: ServerProcess, random: () => number, maxCount: number) {
  const threshold = 1 + Math.floor(random() * maxCount);
  let count = 0;
  let killing: Promise<void> | undefined;
  return {
    /** Call on every acknowledged request. */
    tick() {
      count += 1;
      if (count === threshold) killing = sleep(random() * 5).then(() => server.kill());
    },
    /** Resolves once the server is dead: at the threshold, or at once if `workers` all stop first. */
    async done(workers: Promise<unknown>[]) {
      let stopped = false;
      void Promise.all(workers).then(() => {
        stopped = true;
      });
      while (!killing && !server.exited && !stopped) await sleep(5);
      if (!killing && server.exited) throw new Error(`the server died by itself:\n${server.output()}`);
      await (killing ?? server.kill());
      await Promise.all(workers);
    },
  };
}

/**
 * The same server started in the test process on `database`: where it is not killed again, it
 * needs no process of its own (a start of a child process costs seconds).
 */
function startInProcess(database: ProcessDatabase): Promise<RunningServer> {
  return startServer(
    {
      port: 0,
      host: '127.0.0.1',
      databaseUrl: database.url,
      initKeys: { server: SERVER_KEY, console: CONSOLE_KEY },
      logLevel: 'warn',
    },
    false,
  );
}

/** Where clients send requests, and whether it is gone. */
interface Target {
  url: string;
  readonly exited?: boolean;
}

async function withDatabase(
  target: ProcessDatabaseTarget,
  work: (database: ProcessDatabase) => Promise<void>,
) {
  const database = await target.create();
  try {
    await work(database);
  } finally {
    await database.drop();
  }
}

async function inspect<T>(database: ProcessDatabase, read: (open: OpenDatabase) => Promise<T>): Promise<T> {
  const open = await database.open();
  try {
    return await read(open);
  } finally {
    await open.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Events

interface Batch {
  /** Also every event's userID, so stored events are counted per batch. */
  id: string;
  endpoint: 'log_event' | 'rgstr';
  /** Sent unchanged on every attempt (gzipped on the first, as statsig-node does). */
  body: string;
  events: number;
  attempts: number;
  acked: boolean;
}

function makeBatch(id: string, random: () => number): Batch {
  const endpoint = random() < 0.5 ? 'log_event' : 'rgstr';
  const count = 1 + Math.floor(random() * 40);
  const time = 1_790_000_000_000;
  const events = Array.from({ length: count }, (_, seq) =>
    seq % 3 === 0
      ? {
          eventName: 'statsig::gate_exposure',
          user: { userID: id, customIDs: { companyID: 'acme' } },
          time: time + seq,
          metadata: { gate: 'crash_gate', gateValue: 'true', ruleID: 'default', seq: String(seq) },
          secondaryExposures: [],
        }
      : {
          eventName: 'purchase',
          user: { userID: id, email: `${id}@example.com` },
          time: time + seq,
          value: seq,
          metadata: { seq: String(seq), sku: 'crash-kit' },
        },
  );
  const statsigMetadata =
    endpoint === 'log_event'
      ? { sdkType: 'statsig-node', sdkVersion: '6.5.2' }
      : { sdkType: 'javascript-client', sdkVersion: '3.33.5', stableID: `stable-${id}` };
  return {
    id,
    endpoint,
    body: JSON.stringify({ events, statsigMetadata }),
    events: count,
    attempts: 0,
    acked: false,
  };
}

type SendResult = { outcome: 'acked'; duplicate: boolean } | { outcome: 'busy' | 'failed' };

async function sendBatch(url: string, batch: Batch): Promise<SendResult> {
  const gzip = batch.attempts === 0;
  batch.attempts += 1;
  const body = gzip ? gzipSync(batch.body) : batch.body;
  let response: Response;
  let text: string;
  try {
    response =
      batch.endpoint === 'log_event'
        ? await fetch(`${url}/v1/log_event`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'statsig-api-key': SERVER_KEY,
              'statsig-sdk-type': 'statsig-node',
              'statsig-event-count': String(batch.events),
              ...(gzip && { 'content-encoding': 'gzip' }),
            },
            body,
          })
        : await fetch(`${url}/v1/rgstr?k=${SERVER_KEY}&st=javascript-client${gzip ? '&gz=1' : ''}`, {
            method: 'POST',
            headers: { 'content-type': 'text/plain' },
            body,
          });
    text = await response.text();
  } catch {
    // Refused or cut off: the server is gone. The batch may or may not have been committed.
    return { outcome: 'failed' };
  }
  if (response.status === 429 || response.status === 503) return { outcome: 'busy' };
  if (response.status !== 202) throw new Error(`batch ${batch.id}: ${response.status} ${text}`);
  const answer = JSON.parse(text) as { stored: number; duplicate: boolean };
  if (!answer.duplicate && answer.stored !== batch.events) {
    throw new Error(`batch ${batch.id}: stored ${answer.stored} of ${batch.events} events`);
  }
  return { outcome: 'acked', duplicate: answer.duplicate };
}

class EventTraffic {
  readonly batches: Batch[] = [];
  /** Sent and not acknowledged: retried first, with the same body. */
  readonly unacked: Batch[] = [];
  readonly problems: string[] = [];
  /** Retries the server recognised as stored before (committed, then the ack was lost). */
  duplicatesRecognised = 0;
  resentAcked = 0;

  constructor(private readonly random: () => number) {}

  private next(client: number): { batch: Batch; resendOfAcked: boolean } {
    const acked = this.batches.filter((batch) => batch.acked);
    // Now and then an SDK sends an acknowledged batch again (its ack was lost on its side).
    if (acked.length > 0 && this.random() < 0.05) {
      return { batch: acked[Math.floor(this.random() * acked.length)] as Batch, resendOfAcked: true };
    }
    const retry = this.unacked.shift();
    if (retry) return { batch: retry, resendOfAcked: false };
    const batch = makeBatch(`c${client}-b${this.batches.length}`, this.random);
    this.batches.push(batch);
    return { batch, resendOfAcked: false };
  }

  /** One client: sends batches one after another until the server is gone (or `until` says stop). */
  async client(server: Target, client: number, onAck: () => void, until = () => server.exited === true) {
    while (!until()) {
      const { batch, resendOfAcked } = this.next(client);
      let result: SendResult;
      try {
        result = await sendBatch(server.url, batch);
      } catch (error) {
        this.problems.push((error as Error).message);
        return;
      }
      if (result.outcome === 'acked') {
        if (resendOfAcked) {
          this.resentAcked += 1;
          if (!result.duplicate) this.problems.push(`acknowledged batch ${batch.id} was stored again`);
        } else {
          if (result.duplicate) this.duplicatesRecognised += 1;
          batch.acked = true;
        }
        onAck();
      } else if (!resendOfAcked) {
        this.unacked.push(batch);
        if (result.outcome === 'busy') await sleep(20);
      }
    }
  }

  /** Compares the stored events with what was sent and acknowledged; returns the problems. */
  async check(database: ProcessDatabase): Promise<{ problems: string[]; committedUnacked: number }> {
    const rows = await inspect(database, (open) =>
      open.db
        .selectFrom('events')
        .select((eb) => ['user_id', eb.fn.countAll<number | string>().as('n')])
        .groupBy('user_id')
        .execute(),
    );
    const stored = new Map(rows.map((row) => [row.user_id, Number(row.n)]));
    const problems: string[] = [];
    let committedUnacked = 0;
    for (const batch of this.batches) {
      const count = stored.get(batch.id) ?? 0;
      stored.delete(batch.id);
      if (batch.acked && count !== batch.events) {
        problems.push(`acknowledged batch ${batch.id}: ${count} of ${batch.events} events stored`);
      } else if (!batch.acked && count !== 0 && count !== batch.events) {
        problems.push(`batch ${batch.id} stored in part: ${count} of ${batch.events} events`);
      } else if (!batch.acked && count > 0) {
        committedUnacked += 1;
      }
    }
    for (const [userID, count] of stored) problems.push(`${count} events of a batch never sent (${userID})`);
    return { problems, committedUnacked };
  }
}

// ---------------------------------------------------------------------------------------------
// Authoring

interface GateModel {
  name: string;
  /** The writer that owns it (writes with If-Match), or null for the gate every writer changes. */
  owner: number | null;
  /** The version last acknowledged (0: not created yet). */
  version: number;
  /** Descriptions of acknowledged versions. */
  acked: Map<number, string>;
  /** The write in flight when the server died, if any. */
  inFlight?: { version: number; description: string };
}

const SHARED_GATE = 'shared_gate';

function gateRules(version: number) {
  return [{ name: 'rollout', passPercentage: (version * 13) % 101, conditions: [{ type: 'public' }] }];
}

async function consoleApi(url: string, method: string, path: string, body?: unknown, headers = {}) {
  const response = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${CONSOLE_KEY}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

class GateWriters {
  readonly gates = new Map<string, GateModel>();
  readonly problems: string[] = [];
  ackedWrites = 0;
  committedUnacked = 0;
  private sharedWrites = 0;

  constructor(private readonly random: () => number) {
    for (let writer = 0; writer < GATE_WRITERS; writer++) {
      for (let index = 0; index < GATES_PER_WRITER; index++) {
        const name = `w${writer}_gate_${index}`;
        this.gates.set(name, { name, owner: writer, version: 0, acked: new Map() });
      }
    }
    this.gates.set(SHARED_GATE, { name: SHARED_GATE, owner: null, version: 0, acked: new Map() });
  }

  /** One writer: changes its gates (and now and then the shared one) until the server is gone. */
  async writer(server: ServerProcess, writer: number, onAck: () => void) {
    const own = [...this.gates.values()].filter((gate) => gate.owner === writer);
    while (!server.exited) {
      const shared = this.gates.get(SHARED_GATE) as GateModel;
      const gate =
        shared.version > 0 && this.random() < 0.25
          ? shared
          : (own[Math.floor(this.random() * own.length)] as GateModel);
      const version = gate.version + 1;
      const description = gate.owner === null ? `w${writer}-${this.sharedWrites++}` : `v${version}`;
      // The shared gate: no If-Match, so a write's version is whatever it lands on.
      if (gate.owner !== null) gate.inFlight = { version, description };
      let answer: { status: number; body: Record<string, unknown> };
      try {
        answer =
          gate.version === 0
            ? await consoleApi(server.url, 'POST', '/gates', {
                name: gate.name,
                description,
                rules: gateRules(version),
              })
            : await consoleApi(
                server.url,
                'PATCH',
                `/gates/${gate.name}`,
                { description, rules: gateRules(version) },
                gate.owner === null ? {} : { 'if-match': `"${gate.version}"` },
              );
      } catch {
        return; // the server is gone; this gate's write is in doubt
      }
      if (answer.status === 200 || answer.status === 201) {
        const stored = answer.body.version as number;
        if (gate.owner !== null && stored !== version) {
          this.problems.push(`${gate.name}: wrote version ${version}, answered ${stored}`);
        }
        gate.acked.set(stored, description);
        gate.version = Math.max(gate.version, stored);
        gate.inFlight = undefined;
        this.ackedWrites += 1;
        onAck();
      } else {
        gate.inFlight = undefined;
        // Writers racing on the shared gate may meet (Postgres): 409, as documented.
        if (!(gate.owner === null && answer.status === 409) && answer.status !== 429) {
          this.problems.push(`${gate.name}: ${answer.status} ${JSON.stringify(answer.body)}`);
          return;
        }
      }
    }
  }

  /** Creates the shared gate before the writers start. */
  async createShared(url: string) {
    const answer = await consoleApi(url, 'POST', '/gates', { name: SHARED_GATE, description: 'shared' });
    if (answer.status !== 201) throw new Error(`creating ${SHARED_GATE}: ${JSON.stringify(answer.body)}`);
    const shared = this.gates.get(SHARED_GATE) as GateModel;
    shared.version = 1;
    shared.acked.set(1, 'shared');
  }

  /** Compares the gates a (re)started server lists with the versions last checked. */
  async compareServed(url: string): Promise<string[]> {
    const listed = await consoleApi(url, 'GET', '/gates');
    if (listed.status !== 200) return [`GET /gates: ${listed.status} ${JSON.stringify(listed.body)}`];
    const served = new Map(
      (listed.body.gates as { name: string; version: number }[]).map((gate) => [gate.name, gate.version]),
    );
    return [...this.gates.values()].flatMap((gate) =>
      (served.get(gate.name) ?? 0) === gate.version
        ? []
        : [`${gate.name} served at version ${served.get(gate.name)}, stored at ${gate.version}`],
    );
  }

  /**
   * Checks the stored gates against what was acknowledged, and their versions and audit
   * entries against each other; takes the stored versions as the writers' starting point.
   */
  async check(database: ProcessDatabase): Promise<string[]> {
    const { entities, versions, audit, revision } = await inspect(database, async (open) => ({
      entities: await open.db
        .selectFrom('entities')
        .select(['name', 'version', 'data'])
        .where('kind', '=', 'gate')
        .execute(),
      versions: await open.db
        .selectFrom('entity_versions')
        .select(['name', 'version', 'data'])
        .where('kind', '=', 'gate')
        .execute(),
      audit: await open.db
        .selectFrom('audit_log')
        .select(['kind', 'name', 'version', 'diff', 'revision'])
        .execute(),
      revision: (
        await open.db.selectFrom('config_state').select('revision').where('id', '=', 1).executeTakeFirst()
      )?.revision,
    }));
    const problems: string[] = [];
    const versionsOf = (name: string) =>
      versions.filter((row) => row.name === name).sort((a, b) => a.version - b.version);
    const auditOf = (name: string) =>
      audit
        .filter((row) => row.kind === 'gate' && row.name === name)
        .sort((a, b) => (a.version ?? 0) - (b.version ?? 0));
    const stored = new Map(entities.map((row) => [row.name, row]));

    // Every change has its version row and its audit entry, and nothing more.
    const gateAudit = audit.filter((row) => row.kind === 'gate');
    for (const name of new Set([
      ...stored.keys(),
      ...versions.map((row) => row.name),
      ...gateAudit.map((row) => row.name),
    ])) {
      const entity = stored.get(name);
      const current = entity?.version ?? 0;
      const expected = Array.from({ length: current }, (_, index) => index + 1);
      const history = versionsOf(name);
      if (JSON.stringify(history.map((row) => row.version)) !== JSON.stringify(expected)) {
        problems.push(`${name} at version ${current} has versions [${history.map((row) => row.version)}]`);
      }
      if (entity && history.at(-1)?.data !== entity.data)
        problems.push(`${name}: data differs from its version row`);
      const entries = auditOf(name);
      if (JSON.stringify(entries.map((row) => row.version)) !== JSON.stringify(expected)) {
        problems.push(
          `${name} at version ${current} has audit entries for [${entries.map((row) => row.version)}]`,
        );
      }
      for (const entry of entries) {
        const row = history.find((candidate) => candidate.version === entry.version);
        if (row && JSON.stringify((JSON.parse(entry.diff) as { after: unknown }).after) !== row.data) {
          problems.push(`${name}: the audit entry of version ${entry.version} shows other data`);
        }
      }
    }
    // Each configuration change bumped the revision once, in its own transaction.
    const revisions = audit.flatMap((row) => (row.revision === null ? [] : [Number(row.revision)]));
    if (new Set(revisions).size !== revisions.length) problems.push('two audit entries share a revision');
    if (revisions.length !== Number(revision) || Math.max(0, ...revisions) !== Number(revision)) {
      problems.push(
        `revision ${revision} after ${revisions.length} audited changes (last ${Math.max(0, ...revisions)})`,
      );
    }

    // Every acknowledged write is there; a gate is at its acknowledged version or the one in flight.
    for (const gate of this.gates.values()) {
      const entity = stored.get(gate.name);
      const current = entity?.version ?? 0;
      const data = entity ? (JSON.parse(entity.data) as { description?: string }) : undefined;
      const allowed = [gate.version, ...(gate.inFlight ? [gate.inFlight.version] : [])];
      if (gate.owner !== null && !allowed.includes(current)) {
        problems.push(`${gate.name} is at version ${current}; acknowledged ${gate.version}`);
      }
      if (gate.owner === null && current < gate.version) {
        problems.push(`${gate.name} is at version ${current}; acknowledged ${gate.version}`);
      }
      if (gate.owner !== null && entity && data?.description !== `v${current}`) {
        problems.push(`${gate.name} at version ${current} holds "${data?.description}"`);
      }
      for (const [version, description] of gate.acked) {
        const row = versionsOf(gate.name).find((candidate) => candidate.version === version);
        const held = row && (JSON.parse(row.data) as { description?: string }).description;
        if (held !== description) {
          problems.push(`${gate.name} version ${version}: acknowledged "${description}", stored "${held}"`);
        }
      }
      if (gate.inFlight && current === gate.inFlight.version) this.committedUnacked += 1;
      gate.version = current;
      gate.inFlight = undefined;
    }
    return problems;
  }
}

// ---------------------------------------------------------------------------------------------

/** What a schema looks like, to compare a crashed-and-restarted database with a clean one. */
async function schemaOf(open: OpenDatabase): Promise<unknown> {
  const migrations = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
    open.db,
  );
  if (open.dialect === 'sqlite') {
    const objects = await sql<{ type: string; name: string; sql: string | null }>`
      select type, name, sql from sqlite_master where name not like 'sqlite_%' order by type, name`.execute(
      open.db,
    );
    return { migrations: migrations.rows, objects: objects.rows };
  }
  const columns = await sql`
    select table_name, column_name, data_type, is_nullable from information_schema.columns
    where table_schema = current_schema() order by table_name, column_name`.execute(open.db);
  const indexes = await sql`
    select tablename, indexname from pg_indexes where schemaname = current_schema() order by tablename, indexname`.execute(
    open.db,
  );
  const triggers = await sql`
    select trigger_name, event_manipulation, event_object_table from information_schema.triggers
    where trigger_schema = current_schema() order by trigger_name, event_manipulation`.execute(open.db);
  return {
    migrations: migrations.rows,
    columns: columns.rows,
    indexes: indexes.rows,
    triggers: triggers.rows,
  };
}

interface CrashRounds {
  traffic: EventTraffic;
  writers: GateWriters;
  /** What the checks after each kill and after the last start found, per workload. */
  eventProblems: string[];
  gateProblems: string[];
  /** Event batches committed but not acknowledged when the server died (retried, recognised). */
  committedUnackedBatches: number;
}

/**
 * Rounds of event traffic and gate writes at once, each ended by a SIGKILL at a random point,
 * with the database checked after every kill; then a last start in which every batch not yet
 * acknowledged is sent again until it is, and a last check.
 */
async function runCrashRounds(target: ProcessDatabaseTarget, seed: number): Promise<CrashRounds> {
  const context = `seed ${seed} (SWITCHYARD_CRASH_SEED=${SEED})`;
  const random = seededRandom(seed);
  const traffic = new EventTraffic(random);
  const writers = new GateWriters(random);
  const result: CrashRounds = {
    traffic,
    writers,
    eventProblems: [],
    gateProblems: [],
    committedUnackedBatches: 0,
  };
  const note = (into: string[], problems: string[], when: string) =>
    into.push(...problems.map((problem) => `${when}, ${context}: ${problem}`));
  await withDatabase(target, async (database) => {
    for (let round = 1; round <= KILL_ROUNDS; round++) {
      const server = await startServerProcess({ ...KEYS, ...database.env });
      // The restarted server serves what the database holds.
      note(result.gateProblems, await writers.compareServed(server.url), `start ${round}`);
      if (round === 1) await writers.createShared(server.url);
      const killer = killAtRandom(server, random, 120);
      await killer.done([
        ...Array.from({ length: EVENT_CLIENTS }, (_, client) =>
          traffic.client(server, client, () => killer.tick()),
        ),
        ...Array.from({ length: GATE_WRITERS }, (_, writer) =>
          writers.writer(server, writer, () => killer.tick()),
        ),
      ]);
      const events = await traffic.check(database);
      note(result.eventProblems, [...traffic.problems.splice(0), ...events.problems], `after kill ${round}`);
      result.committedUnackedBatches += events.committedUnacked;
      note(
        result.gateProblems,
        [...writers.problems.splice(0), ...(await writers.check(database))],
        `after kill ${round}`,
      );
    }
    const server = await startInProcess(database);
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      note(result.gateProblems, await writers.compareServed(server.url), 'last start');
      const allAcked = () => traffic.unacked.length === 0;
      await Promise.all(
        Array.from({ length: EVENT_CLIENTS }, (_, client) =>
          traffic.client(server, client, () => {}, allAcked),
        ),
      );
    } finally {
      await server.close();
    }
    const events = await traffic.check(database);
    note(result.eventProblems, [...traffic.problems.splice(0), ...events.problems], 'after the last start');
    if (!traffic.batches.every((batch) => batch.acked))
      result.eventProblems.push('a batch was never acknowledged');
  });
  return result;
}

for (const target of PROCESS_DATABASES) {
  const suite = target.skip ? describe.skip : describe.concurrent;
  suite(`crash safety on ${target.name}${target.skip ? ` (skipped: ${target.skip})` : ''}`, () => {
    // One set of rounds serves the event and the authoring checks (each start of a server
    // process costs seconds); the first-start test runs alongside.
    let rounds: Promise<CrashRounds>;
    beforeAll(() => {
      rounds = runCrashRounds(target, SEED + 1);
      // Awaited by the tests below; this keeps a failure from also being an unhandled rejection.
      rounds.catch(() => {});
    });

    it('stores every acknowledged event batch exactly once across SIGKILLs, and each batch whole', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const { traffic, eventProblems, committedUnackedBatches } = await rounds;
      expect(eventProblems).toEqual([]);
      const events = traffic.batches.reduce((sum, batch) => sum + batch.events, 0);
      expect(events).toBeGreaterThan(0);
      console.info(
        `crash safety on ${target.name}: ${KILL_ROUNDS} kills; ${traffic.batches.length} batches (${events} events) ` +
          `acknowledged and stored once; ${committedUnackedBatches} committed but unacknowledged at a kill, ` +
          `${traffic.duplicatesRecognised} retries recognised as duplicates, ${traffic.resentAcked} acknowledged batches resent`,
      );
    });

    it('keeps every gate at a whole version with its history and audit entries across SIGKILLs', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const { writers, gateProblems } = await rounds;
      expect(gateProblems).toEqual([]);
      expect(writers.ackedWrites).toBeGreaterThan(0);
      console.info(
        `crash safety on ${target.name}: ${KILL_ROUNDS} kills; ${writers.ackedWrites} acknowledged gate writes checked, ` +
          `${writers.committedUnacked} committed but unacknowledged at a kill`,
      );
    });

    it('starts by itself after a SIGKILL anywhere in its first start (migrations, bootstrap keys)', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      const random = seededRandom(SEED + 2);
      const context = `seed ${SEED + 2} (SWITCHYARD_CRASH_SEED=${SEED})`;
      // An uninterrupted first start: its schema, and about how many statements it takes to listen
      // (counted until it is killed right after).
      let reference: unknown;
      let statements = 0;
      await withDatabase(target, async (database) => {
        const server = await startServerProcess(
          { ...KEYS, ...database.env, SWITCHYARD_TEST_KILL_AT_STATEMENT: 'count' },
          {
            imports: [KILL_AT_STATEMENT],
            onLine: (line) => {
              const match = /^sql-statement (\d+)$/.exec(line);
              if (match) statements = Number(match[1]);
            },
          },
        );
        await server.kill();
        reference = await inspect(database, schemaOf);
      });
      expect(statements).toBeGreaterThan(10);
      const killPoints = Array.from({ length: STARTUP_KILL_POINTS }, (_, index) =>
        Math.max(1, Math.floor((statements * (index + random())) / STARTUP_KILL_POINTS)),
      );
      for (const killAt of killPoints) {
        await withDatabase(target, async (database) => {
          const crashed = await startServerProcess(
            { ...KEYS, ...database.env, SWITCHYARD_TEST_KILL_AT_STATEMENT: String(killAt) },
            { imports: [KILL_AT_STATEMENT] },
          ).catch((error: Error) => {
            // Killed where it was told to be, not failed on its own.
            expect(error.message).toMatch(/signal SIGKILL/);
            return undefined;
          });
          // A point past the start's last statements: it listens, and is killed now instead.
          await crashed?.kill();
          // The same start again, with nothing done by hand in between.
          const server = await startInProcess(database).catch((error: Error) => {
            throw new Error(`killed at statement ${killAt} of ${statements}, ${context}: ${error.message}`);
          });
          try {
            expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
            expect((await consoleApi(server.url, 'GET', '/gates')).status).toBe(200);
          } finally {
            await server.close();
          }
          expect(await inspect(database, schemaOf), `killed at statement ${killAt}, ${context}`).toEqual(
            reference,
          );
        });
      }
    });
  });
}
