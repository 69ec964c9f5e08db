import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type RunningServer, startServer } from '@switchyard/server';
import { run } from '../../src/run.js';

/** A real server on 127.0.0.1 (random port) with its own SQLite file, removed by `close()`. */
export interface TestServer extends RunningServer {
  directory: string;
  consoleKey: string;
  serverKey: string;
}

let serial = 0;

export async function startTestServer(): Promise<TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'switchyard-cli-test-'));
  serial += 1;
  const consoleKey = `console-cli-test-${serial}-${process.pid}`;
  const serverKey = `secret-cli-test-${serial}-${process.pid}`;
  const server = await startServer(
    {
      port: 0,
      host: '127.0.0.1',
      databaseUrl: join(directory, 'switchyard.db'),
      initKeys: { console: consoleKey, server: serverKey },
      logLevel: 'warn',
    },
    false,
  );
  return {
    ...server,
    directory,
    consoleKey,
    serverKey,
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in-process with captured streams; the environment holds only what is given
 * (no config file of the machine running the tests is read: HOME is a fresh directory).
 */
export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdin?: string;
  /** stderr is a terminal: progress bars are drawn. */
  tty?: boolean;
}

export async function cli(argv: string[], options: CliOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const home = options.env?.HOME ?? (await mkdtemp(join(tmpdir(), 'switchyard-cli-home-')));
  const code = await run(argv, {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.tty === true },
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    env: { HOME: home, ...options.env },
    cwd: options.cwd ?? home,
  });
  if (options.env?.HOME === undefined) await rm(home, { recursive: true, force: true });
  return { code, stdout, stderr };
}

/** The CLI against `server` with its console key. */
export function cliFor(server: TestServer, key = server.consoleKey) {
  return (argv: string[], options: CliOptions = {}) =>
    cli(argv, { ...options, env: { SWITCHYARD_URL: server.url, SWITCHYARD_KEY: key, ...options.env } });
}

/** The authoring API with the server's console key: parsed JSON, or an error with the answer. */
export function apiFor(server: TestServer) {
  // biome-ignore lint/suspicious/noExplicitAny: tests read the answers loosely
  return async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.consoleKey}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
}
