import { type App, type AppOptions, buildApp } from './app.js';
import type { ServerConfig } from './config.js';
import { PostgresChangeFeed } from './services/change-feed.js';
import { openDatabase } from './store/database.js';
import type { KeyKind } from './store/key-store.js';

/** The environment that bootstrap keys belong to. */
const BOOTSTRAP_ENVIRONMENT = 'production';

export interface RunningServer {
  app: App;
  url: string;
  close(): Promise<void>;
}

/** Opens and migrates the database, creates bootstrap keys, and listens. */
export async function startServer(
  config: ServerConfig,
  logger: boolean | object = { level: config.logLevel },
  /** Job intervals and limits (the demo runs its monitor every few seconds). */
  options: Omit<AppOptions, 'database' | 'logger' | 'publicUrl' | 'changeFeed'> = {},
): Promise<RunningServer> {
  const database = await openDatabase(config.databaseUrl);
  const app = await buildApp({
    ...options,
    database,
    logger,
    publicUrl: config.publicUrl,
    ...(config.consoleDir && { consoleDir: config.consoleDir }),
    ...(config.trustProxyHops && { trustProxyHops: config.trustProxyHops }),
    ...(config.sdkRateLimitPerMinute !== undefined && {
      sdkRateLimit: { max: config.sdkRateLimitPerMinute, windowMs: 60_000 },
    }),
    ...(database.dialect === 'postgres' && {
      changeFeed: (entities, log) =>
        new PostgresChangeFeed({ connectionString: config.databaseUrl, entities, log }),
    }),
  });
  for (const [kind, secret] of Object.entries(config.initKeys) as [KeyKind, string | undefined][]) {
    if (secret) await app.keys.ensure(BOOTSTRAP_ENVIRONMENT, kind, secret);
  }
  // First start without SWITCHYARD_INIT_ADMIN_KEY: make one console key and show it once, so a
  // new user can reach the authoring API straight away.
  if ((await app.keys.count('console')) === 0) {
    const { secret } = await app.keys.create(BOOTSTRAP_ENVIRONMENT, 'console');
    app.http.log.warn(
      `First start: created console key ${secret} (shown once; stored hashed). Use it as "Authorization: Bearer <key>".`,
    );
  }
  const address = await app.http.listen({ port: config.port, host: config.host });
  const setupToken = await app.users.issueSetupToken();
  if (setupToken) {
    app.http.log.warn(
      `First start: open ${address.replace('0.0.0.0', '127.0.0.1')}/ and create the first admin with the one-time setup token ${setupToken}`,
    );
  }
  return {
    app,
    url: address.replace('0.0.0.0', '127.0.0.1'),
    async close() {
      await app.http.close();
      await database.close();
    },
  };
}
