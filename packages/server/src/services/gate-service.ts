import { randomUUID } from 'node:crypto';
import type { GateInput, GatePatch, StoredGate, StoredRule } from '../domain/gate.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { ChangeContext, EntityRecord, EntityStore } from '../store/entity-store.js';

export const GATE_KIND = 'gate';

export interface Actor {
  /** Who is changing things, e.g. `key:<id>`; never a secret. */
  actor: string;
  reason?: string | null;
}

/** Gives new rules an id and a salt; rules that name an existing id keep their salt. */
function assignRules(rules: GateInput['rules'], existing: StoredRule[]): StoredRule[] {
  const byId = new Map(existing.map((rule) => [rule.id, rule]));
  return rules.map((rule) => {
    const previous = rule.id ? byId.get(rule.id) : undefined;
    if (rule.id && !previous) {
      throw new InvalidInputError(
        'unknown_rule',
        `rule "${rule.id}" does not exist on this gate; omit "id" for a new rule`,
        {
          field: 'rules',
        },
      );
    }
    return {
      id: previous?.id ?? randomUUID(),
      name: rule.name,
      salt: previous?.salt ?? randomUUID(),
      conditions: rule.conditions,
      passPercentage: rule.passPercentage,
      environments: rule.environments,
    };
  });
}

export class GateService {
  constructor(private readonly entities: EntityStore) {}

  list(): Promise<EntityRecord<StoredGate>[]> {
    return this.entities.list<StoredGate>(GATE_KIND);
  }

  async get(name: string): Promise<EntityRecord<StoredGate>> {
    const record = await this.entities.get<StoredGate>(GATE_KIND, name);
    if (!record) throw new NotFoundError('not_found', `gate "${name}" does not exist`, { name });
    return record;
  }

  create(input: GateInput, by: Actor): Promise<EntityRecord<StoredGate>> {
    const gate: StoredGate = {
      name: input.name,
      description: input.description,
      tags: input.tags,
      owner: input.owner,
      enabled: input.enabled,
      idType: input.idType,
      salt: randomUUID(),
      rules: assignRules(input.rules, []),
    };
    return this.entities.create(GATE_KIND, input.name, gate, change(by, 'create'));
  }

  update(name: string, patch: GatePatch, expectedVersion: number | undefined, by: Actor) {
    return this.entities.update<StoredGate>(
      GATE_KIND,
      name,
      expectedVersion,
      (current) => ({
        ...current,
        ...withoutUndefined(patch),
        rules: patch.rules ? assignRules(patch.rules, current.rules) : current.rules,
      }),
      change(by, 'update'),
    );
  }

  /** The kill switch: off (every check returns false with rule "disabled"), or back on. */
  setEnabled(name: string, enabled: boolean, by: Actor) {
    return this.entities.update<StoredGate>(
      GATE_KIND,
      name,
      undefined,
      (current) => ({ ...current, enabled }),
      change(by, enabled ? 'enable' : 'disable'),
    );
  }

  /** A deliberate reshuffle: the rule gets a new salt, so a new set of users falls in its percentage. */
  resalt(name: string, ruleId: string, by: Actor) {
    return this.entities.update<StoredGate>(
      GATE_KIND,
      name,
      undefined,
      (current) => {
        if (!current.rules.some((rule) => rule.id === ruleId)) {
          throw new NotFoundError('not_found', `rule "${ruleId}" does not exist on gate "${name}"`, {
            ruleId,
          });
        }
        return {
          ...current,
          rules: current.rules.map((rule) => (rule.id === ruleId ? { ...rule, salt: randomUUID() } : rule)),
        };
      },
      change(by, 'resalt'),
    );
  }

  history(name: string) {
    return this.entities.history<StoredGate>(GATE_KIND, name);
  }

  /** Makes `version`'s content current again, as a new version. */
  async revert(name: string, version: number, by: Actor) {
    const target = (await this.history(name)).find((entry) => entry.version === version);
    if (!target)
      throw new NotFoundError('not_found', `gate "${name}" has no version ${version}`, { version });
    return this.entities.update<StoredGate>(
      GATE_KIND,
      name,
      undefined,
      () => target.data,
      change(by, `revert:${version}`),
    );
  }
}

function change(by: Actor, action: string): ChangeContext {
  return { actor: by.actor, reason: by.reason ?? null, action };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
