import { randomUUID } from 'node:crypto';
import type { Spec, SpecRule } from '@switchyard/core';
import { z } from 'zod';
import { ConflictError, InvalidInputError } from '../errors.js';
import type { AuthoredKind } from './authored-kind.js';
import { allocateSlots, LAYER_SLOTS, layerKind, type StoredLayer } from './layer.js';
import {
  definedFields,
  entityName,
  idTypeSchema,
  type JsonObject,
  jsonObject,
  metadataFields,
  patchSchemaOf,
  saltSchema,
  systemCondition,
} from './rules.js';

/**
 * An experiment: groups with weights and parameter values, an allocation (the share of users
 * in the experiment at all), an optional targeting gate and an optional layer. Its life is
 * draft -> running -> stopped or shipped. Compiles, as Statsig's console does, into a
 * `dynamic_configs` spec with `entity: "experiment"`: ID overrides, then the allocation
 * (`layerAssignment`), then targeting (`targetingGate`), then one `user_bucket` rule per group.
 */

export const EXPERIMENT_STATUSES = ['draft', 'running', 'stopped', 'shipped'] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

const groupInput = z.object({
  /**
   * Present when editing a group that exists: it keeps its id (the rule id SDKs report, and the
   * group's rule salt). When creating an experiment, ids given are kept (config as code).
   */
  id: z.string().min(1).max(100).optional(),
  name: z.string().min(1).max(100),
  /** Share of the experiment's users, in percent with at most one decimal (1,000 buckets). */
  weight: z.number().min(0).max(100),
  parameters: jsonObject.default({}),
});
const storedGroup = groupInput.required({ id: true });
export type ExperimentGroup = z.infer<typeof storedGroup>;

const overrideSchema = z.object({
  /** The group these units always get. */
  group: z.string().min(1).max(100),
  ids: z.array(z.string().min(1).max(500)).min(1).max(1000),
  /** Unit type of `ids`; the experiment's by default. */
  idType: idTypeSchema.optional(),
});

export const experimentInputSchema = z.object({
  name: entityName,
  ...metadataFields,
  hypothesis: z.string().max(2000).default(''),
  idType: idTypeSchema.default('userID'),
  groups: z
    .array(groupInput)
    .min(1)
    .max(20)
    .default([
      { name: 'Control', weight: 50, parameters: {} },
      { name: 'Test', weight: 50, parameters: {} },
    ]),
  /** Percent of users (of the layer's, in a layer) in the experiment; raising it keeps those in. */
  allocationPercent: z.number().min(0).max(100).default(100),
  /** Only users passing this gate (or `segment:<name>`) enter; the rest get the default. */
  targetingGate: z.string().min(1).max(200).nullable().default(null),
  /** The layer whose slots and parameters the experiment shares; null for none. */
  layer: entityName.nullable().default(null),
  /** What users outside the experiment get (a layer's experiments get the layer's defaults). */
  defaultValue: jsonObject.default({}),
  /** Units that always get a group, e.g. the team testing each variant. */
  overrides: z.array(overrideSchema).max(100).default([]),
  /** Salt of the group split; the server makes one when absent (config as code gives an exported one back). */
  salt: saltSchema.optional(),
  /** Salt of the allocation outside layers; likewise. */
  allocationSalt: saltSchema.optional(),
});
export const experimentPatchSchema = patchSchemaOf(experimentInputSchema.omit({ name: true }));
export const storedExperimentSchema = experimentInputSchema.extend({
  groups: z.array(storedGroup),
  /** Salt of the group split. */
  salt: z.string(),
  /** Salt of the allocation outside layers, independent of the group split. */
  allocationSalt: z.string(),
  status: z.enum(EXPERIMENT_STATUSES),
  shippedGroup: z.string().nullable(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
});

export type ExperimentInput = z.infer<typeof experimentInputSchema>;
export type ExperimentPatch = z.infer<typeof experimentPatchSchema>;
export type StoredExperiment = z.infer<typeof storedExperimentSchema>;

/** Bucket upper bounds out of 1,000; weights must add up to 100. */
function groupBounds(groups: readonly { weight: number }[]): number[] {
  let cumulative = 0;
  return groups.map((group) => {
    cumulative += group.weight;
    return Math.round(cumulative * 10);
  });
}

function checkGroups(groups: readonly z.infer<typeof groupInput>[], overrides: ExperimentInput['overrides']) {
  const total = groups.reduce((sum, group) => sum + group.weight, 0);
  if (Math.abs(total - 100) > 1e-6) {
    throw new InvalidInputError('invalid_weights', `group weights add up to ${total}, not 100`, {
      field: 'groups',
    });
  }
  groups.forEach((group, index) => {
    if (Math.abs(group.weight * 10 - Math.round(group.weight * 10)) > 1e-6) {
      throw new InvalidInputError('invalid_weights', 'weights have at most one decimal', {
        field: `groups.${index}.weight`,
      });
    }
    if (groups.findIndex((other) => other.name === group.name) !== index) {
      throw new InvalidInputError('duplicate_group', `two groups are named "${group.name}"`, {
        field: `groups.${index}.name`,
      });
    }
  });
  overrides.forEach((override, index) => {
    if (!groups.some((group) => group.name === override.group)) {
      throw new InvalidInputError('unknown_group', `no group is named "${override.group}"`, {
        field: `overrides.${index}.group`,
      });
    }
  });
}

/** New groups get ids; groups naming an existing id keep it. Once started, the split is fixed. */
function assignGroups(
  groups: readonly z.infer<typeof groupInput>[],
  current: StoredExperiment | undefined,
): ExperimentGroup[] {
  const existing = new Map((current?.groups ?? []).map((group) => [group.id, group]));
  const seen = new Set<string>();
  const assigned = groups.map((group, index) => {
    if (group.id !== undefined) {
      if (seen.has(group.id)) {
        throw new InvalidInputError('duplicate_group', `two groups have the id "${group.id}"`, {
          field: `groups.${index}.id`,
        });
      }
      seen.add(group.id);
    }
    // A new experiment takes the ids it is given (recreated from an export); a change may only
    // name groups that exist, so a typo does not silently become a new group.
    if (current && group.id && !existing.has(group.id)) {
      throw new InvalidInputError(
        'unknown_group',
        `group "${group.id}" does not exist; omit "id" for a new group`,
        {
          field: `groups.${index}.id`,
        },
      );
    }
    return { ...group, id: group.id ?? randomUUID() };
  });
  if (current && current.status !== 'draft') {
    const sameSplit =
      assigned.length === current.groups.length &&
      assigned.every(
        (group, i) => group.id === current.groups[i]?.id && group.weight === current.groups[i]?.weight,
      );
    if (!sameSplit) {
      throw new ConflictError(
        'experiment_started',
        'groups and weights are fixed once an experiment starts (names and parameters may change)',
        { field: 'groups' },
      );
    }
  }
  return assigned;
}

function requireStatus(current: StoredExperiment, allowed: ExperimentStatus[], action: string) {
  if (!allowed.includes(current.status)) {
    throw new ConflictError(
      'invalid_status',
      `cannot ${action} experiment "${current.name}": it is ${current.status}`,
      {
        status: current.status,
      },
    );
  }
}

export const experimentKind: AuthoredKind<StoredExperiment> = {
  kind: 'experiment',
  path: 'experiments',
  namespace: 'dynamic_configs',
  specName: (name) => name,
  input: experimentInputSchema,
  patch: experimentPatchSchema,
  stored: storedExperimentSchema,
  hasRules: false,
  references: (stored) =>
    stored.targetingGate ? [{ name: stored.targetingGate, field: 'targetingGate' }] : [],
  create: (input: ExperimentInput) => {
    checkGroups(input.groups, input.overrides);
    return {
      ...input,
      groups: assignGroups(input.groups, undefined),
      salt: input.salt ?? randomUUID(),
      allocationSalt: input.allocationSalt ?? randomUUID(),
      status: 'draft',
      shippedGroup: null,
      startedAt: null,
      endedAt: null,
    };
  },
  update: (current, patch: ExperimentPatch) => {
    if (current.status === 'stopped' || current.status === 'shipped') {
      throw new ConflictError(
        'invalid_status',
        `experiment "${current.name}" has ended (${current.status})`,
        {
          status: current.status,
        },
      );
    }
    if (current.status !== 'draft') {
      for (const field of ['idType', 'layer', 'salt', 'allocationSalt'] as const) {
        if (patch[field] !== undefined && patch[field] !== current[field]) {
          throw new ConflictError('experiment_started', `${field} is fixed once an experiment starts`, {
            field,
          });
        }
      }
    }
    const groups = patch.groups ? assignGroups(patch.groups, current) : current.groups;
    const overrides = patch.overrides ?? current.overrides;
    checkGroups(groups, overrides);
    return { ...current, ...definedFields(patch), groups, overrides };
  },
  actions: [
    {
      name: 'start',
      summary: 'Start the experiment: users are allocated and split into groups',
      apply: (current, _body, now) => {
        requireStatus(current, ['draft'], 'start');
        return { ...current, status: 'running', startedAt: now };
      },
    },
    {
      name: 'stop',
      summary: 'Stop the experiment without shipping: everyone gets the default again',
      apply: (current, _body, now) => {
        requireStatus(current, ['running'], 'stop');
        return { ...current, status: 'stopped', endedAt: now };
      },
    },
    {
      name: 'ship',
      summary: "Ship a group: everyone gets its parameters (in a layer, they become the layer's defaults)",
      body: z.object({ group: z.string().min(1).max(100) }),
      apply: (current, body, now) => {
        requireStatus(current, ['running', 'stopped'], 'ship');
        if (!current.groups.some((group) => group.name === body.group)) {
          throw new InvalidInputError('unknown_group', `no group is named "${String(body.group)}"`, {
            field: 'body.group',
          });
        }
        return {
          ...current,
          status: 'shipped',
          shippedGroup: String(body.group),
          endedAt: current.endedAt ?? now,
        };
      },
    },
  ],
  validate: async (next, writer) => {
    if (!next.layer) return;
    const layer = await writer.get<StoredLayer>(layerKind.kind, next.layer);
    if (!layer)
      throw new InvalidInputError('unknown_layer', `layer "${next.layer}" does not exist`, {
        field: 'layer',
      });
    if (layer.data.idType !== next.idType) {
      throw new InvalidInputError(
        'layer_id_type',
        `layer "${next.layer}" splits by ${layer.data.idType}, the experiment by ${next.idType}`,
        { field: 'idType' },
      );
    }
    next.groups.forEach((group, index) => {
      const unknown = Object.keys(group.parameters).find((key) => !(key in layer.data.defaultValue));
      if (unknown !== undefined) {
        throw new InvalidInputError(
          'unknown_layer_parameter',
          `"${unknown}" is not a parameter of layer "${next.layer}"; add it to the layer's defaultValue first`,
          { field: `groups.${index}.parameters.${unknown}` },
        );
      }
    });
  },
  // A running experiment owns slots in its layer; any other state gives them back. Shipping
  // makes the shipped group's parameters the layer's defaults.
  afterWrite: async (next, previous, writer, change) => {
    const layers = new Set([previous?.layer, next.layer].filter((name): name is string => Boolean(name)));
    for (const layerName of layers) {
      const layer = await writer.get<StoredLayer>(layerKind.kind, layerName);
      if (!layer) continue;
      const wanted =
        next.layer === layerName && next.status === 'running'
          ? allocateSlots(
              layer.data,
              next.name,
              Math.round((next.allocationPercent * LAYER_SLOTS) / 100),
              next.salt,
            )
          : undefined;
      const shipped =
        next.layer === layerName && next.status === 'shipped' && previous?.status !== 'shipped'
          ? next.groups.find((group) => group.name === next.shippedGroup)?.parameters
          : undefined;
      const current = layer.data.allocations[next.name];
      if (!shipped && JSON.stringify(current) === JSON.stringify(wanted)) continue;
      await writer.update<StoredLayer>(
        layerKind.kind,
        layerName,
        undefined,
        (data) => {
          const { [next.name]: _released, ...others } = data.allocations;
          return {
            ...data,
            allocations: wanted ? { ...others, [next.name]: wanted } : others,
            defaultValue: shipped ? { ...data.defaultValue, ...shipped } : data.defaultValue,
          };
        },
        { ...change, action: `${change.action}:experiment:${next.name}` },
      );
    }
  },
};

/** A group's value: the defaults under its own parameters. */
function groupValue(group: ExperimentGroup, defaults: JsonObject): JsonObject {
  return { ...defaults, ...group.parameters };
}

/** The experiment as a DCS v1 spec; `layer` is its layer's current state, if it has one. */
export function compileExperiment(experiment: StoredExperiment, layer: StoredLayer | undefined): Spec {
  const { idType } = experiment;
  const defaults = layer ? layer.defaultValue : experiment.defaultValue;
  const rule = (fields: Partial<SpecRule> & Pick<SpecRule, 'id' | 'name'>): SpecRule => ({
    salt: '',
    passPercentage: 100,
    conditions: [],
    returnValue: defaults,
    idType,
    ...fields,
  });
  const byName = new Map(experiment.groups.map((group) => [group.name, group]));
  const overrides = experiment.overrides.flatMap((override) => {
    const group = byName.get(override.group);
    if (!group) return [];
    const unit = override.idType ?? idType;
    return [
      rule({
        id: `${group.id}:${unit}:id_override`,
        name: `Override: ${group.name}`,
        conditions: [systemCondition('unit_id', 'any', override.ids, unit)],
        returnValue: groupValue(group, defaults),
        groupName: group.name,
      }),
    ];
  });
  let rules: SpecRule[] = [];
  if (experiment.status === 'draft') rules = overrides;
  if (experiment.status === 'shipped') {
    const group = byName.get(experiment.shippedGroup ?? '');
    if (group) {
      rules = [
        rule({
          id: 'launchedGroup',
          name: `Shipped: ${group.name}`,
          conditions: [systemCondition('public', null, null, idType)],
          returnValue: groupValue(group, defaults),
          groupName: group.name,
        }),
      ];
    }
  }
  if (experiment.status === 'running') {
    const slots = layer?.allocations[experiment.name] ?? [];
    const allocation = layer
      ? [
          systemCondition(
            'user_bucket',
            'none',
            [...slots].sort((a, b) => a - b),
            layer.idType,
            { salt: layer.salt },
          ),
        ]
      : experiment.allocationPercent < 100
        ? [
            systemCondition('user_bucket', 'gte', Math.round(experiment.allocationPercent * 10), idType, {
              salt: experiment.allocationSalt,
            }),
          ]
        : null;
    const bounds = groupBounds(experiment.groups);
    rules = [
      ...overrides,
      ...(allocation ? [rule({ id: 'layerAssignment', name: 'Not allocated', conditions: allocation })] : []),
      ...(experiment.targetingGate
        ? [
            rule({
              id: 'targetingGate',
              name: 'Not targeted',
              conditions: [systemCondition('fail_gate', null, experiment.targetingGate, idType)],
            }),
          ]
        : []),
      ...experiment.groups.map((group, index) =>
        rule({
          id: group.id,
          name: group.name,
          salt: group.id,
          conditions: [
            systemCondition('user_bucket', 'lt', bounds[index], idType, { salt: experiment.salt }),
          ],
          returnValue: groupValue(group, defaults),
          groupName: group.name,
          isExperimentGroup: true,
        }),
      ),
    ];
  }
  const explicitParameters = [
    ...new Set(experiment.groups.flatMap((group) => Object.keys(group.parameters))),
  ];
  return {
    name: experiment.name,
    type: 'dynamic_config',
    entity: 'experiment',
    salt: experiment.salt,
    enabled: true,
    defaultValue: defaults,
    idType,
    rules,
    isActive: experiment.status === 'running',
    ...(layer && { hasSharedParams: true, explicitParameters }),
  };
}
