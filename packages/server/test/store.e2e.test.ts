/**
 * One store suite, run on SQLite and on Postgres (when SWITCHYARD_TEST_DATABASE_URL is set).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError } from '../src/errors.js';
import type { OpenDatabase } from '../src/store/database.js';
import { EntityStore } from '../src/store/entity-store.js';
import { EventStore } from '../src/store/event-store.js';
import { hashKey, KeyStore } from '../src/store/key-store.js';
import { TEST_DATABASES } from './support/databases.js';

for (const target of TEST_DATABASES) {
  const suite = target.skip ? describe.skip : describe;
  suite(`store on ${target.name}${target.skip ? ` (skipped: ${target.skip})` : ''}`, () => {
    let database: OpenDatabase;
    let now = 1_700_000_000_000;
    const clock = () => now;

    beforeEach(async () => {
      database = await target.open();
    });
    afterEach(async () => {
      await database.close();
    });

    it('creates, reads and lists versioned objects; a duplicate name is a conflict', async () => {
      const entities = new EntityStore(database.db, clock);
      const created = await entities.create('gate', 'b_gate', { n: 1 }, { actor: 'key:1', action: 'create' });
      await entities.create('gate', 'a_gate', { n: 2 }, { actor: 'key:1', action: 'create' });
      expect(created).toMatchObject({ version: 1, data: { n: 1 }, createdAt: now });
      expect(await entities.get('gate', 'b_gate')).toMatchObject({ version: 1, data: { n: 1 } });
      expect(await entities.get('gate', 'missing')).toBeUndefined();
      expect((await entities.list('gate')).map((record) => record.name)).toEqual(['a_gate', 'b_gate']);
      await expect(
        entities.create('gate', 'b_gate', { n: 3 }, { actor: 'key:1', action: 'create' }),
      ).rejects.toMatchObject({
        code: 'already_exists',
      });
      await expect(
        entities.create('gate', 'b_gate', {}, { actor: 'x', action: 'create' }),
      ).rejects.toBeInstanceOf(ConflictError);
    });

    it('announces the revision of a bulk upsert that only updates, as of one that creates', async () => {
      const committed: number[] = [];
      const entities = new EntityStore(database.db, clock, {
        onCommitted: (revision) => committed.push(revision),
      });
      const change = { actor: 'key:1' };
      await entities.upsertMany('statsig_spec', [{ name: 'a', data: { v: 1 } }], change);
      await entities.upsertMany('statsig_spec', [{ name: 'a', data: { v: 2 } }], change);
      await entities.upsertMany('statsig_spec', [{ name: 'a', data: { v: 2 } }], change);
      expect(committed).toEqual([1, 2]);
      expect((await entities.revision()).revision).toBe(2);
    });

    it('updates only from the expected version, and records history and audit in the same transaction', async () => {
      const entities = new EntityStore(database.db, clock);
      await entities.create('gate', 'g', { pct: 5 }, { actor: 'key:a', action: 'create' });
      now += 1000;
      const updated = await entities.update<{ pct: number }>('gate', 'g', 1, () => ({ pct: 25 }), {
        actor: 'key:b',
        action: 'update',
        reason: 'raise the canary',
      });
      expect(updated).toMatchObject({ version: 2, data: { pct: 25 }, updatedAt: now });

      const stale = entities.update('gate', 'g', 1, () => ({ pct: 50 }), {
        actor: 'key:c',
        action: 'update',
      });
      await expect(stale).rejects.toBeInstanceOf(ConflictError);
      await expect(stale).rejects.toMatchObject({ code: 'version_conflict', details: { currentVersion: 2 } });
      await expect(
        entities.update('gate', 'nope', undefined, (x) => x, { actor: 'x', action: 'update' }),
      ).rejects.toBeInstanceOf(NotFoundError);
      expect((await entities.get('gate', 'g'))?.data).toEqual({ pct: 25 });

      const history = await entities.history<{ pct: number }>('gate', 'g');
      expect(history.map((entry) => [entry.version, entry.data.pct, entry.actor])).toEqual([
        [2, 25, 'key:b'],
        [1, 5, 'key:a'],
      ]);
      const audit = await entities.audit({ kind: 'gate', name: 'g' });
      expect(audit.map((entry) => [entry.action, entry.actor, entry.version, entry.reason])).toEqual([
        ['update', 'key:b', 2, 'raise the canary'],
        ['create', 'key:a', 1, null],
      ]);
      expect(audit[0]?.diff).toEqual({ before: { pct: 5 }, after: { pct: 25 } });
    });

    it('lets exactly one of two concurrent writers from the same version win', async () => {
      const entities = new EntityStore(database.db, clock);
      await entities.create('gate', 'race', { v: 0 }, { actor: 'x', action: 'create' });
      const results = await Promise.allSettled(
        [1, 2].map((v) =>
          entities.update('gate', 'race', 1, () => ({ v }), { actor: `w${v}`, action: 'update' }),
        ),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect((await entities.get('gate', 'race'))?.version).toBe(2);
      expect(await entities.history('gate', 'race')).toHaveLength(2);
    });

    it('bumps the revision on every change, with a strictly increasing time even within one millisecond', async () => {
      const entities = new EntityStore(database.db, clock);
      expect(await entities.revision()).toEqual({ revision: 0, changedAt: 0 });
      await entities.create('gate', 'one', {}, { actor: 'x', action: 'create' });
      await entities.create('gate', 'two', {}, { actor: 'x', action: 'create' });
      await entities.update('gate', 'one', undefined, () => ({ x: 1 }), { actor: 'x', action: 'update' });
      expect(await entities.revision()).toEqual({ revision: 3, changedAt: now + 2 });
    });

    it('stores API keys hashed, finds them by secret, and forgets revoked ones', async () => {
      const keys = new KeyStore(database.db, clock);
      await keys.ensureEnvironments();
      await keys.ensureEnvironments();
      expect(await keys.environments()).toEqual(['development', 'production', 'staging']);
      const { key, secret } = await keys.create('production', 'server');
      expect(secret).toMatch(/^secret-/);
      const row = await database.db
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', key.id)
        .executeTakeFirstOrThrow();
      expect(row.key_hash).toBe(hashKey(secret));
      expect(JSON.stringify(row)).not.toContain(secret);
      expect(await keys.findBySecret(secret)).toMatchObject({
        id: key.id,
        kind: 'server',
        environment: 'production',
      });
      await keys.revoke(key.id);
      expect(await keys.findBySecret(secret)).toBeUndefined();
      await expect(keys.create('production', 'client', 'secret-wrong-kind')).rejects.toBeInstanceOf(
        InvalidInputError,
      );
      await keys.ensure('production', 'console', 'console-bootstrap-key');
      await keys.ensure('production', 'console', 'console-bootstrap-key');
      expect(
        await database.db.selectFrom('api_keys').select('id').where('kind', '=', 'console').execute(),
      ).toHaveLength(1);
    });

    it('appends events with their unit IDs and exposure fields, in order', async () => {
      const events = new EventStore(database.db, clock);
      const count = await events.append('production', [
        {
          eventName: 'statsig::gate_exposure',
          time: 1,
          user: { userID: 'u1', customIDs: { companyID: 'acme' } },
          value: null,
          metadata: { gate: 'new_checkout', gateValue: 'true', ruleID: 'r1' },
          secondaryExposures: [{ gate: 'segment:staff', gateValue: 'true', ruleID: 'list' }],
        },
        {
          eventName: 'purchase',
          time: 2,
          user: { userID: 'u2' },
          value: 12.5,
          metadata: { sku: 'x' },
          secondaryExposures: null,
        },
      ]);
      expect(count).toBe(2);
      const stored = await events.list({ environment: 'production' });
      expect(stored.map((e) => [e.eventName, e.userID, e.entity, e.ruleID, e.value])).toEqual([
        ['statsig::gate_exposure', 'u1', 'new_checkout', 'r1', null],
        ['purchase', 'u2', null, null, '12.5'],
      ]);
      expect(stored[0]?.unitIDs).toEqual({ userID: 'u1', companyID: 'acme' });
      expect(stored[1]?.metadata).toEqual({ sku: 'x' });
      expect(stored.map((e) => e.secondaryExposures)).toEqual([
        [{ gate: 'segment:staff', gateValue: 'true', ruleID: 'list' }],
        null,
      ]);
    });

    it('stores a batch key once: a retried batch, in the same write or a later one, is a duplicate', async () => {
      const events = new EventStore(database.db, clock);
      const event = (userID: string) => ({
        eventName: 'purchase',
        time: 1,
        user: { userID },
        value: 1,
        metadata: null,
        secondaryExposures: null,
      });
      const first = await events.appendBatches([
        { environment: 'production', events: [event('a'), event('b')], batchKey: 'k1' },
        { environment: 'production', events: [event('a'), event('b')], batchKey: 'k1' },
        { environment: 'staging', events: [event('c')], batchKey: 'k1' },
        { environment: 'production', events: [event('d')], batchKey: null },
      ]);
      expect(first).toEqual([
        { stored: 2, duplicate: false },
        { stored: 0, duplicate: true },
        { stored: 1, duplicate: false },
        { stored: 1, duplicate: false },
      ]);
      const retry = await events.appendBatches([
        { environment: 'production', events: [event('a'), event('b')], batchKey: 'k1' },
      ]);
      expect(retry).toEqual([{ stored: 0, duplicate: true }]);
      expect((await events.list()).map((e) => e.userID)).toEqual(['a', 'b', 'c', 'd']);
    });
  });
}
