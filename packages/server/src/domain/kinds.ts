import type { AuthoredKind } from './authored-kind.js';
import { dynamicConfigKind } from './dynamic-config.js';
import { experimentKind } from './experiment.js';
import { gateKind } from './gate.js';
import { layerKind } from './layer.js';
import { metricKind } from './metric.js';
import { segmentKind } from './segment.js';

/** Every kind people author, each served at `/api/v1/<path>`; those with a namespace reach SDKs. */
export const AUTHORED_KINDS: readonly AuthoredKind[] = [
  gateKind,
  segmentKind,
  dynamicConfigKind,
  layerKind,
  experimentKind,
  metricKind,
] as unknown as AuthoredKind[];
