import {
  DEFAULT_WINSORIZE_PERCENTILE,
  dynamicConfigInputSchema,
  experimentInputSchema,
  gateInputSchema,
  layerInputSchema,
  metricInputSchema,
  segmentInputSchema,
  storedExperimentSchema,
  storedGateSchema,
  WINSORIZED_TYPES,
  webhookInput,
} from '@switchyard/server';

/**
 * What config as code knows about each kind of object: its directory, its API, and its document,
 * the YAML form of one object. A document holds what people decide (names, rules, salts, an
 * experiment's status); what the server derives or counts (versions, timestamps, layer slots,
 * a release's progress) stays out, so an export diffs only when a decision changed.
 *
 * Documents are validated with the server's own input schemas, which also fill in defaults: a
 * file that leaves `tags` out and a server object with `tags: []` are the same document.
 */

export type Doc = Record<string, unknown>;

/** A schema as far as we use it (zod's, from @switchyard/server). */
export interface DocSchema {
  safeParse(
    input: unknown,
  ): { success: true; data: unknown } | { success: false; error: { issues: readonly SchemaIssue[] } };
}
export interface SchemaIssue {
  path: readonly PropertyKey[];
  message: string;
}

export const KIND_KEYS = [
  'environments',
  'metrics',
  'id_lists',
  'segments',
  'gates',
  'configs',
  'layers',
  'experiments',
  'webhooks',
] as const;
export type KindKey = (typeof KIND_KEYS)[number];

export interface KindDef {
  key: KindKey;
  /** Directory of its files, and the field of its list answer (`GET /api/v1/<path>`). */
  dir: string;
  singular: string;
  apiPath: string;
  listField: string;
  /** Authored objects have versions (If-Match) and no DELETE in the API. */
  authored: boolean;
  deletable: boolean;
  /** Validates a file's document and fills in defaults; undefined: checked by hand (see documents.ts). */
  schema?: DocSchema;
  /** A server record as a document (before the schema normalises it). */
  fromRecord(record: Doc): Doc;
  /** Fields changed through actions, never sent in a create or PATCH body. */
  stateFields: readonly string[];
}

const pick = (record: Doc, fields: readonly string[]): Doc =>
  Object.fromEntries(
    fields.filter((field) => record[field] !== undefined).map((field) => [field, record[field]]),
  );

const RECORD_FIELDS = ['version', 'createdAt', 'updatedAt'];
const withoutRecordFields = (record: Doc): Doc =>
  Object.fromEntries(Object.entries(record).filter(([field]) => !RECORD_FIELDS.includes(field)));

/** A stored release plan in the form a gate's input takes (its progress stays on the server). */
function releasePlanInput(plan: unknown): unknown {
  if (!plan || typeof plan !== 'object') return null;
  const stored = plan as Doc & { stages: Doc[] };
  return {
    ...pick(stored, ['environment', 'autoAdvance', 'onRegression', 'alpha', 'nStar', 'salt']),
    stages: stored.stages.map((stage) => ({
      name: stage.name,
      ...(stage.segment !== null && { segment: stage.segment }),
      ...(stage.percentage !== null && { percentage: stage.percentage }),
      minDurationMinutes: stage.minDurationMinutes,
      minUnits: stage.minUnits,
      guardrails: stage.guardrails,
    })),
  };
}

export const KINDS: Record<KindKey, KindDef> = {
  environments: {
    key: 'environments',
    dir: 'environments',
    singular: 'environment',
    apiPath: '/environments',
    listField: 'environments',
    authored: false,
    deletable: false,
    fromRecord: (record) => ({
      name: record.name,
      policy: record.policy ?? null,
    }),
    stateFields: [],
  },
  metrics: {
    key: 'metrics',
    dir: 'metrics',
    singular: 'metric',
    apiPath: '/metrics',
    listField: 'metrics',
    authored: true,
    deletable: false,
    schema: metricInputSchema,
    fromRecord: withoutRecordFields,
    stateFields: [],
  },
  id_lists: {
    key: 'id_lists',
    dir: 'id_lists',
    singular: 'ID list',
    apiPath: '/id_lists',
    listField: 'idLists',
    authored: false,
    deletable: true,
    fromRecord: (record) => ({ name: record.name }),
    stateFields: [],
  },
  segments: {
    key: 'segments',
    dir: 'segments',
    singular: 'segment',
    apiPath: '/segments',
    listField: 'segments',
    authored: true,
    deletable: false,
    schema: segmentInputSchema,
    fromRecord: withoutRecordFields,
    stateFields: [],
  },
  gates: {
    key: 'gates',
    dir: 'gates',
    singular: 'gate',
    apiPath: '/gates',
    listField: 'gates',
    authored: true,
    deletable: false,
    schema: gateInputSchema.extend({ disabledIn: storedGateSchema.shape.disabledIn }),
    fromRecord: (record) => ({
      ...withoutRecordFields(record),
      releasePlan: releasePlanInput(record.releasePlan),
    }),
    stateFields: ['disabledIn'],
  },
  configs: {
    key: 'configs',
    dir: 'configs',
    singular: 'dynamic config',
    apiPath: '/configs',
    listField: 'configs',
    authored: true,
    deletable: false,
    schema: dynamicConfigInputSchema,
    fromRecord: withoutRecordFields,
    stateFields: [],
  },
  layers: {
    key: 'layers',
    dir: 'layers',
    singular: 'layer',
    apiPath: '/layers',
    listField: 'layers',
    authored: true,
    deletable: false,
    schema: layerInputSchema,
    fromRecord: withoutRecordFields,
    stateFields: [],
  },
  experiments: {
    key: 'experiments',
    dir: 'experiments',
    singular: 'experiment',
    apiPath: '/experiments',
    listField: 'experiments',
    authored: true,
    deletable: false,
    schema: experimentInputSchema.extend({
      status: storedExperimentSchema.shape.status.default('draft'),
      shippedGroup: storedExperimentSchema.shape.shippedGroup.default(null),
    }),
    fromRecord: withoutRecordFields,
    stateFields: ['status', 'shippedGroup'],
  },
  webhooks: {
    key: 'webhooks',
    dir: 'webhooks',
    singular: 'webhook',
    apiPath: '/webhooks',
    listField: 'webhooks',
    authored: false,
    deletable: true,
    schema: webhookInput,
    fromRecord: (record) => pick(record, ['name', 'url', 'format', 'events', 'enabled']),
    stateFields: [],
  },
};

/** Metrics leave `winsorizePercentile` out to get their type's default: the server stores that. */
export function completeMetric(doc: Doc): Doc {
  if (doc.winsorizePercentile !== undefined) return doc;
  return {
    ...doc,
    winsorizePercentile: WINSORIZED_TYPES.has(String(doc.type)) ? DEFAULT_WINSORIZE_PERCENTILE : null,
  };
}
