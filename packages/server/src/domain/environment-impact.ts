import { compileDynamicConfig, type StoredDynamicConfig } from './dynamic-config.js';
import { compileGate, type StoredGate } from './gate.js';
import { compileSegment, type StoredSegment } from './segment.js';

/**
 * What SDKs of `environment` would get for an authored object, as comparable text; undefined
 * when they get nothing that matters (no object, or a gate or segment that passes no one, which
 * evaluates exactly like a missing one). Experiments and layers are the same in every
 * environment; metrics are seen by no SDK.
 */
function servedIn(kind: string, data: unknown, environment: string): string | undefined {
  if (data === undefined) return undefined;
  switch (kind) {
    case 'gate':
    case 'segment': {
      const spec =
        kind === 'gate'
          ? compileGate(data as StoredGate, environment)
          : compileSegment(data as StoredSegment, environment);
      return spec.enabled && spec.rules.length > 0 ? JSON.stringify(spec) : undefined;
    }
    case 'dynamic_config':
      return JSON.stringify(compileDynamicConfig(data as StoredDynamicConfig, environment));
    case 'experiment':
    case 'layer':
      return JSON.stringify(data);
    default:
      return undefined;
  }
}

/**
 * The environments among `environments` whose SDKs would see a difference after the change
 * from `before` (undefined: a new object) to `after`. A rule limited to `development` changes
 * nothing in `production`, so protecting production does not slow down dogfooding.
 */
export function environmentsChanged(
  kind: string,
  before: unknown,
  after: unknown,
  environments: readonly string[],
): string[] {
  return environments.filter(
    (environment) => servedIn(kind, before, environment) !== servedIn(kind, after, environment),
  );
}
