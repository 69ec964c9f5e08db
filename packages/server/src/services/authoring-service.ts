import type { AuthoredKind } from '../domain/authored-kind.js';
import { resaltRule, type StoredRule } from '../domain/rules.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import type { Principal } from '../http/principal.js';
import type { ChangeContext, EntityRecord, EntityStore, EntityWriter } from '../store/entity-store.js';
import { type EnvironmentGuard, OFF_SWITCH_ACTIONS } from './environment-guard.js';
import { IMPORTED_SPEC_KIND, parseImportedSpecKey } from './statsig-import.js';

export interface Actor {
  /** Who is changing things, e.g. `key:<id>`; never a secret. */
  actor: string;
  reason?: string | null;
  /** The person or key behind an API request; absent for the server's own jobs. */
  principal?: Principal;
  /** The change was approved by a second person (a change request being applied). */
  approved?: boolean;
}

/**
 * Create, read, change, act on, list the history of and revert the objects of one authored
 * kind. Every write is one transaction: the object's new version, its audit entry, the kind's
 * cross-object checks and any objects kept in step with it commit together or not at all.
 */
export class AuthoringService<Stored extends { name: string }> {
  constructor(
    private readonly entities: EntityStore,
    readonly kind: AuthoredKind<Stored>,
    /** Every authored kind, to keep names unique within each DCS namespace. */
    private readonly allKinds: readonly AuthoredKind[],
    private readonly clock: () => number = Date.now,
    /** Protected environments: who may change them directly (none when absent). */
    private readonly guard?: EnvironmentGuard,
  ) {}

  list(): Promise<EntityRecord<Stored>[]> {
    return this.entities.list<Stored>(this.kind.kind);
  }

  async get(name: string): Promise<EntityRecord<Stored>> {
    const record = await this.entities.get<Stored>(this.kind.kind, name);
    if (!record) throw new NotFoundError('not_found', `${this.kind.kind} "${name}" does not exist`, { name });
    return record;
  }

  async create(input: { name: string }, by: Actor): Promise<EntityRecord<Stored>> {
    const check = await this.guard?.prepare(by.principal, by.approved ?? false);
    return this.entities.write(async (writer) => {
      await this.checkNameFree(writer, input.name);
      const data = this.kind.create(input as never, this.clock());
      check?.(this.kind.kind, undefined, data, 'create');
      const record = await writer.create(this.kind.kind, input.name, data, change(by, 'create'));
      await this.afterWrite(writer, record.data, undefined, change(by, 'create'));
      return record;
    });
  }

  update(name: string, patch: object, expectedVersion: number | undefined, by: Actor) {
    return this.change(name, expectedVersion, by, 'update', (current) =>
      this.kind.update(current, patch as never, this.clock()),
    );
  }

  /** Runs one of the kind's actions (`disable`, `start`, `ship`...). */
  act(
    name: string,
    actionName: string,
    body: Record<string, unknown>,
    by: Actor,
    /** Refuse (409) unless the object is still at this version: a job acting on what it read. */
    expectedVersion?: number,
  ) {
    const action = this.kind.actions.find((candidate) => candidate.name === actionName);
    if (!action) throw new NotFoundError('not_found', `${this.kind.kind}s have no action "${actionName}"`);
    return this.change(name, expectedVersion, by, actionName, (current) =>
      action.apply(current, body, this.clock()),
    );
  }

  /** A deliberate reshuffle: the rule gets a new salt, so a new set of users falls in its percentage. */
  resalt(name: string, ruleId: string, by: Actor) {
    return this.change(name, undefined, by, 'resalt', (current) => {
      const rules = resaltRule((current as unknown as { rules: StoredRule[] }).rules ?? [], ruleId);
      if (!rules) {
        throw new NotFoundError(
          'not_found',
          `rule "${ruleId}" does not exist on ${this.kind.kind} "${name}"`,
          {
            ruleId,
          },
        );
      }
      return { ...current, rules };
    });
  }

  async history(name: string) {
    await this.get(name);
    return this.entities.history<Stored>(this.kind.kind, name);
  }

  /** Makes `version`'s content current again, as a new version. */
  async revert(name: string, version: number, by: Actor, expectedVersion?: number) {
    const target = (await this.history(name)).find((entry) => entry.version === version);
    if (!target) {
      throw new NotFoundError('not_found', `${this.kind.kind} "${name}" has no version ${version}`, {
        version,
      });
    }
    return this.change(name, expectedVersion, by, `revert:${version}`, () => target.data);
  }

  private async change(
    name: string,
    expectedVersion: number | undefined,
    by: Actor,
    action: string,
    next: (current: Stored) => Stored,
  ): Promise<EntityRecord<Stored>> {
    const offSwitchSafe =
      this.kind.kind === 'gate' && OFF_SWITCH_ACTIONS.has(action) && !(await this.referredToByOthers(name));
    const check = await this.guard?.prepare(by.principal, by.approved ?? false, offSwitchSafe);
    return this.entities.write(async (writer) => {
      let previous: Stored | undefined;
      const record = await writer.update<Stored>(
        this.kind.kind,
        name,
        expectedVersion,
        (current) => {
          previous = current;
          const after = next(current);
          check?.(this.kind.kind, current, after, action);
          return after;
        },
        change(by, action),
      );
      await this.afterWrite(writer, record.data, previous, change(by, action));
      return record;
    });
  }

  /** Whether any authored object names this one (a `pass_gate`/`fail_gate` condition, a targeting gate...). */
  private async referredToByOthers(name: string): Promise<boolean> {
    const specName = this.kind.specName(name);
    for (const kind of this.allKinds) {
      if (!kind.references) continue;
      for (const record of await this.entities.list<{ name: string }>(kind.kind)) {
        if (kind.references(record.data).some((reference) => reference.name === specName)) return true;
      }
    }
    return false;
  }

  private async afterWrite(
    writer: EntityWriter,
    next: Stored,
    previous: Stored | undefined,
    context: ChangeContext,
  ) {
    await this.checkReferences(writer, next);
    await this.kind.validate?.(next, writer);
    await this.kind.afterWrite?.(next, previous, writer, context);
  }

  /** Every gate the object names exists: authored, a segment, or imported in some environment. */
  private async checkReferences(writer: EntityWriter, next: Stored) {
    const references = this.kind.references?.(next) ?? [];
    if (references.length === 0) return;
    const known = new Set<string>();
    for (const kind of this.allKinds.filter((candidate) => candidate.namespace === 'feature_gates')) {
      for (const name of await writer.names(kind.kind)) known.add(kind.specName(name));
    }
    for (const key of (await writer.names(IMPORTED_SPEC_KIND)).map(parseImportedSpecKey)) {
      if (key.namespace === 'feature_gates') known.add(key.name);
    }
    const missing = references.find((reference) => !known.has(reference.name));
    if (missing) {
      throw new InvalidInputError('unknown_gate', `no gate or segment is named "${missing.name}"`, {
        field: missing.field,
      });
    }
  }

  /** A DCS namespace holds one spec per name: a config and an experiment cannot share one. */
  private async checkNameFree(writer: EntityWriter, name: string) {
    if (this.kind.namespace === null) return;
    const specName = this.kind.specName(name);
    for (const other of this.allKinds) {
      if (other === this.kind || other.namespace !== this.kind.namespace || other.specName(name) !== specName)
        continue;
      if (await writer.get(other.kind, name)) {
        throw new ConflictError('name_taken', `a ${other.kind} is already named "${name}"`, {
          field: 'name',
        });
      }
    }
    const imported = (await writer.names(IMPORTED_SPEC_KIND))
      .map(parseImportedSpecKey)
      .find((key) => key.namespace === this.kind.namespace && key.name === specName);
    if (imported) {
      throw new ConflictError(
        'name_taken',
        `"${specName}" was imported from Statsig into ${imported.environment}`,
        {
          field: 'name',
        },
      );
    }
  }
}

function change(by: Actor, action: string): ChangeContext {
  return { actor: by.actor, reason: by.reason ?? null, action };
}
