import type { AuthoredKind } from './authored-kind.js';
import { dynamicConfigKind } from './dynamic-config.js';
import { experimentKind } from './experiment.js';
import { gateKind } from './gate.js';
import { layerKind } from './layer.js';
import { segmentKind } from './segment.js';

/** Every kind people author, each served at `/api/v1/<path>`. */
export const AUTHORED_KINDS: readonly AuthoredKind[] = [
  gateKind,
  segmentKind,
  dynamicConfigKind,
  layerKind,
  experimentKind,
] as unknown as AuthoredKind[];
