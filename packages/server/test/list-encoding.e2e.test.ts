/**
 * The authoring lists encode each record once per version (routes/authoring.ts, listEncoder):
 * a list must still answer exactly what reading each object answers, and follow every change,
 * through this server or another one on the same database. In-process (Fastify inject) on an
 * in-memory SQLite database.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { type OpenDatabase, openDatabase } from '../src/store/database.js';

const CONSOLE = 'console-list-encoding-test';

let database: OpenDatabase;
let app: App;

beforeEach(async () => {
  database = await openDatabase(':memory:');
  app = await buildApp({ database });
  await app.keys.ensure('production', 'console', CONSOLE);
});
afterEach(async () => {
  await app.http.close();
  await database.close();
});

async function api(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, ifMatch?: string) {
  const response = await app.http.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${CONSOLE}`, ...(ifMatch && { 'if-match': ifMatch }) },
    ...(body !== undefined && { payload: body as object }),
  });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.json();
}

// biome-ignore lint/suspicious/noExplicitAny: the answers are read loosely
const listGates = async (): Promise<any[]> => (await api('GET', '/gates')).gates;

const gate = (name: string) => ({
  name,
  description: 'checkout work',
  tags: ['web'],
  rules: [
    {
      name: 'employees',
      conditions: [{ field: 'email', operator: 'str_ends_with_any', value: ['@company.com'] }],
    },
    { name: 'canary', passPercentage: 5, conditions: [{ type: 'public' }] },
  ],
});

describe('authoring lists', () => {
  it('answer what reading each object answers, and follow every change', async () => {
    await api('POST', '/gates', gate('one_page_checkout'));
    await api('POST', '/gates', gate('fast_search'));
    const sameAsRead = async () => {
      for (const listed of await listGates())
        expect(listed).toEqual(await api('GET', `/gates/${listed.name}`));
    };
    await sameAsRead();

    await api('PATCH', '/gates/one_page_checkout', { description: 'the one-page checkout' }, '"1"');
    await api('POST', '/gates/fast_search/disable', { environments: ['staging'] });
    const changed = await listGates();
    expect(changed.find((g) => g.name === 'one_page_checkout')).toMatchObject({
      version: 2,
      description: 'the one-page checkout',
    });
    expect(changed.find((g) => g.name === 'fast_search')).toMatchObject({
      version: 2,
      disabledIn: ['staging'],
    });
    await sameAsRead();

    await api('POST', '/gates', gate('dark_mode'));
    expect((await listGates()).map((g) => g.name).sort()).toEqual([
      'dark_mode',
      'fast_search',
      'one_page_checkout',
    ]);
    await sameAsRead();
  });

  it('encode a record again when its stored version changes (a write on another instance)', async () => {
    await api('POST', '/gates', gate('shared_gate'));
    const [before] = await listGates();
    expect(before).toMatchObject({ version: 1, description: 'checkout work' });
    // Another server on the same database wrote it: this one's list still follows.
    const { version: _, createdAt: __, updatedAt: ___, ...data } = before;
    await sql`update entities set data = ${JSON.stringify({ ...data, description: 'moved on' })}, version = 2
      where kind = 'gate' and name = 'shared_gate'`.execute(database.db);
    const [after] = await listGates();
    expect(after).toMatchObject({ version: 2, description: 'moved on' });
    expect(after).toEqual(await api('GET', '/gates/shared_gate'));
  });
});
