import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConflictError } from '../errors.js';
import type { EntityStore } from '../store/entity-store.js';
import type { UserStore } from '../store/user-store.js';
import { emailField, passwordField, userSchema } from './auth.js';

const roleField = z.enum(['admin', 'editor', 'viewer']);

/** Console users, managed by admins. Every change is in the audit log (never a password). */
export function userRoutes(
  users: UserStore,
  entities: EntityStore,
  clock: () => number,
): FastifyPluginAsyncZod {
  return async (app) => {
    const audit = (actor: string, action: string, name: string, before: unknown, after: unknown) =>
      entities.appendAudit({ kind: 'user', name, before, after, change: { actor, action }, now: clock() });
    const visible = ({
      role,
      name,
      disabledAt,
    }: {
      role: string;
      name: string;
      disabledAt: number | null;
    }) => ({
      role,
      name,
      disabled: disabledAt !== null,
    });

    app.get(
      '/users',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['users'],
          summary: 'List console users',
          response: { 200: z.object({ users: z.array(userSchema) }) },
        },
      },
      async () => ({ users: await users.list() }),
    );

    app.post(
      '/users',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['users'],
          summary: 'Create a console user with an initial password',
          body: z.object({
            email: emailField,
            name: z.string().trim().min(1).max(200),
            role: roleField,
            password: passwordField,
          }),
          response: { 201: userSchema },
        },
      },
      async (request, reply) => {
        const user = await users.create(request.body);
        await audit(request.actor, 'create', user.email, null, visible(user));
        return reply.status(201).send(user);
      },
    );

    app.patch(
      '/users/:id',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['users'],
          summary: "Change a user's role or name, or disable them (signs them out)",
          params: z.object({ id: z.string().max(100) }),
          body: z.object({
            role: roleField.optional(),
            name: z.string().trim().min(1).max(200).optional(),
            disabled: z.boolean().optional(),
          }),
          response: { 200: userSchema },
        },
      },
      async (request) => {
        const before = await users.get(request.params.id);
        const demotes = request.body.role !== undefined && request.body.role !== 'admin';
        if (before.role === 'admin' && (demotes || request.body.disabled) && before.disabledAt === null) {
          const admins = (await users.list()).filter(
            (user) => user.role === 'admin' && user.disabledAt === null,
          );
          if (admins.length <= 1) {
            throw new ConflictError('last_admin', 'the last active admin cannot be demoted or disabled', {
              field: request.body.disabled ? 'body.disabled' : 'body.role',
            });
          }
        }
        const after = await users.update(request.params.id, request.body);
        await audit(request.actor, 'update', after.email, visible(before), visible(after));
        return after;
      },
    );

    app.post(
      '/users/:id/password',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['users'],
          summary: "Set a user's password (signs them out everywhere)",
          params: z.object({ id: z.string().max(100) }),
          body: z.object({ password: passwordField }),
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        const user = await users.get(request.params.id);
        await users.setPassword(user.id, request.body.password);
        await audit(request.actor, 'password-reset', user.email, null, null);
        return reply.status(204).send(null);
      },
    );
  };
}
