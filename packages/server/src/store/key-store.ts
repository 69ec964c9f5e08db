import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
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
}

/** Keys are random secrets; SHA-256 suffices to store them (unlike passwords, they have full entropy). */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export const DEFAULT_ENVIRONMENTS = ['development', 'staging', 'production'] as const;

export class KeyStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => number = Date.now,
  ) {}

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
    const rows = await this.db.selectFrom('environments').select('name').orderBy('name').execute();
    return rows.map((row) => row.name);
  }

  /**
   * Creates a key. The secret is returned once and only its hash is stored. `secret` lets an
   * operator choose it (bootstrap); it must carry the kind's prefix.
   */
  async create(
    environment: string,
    kind: KeyKind,
    secret?: string,
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
    };
    await this.db.insertInto('api_keys').values(row).execute();
    return { key: toKey(row), secret: value };
  }

  /** Creates the key unless one with the same secret exists (idempotent bootstrap). */
  async ensure(environment: string, kind: KeyKind, secret: string): Promise<void> {
    if (!(await this.findBySecret(secret))) await this.create(environment, kind, secret);
  }

  /** The active (not revoked) key with this secret. */
  async findBySecret(secret: string): Promise<ApiKey | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('key_hash', '=', hashKey(secret))
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && toKey(row);
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

  /** Revokes the key; false when no key has this id. */
  async revoke(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: this.clock() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

function toKey(row: Database['api_keys']): ApiKey {
  return {
    id: row.id,
    environment: row.environment,
    kind: row.kind,
    prefix: row.key_prefix,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}
