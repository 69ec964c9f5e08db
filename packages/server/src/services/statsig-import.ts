import type { Spec } from '@switchyard/core';
import { AUTHORED_KINDS } from '../domain/kinds.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import type { EntityStore } from '../store/entity-store.js';
import type { Actor } from './authoring-service.js';

/** Specs imported from Statsig, kept verbatim (salts and rule ids) per environment. */
export const IMPORTED_SPEC_KIND = 'statsig_spec';

export const SPEC_NAMESPACES = ['feature_gates', 'dynamic_configs', 'layer_configs'] as const;
export type SpecNamespace = (typeof SPEC_NAMESPACES)[number];

export interface ImportedSpec {
  environment: string;
  namespace: SpecNamespace;
  spec: Spec;
}

/** One stored object per environment, namespace and name (the three namespaces are separate in a DCS). */
export function importedSpecKey(environment: string, namespace: SpecNamespace, name: string): string {
  return `${environment}/${namespace}/${name}`;
}

/** The parts of an `importedSpecKey` (environments and namespaces hold no `/`; names may). */
export function parseImportedSpecKey(key: string): { environment: string; namespace: string; name: string } {
  const [environment = '', namespace = '', ...name] = key.split('/');
  return { environment, namespace, name: name.join('/') };
}

export interface ImportOutcome {
  environment: string;
  created: string[];
  updated: string[];
  unchanged: number;
}

/**
 * Imports a Statsig download_config_specs payload into an environment. Every gate, segment,
 * holdout, config, experiment, autotune and layer is stored as Statsig compiled it, so the
 * salts and rule ids that place users in buckets are kept: users stay in their cohorts.
 * Importing again updates what changed (new, audited versions) and leaves the rest alone.
 */
export async function importStatsigSpecs(
  entities: EntityStore,
  environment: string,
  payload: Record<SpecNamespace, Spec[]>,
  by: Actor,
): Promise<ImportOutcome> {
  const items: { name: string; data: ImportedSpec }[] = [];
  for (const namespace of SPEC_NAMESPACES) {
    const seen = new Set<string>();
    payload[namespace].forEach((spec, index) => {
      if (seen.has(spec.name)) {
        throw new InvalidInputError('duplicate_spec', `${namespace} lists "${spec.name}" twice`, {
          field: `body.${namespace}.${index}.name`,
        });
      }
      seen.add(spec.name);
      items.push({
        name: importedSpecKey(environment, namespace, spec.name),
        data: { environment, namespace, spec },
      });
    });
  }
  const clashes: string[] = [];
  for (const kind of AUTHORED_KINDS) {
    if (kind.namespace === null) continue;
    const authored = new Set((await entities.list(kind.kind)).map((record) => kind.specName(record.name)));
    clashes.push(
      ...payload[kind.namespace].filter((spec) => authored.has(spec.name)).map((spec) => spec.name),
    );
  }
  if (clashes.length > 0) {
    throw new ConflictError(
      'name_taken',
      `objects authored in Switchyard already use these names: ${clashes.join(', ')}`,
      { names: clashes },
    );
  }
  const outcome = await entities.upsertMany(IMPORTED_SPEC_KIND, items, {
    actor: by.actor,
    reason: by.reason ?? 'Statsig import',
  });
  const display = (key: string) => key.slice(environment.length + 1);
  return {
    environment,
    created: outcome.created.map(display),
    updated: outcome.updated.map(display),
    unchanged: outcome.unchanged.length,
  };
}

/**
 * The kill switch for an imported spec (a gate, config, experiment or layer): it keeps its
 * salts and rules and evaluates to its default with rule "disabled" while off.
 */
export async function setImportedSpecEnabled(
  entities: EntityStore,
  environment: string,
  namespace: SpecNamespace,
  name: string,
  enabled: boolean,
  by: Actor,
) {
  const key = importedSpecKey(environment, namespace, name);
  if (!(await entities.get(IMPORTED_SPEC_KIND, key))) {
    throw new NotFoundError('not_found', `no imported ${namespace} spec "${name}" in ${environment}`, {
      name,
    });
  }
  return entities.update<ImportedSpec>(
    IMPORTED_SPEC_KIND,
    key,
    undefined,
    (current) => ({ ...current, spec: { ...current.spec, enabled } }),
    { actor: by.actor, reason: by.reason ?? null, action: enabled ? 'enable' : 'disable' },
  );
}

/** An imported spec's versions, newest first (404 if it was never imported). */
export async function importedSpecHistory(
  entities: EntityStore,
  environment: string,
  namespace: SpecNamespace,
  name: string,
) {
  const key = importedSpecKey(environment, namespace, name);
  const versions = await entities.history<ImportedSpec>(IMPORTED_SPEC_KIND, key);
  if (versions.length === 0) {
    throw new NotFoundError('not_found', `no imported ${namespace} spec "${name}" in ${environment}`, {
      name,
    });
  }
  return versions;
}

/** Makes `version` of an imported spec current again, as a new audited version. */
export async function revertImportedSpec(
  entities: EntityStore,
  environment: string,
  namespace: SpecNamespace,
  name: string,
  version: number,
  by: Actor,
) {
  const target = (await importedSpecHistory(entities, environment, namespace, name)).find(
    (entry) => entry.version === version,
  );
  if (!target) throw new NotFoundError('not_found', `"${name}" has no version ${version}`, { version });
  return entities.update<ImportedSpec>(
    IMPORTED_SPEC_KIND,
    importedSpecKey(environment, namespace, name),
    undefined,
    () => target.data,
    { actor: by.actor, reason: by.reason ?? null, action: `revert:${version}` },
  );
}
