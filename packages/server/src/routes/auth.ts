import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { UnauthorizedError } from '../errors.js';
import type { LoginThrottle } from '../http/login-throttle.js';
import { CSRF_HEADER, csrfTokenFor, SESSION_COOKIE, sessionSecretOf } from '../http/principal.js';
import {
  decoyHash,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  verifyPassword,
} from '../security/passwords.js';
import type { EntityStore } from '../store/entity-store.js';
import { SESSION_TTL_MS, type User, type UserStore } from '../store/user-store.js';

export const passwordField = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH);
export const emailField = z.string().trim().toLowerCase().email().max(320);
const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(['admin', 'editor', 'viewer']),
  createdAt: z.number(),
  disabledAt: z.number().nullable(),
});

export { userSchema };

const sessionSchema = z.object({ user: userSchema, csrfToken: z.string(), csrfHeader: z.string() });

/**
 * Console sign-in: first-admin setup with the one-time token, sign-in and out, the current
 * session, and changing one's own password. Sessions live in an httpOnly, SameSite=Strict
 * cookie; the CSRF token every signed-in change must echo is in the answer, never in a cookie.
 */
export function authRoutes(
  users: UserStore,
  entities: EntityStore,
  throttle: LoginThrottle,
  clock: () => number,
): FastifyPluginAsyncZod {
  const audit = (actor: string, action: string, name: string, after: unknown = null) =>
    entities.appendAudit({
      kind: 'session',
      name,
      before: null,
      after,
      change: { actor, action },
      now: clock(),
    });

  async function signIn(request: FastifyRequest, reply: FastifyReply, user: User) {
    const { secret } = await users.startSession(user.id);
    reply.setCookie(SESSION_COOKIE, secret, {
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
      path: '/',
      maxAge: SESSION_TTL_MS / 1000,
    });
    return { user, csrfToken: csrfTokenFor(secret), csrfHeader: CSRF_HEADER };
  }

  return async (app) => {
    const decoy = decoyHash(users.passwordParameters);

    app.get(
      '/auth/status',
      {
        config: { access: 'public' },
        schema: {
          tags: ['auth'],
          summary: 'Whether the first admin still has to be set up',
          response: { 200: z.object({ setupRequired: z.boolean() }) },
        },
      },
      async () => ({ setupRequired: (await users.count()) === 0 }),
    );

    app.post(
      '/auth/setup',
      {
        config: { access: 'public' },
        schema: {
          tags: ['auth'],
          summary: 'Create the first admin with the setup token printed at first start',
          body: z.object({
            token: z.string().min(1).max(200),
            email: emailField,
            name: z.string().trim().min(1).max(200),
            password: passwordField,
          }),
          response: { 201: sessionSchema },
        },
      },
      async (request, reply) => {
        const { token, ...input } = request.body;
        const user = await users.setupFirstAdmin(token, input);
        if (!user) {
          throw new UnauthorizedError('invalid_setup_token', 'the setup token is wrong or was already used', {
            field: 'body.token',
          });
        }
        await audit(`user:${user.id}`, 'setup', user.email, { role: user.role });
        return reply.status(201).send(await signIn(request, reply, user));
      },
    );

    app.post(
      '/auth/login',
      {
        config: { access: 'public' },
        schema: {
          tags: ['auth'],
          summary: 'Sign in with email and password (sets the session cookie)',
          body: z.object({ email: z.string().max(320), password: z.string().max(MAX_PASSWORD_LENGTH) }),
          response: { 200: sessionSchema },
        },
      },
      async (request, reply) => {
        const email = request.body.email.trim().toLowerCase();
        throttle.attempt(request.ip, email);
        const found = await users.findByEmail(email);
        // An unknown email costs a hash too, so timing does not tell which accounts exist.
        const valid = await verifyPassword(request.body.password, found?.passwordHash ?? (await decoy));
        if (!found || !valid || found.disabledAt !== null) {
          // What was typed as an email is recorded only when it is an account's: people type
          // passwords into the wrong field, and viewers read the audit log.
          await audit(
            found ? `user:${found.id}` : 'anonymous',
            'sign-in-failed',
            found?.email ?? '(unknown account)',
            {
              address: request.ip,
            },
          );
          throw new UnauthorizedError('invalid_credentials', 'wrong email or password');
        }
        throttle.succeed(request.ip, email);
        const { passwordHash: _, ...user } = found;
        await audit(`user:${user.id}`, 'sign-in', user.email, { address: request.ip });
        return signIn(request, reply, user);
      },
    );

    app.get(
      '/auth/session',
      {
        config: { access: 'public' },
        schema: {
          tags: ['auth'],
          summary: 'The signed-in user and CSRF token',
          response: { 200: sessionSchema },
        },
      },
      async (request) => {
        const secret = sessionSecretOf(request);
        const user = secret && (await users.sessionUser(secret));
        if (!secret || !user) throw new UnauthorizedError('unauthorized', 'not signed in');
        return { user, csrfToken: csrfTokenFor(secret), csrfHeader: CSRF_HEADER };
      },
    );

    app.post(
      '/auth/logout',
      {
        // Public, so an expired session can still clear its cookie; it only ever ends the caller's own.
        config: { access: 'public' },
        schema: { tags: ['auth'], summary: 'Sign out', response: { 204: z.null() } },
      },
      async (request, reply) => {
        const secret = sessionSecretOf(request);
        if (secret) {
          const user = await users.sessionUser(secret);
          await users.endSession(secret);
          if (user) await audit(`user:${user.id}`, 'sign-out', user.email);
        }
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/auth/password',
      {
        config: { access: 'user' },
        schema: {
          tags: ['auth'],
          summary: 'Change your own password (ends your other sessions)',
          body: z.object({ current: z.string().max(MAX_PASSWORD_LENGTH), next: passwordField }),
          response: { 200: sessionSchema },
        },
      },
      async (request, reply) => {
        const principal = request.principal;
        if (principal?.type !== 'user') {
          throw new UnauthorizedError('unauthorized', 'sign in as a user to change a password');
        }
        // A stolen session must not make guessing the current password cheap.
        throttle.attempt(request.ip, `password-change:${principal.id}`);
        const found = await users.findByEmail(principal.email);
        if (!found || !(await verifyPassword(request.body.current, found.passwordHash))) {
          throw new UnauthorizedError('invalid_credentials', 'the current password is wrong', {
            field: 'body.current',
          });
        }
        throttle.succeed(request.ip, `password-change:${principal.id}`);
        await users.setPassword(found.id, request.body.next);
        await audit(`user:${found.id}`, 'password-changed', found.email);
        const { passwordHash: _, ...user } = found;
        return signIn(request, reply, user);
      },
    );
  };
}
