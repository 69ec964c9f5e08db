import { randomUUID } from 'node:crypto';
import {
  type AttemptResult,
  decideAfterAttempt,
  eventBody,
  matchesEvent,
  type NotificationEvent,
  type Notifier,
  type NotifyResult,
  parseRetryAfter,
  type RetryPolicy,
  renderWebhookBody,
  signWebhookBody,
  type WebhookEventBody,
} from '../domain/webhook.js';
import { NotFoundError } from '../errors.js';
import type {
  ClaimedDelivery,
  WebhookDelivery,
  WebhookStore,
  WebhookTarget,
} from '../store/webhook-store.js';

/** Timers the notifier schedules with; tests pass manual ones (with a manual clock) to step through retries. */
export interface NotifierTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers, unref'd: a pending retry never keeps the process alive. */
export const SYSTEM_TIMERS: NotifierTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface WebhookNotifierOptions {
  /** Epoch ms (`Date.now` by default): due times, `createdAt`, signature timestamps. */
  clock?: () => number;
  timers?: NotifierTimers;
  /** Jitter of retry delays, in [0, 1). */
  random?: () => number;
  /** Attempts in flight at once on this instance, at most (4). */
  concurrency?: number;
  /** One attempt's time limit (ms, 5,000), response headers and body included. */
  timeoutMs?: number;
  /** Attempts per delivery, at most (6). */
  maxAttempts?: number;
  /** The first retry's delay (ms, 10,000), doubled for each further one, with jitter. */
  retryBaseMs?: number;
  /** The longest wait between attempts (ms, 15 minutes), a receiver's `Retry-After` included. */
  maxRetryDelayMs?: number;
  /** How often to look for deliveries queued or released by other instances (ms, 5,000). */
  pollIntervalMs?: number;
  /** How long a claimed delivery is held (ms, 60,000): longer than an attempt can take. */
  leaseMs?: number;
  /** Finished deliveries are kept this long (ms, 7 days) for `GET .../deliveries`. */
  retentionMs?: number;
  log?: {
    warn(object: unknown, message: string): void;
    error(object: unknown, message: string): void;
  };
}

const PRUNE_EVERY_MS = 60 * 60 * 1000;
/** The part of a refusing receiver's body kept as the delivery's error. */
const ERROR_BODY_CHARS = 200;

/**
 * Sends notifications to webhooks. `notify` stores one delivery per matching webhook and returns;
 * a background loop claims due deliveries (at most `concurrency` in flight), POSTs them signed,
 * and records each outcome: delivered, tried again later (network errors, timeouts, 408, 429,
 * 5xx; exponential backoff with jitter, or the receiver's `Retry-After`), or failed for good.
 * Deliveries live in the database, so those pending when the server stops are sent after it
 * starts again, and any instance sharing the database may send them (each claim is exclusive).
 */
export class WebhookNotifier implements Notifier {
  private readonly clock: () => number;
  private readonly timers: NotifierTimers;
  private readonly random: () => number;
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly retentionMs: number;
  private readonly policy: RetryPolicy;
  /** This instance's claims: a delivery's outcome is recorded only while its claim holds. */
  private readonly token = randomUUID();
  private readonly inFlight = new Set<Promise<void>>();
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;
  private timer: unknown;
  private started = false;
  private closed = false;
  private lastPrune = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: WebhookStore,
    private readonly options: WebhookNotifierOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.timers = options.timers ?? SYSTEM_TIMERS;
    this.random = options.random ?? Math.random;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 5000;
    this.retentionMs = options.retentionMs ?? 7 * 24 * 60 * 60 * 1000;
    this.policy = {
      maxAttempts: options.maxAttempts ?? 6,
      baseDelayMs: options.retryBaseMs ?? 10_000,
      maxDelayMs: options.maxRetryDelayMs ?? 15 * 60 * 1000,
    };
  }

  /** Starts delivering: what is pending now (e.g. from before a restart), then whatever is queued. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.wake();
  }

  /**
   * Queues the event for every enabled webhook subscribed to its type and resolves once the
   * deliveries are stored; sending happens in the background. Never throws (a failure to store
   * is logged and reported in the result), so callers may await it or not.
   */
  async notify(event: NotificationEvent): Promise<NotifyResult> {
    const eventId = randomUUID();
    try {
      const now = this.clock();
      const body = eventBody(event, eventId, now);
      const json = JSON.stringify(body);
      const targets = (await this.store.enabledTargets()).filter((target) =>
        matchesEvent(target.events, body.type),
      );
      await this.store.enqueue(
        targets.map((target) => ({
          id: randomUUID(),
          webhook: target.name,
          eventId,
          eventType: body.type,
          event: json,
          maxAttempts: this.policy.maxAttempts,
          now,
        })),
      );
      if (targets.length > 0) this.wake();
      return { eventId, deliveries: targets.length };
    } catch (error) {
      this.options.log?.error({ err: error, eventType: event?.type }, 'webhook notification not queued');
      return { eventId, deliveries: 0, error: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * Sends a `webhook.test` event to one webhook now (whatever its event filter, even disabled)
   * and returns the delivery: one attempt, not retried, listed with the webhook's deliveries.
   */
  async sendTest(name: string, actor: string): Promise<WebhookDelivery> {
    const target = await this.store.target(name);
    const now = this.clock();
    const eventId = randomUUID();
    const body = eventBody(
      {
        type: 'webhook.test',
        title: `Test notification for webhook ${name}`,
        text: `This is a test event from Switchyard, sent by **${actor}**. Deliveries to \`${name}\` work.`,
        data: { webhook: name, actor },
      },
      eventId,
      now,
    );
    const claimed = await this.store.enqueueClaimed(
      {
        id: randomUUID(),
        webhook: name,
        eventId,
        eventType: body.type,
        event: JSON.stringify(body),
        maxAttempts: 1,
        now,
      },
      this.token,
      this.leaseMs,
    );
    await this.attempt(claimed, target, true);
    const delivery = await this.store.delivery(claimed.id);
    if (!delivery)
      throw new NotFoundError('not_found', `webhook "${name}" was deleted during the test`, { name });
    return delivery;
  }

  /**
   * Attempts every delivery due now and resolves when none is in flight (retries scheduled for
   * later stay scheduled). For tests and for shutdown paths that want queued work sent first.
   */
  async flush(): Promise<void> {
    // A run already going may have looked before the caller queued: `wake` makes it run again.
    this.wake();
    while (!this.closed && (this.pumping || this.inFlight.size > 0)) {
      await this.pumping;
      await Promise.all(this.inFlight);
    }
  }

  /** Stops claiming deliveries and waits for attempts in flight (each bounded by the timeout). */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    await this.pumping;
    await Promise.all(this.inFlight);
  }

  /** Runs the loop now, or once more after the current run. */
  private wake(): void {
    if (this.closed || !this.started) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = this.pump()
      .catch((error) => {
        this.options.log?.warn({ err: error }, 'webhook delivery loop failed; retrying on the next poll');
        this.schedule(this.pollIntervalMs);
      })
      .finally(() => {
        this.pumping = undefined;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.wake();
        }
      });
  }

  private async pump(): Promise<void> {
    this.clearTimer();
    while (!this.closed) {
      const free = this.concurrency - this.inFlight.size;
      // Full: the next attempt to finish wakes the loop.
      if (free <= 0) return;
      const claimed = await this.store.claimDue(this.clock(), free, this.leaseMs, this.token);
      if (claimed.length > 0) {
        const targets = await this.store.targets([...new Set(claimed.map((delivery) => delivery.webhook))]);
        for (const delivery of claimed) this.track(this.attempt(delivery, targets.get(delivery.webhook)));
      }
      if (claimed.length < free) break;
    }
    if (this.closed) return;
    await this.pruneNow();
    const next = await this.store.nextDueAt();
    const delay = next === undefined ? this.pollIntervalMs : next - this.clock();
    this.schedule(Math.min(Math.max(delay, 0), this.pollIntervalMs));
  }

  private track(attempt: Promise<void>): void {
    const tracked = attempt.finally(() => {
      this.inFlight.delete(tracked);
      this.wake();
    });
    this.inFlight.add(tracked);
  }

  /** One attempt of a claimed delivery, and its outcome recorded. Never throws. */
  private async attempt(
    delivery: ClaimedDelivery,
    target: WebhookTarget | undefined,
    evenIfDisabled = false,
  ): Promise<void> {
    try {
      // Deleted since it was claimed (its deliveries went with it): nothing left to record.
      if (!target) return;
      if (!target.enabled && !evenIfDisabled) {
        const error = 'webhook disabled';
        await this.store.finish(delivery.id, this.token, {
          status: 'failed',
          statusCode: null,
          error,
          now: this.clock(),
        });
        return;
      }
      const result = await this.send(target, delivery);
      const now = this.clock();
      const decision = decideAfterAttempt(
        result,
        delivery.attempt,
        { ...this.policy, maxAttempts: delivery.maxAttempts },
        this.random,
      );
      const recorded = await this.store.finish(
        delivery.id,
        this.token,
        decision.status === 'delivered'
          ? { status: 'delivered', statusCode: result.statusCode ?? 0, now }
          : decision.status === 'failed'
            ? { status: 'failed', statusCode: result.statusCode, error: result.error ?? 'failed', now }
            : {
                status: 'pending',
                statusCode: result.statusCode,
                error: result.error ?? 'failed',
                now,
                nextAttemptAt: now + decision.delayMs,
              },
      );
      if (!recorded) {
        this.options.log?.warn(
          { webhook: target.name, delivery: delivery.id },
          'webhook delivery claim expired before its outcome was recorded',
        );
      } else if (decision.status === 'failed') {
        this.options.log?.warn(
          {
            webhook: target.name,
            eventId: delivery.eventId,
            attempts: delivery.attempt,
            error: result.error,
          },
          'webhook delivery failed',
        );
      }
    } catch (error) {
      // The claim runs out and another attempt follows: nothing is lost.
      this.options.log?.warn({ err: error, delivery: delivery.id }, 'webhook delivery attempt not recorded');
    }
  }

  /** POSTs the delivery, signed; resolves with what happened (never rejects). */
  private async send(target: WebhookTarget, delivery: ClaimedDelivery): Promise<AttemptResult> {
    const event = JSON.parse(delivery.event) as WebhookEventBody;
    const body = renderWebhookBody(target.format, event);
    const timestamp = Math.floor(this.clock() / 1000);
    const controller = new AbortController();
    let timedOut = false;
    const timer = this.timers.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'switchyard-webhooks/1',
          'x-switchyard-event-id': delivery.eventId,
          'x-switchyard-timestamp': String(timestamp),
          'x-switchyard-signature': signWebhookBody(target.secret, timestamp, body),
          'x-switchyard-attempt': String(delivery.attempt),
        },
        body,
        // A redirect is an answer, not a delivery: following one would send the event elsewhere.
        redirect: 'manual',
        signal: controller.signal,
      });
      const text = await readStart(response, ERROR_BODY_CHARS);
      const ok = response.status >= 200 && response.status < 300;
      return {
        statusCode: response.status,
        error: ok ? null : `HTTP ${response.status}${text ? `: ${text}` : ''}`,
        ...(!ok && { retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), this.clock()) }),
      };
    } catch (error) {
      if (timedOut) return { statusCode: null, error: `timed out after ${this.timeoutMs} ms` };
      return { statusCode: null, error: `network error: ${describeFetchError(error)}` };
    } finally {
      this.timers.clearTimeout(timer);
    }
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.clearTimer();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async pruneNow(): Promise<void> {
    const now = this.clock();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    await this.store.prune(now - this.retentionMs);
  }
}

/** The first `chars` characters of the body (read no further), on one line. */
async function readStart(response: Response, chars: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < chars) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, chars).replace(/\s+/g, ' ').trim();
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
