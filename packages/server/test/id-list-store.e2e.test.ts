/**
 * The ID-list store on SQLite and on Postgres: the in-memory copy (`IdListMembers`) following
 * changes written by another instance, concurrent writers to one list, and the upload reader.
 */
import { idListEntryHash } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readUpload } from '../src/domain/id-list.js';
import { ConflictError, InvalidInputError, PayloadTooLargeError } from '../src/errors.js';
import type { OpenDatabase } from '../src/store/database.js';
import { EntityStore } from '../src/store/entity-store.js';
import { IdListStore } from '../src/store/id-list-store.js';
import { TEST_DATABASES } from './support/databases.js';

const by = { actor: 'key:test' };
const entries = (...ids: string[]) => new Set(ids.map((id) => idListEntryHash(id)));
const has = (store: IdListStore, list: string, id: string) =>
  store.members.get(list)?.has(idListEntryHash(id)) === true;

for (const target of TEST_DATABASES) {
  const suite = target.skip ? describe.skip : describe;
  suite(`ID-list store on ${target.name}${target.skip ? ` (skipped: ${target.skip})` : ''}`, () => {
    let database: OpenDatabase;
    /** Two instances on one database, each with its own in-memory copy. */
    let a: IdListStore;
    let b: IdListStore;
    const revisions: number[] = [];

    beforeEach(async () => {
      database = await target.open();
      const entities = new EntityStore(database.db, Date.now, {
        dialect: database.dialect,
        onCommitted: (revision) => revisions.push(revision),
      });
      a = new IdListStore(database.db, entities, Date.now, database.dialect);
      b = new IdListStore(database.db, entities, Date.now, database.dialect);
      revisions.length = 0;
    });
    afterEach(async () => {
      await database.close();
    });

    it("follows another instance's writes: appends in place, a new file from scratch, deletion", async () => {
      await a.replace('l', entries('u1', 'u2'), undefined, by);
      await b.members.sync();
      const held = b.members.get('l');
      expect([has(b, 'l', 'u1'), has(b, 'l', 'u2'), has(b, 'l', 'u3')]).toEqual([true, true, false]);

      await a.update('l', '+', [...entries('u3')], undefined, by);
      await a.update('l', '-', [...entries('u1')], undefined, by);
      await b.members.sync();
      // Only the appended chunks were applied, to the same set the evaluator already holds.
      expect(b.members.get('l')).toBe(held);
      expect([has(b, 'l', 'u1'), has(b, 'l', 'u2'), has(b, 'l', 'u3')]).toEqual([false, true, true]);

      await a.replace('l', entries('v1'), undefined, by);
      await b.members.sync();
      expect(b.members.get('l')).not.toBe(held);
      expect([has(b, 'l', 'u2'), has(b, 'l', 'v1')]).toEqual([false, true]);
      expect(b.members.names()).toEqual(['l']);

      await a.delete('l', undefined, by);
      await b.members.sync();
      expect(b.members.get('l')).toBeUndefined();
      expect(b.members.names()).toEqual([]);
      // Every change committed one revision, announced after commit.
      expect(revisions).toHaveLength(5);
      expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
    });

    it('serialises concurrent changes to one list from two instances', async () => {
      await a.replace('shared', entries('seed'), undefined, by);
      const writes = Array.from({ length: 12 }, (_, i) =>
        (i % 2 === 0 ? a : b).update('shared', '+', [...entries(`w${i}-a`, `w${i}-b`)], undefined, by),
      );
      await Promise.all(writes);
      const record = await a.get('shared');
      expect(record).toMatchObject({ entryCount: 25, size: 250, version: 13 });
      // The file, replayed as an SDK would, holds exactly the same entries.
      const fileId = record?.fileId as string;
      let text = '';
      for await (const chunk of a.readFile(fileId, 0, record?.size as number))
        text += chunk.toString('latin1');
      const replayed = new Set<string>();
      for (const line of text.split('\n').filter(Boolean)) {
        if (line.startsWith('+')) replayed.add(line.slice(1));
        else replayed.delete(line.slice(1));
      }
      const expected = entries(
        'seed',
        ...Array.from({ length: 12 }, (_, i) => [`w${i}-a`, `w${i}-b`]).flat(),
      );
      expect(replayed).toEqual(expected);
      await b.members.sync();
      expect(new Set(b.members.get('shared'))).toEqual(expected);
    });

    it('creates a list once when two instances upload it at the same time', async () => {
      const outcomes = await Promise.allSettled([
        a.replace('race', entries('x'), undefined, by),
        b.replace('race', entries('y'), undefined, by),
      ]);
      const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
      // Serialised (SQLite), both succeed; racing inserts (Postgres) lose with a 409, never a 500.
      for (const failure of failures) expect(failure).toBeInstanceOf(ConflictError);
      expect(failures.length).toBeLessThan(2);
      expect((await a.list()).map((list) => list.name)).toEqual(['race']);
    });
  });
}

describe('readUpload', () => {
  const read = (text: string, csv = false, header = false, maxBytes?: number) =>
    readUpload([Buffer.from(text)], { csv, header }, maxBytes);

  it('splits lines across stream chunks, including a character split between chunks', async () => {
    const text = 'ä-1\nb\r\n\n  \nä-1\n';
    const bytes = Buffer.from(text);
    const pieces = [bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3, 7), bytes.subarray(7)];
    const summary = await readUpload(pieces, { csv: false, header: false });
    expect(summary.ids).toBe(3);
    expect(summary.entries).toEqual(entries('ä-1', 'b'));
  });

  it('refuses a body over the limit (413) and overlong lines (400 with the line)', async () => {
    await expect(read('a\nb\nc\n', false, false, 4)).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(read(`a\n${'x'.repeat(70_000)}`)).rejects.toMatchObject({
      code: 'invalid_id',
      details: { field: 'body', line: 2 },
    });
    await expect(read(',b\n', true)).rejects.toBeInstanceOf(InvalidInputError);
  });
});
