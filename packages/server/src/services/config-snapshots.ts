import type { ConfigSpecs } from '@switchyard/core';
import { compileGate } from '../domain/compile-gate.js';
import type { StoredGate } from '../domain/gate.js';
import type { EntityStore } from '../store/entity-store.js';
import { GATE_KIND } from './gate-service.js';

export interface Snapshot {
  revision: number;
  /** The DCS `time`: when the configuration last changed (ms). */
  time: number;
  specs: ConfigSpecs;
  /** `specs` serialised once, served as is to every SDK. */
  json: string;
}

/**
 * The compiled configuration per environment, rebuilt when the stored revision moves. Every
 * instance reads the revision from the database, so several instances on one Postgres serve
 * the same revision.
 */
export class ConfigSnapshots {
  private readonly cache = new Map<string, Snapshot>();

  constructor(private readonly entities: EntityStore) {}

  async current(environment: string): Promise<Snapshot> {
    const { revision, changedAt } = await this.entities.revision();
    const cached = this.cache.get(environment);
    if (cached && cached.revision === revision) return cached;
    const gates = await this.entities.list<StoredGate>(GATE_KIND);
    const specs: ConfigSpecs = {
      has_updates: true,
      // statsig-node treats a missing or zero time as "never synced"; an empty store still gets one.
      time: Math.max(changedAt, 1),
      feature_gates: gates.map((record) => compileGate(record.data, environment)),
      dynamic_configs: [],
      layer_configs: [],
      layers: {},
      id_lists: {},
      sdk_flags: {},
      sdk_configs: {},
    };
    const snapshot = { revision, time: specs.time as number, specs, json: JSON.stringify(specs) };
    this.cache.set(environment, snapshot);
    return snapshot;
  }
}
