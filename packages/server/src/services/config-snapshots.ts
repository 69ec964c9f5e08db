import type { ConfigSpecs, IdListSource, Spec } from '@switchyard/core';
import { compileAuthored } from '../domain/compile.js';
import { AUTHORED_KINDS } from '../domain/kinds.js';
import type { EntityStore } from '../store/entity-store.js';
import type { IdListMembers } from '../store/id-list-members.js';
import { IMPORTED_SPEC_KIND, type ImportedSpec } from './statsig-import.js';

export interface Snapshot {
  revision: number;
  /** The DCS `time`: when the configuration last changed (ms). */
  time: number;
  specs: ConfigSpecs;
  /** `specs` serialised once, served as is to every SDK. */
  json: string;
  /**
   * The ID lists' entries for `in_segment_list`: a live view shared by every snapshot, brought
   * up to date before each snapshot is built (absent: no lists).
   */
  idLists?: IdListSource;
}

/** Where SDK routes get snapshots: `ConfigSnapshots`, or a fixed source in tests. */
export type SnapshotSource = Pick<ConfigSnapshots, 'current'>;

/** layer name -> the experiments its rules delegate to, as Statsig's DCS `layers` lists them. */
function layerMembers(layers: Spec[]): Record<string, string[]> {
  return Object.fromEntries(
    layers.map((layer) => [
      layer.name,
      [
        ...new Set(
          layer.rules.flatMap((rule) =>
            typeof rule.configDelegate === 'string' ? [rule.configDelegate] : [],
          ),
        ),
      ],
    ]),
  );
}

/**
 * The compiled configuration per environment, rebuilt when the stored revision moves. Every
 * instance reads the revision from the database, so several instances on one Postgres serve
 * the same revision.
 */
export class ConfigSnapshots {
  private readonly cache = new Map<string, Snapshot>();

  constructor(
    private readonly entities: EntityStore,
    private readonly idLists?: IdListMembers,
  ) {}

  async current(environment: string): Promise<Snapshot> {
    const { revision, changedAt } = await this.entities.revision();
    const cached = this.cache.get(environment);
    if (cached && cached.revision === revision) return cached;
    // ID-list changes bump the revision too: catch up with them before evaluating anything.
    await this.idLists?.sync();
    const snapshot = await this.build(environment, revision, changedAt);
    this.cache.set(environment, snapshot);
    return snapshot;
  }

  private async build(environment: string, revision: number, changedAt: number): Promise<Snapshot> {
    const authored = compileAuthored(
      Object.fromEntries(
        await Promise.all(
          AUTHORED_KINDS.filter((kind) => kind.namespace !== null).map(async (kind) => [
            kind.kind,
            (await this.entities.list(kind.kind)).map((record) => record.data),
          ]),
        ),
      ),
      environment,
    );
    const imported = (await this.entities.list<ImportedSpec>(IMPORTED_SPEC_KIND))
      .map((record) => record.data)
      .filter((entry) => entry.environment === environment);
    const importedIn = (namespace: ImportedSpec['namespace']) =>
      imported.filter((entry) => entry.namespace === namespace).map((entry) => entry.spec);
    const layerConfigs = [...authored.layer_configs, ...importedIn('layer_configs')];
    const specs: ConfigSpecs = {
      has_updates: true,
      // statsig-node treats a missing or zero time as "never synced"; an empty store still gets one.
      time: Math.max(changedAt, 1),
      feature_gates: [...authored.feature_gates, ...importedIn('feature_gates')],
      dynamic_configs: [...authored.dynamic_configs, ...importedIn('dynamic_configs')],
      layer_configs: layerConfigs,
      layers: layerMembers(layerConfigs),
      // As Statsig's DCS: the lists that exist (SDKs fetch them through get_id_lists).
      id_lists: Object.fromEntries((this.idLists?.names() ?? []).map((name) => [name, true])),
      sdk_flags: {},
      sdk_configs: {},
    };
    return {
      revision,
      time: specs.time as number,
      specs,
      json: JSON.stringify(specs),
      ...(this.idLists && { idLists: this.idLists }),
    };
  }
}
