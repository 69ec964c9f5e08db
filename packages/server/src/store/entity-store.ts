import { type Kysely, sql, type Transaction } from 'kysely';
import { ConflictError, NotFoundError } from '../errors.js';
import type { SqlDialectName } from './database.js';
import { notifyChange } from './notify-change.js';
import type { Database } from './schema.js';

export interface EntityRecord<T> {
  kind: string;
  name: string;
  version: number;
  data: T;
  createdAt: number;
  updatedAt: number;
}

export interface VersionRecord<T> {
  version: number;
  data: T;
  createdAt: number;
  actor: string;
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  kind: string;
  name: string;
  version: number | null;
  reason: string | null;
  diff: { before: unknown; after: unknown };
  /** The configuration revision the change produced; null for entries older than it being recorded. */
  revision: number | null;
}

export interface ChangeContext {
  actor: string;
  reason?: string | null;
  /** Audit action, e.g. `create`, `update`, `disable`, `revert`. */
  action: string;
}

/** One audited change of an object kept outside `entities`, for `EntityStore.transaction`. */
export interface AuditInput {
  kind: string;
  name: string;
  version: number | null;
  /** What the audit diff shows: a summary, never bulk content (e.g. a million list entries). */
  before: unknown;
  after: unknown;
  change: ChangeContext;
  /** The change's time (ms), also the revision's `changed_at` candidate. */
  now: number;
}

/** Records an audit entry and bumps the revision in the surrounding transaction; returns the revision. */
export type AuditWriter = (entry: AuditInput) => Promise<number>;

export interface EntityStoreOptions {
  /** On Postgres each write also NOTIFYs the other instances, inside its transaction. */
  dialect?: SqlDialectName;
  /** Called with the new configuration revision after each committed write. */
  onCommitted?: (revision: number) => void;
}

/**
 * Versioned, audited storage of authored objects. Every write runs in one transaction that
 * also appends the version, the audit entry and bumps the configuration revision, so a crash
 * never leaves a change without its history.
 */
export class EntityStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => number = Date.now,
    private readonly options: EntityStoreOptions = {},
  ) {}

  get<T>(kind: string, name: string): Promise<EntityRecord<T> | undefined> {
    return selectEntity<T>(this.db, kind, name);
  }

  list<T>(kind: string): Promise<EntityRecord<T>[]> {
    return selectEntities<T>(this.db, kind);
  }

  create<T>(kind: string, name: string, data: T, change: ChangeContext): Promise<EntityRecord<T>> {
    return this.write((writer) => writer.create(kind, name, data, change));
  }

  /**
   * Replaces the object's data if its current version is `expectedVersion` (optimistic
   * concurrency); a stale version is a 409 `version_conflict` carrying the current version.
   */
  update<T>(
    kind: string,
    name: string,
    expectedVersion: number | undefined,
    next: (current: T) => T,
    change: ChangeContext,
  ): Promise<EntityRecord<T>> {
    return this.write((writer) => writer.update(kind, name, expectedVersion, next, change));
  }

  /**
   * Runs several reads and writes of objects as one transaction (all or nothing), e.g. an
   * experiment and the layer whose slots it takes. Each write is versioned and audited as if
   * made alone; `onCommitted` hears of the last revision once the transaction commits.
   */
  async write<R>(work: (writer: EntityWriter) => Promise<R>): Promise<R> {
    let revision: number | undefined;
    const result = await this.db.transaction().execute((tx) =>
      work(
        new EntityWriter(tx, this.clock, (...args) =>
          this.record(tx, ...args).then((bumped) => {
            revision = bumped;
            return bumped;
          }),
        ),
      ),
    );
    if (revision !== undefined) this.options.onCommitted?.(revision);
    return result;
  }

  /**
   * Creates or updates many objects in one transaction (all or nothing). An object whose data
   * is unchanged keeps its version and gets no audit entry.
   */
  async upsertMany<T>(
    kind: string,
    items: { name: string; data: T }[],
    change: Omit<ChangeContext, 'action'>,
  ): Promise<{ created: string[]; updated: string[]; unchanged: string[] }> {
    const { outcome, revision } = await this.db.transaction().execute(async (tx) => {
      const outcome = { created: [] as string[], updated: [] as string[], unchanged: [] as string[] };
      let revision: number | undefined;
      for (const { name, data } of items) {
        const json = JSON.stringify(data);
        const row = await tx
          .selectFrom('entities')
          .select(['version', 'data'])
          .where('kind', '=', kind)
          .where('name', '=', name)
          .executeTakeFirst();
        const now = this.clock();
        if (row?.data === json) {
          outcome.unchanged.push(name);
        } else if (row) {
          const version = row.version + 1;
          await tx
            .updateTable('entities')
            .set({ version, data: json, updated_at: now })
            .where('kind', '=', kind)
            .where('name', '=', name)
            .execute();
          revision = await this.record(
            tx,
            kind,
            name,
            version,
            json,
            JSON.parse(row.data),
            data,
            { ...change, action: 'update' },
            now,
          );
          outcome.updated.push(name);
        } else {
          await tx
            .insertInto('entities')
            .values({ kind, name, version: 1, data: json, created_at: now, updated_at: now })
            .execute();
          revision = await this.record(
            tx,
            kind,
            name,
            1,
            json,
            null,
            data,
            { ...change, action: 'create' },
            now,
          );
          outcome.created.push(name);
        }
      }
      return { outcome, revision };
    });
    if (revision !== undefined) this.options.onCommitted?.(revision);
    return outcome;
  }

  async history<T>(kind: string, name: string): Promise<VersionRecord<T>[]> {
    const rows = await this.db
      .selectFrom('entity_versions')
      .selectAll()
      .where('kind', '=', kind)
      .where('name', '=', name)
      .orderBy('version', 'desc')
      .execute();
    return rows.map((row) => ({
      version: row.version,
      data: JSON.parse(row.data) as T,
      createdAt: row.created_at,
      actor: row.actor,
    }));
  }

  async audit(filter: { kind?: string; name?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    let query = this.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100);
    if (filter.kind) query = query.where('kind', '=', filter.kind);
    if (filter.name) query = query.where('name', '=', filter.name);
    const rows = await query.execute();
    return rows.map((row) => ({
      ...row,
      id: Number(row.id),
      revision: row.revision === null ? null : Number(row.revision),
      diff: JSON.parse(row.diff),
    }));
  }

  /** The configuration revision and when it last changed (0 before any change). */
  async revision(): Promise<{ revision: number; changedAt: number }> {
    const row = await this.db.selectFrom('config_state').selectAll().where('id', '=', 1).executeTakeFirst();
    return { revision: row?.revision ?? 0, changedAt: row?.changed_at ?? 0 };
  }

  /**
   * Runs `work` in one transaction, for objects kept in tables of their own (ID lists) that
   * share the audit log and the configuration revision: each `audit(...)` call inside `work`
   * appends the audit entry and bumps the revision in that transaction, and once it commits
   * `onCommitted` hears of the new revision, as for every other write.
   *
   * @example
   * await entities.transaction(async (tx, audit) => {
   *   await tx.updateTable('id_lists').set({ size: 10 }).where('name', '=', 'beta').execute();
   *   await audit({ kind: 'id_list', name: 'beta', version: 2, before, after, change, now });
   * });
   */
  async transaction<R>(work: (tx: Transaction<Database>, audit: AuditWriter) => Promise<R>): Promise<R> {
    let revision: number | undefined;
    const result = await this.db.transaction().execute((tx) =>
      work(tx, async (entry) => {
        revision = await this.writeAudit(tx, entry);
        return revision;
      }),
    );
    if (revision !== undefined) this.options.onCommitted?.(revision);
    return result;
  }

  /**
   * Appends an audit entry for an event that changes no configuration SDKs see (sign-ins, users,
   * keys, policies, change requests): no revision is bumped, so SDKs are not sent a no-op update.
   */
  async appendAudit(entry: Omit<AuditInput, 'version'>, db: Kysely<Database> = this.db): Promise<void> {
    await db
      .insertInto('audit_log')
      .values({
        at: entry.now,
        actor: entry.change.actor,
        action: entry.change.action,
        kind: entry.kind,
        name: entry.name,
        version: null,
        reason: entry.change.reason ?? null,
        diff: JSON.stringify({ before: entry.before, after: entry.after }),
        revision: null,
      })
      .execute();
  }

  private async record(
    tx: Transaction<Database>,
    ...[kind, name, version, json, before, after, change, now]: RecordArgs
  ): Promise<number> {
    await tx
      .insertInto('entity_versions')
      .values({ kind, name, version, data: json, created_at: now, actor: change.actor })
      .execute();
    return this.writeAudit(tx, { kind, name, version, before, after, change, now });
  }

  /** Appends the audit entry and bumps the revision, inside `tx`; returns the new revision. */
  private async writeAudit(tx: Transaction<Database>, entry: AuditInput): Promise<number> {
    const revision = await bumpRevision(tx, entry.now, this.options.dialect);
    await tx
      .insertInto('audit_log')
      .values({
        at: entry.now,
        actor: entry.change.actor,
        action: entry.change.action,
        kind: entry.kind,
        name: entry.name,
        version: entry.version,
        reason: entry.change.reason ?? null,
        diff: JSON.stringify({ before: entry.before, after: entry.after }),
        revision,
      })
      .execute();
    return revision;
  }
}

/**
 * Bumps the configuration revision inside `tx`. `changed_at` becomes the DCS `time` that SDKs
 * echo back as `sinceTime`, so it must grow with every change even within one millisecond.
 */
export async function bumpRevision(
  tx: Transaction<Database>,
  now: number,
  dialect: SqlDialectName = 'sqlite',
): Promise<number> {
  const { revision } = await tx
    .updateTable('config_state')
    .set((eb) => ({
      revision: eb('revision', '+', 1),
      changed_at: sql<number>`case when changed_at >= ${now} then changed_at + 1 else ${now} end`,
    }))
    .where('id', '=', 1)
    .returning('revision')
    .executeTakeFirstOrThrow();
  // Delivered to the other instances only if and when this transaction commits.
  if (dialect === 'postgres') await notifyChange(tx, revision);
  return revision;
}

/** What `record` appends for one write: the version row and its audit entry. */
type RecordArgs = [
  kind: string,
  name: string,
  version: number,
  json: string,
  before: unknown,
  after: unknown,
  change: ChangeContext,
  now: number,
];

/** Reads and writes objects inside one transaction of `EntityStore.write`. */
export class EntityWriter {
  constructor(
    private readonly tx: Transaction<Database>,
    private readonly clock: () => number,
    private readonly record: (...args: RecordArgs) => Promise<number>,
  ) {}

  get<T>(kind: string, name: string): Promise<EntityRecord<T> | undefined> {
    return selectEntity<T>(this.tx, kind, name);
  }

  list<T>(kind: string): Promise<EntityRecord<T>[]> {
    return selectEntities<T>(this.tx, kind);
  }

  /** The names of every object of `kind`, without reading their data. */
  async names(kind: string): Promise<string[]> {
    const rows = await this.tx.selectFrom('entities').select('name').where('kind', '=', kind).execute();
    return rows.map((row) => row.name);
  }

  async create<T>(kind: string, name: string, data: T, change: ChangeContext): Promise<EntityRecord<T>> {
    if (await this.get(kind, name)) {
      throw new ConflictError('already_exists', `${kind} "${name}" already exists`, { name });
    }
    const now = this.clock();
    const json = JSON.stringify(data);
    await this.tx
      .insertInto('entities')
      .values({ kind, name, version: 1, data: json, created_at: now, updated_at: now })
      .execute();
    await this.record(kind, name, 1, json, null, data, change, now);
    return { kind, name, version: 1, data, createdAt: now, updatedAt: now };
  }

  async update<T>(
    kind: string,
    name: string,
    expectedVersion: number | undefined,
    next: (current: T) => T,
    change: ChangeContext,
  ): Promise<EntityRecord<T>> {
    const current = await this.get<T>(kind, name);
    if (!current) throw new NotFoundError('not_found', `${kind} "${name}" does not exist`, { name });
    if (expectedVersion !== undefined && current.version !== expectedVersion) {
      throw new ConflictError(
        'version_conflict',
        `${kind} "${name}" is at version ${current.version}, not ${expectedVersion}`,
        { currentVersion: current.version },
      );
    }
    const data = next(current.data);
    const version = current.version + 1;
    const now = this.clock();
    const json = JSON.stringify(data);
    const updated = await this.tx
      .updateTable('entities')
      .set({ version, data: json, updated_at: now })
      .where('kind', '=', kind)
      .where('name', '=', name)
      .where('version', '=', current.version)
      .executeTakeFirst();
    // Another writer got in between the read and this write (possible on Postgres).
    if (Number(updated.numUpdatedRows) !== 1) {
      throw new ConflictError('version_conflict', `${kind} "${name}" changed concurrently`, { name });
    }
    await this.record(kind, name, version, json, current.data, data, change, now);
    return { kind, name, version, data, createdAt: current.createdAt, updatedAt: now };
  }
}

async function selectEntity<T>(
  db: Kysely<Database>,
  kind: string,
  name: string,
): Promise<EntityRecord<T> | undefined> {
  const row = await db
    .selectFrom('entities')
    .selectAll()
    .where('kind', '=', kind)
    .where('name', '=', name)
    .executeTakeFirst();
  return row && toRecord<T>(row);
}

async function selectEntities<T>(db: Kysely<Database>, kind: string): Promise<EntityRecord<T>[]> {
  const rows = await db.selectFrom('entities').selectAll().where('kind', '=', kind).orderBy('name').execute();
  return rows.map((row) => toRecord<T>(row));
}

function toRecord<T>(row: Database['entities']): EntityRecord<T> {
  return {
    kind: row.kind,
    name: row.name,
    version: row.version,
    data: JSON.parse(row.data) as T,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
