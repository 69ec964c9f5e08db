/**
 * The authorization matrix: every route the app registers x every kind of principal -> allowed
 * or refused. The expected access of each route is written out here, apart from the code that
 * enforces it, so a route that loses its protection (or a new route nobody classified) fails.
 */

import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type App, buildApp } from '../src/app.js';
import { CSRF_HEADER } from '../src/http/principal.js';
import { openDatabase } from '../src/store/database.js';

/** Every route as buildApp registers it, recorded by an onRoute hook added at creation. */
const registered = vi.hoisted(() => [] as { method: string; url: string }[]);
vi.mock('fastify', async (importOriginal) => {
  const original = await importOriginal<typeof import('fastify')>();
  const create = ((options?: Parameters<typeof original.default>[0]) => {
    const instance = original.default(options);
    instance.addHook('onRoute', (route: RouteOptions) => {
      for (const method of [route.method].flat()) registered.push({ method, url: route.url });
    });
    return instance;
  }) as typeof original.default;
  return { ...original, default: create, fastify: create };
});

/**
 * What a route needs.
 * - public: anyone (health, docs, the console's files, sign-in itself, CORS preflights, ID-list
 *   files whose unguessable id is the capability).
 * - server: a server key. sdk: a server or client key.
 * - read / write / admin: the authoring API, by role (console keys: read-only = viewer,
 *   read-write = admin).
 * - user: a signed-in person (their own password).
 */
type Requirement = 'public' | 'server' | 'sdk' | 'read' | 'write' | 'admin' | 'user';

const ADMIN_ONLY = [
  /^\/api\/v1\/keys/,
  /^\/api\/v1\/users/,
  /^\/api\/v1\/webhooks/,
  /^\/api\/v1\/environments\/:name\/policy$/,
];
const PUBLIC = [
  /^\/$/,
  /^\/\*$/,
  /^\/assets\/\*$/,
  /^\/healthz$/,
  /^\/readyz$/,
  /^\/metrics$/,
  /^\/api\/docs/,
  /^\/api\/v1\/openapi\.json$/,
  /^\/api\/v1\/auth\/(status|setup|login|logout)$/,
  /^\/v1\/id_list_files\/:fileId$/,
];

function requirement(method: string, url: string): Requirement {
  if (method === 'OPTIONS') return 'public';
  if (PUBLIC.some((pattern) => pattern.test(url))) return 'public';
  if (url === '/api/v1/auth/password' || url === '/api/v1/auth/session') return 'user';
  if (url === '/v1/download_config_specs/:file' || url === '/v1/get_id_lists') return 'server';
  if (
    url === '/v1/log_event' ||
    url === '/v1/rgstr' ||
    url === '/v1/initialize' ||
    url === '/v1/sdk_status' ||
    url === '/v1/stream'
  ) {
    return 'sdk';
  }
  if (!url.startsWith('/api/v1/'))
    throw new Error(`unclassified route ${method} ${url}: add it to the matrix`);
  if (ADMIN_ONLY.some((pattern) => pattern.test(url))) return 'admin';
  if (method === 'POST' && url === '/api/v1/environments') return 'admin';
  if (method === 'GET' || method === 'HEAD' || (method === 'POST' && url === '/api/v1/evaluate'))
    return 'read';
  return 'write';
}

const KEYS = {
  server: 'secret-matrix-test-key-0001',
  client: 'client-matrix-test-key-0001',
  consoleWrite: 'console-matrix-write-key-0001',
};
type PrincipalName =
  | 'none'
  | 'client key'
  | 'server key'
  | 'read-only console key'
  | 'console key'
  | 'viewer'
  | 'editor'
  | 'admin'
  | 'admin without CSRF';
const PRINCIPALS: PrincipalName[] = [
  'none',
  'client key',
  'server key',
  'read-only console key',
  'console key',
  'viewer',
  'editor',
  'admin',
  'admin without CSRF',
];

function allowed(need: Requirement, who: PrincipalName, method: string): boolean {
  const read = method === 'GET' || method === 'HEAD';
  switch (need) {
    case 'public':
      return true;
    case 'server':
      return who === 'server key';
    case 'sdk':
      return who === 'server key' || who === 'client key';
    case 'user':
      return (
        who === 'viewer' || who === 'editor' || who === 'admin' || (who === 'admin without CSRF' && read)
      );
    case 'read':
      return (
        ['read-only console key', 'console key', 'viewer', 'editor', 'admin'].includes(who) ||
        (who === 'admin without CSRF' && read)
      );
    case 'write':
      return ['console key', 'editor', 'admin'].includes(who);
    case 'admin':
      return who === 'console key' || who === 'admin' || (who === 'admin without CSRF' && read);
  }
}

let app: App;
const headers: Record<PrincipalName, Record<string, string>> = {} as never;
const pathKey: Partial<Record<PrincipalName, string>> = {};

beforeAll(async () => {
  const database = await openDatabase(':memory:');
  // A built console, so `/` and `/assets/*` serve files rather than the "not built" page.
  const consoleDir = await mkdtemp(join(tmpdir(), 'switchyard-matrix-console-'));
  await mkdir(join(consoleDir, 'assets'));
  await writeFile(join(consoleDir, 'index.html'), '<!doctype html><title>Switchyard</title>');
  app = await buildApp({
    database,
    consoleDir,
    pulseIntervalMs: 0,
    guardrailIntervalMs: 0,
    scheduleIntervalMs: 0,
    passwordHashing: { N: 2 ** 10, r: 8, p: 1 },
  });
  app.http.addHook('onClose', () => database.close());
  await app.keys.ensure('production', 'server', KEYS.server);
  await app.keys.ensure('production', 'client', KEYS.client);
  await app.keys.ensure('production', 'console', KEYS.consoleWrite);
  const { secret: readOnly } = await app.keys.create('production', 'console', undefined, 'read');
  const sessions: Record<string, { cookie: string; csrf: string }> = {};
  for (const role of ['viewer', 'editor', 'admin'] as const) {
    await app.users.create({ email: `${role}@example.com`, name: role, role, password: 'matrix password 1' });
    const login = await app.http.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: `${role}@example.com`, password: 'matrix password 1' },
    });
    expect(login.statusCode, login.body).toBe(200);
    sessions[role] = {
      cookie: String(login.headers['set-cookie']).split(';')[0] as string,
      csrf: login.json().csrfToken,
    };
  }
  const session = (role: string, csrf = true) => ({
    cookie: sessions[role]?.cookie as string,
    ...(csrf && { [CSRF_HEADER]: sessions[role]?.csrf as string }),
  });
  Object.assign(headers, {
    none: {},
    'client key': { authorization: `Bearer ${KEYS.client}` },
    'server key': { authorization: `Bearer ${KEYS.server}` },
    'read-only console key': { authorization: `Bearer ${readOnly}` },
    'console key': { authorization: `Bearer ${KEYS.consoleWrite}` },
    viewer: session('viewer'),
    editor: session('editor'),
    admin: session('admin'),
    'admin without CSRF': session('admin', false),
  });
  Object.assign(pathKey, {
    'client key': KEYS.client,
    'server key': KEYS.server,
    'read-only console key': readOnly,
    'console key': KEYS.consoleWrite,
  });
});
afterAll(async () => {
  await app?.http.close();
});

/** A concrete URL for a route pattern; the download route takes its key in the path. */
function concrete(url: string, who: PrincipalName): string {
  return url
    .replace(':file', `${pathKey[who] ?? 'no-key'}.json`)
    .replace(/:environment/, 'production')
    .replace(/:namespace/, 'feature_gates')
    .replace(/:(name|id|ruleId|fileId)/g, 'matrix_missing')
    .replace('*', 'somewhere');
}

describe('authorization matrix', () => {
  it('covers every registered route', () => {
    const routes = unique();
    expect(routes.length).toBeGreaterThan(100);
    // Throws for a route nobody classified.
    for (const route of routes) requirement(route.method, route.url);
  });

  it('answers every route x principal as the matrix says', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of unique()) {
      if (route.url === '/v1/stream') continue; // a long-lived stream: its refusals are below
      const need = requirement(route.method, route.url);
      for (const who of PRINCIPALS) {
        // Signing out would end the sessions the rest of the matrix uses (tested in access-control).
        if (route.url === '/api/v1/auth/logout' && headers[who].cookie) continue;
        const hasBody = !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(route.method);
        const response = await app.http.inject({
          method: route.method as 'GET',
          url: concrete(route.url, who),
          headers: headers[who],
          ...(hasBody && { payload: {} }),
        });
        checked++;
        const refused = response.statusCode === 401 || response.statusCode === 403;
        const expected = allowed(need, who, route.method);
        if (expected === refused || response.statusCode >= 500) {
          failures.push(
            `${route.method} ${route.url} as ${who}: ${response.statusCode} (needs ${need}) ${response.body.slice(0, 120)}`,
          );
        }
        // A valid key of the wrong kind is refused with 403, not 401 (a cookie is no SDK key).
        if (refused && who.endsWith(' key') && response.statusCode === 401 && need !== 'user') {
          failures.push(`${route.method} ${route.url} as ${who}: 401 where 403 was due`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(900);
  });

  it('refuses the SDK stream to every principal but SDK keys', async () => {
    for (const who of PRINCIPALS) {
      if (who === 'server key' || who === 'client key') continue;
      const response = await app.http.inject({ method: 'GET', url: '/v1/stream', headers: headers[who] });
      expect(response.statusCode, who).toBe(who.endsWith(' key') ? 403 : 401);
    }
  });
});

function unique() {
  return [...new Map(registered.map((route) => [`${route.method} ${route.url}`, route])).values()];
}
