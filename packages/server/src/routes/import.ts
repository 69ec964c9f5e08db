import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import type { EnvironmentGuard } from '../services/environment-guard.js';
import {
  importedSpecHistory,
  importStatsigSpecs,
  revertImportedSpec,
  SPEC_NAMESPACES,
  setImportedSpecEnabled,
} from '../services/statsig-import.js';
import type { EntityStore } from '../store/entity-store.js';
import type { KeyStore } from '../store/key-store.js';

/** Real Statsig payloads run to a few MB; 50 MB leaves room for large projects. */
const IMPORT_BODY_LIMIT = 50 * 1024 * 1024;

// Statsig names are free-form (upper case, `segment:` prefixes), so only their shape is checked
// here; the evaluator copes with anything else in a spec.
const statsigSpec = z.looseObject({
  name: z.string().min(1).max(500),
  salt: z.string().max(500),
  enabled: z.boolean(),
  rules: z
    // A rule without passPercentage never passes (as in statsig-node); one given must be 0-100.
    .array(z.looseObject({ id: z.string().max(500), passPercentage: z.number().min(0).max(100).optional() }))
    .max(10_000),
});

const dcsBody = z.looseObject({
  feature_gates: z.array(statsigSpec).max(100_000),
  dynamic_configs: z.array(statsigSpec).max(100_000),
  layer_configs: z.array(statsigSpec).max(100_000),
});

const importedParams = z.object({
  environment: z.string().min(1),
  namespace: z.enum(SPEC_NAMESPACES),
  name: z.string().min(1).max(500),
});

export function importRoutes(
  entities: EntityStore,
  keys: KeyStore,
  guard: EnvironmentGuard,
): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/import/statsig',
      {
        bodyLimit: IMPORT_BODY_LIMIT,
        schema: {
          tags: ['import'],
          summary: 'Import a Statsig download_config_specs JSON, keeping salts and rule ids',
          querystring: z.object({ environment: z.string().min(1).default('production') }),
          body: dcsBody,
          response: {
            200: z.object({
              environment: z.string(),
              created: z.array(z.string()),
              updated: z.array(z.string()),
              unchanged: z.number(),
            }),
          },
        },
      },
      async (request) => {
        const environment = request.query.environment;
        if (!(await keys.environments()).includes(environment)) {
          throw new InvalidInputError('unknown_environment', `environment "${environment}" does not exist`, {
            field: 'querystring.environment',
          });
        }
        await guard.assertMayChangeUnattended(request.principal, [environment]);
        return importStatsigSpecs(entities, environment, request.body as never, { actor: request.actor });
      },
    );

    for (const [action, enabled] of [
      ['disable', false],
      ['enable', true],
    ] as const) {
      app.post(
        `/imported/:environment/:namespace/:name/${action}`,
        {
          schema: {
            tags: ['import'],
            summary: enabled
              ? 'Turn an imported spec back on'
              : 'Kill switch for an imported gate, config, experiment or layer',
            params: importedParams,
            body: z.object({ reason: z.string().max(1000).optional() }).nullish(),
            response: { 200: z.object({ name: z.string(), version: z.number(), enabled: z.boolean() }) },
          },
        },
        async (request) => {
          const { environment, namespace, name } = request.params;
          // Turning off never waits for review; turning on is a change like any other.
          if (enabled) await guard.assertMayChangeUnattended(request.principal, [environment]);
          const record = await setImportedSpecEnabled(entities, environment, namespace, name, enabled, {
            actor: request.actor,
            reason: request.body?.reason,
          });
          return { name, version: record.version, enabled: record.data.spec.enabled };
        },
      );
    }

    app.get(
      '/imported/:environment/:namespace/:name/history',
      {
        schema: {
          tags: ['import'],
          summary: "An imported spec's versions, newest first",
          params: importedParams,
          response: {
            200: z.object({
              versions: z.array(
                z.object({ version: z.number(), createdAt: z.number(), actor: z.string(), spec: z.json() }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const { environment, namespace, name } = request.params;
        const versions = await importedSpecHistory(entities, environment, namespace, name);
        return {
          versions: versions.map(({ version, createdAt, actor, data }) => ({
            version,
            createdAt,
            actor,
            spec: data.spec as never,
          })),
        };
      },
    );

    app.post(
      '/imported/:environment/:namespace/:name/revert',
      {
        schema: {
          tags: ['import'],
          summary: 'Make an earlier version of an imported spec current again (as a new version)',
          params: importedParams,
          body: z.object({ version: z.number().int().min(1), reason: z.string().max(1000).optional() }),
          response: { 200: z.object({ name: z.string(), version: z.number(), enabled: z.boolean() }) },
        },
      },
      async (request) => {
        const { environment, namespace, name } = request.params;
        await guard.assertMayChangeUnattended(request.principal, [environment]);
        const record = await revertImportedSpec(
          entities,
          environment,
          namespace,
          name,
          request.body.version,
          {
            actor: request.actor,
            reason: request.body.reason,
          },
        );
        return { name, version: record.version, enabled: record.data.spec.enabled };
      },
    );
  };
}
