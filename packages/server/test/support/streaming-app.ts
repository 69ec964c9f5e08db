import { type App, buildApp } from '../../src/app.js';
import type { Metrics } from '../../src/http/metrics.js';
import type { StreamHub } from '../../src/routes/stream.js';
import type { ChangeFeed, FeedLogger } from '../../src/services/change-feed.js';
import type { OpenDatabase } from '../../src/store/database.js';
import type { EntityStore } from '../../src/store/entity-store.js';

export interface StreamingApp {
  app: App;
  feed: ChangeFeed;
  hub: StreamHub;
  metrics: Metrics;
}

export interface StreamingAppOptions {
  heartbeatMs?: number;
  changeFeed?: (entities: EntityStore, log: FeedLogger) => ChangeFeed;
}

/** An app with its change feed, `/v1/stream` and `/metrics`, as buildApp wires them. */
export async function buildStreamingApp(
  database: OpenDatabase,
  { heartbeatMs, changeFeed }: StreamingAppOptions = {},
): Promise<StreamingApp> {
  const app = await buildApp({
    database,
    ...(heartbeatMs !== undefined && { streamHeartbeatMs: heartbeatMs }),
    ...(changeFeed && { changeFeed }),
  });
  return { app, feed: app.feed, hub: app.streams, metrics: app.metrics };
}
