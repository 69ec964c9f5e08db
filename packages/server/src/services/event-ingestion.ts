import { createHash } from 'node:crypto';
import { OverloadedError } from '../errors.js';
import type { BatchOutcome, EventStore, IncomingEvent } from '../store/event-store.js';

export interface EventIngestionOptions {
  /**
   * Events accepted but not yet committed, at most. Past it new batches get 429 with
   * `Retry-After` instead of growing memory without bound.
   */
  maxPendingEvents?: number;
  /** Told of every event refused because the server was overloaded. */
  onRefused?: (count: number) => void;
  /** Batch keys are kept this long (ms) for recognising retries; default a day. */
  batchKeyTtlMs?: number;
  clock?: () => number;
  /** Sees each accepted batch before it is written (the user-attribute catalogue samples it). */
  onAccepted?: (environment: string, events: readonly IncomingEvent[]) => void;
}

interface PendingBatch {
  environment: string;
  events: IncomingEvent[];
  batchKey: string | null;
  resolve(outcome: BatchOutcome): void;
  reject(error: unknown): void;
}

const DEFAULT_MAX_PENDING_EVENTS = 200_000;
/** After a write, ingestion counts as busy this long (ms): batches come and go in bursts. */
const BUSY_WINDOW_MS = 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The key of a batch's content: an SDK retrying a batch sends the same body again (statsig-node
 * and js-client serialise the same events again, gzipped the first time and plain on retries),
 * so the bytes of the decoded body identify it. Hashing them as received costs a fraction of
 * serialising the parsed body again (what this did before; for bodies written by
 * `JSON.stringify`, as both SDKs do, the two give the same key).
 */
export function batchKeyOf(body: Uint8Array | string, idempotencyKey?: string): string {
  if (idempotencyKey) return `key:${idempotencyKey}`;
  return createHash('sha256').update(body).digest('base64url');
}

/**
 * Durable, batched, idempotent event ingestion. Requests hand their batches over and wait until
 * they are committed (a 2xx means the events are on disk). While a transaction commits, the
 * batches of other requests queue up and go together in the next one (group commit), so a
 * busy server writes many requests per transaction. The store says how many transactions may
 * run at once (`concurrentWrites`: one on SQLite, a few on Postgres).
 */
export class EventIngestion {
  private queue: PendingBatch[] = [];
  private pendingEvents = 0;
  private readonly writers = new Set<Promise<void>>();
  private lastPrune = 0;
  /** performance.now() when the last write finished. */
  private lastWritten = Number.NEGATIVE_INFINITY;
  private readonly maxPendingEvents: number;
  private readonly clock: () => number;

  constructor(
    private readonly store: EventStore,
    private readonly options: EventIngestionOptions = {},
  ) {
    this.maxPendingEvents = options.maxPendingEvents ?? DEFAULT_MAX_PENDING_EVENTS;
    this.clock = options.clock ?? Date.now;
  }

  /** Resolves once the batch is committed (or recognised as a retry of one that was). */
  submit(environment: string, events: IncomingEvent[], batchKey: string | null): Promise<BatchOutcome> {
    if (events.length === 0) return Promise.resolve({ stored: 0, duplicate: false });
    if (this.pendingEvents + events.length > this.maxPendingEvents) {
      this.options.onRefused?.(events.length);
      return Promise.reject(
        new OverloadedError('overloaded', 'too many events are waiting to be stored; retry shortly', 1),
      );
    }
    this.pendingEvents += events.length;
    this.options.onAccepted?.(environment, events);
    return new Promise((resolve, reject) => {
      this.queue.push({ environment, events, batchKey, resolve, reject });
      if (this.writers.size < (this.store.concurrentWrites ?? 1)) {
        const writer: Promise<void> = this.writeQueued().finally(() => this.writers.delete(writer));
        this.writers.add(writer);
      }
    });
  }

  /**
   * Whether events are being written or were in the last second: background work that needs the
   * database (Pulse's aggregation) then does a bounded share of it and leaves the rest for later.
   */
  busy(): boolean {
    return this.writers.size > 0 || performance.now() - this.lastWritten < BUSY_WINDOW_MS;
  }

  /** Waits until everything accepted so far is committed (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.writers.size > 0) await Promise.all(this.writers);
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batches = this.queue;
      this.queue = [];
      try {
        const outcomes = await this.store.appendBatches(batches);
        for (const [index, batch] of batches.entries()) {
          batch.resolve(outcomes[index] ?? { stored: 0, duplicate: false });
        }
      } catch (error) {
        for (const batch of batches) batch.reject(error);
      } finally {
        for (const batch of batches) this.pendingEvents -= batch.events.length;
        this.lastWritten = performance.now();
      }
      await this.pruneBatchKeys();
    }
  }

  private async pruneBatchKeys(): Promise<void> {
    const now = this.clock();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    try {
      await this.store.forgetBatchKeys(now - (this.options.batchKeyTtlMs ?? DAY_MS));
    } catch {
      // Pruning is housekeeping; the next write tries again.
    }
  }
}
