import type { Kysely } from 'kysely';
import { environmentsChanged } from '../domain/environment-impact.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { Principal } from '../http/principal.js';
import type { EntityStore } from '../store/entity-store.js';
import type { Database } from '../store/schema.js';
import { type Role, roleAtLeast } from '../store/user-store.js';

export interface EnvironmentPolicy {
  environment: string;
  /** The least role that may change what this environment's SDKs see. */
  minRole: Extract<Role, 'editor' | 'admin'>;
  /** Changes need a change request approved by a second person. */
  requireApproval: boolean;
}

/**
 * Actions that turn a gate off or back: a kill switch at 3 a.m. must not wait for a reviewer.
 * Only for a gate nothing else refers to (a gate named in another's `fail_gate` turns that one
 * on when it goes off), and never for configs (their default may be the "on" value). They
 * still need the environment's role.
 */
export const OFF_SWITCH_ACTIONS = new Set(['disable', 'rollback', 'pause-release']);

/** Checks one change inside its transaction: throws if the principal may not make it directly. */
export type ChangeCheck = (kind: string, before: unknown, after: unknown, action: string) => void;

/**
 * Protected environments: who may change them, and whether a second person must approve. The
 * policies are read before a write's transaction (SQLite has one connection) and the change is
 * checked inside it, on the exact before and after of the object.
 */
export class EnvironmentGuard {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly entities: EntityStore,
    private readonly clock: () => number = Date.now,
  ) {}

  async policies(): Promise<EnvironmentPolicy[]> {
    const rows = await this.db
      .selectFrom('environment_policies')
      .selectAll()
      .orderBy('environment')
      .execute();
    return rows.map((row) => ({
      environment: row.environment,
      minRole: row.min_role,
      requireApproval: Boolean(row.require_approval),
    }));
  }

  async setPolicy(policy: EnvironmentPolicy, actor: string): Promise<EnvironmentPolicy> {
    const known = await this.db
      .selectFrom('environments')
      .select('name')
      .where('name', '=', policy.environment)
      .executeTakeFirst();
    if (!known) {
      throw new NotFoundError('not_found', `environment "${policy.environment}" does not exist`, {
        field: 'params.name',
      });
    }
    const before = (await this.policies()).find((p) => p.environment === policy.environment) ?? null;
    await this.db.transaction().execute(async (tx) => {
      const values = {
        min_role: policy.minRole,
        require_approval: policy.requireApproval ? 1 : 0,
      };
      await tx
        .insertInto('environment_policies')
        .values({ environment: policy.environment, ...values })
        .onConflict((oc) => oc.column('environment').doUpdateSet(values))
        .execute();
      await this.entities.appendAudit(
        {
          kind: 'environment_policy',
          name: policy.environment,
          before,
          after: policy,
          change: { actor, action: 'set-policy' },
          now: this.clock(),
        },
        tx,
      );
    });
    return policy;
  }

  /**
   * For changes that cannot be checked object by object (imports into an environment, changes
   * scheduled to run later with no one watching): the principal must hold each environment's
   * role, and where approval is required, be an admin (a scheduled change is reviewed when it is
   * scheduled, by whoever may bypass review).
   */
  async assertMayChangeUnattended(principal: Principal | undefined, environments?: readonly string[]) {
    if (!principal) return;
    for (const policy of await this.policies()) {
      if (environments && !environments.includes(policy.environment)) continue;
      const needed: Role = policy.requireApproval ? 'admin' : policy.minRole;
      if (!roleAtLeast(principal.role, needed)) {
        throw new ForbiddenError(
          'environment_protected',
          `${policy.environment} is protected: this needs the ${needed} role`,
          { environment: policy.environment, needed },
        );
      }
    }
  }

  /**
   * The check for one write by `principal`, or undefined when there is nothing to check:
   * no policies, or no principal (the release monitor and scheduled changes act on what a
   * person already set up and was allowed to).
   */
  async prepare(
    principal: Principal | undefined,
    approved: boolean,
    /** The object is a gate no other object refers to, so turning it off only turns things off. */
    offSwitchSafe = false,
  ): Promise<ChangeCheck | undefined> {
    if (!principal) return undefined;
    const policies = await this.policies();
    if (policies.length === 0) return undefined;
    return (kind, before, after, action) => {
      const touched = new Set(
        environmentsChanged(
          kind,
          before,
          after,
          policies.map((policy) => policy.environment),
        ),
      );
      const affected = policies.filter((policy) => touched.has(policy.environment));
      for (const policy of affected) {
        if (!roleAtLeast(principal.role, policy.minRole)) {
          throw new ForbiddenError(
            'environment_protected',
            `changing what ${policy.environment} serves needs the ${policy.minRole} role`,
            { environment: policy.environment, needed: policy.minRole },
          );
        }
      }
      const needApproval = affected.filter((policy) => policy.requireApproval).map((p) => p.environment);
      if (needApproval.length > 0 && !approved && !(offSwitchSafe && OFF_SWITCH_ACTIONS.has(action))) {
        throw new ForbiddenError(
          'approval_required',
          `changes to ${needApproval.join(', ')} need a second person's approval: send this change to POST /api/v1/change-requests`,
          { environments: needApproval },
        );
      }
    };
  }
}
