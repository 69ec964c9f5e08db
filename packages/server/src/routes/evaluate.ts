import type { StatsigUser } from '@switchyard/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import type { SnapshotSource } from '../services/config-snapshots.js';
import { evaluateUser } from '../services/evaluate-user.js';
import type { UserAttributeCatalog } from '../services/user-attribute-catalog.js';
import type { KeyStore } from '../store/key-store.js';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** The user's shape as SDKs send it: known fields, `custom` and `privateAttributes` maps, `customIDs`. */
const userSchema = z
  .object({
    userID: z.string().max(1000).optional(),
    email: z.string().max(1000).optional(),
    ip: z.string().max(100).optional(),
    userAgent: z.string().max(2000).optional(),
    country: z.string().max(100).optional(),
    locale: z.string().max(100).optional(),
    appVersion: z.string().max(100).optional(),
    custom: z.record(z.string(), z.union([scalar, z.array(scalar)])).optional(),
    privateAttributes: z.record(z.string(), z.union([scalar, z.array(scalar)])).optional(),
    customIDs: z.record(z.string(), z.string()).optional(),
    statsigEnvironment: z.record(z.string(), z.string()).optional(),
  })
  .strict();

/**
 * `POST /api/v1/evaluate` (console key): every gate, segment, config, experiment and layer for a
 * user in an environment, with the rule that decided each ("evaluate as user").
 */
export function evaluateRoutes(
  snapshots: SnapshotSource,
  keys: KeyStore,
  attributes: UserAttributeCatalog,
): FastifyPluginAsyncZod {
  return async (app) => {
    const checkEnvironment = async (environment: string, field: string) => {
      if (!(await keys.environments()).includes(environment)) {
        throw new InvalidInputError('unknown_environment', `environment "${environment}" does not exist`, {
          field,
        });
      }
    };

    app.get(
      '/user-attributes',
      {
        schema: {
          tags: ['evaluate'],
          summary:
            'User attributes recently seen in exposures (sampled, per server instance), for condition fields',
          querystring: z.object({ environment: z.string().min(1).default('production') }),
        },
      },
      async (request) => {
        await checkEnvironment(request.query.environment, 'querystring.environment');
        return {
          environment: request.query.environment,
          attributes: attributes.list(request.query.environment),
        };
      },
    );

    app.post(
      '/evaluate',
      {
        // A read: it evaluates, it changes nothing.
        config: { access: 'read' },
        schema: {
          tags: ['evaluate'],
          summary: 'Evaluate everything for one user, with the rule that decided each result',
          body: z.object({ environment: z.string().min(1).default('production'), user: userSchema }),
        },
      },
      async (request) => {
        const { environment, user } = request.body;
        await checkEnvironment(environment, 'body.environment');
        return evaluateUser(await snapshots.current(environment), user as StatsigUser);
      },
    );
  };
}
