import { z } from 'zod';
import { InvalidInputError } from '../errors.js';
import type { AuthoredKind } from './authored-kind.js';
import { definedFields, entityName, idTypeSchema, metadataFields, patchSchemaOf } from './rules.js';

/**
 * A metric in the catalogue: how Pulse turns a unit's events into one number per unit, and
 * whether a higher number is good. Versioned and audited like gates; compiles into nothing the
 * SDKs see.
 *
 * - `event_count`: events per unit; `sum`: the sum of the event's value (or a metadata field);
 * - `mean`: that sum over the unit's event count, averaged across units;
 * - `conversion`: 1 if the unit had the event at least once, else 0;
 * - `ratio`: per arm, sum of the numerator over sum of the denominator (e.g. request timeouts
 *   over requests), with delta-method variance.
 *
 * Only events from a unit's first exposure on count; earlier ones are the pre-period CUPED uses.
 */

export const METRIC_TYPES = ['event_count', 'sum', 'mean', 'conversion', 'ratio'] as const;
export const FILTER_OPERATORS = ['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'exists'] as const;

/** `value`, or `metadata.<key>`: where a number (or a filtered attribute) is read from an event. */
const eventField = z
  .string()
  .regex(/^(value|metadata\.[A-Za-z0-9_$:-]{1,100})$/, '"value" or "metadata.<key>"');

const filterSchema = z
  .object({
    field: eventField,
    operator: z.enum(FILTER_OPERATORS),
    values: z
      .array(z.union([z.string().max(500), z.number(), z.boolean()]))
      .max(100)
      .default([]),
  })
  .superRefine((filter, ctx) => {
    const wanted =
      filter.operator === 'exists' ? 0 : filter.operator === 'in' || filter.operator === 'not_in' ? -1 : 1;
    if (wanted === 0 && filter.values.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'exists takes no values' });
    } else if (wanted === 1 && filter.values.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        message: `${filter.operator} takes exactly one value`,
      });
    } else if (wanted === -1 && filter.values.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['values'],
        message: `${filter.operator} takes at least one value`,
      });
    }
  });

const eventSelector = z.object({
  /** The custom event's name (as sent with logEvent). */
  event: z.string().min(1).max(200),
  /** For `sum`, `mean` and ratio parts summing a number: where it is read. */
  valueField: eventField.default('value'),
  /** All must hold for an event to count. */
  filters: z.array(filterSchema).max(20).default([]),
});
export type EventSelector = z.infer<typeof eventSelector>;

export const metricInputSchema = z.object({
  name: entityName,
  ...metadataFields,
  type: z.enum(METRIC_TYPES),
  numerator: eventSelector,
  /** Ratio metrics only: what the numerator is divided by. */
  denominator: eventSelector.nullable().default(null),
  /** For ratio parts: count events (`count`) or sum their value (`sum`). */
  numeratorAggregation: z.enum(['count', 'sum']).default('count'),
  denominatorAggregation: z.enum(['count', 'sum']).default('count'),
  /** `increase`: higher is better (conversion, revenue); `decrease`: lower is better (timeouts, latency). */
  direction: z.enum(['increase', 'decrease']).default('increase'),
  /** Watched on every release: a regression can stop a rollout. */
  guardrail: z.boolean().default(false),
  /**
   * `sum` and `event_count` metrics: per-unit values above this percentile of the non-zero
   * values (all arms pooled) are capped to it; null: no capping. Default 99.9 for those types;
   * other types take null only (a conversion is 0 or 1; ratios are not capped).
   */
  winsorizePercentile: z.number().min(50).lt(100).nullable().optional(),
  /** Which unit ID the metric is counted by. */
  unitType: idTypeSchema.default('userID'),
});
export const metricPatchSchema = patchSchemaOf(metricInputSchema.omit({ name: true }));
export const storedMetricSchema = metricInputSchema.extend({
  winsorizePercentile: z.number().nullable(),
});

/** The metric types whose per-unit values can be capped. */
export const WINSORIZED_TYPES: ReadonlySet<string> = new Set(['sum', 'event_count']);
export const DEFAULT_WINSORIZE_PERCENTILE = 99.9;

export type MetricInput = z.infer<typeof metricInputSchema>;
export type MetricPatch = z.infer<typeof metricPatchSchema>;
export type StoredMetric = z.infer<typeof storedMetricSchema>;

function checkShape(metric: StoredMetric): StoredMetric {
  if (metric.winsorizePercentile !== null && !WINSORIZED_TYPES.has(metric.type)) {
    throw new InvalidInputError(
      'invalid_metric',
      `a ${metric.type} metric is not capped; winsorizePercentile must be null`,
      {
        field: 'winsorizePercentile',
      },
    );
  }
  if (metric.type === 'ratio' && !metric.denominator) {
    throw new InvalidInputError('invalid_metric', 'a ratio metric needs a denominator', {
      field: 'denominator',
    });
  }
  if (metric.type !== 'ratio' && metric.denominator) {
    throw new InvalidInputError('invalid_metric', `a ${metric.type} metric has no denominator`, {
      field: 'denominator',
    });
  }
  return metric;
}

export const metricKind: AuthoredKind<StoredMetric> = {
  kind: 'metric',
  path: 'metrics',
  namespace: null,
  specName: (name) => name,
  input: metricInputSchema,
  patch: metricPatchSchema,
  stored: storedMetricSchema,
  hasRules: false,
  actions: [],
  create: (input: MetricInput) =>
    checkShape({
      ...input,
      winsorizePercentile:
        input.winsorizePercentile !== undefined
          ? input.winsorizePercentile
          : WINSORIZED_TYPES.has(input.type)
            ? DEFAULT_WINSORIZE_PERCENTILE
            : null,
    }),
  update: (current, patch: MetricPatch) => {
    const next = { ...current, ...definedFields(patch) };
    // A type change that cannot be capped drops a default cap rather than failing.
    if (
      patch.type !== undefined &&
      patch.winsorizePercentile === undefined &&
      !WINSORIZED_TYPES.has(next.type)
    ) {
      next.winsorizePercentile = null;
    }
    return checkShape(next as StoredMetric);
  },
};
