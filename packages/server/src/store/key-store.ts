import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { InvalidInputError } from '../errors.js';
import type { Database } from './schema.js';

export type KeyKind = Database['api_keys']['kind'];

/** Prefixes Statsig's SDKs expect: statsig-node refuses a server key not starting with `secret-`. */
export const KEY_PREFIXES: Record<KeyKind, string> = {
  server: 'secret-',
  client: 'client-',
  console: 'console-',
};

export interface ApiKey {
  id: string;
  environment: string;
  kind: KeyKind;
  /** The first characters of the secret, for display. */
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
  /** Console keys: `read` acts as a viewer, `write` as an admin. */
  access: KeyAccess;
}

export type KeyAccess = 'read' | 'write';

/** How often a key's `last_used_at` is written, at most (ms): every SDK request authenticates. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Keys are random secrets; SHA-256 suffices to store them (unlike passwords, they have full entropy). */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export const DEFAULT_ENVIRONMENTS = ['development', 'staging', 'production'] as const;

/** One second: see `KeyStoreOptions.cacheTtlMs`. */
const DEFAULT_KEY_CACHE_TTL_MS = 1000;
/** Only active keys are cached, so this bounds memory against a project with very many keys. */
const KEY_CACHE_MAX_ENTRIES = 10_000;

export interface KeyStoreOptions {
  /**
   * How long `findBySecret` trusts a key it found without reading the database again (ms).
   * Every SDK request authenticates, and the read was one of the two database queries of each
   * /v1/initialize. Revoking through this KeyStore (the keys API of this instance) takes
   * effect at once; a revocation made elsewhere (another instance on the same Postgres, or SQL
   * by hand) takes effect within this time. 0 turns the cache off.
   */
  cacheTtlMs?: number;
  /** Monotonic milliseconds for the cache (`performance.now` by default), apart from the wall clock. */
  cacheClock?: () => number;
}

interface CachedKey {
  key: ApiKey;
  /** `cacheClock` time after which the database is asked again. */
  until: number;
}

export class KeyStore {
  /** Active keys by secret hash (never by secret, so no secret lingers in a long-lived map). */
  private readonly cache = new Map<string, CachedKey>();
  /** Bumped by every revocation, so a lookup that raced with one does not cache what it read. */
  private revocations = 0;
  /** When this instance last wrote each key's `last_used_at`. */
  private readonly lastUseWritten = new Map<string, number>();
  private readonly cacheTtlMs: number;
  private readonly cacheClock: () => number;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => number = Date.now,
    options: KeyStoreOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? DEFAULT_KEY_CACHE_TTL_MS;
    this.cacheClock = options.cacheClock ?? (() => performance.now());
  }

  async ensureEnvironments(names: readonly string[] = DEFAULT_ENVIRONMENTS): Promise<void> {
    for (const name of names) {
      await this.db
        .insertInto('environments')
        .values({ name, created_at: this.clock() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
    }
  }

  async environments(): Promise<string[]> {
    return (await this.environmentRecords()).map((environment) => environment.name);
  }

  async environmentRecords(): Promise<{ name: string; createdAt: number }[]> {
    const rows = await this.db.selectFrom('environments').selectAll().orderBy('name').execute();
    return rows.map((row) => ({ name: row.name, createdAt: Number(row.created_at) }));
  }

  /**
   * Creates a key. The secret is returned once and only its hash is stored. `secret` lets an
   * operator choose it (bootstrap); it must carry the kind's prefix.
   */
  async create(
    environment: string,
    kind: KeyKind,
    secret?: string,
    access: KeyAccess = 'write',
  ): Promise<{ key: ApiKey; secret: string }> {
    const value = secret ?? `${KEY_PREFIXES[kind]}${randomBytes(24).toString('base64url')}`;
    if (!value.startsWith(KEY_PREFIXES[kind]) || value.length < KEY_PREFIXES[kind].length + 8) {
      throw new InvalidInputError(
        'invalid_key',
        `a ${kind} key must start with "${KEY_PREFIXES[kind]}" and be at least 8 characters more`,
        {
          field: 'secret',
        },
      );
    }
    const row = {
      id: randomUUID(),
      environment,
      kind,
      key_hash: hashKey(value),
      key_prefix: value.slice(0, KEY_PREFIXES[kind].length + 4),
      created_at: this.clock(),
      revoked_at: null,
      last_used_at: null,
      access,
    };
    await this.db.insertInto('api_keys').values(row).execute();
    return { key: toKey(row), secret: value };
  }

  /** Creates the key unless one with the same secret exists (idempotent bootstrap). */
  async ensure(environment: string, kind: KeyKind, secret: string): Promise<void> {
    if (!(await this.findBySecret(secret))) await this.create(environment, kind, secret);
  }

  /**
   * The active (not revoked) key with this secret. Served from memory for up to `cacheTtlMs`
   * after a database read (see KeyStoreOptions); unknown secrets always go to the database.
   */
  async findBySecret(secret: string): Promise<ApiKey | undefined> {
    const hash = hashKey(secret);
    const cached = this.cache.get(hash);
    if (cached) {
      if (this.cacheClock() < cached.until) {
        this.noteUse(cached.key.id);
        return cached.key;
      }
      this.cache.delete(hash);
    }
    const revocations = this.revocations;
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('key_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    const key = Object.freeze(toKey(row));
    this.noteUse(key.id);
    if (this.cacheTtlMs > 0 && revocations === this.revocations) {
      if (this.cache.size >= KEY_CACHE_MAX_ENTRIES) this.cache.clear();
      this.cache.set(hash, { key, until: this.cacheClock() + this.cacheTtlMs });
    }
    return key;
  }

  async count(kind: KeyKind): Promise<number> {
    const row = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('kind', '=', kind)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async list(): Promise<ApiKey[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().orderBy('created_at').execute();
    return rows.map(toKey);
  }

  /** Revokes the key; false when no key has this id. Effective at once for this instance's lookups. */
  async revoke(id: string): Promise<boolean> {
    this.forget(id);
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: this.clock() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    // Again after the write: a lookup that read the row before it committed may have cached it.
    this.forget(id);
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Records when a key was last used, at most once a minute per key and off the request's path:
   * a failed write only delays the figure, it never fails the request.
   */
  private noteUse(id: string): void {
    const now = this.clock();
    if (now - (this.lastUseWritten.get(id) ?? Number.NEGATIVE_INFINITY) < LAST_USED_RESOLUTION_MS) return;
    if (this.lastUseWritten.size >= KEY_CACHE_MAX_ENTRIES) this.lastUseWritten.clear();
    this.lastUseWritten.set(id, now);
    this.db
      .updateTable('api_keys')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .execute()
      .catch(() => this.lastUseWritten.delete(id));
  }

  private forget(id: string): void {
    this.revocations++;
    for (const [hash, cached] of this.cache) if (cached.key.id === id) this.cache.delete(hash);
  }
}

function toKey(row: Selectable<Database['api_keys']>): ApiKey {
  return {
    id: row.id,
    environment: row.environment,
    kind: row.kind,
    prefix: row.key_prefix,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    access: row.access,
  };
}
