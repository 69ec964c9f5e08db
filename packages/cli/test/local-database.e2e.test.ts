/**
 * The commands that work on the server's own database (no server running): `migrate` and
 * `admin create`, with the server's DATABASE_URL / SWITCHYARD_DATA_DIR resolution.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '@switchyard/server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cli } from './support/harness.js';

let directory: string;
let env: Record<string, string>;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'switchyard-cli-local-'));
  env = { SWITCHYARD_DATA_DIR: join(directory, 'data') };
});
afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

it('migrate applies every migration to a new database, then finds it up to date', async () => {
  const first = await cli(['migrate', '--json'], { env });
  expect(first.code, first.stderr).toBe(0);
  const result = JSON.parse(first.stdout);
  expect(result.database).toBe(join(directory, 'data', 'switchyard.db'));
  expect(result.applied.length).toBeGreaterThan(5);
  expect(result.applied).toHaveLength(result.total);
  expect([...result.applied].sort()).toEqual(result.applied);

  const second = await cli(['migrate'], { env });
  expect(second.code).toBe(0);
  expect(second.stdout).toContain(`Up to date: all ${result.total} migrations had been applied.`);
});

it('admin create makes an admin who can sign in, from a password on stdin', async () => {
  const password = 'correct horse battery';
  const created = await cli(['admin', 'create', '--email', 'Ana@Example.com', '--password-stdin'], {
    env,
    stdin: `${password}\n`,
  });
  expect(created.code, created.stderr).toBe(0);
  expect(created.stdout).toContain('Created admin ana@example.com (Ana).');

  const duplicate = await cli(['admin', 'create', '--email', 'ana@example.com', '--password-stdin'], {
    env,
    stdin: password,
  });
  expect(duplicate.code).toBe(1);
  expect(duplicate.stderr).toContain('a user with email ana@example.com exists already');

  const short = await cli(['admin', 'create', '--email', 'bo@example.com', '--password-stdin'], {
    env,
    stdin: 'short',
  });
  expect(short.code).toBe(1);
  expect(short.stderr).toContain('the password is too short: at least 10 characters');

  const badEmail = await cli(['admin', 'create', '--email', 'not-an-email', '--password-stdin'], {
    env,
    stdin: password,
  });
  expect(badEmail.code).toBe(2);
  expect(badEmail.stderr).toContain('is not an email address');

  const noTerminal = await cli(['admin', 'create', '--email', 'cy@example.com'], { env });
  expect(noTerminal.code).toBe(1);
  expect(noTerminal.stderr).toContain('pipe it in with --password-stdin');

  // The server on the same database lets her in, and the audit log says who created her.
  const server = await startServer(
    {
      port: 0,
      host: '127.0.0.1',
      databaseUrl: join(directory, 'data', 'switchyard.db'),
      initKeys: {},
      logLevel: 'warn',
    },
    false,
  );
  try {
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ana@example.com', password }),
    });
    expect(login.status).toBe(200);
    expect((await login.json()).user).toMatchObject({ email: 'ana@example.com', role: 'admin' });
    const wrong = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ana@example.com', password: `${password}!` }),
    });
    expect(wrong.status).toBe(401);
    const entry = await server.app.entities.audit({ kind: 'user', limit: 10 });
    expect(entry.find((e) => e.name === 'ana@example.com')).toMatchObject({
      action: 'create',
      actor: expect.stringMatching(/^cli:/),
    });
  } finally {
    await server.close();
  }
});

it('start refuses bad settings as a usage error', async () => {
  const result = await cli(['start', '--port', 'eighty'], { env });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('invalid server settings');
});
