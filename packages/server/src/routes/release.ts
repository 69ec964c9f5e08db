import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { StoredGate } from '../domain/gate.js';
import { entityName } from '../domain/rules.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import type { ChangeScheduler } from '../release/change-scheduler.js';
import type { GuardrailMonitor } from '../release/guardrail-monitor.js';
import type { AuthoringService } from '../services/authoring-service.js';
import type { EnvironmentGuard } from '../services/environment-guard.js';
import type { EntityStore } from '../store/entity-store.js';
import type { GuardrailCheckStore } from '../store/guardrail-check-store.js';
import type { ScheduledChangeStore } from '../store/scheduled-change-store.js';
import type { ToplineStore } from '../store/topline-store.js';

const SCHEDULED_STATUSES = ['pending', 'running', 'done', 'failed', 'cancelled'] as const;

const scheduledSchema = z.object({
  id: z.number(),
  kind: z.string(),
  name: z.string(),
  action: z.string(),
  body: z.record(z.string(), z.unknown()),
  runAt: z.number(),
  status: z.enum(SCHEDULED_STATUSES),
  createdBy: z.string(),
  createdAt: z.number(),
  reason: z.string().nullable(),
  firedAt: z.number().nullable(),
  outcome: z.unknown(),
});

export interface ReleaseRouteDeps {
  guard: EnvironmentGuard;
  entities: EntityStore;
  gates: AuthoringService<StoredGate>;
  checks: GuardrailCheckStore;
  schedule: ScheduledChangeStore;
  scheduler: ChangeScheduler;
  monitor: GuardrailMonitor;
  topline: ToplineStore;
  clock: () => number;
}

/**
 * Releases in progress (a gate's plan, stage, the monitor's recent looks and what is scheduled),
 * scheduled changes, and a way to run the guardrail monitor now.
 */
export function releaseRoutes(deps: ReleaseRouteDeps): FastifyPluginAsyncZod {
  const { entities, gates, checks, schedule, scheduler, monitor, topline, clock } = deps;
  return async (app) => {
    app.get(
      '/gates/:name/release',
      {
        schema: {
          tags: ['releases'],
          summary:
            "A gate's release: plan, current stage, the guardrail monitor's recent looks, scheduled changes",
          params: z.object({ name: entityName }),
          querystring: z.object({ checks: z.coerce.number().int().min(0).max(1000).default(20) }),
        },
      },
      async (request) => {
        const record = await gates.get(request.params.name);
        const plan = record.data.releasePlan ?? null;
        return {
          gate: record.name,
          version: record.version,
          enabled: record.data.enabled,
          disabledIn: record.data.disabledIn ?? [],
          plan,
          stage: plan ? (plan.stages[plan.current] ?? null) : null,
          checks: await checks.list(record.name, request.query.checks),
          scheduled: await schedule.list({ kind: 'gate', name: record.name, status: 'pending' }),
        };
      },
    );

    app.post(
      '/release-monitor/run',
      {
        schema: {
          tags: ['releases'],
          summary: 'Look at every release now (the monitor also runs by itself, every minute by default)',
        },
      },
      async () => monitor.runOnce(),
    );

    app.get(
      '/topline-alerts',
      {
        schema: {
          tags: ['releases'],
          summary:
            'Guardrail metrics that moved for everyone, newest first, with the change that preceded each',
          querystring: z.object({
            environment: z.string().optional(),
            limit: z.coerce.number().int().min(1).max(500).default(50),
          }),
        },
      },
      async (request) => ({ alerts: await topline.alerts(request.query) }),
    );

    app.get(
      '/scheduled-changes',
      {
        schema: {
          tags: ['releases'],
          summary: 'Scheduled changes, latest run time first',
          querystring: z.object({
            kind: z.string().optional(),
            name: z.string().optional(),
            status: z.enum(SCHEDULED_STATUSES).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          }),
          response: { 200: z.object({ changes: z.array(scheduledSchema) }) },
        },
      },
      async (request) => ({ changes: await schedule.list(request.query) }),
    );

    app.post(
      '/scheduled-changes',
      {
        schema: {
          tags: ['releases'],
          summary: 'Schedule an action (advance a release, a kill switch...) for a time; it fires once',
          body: z.object({
            kind: z.string().min(1).default('gate'),
            name: entityName,
            action: z.string().min(1).max(50),
            body: z.record(z.string(), z.unknown()).default({}),
            /** ISO 8601 time or epoch milliseconds. */
            at: z.union([z.iso.datetime({ offset: true }), z.number().int().min(0)]),
            reason: z.string().max(1000).optional(),
          }),
          response: { 201: scheduledSchema },
        },
      },
      async (request, reply) => {
        const { kind, name, action, body, at, reason } = request.body;
        const runAt = typeof at === 'number' ? at : Date.parse(at);
        if (runAt < clock() - 60_000) {
          throw new InvalidInputError('in_the_past', 'the time is in the past', { field: 'at' });
        }
        await deps.guard.assertMayChangeUnattended(request.principal);
        const checkedBody = scheduler.validate(kind, action, body);
        const service = scheduler.serviceOf(kind);
        await service.get(name);
        const created = await entities.transaction(async (tx, audit) => {
          const change = await schedule.add(
            {
              kind,
              name,
              action,
              body: checkedBody,
              runAt,
              createdBy: request.actor,
              reason: reason ?? null,
            },
            clock(),
            tx,
          );
          await audit({
            kind: 'scheduled_change',
            name: `${kind}:${name}`,
            version: null,
            before: null,
            after: { id: change.id, action, body: checkedBody, runAt },
            change: { actor: request.actor, reason: reason ?? null, action: 'schedule' },
            now: clock(),
          });
          return change;
        });
        return reply.status(201).send(created);
      },
    );

    app.delete(
      '/scheduled-changes/:id',
      {
        schema: {
          tags: ['releases'],
          summary: 'Cancel a scheduled change that has not fired',
          params: z.object({ id: z.coerce.number().int().min(1) }),
          response: { 200: scheduledSchema },
        },
      },
      async (request) => {
        const { id } = request.params;
        const existing = await schedule.get(id);
        if (!existing) throw new NotFoundError('not_found', `no scheduled change ${id}`, { id });
        await entities.transaction(async (tx, audit) => {
          if (!(await schedule.claim(id, 'cancelled', clock(), tx))) {
            throw new ConflictError('not_pending', `scheduled change ${id} is ${existing.status}`, {
              status: existing.status,
            });
          }
          await audit({
            kind: 'scheduled_change',
            name: `${existing.kind}:${existing.name}`,
            version: null,
            before: { id, action: existing.action, body: existing.body, runAt: existing.runAt },
            after: null,
            change: { actor: request.actor, reason: null, action: 'cancel' },
            now: clock(),
          });
        });
        return (await schedule.get(id)) as NonNullable<Awaited<ReturnType<typeof schedule.get>>>;
      },
    );
  };
}
