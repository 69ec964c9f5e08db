import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { KeyStore } from '../store/key-store.js';
import { type Role, roleAtLeast, type UserStore } from '../store/user-store.js';
import { authenticate, presentedKey } from './auth.js';

/** Who is calling the authoring API: a person signed in to the console, or a console key. */
export type Principal =
  | { type: 'user'; id: string; role: Role; email: string }
  | { type: 'key'; id: string; role: Role; environment: string };

/**
 * What a route needs: `read` (viewer), `write` (editor), `admin`, `user` (a signed-in person,
 * not a key: their own password), or `public` (no principal: sign-in itself). Routes say so
 * with `config: { access }`; otherwise GET/HEAD read, others write.
 */
export type Access = 'public' | 'read' | 'write' | 'admin' | 'user';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** Set on every authoring API request that is not `public`. */
    principal?: Principal;
  }
}

export const SESSION_COOKIE = 'switchyard_session';
export const CSRF_HEADER = 'x-csrf-token';

const NEEDED_ROLE: Record<Exclude<Access, 'public'>, Role> = {
  read: 'viewer',
  user: 'viewer',
  write: 'editor',
  admin: 'admin',
};

/**
 * The CSRF token of a session: derived from its secret, so it needs no storage, and a page on
 * another site, which cannot read the httpOnly cookie, cannot compute it.
 */
export function csrfTokenFor(sessionSecret: string): string {
  return createHash('sha256').update(`csrf:${sessionSecret}`).digest('base64url');
}

export const actorOf = (principal: Principal) => `${principal.type}:${principal.id}`;

export function accessOf(request: FastifyRequest): Access {
  return (
    request.routeOptions.config?.access ??
    (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write')
  );
}

/**
 * Authenticates an authoring API request and checks its role against the route's access. A
 * bearer key wins over a cookie (scripts); a cookie session must echo its CSRF token on every
 * request that is not a read.
 */
export async function authenticateConsole(
  request: FastifyRequest,
  keys: KeyStore,
  users: UserStore,
): Promise<Principal | undefined> {
  const access = accessOf(request);
  if (access === 'public') return undefined;
  const principal = await principalOf(request, keys, users);
  if (access === 'user' && principal.type !== 'user') {
    throw new ForbiddenError('sign_in_required', 'this is for a signed-in person, not a key');
  }
  const needed = NEEDED_ROLE[access];
  if (!roleAtLeast(principal.role, needed)) {
    throw new ForbiddenError(
      'insufficient_role',
      principal.type === 'key'
        ? 'a read-only console key cannot change anything'
        : `this needs the ${needed} role; you are ${principal.role === 'viewer' ? 'a' : 'an'} ${principal.role}`,
      { needed },
    );
  }
  request.principal = principal;
  request.actor = actorOf(principal);
  return principal;
}

async function principalOf(request: FastifyRequest, keys: KeyStore, users: UserStore): Promise<Principal> {
  const secret = presentedKey(request);
  if (secret) {
    const key = await authenticate(keys, secret, ['console']);
    return {
      type: 'key',
      id: key.id,
      role: key.access === 'read' ? 'viewer' : 'admin',
      environment: key.environment,
    };
  }
  const session = sessionSecretOf(request);
  if (!session) throw new UnauthorizedError('unauthorized', 'sign in, or send a console key');
  const user = await users.sessionUser(session);
  if (!user) throw new UnauthorizedError('session_expired', 'your session has ended; sign in again');
  const safe = request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS';
  if (!safe && request.headers[CSRF_HEADER] !== csrfTokenFor(session)) {
    throw new ForbiddenError('csrf_failed', `a signed-in change must carry the ${CSRF_HEADER} header`, {
      field: `headers.${CSRF_HEADER}`,
    });
  }
  return { type: 'user', id: user.id, role: user.role, email: user.email };
}

export function sessionSecretOf(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[SESSION_COOKIE];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
