/**
 * Change feeds. The Postgres part runs two app instances on one schema (each with its own pool,
 * as two processes would have) and needs SWITCHYARD_TEST_DATABASE_URL; CI sets it.
 */
import { randomBytes } from 'node:crypto';
import type { ConfigSpecs } from '@switchyard/core';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { type ChangeFeed, InProcessChangeFeed, PostgresChangeFeed } from '../src/services/change-feed.js';
import { type OpenDatabase, openDatabase } from '../src/store/database.js';
import { bumpRevision, EntityStore } from '../src/store/entity-store.js';
import { notifyChange } from '../src/store/notify-change.js';
import type { Database } from '../src/store/schema.js';
import { SseClient } from './support/sse-client.js';
import { buildStreamingApp } from './support/streaming-app.js';

const WAIT = { timeout: 10_000, interval: 10 };
/** Long enough that only a notification (or the catch-up read after a reconnect) can deliver. */
const NO_POLL_MS = 3_600_000;

function record(feed: ChangeFeed): number[] {
  const seen: number[] = [];
  feed.subscribe((revision) => {
    seen.push(revision);
  });
  return seen;
}

describe('InProcessChangeFeed', () => {
  it('announces each revision once, in increasing order, and isolates a failing subscriber', async () => {
    const warnings: unknown[] = [];
    const feed = new InProcessChangeFeed({ log: { warn: (object) => warnings.push(object) } });
    await feed.start();
    feed.subscribe(() => {
      throw new Error('subscriber bug');
    });
    feed.subscribe(async () => {
      throw new Error('async subscriber bug');
    });
    const seen = record(feed);
    const unsubscribe = feed.subscribe(() => {});
    unsubscribe();
    for (const revision of [1, 1, 3, 2, 3, 4]) feed.notify(revision);
    expect(seen).toEqual([1, 3, 4]);
    expect(feed.revision).toBe(4);
    await vi.waitFor(() => expect(warnings).toHaveLength(6), WAIT);
    await feed.close();
  });
});

const postgresUrl = process.env.SWITCHYARD_TEST_DATABASE_URL;

describe.skipIf(!postgresUrl)(
  'PostgresChangeFeed: two instances on one database (skipped: SWITCHYARD_TEST_DATABASE_URL is not set; CI sets it)',
  () => {
    /**
     * A database of its own rather than a schema of the shared one: LISTEN/NOTIFY channels are
     * per database, and Kysely's migrator (as migrations.ts calls it) sees another schema's
     * migration tables as its own, so a schema migrated while this suite holds one would fail.
     */
    const databaseName = `switchyard_feed_${randomBytes(6).toString('hex')}`;
    const url = postgresUrl ? Object.assign(new URL(postgresUrl), { pathname: `/${databaseName}` }).href : '';
    let databaseA: OpenDatabase;
    let databaseB: OpenDatabase;
    let appA: App;
    /** Instance B's view of the revision, through its own pool. */
    let entitiesB: EntityStore;
    let admin: pg.Client;
    const feeds: PostgresChangeFeed[] = [];

    beforeAll(async () => {
      admin = new pg.Client({ connectionString: postgresUrl });
      await admin.connect();
      await admin.query(`create database ${databaseName}`);
      databaseA = await openDatabase(url);
      databaseB = await openDatabase(url);
      appA = await buildApp({ database: databaseA });
      entitiesB = new EntityStore(databaseB.db);
    });

    afterEach(async () => {
      for (const feed of feeds.splice(0)) await feed.close();
    });

    afterAll(async () => {
      await appA?.http.close();
      await databaseA?.close();
      await databaseB?.close();
      // pg's pool resolves end() before its sockets close; a forced drop would then kill them
      // mid-goodbye and surface as unhandled errors.
      await vi.waitFor(async () => {
        const { rows } = await admin.query(
          'select count(*)::int as n from pg_stat_activity where datname = $1',
          [databaseName],
        );
        expect(rows[0].n).toBe(0);
      }, WAIT);
      await admin?.query(`drop database if exists ${databaseName}`);
      await admin?.end();
    });

    function createFeed(
      entities: Pick<EntityStore, 'revision'>,
      options: { pollIntervalMs?: number; reconnectMinMs?: number; name?: string },
    ): PostgresChangeFeed {
      return new PostgresChangeFeed({
        connectionString: url,
        entities,
        pollIntervalMs: options.pollIntervalMs ?? NO_POLL_MS,
        reconnectMinMs: options.reconnectMinMs ?? 20,
        applicationName: `${databaseName}-${options.name ?? 'b'}`,
      });
    }

    /** A started feed of instance B, closed after the test. */
    async function feedOfB(options: { pollIntervalMs?: number; reconnectMinMs?: number; name?: string }) {
      const feed = createFeed(entitiesB, options);
      feeds.push(feed);
      await feed.start();
      return feed;
    }

    /** Commits a revision bump through `database`, as the store's writes do; returns the new revision. */
    async function commitChange(database: OpenDatabase, notify: boolean): Promise<number> {
      return database.db.transaction().execute(async (tx) => {
        await bumpRevision(tx, Date.now());
        const { revision } = await tx
          .selectFrom('config_state')
          .select('revision')
          .where('id', '=', 1)
          .executeTakeFirstOrThrow();
        if (notify) await notifyChange(tx, revision);
        return revision;
      });
    }

    it("announces a change committed through A to B's subscribers by NOTIFY, only after commit", async () => {
      const feed = await feedOfB({});
      expect(feed.listening).toBe(true);
      const seen = record(feed);
      let inside = -1;
      let seenBeforeCommit: number[] = [];
      const revision = await databaseA.db.transaction().execute(async (tx) => {
        await bumpRevision(tx, Date.now());
        const row = await tx
          .selectFrom('config_state')
          .select('revision')
          .where('id', '=', 1)
          .executeTakeFirstOrThrow();
        inside = row.revision;
        await notifyChange(tx, row.revision);
        // Postgres holds the notification until commit; give it a chance to (wrongly) arrive.
        await new Promise((resolve) => setTimeout(resolve, 100));
        seenBeforeCommit = [...seen];
        return row.revision;
      });
      expect(inside).toBe(revision);
      expect(seenBeforeCommit).toEqual([]);
      await vi.waitFor(() => expect(seen).toEqual([revision]), WAIT);
      // A local notify of the same revision (the writer's own instance does both) is not repeated.
      feed.notify(revision);
      expect(seen).toEqual([revision]);
    });

    it('ignores notifications sent for another schema of the same database', async () => {
      const feed = await feedOfB({});
      const seen = record(feed);
      const other = new Kysely<Database>({
        dialect: new PostgresDialect({
          pool: new pg.Pool({ connectionString: url, max: 1, options: '-c search_path=other_install' }),
        }),
      });
      try {
        await sql`create schema if not exists other_install`.execute(other);
        // Far ahead of ours, so a mix-up would show.
        await notifyChange(other, 1_000_000);
        const ours = await commitChange(databaseA, true);
        await vi.waitFor(() => expect(seen).toContain(ours), WAIT);
        expect(seen).toEqual([ours]);
      } finally {
        await other.destroy();
      }
    });

    it('announces a revision by the periodic read when no NOTIFY is sent', async () => {
      const feed = await feedOfB({ pollIntervalMs: 100 });
      const seen = record(feed);
      const revision = await commitChange(databaseA, false);
      await vi.waitFor(() => expect(seen).toEqual([revision]), WAIT);
    });

    it('reconnects after the LISTEN connection drops, catching up on what it missed', async () => {
      const name = 'reconnect';
      const feed = await feedOfB({ reconnectMinMs: 300, name });
      const seen = record(feed);
      const backends = async () =>
        (
          await admin.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [
            `${databaseName}-${name}`,
          ])
        ).rows.map((row) => row.pid);
      const [first] = await backends();
      expect(first).toBeDefined();
      await admin.query('select pg_terminate_backend($1)', [first]);
      await vi.waitFor(() => expect(feed.listening).toBe(false), WAIT);

      // Sent while nobody listens: lost as a notification, found by the read after reconnecting.
      const missed = await commitChange(databaseA, true);
      await vi.waitFor(() => expect(seen).toEqual([missed]), WAIT);
      expect(feed.listening).toBe(true);
      const [second] = await backends();
      expect(second).not.toBe(first);

      const next = await commitChange(databaseA, true);
      await vi.waitFor(() => expect(seen).toEqual([missed, next]), WAIT);
    });

    it('a gate created through instance A reaches a stream on instance B', async () => {
      const consoleKey = 'console-test-key-123';
      const serverKey = 'secret-test-key-123';
      await appA.keys.ensure('production', 'console', consoleKey);
      await appA.keys.ensure('production', 'server', serverKey);
      // The periodic read is off: only the NOTIFY sent by A's own write transaction can deliver.
      const b = await buildStreamingApp(databaseB, {
        changeFeed: (entities) => createFeed(entities, { pollIntervalMs: NO_POLL_MS, name: 'stream' }),
      });
      try {
        const base = await b.app.http.listen({ host: '127.0.0.1', port: 0 });
        const client = await SseClient.connect(`${base}/v1/stream?k=${serverKey}`);
        expect(client.status).toBe(200);
        await client.waitFor((event) => event.event === 'revision');

        const created = await appA.http.inject({
          method: 'POST',
          url: '/api/v1/gates',
          headers: { authorization: `Bearer ${consoleKey}` },
          payload: { name: 'from_instance_a', rules: [{ name: 'all', conditions: [{ type: 'public' }] }] },
        });
        expect(created.statusCode).toBe(201);
        const { revision } = await appA.entities.revision();
        const event = await client.waitFor(
          (candidate) =>
            (candidate.event === 'config' || candidate.event === 'delta') &&
            candidate.id === String(revision),
        );
        // A full config, or a delta for a client that held the previous revision.
        const data = JSON.parse(event.data) as ConfigSpecs & { changed?: ConfigSpecs };
        const gates = (data.changed ?? data).feature_gates;
        expect(gates.map((gate) => gate.name)).toContain('from_instance_a');
        // Both instances serve the same revision.
        expect((await b.app.snapshots.current('production')).revision).toBe(revision);
        client.close();
      } finally {
        await b.app.http.close();
      }
    });
  },
);
