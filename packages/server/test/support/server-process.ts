import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type OpenDatabase, openDatabase } from '../../src/store/database.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
/** A preload that SIGKILLs the process just before its Nth SQL statement (see kill-at-statement.ts). */
export const KILL_AT_STATEMENT = fileURLToPath(new URL('./kill-at-statement.ts', import.meta.url));

/** Lines of output kept for error messages. */
const OUTPUT_LINES_KEPT = 60;
/** A guard against a start that hangs, not a measure: a loaded CI machine may take many seconds. */
const LISTEN_TIMEOUT_MS = 120_000;

/** Every child still running, killed when the test process exits (a failed or timed-out test). */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The real server (`src/main.ts` through tsx, no build) in a child process. */
export interface ServerProcess {
  /** `http://127.0.0.1:<port>` once it listens. */
  url: string;
  child: ChildProcess;
  /** True once the process has exited. */
  readonly exited: boolean;
  /** The last lines it wrote, for assertion messages. */
  output(): string;
  /** SIGKILL: no shutdown hook runs, as in a crash or an OOM kill. */
  kill(): Promise<void>;
}

export interface SpawnOptions {
  /** Extra `--import` modules, after tsx's. */
  imports?: string[];
  /** Told of every line the process writes (stdout and stderr). */
  onLine?: (line: string) => void;
}

/** Starts `node src/main.ts` with `env` on a random port; rejects if it exits before listening. */
export async function startServerProcess(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<ServerProcess> {
  const args = ['--conditions=@switchyard/source', '--import', 'tsx'];
  for (const module of options.imports ?? []) args.push('--import', module);
  const child = spawn(process.execPath, [...args, MAIN], {
    cwd: REPO_ROOT,
    // Only what the server needs: nothing of the test runner's environment leaks in.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      TMPDIR: tmpdir(),
      TZ: 'UTC',
      PORT: '0',
      SWITCHYARD_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  let exited = false;
  let exitSignal: NodeJS.Signals | null = null;
  const exit = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      exitSignal = signal;
      running.delete(child);
      resolve(code);
    });
  });
  let listening: ((url: string) => void) | undefined;
  const url = new Promise<string>((resolve) => {
    listening = resolve;
  });
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > OUTPUT_LINES_KEPT) lines.shift();
        options.onLine?.(line);
        const match = /Switchyard listening on (http:\/\/[^"\s]+)/.exec(line);
        if (match?.[1]) listening?.(match[1]);
      }
    });
  }
  const output = () => lines.join('\n');
  let timer: NodeJS.Timeout | undefined;
  const started = await Promise.race([
    url,
    exit.then((code) => {
      throw new Error(
        `the server exited (code ${code}, signal ${exitSignal}) before listening:\n${output()}`,
      );
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the server did not listen within ${LISTEN_TIMEOUT_MS} ms:\n${output()}`));
      }, LISTEN_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  return {
    url: started,
    child,
    get exited() {
      return exited;
    },
    output,
    async kill() {
      if (!exited) child.kill('SIGKILL');
      await exit;
    },
  };
}

/**
 * A database for servers in child processes: a SQLite file in a temporary directory, or a
 * Postgres schema of its own (reached through `search_path` in DATABASE_URL) so test files can
 * run in parallel on one database.
 */
export interface ProcessDatabase {
  /** The server's environment variables that point it at this database. */
  env: Record<string, string>;
  /** The same as a `ServerConfig.databaseUrl`, for a server started in the test process. */
  url: string;
  /** Opens it in the test process (the server must not be writing to a SQLite file then). */
  open(): Promise<OpenDatabase>;
  /** Removes it. */
  drop(): Promise<void>;
}

export interface ProcessDatabaseTarget {
  name: 'sqlite' | 'postgres';
  /** Why this database is skipped, if it is. */
  skip?: string;
  create(): Promise<ProcessDatabase>;
}

const postgresUrl = process.env.SWITCHYARD_TEST_DATABASE_URL;

export const PROCESS_DATABASES: ProcessDatabaseTarget[] = [
  {
    name: 'sqlite',
    async create() {
      const directory = await mkdtemp(join(tmpdir(), 'switchyard-crash-'));
      const file = join(directory, 'switchyard.db');
      return {
        env: { SWITCHYARD_DATA_DIR: directory },
        url: file,
        open: () => openDatabase(file),
        drop: () => rm(directory, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    ...(!postgresUrl && { skip: 'SWITCHYARD_TEST_DATABASE_URL is not set (CI sets it)' }),
    async create() {
      const url = postgresUrl as string;
      const schema = `t_${randomBytes(6).toString('hex')}`;
      await adminQuery(url, `create schema ${schema}`);
      const withSearchPath = new URL(url);
      withSearchPath.searchParams.set('options', `-c search_path=${schema}`);
      return {
        env: { DATABASE_URL: withSearchPath.toString() },
        url: withSearchPath.toString(),
        open: () => openDatabase(url, { schema }),
        drop: () => adminQuery(url, `drop schema if exists ${schema} cascade`),
      };
    },
  },
];

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
