import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { ConflictError, NotFoundError } from '../errors.js';
import { hashPassword, type ScryptParameters } from '../security/passwords.js';
import type { Database } from './schema.js';

export type Role = Database['users']['role'];
export const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

/** viewer < editor < admin. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: number;
  disabledAt: number | null;
}

/** Twelve hours: a console session outlives a working day, not a week. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const SETUP_TOKEN = 'setup_token_hash';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Console users, their sessions and the one-time setup token. Passwords are stored as scrypt
 * hashes and session secrets as SHA-256 hashes (they are random, full-entropy values).
 */
export class UserStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => number = Date.now,
    /** Lower in tests only: every create and login pays the full cost. */
    readonly passwordParameters?: ScryptParameters,
  ) {}

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async create(input: { email: string; name: string; role: Role; password: string }): Promise<User> {
    const email = input.email.trim().toLowerCase();
    if (await this.findByEmail(email)) {
      throw new ConflictError('email_taken', `a user with email "${email}" exists`, { field: 'body.email' });
    }
    const row = {
      id: randomUUID(),
      email,
      name: input.name,
      role: input.role,
      password_hash: await hashPassword(input.password, this.passwordParameters),
      created_at: this.clock(),
      disabled_at: null,
    };
    await this.db.insertInto('users').values(row).execute();
    // Once anyone can sign in, the printed setup token must not make another admin.
    await this.db.deleteFrom('settings').where('name', '=', SETUP_TOKEN).execute();
    return toUser(row);
  }

  async list(): Promise<User[]> {
    return (await this.db.selectFrom('users').selectAll().orderBy('created_at').execute()).map(toUser);
  }

  async get(id: string): Promise<User> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('not_found', `no user with id "${id}"`, { id });
    return toUser(row);
  }

  /** The user and their password hash, for sign-in; disabled users are found too (and refused). */
  async findByEmail(email: string): Promise<(User & { passwordHash: string }) | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', email.trim().toLowerCase())
      .executeTakeFirst();
    return row && { ...toUser(row), passwordHash: row.password_hash };
  }

  async update(id: string, patch: { role?: Role; name?: string; disabled?: boolean }): Promise<User> {
    await this.get(id);
    await this.db
      .updateTable('users')
      .set({
        ...(patch.role && { role: patch.role }),
        ...(patch.name && { name: patch.name }),
        ...(patch.disabled !== undefined && { disabled_at: patch.disabled ? this.clock() : null }),
      })
      .where('id', '=', id)
      .execute();
    // A disabled user is signed out everywhere at once.
    if (patch.disabled) await this.db.deleteFrom('sessions').where('user_id', '=', id).execute();
    return this.get(id);
  }

  async setPassword(id: string, password: string): Promise<void> {
    const password_hash = await hashPassword(password, this.passwordParameters);
    await this.db.updateTable('users').set({ password_hash }).where('id', '=', id).execute();
    // Other sessions of a changed password end: the change is often because one was stolen.
    await this.db.deleteFrom('sessions').where('user_id', '=', id).execute();
  }

  /** Starts a session; the returned secret goes in the cookie and is not stored. */
  async startSession(userId: string): Promise<{ secret: string; expiresAt: number }> {
    const secret = randomBytes(32).toString('base64url');
    const now = this.clock();
    const expiresAt = now + SESSION_TTL_MS;
    await this.db
      .insertInto('sessions')
      .values({ id_hash: sha256(secret), user_id: userId, created_at: now, expires_at: expiresAt })
      .execute();
    // Expired sessions are swept here rather than by a timer: sign-ins are rare.
    await this.db.deleteFrom('sessions').where('expires_at', '<', now).execute();
    return { secret, expiresAt };
  }

  /** The active user of a live session, or undefined. */
  async sessionUser(secret: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .selectAll('users')
      .where('sessions.id_hash', '=', sha256(secret))
      .where('sessions.expires_at', '>', this.clock())
      .where('users.disabled_at', 'is', null)
      .executeTakeFirst();
    return row && toUser(row);
  }

  async endSession(secret: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', sha256(secret)).execute();
  }

  /**
   * Makes the one-time token that lets the first admin be created through the console, unless
   * users exist or a token is already waiting; returns it to print, or undefined.
   */
  async issueSetupToken(): Promise<string | undefined> {
    if ((await this.count()) > 0) return undefined;
    const token = `setup-${randomBytes(18).toString('base64url')}`;
    const inserted = await this.db
      .insertInto('settings')
      .values({ name: SETUP_TOKEN, value: sha256(token) })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1 ? token : undefined;
  }

  /** A new setup token replacing any waiting one (an operator who lost the printed one). */
  async reissueSetupToken(): Promise<string | undefined> {
    await this.db.deleteFrom('settings').where('name', '=', SETUP_TOKEN).execute();
    return this.issueSetupToken();
  }

  /**
   * Creates the first admin with the setup token, which is used up in the same transaction, so
   * two racing requests cannot both succeed. False when the token is wrong or already used.
   */
  async setupFirstAdmin(
    token: string,
    input: { email: string; name: string; password: string },
  ): Promise<User | undefined> {
    const passwordHash = await hashPassword(input.password, this.passwordParameters);
    return this.db.transaction().execute(async (tx) => {
      const used = await tx
        .deleteFrom('settings')
        .where('name', '=', SETUP_TOKEN)
        .where('value', '=', sha256(token))
        .executeTakeFirst();
      if (Number(used.numDeletedRows) !== 1) return undefined;
      // Only the first admin: a token that outlived the first user (made another way) is void.
      const existing = await tx
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      if (Number(existing.count) > 0) return undefined;
      const row = {
        id: randomUUID(),
        email: input.email.trim().toLowerCase(),
        name: input.name,
        role: 'admin' as const,
        password_hash: passwordHash,
        created_at: this.clock(),
        disabled_at: null,
      };
      await tx.insertInto('users').values(row).execute();
      return toUser(row);
    });
  }
}

function toUser(row: Selectable<Database['users']>): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    createdAt: Number(row.created_at),
    disabledAt: row.disabled_at === null ? null : Number(row.disabled_at),
  };
}
