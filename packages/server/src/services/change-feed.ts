import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { EntityStore } from '../store/entity-store.js';
import { CONFIG_CHANNEL, parseChangeNotification } from '../store/notify-change.js';

/** Called with the new configuration revision; a rejection or throw is logged, never propagated. */
export type RevisionListener = (revision: number) => void | Promise<void>;

/**
 * Tells subscribers that the configuration revision moved. Each revision is announced at most
 * once per instance, in increasing order: a revision at or below the last one announced is
 * dropped, so several sources (a local `notify`, NOTIFY, the poll) can report the same change.
 */
export interface ChangeFeed {
  /** Subscribes to announcements; returns the function that unsubscribes. */
  subscribe(listener: RevisionListener): () => void;
  /** Reports a revision this instance has just committed (call it after the write succeeds). */
  notify(revision: number): void;
  /** The highest revision announced or known at start (0 before either). */
  readonly revision: number;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The part of a pino / Fastify logger the feeds use. */
export interface FeedLogger {
  warn(object: object, message: string): void;
}

const REVISION_EVENT = 'revision';

abstract class AnnouncingFeed implements ChangeFeed {
  private readonly emitter = new EventEmitter();
  private announced = 0;

  constructor(protected readonly log: FeedLogger | undefined) {
    // A subscriber per fan-out component, not per stream; still, no arbitrary cap.
    this.emitter.setMaxListeners(0);
  }

  get revision(): number {
    return this.announced;
  }

  subscribe(listener: RevisionListener): () => void {
    const guarded = (revision: number): void => {
      try {
        const result = listener(revision);
        if (result) result.catch((error: unknown) => this.reportListenerError(error, revision));
      } catch (error) {
        this.reportListenerError(error, revision);
      }
    };
    this.emitter.on(REVISION_EVENT, guarded);
    return () => this.emitter.off(REVISION_EVENT, guarded);
  }

  notify(revision: number): void {
    this.announce(revision);
  }

  abstract start(): Promise<void>;

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }

  protected announce(revision: number): void {
    if (!Number.isSafeInteger(revision) || revision <= this.announced) return;
    this.announced = revision;
    this.emitter.emit(REVISION_EVENT, revision);
  }

  /** Records a revision that is already current (at start), so it is not announced as a change. */
  protected settle(revision: number): void {
    if (revision > this.announced) this.announced = revision;
  }

  private reportListenerError(error: unknown, revision: number): void {
    this.log?.warn({ err: error, revision }, 'change feed subscriber failed');
  }
}

/**
 * One instance (SQLite, or tests): revisions come only from `notify`, which the store calls
 * after each committed write.
 */
export class InProcessChangeFeed extends AnnouncingFeed {
  constructor(options: { log?: FeedLogger } = {}) {
    super(options.log);
  }

  async start(): Promise<void> {}
}

export interface PostgresChangeFeedOptions {
  /** The same database the app's pool uses. */
  connectionString: string;
  /** The schema the tables live in, as given to `openDatabase`; the server's default search_path when absent. */
  schema?: string;
  /** Reads `config_state`: the safety net for notifications lost while reconnecting. */
  entities: Pick<EntityStore, 'revision'>;
  /** How often to read the revision even without a notification (ms). */
  pollIntervalMs?: number;
  /** Reconnect backoff: the first delay, doubled per failed attempt up to the maximum (ms). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  log?: FeedLogger;
}

const DEFAULT_POLL_INTERVAL_MS = 5_000;
const DEFAULT_RECONNECT_MIN_MS = 250;
const DEFAULT_RECONNECT_MAX_MS = 10_000;
/** TCP keepalive on the LISTEN connection, so a silently dropped connection is noticed (ms). */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

/**
 * Several instances on one Postgres: LISTEN on one dedicated connection per instance for the
 * NOTIFY that `notifyChange` sends inside each writing transaction, plus a periodic read of
 * the revision for anything missed while the connection was down. A dropped connection is
 * re-established with exponential backoff and followed by an immediate read.
 */
export class PostgresChangeFeed extends AnnouncingFeed {
  private client: pg.Client | undefined;
  /** The schema this instance reads, as Postgres resolved it (`current_schema()`). */
  private schema: string | undefined;
  private listeningNow = false;
  private closed = false;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readonly pollIntervalMs: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;

  constructor(private readonly options: PostgresChangeFeedOptions) {
    super(options.log);
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.reconnectMinMs = options.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS;
    this.reconnectMaxMs = options.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS;
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.listeningNow;
  }

  /**
   * Reads the current revision (not announced: nothing changed yet) and makes the first
   * connection attempt. A failed attempt does not fail the start: reconnection and the poll
   * carry on in the background.
   */
  async start(): Promise<void> {
    this.settle((await this.options.entities.revision()).revision);
    this.pollTimer = setInterval(() => void this.poll(), this.pollIntervalMs);
    this.pollTimer.unref();
    await this.connect();
  }

  /** Reads the revision now and announces it if it moved. */
  poll(): Promise<void> {
    this.polling ??= (async () => {
      try {
        const { revision } = await this.options.entities.revision();
        if (!this.closed) this.announce(revision);
      } catch (error) {
        this.log?.warn({ err: error }, 'change feed: reading the revision failed');
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  override async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    this.listeningNow = false;
    if (client) await endQuietly(client);
    await this.polling;
    await super.close();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const { connectionString, schema, applicationName = 'switchyard-change-feed' } = this.options;
    const client = new pg.Client({
      connectionString,
      application_name: applicationName,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
      ...(schema && { options: `-c search_path=${schema}` }),
    });
    this.client = client;
    client.on('error', (error) => this.lose(client, error));
    client.on('end', () => this.lose(client, undefined));
    client.on('notification', (message) => {
      if (this.client === client && message.channel === CONFIG_CHANNEL) this.receive(message.payload);
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ schema: string | null }>('select current_schema() as schema');
      this.schema = rows[0]?.schema ?? undefined;
      await client.query(`listen ${CONFIG_CHANNEL}`);
    } catch (error) {
      this.lose(client, error);
      return;
    }
    if (this.client !== client) return;
    this.listeningNow = true;
    this.attempts = 0;
    // Notifications sent while nobody listened are gone; the table still has the revision.
    void this.poll();
  }

  private receive(payload: string | undefined): void {
    const notification = parseChangeNotification(payload);
    // Not a payload we understand (another writer version?): read the table instead of guessing.
    if (!notification) {
      void this.poll();
      return;
    }
    if (notification.schema === this.schema) this.announce(notification.revision);
  }

  /** Handles a failed or dropped connection once (pg emits both `error` and `end`). */
  private lose(client: pg.Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.listeningNow = false;
    void endQuietly(client);
    if (this.closed) return;
    const delay = Math.min(this.reconnectMaxMs, this.reconnectMinMs * 2 ** this.attempts);
    this.attempts += 1;
    // Jitter (half to all of the delay), so instances that lost the database together spread out.
    const wait = Math.round(delay / 2 + (Math.random() * delay) / 2);
    this.log?.warn(
      { err: error, attempt: this.attempts, retryInMs: wait },
      'change feed: LISTEN connection lost; reconnecting',
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, wait);
    this.reconnectTimer.unref();
  }
}

async function endQuietly(client: pg.Client): Promise<void> {
  try {
    await client.end();
  } catch {
    // Already broken; nothing left to release.
  }
}
