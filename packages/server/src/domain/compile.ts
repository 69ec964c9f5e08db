import type { Spec } from '@switchyard/core';
import { compileDynamicConfig, type StoredDynamicConfig } from './dynamic-config.js';
import { compileExperiment, type StoredExperiment } from './experiment.js';
import { compileGate, type StoredGate } from './gate.js';
import { compileLayer, type StoredLayer } from './layer.js';
import { compileSegment, type StoredSegment } from './segment.js';

/** The authored objects of every kind, by storage kind (`gate`, `segment`...). */
export type AuthoredObjects = Record<string, unknown[]>;

/**
 * Compiles every authored object into the DCS v1 specs of `environment`. Experiments read their
 * layer (slots, salt, defaults); layers delegate only to their running experiments.
 */
export function compileAuthored(
  objects: AuthoredObjects,
  environment: string,
): { feature_gates: Spec[]; dynamic_configs: Spec[]; layer_configs: Spec[] } {
  const of = <T>(kind: string) => (objects[kind] ?? []) as T[];
  const layers = of<StoredLayer>('layer');
  const experiments = of<StoredExperiment>('experiment');
  const layerByName = new Map(layers.map((layer) => [layer.name, layer]));
  const running = new Set(experiments.filter((e) => e.status === 'running').map((e) => e.name));
  return {
    feature_gates: [
      ...of<StoredGate>('gate').map((gate) => compileGate(gate, environment)),
      ...of<StoredSegment>('segment').map((segment) => compileSegment(segment, environment)),
    ],
    dynamic_configs: [
      ...of<StoredDynamicConfig>('dynamic_config').map((config) => compileDynamicConfig(config, environment)),
      ...experiments.map((experiment) =>
        compileExperiment(experiment, experiment.layer ? layerByName.get(experiment.layer) : undefined),
      ),
    ],
    layer_configs: layers.map((layer) => compileLayer(layer, running)),
  };
}
