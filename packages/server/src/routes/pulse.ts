import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import { DAY_MS, HOUR_MS } from '../pulse/aggregation.js';
import type { PulseResults } from '../services/pulse-results.js';
import type { KeyStore } from '../store/key-store.js';

const boolean = z.enum(['true', 'false']).transform((value) => value === 'true');

const pulseQuery = z.object({
  environment: z.string().min(1).default('production'),
  alpha: z.coerce.number().gt(0).lt(0.5).default(0.05),
  /** CUPED on non-ratio metrics (default on). */
  cuped: boolean.default(true),
  /** Always-valid confidence sequences, safe to check at every refresh (default off). */
  sequential: boolean.default(false),
  /** Confidence sequences: the sample size where the interval is tightest. */
  nStar: z.coerce.number().int().min(100).max(1e9).optional(),
  /** Results as of the end of this UTC day (YYYY-MM-DD); to date when absent. */
  through: z.iso.date().optional(),
});

const interval = z
  .object({
    estimate: z.number(),
    interval: z.tuple([z.number().nullable(), z.number().nullable()]),
    pValue: z.number(),
    significant: z.boolean(),
  })
  .nullable();

const metricResult = z.object({
  metric: z.string(),
  type: z.string(),
  direction: z.string(),
  guardrail: z.boolean(),
  control: z.object({ units: z.number(), mean: z.number().nullable() }),
  treatment: z.object({ units: z.number(), mean: z.number().nullable() }),
  absolute: interval,
  relative: interval,
  cuped: z.boolean(),
  sequential: z.boolean(),
  verdict: z.enum(['improved', 'regressed', 'neutral', 'unavailable']),
  guardrailRegression: z.boolean().nullable(),
  guardrailBound: z.number().nullable(),
  bayesian: z
    .object({ chanceToWin: z.number(), risk: z.object({ control: z.number(), treatment: z.number() }) })
    .nullable(),
  /** Winsorized metrics: per-unit values above this were counted as this (null: none capped). */
  cap: z.number().nullable(),
  reason: z.string().optional(),
});

const armSide = z.object({ arm: z.string(), name: z.string(), units: z.number() });

const pulseResult = z.object({
  entity: z.object({ kind: z.enum(['gate', 'experiment']), name: z.string() }),
  environment: z.string(),
  through: z.string().nullable(),
  options: z.object({
    alpha: z.number(),
    cuped: z.boolean(),
    sequential: z.boolean(),
    nStar: z.number().optional(),
  }),
  comparisons: z.array(
    z.object({
      control: armSide,
      treatment: armSide,
      rule: z.string().optional(),
      srm: z.object({
        expected: z.array(z.number()).nullable(),
        observed: z.array(z.number()),
        pValue: z.number().nullable(),
        mismatch: z.boolean().nullable(),
        reason: z.string().optional(),
      }),
      metrics: z.array(metricResult),
    }),
  ),
});

/** A moment as an ISO date (the day's start) or date-time, for a series' bounds. */
const moment = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

const seriesQuery = pulseQuery.omit({ through: true }).extend({
  /** `day` (default): the result at the end of each UTC day with data; `hour`: of each hour. */
  granularity: z.enum(['day', 'hour']).default('day'),
  /** Only periods (days or hours) that end after this moment... */
  from: moment.optional(),
  /** ...and start at or before this one. */
  to: moment.optional(),
});

/** JSON has no Infinity: one-sided intervals' open ends become null (as the schema says). */
function finite(value: unknown): never {
  // In place: a series can hold thousands of results, too many to copy through JSON text.
  const visit = (node: unknown): unknown => {
    if (typeof node === 'number') return Number.isFinite(node) ? node : null;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) node[i] = visit(node[i]);
    } else if (node !== null && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      for (const key of Object.keys(record)) record[key] = visit(record[key]);
    }
    return node;
  };
  return visit(value) as never;
}

/**
 * `GET /api/v1/pulse/{gates,experiments}/:name` (console key): the release's impact per metric;
 * `.../series` the same result as of the end of each day, or each hour (`granularity=hour`).
 */
export function pulseRoutes(results: PulseResults, keys: KeyStore): FastifyPluginAsyncZod {
  return async (app) => {
    for (const kind of ['gate', 'experiment'] as const) {
      const compute = (
        environment: string,
        name: string,
        options: z.infer<typeof pulseQuery>,
        day?: number,
      ) =>
        results[kind](
          environment,
          name,
          {
            alpha: options.alpha,
            cuped: options.cuped,
            sequential: options.sequential,
            ...(options.nStar && { nStar: options.nStar }),
          },
          day,
        );
      const checkEnvironment = async (environment: string) => {
        if (!(await keys.environments()).includes(environment)) {
          throw new InvalidInputError('unknown_environment', `environment "${environment}" does not exist`, {
            field: 'querystring.environment',
          });
        }
      };

      app.get(
        `/pulse/${kind}s/:name`,
        {
          schema: {
            tags: ['pulse'],
            summary:
              kind === 'gate'
                ? "A gate's impact: each rule's passing units against its failing ones, per metric"
                : "An experiment's impact: each group against control, per metric",
            params: z.object({ name: z.string().min(1).max(500) }),
            querystring: pulseQuery,
            response: { 200: pulseResult },
          },
        },
        async (request) => {
          const { environment, through } = request.query;
          await checkEnvironment(environment);
          const day = through === undefined ? undefined : Math.floor(Date.parse(through) / DAY_MS);
          return finite(await compute(environment, request.params.name, request.query, day));
        },
      );

      app.get(
        `/pulse/${kind}s/:name/series`,
        {
          schema: {
            tags: ['pulse'],
            summary:
              'The cumulative result at the end of each day (or hour, granularity=hour) with data, oldest first',
            params: z.object({ name: z.string().min(1).max(500) }),
            querystring: seriesQuery,
            response: {
              200: z.object({
                granularity: z.enum(['day', 'hour']),
                /** granularity=day: `through` is the day (ISO date). */
                days: z.array(pulseResult.extend({ through: z.string() })).optional(),
                /** granularity=hour: `through` is the start of the hour (ISO timestamp). */
                hours: z.array(pulseResult.extend({ through: z.string() })).optional(),
              }),
            },
          },
        },
        async (request) => {
          const { environment, granularity, from, to } = request.query;
          await checkEnvironment(environment);
          const unit = granularity === 'day' ? DAY_MS : HOUR_MS;
          const points = await results.series(
            kind,
            environment,
            request.params.name,
            {
              alpha: request.query.alpha,
              cuped: request.query.cuped,
              sequential: request.query.sequential,
              ...(request.query.nStar && { nStar: request.query.nStar }),
            },
            granularity,
            {
              ...(from !== undefined && { fromPeriod: Math.floor(Date.parse(from) / unit) }),
              ...(to !== undefined && { toPeriod: Math.floor(Date.parse(to) / unit) }),
            },
          );
          const series = points.map((point) => point.result);
          return finite(
            granularity === 'day' ? { granularity, days: series } : { granularity, hours: series },
          );
        },
      );
    }
  };
}
