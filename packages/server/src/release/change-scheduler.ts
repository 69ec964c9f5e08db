import type { FastifyBaseLogger } from 'fastify';
import { DomainError, InvalidInputError, NotFoundError } from '../errors.js';
import type { AuthoringService } from '../services/authoring-service.js';
import type { ScheduledChange, ScheduledChangeStore } from '../store/scheduled-change-store.js';

export interface ChangeSchedulerOptions {
  clock?: () => number;
  /** How often due changes are looked for (ms); 0: only on `runDue()`. */
  intervalMs?: number;
  log?: Pick<FastifyBaseLogger, 'warn' | 'info'>;
}

/** A change still `running` this long after it was claimed was interrupted by a stop. */
const INTERRUPTED_AFTER_MS = 5 * 60_000;

/**
 * Makes scheduled changes when they are due: any action of an authored kind (a release
 * stage, a kill switch, an experiment start), through the same service and audit as a person's
 * request. Stored, so a schedule survives restarts; claimed before it runs, so it fires once.
 */
export class ChangeScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ScheduledChange[]> | undefined;
  private readonly clock: () => number;

  constructor(
    private readonly store: ScheduledChangeStore,
    private readonly services: ReadonlyMap<string, AuthoringService<{ name: string }>>,
    private readonly options: ChangeSchedulerOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** Checks that `action` exists for `kind` and its body is valid, before it is stored. */
  validate(kind: string, action: string, body: Record<string, unknown>): Record<string, unknown> {
    const service = this.services.get(kind);
    if (!service) {
      throw new InvalidInputError('unknown_kind', `nothing of kind "${kind}" can be scheduled`, {
        field: 'kind',
        kinds: [...this.services.keys()],
      });
    }
    const known = service.kind.actions.find((candidate) => candidate.name === action);
    if (!known) {
      throw new InvalidInputError('unknown_action', `${kind}s have no action "${action}"`, {
        field: 'action',
        actions: service.kind.actions.map((candidate) => candidate.name),
      });
    }
    if (!known.body) return {};
    const parsed = known.body.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidInputError('invalid_body', issue?.message ?? 'invalid body', {
        field: ['body', ...(issue?.path ?? [])].join('.'),
      });
    }
    return parsed.data as Record<string, unknown>;
  }

  serviceOf(kind: string): AuthoringService<{ name: string }> {
    const service = this.services.get(kind);
    if (!service) throw new InvalidInputError('unknown_kind', `nothing of kind "${kind}" can be scheduled`);
    return service;
  }

  async start(): Promise<void> {
    await this.store.abandonRunning(this.clock() - INTERRUPTED_AFTER_MS);
    const interval = this.options.intervalMs ?? 5_000;
    if (interval <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.runDue().catch((error) => this.options.log?.warn({ err: error }, 'scheduled changes failed'));
    }, interval);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }

  /** Makes every change due now; returns them as they ended. One run at a time. */
  runDue(): Promise<ScheduledChange[]> {
    this.running ??= this.fireDue().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async fireDue(): Promise<ScheduledChange[]> {
    const fired: ScheduledChange[] = [];
    for (const change of await this.store.due(this.clock())) {
      if (!(await this.store.claim(change.id, 'running', this.clock()))) continue;
      const service = this.services.get(change.kind);
      let status: 'done' | 'failed';
      let outcome: unknown;
      try {
        if (!service) throw new NotFoundError('unknown_kind', `no service for ${change.kind}`);
        const record = await service.act(change.name, change.action, change.body, {
          actor: `schedule:${change.id}`,
          reason: change.reason ?? `scheduled by ${change.createdBy}`,
        });
        status = 'done';
        outcome = { version: record.version };
      } catch (error) {
        status = 'failed';
        outcome =
          error instanceof DomainError
            ? { error: error.code, message: error.message }
            : { error: 'internal', message: String(error) };
        this.options.log?.warn({ err: error, id: change.id }, 'a scheduled change failed');
      }
      await this.store.finish(change.id, status, outcome);
      fired.push({ ...change, status, outcome, firedAt: this.clock() });
    }
    return fired;
  }
}
