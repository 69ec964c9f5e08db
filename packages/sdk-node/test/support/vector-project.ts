import { loadVectorFiles } from '@switchyard/conformance';
import type { TestServer } from './test-server.js';

const NAMESPACES = ['feature_gates', 'dynamic_configs', 'layer_configs'] as const;

type Spec = { name: string; salt?: unknown; enabled?: unknown; rules?: unknown };

/** The shape the server's Statsig import accepts (some vectors probe malformed specs on purpose). */
function importable(spec: Spec): boolean {
  return (
    typeof spec.salt === 'string' &&
    typeof spec.enabled === 'boolean' &&
    Array.isArray(spec.rules) &&
    spec.rules.every(
      (rule: { id?: unknown; passPercentage?: unknown }) =>
        typeof rule.id === 'string' && typeof rule.passPercentage === 'number',
    )
  );
}

/**
 * The gates, experiments and layers of the conformance vectors (holdouts, segments, nested
 * gates, layer delegation) imported into a server as Statsig specs, so exposures of every kind
 * can be produced against real specs with known answers. Returns the vector cases kept.
 */
export async function importVectorProject(server: TestServer) {
  const files = loadVectorFiles().filter((file) =>
    ['06-gates-exposures', '07-experiments-layers'].includes(file.name),
  );
  const dcs: Record<(typeof NAMESPACES)[number], Spec[]> = {
    feature_gates: [],
    dynamic_configs: [],
    layer_configs: [],
  };
  for (const file of files) {
    for (const namespace of NAMESPACES) {
      dcs[namespace].push(...((file.specs?.[namespace] as Spec[] | undefined) ?? []).filter(importable));
    }
  }
  await server.api('POST', '/import/statsig', dcs);
  const names = new Set(NAMESPACES.flatMap((namespace) => dcs[namespace].map((spec) => spec.name)));
  return files
    .flatMap((file) => file.cases ?? [])
    .filter((testCase) => names.has(testCase.entity.name) && !testCase.options);
}
