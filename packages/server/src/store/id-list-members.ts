import type { IdListSource } from '@switchyard/core';
import type { Kysely } from 'kysely';
import { applyLines } from '../domain/id-list.js';
import type { Database } from './schema.js';

/** What the replica needs of an `id_lists` row. */
export type IdListRowView = Pick<
  Database['id_lists'],
  'name' | 'file_id' | 'creation_time' | 'size' | 'deleted_at'
>;

interface ListState {
  fileId: string;
  creationTime: number;
  /** Bytes of the file applied to `entries`; always a chunk boundary. */
  bytes: number;
  entries: Set<string>;
  deleted: boolean;
}

/** A chunk of a list file: bytes [start_byte, end_byte). */
export type ChunkView = Pick<Database['id_list_chunks'], 'start_byte' | 'end_byte' | 'content'>;

/** Attempts to catch up with a list that keeps being replaced while it is read. */
const MAX_LOAD_ATTEMPTS = 5;

/**
 * The current entries of every ID list, in memory, for the server's own evaluation (an
 * `IdListSource` for @switchyard/core) and for working out which IDs an add or remove
 * actually changes. It follows the database the way an SDK follows list files: a new file id
 * means reading the new file from byte 0; otherwise only the chunks past what it has read.
 *
 * The sets are updated in place (the core reads them at check time), each update between two
 * awaits, so an evaluation never sees half a change; a new file is built aside and swapped in.
 * A file never goes back: a state is replaced only by one with an equal or later creation time.
 */
export class IdListMembers implements IdListSource {
  private readonly lists = new Map<string, ListState>();
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  /** The entries of a live list; undefined for a deleted or unknown one (every check: not in). */
  get(name: string): ReadonlySet<string> | undefined {
    const state = this.lists.get(name);
    return state && !state.deleted ? state.entries : undefined;
  }

  /** Names of the live lists, sorted. */
  names(): string[] {
    return [...this.lists]
      .filter(([, state]) => !state.deleted)
      .map(([name]) => name)
      .sort();
  }

  /**
   * Catches up with the database. Concurrent calls share the work, and a call made while a
   * sync is running waits for a sync that starts after it, so it sees every commit before it.
   */
  sync(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.syncAll().finally(() => {
        this.inFlight = undefined;
      });
      return this.inFlight;
    }
    this.queued ??= this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.sync();
      });
    return this.queued;
  }

  /**
   * Brings one list up to `row` (read, and locked, in the caller's transaction `executor`) and
   * returns its entries. Reads through `executor`, so it works inside that transaction.
   */
  async refresh(executor: Kysely<Database>, row: IdListRowView): Promise<ReadonlySet<string>> {
    return (await this.load(executor, row)).entries;
  }

  /** Installs a file this instance has just written and committed, so it is not read back. */
  prime(
    name: string,
    file: { fileId: string; creationTime: number; bytes: number; entries: Set<string> },
  ): void {
    const current = this.lists.get(name);
    if (current && current.creationTime > file.creationTime) return;
    if (current?.fileId === file.fileId && current.bytes >= file.bytes) return;
    this.lists.set(name, { ...file, deleted: false });
  }

  /** Installs a tombstone this instance has just committed. */
  primeDeleted(name: string, fileId: string, creationTime: number): void {
    const current = this.lists.get(name);
    if (current && current.creationTime > creationTime) return;
    this.lists.set(name, { fileId, creationTime, bytes: 0, entries: new Set(), deleted: true });
  }

  /** Applies a chunk this instance has just appended and committed, if it follows what is held. */
  appendCommitted(name: string, fileId: string, chunk: ChunkView): void {
    const state = this.lists.get(name);
    if (state?.fileId === fileId) applyChunks(state, [chunk]);
  }

  private async syncAll(): Promise<void> {
    const rows = await this.db
      .selectFrom('id_lists')
      .select(['name', 'file_id', 'creation_time', 'size', 'deleted_at'])
      .execute();
    for (const row of rows) await this.load(this.db, row);
    const names = new Set(rows.map((row) => row.name));
    for (const name of this.lists.keys()) if (!names.has(name)) this.lists.delete(name);
  }

  private async load(executor: Kysely<Database>, row: IdListRowView): Promise<ListState> {
    for (let attempt = 0; attempt < MAX_LOAD_ATTEMPTS; attempt++) {
      const current = this.lists.get(row.name);
      if (current && current.creationTime > row.creation_time) return current;
      if (row.deleted_at !== null) {
        if (current?.fileId === row.file_id) return current;
        const tombstone = {
          fileId: row.file_id,
          creationTime: row.creation_time,
          bytes: 0,
          entries: new Set<string>(),
          deleted: true,
        };
        this.lists.set(row.name, tombstone);
        return tombstone;
      }
      const sameFile = current?.fileId === row.file_id;
      const from = sameFile ? current.bytes : 0;
      if (sameFile && from >= row.size) return current;
      const chunks = await executor
        .selectFrom('id_list_chunks')
        .select(['start_byte', 'end_byte', 'content'])
        .where('file_id', '=', row.file_id)
        .where('end_byte', '>', from)
        .orderBy('seq')
        .execute();
      // Someone else may have moved this list on while we read.
      const now = this.lists.get(row.name);
      let state: ListState;
      if (now?.fileId === row.file_id) state = now;
      else if (now && now.creationTime > row.creation_time) return now;
      else if (from === 0) {
        state = {
          fileId: row.file_id,
          creationTime: row.creation_time,
          bytes: 0,
          entries: new Set(),
          deleted: false,
        };
      } else continue;
      if (!applyChunks(state, chunks)) continue;
      this.lists.set(row.name, state);
      return state;
    }
    throw new Error(`ID list "${row.name}" kept changing while it was read`);
  }
}

/**
 * Applies chunks in order, skipping those already applied; false if they leave a gap (they
 * were read from an offset this state has not reached), and then nothing is applied.
 */
function applyChunks(state: ListState, chunks: readonly ChunkView[]): boolean {
  let bytes = state.bytes;
  for (const chunk of chunks) {
    if (chunk.end_byte <= bytes) continue;
    if (chunk.start_byte !== bytes) return false;
    bytes = chunk.end_byte;
  }
  for (const chunk of chunks) {
    if (chunk.end_byte <= state.bytes) continue;
    applyLines(state.entries, chunk.content);
    state.bytes = chunk.end_byte;
  }
  return true;
}
