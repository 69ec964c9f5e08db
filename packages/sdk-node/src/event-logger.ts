import type { SecondaryExposure } from '@switchyard/core';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { EventQueue } from './event-queue.js';

/** One event in Statsig's log_event format (protocol doc §5.1). */
export interface LogEvent {
  eventName: string;
  user: Record<string, unknown> | null;
  /** Epoch ms. */
  time: number;
  value: string | number | null;
  metadata: Record<string, unknown> | null;
  secondaryExposures: readonly SecondaryExposure[];
  statsigMetadata?: Record<string, unknown>;
}

/**
 * What became of a batch post: delivered, worth retrying (network error, 408, 429, 5xx), or
 * refused for good (any other status: retrying the same body cannot help).
 */
export type SendOutcome = 'sent' | 'retry' | 'drop';

export interface EventLoggerOptions {
  /** Events per post; a full batch is sent at once. */
  batchSize: number;
  flushIntervalMs: number;
  /** Queue bound; beyond it the oldest events are dropped. */
  maxQueuedEvents: number;
  /** Retries of a failed batch before it is dropped. */
  retryLimit: number;
  retryDelay: BackoffOptions;
  /** How long an exposure is remembered for deduplication (ms). */
  dedupeWindowMs: number;
  /** Posts one batch. Must not reject. `background` posts must not keep the process alive. */
  send(events: LogEvent[], background: boolean): Promise<SendOutcome>;
  /** Told about events given up on (not those pushed out of a full queue, which `stats` counts). */
  onDropped(count: number, why: string): void;
}

export interface EventLoggerStats {
  queuedEvents: number;
  sentEvents: number;
  /** Events lost: pushed out of a full queue, refused by the server, or out of retries. */
  droppedEvents: number;
  /** Posts that failed (each retry counts). */
  failedPosts: number;
}

/** Statsig clears its exposure memory at this size too, whatever the window. */
const MAX_DEDUPE_KEYS = 100_000;

type DrainMode = 'background' | 'explicit' | 'final';

/**
 * Exposure and custom-event pipeline: dedup, bounded queue, batches by size and time, retries
 * with backoff, final flush. One post at a time, in order.
 */
export class EventLogger {
  private readonly queue: EventQueue<LogEvent>;
  /**
   * Exposures seen in the window: per entity key (kind, name, rule, value), the unit keys. Two
   * levels rather than one concatenated key: the unit key is usually the user's own userID
   * string, whose hash V8 has cached, so a repeated check allocates nothing here.
   */
  private readonly seen = new Map<string, Set<string>>();
  private seenCount = 0;
  private sentEvents = 0;
  private givenUp = 0;
  private failedPosts = 0;
  /** Failed attempts of the batch at the head of the queue. */
  private attempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private dedupeTimer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private backgroundPending = false;
  private stopped = false;

  constructor(private readonly options: EventLoggerOptions) {
    this.queue = new EventQueue(options.maxQueuedEvents);
  }

  /** Starts the flush and dedup timers (unref'd: they never keep the process alive). */
  start(): void {
    this.flushTimer = setInterval(() => {
      if (this.queue.size > 0) this.drainInBackground();
    }, this.options.flushIntervalMs);
    this.flushTimer.unref();
    this.dedupeTimer = setInterval(() => this.forgetExposures(), this.options.dedupeWindowMs);
    this.dedupeTimer.unref();
  }

  /** True the first time this unit (user) is exposed to this entity key in the current window; remembers it. */
  isNewExposure(entityKey: string, unitKey: string): boolean {
    let units = this.seen.get(entityKey);
    if (units?.has(unitKey)) return false;
    if (this.seenCount >= MAX_DEDUPE_KEYS) {
      this.forgetExposures();
      units = undefined;
    }
    if (!units) {
      units = new Set();
      this.seen.set(entityKey, units);
    }
    units.add(unitKey);
    this.seenCount += 1;
    return true;
  }

  private forgetExposures(): void {
    this.seen.clear();
    this.seenCount = 0;
  }

  enqueue(event: LogEvent): void {
    if (this.stopped) return;
    this.queue.push(event);
    if (this.queue.size >= this.options.batchSize && this.retryTimer === undefined) this.drainInBackground();
  }

  /** Sends everything queued now (a batch waiting to be retried included). Never rejects. */
  flush(): Promise<void> {
    return this.enqueueDrain('explicit');
  }

  /**
   * Stops the timers and sends what is queued, each batch once (no retries), within
   * `timeoutMs`; whatever is left is dropped and counted.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.flushTimer);
    clearInterval(this.dedupeTimer);
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.enqueueDrain('final'), timedOut]);
    clearTimeout(timer);
    const left = this.queue.take(this.queue.size).length;
    if (left > 0) this.giveUp(left, 'shutdown');
  }

  stats(): EventLoggerStats {
    return {
      queuedEvents: this.queue.size,
      sentEvents: this.sentEvents,
      droppedEvents: this.queue.dropped + this.givenUp,
      failedPosts: this.failedPosts,
    };
  }

  private drainInBackground(): void {
    if (this.backgroundPending) return;
    this.backgroundPending = true;
    void this.enqueueDrain('background');
  }

  private enqueueDrain(mode: DrainMode): Promise<void> {
    const run = this.chain.then(() => {
      if (mode === 'background') this.backgroundPending = false;
      return this.drain(mode);
    });
    // The chain never rejects: drain catches everything, and this is the belt to those braces.
    this.chain = run.catch(() => {});
    return this.chain;
  }

  private async drain(mode: DrainMode): Promise<void> {
    if (mode === 'background' && (this.retryTimer !== undefined || this.stopped)) return;
    if (mode === 'explicit') {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    while (this.queue.size > 0) {
      const batch = this.queue.take(this.options.batchSize);
      let outcome: SendOutcome;
      try {
        outcome = await this.options.send(batch, mode === 'background');
      } catch {
        outcome = 'retry';
      }
      if (outcome === 'sent') {
        this.sentEvents += batch.length;
        this.attempts = 0;
        continue;
      }
      if (outcome === 'drop') {
        this.attempts = 0;
        this.giveUp(batch.length, 'the server refused the batch');
        continue;
      }
      this.failedPosts += 1;
      if (mode === 'final') {
        // Shutting down and the server is unreachable: do not wait out a timeout per batch.
        this.giveUp(
          batch.length + this.queue.take(this.queue.size).length,
          'shutdown with the server unreachable',
        );
        return;
      }
      this.attempts += 1;
      if (this.attempts > this.options.retryLimit) {
        this.attempts = 0;
        this.giveUp(batch.length, `still failing after ${this.options.retryLimit} retries`);
        continue;
      }
      this.queue.unshift(batch);
      this.scheduleRetry();
      return;
    }
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.drainInBackground();
      },
      backoffDelay(this.attempts - 1, this.options.retryDelay),
    );
    this.retryTimer.unref();
  }

  private giveUp(count: number, why: string): void {
    if (count === 0) return;
    this.givenUp += count;
    this.options.onDropped(count, why);
  }
}
