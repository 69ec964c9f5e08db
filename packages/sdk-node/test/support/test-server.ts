import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '@switchyard/server';

export const KEYS = {
  server: 'secret-sdk-node-test-key',
  console: 'console-sdk-node-test-key',
} as const;

/**
 * A real Switchyard server on 127.0.0.1 with SQLite in its own temporary directory. It can be
 * stopped and started again on the same port and database (an outage the SDK must survive),
 * and `remove()` deletes the directory.
 */
export class TestServer {
  private running: RunningServer | undefined;
  port = 0;

  private constructor(readonly directory: string) {}

  static async start(): Promise<TestServer> {
    const server = new TestServer(await mkdtemp(join(tmpdir(), 'switchyard-sdk-node-')));
    await server.restart();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get app(): RunningServer['app'] {
    if (!this.running) throw new Error('the test server is stopped');
    return this.running.app;
  }

  get databaseUrl(): string {
    return join(this.directory, 'switchyard.db');
  }

  /** (Re)starts on the same port (a free one the first time) and the same database. */
  async restart(): Promise<void> {
    if (this.running) return;
    this.running = await startServer(
      {
        port: this.port,
        host: '127.0.0.1',
        databaseUrl: this.databaseUrl,
        initKeys: { server: KEYS.server, console: KEYS.console },
        logLevel: 'warn',
      },
      false,
    );
    this.port = Number(new URL(this.running.url).port);
  }

  /** Stops listening and closes the database; open streams end. */
  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    await running?.close();
  }

  async remove(): Promise<void> {
    await this.stop();
    await rm(this.directory, { recursive: true, force: true });
  }

  /** Calls the authoring API with the console key; throws on a non-2xx answer. */
  async api(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<unknown> {
    return callApi(this.url, method, path, body, contentType);
  }
}

export async function callApi(
  origin: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<unknown> {
  const response = await fetch(`${origin}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${KEYS.console}`,
      ...(body !== undefined && { 'content-type': contentType }),
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** Polls `read` until `done` accepts its value; fails after `timeoutMs` (a deadline, not a measurement). */
export async function waitFor<T>(
  what: string,
  read: () => T | Promise<T>,
  done: (value: T) => boolean = Boolean,
  timeoutMs = 8_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
