import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '@switchyard/server';

export const CONSOLE_KEY = 'console-sdk-js-test';
export const CLIENT_KEY = 'client-sdk-js-test';
export const SERVER_KEY = 'secret-sdk-js-test';

export interface TestServer {
  server: RunningServer;
  /** Base URL of the SDK API, e.g. `http://127.0.0.1:1234/v1`. */
  api: string;
  /** Calls the authoring API with the console key; throws on a non-2xx answer. */
  authoring(method: string, path: string, body?: unknown): Promise<unknown>;
  /** Stored events (exposures and custom events), oldest first. */
  events(): ReturnType<RunningServer['app']['events']['list']>;
  /** What `POST /v1/initialize` answers for `user` (hash none), for comparisons. */
  initialize(user: Record<string, unknown>, stableID?: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** A real Switchyard server on 127.0.0.1 (random port) with SQLite in a fresh temp directory. */
export async function startTestServer(): Promise<TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'switchyard-sdk-js-'));
  const server = await startServer(
    {
      port: 0,
      host: '127.0.0.1',
      databaseUrl: join(directory, 'switchyard.db'),
      initKeys: { console: CONSOLE_KEY, client: CLIENT_KEY, server: SERVER_KEY },
      logLevel: 'warn',
    } as Parameters<typeof startServer>[0],
    false,
  );
  const api = `${server.url}/v1`;
  return {
    server,
    api,
    async authoring(method, path, body) {
      const response = await fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${CONSOLE_KEY}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
      return text ? (JSON.parse(text) as unknown) : null;
    },
    events: () => server.app.events.list({ limit: 100_000 }),
    async initialize(user, stableID) {
      const response = await fetch(`${api}/initialize?k=${CLIENT_KEY}`, {
        method: 'POST',
        body: JSON.stringify({ user, hash: 'none', statsigMetadata: { stableID } }),
      });
      if (!response.ok) throw new Error(`initialize: HTTP ${response.status}`);
      return (await response.json()) as Record<string, unknown>;
    },
    async close() {
      const closing = server.close();
      // Node's server.close() waits for sockets that connected but never sent a request, which
      // undici's fetch can leave behind after parallel requests; nothing is in flight by now.
      server.app.http.server.closeAllConnections();
      await closing;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
