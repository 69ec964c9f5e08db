import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { type EntryOp, encodeChunks, ID_LIST_KIND, MAX_LIST_ENTRIES } from '../domain/id-list.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import type { SqlDialectName } from './database.js';
import type { ChangeContext, EntityStore } from './entity-store.js';
import { IdListMembers } from './id-list-members.js';
import type { Database } from './schema.js';

export interface IdListRecord {
  name: string;
  fileId: string;
  /** When the current file was started (ms); SDKs compare it to decide a reset. */
  creationTime: number;
  /** Bytes of the current file (what SDKs download). */
  size: number;
  /** Entries in the list now. */
  entryCount: number;
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** A list file as `get_id_lists` announces it; deleted lists too (as empty files). */
export interface IdListFile {
  name: string;
  fileId: string;
  creationTime: number;
  size: number;
}

export type IdListChange = Omit<ChangeContext, 'action'>;

type Row = Database['id_lists'];

/** Chunks read per query while serving a file: at most about 8 MB in memory per download. */
const CHUNKS_PER_READ = 8;

/** 128 random bits: the file id is also what authorises downloading the file. */
function newFileId(): string {
  return randomBytes(16).toString('base64url');
}

function toRecord(row: Row): IdListRecord {
  return {
    name: row.name,
    fileId: row.file_id,
    creationTime: row.creation_time,
    size: row.size,
    entryCount: row.entry_count,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What the audit log shows of a list: its file and counts, never the entries. */
function summary(row: Pick<Row, 'file_id' | 'creation_time' | 'size' | 'entry_count' | 'deleted_at'>) {
  return {
    fileId: row.file_id,
    creationTime: row.creation_time,
    size: row.size,
    entryCount: row.entry_count,
    deleted: row.deleted_at !== null,
  };
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'));
}

/**
 * ID lists: one row per list (global across environments) and its current file as an
 * append-only log in ~1 MB chunks. A full upload writes a new file (new id, SDKs re-read from
 * byte 0); an add or remove appends one chunk of `+`/`-` lines for the entries it actually
 * changes. Every change is one transaction with its audit entry and a revision bump.
 */
export class IdListStore {
  /** The lists' current entries, kept in memory (the server's evaluation reads them). */
  readonly members: IdListMembers;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly entities: Pick<EntityStore, 'transaction'>,
    private readonly clock: () => number = Date.now,
    private readonly dialect: SqlDialectName = 'sqlite',
  ) {
    this.members = new IdListMembers(db);
  }

  /** Live lists, by name. */
  async list(): Promise<IdListRecord[]> {
    const rows = await this.db
      .selectFrom('id_lists')
      .selectAll()
      .where('deleted_at', 'is', null)
      .orderBy('name')
      .execute();
    return rows.map(toRecord);
  }

  async get(name: string): Promise<IdListRecord | undefined> {
    const row = await this.db
      .selectFrom('id_lists')
      .selectAll()
      .where('name', '=', name)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Every list file SDKs should hold, deleted lists included (as their empty files). */
  async files(): Promise<IdListFile[]> {
    const rows = await this.db
      .selectFrom('id_lists')
      .select(['name', 'file_id', 'creation_time', 'size'])
      .orderBy('name')
      .execute();
    return rows.map((row) => ({
      name: row.name,
      fileId: row.file_id,
      creationTime: row.creation_time,
      size: row.size,
    }));
  }

  /**
   * Replaces the list's content with `entries` (distinct, in file order) as a new file, creating
   * the list (or reviving a deleted one) when needed. `entries` is kept by the in-memory copy:
   * the caller must not change it afterwards.
   */
  async replace(
    name: string,
    entries: Set<string>,
    expectedVersion: number | undefined,
    change: IdListChange,
  ): Promise<{ record: IdListRecord; created: boolean }> {
    if (entries.size > MAX_LIST_ENTRIES) {
      throw new InvalidInputError('too_many_ids', `a list holds at most ${MAX_LIST_ENTRIES} IDs`, {
        field: 'body',
      });
    }
    const fileId = newFileId();
    const outcome = await this.entities.transaction(async (tx, audit) => {
      const row = await this.lock(tx, name);
      const live = row && row.deleted_at === null ? row : undefined;
      checkVersion(name, live, expectedVersion);
      const now = this.clock();
      const { size, chunks: seq } = await writeFile(tx, fileId, entries);
      const next: Row = {
        name,
        file_id: fileId,
        previous_file_id: row?.file_id ?? null,
        // SDKs skip a list whose creation time went down, and reset on a new file id otherwise.
        creation_time: row ? Math.max(now, row.creation_time + 1) : now,
        size,
        entry_count: entries.size,
        chunk_count: seq,
        version: (row?.version ?? 0) + 1,
        created_at: live?.created_at ?? now,
        updated_at: now,
        deleted_at: null,
      };
      if (row) {
        // Keep the file being replaced (a download may be under way); drop the one before it.
        if (row.previous_file_id) await this.dropFile(tx, row.previous_file_id);
        await tx.updateTable('id_lists').set(next).where('name', '=', name).execute();
      } else {
        await this.insertRow(tx, next);
      }
      await audit({
        kind: ID_LIST_KIND,
        name,
        version: next.version,
        before: live ? summary(live) : null,
        after: summary(next),
        change: { ...change, action: live ? 'replace' : 'create' },
        now,
      });
      return { record: toRecord(next), created: !live };
    });
    this.members.prime(name, {
      fileId,
      creationTime: outcome.record.creationTime,
      bytes: outcome.record.size,
      entries,
    });
    return outcome;
  }

  /**
   * Adds (`+`) or removes (`-`) entries: appends one chunk with the entries that actually
   * change (IDs already in, or not in, are left alone). Nothing changes, and nothing is
   * written, when none of them would.
   */
  async update(
    name: string,
    op: EntryOp,
    entries: readonly string[],
    expectedVersion: number | undefined,
    change: IdListChange,
  ): Promise<{ record: IdListRecord; changed: number }> {
    const outcome = await this.entities.transaction(async (tx, audit) => {
      const row = await this.lock(tx, name);
      if (!row || row.deleted_at !== null) throw notFound(name);
      checkVersion(name, row, expectedVersion);
      // The row is locked, so nobody appends to this file until we commit.
      const current = await this.members.refresh(tx, row);
      const changing = [...new Set(entries)].filter((entry) => current.has(entry) !== (op === '+'));
      if (changing.length === 0) return { record: toRecord(row), changed: 0, chunk: undefined };
      const entryCount = row.entry_count + (op === '+' ? changing.length : -changing.length);
      if (entryCount > MAX_LIST_ENTRIES) {
        throw new InvalidInputError('too_many_ids', `a list holds at most ${MAX_LIST_ENTRIES} IDs`, {
          field: 'body.ids',
        });
      }
      const now = this.clock();
      if (shouldCompact(row.size, entryCount)) {
        // Mostly churn: rather than append, write the list afresh (SDKs download it once more).
        const after = new Set(current);
        for (const entry of changing) {
          if (op === '+') after.add(entry);
          else after.delete(entry);
        }
        const fileId = newFileId();
        const written = await writeFile(tx, fileId, after);
        const next: Row = {
          ...row,
          file_id: fileId,
          previous_file_id: row.file_id,
          creation_time: Math.max(now, row.creation_time + 1),
          size: written.size,
          entry_count: after.size,
          chunk_count: written.chunks,
          version: row.version + 1,
          updated_at: now,
        };
        if (row.previous_file_id) await this.dropFile(tx, row.previous_file_id);
        await tx.updateTable('id_lists').set(next).where('name', '=', name).execute();
        await audit({
          kind: ID_LIST_KIND,
          name,
          version: next.version,
          before: summary(row),
          after: { ...summary(next), [op === '+' ? 'added' : 'removed']: changing.length, compacted: true },
          change: { ...change, action: op === '+' ? 'add' : 'remove' },
          now,
        });
        return { record: toRecord(next), changed: changing.length, chunk: undefined, compacted: after };
      }
      const chunk = {
        file_id: row.file_id,
        seq: row.chunk_count,
        start_byte: row.size,
        end_byte: row.size,
        content: [...encodeChunks(op, changing)].join(''),
      };
      chunk.end_byte = chunk.start_byte + chunk.content.length;
      await tx.insertInto('id_list_chunks').values(chunk).execute();
      const next: Row = {
        ...row,
        size: chunk.end_byte,
        entry_count: entryCount,
        chunk_count: row.chunk_count + 1,
        version: row.version + 1,
        updated_at: now,
      };
      await tx
        .updateTable('id_lists')
        .set({
          size: next.size,
          entry_count: next.entry_count,
          chunk_count: next.chunk_count,
          version: next.version,
          updated_at: now,
        })
        .where('name', '=', name)
        .execute();
      await audit({
        kind: ID_LIST_KIND,
        name,
        version: next.version,
        before: summary(row),
        after: { ...summary(next), [op === '+' ? 'added' : 'removed']: changing.length },
        change: { ...change, action: op === '+' ? 'add' : 'remove' },
        now,
      });
      return { record: toRecord(next), changed: changing.length, chunk };
    });
    if (outcome.chunk) this.members.appendCommitted(name, outcome.chunk.file_id, outcome.chunk);
    if ('compacted' in outcome && outcome.compacted) {
      this.members.prime(name, {
        fileId: outcome.record.fileId,
        creationTime: outcome.record.creationTime,
        bytes: outcome.record.size,
        entries: outcome.compacted,
      });
    }
    return { record: outcome.record, changed: outcome.changed };
  }

  /**
   * Deletes a list. statsig-node 6.5.2 never drops a list that vanishes from get_id_lists
   * (protocol doc §6, item 1), so the list stays as a tombstone announcing a new, empty file:
   * SDKs reset it to no entries. Uploading to the name again brings it back.
   */
  async delete(name: string, expectedVersion: number | undefined, change: IdListChange): Promise<void> {
    const fileId = newFileId();
    const creationTime = await this.entities.transaction(async (tx, audit) => {
      const row = await this.lock(tx, name);
      if (!row || row.deleted_at !== null) throw notFound(name);
      checkVersion(name, row, expectedVersion);
      const now = this.clock();
      if (row.previous_file_id) await this.dropFile(tx, row.previous_file_id);
      const next = {
        file_id: fileId,
        previous_file_id: row.file_id,
        creation_time: Math.max(now, row.creation_time + 1),
        size: 0,
        entry_count: 0,
        chunk_count: 0,
        version: row.version + 1,
        updated_at: now,
        deleted_at: now,
      };
      await tx.updateTable('id_lists').set(next).where('name', '=', name).execute();
      await audit({
        kind: ID_LIST_KIND,
        name,
        version: next.version,
        before: summary(row),
        after: summary(next),
        change: { ...change, action: 'delete' },
        now,
      });
      return next.creation_time;
    });
    this.members.primeDeleted(name, fileId, creationTime);
  }

  /**
   * The size of a list file that may be downloaded: the current file of a list (deleted or
   * not), or the one it replaced. Undefined for any other id.
   */
  async fileSize(fileId: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('id_lists')
      .select(['file_id', 'size'])
      .where((eb) => eb.or([eb('file_id', '=', fileId), eb('previous_file_id', '=', fileId)]))
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.file_id === fileId) return row.size;
    const last = await this.db
      .selectFrom('id_list_chunks')
      .select('end_byte')
      .where('file_id', '=', fileId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return last?.end_byte ?? 0;
  }

  /**
   * Bytes [start, end) of a file, a few chunks per query. A file's bytes never change once
   * written (it only grows), so reading in several queries is consistent.
   */
  async *readFile(fileId: string, start: number, end: number): AsyncGenerator<Buffer> {
    let afterSeq = -1;
    while (start < end) {
      const chunks = await this.db
        .selectFrom('id_list_chunks')
        .select(['seq', 'start_byte', 'end_byte', 'content'])
        .where('file_id', '=', fileId)
        .where('seq', '>', afterSeq)
        .where('end_byte', '>', start)
        .orderBy('seq')
        .limit(CHUNKS_PER_READ)
        .execute();
      if (chunks.length === 0)
        throw new Error(`ID list file ${fileId} ended at byte ${start}, before ${end}`);
      for (const chunk of chunks) {
        if (chunk.start_byte >= end) return;
        const from = start - chunk.start_byte;
        const to = Math.min(end, chunk.end_byte) - chunk.start_byte;
        yield Buffer.from(chunk.content.slice(from, to), 'latin1');
        start = chunk.start_byte + to;
        afterSeq = chunk.seq;
      }
    }
  }

  /** The list's row, locked until the transaction ends (Postgres; SQLite runs one writer at a time). */
  private lock(tx: Transaction<Database>, name: string): Promise<Row | undefined> {
    const query = tx.selectFrom('id_lists').selectAll().where('name', '=', name);
    return (this.dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
  }

  private async insertRow(tx: Transaction<Database>, row: Row): Promise<void> {
    try {
      await tx.insertInto('id_lists').values(row).execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Another instance created the list between our read and this insert.
      throw new ConflictError('version_conflict', `ID list "${row.name}" was created concurrently`, {
        name: row.name,
      });
    }
  }

  private async dropFile(tx: Transaction<Database>, fileId: string): Promise<void> {
    await tx.deleteFrom('id_list_chunks').where('file_id', '=', fileId).execute();
  }
}

/** Bytes of one entry's line in a list file: `+`, the 8-character entry, `\n`. */
const LINE_BYTES = 10;
/** Files below this are never compacted: rewriting a small file saves nothing. */
const COMPACT_MIN_BYTES = 64 * 1024;

/**
 * Whether a list's file has become mostly history (adds and removes cancelling out): past
 * twice what its live entries need, the next change writes a fresh file instead of appending.
 */
export function shouldCompact(fileBytes: number, liveEntries: number): boolean {
  return fileBytes >= COMPACT_MIN_BYTES && fileBytes > 2 * liveEntries * LINE_BYTES;
}

/** Writes `entries` as the `+` lines of file `fileId`, in chunks. */
async function writeFile(
  tx: Transaction<Database>,
  fileId: string,
  entries: Iterable<string>,
): Promise<{ size: number; chunks: number }> {
  let size = 0;
  let chunks = 0;
  for (const content of encodeChunks('+', entries)) {
    await tx
      .insertInto('id_list_chunks')
      .values({ file_id: fileId, seq: chunks, start_byte: size, end_byte: size + content.length, content })
      .execute();
    size += content.length;
    chunks++;
  }
  return { size, chunks };
}

function notFound(name: string): NotFoundError {
  return new NotFoundError('not_found', `ID list "${name}" does not exist`, { name });
}

/** Optimistic concurrency: `expected` (from If-Match) must be the live list's version. */
function checkVersion(name: string, live: Pick<Row, 'version'> | undefined, expected: number | undefined) {
  if (expected === undefined) return;
  if (!live) throw notFound(name);
  if (live.version !== expected) {
    throw new ConflictError(
      'version_conflict',
      `ID list "${name}" is at version ${live.version}, not ${expected}`,
      { currentVersion: live.version },
    );
  }
}
