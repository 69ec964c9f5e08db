import type { z } from 'zod';
import type { AuthoredKind } from '../domain/authored-kind.js';
import { environmentsChanged } from '../domain/environment-impact.js';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.js';
import type { Principal } from '../http/principal.js';
import { actorOf } from '../http/principal.js';
import type { ChangeRequest, ChangeRequestStore } from '../store/change-request-store.js';
import type { EntityStore } from '../store/entity-store.js';
import { roleAtLeast } from '../store/user-store.js';
import type { AuthoringService } from './authoring-service.js';
import type { EnvironmentGuard } from './environment-guard.js';

export interface ChangeRequestInput {
  /** The kind's API path, e.g. `gates`. */
  kind: string;
  name: string;
  operation: string;
  body: Record<string, unknown>;
  expectedVersion?: number;
  reason?: string;
}

type AnyService = AuthoringService<{ name: string }>;

/**
 * Changes that wait for a second person: requested by anyone who may write, approved or
 * rejected by another signed-in person, then applied (by either) exactly as requested, against
 * the version it was requested on when one was given.
 */
export class ChangeRequests {
  private readonly byPath: Map<string, AnyService>;
  private readonly byKind: Map<string, AnyService>;

  constructor(
    services: readonly AnyService[],
    private readonly store: ChangeRequestStore,
    private readonly guard: EnvironmentGuard,
    private readonly entities: EntityStore,
    private readonly clock: () => number = Date.now,
  ) {
    this.byPath = new Map(services.map((service) => [service.kind.path, service]));
    this.byKind = new Map(services.map((service) => [service.kind.kind, service]));
  }

  async request(input: ChangeRequestInput, principal: Principal): Promise<ChangeRequest> {
    const service = this.byPath.get(input.kind);
    if (!service) {
      throw new InvalidInputError('unknown_kind', `no kind is served at /api/v1/${input.kind}`, {
        field: 'body.kind',
      });
    }
    const body = parseBody(service.kind, input.operation, input.body);
    // Always pinned to a version: what the reviewer approves is the change from exactly that
    // version, so nothing slipped in between (e.g. a rule raised while disabled) rides along.
    const expectedVersion =
      input.operation === 'create'
        ? null
        : (input.expectedVersion ?? (await service.get(input.name)).version);
    const created = await this.store.create({
      kind: service.kind.kind,
      name: input.name,
      operation: input.operation,
      body,
      expectedVersion,
      reason: input.reason ?? null,
      requestedBy: actorOf(principal),
      requestedAt: this.clock(),
    });
    await this.audit(created, principal, 'request');
    return created;
  }

  list(status?: ChangeRequest['status']) {
    return this.store.list(status);
  }

  async get(id: number): Promise<ChangeRequest> {
    const found = await this.store.get(id);
    if (!found) throw new NotFoundError('not_found', `no change request #${id}`, { id });
    return found;
  }

  /** The object now and as it would be after the change, and the protected environments it touches. */
  async preview(id: number) {
    const request = await this.get(id);
    const service = this.serviceOf(request);
    const record = request.operation === 'create' ? undefined : await service.get(request.name);
    const current = record?.data;
    const now = this.clock();
    let after: unknown;
    let problem: string | null = null;
    try {
      after = await this.wouldBe(service, request, current, now);
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    if (record && request.expectedVersion !== null && record.version !== request.expectedVersion) {
      problem = `${service.kind.kind} "${request.name}" is at version ${record.version}, not ${request.expectedVersion} as requested: request the change again`;
    }
    const protectedEnvironments = (await this.guard.policies()).map((policy) => policy.environment);
    return {
      before: current ?? null,
      after: after ?? null,
      problem,
      environments:
        after === undefined
          ? []
          : environmentsChanged(service.kind.kind, current, after, protectedEnvironments),
    };
  }

  async approve(id: number, principal: Principal): Promise<ChangeRequest> {
    const request = await this.get(id);
    if (principal.type !== 'user') {
      throw new ForbiddenError(
        'reviewer_must_be_user',
        'a change request is approved by a signed-in person, not a key',
      );
    }
    if (request.requestedBy === actorOf(principal)) {
      throw new ForbiddenError(
        'self_approval',
        'a change request needs a second person: you requested this one',
      );
    }
    const { environments, problem } = await this.preview(id);
    // A change that no longer applies as previewed is not approved: the reviewer would be
    // approving something other than what applying does.
    if (problem) throw new ConflictError('stale_change_request', problem, { id });
    for (const policy of await this.guard.policies()) {
      if (environments.includes(policy.environment) && !roleAtLeast(principal.role, policy.minRole)) {
        throw new ForbiddenError(
          'environment_protected',
          `approving a change to ${policy.environment} needs the ${policy.minRole} role`,
          { environment: policy.environment, needed: policy.minRole },
        );
      }
    }
    return this.move(request, 'pending', 'approved', principal, 'approve');
  }

  async reject(id: number, principal: Principal): Promise<ChangeRequest> {
    return this.move(await this.get(id), 'pending', 'rejected', principal, 'reject');
  }

  /** Applies an approved request as the applier, with the approval standing in for the review. */
  async apply(id: number, principal: Principal) {
    const request = await this.get(id);
    if (!(await this.store.transition(id, 'approved', 'applied', {}))) {
      throw new ConflictError('not_approved', `change request #${id} is ${request.status}, not approved`, {
        id,
      });
    }
    const service = this.serviceOf(request);
    const by = {
      actor: actorOf(principal),
      reason: `change request #${id}${request.reason ? `: ${request.reason}` : ''}`,
      principal,
      approved: true,
    };
    try {
      const record = await this.run(service, request, by);
      await this.store.transition(id, 'applied', 'applied', { appliedVersion: record.version });
      await this.audit(request, principal, 'apply');
      return { changeRequest: await this.get(id), record };
    } catch (error) {
      // Not applied after all (e.g. the object changed since): it may be applied again later.
      await this.store.transition(id, 'applied', 'approved', {});
      throw error;
    }
  }

  private async move(
    request: ChangeRequest,
    from: ChangeRequest['status'],
    to: ChangeRequest['status'],
    principal: Principal,
    action: string,
  ) {
    const moved = await this.store.transition(request.id, from, to, {
      reviewedBy: actorOf(principal),
      reviewedAt: this.clock(),
    });
    if (!moved) {
      throw new ConflictError(
        'not_pending',
        `change request #${request.id} is ${request.status}, not ${from}`,
        {
          id: request.id,
        },
      );
    }
    await this.audit(request, principal, action);
    return this.get(request.id);
  }

  private serviceOf(request: ChangeRequest): AnyService {
    const service = this.byKind.get(request.kind);
    if (!service) throw new NotFoundError('not_found', `no kind "${request.kind}"`);
    return service;
  }

  private async wouldBe(service: AnyService, request: ChangeRequest, current: unknown, now: number) {
    const { kind } = service;
    if (request.operation === 'create')
      return kind.create({ ...request.body, name: request.name } as never, now);
    if (request.operation === 'update') return kind.update(current as never, request.body as never, now);
    if (request.operation === 'revert') {
      const version = (request.body as { version: number }).version;
      const target = (await service.history(request.name)).find((entry) => entry.version === version);
      if (!target)
        throw new NotFoundError('not_found', `${kind.kind} "${request.name}" has no version ${version}`);
      return target.data;
    }
    const action = kind.actions.find((candidate) => `action:${candidate.name}` === request.operation);
    if (!action) throw new NotFoundError('not_found', `no operation "${request.operation}"`);
    return action.apply(current as never, request.body, now);
  }

  private run(service: AnyService, request: ChangeRequest, by: Parameters<AnyService['create']>[1]) {
    const expected = request.expectedVersion ?? undefined;
    if (request.operation === 'create') return service.create({ ...request.body, name: request.name }, by);
    if (request.operation === 'update') return service.update(request.name, request.body, expected, by);
    if (request.operation === 'revert') {
      return service.revert(request.name, (request.body as { version: number }).version, by, expected);
    }
    return service.act(request.name, request.operation.slice('action:'.length), request.body, by, expected);
  }

  private audit(request: ChangeRequest, principal: Principal, action: string) {
    return this.entities.appendAudit({
      kind: 'change_request',
      name: `#${request.id} ${request.kind} ${request.name}`,
      before: null,
      after: { operation: request.operation, body: request.body, expectedVersion: request.expectedVersion },
      change: { actor: actorOf(principal), action, reason: request.reason },
      now: this.clock(),
    });
  }
}

/** Validates the body as the operation's own route would, so a bad request fails now, not at apply. */
function parseBody(kind: AuthoredKind, operation: string, body: Record<string, unknown>) {
  if (operation === 'revert') {
    const version = body.version;
    if (!Number.isInteger(version) || (version as number) < 1) {
      throw new InvalidInputError('invalid_input', 'a revert needs body.version, a version number', {
        field: 'body.body.version',
      });
    }
    return { version };
  }
  let schema: z.ZodType | undefined;
  if (operation === 'create') schema = kind.input.omit({ name: true } as never);
  else if (operation === 'update') schema = kind.patch;
  else {
    const action = kind.actions.find((candidate) => `action:${candidate.name}` === operation);
    if (!action) {
      const known = ['create', 'update', 'revert', ...kind.actions.map((a) => `action:${a.name}`)];
      throw new InvalidInputError('unknown_operation', `operation must be one of ${known.join(', ')}`, {
        field: 'body.operation',
      });
    }
    schema = action.body;
  }
  if (!schema) return {};
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError('invalid_input', issue?.message ?? 'invalid body', {
      field: ['body', 'body', ...(issue?.path ?? [])].join('.'),
    });
  }
  return parsed.data as Record<string, unknown>;
}
