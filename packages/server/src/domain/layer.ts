import { createHash, randomUUID } from 'node:crypto';
import type { Spec } from '@switchyard/core';
import { z } from 'zod';
import { ConflictError } from '../errors.js';
import type { AuthoredKind } from './authored-kind.js';
import {
  definedFields,
  entityName,
  idTypeSchema,
  jsonObject,
  metadataFields,
  patchSchemaOf,
  saltSchema,
  systemCondition,
} from './rules.js';

/**
 * A layer: a set of parameters with default values, shared by mutually exclusive experiments.
 * Users hash into 1,000 slots with the layer's salt; each running experiment owns some slots
 * (its allocation), so a user is in at most one of the layer's experiments. Compiles, as
 * Statsig's console does, into a `layer_configs` spec whose rules delegate each experiment's
 * slots to it (`configDelegate`).
 */

export const LAYER_SLOTS = 1000;

export const layerInputSchema = z.object({
  name: entityName,
  ...metadataFields,
  idType: idTypeSchema.default('userID'),
  /** Salt of the layer's slots; the server makes one when absent (config as code gives an exported one back). */
  salt: saltSchema.optional(),
  /** The layer's parameters and the value of each outside any experiment. */
  defaultValue: jsonObject.default({}),
});
export const layerPatchSchema = patchSchemaOf(layerInputSchema.omit({ name: true }));
export const storedLayerSchema = layerInputSchema.extend({
  salt: z.string(),
  /** experiment name -> the slots (0-999) it owns, in the order they were given to it. */
  allocations: z.record(z.string(), z.array(z.number().int())),
});

/** What a layer needs of the experiments in it (experiment.ts imports this module). */
interface LayerMember {
  name: string;
  layer: string | null;
  status: string;
  groups: { parameters: Record<string, unknown> }[];
}

export type LayerInput = z.infer<typeof layerInputSchema>;
export type LayerPatch = z.infer<typeof layerPatchSchema>;
export type StoredLayer = z.infer<typeof storedLayerSchema>;

export const layerKind: AuthoredKind<StoredLayer> = {
  kind: 'layer',
  path: 'layers',
  namespace: 'layer_configs',
  specName: (name) => name,
  input: layerInputSchema,
  patch: layerPatchSchema,
  stored: storedLayerSchema,
  hasRules: false,
  actions: [],
  create: (input: LayerInput) => ({ ...input, salt: input.salt ?? randomUUID(), allocations: {} }),
  // The layer's parameters must keep covering what its experiments set.
  validate: async (next, writer) => {
    for (const experiment of await writer.list<LayerMember>('experiment')) {
      const { data } = experiment;
      if (data.layer !== next.name || data.status === 'stopped' || data.status === 'shipped') continue;
      const used = data.groups.flatMap((group) => Object.keys(group.parameters));
      const dropped = used.find((parameter) => !(parameter in next.defaultValue));
      if (dropped !== undefined) {
        throw new ConflictError(
          'layer_parameter_in_use',
          `experiment "${data.name}" sets "${dropped}"; it must stay a parameter of layer "${next.name}"`,
          { field: `defaultValue.${dropped}` },
        );
      }
    }
  },
  update: (current, patch: LayerPatch) => {
    const running = Object.keys(current.allocations);
    for (const [field, label] of [
      ['idType', 'unit type'],
      ['salt', 'salt'],
    ] as const) {
      if (patch[field] !== undefined && patch[field] !== current[field] && running.length > 0) {
        throw new ConflictError(
          'layer_in_use',
          `the ${label} of layer "${current.name}" cannot change while experiments run in it: ${running.join(', ')}`,
          { field },
        );
      }
    }
    return { ...current, ...definedFields(patch) };
  },
};

/**
 * Gives `experiment` `count` slots: the ones it has first (so raising an allocation keeps
 * everyone in), then free slots in an order fixed by `seed`, so allocations do not cluster.
 */
export function allocateSlots(layer: StoredLayer, experiment: string, count: number, seed: string): number[] {
  const own = layer.allocations[experiment] ?? [];
  if (count <= own.length) return own.slice(0, count);
  const taken = new Set(
    Object.entries(layer.allocations).flatMap(([name, slots]) => (name === experiment ? [] : slots)),
  );
  const owned = new Set(own);
  const free = Array.from({ length: LAYER_SLOTS }, (_, slot) => slot)
    .filter((slot) => !taken.has(slot) && !owned.has(slot))
    .map((slot) => ({ slot, order: createHash('sha256').update(`${seed}.${slot}`).digest().readUInt32BE(0) }))
    .sort((a, b) => a.order - b.order || a.slot - b.slot)
    .map(({ slot }) => slot);
  if (own.length + free.length < count) {
    throw new ConflictError(
      'layer_full',
      `layer "${layer.name}" has ${free.length + own.length} of ${LAYER_SLOTS} slots free for "${experiment}", which needs ${count}`,
      { field: 'allocationPercent', available: ((free.length + own.length) * 100) / LAYER_SLOTS },
    );
  }
  return [...own, ...free.slice(0, count - own.length)];
}

export function compileLayer(layer: StoredLayer, runningExperiments: ReadonlySet<string>): Spec {
  return {
    name: layer.name,
    type: 'dynamic_config',
    entity: 'layer',
    salt: layer.salt,
    enabled: true,
    defaultValue: layer.defaultValue,
    idType: layer.idType,
    rules: Object.entries(layer.allocations)
      .filter(([experiment]) => runningExperiments.has(experiment))
      .map(([experiment, slots]) => ({
        name: experiment,
        id: 'experimentAssignment',
        salt: '',
        passPercentage: 100,
        conditions: [
          systemCondition(
            'user_bucket',
            'any',
            [...slots].sort((a, b) => a - b),
            layer.idType,
            {
              salt: layer.salt,
            },
          ),
        ],
        returnValue: layer.defaultValue,
        idType: layer.idType,
        configDelegate: experiment,
      })),
  };
}
